"""Coarse labels, linear theory (cf. Yang, Steinhardt & Hu, ICML 2023): what fine structure survives.

Two-layer linear networks (hidden width 16, 4 seeds, decoupled small start on
the coarse modes plus small random weights on the fine directions) trained by
full-batch GD on a ``C = 3`` x ``S = 3`` Gaussian mixture with one-hot *coarse*
labels.  Lines: the closed-form prediction (``solvers.coarse_linear``): the
coarse classes separate along a Saxe sigmoid, the fine weights inside the
second layer's row space decay, those outside it stay -- so the fine classes
stay apart while the coarse NC1 collapses.  Markers: trained networks, hidden
distances between the exact class means.  Right: coarse NC1 and fine
clustering accuracy of the trained networks' hidden representations.

Conventions: ``L = 1/2 mean ||y - W_2 W_1 x||^2``, gradient-flow time ``t = lr * step``.
"""
from __future__ import annotations

import numpy as np
import torch

from theorylab import Agreement, Cache, FigureResult, TrainConfig, train
from theorylab.figures import figure_maker, save_figure
from theorylab.collapse import fine_clustering_accuracy, nc1
from theorylab.nets import DeepLinear
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers.coarse_linear import coarse_label_separations
from theorylab.tasks.gaussian_mixture import MixtureConfig, make_mixture

ID = "coarse_linear"
QUICK_SECONDS = 4  # measured quick-mode cost on 2 CPU cores, one thread
TITLE = "Coarse labels, two-layer linear network: coarse classes separate, fine structure survives"
SETTINGS = {
    "smoke": dict(n=100, hidden=16, seeds=2, a0=1e-3, eps=0.05, lr=0.05, t_max=40.0),
    "quick": dict(n=300, hidden=16, seeds=4, a0=1e-3, eps=0.05, lr=0.05, t_max=60.0),
    "full": dict(n=2000, hidden=32, seeds=16, a0=1e-4, eps=0.02, lr=0.02, t_max=80.0),
}


def _separations(W, mix):
    mu = mix.fine_means
    C, S = mu.shape[:2]
    hc, hf = mu.mean(axis=1) @ W.T, mu @ W.T
    coarse = np.mean([np.linalg.norm(hc[i] - hc[j]) for i in range(C) for j in range(i + 1, C)])
    fine = np.mean([np.linalg.norm(hf[c, i] - hf[c, j]) for c in range(C) for i in range(S) for j in range(i + 1, S)])
    return coarse, fine


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    cfg = MixtureConfig(C=3, S=3, d=12, coarse_sep=3.0, fine_offset=1.5, noise=0.3, n=p["n"], offsets="simplex")
    mix = make_mixture(cfg, rng=1)
    C, d, h, a0 = cfg.C, cfg.d, p["hidden"], p["a0"]
    seeds = list(range(p["seeds"]))
    net = DeepLinear([d, h, C], seeds=seeds, init="decoupled", U=np.eye(C), V=np.eye(d)[:, :C], u0=a0,
                     dtype="float64", device="cpu")
    fine_cols = slice(C, C + C * (cfg.S - 1))
    W1_0 = net.weights[0].detach().numpy().copy()
    for e, s in enumerate(seeds):                      # small random weights on the fine directions
        W1_0[e][:, fine_cols] += p["eps"] * np.random.default_rng(100 + s).normal(size=(h, C * (cfg.S - 1)))
    with torch.no_grad():
        net.weights[0].copy_(torch.as_tensor(W1_0))
    R = [net.weights[1].detach().numpy()[e].T / np.sqrt(a0) for e in range(len(seeds))]
    t = np.linspace(0, p["t_max"], 31)
    xx = net.as_input(mix.x)
    tr = train(net, mix.x, np.eye(C)[mix.coarse], TrainConfig(lr=p["lr"], t_record=t),
               observables={"W1": lambda m: m.weights[0], "H": lambda m: torch.matmul(xx, m.weights[0].transpose(1, 2))})
    th = [coarse_label_separations(t, cfg, W1_0[e], R[e], a0) for e in range(len(seeds))]
    ex = np.array([[_separations(tr["W1"][k, e], mix) for e in range(len(seeds))] for k in range(len(t))])  # (T,E,2)
    th_c = np.stack([x["coarse"] for x in th], 1)
    th_f = np.stack([x["fine"] for x in th], 1)
    err_c = float(np.max(np.abs(ex[:, :, 0] / th_c - 1)))
    err_f = float(np.max(np.abs(ex[:, :, 1] / th_f - 1)))
    nc1_t = np.array([np.mean([nc1(tr["H"][k, e], mix.coarse) for e in range(len(seeds))]) for k in range(len(t))])
    fca = np.array([np.mean([fine_clustering_accuracy(tr["H"][k, e], mix.coarse, mix.fine) for e in range(len(seeds))])
                    for k in (0, len(t) - 1)])
    agreements = [
        Agreement("coarse separation: theory vs trained", "max relative error over seeds and t", err_c, 0.05),
        Agreement("fine separation: theory vs trained", "max relative error over seeds and t", err_f, 0.05),
        Agreement("coarse NC1 collapses", "NC1 at the start / at the end", float(nc1_t[0] / nc1_t[-1]), 10.0,
                  higher_is_better=True, detail={"nc1": [float(nc1_t[0]), float(nc1_t[-1])]}),
        Agreement("fine classes stay recoverable", "fine clustering accuracy of the hidden layer at the end",
                  float(fca[-1]), 0.9, higher_is_better=True, detail={"start": float(fca[0])}),
    ]
    with style():
        fig, axes = new_figure(3, 1, width=3.1, height=2.7)
        for ax, j, key, lab in ((axes[0, 0], 0, th_c, "coarse"), (axes[0, 1], 1, th_f, "fine")):
            for e, c in zip(range(len(seeds)), COLORS):
                ax.plot(t, key[:, e], color=c, lw=1)
                ax.plot(t[::2], ex[::2, e, j], "o", ms=3, mfc="none", color=c)
            ax.set_xlabel("t = lr * step")
            ax.set_ylabel(f"hidden distance between {lab} class means")
            ax.set_title(f"{lab}: lines theory, markers trained ({len(seeds)} seeds)", fontsize=7)
        ax = axes[0, 2]
        ax.semilogy(t, nc1_t, color=COLORS[0], label="coarse NC1 (hidden layer)")
        ax.set_xlabel("t = lr * step")
        ax.set_ylabel("NC1")
        ax.legend(fontsize=6)
        ax.set_title(f"fine clustering accuracy: {fca[0]:.2f} -> {fca[-1]:.2f}", fontsize=7)
        fig.suptitle(TITLE, fontsize=8)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "t = lr * step (gradient flow of L = 1/2 mean ||y - f||^2)", mode)
