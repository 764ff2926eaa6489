"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 11: Fig. 2a with two-layer linear networks.

``mu in {(1,2), (2,2), (3,2)}``, ``sigma^2 = 0.05``, ``d = 64`` with a random
rotation, hidden width 64, the authors' three training clusters ``(0,0), (mu1,0),
(0,mu2)`` (:class:`DeepSIM`).  Two kinds of networks:

* the paper's: PyTorch's default init with biases.  No exact theory exists (a
  random init that is not small, biases coupled to the data mean); the claim
  checked is the paper's, that concepts are learnt in order of their rate
  ``a_k = mu_k^2/3 + sigma_k^2``;
* a named option that teaches the mechanism: a *decoupled* init aligned with the
  concept axes (product ``u0 I`` on concept space) without biases.  Each concept
  is then a co-diagonal Saxe mode with ``s = lam = a_k``, so its OOD output is
  exactly ``mu_k deep_mode(a_k t, 1, u0, 2)`` -- learning times are compared.
  The origin cluster only changes the rates (``A`` stays diagonal).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess
from theorylab.figures import Figure
from theorylab.plotting import new_figure
from theorylab.studies.structured_identity import concept_learning_times
from theorylab.studies.structured_identity_sgd import DeepSIM
from theorylab.tasks import SIMConfig
from theorylab.testing import thresholds as tol

from ._common import concept_rows, per_config, plot_concept_trajectories, task_deviations

MUS = ((1.0, 2.0), (2.0, 2.0), (3.0, 2.0))


@dataclass(frozen=True)
class Settings:
    decoupled: DeepSIM
    default: DeepSIM


def _settings(n: int, seeds: int, t_max: float, n_rec: int, dim: int = 64) -> Settings:
    base = DeepSIM(configs=tuple(SIMConfig(mu, noise_var=0.05, n_per_cluster=n, dim=dim, rotate=True,
                                           origin_cluster=True) for mu in MUS),
                   hidden=(64,), activation="linear", bias=False, lr=0.1, batch_size=128, seeds=seeds, t_max=t_max,
                   n_rec=n_rec)
    return Settings(decoupled=base.replace(init="decoupled", u0=1e-2),
                    default=base.replace(init="torch", init_scale=1.0, bias=True))


SETTINGS = {
    "smoke": _settings(100, 2, 10.0, 41, dim=8),
    "quick": _settings(300, 3, 10.0, 101),
    "full": _settings(5000, 16, 14.6, 301),
}


def default_order(res, s: Settings):
    """Configs with unequal rates: (mu, rates, seed-mean t90 per concept) of the paper's default-init nets."""
    out = []
    for c, task, (_, ex) in zip(s.default.configs, s.default.tasks(), per_config(res, "default", len(MUS))):
        a = task.rates
        if not np.isclose(a[0], a[1]):
            t = concept_learning_times(ex.t, ex.mean()["ood"], np.asarray(c.signal))
            out.append((c.signal, a, np.where(np.isfinite(t), t, np.inf)))
    return out


def checks(res, s: Settings):
    rows = []
    for c, (th, ex) in zip(s.decoupled.configs, per_config(res, "decoupled", len(MUS))):
        rows += concept_rows(th, ex, c.signal, f"decoupled init, mu={c.signal}", distance=False)
    order = default_order(res, s)
    right = [bool(np.argmin(t) == np.argmax(a) and np.isfinite(t.min())) for _, a, t in order]
    rows.append(assess("paper's nets (default init, biases): the higher-rate concept is learnt first",
                       "fraction of configs with unequal rates", float(np.mean(right)),
                       tol.criterion(1.0, "the paper's claim (Fig. 11 as Fig. 2a): an order is categorical; the "
                                          "margin is the ratio of the two times to 90% (detail; inf: the slower "
                                          "concept is not learnt by t_max)", at_least=True),
                       detail={f"mu={mu}": {"t90": t.round(3).tolist(), "ratio": float(t.max() / t.min())}
                               for mu, _, t in order}))
    return rows


def draw(res, s: Settings):
    dec = per_config(res, "decoupled", len(MUS))
    default = per_config(res, "default", len(MUS))
    fig, axes = new_figure(2, 1, width=3.6, height=3.3)
    plot_concept_trajectories(axes[0, 0], [(f"mu={mu}", th, ex, mu) for mu, (th, ex) in zip(MUS, dec)], compact=True)
    clock = res["decoupled"].theory.clock
    axes[0, 0].set_title(f"decoupled init (u0 = {s.decoupled.u0:g}), no biases: exact theory\n{clock.label}",
                         fontsize=6.5)
    plot_concept_trajectories(axes[0, 1], [(f"mu={mu}", th, ex, mu) for mu, (th, _), (_, ex) in zip(MUS, dec, default)],
                              compact=True)
    axes[0, 1].set_title("the paper's nets (default init, biases)\nlines: the decoupled theory, for reference",
                         fontsize=6.5)
    fig.suptitle("SIM Fig. 11: two-layer linear networks (origin cluster in)", fontsize=8, y=1.02)
    return fig


FIGURE = Figure(
    "sim_fig11", "SIM Fig. 11: two-layer linear networks", "arXiv:2410.08309, Fig. 11", SETTINGS,
    studies=lambda s: {"decoupled": s.decoupled, "default": s.default}, checks=checks, draw=draw, quick_seconds=11,
    setup="two-layer linear networks with biases (PyTorch default init), hidden width 64, mu in {(1,2), (2,2), "
          "(3,2)}, sigma^2 = 0.05, training clusters (0,0), (mu1,0), (0,mu2), d = 64 (random rotation), n = 5000 per "
          "cluster; SGD batch 128, lr 0.1, mse_loss, 40 epochs",
    deviations=lambda s: task_deviations(s.decoupled.configs, s.decoupled.seeds, s.decoupled.t_max) + (
        [f"d = {s.decoupled.configs[0].d}"] if s.decoupled.configs[0].d != 64 else []) + [
        f"added: a decoupled init (product {s.decoupled.u0:g} I on concept space) without biases, which has an exact "
        "theory; the paper's nets are drawn against it as a reference and checked for the learning order only"],
)
