"""One module per paper figure; ``make_all.py`` runs them and writes the report.

``FIGURES`` lists the figure modules in report order.
"""
FIGURES = (
    "saxe2014_modes",
    "saxe2014_depth",
    "saxe2019_hierarchy",
    "advani_saxe",
    "braun2022_riccati",
    "sim_fig2a",
    "sim_fig2b",
    "sim_fig2c",
    "sim_fig5",
    "sim_fig7",
    "sim_fig8",
    "sim_fig9",
    "sim_fig10",
    "sim_fig11",
    "sim_fig17",
    "dmft_two_layer",
    "grok_fig1",
    "grok_fig3ab",
    "grok_fig3e",
    "grok_fig4",
    "grok_fig5",
    "grok_fig7",
    "grok_fig9",
    "grok_fig10",
    "graph_theory",
    "graph_fig1",
    "le_sde_phase",
    "coarse_linear",
)
