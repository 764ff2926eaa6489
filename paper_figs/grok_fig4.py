"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Fig. 4: the test loss split into its three terms.

A width-2, uncentred quadratic committee machine (``D = 40``, ``P = 120``,
``eps = 0.25``, ``alpha = 1``) on ``y = 1/2 (beta . x)^2``.  The exact population
test loss is ``variance + misalignment + power in linear modes``
(``solvers.committee.population_test_loss``), computed from the exact
(w_bar, M) dynamics; a trained float64 network's test loss on a held-out set is
drawn over it.

Conventions: ``t = epoch = one GD step`` on ``L = (1/P) sum (f - y)^2`` (no 1/2),
``eta = eta0 N / alpha^2``.
"""
from __future__ import annotations

import numpy as np

from theorylab import Agreement, Cache, FigureResult, TrainConfig, train
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import CommitteeMachine
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers.committee import CommitteeState, exact_gd, outputs
from theorylab.tasks import PolyRegressionConfig, make_poly_regression

ID = "grok_fig4"
TITLE = "Grokking Fig. 4: test loss = variance + misalignment + power in linear modes"
SETTINGS = {
    "smoke": dict(D=20, P=60, N=2, eps=0.25, alpha=1.0, eta0=0.05, steps=1000, n_test=2000),
    "quick": dict(D=40, P=120, N=2, eps=0.25, alpha=1.0, eta0=0.05, steps=6000, n_test=5000),
    "full": dict(D=40, P=120, N=2, eps=0.25, alpha=1.0, eta0=0.02, steps=40000, n_test=20000),
}
EVERY = 20


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    task = make_poly_regression(PolyRegressionConfig(p["D"], p["P"], n_test=p["n_test"]), rng=3)
    net = CommitteeMachine(p["D"], p["N"], seeds=[0], alpha=p["alpha"], eps=p["eps"], centered=False,
                           dtype="float64", device="cpu")
    st = CommitteeState.from_network(net)
    eta = p["eta0"] * p["N"] / p["alpha"] ** 2
    ex = cache.get_or_compute(run_key(ID, 1, p), lambda: exact_gd(
        task.x_train, task.y_train, st, eta=eta, steps=p["steps"], record_every=EVERY, beta=task.beta[0]))
    xt, yt = net.as_input(task.x_test), net.as_input(task.y_test)
    tr = train(net, task.x_train, task.y_train[:, None],
               TrainConfig(lr=eta, t_record=2 * eta * np.arange(0, p["steps"] + 1, 10 * EVERY), reduction="mse"),
               observables={"test": lambda m: ((m(xt)[..., 0] - yt) ** 2).mean(-1)})
    ep = np.arange(len(ex)) * EVERY
    # the exact map's test-set loss at the network's recording epochs, and its Monte-Carlo spread
    idx = np.arange(0, len(ex), 10)
    sq = np.array([(outputs(task.x_test, ex["wbar"][i], ex["M"][i], st) - task.y_test) ** 2 for i in idx])
    set_loss = sq.mean(axis=1)
    z = np.abs(set_loss - ex["pop_test_loss"][idx]) / (sq.std(axis=1) / np.sqrt(sq.shape[1]))
    agreements = [
        Agreement(f"population test loss (3 terms) vs {p['n_test']}-point test set", "max |difference| / standard error",
                  float(z.max()), 4.0),
        Agreement("trained network's test-set loss vs exact map (same test set)", "max relative difference",
                  float(np.max(np.abs(tr["test"][:, 0] / set_loss - 1))), 1e-9),
    ]
    with style():
        fig, axes = new_figure(1, 1, width=4.4, height=3.1)
        ax = axes[0, 0]
        ax.plot(ep, ex["pop_test_loss"], color="k", lw=1.8, label="population test loss")
        for c, (k, lab) in zip(COLORS, (("pop_variance", "variance (Tr Q / D)^2"),
                                        ("pop_misalignment", "misalignment 2||Q||^2 / D^2"),
                                        ("pop_linear_power", "power in linear modes |a|^2 / D"))):
            ax.plot(ep, ex[k], color=c, label=lab)
        ax.plot(ep, ex["train_loss"], "--", color="gray", lw=1, label="train loss")
        ax.plot(ep[idx], tr["test"][:, 0], "o", ms=3, mfc="none", color=COLORS[4],
                label=f"trained net, {p['n_test']}-point test set")
        ax.set_yscale("log")
        ax.set_xlabel("t = epoch (GD step)")
        ax.set_ylabel("loss (1/P) sum (f - y)^2")
        ax.legend(fontsize=6)
        ax.set_title(f"{TITLE}\nD={p['D']}, P={p['P']}, N={p['N']}, eps={p['eps']}, not centred", fontsize=7)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "t = epoch = one GD step on L = (1/P) sum (f - y)^2, "
                        "eta = eta0 N / alpha^2", mode)
