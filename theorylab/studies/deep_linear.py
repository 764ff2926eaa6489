r"""Studies of deep linear networks: trained networks over their exact learning dynamics.

Papers: Saxe, McClelland & Ganguli 2014 (arXiv:1312.6120), Saxe, McClelland &
Ganguli 2019 (PNAS 116:11537), Advani, Saxe & Sompolinsky 2020
(arXiv:1710.03667), Braun, Dominé, Fitzgerald & Saxe 2022 (arXiv:2209.10530).

Conventions: loss ``L = 1/(2P) sum_mu ||y_mu - f(x_mu)||^2`` (``HALF_MEAN``) unless
a study says otherwise; full-batch GD at ``lr`` is gradient flow at
``t = lr * step`` (``tau = 1``), which is the clock of every trajectory here.
Inputs are whitened with ``X^T X / P = I`` exactly, so the empirical loss is the
population loss the theory describes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from theorylab._validate import check_int, check_nonnegative, check_positive
from theorylab.clock import HALF_MEAN, HALF_SUM, Clock
from theorylab.nets import DeepLinear, haar_isometry
from theorylab.rng import streams
from theorylab.solvers.deep_linear import deep_mode, riccati_network_function, saxe_mode
from theorylab.solvers.random_matrix import advani_saxe_errors
from theorylab.study import Study
from theorylab.tasks import TeacherStudentConfig, TreeConfig, make_teacher_student, make_tree_task
from theorylab.train import TrainConfig, record_steps, train
from theorylab.trajectory import Trajectory

__all__ = ["SaxeModes", "DepthLearning", "TreeHierarchy", "AdvaniSaxe", "RiccatiPrior", "DEPTH_INITS"]

GF = Clock.gradient_flow(HALF_MEAN)


def _grid(t_max: float, n: int, lr: float) -> np.ndarray:
    """The times ``lr * round(t / lr)`` that a GD run recording at ``linspace(0, t_max, n)`` lands on."""
    return record_steps(np.linspace(0.0, t_max, n), lr) * lr


@dataclass(frozen=True)
class SaxeModes(Study):
    """Mode strengths of a two-layer linear network from a small decoupled init (Saxe 2014, Fig. 2, eq. 9).

    Experiment: ``seeds`` networks ``[d, hidden, d]`` with the decoupled init of
    strength ``u0`` on the teacher's modes, trained by GD at ``lr``; observable
    ``u`` (T, E, n_modes): ``u_a = u_a^T W2 W1 v_a``.
    Theory: ``saxe_mode(t, s_a, u0)`` on ``n_theory`` points of ``[0, t_max]``.
    """

    family = "deep_linear"
    d: int = 8
    hidden: int = 8
    svals: tuple[float, ...] = (3.0, 2.0, 1.0, 0.5)
    u0: float = 1e-3
    lr: float = 2.5e-3
    t_max: float = 10.0
    n_rec: int = 101
    seeds: int = 8
    task_seed: int = 1234
    n_theory: int = 400

    def validate(self) -> None:
        check_int("d", self.d)
        check_int("hidden", self.hidden)
        TeacherStudentConfig(self.d, self.d, self.svals)
        if self.hidden < len(self.svals):
            raise ValueError(f"hidden must be >= the number of modes {len(self.svals)}, got {self.hidden}")
        for name in ("u0", "lr", "t_max"):
            check_positive(name, getattr(self, name))
        check_int("n_rec", self.n_rec, minimum=2)
        check_int("seeds", self.seeds)
        check_int("task_seed", self.task_seed, minimum=0)
        check_int("n_theory", self.n_theory, minimum=2)

    @classmethod
    def example(cls) -> "SaxeModes":
        return cls(d=4, hidden=4, svals=(2.0, 1.0), lr=5e-3, t_max=2.0, n_rec=11, seeds=2, n_theory=50)

    def _task(self):
        return make_teacher_student(TeacherStudentConfig(self.d, self.d, self.svals), rng=self.task_seed)

    def theory(self) -> Trajectory:
        t = np.linspace(0.0, self.t_max, self.n_theory)
        u = np.stack([saxe_mode(t, s, self.u0) for s in self.svals], axis=1)
        return Trajectory(t, {"u": u}, {"solver": "saxe_mode"}, clock=GF)

    def experiment(self) -> Trajectory:
        task = self._task()
        U, V = task.U, task.V[:, : len(self.svals)]
        net = DeepLinear([self.d, self.hidden, self.d], seeds=range(self.seeds), init="decoupled", u0=self.u0,
                         U=U, V=V, dtype="float64", device="cpu")
        X = np.sqrt(self.d) * np.eye(self.d)                     # X^T X / P = I: the population loss
        cfg = TrainConfig(lr=self.lr, t_record=np.linspace(0, self.t_max, self.n_rec))
        return train(net, X, X @ task.teacher.T, cfg, observables={"u": lambda m: m.mode_strengths(U, V)})


#: The four initialisations of :class:`DepthLearning`, in member order.
DEPTH_INITS = ("decoupled small", "gaussian small", "orthogonal", "pretrained-like")


@dataclass(frozen=True)
class DepthLearning(Study):
    """Learning a whitened teacher ``s Q`` with a depth-``D`` linear chain (Saxe 2014, Figs. 5-6).

    Experiment: for each init of :data:`DEPTH_INITS` (``seeds`` members each, in
    that order) a ``[d] * (depth + 1)`` network trained by GD at ``lr0 / depth``
    until every member's relative error ``||W_D...W_1 - s Q||_F / ||s Q||_F`` is below
    ``stop_level``, or for ``horizon_Dt / depth`` time; observable ``rel_err`` (T, E).
    Decoupled inits start from product ``a0^depth`` ("small") or ``u0_pre``
    ("pretrained-like"); random inits use per-layer scale ``a0`` (Gaussian) or 1
    (orthogonal).
    Theory: the same relative error for the two decoupled inits, ``|s - u(t)| / s``
    with ``u = deep_mode(t, s, u0, depth)`` (every mode equal), observable
    ``rel_err`` (T, 2) in the order (decoupled small, pretrained-like).
    """

    family = "deep_linear"
    depth: int = 2
    d: int = 6
    s: float = 2.0
    a0: float = 0.5
    u0_pre: float = 0.5
    lr0: float = 0.02
    seeds: int = 6
    record_every: int = 5
    horizon_Dt: float = 60.0
    stop_level: float = 0.05
    target_seed: int = 99
    n_theory: int = 4000

    def validate(self) -> None:
        check_int("depth", self.depth)
        check_int("d", self.d)
        for name in ("s", "a0", "u0_pre", "lr0", "horizon_Dt", "stop_level"):
            check_positive(name, getattr(self, name))
        if not self.u0_pre < self.s:
            raise ValueError(f"u0_pre must be < s = {self.s}, got {self.u0_pre}")
        check_int("seeds", self.seeds)
        check_int("record_every", self.record_every)
        check_int("target_seed", self.target_seed, minimum=0)
        check_int("n_theory", self.n_theory, minimum=2)

    @classmethod
    def example(cls) -> "DepthLearning":
        return cls(depth=2, d=3, seeds=1, horizon_Dt=4.0, n_theory=100)

    @property
    def lr(self) -> float:
        return self.lr0 / self.depth

    def theory(self) -> Trajectory:
        t = np.linspace(0.0, self.horizon_Dt / self.depth, self.n_theory)
        u0s = (self.a0**self.depth, self.u0_pre)
        err = np.stack([np.abs(self.s - deep_mode(t, self.s, u0, self.depth)) / self.s for u0 in u0s], axis=1)
        return Trajectory(t, {"rel_err": err}, {"solver": "deep_mode", "inits": ["decoupled small",
                                                                                  "pretrained-like"]}, clock=GF)

    def experiment(self) -> Trajectory:
        d, D = self.d, self.depth
        Q = haar_isometry(streams(self.target_seed)["data"], d, d)
        target = self.s * Q
        widths = [d] * (D + 1)
        kw = dict(dtype="float64", device="cpu")
        seeds = range(self.seeds)
        net = DeepLinear.concat([
            DeepLinear(widths, seeds, init="decoupled", u0=self.a0**D, U=Q, V=np.eye(d), **kw),
            DeepLinear(widths, seeds, init="gaussian", scale=self.a0, **kw),
            DeepLinear(widths, seeds, init="orthogonal", scale=1.0, **kw),
            DeepLinear(widths, seeds, init="decoupled", u0=self.u0_pre, U=Q, V=np.eye(d), **kw),
        ])
        X = np.sqrt(d) * np.eye(d)
        tgt = net.as_input(target)

        def rel_err(m):
            return (m.end_to_end() - tgt).flatten(1).norm(dim=1) / tgt.norm()

        lr = self.lr
        n_steps = int(self.horizon_Dt / D / lr)
        cfg = TrainConfig(lr=lr, t_record=lr * np.arange(0, n_steps + 1, self.record_every))
        return train(net, X, X @ target.T, cfg, observables={"rel_err": rel_err},
                     meta={"inits": list(DEPTH_INITS), "depth": D},
                     stop=lambda last: bool(np.all(last["rel_err"] < self.stop_level)))


@dataclass(frozen=True)
class TreeHierarchy(Study):
    """Hierarchical differentiation on tree-structured data (Saxe 2019, Figs. 3-4).

    Experiment: ``seeds`` networks ``[P, hidden, n_nodes]`` on every item of a
    balanced tree (one-hot inputs, one feature per node), decoupled init of
    strength ``u0``, GD at ``lr``; observable ``u`` (T, E, n_levels): the mean
    strength over each level's degenerate modes, ``tr(U_l^T W2 W1 V_l) / m_l``.
    Theory: ``saxe_mode(t, s_level, u0, lam=1/P)`` (input variance ``1/P`` per item).
    """

    family = "deep_linear"
    tree: TreeConfig = TreeConfig(3, 2)
    hidden: int = 16
    u0: float = 1e-3
    lr: float = 0.1
    t_max: float = 80.0
    n_rec: int = 161
    seeds: int = 4
    n_theory: int = 500

    def validate(self) -> None:
        check_int("hidden", self.hidden)
        for name in ("u0", "lr", "t_max"):
            check_positive(name, getattr(self, name))
        check_int("n_rec", self.n_rec, minimum=2)
        check_int("seeds", self.seeds)
        check_int("n_theory", self.n_theory, minimum=2)
        if self.tree.noise_std:
            raise ValueError("tree.noise_std must be 0: every item is shown once per step, without noise")

    @classmethod
    def example(cls) -> "TreeHierarchy":
        return cls(tree=TreeConfig(2, 2), hidden=8, t_max=10.0, n_rec=11, seeds=2, n_theory=50)

    def levels(self):
        """(U, s, V, level of each mode, the levels, singular value of each level, lam) of the tree task."""
        task = make_tree_task(self.tree)
        U, s, Vt, lv = task.modes()
        levels = np.unique(lv)
        s_level = np.array([s[lv == k][0] for k in levels])
        return U, s, Vt.T, lv, levels, s_level, task.lam

    def theory(self) -> Trajectory:
        *_, s_level, lam = self.levels()
        t = np.linspace(0.0, self.t_max, self.n_theory)
        u = np.stack([saxe_mode(t, sk, self.u0, lam=lam) for sk in s_level], axis=1)
        return Trajectory(t, {"u": u}, {"solver": "saxe_mode", "lam": lam}, clock=GF)

    def experiment(self) -> Trajectory:
        U, s, V, lv, levels, _, _ = self.levels()
        task = make_tree_task(self.tree)
        P = self.tree.n_items
        net = DeepLinear([P, self.hidden, self.tree.n_nodes], seeds=range(self.seeds), init="decoupled", u0=self.u0,
                         U=U, V=V, dtype="float64", device="cpu")
        items = task.all_items()
        masks = torch.as_tensor(np.stack([lv == k for k in levels], axis=1) / np.bincount(lv), dtype=torch.float64)

        def level_strength(m):
            return m.mode_strengths(U, V) @ masks.to(m.weights[0])

        cfg = TrainConfig(lr=self.lr, t_record=np.linspace(0, self.t_max, self.n_rec))
        return train(net, items.x, items.y, cfg, observables={"u": level_strength})


@dataclass(frozen=True)
class AdvaniSaxe(Study):
    """Generalisation dynamics of linear regression (Advani, Saxe & Sompolinsky 2020, Fig. 3).

    Experiment: a linear student ``w . x`` (zero init, float32) on ``P = alpha N``
    samples ``x_j ~ N(0, 1/N)`` of a teacher ``w_bar ~ N(0, teacher_var)`` with label
    noise of variance ``noise_var``, trained by GD on the summed loss
    ``1/2 sum_mu (y - w.x)^2``; one independent draw of data and teacher per
    seed, with ``max(min_seeds, ceil(samples_x_seeds / P))`` seeds so that every
    alpha gets the same Monte-Carlo error bar.  Observables (no 1/2): ``train``
    ``= (1/P) sum (y - f)^2`` and ``test = ||w - w_bar||^2 / N + noise_var`` (exact
    for the drawn teacher).
    Theory: ``advani_saxe_errors`` (Marchenko-Pastur integrals), same names.
    Clock: gradient flow of the summed loss (``HALF_SUM``).
    """

    family = "deep_linear"
    N: int = 300
    alpha: float = 2.0
    samples_x_seeds: int = 10000
    min_seeds: int = 5
    lr: float = 0.01
    t_max: float = 15.0
    n_rec: int = 40
    noise_var: float = 0.25
    teacher_var: float = 1.0
    n_theory: int = 300
    data_seed: int = 1000

    def validate(self) -> None:
        check_int("N", self.N)
        for name in ("alpha", "lr", "t_max"):
            check_positive(name, getattr(self, name))
        check_int("samples_x_seeds", self.samples_x_seeds)
        check_int("min_seeds", self.min_seeds, minimum=2)
        check_int("n_rec", self.n_rec, minimum=2)
        check_nonnegative("noise_var", self.noise_var)
        check_nonnegative("teacher_var", self.teacher_var)
        check_int("n_theory", self.n_theory, minimum=2)
        check_int("data_seed", self.data_seed, minimum=0)
        if self.P < 1:
            raise ValueError(f"alpha * N must round to at least 1 sample, got alpha={self.alpha}, N={self.N}")
        if self.t_max <= 5 * self.lr:
            raise ValueError(f"t_max must exceed 5 lr = {5 * self.lr:g} (the first logarithmic record)")

    @classmethod
    def example(cls) -> "AdvaniSaxe":
        return cls(N=20, alpha=2.0, samples_x_seeds=80, min_seeds=2, lr=0.05, t_max=2.0, n_rec=5, n_theory=20)

    @property
    def P(self) -> int:
        return int(round(self.alpha * self.N))

    @property
    def n_seeds(self) -> int:
        """Seeds so that ``P x seeds >= samples_x_seeds``: the train error's relative spread,
        about ``sqrt(2 / (P E))``, is then the same for every alpha at the same cost."""
        return max(self.min_seeds, int(np.ceil(self.samples_x_seeds / self.P)))

    def times(self, n: int) -> np.ndarray:
        """0 and ``n`` log-spaced times from ``5 lr`` to ``t_max``."""
        return np.concatenate([[0.0], np.geomspace(self.lr * 5, self.t_max, n)])

    def theory(self) -> Trajectory:
        t = self.times(self.n_theory)
        tr, te = advani_saxe_errors(t, self.alpha, noise_var=self.noise_var, teacher_var=self.teacher_var)
        return Trajectory(t, {"train": tr, "test": te}, {"solver": "advani_saxe_errors"},
                          clock=Clock.gradient_flow(HALF_SUM))

    def experiment(self) -> Trajectory:
        N, P, E = self.N, self.P, self.n_seeds
        X = np.empty((E, P, N))
        Y = np.empty((E, P, 1))
        wbar = np.empty((E, N))
        for e in range(E):
            g = streams(self.data_seed + e)["data"]
            X[e] = g.standard_normal((P, N)) / np.sqrt(N)
            wbar[e] = np.sqrt(self.teacher_var) * g.standard_normal(N)
            Y[e, :, 0] = X[e] @ wbar[e] + np.sqrt(self.noise_var) * g.standard_normal(P)
        net = DeepLinear([N, 1], seeds=[self.data_seed + e for e in range(E)], init="zeros", dtype="float32",
                         device="cpu")
        wb = net.as_input(wbar)

        def test_error(m):
            return ((m.weights[0][:, 0, :] - wb) ** 2).sum(dim=1) / N + self.noise_var

        cfg = TrainConfig(lr=self.lr, t_record=self.times(self.n_rec), reduction="sum")
        traj = train(net, X, Y, cfg, observables={"test": test_error}, meta={"alpha": self.alpha, "N": N, "P": P})
        return traj.with_obs(train=2.0 * traj["loss"] / P)


@dataclass(frozen=True)
class RiccatiPrior(Study):
    """Learning from a prior-knowledge (zero-balanced, O(1)) init (Braun et al. 2022, Figs. 2-3).

    Experiment: ``seeds`` networks ``[d_in, hidden, d_out]`` with fewer hidden
    units than the teacher's rank, ``init="balanced"`` at ``scale``, GD at ``lr``
    on whitened inputs; observables ``W`` (T, E, d_out, d_in) the network
    function, ``loss`` ``= 1/2 ||Sigma_yx - W||_F^2`` and ``imbalance``
    ``||W1 W1^T - W2^T W2||_F`` (0 under gradient flow).
    Theory: the matrix-Riccati closed form of each member from its own init
    (``riccati_network_function``) at the experiment's times, with ``W`` and
    ``loss``; ``W_limit`` (constant in t) is the closed form at
    ``t_limit_s / s_hidden``, far past training.
    """

    family = "deep_linear"
    d_in: int = 6
    d_out: int = 5
    hidden: int = 3
    svals: tuple[float, ...] = (3.0, 2.0, 1.0, 0.5)
    scale: float = 1.0
    lr: float = 1e-3
    t_max: float = 6.0
    n_rec: int = 121
    seeds: int = 8
    task_seed: int = 7
    t_limit_s: float = 50.0

    def validate(self) -> None:
        TeacherStudentConfig(self.d_in, self.d_out, self.svals)
        check_int("hidden", self.hidden)
        if self.hidden > len(self.svals):
            raise ValueError(f"hidden must be <= the teacher's rank {len(self.svals)}, got {self.hidden}")
        for name in ("scale", "lr", "t_max", "t_limit_s"):
            check_positive(name, getattr(self, name))
        check_int("n_rec", self.n_rec, minimum=2)
        check_int("seeds", self.seeds)
        check_int("task_seed", self.task_seed, minimum=0)

    @classmethod
    def example(cls) -> "RiccatiPrior":
        return cls(d_in=4, d_out=3, hidden=2, svals=(2.0, 1.0), lr=2e-3, t_max=1.0, n_rec=6, seeds=2)

    def sigma_yx(self) -> np.ndarray:
        return make_teacher_student(TeacherStudentConfig(self.d_in, self.d_out, self.svals),
                                    rng=self.task_seed).sigma_yx

    def _net(self) -> DeepLinear:
        return DeepLinear([self.d_in, self.hidden, self.d_out], seeds=range(self.seeds), init="balanced",
                          scale=self.scale, dtype="float64", device="cpu")

    def theory(self) -> Trajectory:
        S = self.sigma_yx()
        W1, W2 = (w.detach().numpy() for w in self._net().weights)
        t = _grid(self.t_max, self.n_rec, self.lr)
        s_sorted = np.sort(np.asarray(self.svals))[::-1]
        t_far = np.array([self.t_limit_s / s_sorted[self.hidden - 1]])
        W = np.stack([riccati_network_function(t, S, W1[e], W2[e]) for e in range(self.seeds)], axis=1)
        W_lim = np.stack([riccati_network_function(t_far, S, W1[e], W2[e])[0] for e in range(self.seeds)])
        loss = 0.5 * ((S - W) ** 2).sum(axis=(2, 3))
        return Trajectory(t, {"W": W, "loss": loss, "W_limit": np.broadcast_to(W_lim, W.shape).copy()},
                          {"solver": "riccati_network_function", "t_limit": float(t_far[0])}, n_seeds=self.seeds,
                          clock=GF)

    def experiment(self) -> Trajectory:
        S = self.sigma_yx()
        net = self._net()
        X = np.sqrt(self.d_in) * np.eye(self.d_in)

        def imbalance(m):
            W1, W2 = m.weights
            return (W1 @ W1.transpose(1, 2) - W2.transpose(1, 2) @ W2).flatten(1).norm(dim=1)

        cfg = TrainConfig(lr=self.lr, t_record=np.linspace(0, self.t_max, self.n_rec))
        traj = train(net, X, X @ S.T, cfg, observables={"W": lambda m: m.end_to_end(), "imbalance": imbalance})
        return traj.with_obs(loss=0.5 * ((S - traj["W"]) ** 2).sum(axis=(2, 3)))
