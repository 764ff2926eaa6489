"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Fig. 9 at reduced size: the "goldilocks" sample size.

Exact (w_bar, M) dynamics of a centred quadratic committee machine
(``D = 30``, ``N = 150``, ``eps = 0.1``, ``alpha = 1``) for three training-set
sizes.  With too few points (``P ~ 2D``) the network fits the training set and
never generalises; at ``P ~ 4D`` it groks (test loss rises, then falls long
after the train loss); with many points (``P ~ 20D``) train and test fall
together.  Grokking needs ``D << P << D^2 / eps``.

Conventions: ``L = (1/P) sum (f - y)^2``, ``t = epoch = one GD step``,
``eta = eta0 N / alpha^2``; test loss = exact population loss.
"""
from __future__ import annotations

from theorylab import Agreement, Cache, FigureResult
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.plotting import COLORS, new_figure, style
from theorylab.tasks import PolyRegressionConfig, make_poly_regression

from . import _grok

ID = "grok_fig9"
QUICK_SECONDS = 6  # measured quick-mode cost on 2 CPU cores, one thread
TITLE = "Grokking Fig. 9: a goldilocks training-set size"
SETTINGS = {
    "smoke": dict(D=12, N=40, eta0=1.0, steps=2000, alpha=2.0, eps=0.1, Ps=(20, 48, 240)),
    "quick": dict(D=30, N=150, eta0=1.0, steps=8000, alpha=1.0, eps=0.1, Ps=(60, 120, 600)),
    "full": dict(D=100, N=500, eta0=0.5, steps=100000, alpha=1.0, eps=0.02, Ps=(50, 120, 500)),
}
EVERY = 50


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    st = _grok.state(p["D"], p["N"], p["alpha"], p["eps"])

    def one(P):
        task = make_poly_regression(PolyRegressionConfig(p["D"], P, n_test=10), rng=0)
        return _grok.run(task.x_train, task.y_train, [st], eta0=p["eta0"], steps=p["steps"], every=EVERY,
                         beta=task.beta[0])[0]

    runs = [cache.get_or_compute(run_key(ID, 1, p, run_P=P), lambda: one(P)) for P in p["Ps"]]
    tm = [_grok.grok_times(r, EVERY) for r in runs]
    small, mid, large = tm
    agreements = [
        Agreement(f"P = {p['Ps'][0]}: fits but never generalises", "final test loss / initial",
                  small["final"], 0.5, higher_is_better=True, detail={"t_train": small["t_train"]}),
        Agreement(f"P = {p['Ps'][1]}: groks", "t_test(50%) / t_train(10%)", mid["t_test"] / mid["t_train"], 2.0,
                  higher_is_better=True, detail={"rise": mid["rise"]}),
        Agreement(f"P = {p['Ps'][2]}: train and test fall together", "t_test(50%) / t_train(10%)",
                  large["t_test"] / large["t_train"], 1.0, detail={"rise": large["rise"]}),
    ]
    with style():
        fig, axes = new_figure(1, 1, width=4.2, height=3.0)
        _grok.plot_losses(axes[0, 0], runs, [f"P={P} ({P / p['D']:g} D)" for P in p["Ps"]], EVERY, COLORS)
        axes[0, 0].legend(fontsize=6)
        axes[0, 0].set_title(f"{TITLE}\nD={p['D']}, N={p['N']}, eps={p['eps']}, alpha={p['alpha']}", fontsize=7)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, _grok.CONVENTION + "; test loss = exact population loss", mode)
