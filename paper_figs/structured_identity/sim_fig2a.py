"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 2a: concepts are learnt in order of signal strength.

One-layer linear networks with biases (the authors' ``nn.Linear`` default) learn
SIM with ``mu in {(1,2), (2,2), (3,2)}``, ``sigma^2 = 0.05`` (a variance),
``d = 64`` with a random rotation, on the authors' three training clusters
``(0,0), (mu1,0), (0,mu2)`` (:class:`OneLayerSIM`).  Their output at the OOD probe
``x_hat`` is drawn in concept space over the closed form with the bias,
``[W b](t) = [I 0] + ([W0 b0] - [I 0]) e^{-A~ t}``, ``A~ = [[A, m], [m^T, 1]]``,
``a_k = mu_k^2/3 + sigma_k^2``, ``m = mu/3``, from the members' own init, and the
times to 90% of each concept are compared with it.  The bias-free closed form
``f_k = (1 - e^{-a_k t}) mu_k`` (the simplified task of earlier versions) is drawn
dotted: the bias couples every concept to the data mean and slows the weak
concept about twofold.  SGD as in the paper (batch 128, lr 0.1, ``mse_loss``):
``train`` puts it on gradient-flow time of ``1/2 E||f - x||^2`` (``t = 2 lr step / d``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from theorylab.compare import assess
from theorylab.figures import Figure
from theorylab.plotting import new_figure
from theorylab.studies.structured_identity import concept_learning_times
from theorylab.studies.structured_identity_sgd import OneLayerSIM
from theorylab.tasks import SIMConfig
from theorylab.testing import thresholds as tol

from ._common import concept_rows, per_config, plot_concept_trajectories, task_deviations

MUS = ((1.0, 2.0), (2.0, 2.0), (3.0, 2.0))


def _study(n: int, seeds: int, t_max: float, n_rec: int, dim: int = 64, **variant) -> OneLayerSIM:
    task = dict(noise_var=0.05, n_per_cluster=n, dim=dim, rotate=True, origin_cluster=variant.pop("origin", True))
    return OneLayerSIM(configs=tuple(SIMConfig(mu, **task) for mu in MUS), seeds=seeds, lr=0.1, batch_size=128,
                       t_max=t_max, n_rec=n_rec, **{"init_scale": 1.0, "bias": True, **variant})


SETTINGS = {
    "smoke": _study(100, 2, 20.0, 41, dim=8),
    "quick": _study(1000, 4, 14.0, 141),
    "full": _study(5000, 16, 14.6, 201),
}
#: The simplified task of earlier versions, kept as a named option: no origin cluster, no biases, init x 0.1
#: (``FIGURE.settings`` stays the paper's; ``SIMPLIFIED["quick"]`` runs through the same checks).
SIMPLIFIED = {mode: s.replace(configs=tuple(dataclasses.replace(c, origin_cluster=False) for c in s.configs),
                              bias=False, init_scale=0.1) for mode, s in SETTINGS.items()}


def bias_slowdown(res, s: OneLayerSIM):
    """Weak concept of mu = (1, 2): t90 of the bias-inclusive zero-init closed form, the bias-free one and the trained mean."""
    th, ex = per_config(res, "one_layer", len(s.configs))[0]
    mu = np.asarray(s.configs[0].signal)
    out = {}
    if "ood_bias_free" in th.obs:
        out["with bias"] = concept_learning_times(th.t, th["ood_zero_init"], mu)[0]
        out["bias-free"] = concept_learning_times(th.t, th["ood_bias_free"], mu)[0]
    out["trained"] = concept_learning_times(ex.t, ex.mean()["ood"], mu)[0]
    return out


def checks(res, s: OneLayerSIM):
    rows = []
    for c, (th, ex) in zip(s.configs, per_config(res, "one_layer", len(s.configs))):
        rows += concept_rows(th, ex, c.signal, f"mu={c.signal}")
    slow = bias_slowdown(res, s)
    if "bias-free" in slow:
        rows.append(assess("biases slow the weak concept (mu=(1,2), concept 1): trained t90 / bias-free closed form",
                           "ratio of times to 90%", slow["trained"] / slow["bias-free"],
                           tol.criterion(1.5, "halfway between no slowdown (1) and the bias-inclusive closed form's "
                                              f"{slow['with bias'] / slow['bias-free']:.2f}", at_least=True),
                           gating=False, detail={k: float(v) for k, v in slow.items()}))
    return rows


def draw(res, s: OneLayerSIM):
    items = [(f"mu={c.signal}", th, ex, c.signal) for c, (th, ex) in zip(s.configs, per_config(res, "one_layer",
                                                                                               len(s.configs)))]
    fig, axes = new_figure(1, 1, width=3.6, height=3.4)
    plot_concept_trajectories(axes[0, 0], items, refs=True, legend_outside=True)
    axes[0, 0].set_title(f"SIM Fig. 2a: one-layer network with biases, varying signal strength\n"
                         f"{res['one_layer'].theory.clock.label}, gradient flow of 1/2 E||f - x||^2", fontsize=6.5)
    return fig


def _deviations(s: OneLayerSIM) -> list[str]:
    out = task_deviations(s.configs, s.seeds, s.t_max)
    if s.configs[0].d != 64:
        out.append(f"d = {s.configs[0].d}")
    if not s.bias:
        out.append("biases off (the simplified variant)")
    if not s.configs[0].origin_cluster:
        out.append("no origin cluster (the simplified variant)")
    if s.init_scale != 1.0:
        out.append(f"init scaled by {s.init_scale:g}")
    out.append("added: the closed form from the members' own init (the paper's zero-init form drawn dashed) and the "
               "bias-free closed form (dotted)")
    return out


FIGURE = Figure(
    "sim_fig2a", "SIM Fig. 2a: one-layer network, varying signal strength", "arXiv:2410.08309, Fig. 2a",
    SETTINGS, studies=lambda s: {"one_layer": s}, checks=checks, draw=draw, quick_seconds=11,
    setup="one-layer network with biases (PyTorch default init), mu in {(1,2), (2,2), (3,2)}, sigma^2 = 0.05, "
          "training clusters (0,0), (mu1,0), (0,mu2), d = 64 (random rotation), n = 5000 per cluster; SGD batch "
          "128, lr 0.1, mse_loss, 40 epochs",
    deviations=_deviations,
)
