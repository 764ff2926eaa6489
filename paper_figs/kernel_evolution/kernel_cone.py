"""The cone effect and switching to the linearised network (Zhou et al. 2025, arXiv:2503.16316; Fort et al. 2020).

After Phase I (its end ``t1`` read off the kernel velocity, as in ``kernel_phases``) the
eNTK keeps changing -- its size grows -- but its direction stays within a narrow cone
around ``K_t1``.  Switching: train normally to ``t0``, then train the network linearised
at ``t0`` (its first-order Taylor model, ``torch.func.jvp``) to the end.  Linearising at
initialisation is far worse than full training; switching after Phase I recovers most of
the difference.  The linearised model is trained by GD (markers) and, as a model linear
in its parameters, also solved exactly as kernel GD with the eNTK at ``theta(t0)`` (line).
"""
from __future__ import annotations

import numpy as np

from theorylab.compare import assess, max_error
from theorylab.figures import Figure
from theorylab.nets import kernel_angle
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.kernel_evolution import cone_summary, velocity_boundary
from theorylab.testing import thresholds as tol

from .kernel_phases import SETTINGS, Settings
from ._shared import log_time_axis, worst

#: The narrow-cone criterion: cos(K_t, K_t1) >= 0.95 for every t >= t1.
CONE_DEG = float(np.degrees(np.arccos(0.95)))


def switch_summary(res, s: Settings) -> dict[str, np.ndarray]:
    """Per seed: t1 (velocity), the cone numbers around it, and the switching losses at the first t0 >= t1."""
    ex, th = res.experiment("phases"), res.theory("switch")
    out = {k: [] for k in ("t1", "t0", "cone", "phase1", "moved", "norm_ratio", "recovered", "lin0_over_full")}
    for e in range(s.base.seeds):
        t1 = velocity_boundary(ex.t, ex["kernel_velocity"][:, e], s.velocity_fraction)
        c = cone_summary(ex.t, ex["ntk"][:, e], t1)
        j = int(np.flatnonzero(th.t >= t1 - 1e-12)[0])
        lin, full = th["test_loss"][:, e], th["test_loss_full"][0, e]
        out["t1"].append(t1)
        out["t0"].append(th.t[j])
        for k in ("cone", "phase1", "moved", "norm_ratio"):
            out[k].append(c[k])
        out["recovered"].append((lin[0] - lin[j]) / (lin[0] - full))
        out["lin0_over_full"].append(lin[0] / full)
    return {k: np.array(v) for k, v in out.items()}


def checks(res, s: Settings):
    q = switch_summary(res, s)
    clock = res.experiment("phases").clock
    rows = [
        assess(f"Phase II stays in a narrow cone around K_t1 (t1 from the velocity), worst seed",
               "max_{t >= t1} angle(K_t, K_t1) (degrees)", worst(q["cone"], low=True),
               tol.criterion(CONE_DEG, "narrow: cos(K_t, K_t1) >= 0.95 all through Phase II"),
               detail={"t1": q["t1"].tolist(), "phase-I angle": q["phase1"].tolist()}),
        assess("... while the kernel keeps moving, worst seed", "||K_T - K_t1||_F / ||K_t1||_F",
               worst(q["moved"], low=False),
               tol.criterion(0.5, "'the eNTK keeps evolving' in Phase II: it changes by at least half its size",
                             at_least=True), detail={"||K_T|| / ||K_t1||": q["norm_ratio"].tolist()}),
        assess("the cone is narrower than Phase I's turn (info), worst seed",
               "cone angle / angle(K_0, K_t1)", worst(q["cone"] / q["phase1"], low=True),
               tol.criterion(0.5, "a stricter reading of 'narrow': Phase II turns the kernel by at most half as much "
                                  "as Phase I did"), gating=False),
        assess("linearising at init is much worse than full training, worst seed", "L_lin(t0 = 0) / L_full (test)",
               worst(q["lin0_over_full"], low=False),
               tol.claim(2.0, "arXiv:2010.15110 Fig. 4, arXiv:2503.16316 sec. 4: the kernel at init is far from the "
                              "learnt one ('much better than linearising at initialisation')", at_least=True)),
        assess("switching after Phase I recovers most of full training, worst seed",
               "(L_lin(0) - L_lin(t0 >= t1)) / (L_lin(0) - L_full)", worst(q["recovered"], low=False),
               tol.claim(0.8, "arXiv:2503.16316 sec. 4: switching after Phase I 'recovers most of the performance' "
                              "(we ask for 80%)", at_least=True), clock=clock, detail={"t0": q["t0"].tolist()}),
    ]
    sw = res["switch"]
    if sw.experiment is not None:
        for name in ("loss", "test_loss"):
            rows.append(max_error(sw.theory, sw.experiment, name,
                                  threshold=tol.exact(factor=10, why="GD on the jvp-linearised network vs kernel "
                                                                     "GD with its eNTK: the same linear model in "
                                                                     "float64, round-off over ~2000 steps"),
                                  label=f"linearised network trained with torch.func.jvp vs kernel GD: {name}"))
    return rows


def draw(res, s: Settings):
    ex, sw = res.experiment("phases"), res["switch"]
    q = switch_summary(res, s)
    fig, axes = new_figure(3, 1, width=2.9, height=2.6)
    for e in range(s.base.seeds):
        c = COLORS[e]
        K = ex["ntk"][:, e]
        i1 = int(np.argmin(np.abs(ex.t - q["t1"][e])))
        ax = axes[0, 0]
        ax.plot(ex.t, np.degrees(kernel_angle(K, K[0][None])), ":", color=c, lw=1, label=f"to K_0, seed {e}")
        ax.plot(ex.t[i1:], np.degrees(kernel_angle(K[i1:], K[i1][None])), "-", color=c, label=f"to K_t1, seed {e}")
        ax = axes[0, 1]
        moved = np.linalg.norm(K[i1:] - K[i1], axis=(-2, -1)) / np.linalg.norm(K[i1])
        ax.plot(ex.t[i1:], moved, "-", color=c, label=f"||K_t - K_t1|| / ||K_t1||, seed {e}")
        ax.plot(ex.t, ex["kernel_norm"][:, e] / ex["kernel_norm"][i1, e], ":", color=c, lw=1,
                label=f"||K_t|| / ||K_t1||, seed {e}")
        for ax in axes[0, :2]:
            ax.axvline(q["t1"][e], color=c, lw=0.8, ls="--")
        ax = axes[0, 2]
        th = sw.theory
        ax.plot(th.t, th["test_loss"][:, e], "-", color=c, label=f"linearised at t0 (exact), seed {e}")
        if sw.experiment is not None:
            ax.plot(sw.experiment.t, sw.experiment["test_loss"][:, e], "o", ms=4, mfc="none", color=c,
                    label="trained with jvp" if e == 0 else None)
        ax.axhline(th["test_loss_full"][0, e], color=c, lw=0.8, ls="--", label=f"full training, seed {e}")
        ax.axvline(q["t1"][e], color=c, lw=0.8, ls="--")
    axes[0, 0].axhline(CONE_DEG, color="k", lw=0.6, ls="-.", label="cos = 0.95")
    axes[0, 0].set_ylabel("angle between kernels (degrees)")
    axes[0, 0].set_title("the direction settles after t1 (--)", fontsize=7.5)
    axes[0, 1].set_ylabel("kernel change since t1")
    axes[0, 1].set_title("... while the kernel keeps growing", fontsize=7.5)
    axes[0, 2].set_ylabel(f"test loss at tau = {s.base.t_max:g}")
    axes[0, 2].set_title("switch to the linearised net at t0", fontsize=7.5)
    for ax, where in zip(axes[0], ("upper left", "upper left", "center left")):
        log_time_axis(ax, ex)
        ax.legend(fontsize=5, loc=where)
    axes[0, 2].set_xlabel("switch time t0 = " + ex.clock.label.replace(" (", "\n(", 1), fontsize=7)
    fig.suptitle("The cone effect: Phase II moves the eNTK along a narrow cone; linearising after Phase I suffices",
                 fontsize=8)
    fig.tight_layout()
    return fig


FIGURE = Figure(
    "kernel_cone", "The cone effect and switching to the linearised network",
    "arXiv:2503.16316 (sec. 3-4); arXiv:2010.15110 (Fig. 4, 'parent-child' linearisation)",
    SETTINGS, studies=lambda s: {"phases": s.base, "switch": s.switch}, checks=checks, draw=draw, quick_seconds=11,
    setup="deep networks on image classification; eNTK on a probe set; after Phase I the eNTK stays in a narrow cone "
          "around its Phase-I end point; switching to the network linearised at t0 for the rest of training recovers "
          "most of the performance once t0 is past Phase I",
    deviations=lambda s: [f"a centred tanh MLP {s.base.hidden} on a single-index He_{s.base.task.order} target "
                          f"(D = {s.base.task.D}, P = {s.base.task.P}); full-batch GD at lr = {s.base.lr:g} to "
                          f"tau = {s.base.t_max:g}; {s.base.seeds} seeds",
                          f"probe set: the first {s.base.n_probe} test inputs; t1 from the kernel velocity (below "
                          f"{s.velocity_fraction:g} of its peak for good)",
                          f"switching at every other record, solved exactly (kernel GD with the eNTK at theta(t0) on "
                          f"train and test); trained with torch.func.jvp at t0 = {s.switch.t0s_trained}",
                          "a narrow cone is our criterion (cos >= 0.95), not a number from the paper"],
)
