"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 5: the stages of swing-by, in theory.

Symmetric two-layer linear network ``f = U U^T x`` on SIM with ``mu = (1, 1.5)``,
``d = 3``, ``s = 2``, ``sigma = 0.05`` (also on the third axis, as in the authors'
script), ``U0 = torch.rand(3, 3) / 5`` after seeding 2333 (the authors' draw;
:class:`SwingByStages`): entries of ``W = U U^T`` (major: diagonal; minor:
off-diagonal), the OOD loss, and the growth / suppression / interaction split
of the minor entry ``w_12``.  Both rate conventions are drawn: the equations'
``A`` (integrated in U-space) and the authors' theory-script recurrence (Euler
steps of ``eta = 0.01`` directly in ``W``, rates ``A^2``, float32, 2000 steps) with
its ``eta -> 0`` limit.  From the authors' init only the ``A^2`` rates give the
swing-by (the equations' rates give a monotone OOD loss).  A trained ``U U^T``
network (GD on population data, gradient-flow clock) is drawn over the ``A``
theory after the comparators put it on the paper's clock (``dW/dt = V(W)``, twice
gradient-flow time).  The logistic time of sec. 5 is checked on a second,
numpy-drawn uniform init (``default_rng(2)``), where the off-diagonal entries are
about as large as the diagonal ones; at the authors' draw they are larger and
the prediction is off by about 11% (an info row).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess, crossing_time, learning_time_agreement, max_error
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.structured_identity import detect_swing_by
from theorylab.studies.structured_identity_symmetric import SwingByStages
from theorylab.testing import thresholds as tol

_PAPER = dict(signal=(1.0, 1.5), noise_std=0.05, d=3, padding_noise_std=0.05, init="torch_rand", init_scale=0.2,
              init_seed=2333, eta=0.01)


@dataclass(frozen=True)
class Settings:
    stages: SwingByStages        # the authors' setup
    logistic: SwingByStages      # numpy uniform init (seed 2), off-diagonal ~ diagonal: the logistic-time check


def _settings(steps: int, lr: float) -> Settings:
    return Settings(stages=SwingByStages(steps=steps, lr=lr, **_PAPER),
                    logistic=SwingByStages(init="uniform", init_seed=2, init_scale=0.2, eta=0.01, steps=steps, lr=lr))


SETTINGS = {"smoke": _settings(800, 0.01), "quick": _settings(2000, 0.005), "full": _settings(2000, 0.001)}
BUMP = tol.criterion(1e-3, "a rise of 0.1% of L(0) is a bump, far above the integrators' error", at_least=True)
LOGISTIC = tol.criterion(0.1, "the logistic prediction of sec. 5 drops the interaction term, worth about 5% with "
                              "off-diagonal entries as large as the diagonal ones")


def swing_bys(th):
    """Swing-by events of the OOD loss: rates A, the authors' recurrence (A^2) and its eta -> 0 limit (paper clock)."""
    return tuple(detect_swing_by(th.t, th[k]) for k in ("ood_loss", "ood_loss_A2", "ood_loss_A2_ode"))


def _half_time_row(res, s: SwingByStages, name: str, label: str, gating: bool):
    th = res[name].theory
    t_half = crossing_time(th.t, th["W"][:, 1, 1], 0.5)  # concept 2 (mu = 1.5) is the stronger, learnt first
    return learning_time_agreement(s.half_time(1), t_half, clock=th.clock, threshold=LOGISTIC, gating=gating,
                                   name=f"first concept's w_ii crosses 1/2 at ln((1-w0)/w0)/(2a) ({label})")


def checks(res, s: Settings):
    th, ex = res["stages"].theory, res["stages"].experiment
    W = th["W"]
    sb_A, sb_A2, sb_ode = swing_bys(th)
    L_A, L_A2 = th["ood_loss"], th["ood_loss_A2"]
    return [
        assess("U-space integration keeps W PSD", "-min eigenvalue of W over t",
               max(0.0, -float(np.linalg.eigvalsh(W).min())),
               tol.exact(factor=1e-3, why="W = U U^T is PSD by construction: only round-off of the product")),
        max_error(th, th, "W", exp_name="W_wspace", relative=False, threshold=tol.ode(),
                  label="U-space vs W-space ODE (paper clock)"),
        # The prediction neglects the interaction term N; with this uniform init the off-diagonal entries match
        # the diagonal ones and N speeds the first concept up by ~5% (small off-diagonal inits: tests/solvers).
        _half_time_row(res, s.logistic, "logistic", "numpy uniform init, off-diag ~ diag", True),
        _half_time_row(res, s.stages, "stages", "the authors' init, off-diag > diag", False),
        max_error(th, ex, "W", relative=False, label="trained U U^T net (gradient-flow clock) vs theory",
                  threshold=tol.discretisation(s.stages.lr, constant=1.0, why="GD vs gradient flow on the entries of "
                                                                              "W (measured 0.47-0.62 lr)")),
        assess("swing-by with the authors' recurrence and init (A^2 rates, eta = 0.01, W-space, float32)",
               "bump height / L(0)", sb_A2.height / L_A2[0] if sb_A2 else 0.0,
               tol.claim(1e-3, "Fig. 5: the OOD loss rises once before it descends (a rise above 0.1% of L(0))",
                         at_least=True),
               detail={"event": vars(sb_A2) if sb_A2 else None}),
        assess("swing-by with the equations' rates A (same init)", "bump height / L(0)",
               sb_A.height / L_A[0] if sb_A else 0.0, BUMP, gating=False,
               detail={"event": vars(sb_A) if sb_A else None}),
        assess("the recurrence's Euler error: its bump over its eta -> 0 limit (the A^2 ODE)", "ratio of bump heights",
               (sb_A2.height / sb_ode.height) if sb_A2 and sb_ode else float("nan"),
               tol.criterion(1.0, "any inflation above 1 is the first-order error of eta = 0.01", at_least=True),
               gating=False, detail={"recurrence": vars(sb_A2) if sb_A2 else None,
                                     "A^2 ODE": vars(sb_ode) if sb_ode else None}),
    ]


def draw(res, s: Settings):
    th = res["stages"].theory
    ex = res["stages"].experiment.on_clock(th.clock)
    sb_A, sb_A2, _ = swing_bys(th)
    fig, axes = new_figure(3, 1, width=3.0, height=2.7)
    ax = axes[0, 0]
    for (i, j), c in zip([(0, 0), (1, 1), (0, 1), (0, 2), (1, 2)], COLORS):
        ax.plot(th.t, th["W"][:, i, j], color=c, label=f"w{i + 1}{j + 1}")
        ax.plot(th.t, th["W_A2"][:, i, j], ":", color=c, lw=0.9)
        ax.plot(ex.t[::4], ex["W"][::4, 0, i, j], "o", ms=2, mfc="none", color=c)
    ax.set_title("W = UU^T: rates A (lines), trained (markers),\nthe authors' A^2 recurrence (dotted)", fontsize=7)
    ax.legend(fontsize=6, ncol=2)
    ax = axes[0, 1]
    ax.plot(th.t, th["ood_loss"], color=COLORS[0], label="rates A (equations)")
    ax.plot(th.t, th["ood_loss_A2"], color=COLORS[1], label="authors' recurrence (A^2, eta 0.01)")
    ax.plot(th.t, th["ood_loss_A2_ode"], "--", color=COLORS[3], lw=0.9, label="A^2 ODE (eta -> 0)")
    for sb, c in ((sb_A, COLORS[0]), (sb_A2, COLORS[1])):
        if sb:
            ax.plot([sb.t_min, sb.t_max], [sb.loss_min, sb.loss_max], "v", color=c, ms=5)
    ax.set_yscale("log")
    ax.set_title("OOD loss at x_hat (triangles: swing-by min/max)", fontsize=7)
    ax.legend(fontsize=6)
    ax = axes[0, 2]
    for name, c in (("growth", COLORS[2]), ("suppression", COLORS[1]), ("interaction", COLORS[4])):
        ax.plot(th.t, th[name][:, 0, 1], color=c, label=name)
    ax.set_title("terms of dw12/dt (rates A)", fontsize=7)
    ax.legend(fontsize=6)
    for ax in axes[0]:
        ax.set_xlabel(th.clock.label, fontsize=6.5)
    st = s.stages
    fig.suptitle(f"SIM Fig. 5: stages of swing-by (symmetric two-layer theory): mu = {st.signal}, d = {st.d}, "
                 f"U0 = torch.rand x {st.init_scale:g} (seed {st.init_seed})", fontsize=8, y=1.07)
    return fig


FIGURE = Figure(
    "sim_fig5", "SIM Fig. 5: stages of swing-by (symmetric two-layer theory)", "arXiv:2410.08309, Fig. 5, eqs. 6-7",
    SETTINGS, studies=lambda s: {"stages": s.stages, "logistic": s.logistic}, checks=checks, draw=draw,
    quick_seconds=2,
    setup="theory: mu = (1, 1.5), d = 3, s = 2, sigma = 0.05 on all three axes, the authors' recurrence (W-space "
          "Euler, rates A^2, float32) with eta = 0.01 for 2000 steps from U0 = torch.rand(3, 3)/5 after seeding 2333",
    deviations=lambda s: ["the equations' rates A (U-space ODE) are the theory the rows compare with; the authors' A^2 "
                          "recurrence and its eta -> 0 limit are drawn alongside",
                          "U0 = torch.rand(3, 3, generator seeded 2333) / 5: the authors' draw if their "
                          "set_random_seed(2333) seeds torch's default generator (it reproduces their figure)",
                          f"added: a trained U U^T network (GD at lr = {s.stages.lr:g} on population data) over the A "
                          "theory; a numpy-drawn uniform init (seed 2) for the logistic-time row"],
)
