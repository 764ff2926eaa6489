"""One module per paper figure; ``make_all.py`` runs them and writes the report.

``FIGURES`` lists the figure modules in report order.
"""
FIGURES = (
    "saxe2014_modes",
    "saxe2014_depth",
    "saxe2019_hierarchy",
    "advani_saxe",
    "braun2022_riccati",
)
