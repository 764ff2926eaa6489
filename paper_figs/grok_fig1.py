"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Fig. 1 at reduced size: network vs its linearisation.

A centred quadratic committee machine (``D = 30``, ``P = 120``, ``N = 150``,
``eps = 0.1``, ``alpha = 1``) on ``y = 1/2 (beta . x)^2``.  (a) Train and test
loss of a trained float64 network (markers, first ``net_steps`` epochs) over
the exact (w_bar, M) dynamics (lines), next to the linearised (lazy) model on the initial NTK and
the test loss of ridgeless kernel regression with that NTK -- the lazy
model's ``t -> inf`` limit, which needs ``P ~ D^2`` samples to generalise.
(b) Centred kernel alignment (CKA) of the network's NTK with the training
labels over training: the kernel turns toward the target while the test loss
falls.  The NTK is a function of (w_bar, M), so it is exact at every step.

Conventions: ``L = (1/P) sum (f - y)^2``, ``t = epoch = one GD step`` with
``eta = eta0 N / alpha^2``; the linearised model takes the same steps
(``f <- f - (2 eta0 / P) K_bar Delta``); test losses are on a ``n_test``-point test set.
"""
from __future__ import annotations

import numpy as np

from theorylab import Agreement, Cache, FigureResult, TrainConfig, train
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import CommitteeMachine
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers.committee import initial_ntk, kernel_alignment, lazy_gd, ntk
from theorylab.tasks import PolyRegressionConfig, make_poly_regression

from . import _grok

ID = "grok_fig1"
QUICK_SECONDS = 5  # measured quick-mode cost on 2 CPU cores, one thread
TITLE = "Grokking Fig. 1: the network leaves its linearisation; its NTK aligns with the target"
SETTINGS = {
    "smoke": dict(D=12, P=40, N=40, eps=0.2, alpha=1.0, alpha_lazy=1024.0, eta0=1.0, steps=1500, n_test=500,
                  net_steps=600, net_every=100),
    "quick": dict(D=30, P=120, N=150, eps=0.1, alpha=1.0, alpha_lazy=1024.0, eta0=1.0, steps=8000, n_test=2000,
                  net_steps=2000, net_every=200),
    "full": dict(D=100, P=550, N=500, eps=0.02, alpha=1.0, alpha_lazy=1024.0, eta0=0.5, steps=100000, n_test=2000,
                 net_steps=20000, net_every=1000),
}
EVERY = 50


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    task = make_poly_regression(PolyRegressionConfig(p["D"], p["P"], n_test=p["n_test"]), rng=0)
    st = _grok.state(p["D"], p["N"], p["alpha"], p["eps"])
    st_lazy = _grok.state(p["D"], p["N"], p["alpha_lazy"], p["eps"])      # same weights, large output scale
    ex, ex_lazy = cache.get_or_compute(run_key(ID, 2, p), lambda: _grok.run(
        task.x_train, task.y_train, [st, st_lazy], eta0=p["eta0"], steps=p["steps"], every=EVERY,
        X_test=task.x_test, y_test=task.y_test, beta=task.beta[0]))
    ep = _grok.epochs(ex, EVERY)
    # the trained network (float64), recorded every net_every epochs
    net = CommitteeMachine(p["D"], p["N"], seeds=[0], alpha=p["alpha"], eps=p["eps"], dtype="float64", device="cpu")
    eta = p["eta0"] * p["N"] / p["alpha"] ** 2
    xt, yt = net.as_input(task.x_test), net.as_input(task.y_test)
    net_ep = np.arange(0, p["net_steps"] + 1, p["net_every"])
    tr = train(net, task.x_train, task.y_train[:, None],
               TrainConfig(lr=eta, t_record=2 * eta * net_ep, reduction="mse"),
               observables={"test": lambda m: ((m(xt)[..., 0] - yt) ** 2).mean(-1)})
    idx = net_ep // EVERY
    # the linearised model on the initial NTK, same steps (KernelGD time 2 eta0 m, 1/2-mean loss)
    lazy = lazy_gd(task.x_train, task.y_train, st, eta0=p["eta0"], X_test=task.x_test)
    lazy_train, lazy_test = 2 * lazy.train_loss(2 * p["eta0"] * ep), 2 * lazy.test_loss(2 * p["eta0"] * ep,
                                                                                         task.y_test)
    K0 = initial_ntk(task.x_train, task.x_train, st)
    f_kr = initial_ntk(task.x_test, task.x_train, st) @ np.linalg.lstsq(K0, task.y_train, rcond=None)[0]
    kr_test = float(np.mean((f_kr - task.y_test) ** 2))
    cka_idx = np.unique(np.r_[np.arange(0, len(ex), max(1, len(ex) // 60)), len(ex) - 1])
    cka = np.array([kernel_alignment(ntk(task.x_train, task.x_train, ex["wbar"][i], ex["M"][i], st), task.y_train)
                    for i in cka_idx])
    L0 = ex["train_loss"][0]
    times = _grok.grok_times(ex, EVERY, "test_loss")
    t_cka = float(np.interp(0.5 * (cka[0] + cka[-1]), cka, ep[cka_idx])) if cka[-1] > cka[0] else np.nan
    agreements = [
        Agreement("trained network vs exact (w_bar, M) dynamics", "max relative difference (train and test loss)",
                  float(max(np.max(np.abs(tr["loss"][:, 0] / ex["train_loss"][idx] - 1)),
                            np.max(np.abs(tr["test"][:, 0] / ex["test_loss"][idx] - 1)))), 1e-9),
        Agreement(f"at alpha = {p['alpha_lazy']:g} the network is its linearisation",
                  "max |L_net - L_lin| / L_0 over the run (train and test)",
                  float(max(np.max(np.abs(ex_lazy["train_loss"] - lazy_train)),
                            np.max(np.abs(ex_lazy["test_loss"] - lazy_test))) / L0), 0.01),
        Agreement(f"at alpha = {p['alpha']:g} it leaves it", "max |L_net - L_lin| / L_0 over the run (test)",
                  float(np.max(np.abs(ex["test_loss"] - lazy_test)) / L0), 0.2, higher_is_better=True),
        Agreement("rich network beats kernel regression (P << D^2)", "final network test loss / kernel-regression "
                  "test loss", float(ex["test_loss"][-1] / kr_test), 0.5),
        Agreement("linearised model stays near kernel regression, far above the network",
                  "lazy test loss / network test loss, at the end", float(lazy_test[-1] / ex["test_loss"][-1]), 3.0,
                  higher_is_better=True, detail={"lazy_final_over_kernel_regression": float(lazy_test[-1] / kr_test)}),
        Agreement("NTK aligns with the target during training", "final CKA / initial CKA", float(cka[-1] / cka[0]),
                  1.3, higher_is_better=True, detail={"cka_initial": float(cka[0]), "cka_final": float(cka[-1])}),
        Agreement("the kernel aligns before the test loss falls (info)",
                  "epoch of half the CKA rise / epoch of 50% test loss", float(t_cka / times["t_test"]), 1.0,
                  gating=False,
                  detail={"t_cka_half": t_cka, "t_test": times["t_test"], "t_train": times["t_train"]}),
    ]
    with style():
        fig, axes = new_figure(2, 1, width=3.6, height=2.9)
        ax = axes[0, 0]
        x = ep + EVERY
        ax.loglog(x, ex["train_loss"], "--", color=COLORS[0], label="network train (exact dynamics)")
        ax.loglog(x, ex["test_loss"], "-", color=COLORS[0], label="network test")
        ax.loglog(x, lazy_train, "--", color=COLORS[1], label="linearised train")
        ax.loglog(x, lazy_test, "-", color=COLORS[1], label="linearised test")
        ax.loglog(x[::8], ex_lazy["test_loss"][::8], "x", ms=3, color=COLORS[1],
                  label=f"network test, alpha={p['alpha_lazy']:g}")
        ax.axhline(kr_test, color="k", lw=0.8, label="kernel regression, initial NTK")
        ax.loglog(net_ep + EVERY, tr["loss"][:, 0], "o", ms=3, mfc="none", color="k", label="trained net (train)")
        ax.loglog(net_ep + EVERY, tr["test"][:, 0], "s", ms=3, mfc="none", color="k", label="trained net (test)")
        ax.set_xlabel("epoch (GD step)")
        ax.set_ylabel("loss (1/P) sum (f - y)^2")
        ax.legend(fontsize=5.5)
        ax = axes[0, 1]
        ax.semilogx(ep[cka_idx] + EVERY, cka, color=COLORS[2], label="CKA(NTK(t), y)")
        ax.set_xlabel("epoch (GD step)")
        ax.set_ylabel("centred kernel alignment")
        ax2 = ax.twinx()
        ax2.loglog(x, ex["test_loss"] / ex["test_loss"][0], color=COLORS[0], lw=0.8, alpha=0.6)
        ax2.set_ylabel("test loss / initial", fontsize=7, color=COLORS[0])
        ax.legend(fontsize=6, loc="upper left")
        fig.suptitle(f"{TITLE}\nD={p['D']}, P={p['P']}, N={p['N']}, eps={p['eps']}, alpha={p['alpha']}",
                     fontsize=7)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, _grok.CONVENTION + "; losses on a test set; the linearised model "
                        "takes the same steps", mode)

