"""Zhang, Wang & Su, NeurIPS 2021 (arXiv:2110.05960), at reduced scale: label corruption and the LE tail index.

A LeNet-like convolutional net trained by SGD with batch size 1 on the
synthetic shapes task (triangles, rectangles, ellipses; rotation, jitter,
blur) with a fraction ``p`` of training labels corrupted.  Class-mean logits on
a clean probe set are logged during training; the locally elastic "I" model is
inverted (``solvers.elastic.estimate_AB``) to give the cumulative intra/inter
impacts ``A(t)``, ``B(t)``, and the tail index ``r = 1 - mean(log A / log t)``
over the second half of training.  Left: clean validation accuracy vs ``p``
(chance 1/3; ``p = 2/3`` is pure noise).  Middle: tail index vs ``p``
(``r < 1``: ``A`` grows without bound, locally elastic training; marked
"non-elastic" where ``A`` ends non-positive).  Third: ``A(t)`` and ``B(t)``.
Right: the LE-ODE ("I" model) run with the fitted ``A(t)``, ``B(t)`` from the
initial class means, next to the real class-mean logits (clean labels).

Conventions: ``t`` = SGD iteration (batch size 1, lr 0.005); loss = cross-entropy.
"""
from __future__ import annotations

import numpy as np
import torch

from theorylab import Agreement, Cache, FigureResult
from theorylab.cache import run_key
from theorylab.coarse import train_logging_logits
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import LeNet
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers.elastic import estimate_AB, le_ode_solution, tail_index
from theorylab.tasks.shapes import ShapesConfig, make_shapes

ID = "shapes_corruption"
QUICK_SECONDS = 45  # measured quick-mode cost on 2 CPU cores, one thread: schedules it early
TITLE = "Shapes task: validation accuracy and locally elastic tail index vs label corruption"
SETTINGS = {
    "smoke": dict(n=60, steps=300, every=50, ps=(0.0, 0.7), n_val=30, n_probe=10),
    "quick": dict(n=300, steps=3000, every=100, ps=(0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8), n_val=100, n_probe=30),
    "full": dict(n=2000, steps=10000, every=100, ps=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.67, 0.7, 0.8),
                 n_val=500, n_probe=100),
}


def _tail(t, A):
    """Tail index, or NaN when A(t) is not positive over the late window (no local elasticity)."""
    late = t >= np.quantile(t, 0.5)
    if np.any(A[late] <= 0):
        return np.nan
    return tail_index(t, A)


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    val = make_shapes(ShapesConfig(p["n_val"]), rng=99)
    probe = make_shapes(ShapesConfig(p["n_probe"]), rng=98)
    runs, accs = [], []
    for q in p["ps"]:
        data = make_shapes(ShapesConfig(p["n"], corruption=q), rng=1)
        model = LeNet(seed=0)
        tr = cache.get_or_compute(run_key(ID, 1, p, run_p=q), lambda: _train(model, data, probe, val, p))
        runs.append(tr)
        accs.append(float(tr.meta["val_acc"]))
    AB = [estimate_AB(tr["means"], "I") for tr in runs]
    r = np.array([_tail(tr.t, A) for tr, (A, _) in zip(runs, AB)])
    ps, accs = np.asarray(p["ps"]), np.asarray(accs)
    low, high = ps <= 0.2, ps >= 0.6
    elastic_low = float(np.mean(np.nan_to_num(r[low], nan=np.inf) < 1))
    nonelastic_high = float(np.mean(np.nan_to_num(r[high], nan=np.inf) > 1))
    fit = le_ode_solution(runs[0]["means"][0], *AB[0], "I")
    real = runs[0]["means"]
    fit_err = float(np.max(np.abs(fit - real)) / np.max(np.abs(real)))
    agreements = [
        Agreement("LE-ODE (I model, fitted A, B) vs real class-mean logits at p = 0 (info)",
                  "max |ODE - real| / max |real|", fit_err, 0.25, gating=False),
        Agreement("clean validation accuracy without corruption", "accuracy at p = 0", float(accs[0]), 0.8,
                  higher_is_better=True),
        Agreement("near chance once corruption dominates (p >= 0.6)", "max accuracy over p >= 0.6",
                  float(accs[high].max()), 0.45, detail={"acc": accs.tolist(), "p": ps.tolist()}),
        Agreement("tail-index transition: r < 1 at p <= 0.2, r > 1 (or A <= 0) at p >= 0.6",
                  "fraction of runs on the expected side", min(elastic_low, nonelastic_high), 1.0,
                  higher_is_better=True, detail={"tail_index": [None if np.isnan(v) else float(v) for v in r]}),
    ]
    with style():
        fig, axes = new_figure(4, 1, width=3.0, height=2.7)
        ax = axes[0, 0]
        ax.plot(ps, accs, "o-", color=COLORS[0])
        ax.axhline(1 / 3, color="gray", lw=0.8, ls=":", label="chance")
        ax.axvline(2 / 3, color="gray", lw=0.8, ls="--", label="p = 2/3: pure noise")
        ax.set_xlabel("label corruption p")
        ax.set_ylabel("clean validation accuracy")
        ax.legend(fontsize=6)
        ax = axes[0, 1]
        ok = ~np.isnan(r)
        ax.plot(ps[ok], r[ok], "o-", color=COLORS[1], label="tail index r")
        ax.plot(ps[~ok], np.full((~ok).sum(), 1.5), "x", color="k", label="non-elastic (A <= 0 late)")
        ax.axhline(1.0, color="gray", lw=0.8, ls=":")
        ax.set_xlabel("label corruption p")
        ax.set_ylabel("r = 1 - mean(log A / log t)")
        ax.legend(fontsize=6)
        ax = axes[0, 2]
        for (A, B), q, c in zip(AB, ps, COLORS * 2):
            if q in (ps[0], ps[-1]) or abs(q - 0.5) < 1e-9:
                ax.plot(runs[0].t, A, color=c, label=f"A, p={q:g}")
                ax.plot(runs[0].t, B, "--", color=c, label=f"B, p={q:g}")
        ax.set_xlabel("t = SGD iteration")
        ax.set_ylabel("estimated cumulative impacts")
        ax.legend(fontsize=6)
        ax = axes[0, 3]
        for k, c in zip(range(real.shape[1]), COLORS):
            ax.plot(runs[0].t, real[:, k, k], color=c, label=f"class {k}: own logit")
            ax.plot(runs[0].t, real[:, k, (k + 1) % real.shape[1]], ":", color=c)
            ax.plot(runs[0].t[::3], fit[::3, k, k], "o", ms=3, mfc="none", color=c)
        ax.set_xlabel("t = SGD iteration")
        ax.set_ylabel("class-mean logits (markers: LE-ODE fit)")
        ax.legend(fontsize=6)
        fig.suptitle(f"{TITLE}; {p['n']} images per class, {p['steps']} iterations", fontsize=8)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "t = SGD iteration (batch size 1, lr 0.005); loss = cross-entropy on "
                        "corrupted labels; accuracy on clean validation labels", mode)


def _train(model, data, probe, val, p):
    tr = train_logging_logits(model, data.images, data.labels, probe.images, probe.clean, steps=p["steps"],
                              lr=0.005, record_every=p["every"], rng=0)
    with torch.no_grad():
        acc = (model(torch.as_tensor(val.images, dtype=torch.float32)).argmax(1).numpy() == val.clean).mean()
    tr.meta["val_acc"] = float(acc)
    return tr
