r"""Exact kernel trajectories: the eNTK of trained networks over the kernel that theory gives at every time.

* Deep linear networks from a decoupled init (Saxe, McClelland & Ganguli 2014,
  arXiv:1312.6120): with mode strengths ``m_a(t)`` (``saxe_mode`` / ``deep_mode``) every
  layer carries ``m_a^{1/D}``, so the eNTK of ``f = W_D ... W_1 x`` is

  .. math:: K[(i,a),(j,b)] = \sum_{l=1}^{D} \big(A_l A_l^T\big)_{ab}\; x_i^T B_l^T B_l x_j,\qquad
            A_l A_l^T = \sum_\alpha m_\alpha^{2(D-l)/D} u_\alpha u_\alpha^T,\quad
            B_l^T B_l = \sum_\alpha m_\alpha^{2(l-1)/D} v_\alpha v_\alpha^T,

  with ``A_D A_D^T = I`` and ``B_1^T B_1 = I`` (the layers above and below layer ``l``).
  The init makes every weight rank ``r``, so the kernel does not depend on the hidden width.
* The grokking committee machine (Kumar et al. 2024, arXiv:2310.06110): its eNTK is
  ``(alpha^2 / N) K_bar(w_bar, M)`` (:func:`theorylab.solvers.committee.ntk`), and the exact
  ``(w_bar, M)`` map gives it at any width and any epoch.
* The mean-field two-layer linear network (Bordelon & Pehlevan 2022, arXiv:2205.09653) on
  whitened inputs: the DMFT kernel on the training set is
  ``K = (1 + c) I + (c - 1) y^ y^T`` with ``c = sqrt(1 + gamma0^2 f^2)``, ``f = |y| - Delta(t)``
  (:func:`theorylab.solvers.dmft.two_layer_linear_error`): the hidden kernel grows along
  ``y^`` as ``c`` and the readout kernel ``E[a^2] = c`` everywhere.  A width-``N`` network
  fluctuates around it by ``O(N^{-1/2})``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from theorylab._validate import check_int, check_positive
from theorylab.clock import HALF_MEAN, Clock
from theorylab.nets import CommitteeMachine, DeepLinear, TwoLayerMF, centred_alignment, empirical_ntk, haar_isometry
from theorylab.rng import streams
from theorylab.solvers.committee import CommitteeState, exact_gd, network_epochs, ntk
from theorylab.solvers.deep_linear import deep_mode, saxe_mode
from theorylab.solvers.dmft import DMFT_TIME, dmft_steps, two_layer_linear_error
from theorylab.study import Study
from theorylab.tasks import PolyRegressionConfig, TeacherStudentConfig, make_poly_regression, make_teacher_student
from theorylab.train import TrainConfig, record_steps, train
from theorylab.trajectory import Trajectory

__all__ = ["DeepLinearKernel", "CommitteeKernel", "MeanFieldKernel", "deep_linear_ntk", "relative_kernel_error"]


def relative_kernel_error(K_theory, K_experiment) -> np.ndarray:
    """``||K_exp - K_th||_F / ||K_th||_F`` over the last two axes (broadcasting)."""
    K_theory, K_experiment = np.asarray(K_theory, float), np.asarray(K_experiment, float)
    return np.linalg.norm(K_experiment - K_theory, axis=(-2, -1)) / np.linalg.norm(K_theory, axis=(-2, -1))


# -- deep linear networks ----------------------------------------------------------------------------------
def deep_linear_ntk(x: np.ndarray, U: np.ndarray, V: np.ndarray, m: np.ndarray, depth: int) -> np.ndarray:
    """The eNTK of a balanced, SVD-aligned depth-``depth`` linear network (module docstring).

    ``x`` (n, d_in) probe inputs, ``U`` (d_out, r), ``V`` (d_in, r), ``m`` (..., r) mode strengths.
    Returns ``(..., n d_out, n d_out)``, index ``i * d_out + a``.
    """
    x, U, V, m = (np.asarray(a, float) for a in (x, U, V, m))
    n, k = x.shape[0], U.shape[0]
    D = depth
    out = 0.0
    for l in range(1, D + 1):
        above = np.eye(k) if l == D else np.einsum("ar,...r,br->...ab", U, m ** (2 * (D - l) / D), U)
        below = x @ x.T if l == 1 else np.einsum("ir,...r,jr->...ij", x @ V, m ** (2 * (l - 1) / D), x @ V)
        out = out + np.einsum("...ij,...ab->...iajb", np.broadcast_to(below, m.shape[:-1] + (n, n)),
                              np.broadcast_to(above, m.shape[:-1] + (k, k)))
    return out.reshape(m.shape[:-1] + (n * k, n * k))


GF = Clock.gradient_flow(HALF_MEAN)


@dataclass(frozen=True)
class DeepLinearKernel(Study):
    """The eNTK of deep linear networks trained from a decoupled small init, over the Saxe-solution kernel.

    Experiment: ``seeds`` networks ``[d, hidden x (depth - 1), d]`` (float64), decoupled init of
    strength ``u0`` on the teacher's ``r = len(svals)`` modes, trained by GD at ``lr`` on whitened
    inputs (``X^T X / P = I``, so the loss is the population loss ``1/2 ||T - W||_F^2``);
    observables ``ntk`` (T, E, n k, n k) on ``n_probe`` Gaussian probe inputs (``k = d``
    outputs), ``alignment`` (centred, with the teacher's outputs on the probe) and
    ``kernel_distance`` (to the initial kernel).
    Theory: the same observables from :func:`deep_linear_ntk` with ``m_a(t)`` from
    ``saxe_mode`` (depth 2) or ``deep_mode``, at the times GD records.
    Clock: gradient flow of ``HALF_MEAN`` (``t = lr x step``).
    """

    family = "kernel_evolution"
    d: int = 6
    svals: tuple[float, ...] = (3.0, 2.0, 1.0)
    hidden: int = 6
    depth: int = 2
    u0: float = 1e-3
    lr: float = 1e-3
    t_max: float = 8.0
    n_rec: int = 41
    seeds: int = 2
    n_probe: int = 4
    task_seed: int = 1234
    probe_seed: int = 7

    def validate(self) -> None:
        check_int("d", self.d)
        TeacherStudentConfig(self.d, self.d, self.svals)
        check_int("depth", self.depth)
        check_int("hidden", self.hidden)
        if self.depth > 1 and self.hidden < len(self.svals):
            raise ValueError(f"hidden must be >= the number of modes {len(self.svals)}, got {self.hidden}")
        for name in ("u0", "lr", "t_max"):
            check_positive(name, getattr(self, name))
        check_int("n_rec", self.n_rec, minimum=2)
        check_int("seeds", self.seeds)
        check_int("n_probe", self.n_probe)
        check_int("task_seed", self.task_seed, minimum=0)
        check_int("probe_seed", self.probe_seed, minimum=0)

    @classmethod
    def example(cls) -> "DeepLinearKernel":
        return cls(d=3, svals=(2.0, 1.0), hidden=3, lr=5e-3, t_max=1.0, n_rec=3, seeds=2, n_probe=2)

    def _setup(self):
        task = make_teacher_student(TeacherStudentConfig(self.d, self.d, self.svals), rng=self.task_seed)
        probe = streams(self.probe_seed)["data"].standard_normal((self.n_probe, self.d))
        return task, task.U, task.V[:, : len(self.svals)], probe

    def times(self) -> np.ndarray:
        return record_steps(np.linspace(0.0, self.t_max, self.n_rec), self.lr) * self.lr

    def theory(self) -> Trajectory:
        task, U, V, probe = self._setup()
        t = self.times()
        mode = (lambda s: saxe_mode(t, s, self.u0)) if self.depth == 2 else (
            lambda s: deep_mode(t, s, self.u0, self.depth))
        m = np.stack([mode(s) for s in self.svals], axis=1)                   # (T, r)
        K = deep_linear_ntk(probe, U, V, m, self.depth)
        return Trajectory(t, _kernel_obs(K, probe @ task.teacher.T), {"solver": "saxe_mode" if self.depth == 2
                                                                      else "deep_mode", "modes": m}, clock=GF)

    def experiment(self) -> Trajectory:
        task, U, V, probe = self._setup()
        widths = [self.d] + [self.hidden] * (self.depth - 1) + [self.d]
        net = DeepLinear(widths, seeds=range(self.seeds), init="decoupled", u0=self.u0, U=U, V=V, dtype="float64",
                         device="cpu")
        X = np.sqrt(self.d) * np.eye(self.d)
        p = net.as_input(probe)
        tr = train(net, X, X @ task.teacher.T, TrainConfig(lr=self.lr, t_record=self.times()),
                   observables={"ntk": lambda m_: empirical_ntk(m_, p)})
        return tr.with_obs(**_kernel_obs(tr["ntk"], probe @ task.teacher.T))


def _kernel_obs(K: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    from theorylab.nets import kernel_distance

    return {"ntk": K, "alignment": centred_alignment(K, y), "kernel_distance": kernel_distance(K, K[:1])}


# -- the grokking committee machine -----------------------------------------------------------------------
@dataclass(frozen=True)
class CommitteeKernel(Study):
    """The grokking network's eNTK over the one the exact ``(w_bar, M)`` map gives, and its alignment with the task.

    Experiment: one centred quadratic committee machine (``D``, ``N``, ``eps``, ``alpha``; float64,
    init from seed ``init_seed``) trained by GD at ``eta = eta0 N / alpha^2`` on
    ``L = (1/P) sum (f - y)^2`` for ``net_epochs`` epochs, recorded every ``record_every`` epochs;
    observables ``loss``, ``test_loss`` (mean squared errors), ``ntk`` (T, 1, n_probe, n_probe) on the
    first ``n_probe`` test inputs and ``alignment``: the centred alignment of the eNTK on the first
    ``n_align`` test inputs with the target there (how well the kernel has learnt the task).
    Theory: the exact map (:func:`theorylab.solvers.committee.exact_gd`) from the same init for
    ``epochs`` epochs, the same observables with the kernel ``(alpha^2 / N) K_bar(w_bar, M)``.
    Task: ``y = 1/2 (beta . x)^2`` (:mod:`theorylab.tasks.polynomial_regression`, seed ``data_seed``).
    Clock: epochs, :func:`theorylab.solvers.committee.epoch_clock` ``(eta0)`` (the trained run is
    restated on it by :func:`~theorylab.solvers.committee.network_epochs`).
    """

    family = "kernel_evolution"
    D: int = 30
    P: int = 120
    N: int = 150
    eps: float = 0.1
    alpha: float = 1.0
    eta0: float = 1.0
    epochs: int = 8000
    net_epochs: int = 2000
    record_every: int = 50
    n_probe: int = 24
    n_align: int = 200
    n_test: int = 1000
    data_seed: int = 0
    init_seed: int = 0

    def validate(self) -> None:
        for name in ("D", "P", "N", "epochs", "net_epochs", "record_every", "n_probe", "n_align", "n_test"):
            check_int(name, getattr(self, name))
        for name in ("eps", "alpha", "eta0"):
            check_positive(name, getattr(self, name))
        check_int("data_seed", self.data_seed, minimum=0)
        check_int("init_seed", self.init_seed, minimum=0)
        if self.epochs % self.record_every or self.net_epochs % self.record_every:
            raise ValueError(f"epochs and net_epochs must be multiples of record_every = {self.record_every}")
        if self.net_epochs > self.epochs:
            raise ValueError(f"net_epochs must be <= epochs = {self.epochs}, got {self.net_epochs}")
        for name in ("n_probe", "n_align"):
            if getattr(self, name) > self.n_test:
                raise ValueError(f"{name} must be <= n_test = {self.n_test}, got {getattr(self, name)}")
        if self.n_align < 2:
            raise ValueError(f"n_align must be >= 2, got {self.n_align}")

    @classmethod
    def example(cls) -> "CommitteeKernel":
        return cls(D=4, P=10, N=6, eps=0.3, epochs=20, net_epochs=10, record_every=5, n_probe=4, n_align=6, n_test=8)

    @property
    def eta(self) -> float:
        return self.eta0 * self.N / self.alpha**2

    def _setup(self):
        task = make_poly_regression(PolyRegressionConfig(self.D, self.P, n_test=self.n_test), rng=self.data_seed)
        net = CommitteeMachine(self.D, self.N, seeds=[self.init_seed], alpha=self.alpha, eps=self.eps,
                               dtype="float64", device="cpu")
        return task, net

    def theory(self) -> Trajectory:
        task, net = self._setup()
        st = CommitteeState.from_network(net)
        ex = exact_gd(task.x_train, task.y_train, st, eta0=self.eta0, steps=self.epochs,
                      record_every=self.record_every, X_test=task.x_test, y_test=task.y_test)
        c = self.alpha**2 / self.N
        Xp, Xa, ya = task.x_test[: self.n_probe], task.x_test[: self.n_align], task.y_test[: self.n_align]
        K = np.array([c * ntk(Xp, Xp, w, M, st) for w, M in zip(ex["wbar"], ex["M"])])
        align = np.array([centred_alignment(ntk(Xa, Xa, w, M, st), ya) for w, M in zip(ex["wbar"], ex["M"])])
        return Trajectory(ex.t, {"loss": ex["train_loss"], "test_loss": ex["test_loss"], "ntk": K,
                                 "alignment": align}, {"solver": "exact_gd (w_bar, M) map"}, clock=ex.clock)

    def experiment(self) -> Trajectory:
        task, net = self._setup()
        Xp, Xa = net.as_input(task.x_test[: self.n_probe]), net.as_input(task.x_test[: self.n_align])
        ya = task.y_test[: self.n_align]

        def align(m):
            return torch.as_tensor(centred_alignment(empirical_ntk(m, Xa).numpy(), ya))

        ep = np.arange(0, self.net_epochs + 1, self.record_every)
        cfg = TrainConfig(lr=self.eta, t_record=ep, reduction="mse", time="steps")
        tr = train(net, task.x_train, task.y_train[:, None], cfg, test=(task.x_test, task.y_test[:, None]),
                   observables={"ntk": lambda m: empirical_ntk(m, Xp), "alignment": align})
        return network_epochs(tr, eta0=self.eta0, N=self.N, alpha=self.alpha)


# -- the mean-field two-layer linear network -------------------------------------------------------------------
@dataclass(frozen=True)
class MeanFieldKernel(Study):
    """A width-``N`` mean-field two-layer linear network's eNTK over the DMFT kernel (whitened inputs).

    Experiment: ``seeds`` networks :class:`~theorylab.nets.TwoLayerMF` (linear, antithetic init so
    that ``f(0) = 0`` exactly, float64) on ``P <= D`` whitened inputs (``x_mu . x_nu / D = delta``)
    with targets of norm ``y_norm``, trained by GD at ``lr = gamma^2 dt`` on
    ``L = 1/2 sum (y - f)^2``; observables ``loss`` and ``ntk`` ``= gamma^2 J J^T`` (T, E, P, P) on
    the training set (the kernel of ``df/dt = K (y - f)``), ``kernel_y`` ``= y^T K y^`` and
    ``kernel_perp`` (the mean eigenvalue orthogonal to ``y^``).
    Theory: the DMFT (module docstring), same names, no width dependence; the finite-width
    error is ``O(N^{-1/2})`` (Bordelon & Pehlevan 2022, Sec. 3).
    Clock: DMFT time, :data:`theorylab.solvers.dmft.DMFT_TIME` (GD steps of ``lr = gamma^2 dt`` are
    Euler steps of ``dt``: :func:`~theorylab.solvers.dmft.dmft_steps`).
    """

    family = "kernel_evolution"
    D: int = 16
    P: int = 8
    N: int = 256
    gamma0: float = 1.0
    y_norm: float = 2.0
    dt: float = 0.0025
    t_max: float = 2.5
    n_rec: int = 26
    seeds: int = 6
    data_seed: int = 0

    def validate(self) -> None:
        for name in ("D", "P", "n_rec", "seeds"):
            check_int(name, getattr(self, name), minimum=2 if name in ("P", "n_rec") else 1)
        check_int("N", self.N, minimum=2)
        if self.N % 2:
            raise ValueError(f"N must be even (antithetic pairs), got {self.N}")
        if self.P > self.D:
            raise ValueError(f"P must be <= D = {self.D} to whiten the inputs, got {self.P}")
        for name in ("gamma0", "y_norm", "dt", "t_max"):
            check_positive(name, getattr(self, name))
        check_int("data_seed", self.data_seed, minimum=0)

    @classmethod
    def example(cls) -> "MeanFieldKernel":
        return cls(D=4, P=3, N=8, dt=0.05, t_max=0.5, n_rec=3, seeds=2)

    @property
    def gamma(self) -> float:
        return self.gamma0 * np.sqrt(self.N)

    def _data(self):
        g = streams(self.data_seed)["data"]
        X = np.sqrt(self.D) * haar_isometry(g, self.D, self.P).T         # (P, D), X X^T / D = I
        y = g.standard_normal(self.P)
        return X, self.y_norm * y / np.linalg.norm(y)

    def times(self) -> np.ndarray:
        return record_steps(np.linspace(0.0, self.t_max, self.n_rec), self.dt) * self.dt

    def theory(self) -> Trajectory:
        _, y = self._data()
        t = self.times()
        delta = two_layer_linear_error(t, self.y_norm, self.gamma0)
        c = np.sqrt(1.0 + self.gamma0**2 * (self.y_norm - delta) ** 2)
        yh = y / self.y_norm
        K = (1 + c)[:, None, None] * np.eye(self.P) + (c - 1)[:, None, None] * np.outer(yh, yh)
        return Trajectory(t, {"loss": 0.5 * delta**2, **_directions(K, yh)},
                          {"solver": "two_layer_linear_error (DMFT, whitened linear)"}, clock=DMFT_TIME)

    def experiment(self) -> Trajectory:
        X, y = self._data()
        net = TwoLayerMF(self.D, self.N, seeds=range(self.seeds), gamma0=self.gamma0, activation="linear",
                         antithetic=True, dtype="float64", device="cpu")
        g2 = net.gamma**2
        x = net.as_input(X)
        cfg = TrainConfig(lr=g2 * self.dt, t_record=np.rint(self.times() / self.dt), reduction="sum", time="steps")
        tr = train(net, X, y[:, None], cfg, observables={"ntk": lambda m: g2 * empirical_ntk(m, x)})
        tr = dmft_steps(tr, gamma=net.gamma, dt=self.dt)
        return tr.with_obs(**_directions(tr["ntk"], y / self.y_norm))


def _directions(K: np.ndarray, yh: np.ndarray) -> dict[str, np.ndarray]:
    ky = np.einsum("i,...ij,j->...", yh, K, yh)
    perp = (np.trace(K, axis1=-2, axis2=-1) - ky) / (K.shape[-1] - 1)
    return {"ntk": K, "kernel_y": ky, "kernel_perp": perp}
