"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 2a: concepts are learnt in order of signal strength.

One-layer linear networks (biases off, small init) learn SIM with
``mu in {(1,2), (2,2), (3,2)}``, ``sigma^2 = 0.05``, ``d = 64``
(:class:`OneLayerSIM`); their output at the OOD probe ``x_hat`` is drawn in
concept space over the zero-init closed form ``f_k = (1 - e^{-a_k t}) mu_k``,
and the times to 90% of each concept are compared with it.  SGD as in the
paper (batch 128, lr 0.1, ``mse_loss``): ``train`` puts it on gradient-flow
time of ``1/2 E||f - x||^2`` (``t = 2 lr step / d``).
"""
from __future__ import annotations

from theorylab.figures import Figure
from theorylab.plotting import new_figure
from theorylab.studies.structured_identity_sgd import OneLayerSIM
from theorylab.tasks import SIMConfig

from ._common import concept_rows, per_config, plot_concept_trajectories

MUS = ((1.0, 2.0), (2.0, 2.0), (3.0, 2.0))


def _study(n: int, seeds: int, t_max: float, n_rec: int) -> OneLayerSIM:
    return OneLayerSIM(configs=tuple(SIMConfig(mu, noise_var=0.05, n_per_cluster=n, dim=64) for mu in MUS),
                       seeds=seeds, lr=0.1, batch_size=128, t_max=t_max, n_rec=n_rec, init_scale=0.1)


SETTINGS = {
    "smoke": _study(100, 2, 5.0, 41),
    "quick": _study(1000, 4, 5.5, 111),
    "full": _study(1000, 16, 8.0, 201),
}


def checks(res, s: OneLayerSIM):
    rows = []
    for c, (th, ex) in zip(s.configs, per_config(res, "one_layer", len(s.configs))):
        rows += concept_rows(th, ex, c.signal, f"mu={c.signal}")
    return rows


def draw(res, s: OneLayerSIM):
    items = [(f"mu={c.signal}", th, ex, c.signal) for c, (th, ex) in zip(s.configs, per_config(res, "one_layer",
                                                                                               len(s.configs)))]
    fig, axes = new_figure(1, 1, width=4.0, height=3.4)
    plot_concept_trajectories(axes[0, 0], items)
    axes[0, 0].set_title(f"SIM Fig. 2a: one-layer network, varying signal strength\n"
                         f"{res['one_layer'].theory.clock.label}, gradient flow of 1/2 E||f - x||^2", fontsize=6.5)
    return fig


FIGURE = Figure(
    "sim_fig2a", "SIM Fig. 2a: one-layer network, varying signal strength", "arXiv:2410.08309, Fig. 2a",
    SETTINGS, studies=lambda s: {"one_layer": s}, checks=checks, draw=draw, quick_seconds=5,
    setup="one-layer network, mu in {(1,2), (2,2), (3,2)}, sigma^2 = 0.05, d = 64, n = 1000 per cluster; "
          "SGD batch 128, lr 0.1, mse_loss; PyTorch default init, biases on",
    deviations=lambda s: ["biases off (they couple to the data mean and slow learning about twofold)",
                          f"init scaled by {s.init_scale:g} (the theory starts at 0)",
                          f"n = {s.configs[0].n_per_cluster} per cluster, {s.seeds} seeds (own data each), "
                          f"t_max = {s.t_max:g}",
                          "no origin cluster (kept as today; a later change revisits the task setup)"],
)
