"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 2b: diversity speeds a concept up.

One-layer linear networks with biases (the authors' ``nn.Linear`` default) on
SIM with ``mu = (1, 2)``, ``sigma_2^2 = 0.05`` and ``sigma_1^2`` varied, on the
authors' three training clusters ``(0,0), (mu1,0), (0,mu2)`` (:class:`OneLayerSIM`).
Left: OOD trajectories in concept space over the closed form with the bias
(``A~ = [[A, m], [m^T, 1]]``, ``a_k = mu_k^2/3 + sigma_k^2``, ``m = mu/3``) from the
members' own init.  Right: the *diversity reversal*: the learning-time
difference ``t_1 - t_2`` (90% of target) against ``sigma_1^2``.  With the bias the
order still flips exactly at ``a_1 = a_2``, i.e. ``sigma_1^2 = 1.05`` (the mean
``m = mu/3`` is parallel to ``x_hat``, so equal rates give equal fractions of
each concept); without the origin cluster it would flip at ``sigma_1^2 = 1.55``.
Trained networks (seed mean +- 2 s.e.m.; each seed draws its own data and
init) must agree in sign wherever they resolve it, cross zero within their
ensemble error of ``a_1 = a_2``, and closer to the paper's 1.05 than to 1.55.

The reversal sweep runs in concept space (``d = 2``) with ``lr = 0.1 * 2/64`` so
that one step is the same gradient-flow time ``2 lr / d`` as the ``d = 64`` runs,
and ``init_scale = sqrt(2/64)`` so that the init's weights and biases have the
``d = 64`` default's spread: the one-layer dynamics in concept coordinates do not
depend on the padding, only the cost does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.structured_identity import learning_times, select_config
from theorylab.studies.structured_identity_sgd import OneLayerSIM
from theorylab.tasks import SIMConfig
from theorylab.testing import thresholds as tol

from ._common import concept_rows, per_config, plot_concept_trajectories, task_deviations

MU = (1.0, 2.0)
SHOWN = (0.05, 0.1, 0.5, 1.0, 2.0)                 # sigma_1^2 of the trajectory panel (the paper's)
SWEEP = (0.5, 0.7, 0.9, 1.0, 1.1, 1.2, 1.4, 1.8)   # around the reversal at 1.05
#: sigma_1^2 where the order flips (a_1 = a_2) with the origin cluster (the paper's task) and without it.
FLIP_PAPER, FLIP_NO_ORIGIN = 1.05, 1.55


@dataclass(frozen=True)
class Settings:
    shown: OneLayerSIM           # d = 64, the trajectories
    sweep: OneLayerSIM           # d = 2, the reversal


def _settings(n: int, seeds: int, seeds_shown: int, t_shown: float, n_shown: int, t_sweep: float, n_sweep: int,
              sweep) -> Settings:
    kw = dict(batch_size=128, bias=True)
    task = dict(n_per_cluster=n, origin_cluster=True)
    return Settings(
        shown=OneLayerSIM(configs=tuple(SIMConfig(MU, noise_var=(v, 0.05), dim=64, rotate=True, **task)
                                        for v in SHOWN),
                          seeds=seeds_shown, lr=0.1, t_max=t_shown, n_rec=n_shown, init_scale=1.0, **kw),
        sweep=OneLayerSIM(configs=tuple(SIMConfig(MU, noise_var=(v, 0.05), **task) for v in sweep),
                          seeds=seeds, lr=0.1 * 2 / 64, t_max=t_sweep, n_rec=n_sweep, init_scale=np.sqrt(2 / 64),
                          **kw))


SETTINGS = {
    "smoke": _settings(200, 6, 2, 4.0, 41, 4.0, 41, (0.5, 1.8)),
    "quick": _settings(500, 16, 3, 10.0, 101, 4.5, 181, SWEEP),
    "full": _settings(5000, 64, 16, 14.6, 201, 6.0, 401, SWEEP),
}


def _crossing(x, y) -> float:
    """Zero of the piecewise-linear y(x) nearest the sign change (nan if none)."""
    order = np.argsort(x)
    x, y = np.asarray(x)[order], np.asarray(y)[order]
    idx = np.flatnonzero(np.sign(y[:-1]) != np.sign(y[1:]))
    if idx.size == 0:
        return float("nan")
    i = idx[0]
    return float(x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i]))


def reversal(res, s: Settings) -> dict:
    """Per sweep point: sigma_1^2, a1 - a2, theory and trained t1 - t2 (seed mean, s.e.m.); the trained flip and its error."""
    r = res["sweep"]
    da, dt_th, dt_mean, dt_se = [], [], [], []
    for i, task in enumerate(s.sweep.tasks()):
        a = task.rates
        t_th, _, t_seeds = learning_times(select_config(r.theory, i), select_config(r.experiment, i), MU)
        d = t_seeds[:, 0] - t_seeds[:, 1]
        n = int(np.sum(np.isfinite(d)))
        da.append(a[0] - a[1])
        dt_th.append(t_th[0] - t_th[1])
        dt_mean.append(np.nanmean(d))
        dt_se.append(np.nanstd(d, ddof=1) / np.sqrt(n) if n > 1 else np.nan)
    da, dt_th, dt_mean, dt_se = map(np.asarray, (da, dt_th, dt_mean, dt_se))
    x_star = _crossing(da, dt_mean)
    # ensemble error of the crossing: slope of the mean curve near it and the s.e.m. there
    near = np.argsort(np.abs(da - (x_star if np.isfinite(x_star) else 0.0)))[:2]
    slope = abs((dt_mean[near[1]] - dt_mean[near[0]]) / (da[near[1]] - da[near[0]]))
    x_err = float(np.nanmax(dt_se[near]) / slope) if slope > 0 else float("nan")
    cfg = s.sweep.configs[0]
    offset = s.sweep.tasks()[0].rates[1] - cfg.signal[0] ** 2 / cfg.n_clusters     # sigma_1^2 = a1 - a2 + offset
    return dict(var1=np.array([c.noise_var[0] for c in s.sweep.configs]), da=da, dt_th=dt_th, dt_mean=dt_mean,
                dt_se=dt_se, x_star=x_star, x_err=x_err, var_star=x_star + offset, clock=r.theory.clock)


def checks(res, s: Settings):
    rows = []
    for c, (th, ex) in zip(s.shown.configs, per_config(res, "shown", len(s.shown.configs))):
        rows += concept_rows(th, ex, MU, f"sigma1^2={c.noise_var[0]:g}", times=False)
    rv = reversal(res, s)
    resolved = np.abs(rv["dt_mean"]) > 2 * rv["dt_se"]
    agree = np.sign(rv["dt_mean"][resolved]) == np.sign(rv["dt_th"][resolved])
    rows.append(assess("diversity reversal: sign of t1 - t2, trained vs theory (where resolved)", "fraction agreeing",
                       float(agree.mean()) if agree.size else float("nan"),
                       tol.criterion(1.0, "every point whose seed mean is resolved (|t1 - t2| > 2 s.e.m.) must have "
                                          "the theory's sign", at_least=True),
                       detail={"resolved points": int(resolved.sum()), "of": int(resolved.size),
                               "|t1 - t2| / s.e.m. per point": np.round(np.abs(rv["dt_mean"]) / rv["dt_se"], 2).tolist()},
                       clock=rv["clock"]))
    x = rv["x_star"]
    rows.append(assess("diversity reversal: trained order flips at a1 = a2", "|a1 - a2 at flip| / its error",
                       abs(x) / rv["x_err"] if np.isfinite(x) else float("inf"),
                       tol.standard_errors(2.0, why=f"the flip's error from the s.e.m. of {s.sweep.seeds} seeds and "
                                                    "the slope of t1 - t2 near it"),
                       detail={"a1-a2 at flip": x, "error": rv["x_err"]}))
    rows.append(assess(f"diversity reversal sits at the paper's sigma1^2 = {FLIP_PAPER:g} (origin cluster in)",
                       "|sigma1^2 at the trained flip - 1.05|", abs(rv["var_star"] - FLIP_PAPER)
                       if np.isfinite(rv["var_star"]) else float("inf"),
                       tol.criterion((FLIP_NO_ORIGIN - FLIP_PAPER) / 2,
                                     f"half the gap to the no-origin task's flip at sigma1^2 = {FLIP_NO_ORIGIN:g}: the "
                                     "row tells the paper's task from the simplified one"),
                       detail={"sigma1^2 at flip": rv["var_star"], "error": rv["x_err"]}))
    return rows


def draw(res, s: Settings):
    items = [(f"s1^2={c.noise_var[0]:g}", th, ex, MU)
             for c, (th, ex) in zip(s.shown.configs, per_config(res, "shown", len(s.shown.configs)))]
    rv = reversal(res, s)
    fig, axes = new_figure(2, 1, width=3.7, height=3.3)
    plot_concept_trajectories(axes[0, 0], items, compact=True)
    axes[0, 0].set_title(f"SIM Fig. 2b: mu = {MU}, sigma2^2 = 0.05, biases on\n{rv['clock'].label}", fontsize=6.5)
    ax = axes[0, 1]
    ax.plot(rv["var1"], rv["dt_th"], "-", color=COLORS[0], lw=1.2, label="theory (bias-inclusive closed form)")
    ax.errorbar(rv["var1"], rv["dt_mean"], yerr=2 * rv["dt_se"], fmt="o", ms=3, mfc="none", color=COLORS[1],
                capsize=2, label="trained (mean +- 2 s.e.m.)")
    ax.axhline(0, color="k", lw=0.6)
    ax.axvline(FLIP_PAPER, color="k", lw=0.7, ls=":", label=f"a1 = a2: sigma1^2 = {FLIP_PAPER:g}")
    ax.axvline(FLIP_NO_ORIGIN, color="0.6", lw=0.7, ls="--", label=f"without origin cluster: {FLIP_NO_ORIGIN:g}")
    if np.isfinite(rv["var_star"]):
        ax.plot([rv["var_star"]], [0.0], "x", color=COLORS[1], ms=7, label=f"trained flip {rv['var_star']:.3f}")
    ax.set_xlabel("sigma1^2 (diversity of concept 1)")
    ax.set_ylabel(f"t1 - t2 to 90%, {rv['clock'].label}", fontsize=6)
    ax.set_title("diversity reversal at a1 = a2", fontsize=7)
    ax.legend(fontsize=5.5)
    return fig


def _deviations(s: Settings) -> list[str]:
    return task_deviations(s.shown.configs, s.shown.seeds, s.shown.t_max) + [
        f"added: a reversal sweep over sigma1^2 = {tuple(c.noise_var[0] for c in s.sweep.configs)} in concept space "
        f"(d = 2, lr = {s.sweep.lr:g}: the same time per step; init x sqrt(2/64): the d = 64 spread), "
        f"n = {s.sweep.configs[0].n_per_cluster}, {s.sweep.seeds} seeds each, up to t = {s.sweep.t_max:g}",
        "added: the closed form from the members' own init (the paper's zero-init form is its mean over inits)"]


FIGURE = Figure(
    "sim_fig2b", "SIM Fig. 2b: one-layer network, varying diversity", "arXiv:2410.08309, Fig. 2b",
    SETTINGS, studies=lambda s: {"shown": s.shown, "sweep": s.sweep}, checks=checks, draw=draw, quick_seconds=13,
    setup="one-layer network with biases (PyTorch default init), mu = (1, 2), sigma1^2 in {0.05, 0.1, 0.5, 1, 2}, "
          "sigma2^2 = 0.05, training clusters (0,0), (mu1,0), (0,mu2), d = 64 (random rotation), n = 5000 per "
          "cluster; SGD batch 128, lr 0.1, mse_loss, 40 epochs",
    deviations=_deviations,
)
