"""Shared pieces of the SIM figures (Yang et al., ICLR 2025, arXiv:2410.08309).

Networks are trained exactly as in the paper's experiments: plain SGD, batch
128, ``torch.nn.functional.mse_loss`` (mean over batch *and* the d outputs),
reshuffled every epoch, PyTorch's default ``nn.Linear`` init unless a smaller
``init_scale`` is asked for.  Theory time is the gradient-flow time of
``1/2 E||f(x) - x||^2``: one SGD step is ``t = 2 lr / d`` (stored in each
trajectory's metadata).  Outputs are recorded at the probes and mapped back to
concept coordinates.
"""
from __future__ import annotations

import numpy as np
import torch

from theorylab.cache import run_key
from theorylab import TrainConfig, Trajectory, train
from theorylab.nets import MLP
from theorylab.tasks import SIMConfig, make_sim

TIME_LABEL = "t = 2 lr step / d  (gradient flow of 1/2 E||f - x||^2)"
PAPER_TIME_LABEL = "paper time (dW/dt = V(W)) = 2 x gradient-flow time"


def sim_tasks(configs: list[SIMConfig], data_seed: int = 0) -> list:
    """The (deterministic) tasks of several configs."""
    return [make_sim(c, rng=data_seed + 17 * i) for i, c in enumerate(configs)]


def sim_configs_data(configs: list[SIMConfig], seeds: list[int], data_seed: int = 0):
    """Per-member training data for several configs x seeds (member order: config-major).

    Every member draws its own training set, so seed-to-seed spread includes
    the sampling error of the data's second moment, not only init and SGD order.
    """
    tasks = sim_tasks(configs, data_seed)
    xs = [task.sample(rng=data_seed + 1000 * (i + 1) + s).x for i, task in enumerate(tasks) for s in seeds]
    return tasks, np.stack(xs)


def train_sim(configs: list[SIMConfig], *, seeds: list[int], widths_hidden: list[int], activation: str = "linear",
              bias: bool = False, lr: float = 0.1, batch_size: int = 128, t_max: float, n_rec: int = 60,
              init_scale: float = 1.0, compositions: bool = False, data_seed: int = 0) -> Trajectory:
    """Train one MLP per (config, seed) as one batched ensemble on per-member SIM data.

    Every config must share ``d`` and the number of training points.  Records
    ``ood`` (E, s): output at x_hat in concept coordinates; ``ood_loss``:
    ``1/2 ||f(x_hat) - x_hat||^2``; with ``compositions``, ``comp_loss`` (E, 2^s).
    """
    tasks, X = sim_configs_data(configs, seeds, data_seed)
    d = configs[0].d
    member_seeds = [s + 1000 * i for i in range(len(configs)) for s in seeds]
    net = MLP([d, *widths_hidden, d], seeds=member_seeds, activation=activation, bias=bias, init="torch",
              init_scale=init_scale, dtype="float32", device="cpu")
    probes = np.stack([t.ood_probe[None] for t in tasks for _ in seeds])                       # (E, 1, d)
    Qs = np.stack([t.Q[:, : t.config.n_concepts] for t in tasks for _ in seeds])               # (E, d, s)
    probe_t, Q_t = net.as_input(probes), net.as_input(Qs)
    xhat_c = torch.as_tensor(np.stack([np.asarray(t.config.signal) for t in tasks for _ in seeds]), dtype=torch.float32)

    def ood(m):
        return (m(probe_t)[:, 0, :].unsqueeze(1) @ Q_t)[:, 0, :]                               # (E, s)

    obs = {"ood": ood, "ood_loss": lambda m: 0.5 * ((ood(m) - xhat_c.to(probe_t)) ** 2).sum(-1)}
    if compositions:
        comps = np.stack([t.compositions()[1] for t in tasks for _ in seeds])                   # (E, 2^s, d)
        comp_t = net.as_input(comps)

        def comp_loss(m):
            return 0.5 * ((m(comp_t) - comp_t) ** 2).sum(-1)

        obs["comp_loss"] = comp_loss
    cfg = TrainConfig(lr=lr, t_record=np.linspace(0, t_max, n_rec), optimizer="sgd", batch_size=batch_size,
                      reduction="mse")
    return train(net, X, X, cfg, observables=obs, meta={"configs": [repr(c) for c in configs]})


def split_members(traj: Trajectory, n_configs: int) -> list[Trajectory]:
    """Split a config-major ensemble into one trajectory per config."""
    E = traj.n_seeds
    k = E // n_configs
    return [Trajectory(traj.t, {n: v[:, i * k:(i + 1) * k] for n, v in traj.obs.items()}, traj.meta, n_seeds=k)
            for i in range(n_configs)]


# ----------------------------------------------------------- multi-descent figures
def _U0(p: dict) -> np.ndarray:
    """One init per member: ``U0 ~ uniform(0, 1) * scale`` (the paper's Fig. 5 init), seeded per member."""
    d = p["d"]
    return np.stack([np.random.default_rng(1000 + e).uniform(0, 1, (d, d)) * p["scale"] for e in range(p["seeds"])])


def multi_descent(p: dict, cache, fig_id: str):
    """Symmetric two-layer theory vs trained ``U U^T`` networks over several init draws.

    Each member starts from its own ``U0 ~ uniform(0, 1) * scale``; theory is
    integrated from the same ``U0`` (equations' rates A, gradient-flow clock,
    matching GD with ``t = lr * step`` on population data ``X^T X / P = A``).
    Returns (paper-time grid, theory OOD losses (T, E), experiment trajectory,
    A2-rate theory OOD losses, rates, probe).
    """
    from theorylab.nets import SymmetricLinear
    from theorylab.solvers import sim
    from theorylab.tasks import concept_rates

    mu = np.asarray(p["mu"], float)
    s = mu.size
    d = p["d"]
    cfg = SIMConfig(tuple(mu), noise_std=p["sigma"], dim=d)
    a = np.r_[concept_rates(cfg), np.zeros(d - s)]
    z = np.r_[mu, np.zeros(d - s)]
    U0 = _U0(p)
    t_gf = np.linspace(0, p["t_paper"] / 2, p["n_rec"])
    key = run_key(fig_id, 1, p)

    def run():
        net = SymmetricLinear(d, seeds=list(range(p["seeds"])), U0=U0, dtype="float64", device="cpu")
        X = np.sqrt(d) * np.diag(np.sqrt(np.where(a > 0, a, 0.0)))
        zt = net.as_input(z)
        return train(net, X, X, TrainConfig(lr=p["lr"], t_record=t_gf),
                     observables={"ood_loss": lambda m: 0.5 * ((m.weight() @ zt - zt) ** 2).sum(-1)})

    exp = cache.get_or_compute(key, run)
    th = np.stack([sim.ood_loss(sim.two_layer_symmetric(exp.t, a, U0[e]), z) for e in range(p["seeds"])], axis=1)
    tp = np.linspace(0, p["t_paper"], p["n_rec"])
    th_a2 = np.stack([sim.ood_loss(sim.two_layer_symmetric(tp, a, U0[e], convention="paper", rates="A2"), z)
                      for e in range(p["seeds"])], axis=1)
    return 2 * exp.t, th, exp, tp, th_a2, a, z


def count_rises(L, rel: float = 0.05, floor: float = 1e-4) -> int:
    """Number of bumps: local maxima more than ``rel`` (relative) above the minimum since the last bump.

    Relative to the current level, i.e. what a log-scale plot of the loss
    shows; maxima below ``floor * L[0]`` are ignored (round-off once learnt).
    """
    L = np.asarray(L, float)
    n, low = 0, L[0]
    for i in range(1, len(L) - 1):
        low = min(low, L[i])
        if L[i] > L[i - 1] and L[i] >= L[i + 1] and L[i] > (1 + rel) * low and L[i] > floor * L[0]:
            n += 1
            low = L[i]
    return n


def _ood_left(L_ood, L_train) -> float:
    """OOD loss (relative to its start) when the training loss first falls below 1% of its start."""
    i = int(np.argmax(L_train < 0.01 * L_train[0]))
    return float(L_ood[i] / L_ood[0]) if L_train[i] < 0.01 * L_train[0] else float("nan")


def make_multi_descent(fig_id: str, title: str, p: dict, out_dir, cache, mode: str, expect: int | None):
    """Figure + agreement rows for the multiple-descent family (Figs. 8-10).

    ``expect``: rises that make the paper's (expect + 1)-fold descent; ``None``
    for the failure case, which reports the OOD loss left when training is done.
    """
    from theorylab import Agreement, FigureResult
    from theorylab.figures import save_figure
    from theorylab.plotting import COLORS, new_figure, style

    t_paper, th, exp, tp, th_a2, a, z = multi_descent(p, cache, fig_id)
    ex = exp["ood_loss"]
    err = float(np.abs(ex - th).max() / th[0].max())
    n_th = [count_rises(th[:, e]) for e in range(th.shape[1])]
    n_ex = [count_rises(ex[:, e]) for e in range(ex.shape[1])]
    n_a2 = [count_rises(th_a2[:, e]) for e in range(th_a2.shape[1])]
    agreements = [
        Agreement("trained U U^T nets vs U-space theory (every init)", "max |dL_ood| / L_ood(0)", err, 0.01),
        Agreement("number of OOD-loss rises, theory vs trained (every init)", "fraction of inits agreeing",
                  float(np.mean(np.equal(n_th, n_ex))), 1.0, higher_is_better=True,
                  detail={"theory": n_th, "trained": n_ex, "A2 theory": n_a2}),
    ]
    if expect is not None:
        agreements.append(Agreement(
            f"{expect + 1}-fold descent appears with the authors' A^2 rates", "most rises over inits (A^2)",
            float(max(n_a2)), float(expect), higher_is_better=True, gating=False,
            detail={"fraction of inits, A^2": float(np.mean(np.asarray(n_a2) >= expect)),
                    "fraction of inits, A": float(np.mean(np.asarray(n_th) >= expect))}))
    else:
        from theorylab.solvers import sim

        W = [sim.two_layer_symmetric(exp.t, a, _U0(p)[e]) for e in range(p["seeds"])]
        left_th = np.array([_ood_left(th[:, e], sim.train_loss(W[e], a)) for e in range(p["seeds"])])
        left_ex = np.array([_ood_left(ex[:, e], exp["loss"][:, e]) for e in range(p["seeds"])])
        agreements.append(Agreement(
            "OOD loss left when train loss < 1% of start: trained vs theory", "max relative error over inits",
            float(np.nanmax(np.abs(left_ex - left_th) / left_th)), 0.1,
            detail={"theory (fraction of L_ood(0))": left_th.round(4).tolist()}))
    with style():
        fig, axes = new_figure(2, 1, width=3.6, height=2.8)
        best = int(np.argmax(n_th))
        for e in range(th.shape[1]):
            lw, al = (1.8, 1.0) if e == best else (0.8, 0.35)
            axes[0, 0].plot(t_paper, th[:, e], color=COLORS[e % 8], lw=lw, alpha=al)
            axes[0, 0].plot(t_paper[::4], ex[::4, e], "o", ms=2.2, mfc="none", color=COLORS[e % 8], alpha=al)
            axes[0, 1].plot(tp, th_a2[:, e], color=COLORS[e % 8], lw=lw, alpha=al)
        axes[0, 0].set_title("rates A (equations): theory lines, trained UU^T markers", fontsize=7)
        axes[0, 1].set_title("rates A^2 (the authors' theory scripts)", fontsize=7)
        for ax in axes[0]:
            ax.set_yscale("log")
            ax.set_ylim(1e-4 * th[0].max(), 2 * max(th[0].max(), th_a2[0].max()))
            ax.set_xlabel(PAPER_TIME_LABEL, fontsize=7)
            ax.set_ylabel("OOD loss 1/2 ||f(x_hat) - x_hat||^2")
        fig.suptitle(f"{title}: mu = {tuple(p['mu'])}, {p['seeds']} inits U0 ~ U(0,1) x {p['scale']:g}", fontsize=8)
        path = save_figure(fig, out_dir, fig_id)
    return FigureResult(fig_id, path, agreements, "paper time = 2 t, t = lr * step on 1/(2P) sum ||y - UU^T x||^2 "
                        "(population data, X^T X / P = A)", mode)


# ----------------------------------------------------------- concept-space trajectories
def plot_concept_trajectories(ax, items, *, every: int = 4):
    """``items``: (label, theory (T, 2) or None, experiment Trajectory with 'ood', target mu) per config."""
    from theorylab.plotting import COLORS

    for i, (label, th, exp, mu) in enumerate(items):
        c = COLORS[i % len(COLORS)]
        if th is not None:
            ax.plot(th[:, 0], th[:, 1], color=c, lw=1.4, label=f"{label} theory")
        m = exp.mean()["ood"]
        ax.plot(m[::every, 0], m[::every, 1], "o", ms=2.6, mfc="none", color=c, label=f"{label} trained")
        ax.plot([mu[0]], [mu[1]], "*", ms=9, color=c)
    ax.set_xlabel("concept 1 output at x_hat")
    ax.set_ylabel("concept 2 output at x_hat")
    ax.legend(fontsize=5.5)


def learning_time_rows(task, exp, theory_times, *, label: str, frac: float = 0.9, threshold: float = 0.1):
    """Per-concept learning-time agreement rows (seed-mean output reaching ``frac`` of the target)."""
    from theorylab import learning_time_agreement
    from theorylab.compare_sim import concept_learning_times

    mu = np.asarray(task.config.signal)
    t_exp = concept_learning_times(exp.t, exp.mean()["ood"], mu, frac)
    return [learning_time_agreement(theory_times[k], t_exp[k], threshold=threshold,
                                    name=f"{label}: concept {k + 1} time to {frac:.0%}")
            for k in range(mu.size)]
