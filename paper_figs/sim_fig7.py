"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 7: OOD loss over the hypercube of compositions.

Four concepts, ``mu = (1, 2, 3, 4)``, ``sigma^2 = 0.5``, ``d = 64``; a one-layer
linear network (biases off, small init).  Every binary composition
``x^(v) = sum_k v_k mu_k e_k`` is scored early in training.  Zero-init theory:
``L_v(t) = 1/2 sum_k v_k mu_k^2 e^{-2 a_k t}``: compositions are ordered by
which concepts they contain, strongest-rate concepts fading first.

Conventions: as Fig. 2a (``t = 2 lr step / d``, SGD on ``mse_loss``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from theorylab import Cache, FigureResult, Trajectory, max_error
from theorylab.compare_sim import composition_order_agreement
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.plotting import COLORS, new_figure, style
from theorylab.tasks import SIMConfig

from ._sim import TIME_LABEL, sim_tasks, train_sim

ID = "sim_fig7"
TITLE = "SIM Fig. 7: OOD loss on the hypercube of compositions"
MU = (1.0, 2.0, 3.0, 4.0)
SETTINGS = {
    "smoke": dict(n=100, seeds=2, t_max=0.6, n_rec=13, times=(0.2, 0.6)),
    "quick": dict(n=500, seeds=4, t_max=1.2, n_rec=49, times=(0.1, 0.3, 0.6, 1.2)),
    "full": dict(n=1000, seeds=16, t_max=2.0, n_rec=81, times=(0.1, 0.3, 0.6, 1.2, 2.0)),
}


@figure_maker(SETTINGS)
def make(out_dir: Path, p: dict, cache: Cache, mode: str) -> FigureResult:
    cfg = SIMConfig(MU, noise_var=0.5, n_per_cluster=p["n"], dim=64)
    (task,) = sim_tasks([cfg])
    exp = cache.get_or_compute(run_key(ID, 1, p), lambda: train_sim(
        [cfg], seeds=list(range(p["seeds"])), widths_hidden=[], t_max=p["t_max"], n_rec=p["n_rec"],
        init_scale=0.1, compositions=True))
    codes, _ = task.compositions()
    a = task.rates
    mu = np.asarray(MU)
    t = exp.t
    # L_v(t) = 1/2 sum_k (v_k mu_k)^2 e^{-2 a_k t}, shape (T, 2^s)
    theory = Trajectory(t, {"comp_loss": 0.5 * np.exp(-2 * np.outer(t, a)) @ ((codes * mu) ** 2).T})
    agreements = [max_error(theory, exp, "comp_loss", threshold=0.1, floor=0.05,
                            label="composition losses vs zero-init theory (all 16, all t)")]
    mean = exp.mean()["comp_loss"]
    for tt in p["times"]:
        i = int(np.argmin(np.abs(t - tt)))
        agreements.append(composition_order_agreement(theory["comp_loss"][i], mean[i], threshold=0.9,
                                                      name=f"order of the 16 composition losses at t={t[i]:.2g}"))
    with style():
        fig, axes = new_figure(len(p["times"]), 1, width=2.4, height=2.8)
        labels = ["".join(str(int(b)) for b in v) for v in codes]
        order = np.argsort(theory["comp_loss"][int(np.argmin(np.abs(t - p["times"][0])))])
        for j, tt in enumerate(p["times"]):
            ax = axes[0, j]
            i = int(np.argmin(np.abs(t - tt)))
            x = np.arange(len(codes))
            ax.bar(x, theory["comp_loss"][i][order], color=COLORS[0], alpha=0.5, label="theory")
            ax.plot(x, mean[i][order], "o", ms=3, color=COLORS[1], label="trained")
            ax.set_xticks(x, [labels[k] for k in order], rotation=90, fontsize=5)
            ax.set_title(f"t = {t[i]:.2g}", fontsize=7)
            ax.set_yscale("log")
        axes[0, 0].set_ylabel("OOD loss at composition v")
        axes[0, 0].legend(fontsize=6)
        fig.suptitle(f"{TITLE}: mu = {MU}, sigma^2 = 0.5 (codes v, concept 1 first); {TIME_LABEL}", fontsize=7)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "t = 2 lr step / d (SGD on mse_loss); theory: gradient flow of "
                        "1/2 E||f - x||^2, zero init", mode)
