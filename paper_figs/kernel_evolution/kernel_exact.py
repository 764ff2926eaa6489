"""Exact kernel trajectories over trained networks: deep linear networks and the grokking committee machine.

Top: deep linear networks from a decoupled small init (Saxe et al. 2014, arXiv:1312.6120).
Their eNTK is a function of the mode strengths ``m_a(t)``, which ``saxe_mode`` (two layers)
and ``deep_mode`` (three) give at every ``t``
(:class:`~theorylab.studies.kernel_evolution_exact.DeepLinearKernel`); it does not depend
on the hidden width.  Bottom: the grokking network (Kumar et al. 2024, arXiv:2310.06110):
its eNTK is ``(alpha^2/N) K_bar(w_bar, M)`` and the exact ``(w_bar, M)`` map gives it at any
width; run far beyond the trained network, the map shows the kernel aligning with the
task late, after the training loss is fitted
(:class:`~theorylab.studies.kernel_evolution_exact.CommitteeKernel`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess, crossing_time, max_error
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure, theory_vs_experiment
from theorylab.studies.kernel_evolution_exact import CommitteeKernel, DeepLinearKernel, relative_kernel_error
from theorylab.testing import thresholds as tol



@dataclass(frozen=True)
class Settings:
    linear: DeepLinearKernel
    deep: DeepLinearKernel
    wide_hidden: int
    grok: CommitteeKernel
    grok_widths: tuple[int, ...]
    fit_level: float = 0.1           # "fitted": the train loss at this fraction of its start


SETTINGS = {
    "smoke": Settings(DeepLinearKernel(d=4, svals=(2.0, 1.0), hidden=4, lr=5e-3, t_max=4.0, n_rec=11, n_probe=3),
                      DeepLinearKernel(d=4, svals=(2.0, 1.0), hidden=4, depth=3, u0=0.05, lr=5e-3, t_max=4.0,
                                       n_rec=11, n_probe=3), 8,
                      CommitteeKernel(D=12, P=40, N=40, eps=0.2, epochs=1500, net_epochs=300, record_every=50,
                                      n_probe=8, n_align=40, n_test=100), (10, 40)),
    "quick": Settings(DeepLinearKernel(d=6, svals=(3.0, 2.0, 1.0), hidden=6, lr=2e-3, t_max=8.0, n_rec=41),
                      DeepLinearKernel(d=6, svals=(3.0, 2.0, 1.0), hidden=6, depth=3, u0=0.05, lr=2e-3, t_max=8.0,
                                       n_rec=41), 24,
                      CommitteeKernel(D=30, P=120, N=150, eps=0.1, epochs=8000, net_epochs=2000, record_every=100,
                                      n_probe=24, n_align=200, n_test=1000), (30, 150)),
    "full": Settings(DeepLinearKernel(d=16, svals=(4.0, 3.0, 2.0, 1.0, 0.5), hidden=16, lr=5e-4, t_max=14.0,
                                      n_rec=141, seeds=8, n_probe=8),
                     DeepLinearKernel(d=16, svals=(4.0, 3.0, 2.0, 1.0, 0.5), hidden=16, depth=4, u0=0.05, lr=5e-4,
                                      t_max=14.0, n_rec=141, seeds=8, n_probe=8), 64,
                     CommitteeKernel(D=100, P=550, N=500, eps=0.02, eta0=0.5, epochs=100000, net_epochs=20000,
                                     record_every=1000, n_probe=32, n_align=1000, n_test=2000), (100, 500)),
}


def linear_studies(s: Settings):
    return (("linear", s.linear), ("linear wide", s.linear.replace(hidden=s.wide_hidden)), ("deep", s.deep))


def studies(s: Settings):
    out = dict(linear_studies(s))
    out.update({f"grok N={N}": s.grok.replace(N=N) for N in s.grok_widths})
    return out


def kernel_errors(res, name: str) -> np.ndarray:
    """``||K_exp - K_th||_F / ||K_th||_F`` at the experiment's records, (T, E)."""
    th, ex = res.theory(name), res.experiment(name)
    n = len(ex.t)
    if not np.allclose(th.t[:n], ex.t, rtol=1e-12, atol=0.0):
        raise ValueError(f"{name}: theory and experiment were not recorded at the same times")
    return relative_kernel_error(th["ntk"][:n, None], ex["ntk"])


def late_alignment(th, level: float) -> tuple[float, float]:
    """(epoch of half the alignment's rise, epoch at which the train loss falls to ``level`` x its start)."""
    a = th["alignment"]
    return (crossing_time(th.t, a, 0.5 * (a[0] + a[-1])),
            crossing_time(th.t, th["loss"], level * th["loss"][0], direction="down"))


def checks(res, s: Settings):
    rows = []
    for name, st in linear_studies(s):
        label = f"deep linear D={st.depth}, hidden {st.hidden}"
        err = kernel_errors(res, name)
        rows.append(assess(f"{label}: eNTK vs kernel of the Saxe solution (every seed and t)",
                           "max_t ||K_net - K_theory||_F / ||K_theory||_F", float(err.max()),
                           tol.discretisation(st.lr, constant=10.0, why="GD vs gradient flow of the mode strengths "
                                                                        "(measured 7.2 lr at D = 2)"),
                           clock=res.theory(name).clock,
                           detail={"t_worst": float(res.theory(name).t[err.max(1).argmax()])}))
    a, b = res.experiment("linear")["ntk"], res.experiment("linear wide")["ntk"]
    rows.append(assess(f"deep linear: no finite-width correction (hidden {s.linear.hidden} vs {s.wide_hidden})",
                       "max_t ||K_wide - K_narrow||_F / ||K_narrow||_F", float(relative_kernel_error(a, b).max()),
                       tol.exact(factor=10.0, why="the decoupled init makes every weight rank r: the kernel is the "
                                                  "same function of the mode strengths at any width; only round-off "
                                                  "differs")))
    rows.append(max_error(res.theory("linear"), res.experiment("linear"), "alignment",
                          threshold=tol.discretisation(s.linear.lr, constant=10.0, why="GD vs gradient flow"),
                          label=f"deep linear D=2: centred kernel-target alignment vs theory"))
    for N in s.grok_widths:
        name = f"grok N={N}"
        rows.append(assess(f"grokking N={N}: eNTK vs exact-map kernel (alpha^2/N) K_bar(w_bar, M)",
                           "max_epoch ||K_net - K_map||_F / ||K_map||_F", float(kernel_errors(res, name).max()),
                           tol.exact(factor=10.0, why="the same float64 GD computed on the weights and on (w_bar, M)"),
                           clock=res.theory(name).clock))
        rows.append(max_error(res.theory(name), res.experiment(name), "alignment",
                              threshold=tol.exact(factor=10.0, why="float64, same dynamics"),
                              label=f"grokking N={N}: alignment of the eNTK with the task, network vs exact map"))
    th = res.theory(f"grok N={max(s.grok_widths)}")
    t_align, t_fit = late_alignment(th, s.fit_level)
    rows.append(assess("grokking (exact map): the kernel aligns with the task late", "final / initial alignment",
                       float(th["alignment"][-1] / th["alignment"][0]),
                       tol.claim(1.2, "arXiv:2310.06110 Fig. 1: the NTK's alignment with the target grows during "
                                      "training (rich, not lazy)", at_least=True)))
    rows.append(assess(f"... after the train loss is fitted (to {s.fit_level:g} of its start)",
                       "epoch of half the alignment rise / epoch of the fit", t_align / t_fit,
                       tol.claim(3.0, "arXiv:2310.06110 sec. 4: train loss falls early, the kernel turns toward the "
                                      "task (and the test loss falls) much later", at_least=True),
                       clock=th.clock, detail={"t_align": t_align, "t_fit": t_fit}))
    return rows


def draw(res, s: Settings):
    fig, axes = new_figure(3, 2, width=2.9, height=2.5)
    th, ex = res.theory("linear"), res.experiment("linear")
    ax = axes[0, 0]
    lt, le = np.linalg.eigvalsh(th["ntk"])[:, ::-1], np.linalg.eigvalsh(ex["ntk"][:, 0])[:, ::-1]
    for i in range(len(s.linear.svals)):
        ax.plot(th.t, lt[:, i], "-", color=COLORS[i], label=f"eigenvalue {i + 1}, theory")
        ax.plot(ex.t[::2], le[::2, i], "o", ms=2.6, mfc="none", color=COLORS[i])
    ax.set_yscale("log")
    ax.set_ylabel("top eNTK eigenvalues (probe set)")
    ax.set_title("deep linear D=2: Saxe kernel (lines), nets (o)", fontsize=7.5)
    ax = axes[0, 1]
    for i, (name, st) in enumerate((("linear", s.linear), ("deep", s.deep))):
        theory_vs_experiment(ax, res.theory(name), res.experiment(name), "alignment", color=COLORS[i], every=2,
                             label=f"D={st.depth}")
    ax.set_ylabel("centred kernel-target alignment")
    ax.set_title("alignment with the teacher's outputs", fontsize=7.5)
    ax = axes[0, 2]
    for i, (name, st) in enumerate(linear_studies(s)):
        err = kernel_errors(res, name)
        ax.plot(res.experiment(name).t, err.max(1), "-", color=COLORS[i], label=f"D={st.depth}, hidden {st.hidden}")
    ax.set_ylabel("relative Frobenius error")
    ax.set_title(f"||K_net - K_theory|| / ||K_theory|| (lr = {s.linear.lr:g})", fontsize=7)
    for a in axes[0]:
        a.set_xlabel(th.clock.label)
        a.legend(fontsize=5.5)
    thg = res.theory(f"grok N={max(s.grok_widths)}")
    t_align, t_fit = late_alignment(thg, s.fit_level)
    for i, N in enumerate(s.grok_widths):
        g_th, g_ex = res.theory(f"grok N={N}"), res.experiment(f"grok N={N}")
        axes[1, 0].plot(g_th.t, g_th["alignment"], "-", color=COLORS[i], label=f"exact map, N={N}")
        axes[1, 0].plot(g_ex.t[::2], g_ex["alignment"][::2, 0], "o", ms=3, mfc="none", color=COLORS[i],
                        label=f"network, N={N}")
        axes[1, 1].plot(g_th.t, g_th["loss"], "--", color=COLORS[i], lw=1)
        axes[1, 1].plot(g_th.t, g_th["test_loss"], "-", color=COLORS[i], label=f"N={N} (map)")
        axes[1, 1].plot(g_ex.t[::2], g_ex["test_loss"][::2, 0], "o", ms=3, mfc="none", color=COLORS[i])
        axes[1, 2].plot(g_ex.t[1:], kernel_errors(res, f"grok N={N}")[1:, 0], "-", color=COLORS[i], label=f"N={N}")
    for a in axes[1, :2]:
        a.axvline(t_fit, color="k", lw=0.7, ls=":")
        a.axvline(t_align, color="k", lw=0.7, ls="--")
    axes[1, 0].set_ylabel("alignment of the eNTK with the task")
    axes[1, 0].set_title("fit (:), half the alignment rise (--)", fontsize=7.5)
    axes[1, 1].set_yscale("log")
    axes[1, 1].set_ylabel("loss (dashed train, solid test)")
    axes[1, 1].set_title("grokking: mean squared error", fontsize=7.5)
    axes[1, 2].set_yscale("log")
    axes[1, 2].set_ylabel("relative Frobenius error")
    axes[1, 2].set_title("||K_net - K_map|| / ||K_map||: round-off", fontsize=7)
    for a in axes[1]:
        a.set_xlabel(thg.clock.label.replace(" (", "\n(", 1), fontsize=7)
        a.legend(fontsize=5.5)
    fig.suptitle("Exact kernel trajectories: deep linear networks (Saxe solution) and the grokking network "
                 "((w_bar, M) map)", fontsize=8)
    fig.tight_layout()
    return fig


FIGURE = Figure(
    "kernel_exact", "Exact kernel trajectories over trained networks", "arXiv:1312.6120 (eq. 9, sec. 4); "
    "arXiv:2310.06110 (Fig. 1)", SETTINGS, studies=studies, checks=checks, draw=draw, quick_seconds=7,
    setup="deep linear networks from small decoupled inits on whitened data, gradient flow (Saxe 2014); quadratic "
          "committee machine, centred, GD at eta = eta0 N / alpha^2 on L = (1/P) sum (f - y)^2 (Kumar 2024, Fig. 1: "
          "D = 100, P = 550, N = 500, eps = 0.02); the eNTK of each is a function of the theory's state",
    deviations=lambda s: [f"deep linear: d = {s.linear.d}, modes {s.linear.svals}, depths 2 and {s.deep.depth}, "
                          f"GD at lr = {s.linear.lr:g} for gradient flow, probe set of {s.linear.n_probe} Gaussian "
                          f"inputs ({s.linear.n_probe * s.linear.d} kernel rows)",
                          f"grokking: D = {s.grok.D}, P = {s.grok.P}, eps = {s.grok.eps:g}, widths {s.grok_widths}; "
                          f"network trained for {s.grok.net_epochs} epochs, exact map for {s.grok.epochs}; kernel "
                          f"compared on {s.grok.n_probe} test inputs, alignment on {s.grok.n_align}"],
)
