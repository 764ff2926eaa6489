r"""Kernel evolution of a trained MLP: two phases, the cone, and training linearised from a checkpoint.

Papers: Fort, Dziugaite, Paul, Kharaghani, Roy & Ganguli 2020 (arXiv:2010.15110:
kernel distance and velocity, linearising from a checkpoint); Zhou, Yang, Ren,
Sugiyama & Yan 2025 (arXiv:2503.16316: the cone effect and switching to the
linearised network after Phase I); Chizat, Oyallon & Bach 2019
(arXiv:1812.07956: the output scale ``alpha`` as the lazy-rich knob).

Task: a single-index polynomial target ``y = He_order(beta . x)`` with
``x ~ N(0, I_D / D)``, ``|beta|^2 = D`` (:mod:`theorylab.tasks.polynomial_regression`);
the network reads ``sqrt(D) x`` (unit-variance coordinates).  Network: an
:class:`~theorylab.nets.MLP` (standard parametrisation) with output scale ``alpha``,
centred: ``f~ = alpha (g_theta - g_theta0)`` (Chizat et al.'s centring; done by
training ``f = alpha g_theta`` on the targets ``y + f(theta0)``).

Loss and clock: ``L = 1/(2P) sum_mu (y_mu - f~(x_mu))^2`` (``HALF_MEAN``), full-batch GD
with parameter step ``lr / alpha^2``, so that ``df~/dtau`` at initialisation does not
depend on ``alpha``.  Every trajectory here is on the clock
``tau = lr x step = alpha^2 t_gf`` (``t_gf``: gradient-flow time of ``L``), a
:meth:`~theorylab.clock.Clock.rescaled` gradient-flow clock; at ``alpha = 1`` it is
gradient-flow time itself.

Probe set: the first ``n_probe`` test inputs; every kernel is the eNTK of ``f~`` on it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from theorylab._validate import check_choice, check_int, check_positive
from theorylab.clock import HALF_MEAN, Clock
from theorylab.nets import ACTIVATIONS, MLP, Linearised, empirical_ntk, kernel_angle, kernel_summaries
from theorylab.study import Study
from theorylab.tasks import PolyRegressionConfig, make_poly_regression
from theorylab.train import TrainConfig, record_steps, train
from theorylab.trajectory import Trajectory

__all__ = ["KernelPhases", "Switching", "tau_clock", "velocity_boundary", "gap_boundary", "cone_summary",
           "linearised_kernel_gd"]

DEFAULT_TASK = PolyRegressionConfig(8, 192, n_test=512, target="hermite", order=2, normalize_teacher=True)


def tau_clock(alpha: float) -> Clock:
    """``tau = lr x step = alpha^2 t_gf``: gradient flow of ``HALF_MEAN``, rescaled by ``alpha^2``."""
    unit = "lr0 x step" if alpha == 1 else f"lr0 x step = alpha^2 x gradient-flow time, alpha = {alpha:g}"
    return Clock.rescaled(alpha**2, HALF_MEAN, unit=unit, symbol="tau")


@dataclass(frozen=True)
class KernelPhases(Study):
    """A centred MLP trained by full-batch GD, its eNTK on a probe set recorded along training.

    Experiment: ``seeds`` MLPs ``[D, *hidden, 1]`` (float64, ``activation``, output scale
    ``output_scale``, centred; see the module docstring) trained at parameter step
    ``lr / output_scale^2`` to ``t_max`` on the ``tau`` clock, recorded at 0 and ``n_rec - 1``
    log-spaced times from ``t_first``.  Observables: ``loss`` and ``test_loss`` (1/2-mean
    squared error on the training and test sets), ``ntk`` (T, E, n_probe, n_probe), and
    its summaries (:func:`theorylab.nets.kernel_summaries`): ``kernel_distance`` (to the
    initial kernel), ``kernel_distance_final``, ``kernel_velocity`` (forward difference over
    the records, per unit ``tau``), ``kernel_norm`` (relative to the initial kernel),
    ``effective_rank`` and ``alignment`` (centred, with the probe points' targets).
    Theory: none (``theory()`` returns None); :class:`Switching` holds the linearised theory.
    Clock: ``tau`` (:func:`tau_clock`).
    """

    family = "kernel_evolution"
    task: PolyRegressionConfig = DEFAULT_TASK
    data_seed: int = 0
    hidden: tuple[int, ...] = (32, 32)
    activation: str = "tanh"
    output_scale: float = 1.0
    lr: float = 0.05
    t_max: float = 100.0
    t_first: float = 0.2
    n_rec: int = 40
    seeds: int = 2
    n_probe: int = 32

    def validate(self) -> None:
        check_int("data_seed", self.data_seed, minimum=0)
        if not self.hidden:
            raise ValueError("hidden must list at least one hidden width")
        for i, w in enumerate(self.hidden):
            check_int(f"hidden[{i}]", w)
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        for name in ("output_scale", "lr", "t_max", "t_first"):
            check_positive(name, getattr(self, name))
        if not self.lr <= self.t_first < self.t_max:
            raise ValueError(f"t_first must lie in [lr, t_max) = [{self.lr}, {self.t_max}), got {self.t_first}")
        check_int("n_rec", self.n_rec, minimum=3)
        check_int("seeds", self.seeds)
        check_int("n_probe", self.n_probe, minimum=2)
        if self.n_probe > self.task.n_test:
            raise ValueError(f"n_probe must be <= task.n_test = {self.task.n_test}, got {self.n_probe}")

    @classmethod
    def example(cls) -> "KernelPhases":
        return cls(task=PolyRegressionConfig(4, 16, n_test=8, target="hermite", order=2, normalize_teacher=True),
                   hidden=(6,), lr=0.1, t_max=2.0, t_first=0.2, n_rec=4, seeds=2, n_probe=4)

    @property
    def clock(self) -> Clock:
        return tau_clock(self.output_scale)

    def record_times(self) -> np.ndarray:
        """The recorded ``tau``: 0 and ``n_rec - 1`` log-spaced times, on the step grid."""
        want = np.concatenate([[0.0], np.geomspace(self.t_first, self.t_max, self.n_rec - 1)])
        return record_steps(want, self.lr) * self.lr

    def snap(self, times) -> np.ndarray:
        """Each of ``times`` moved to the nearest recorded time."""
        rec = self.record_times()
        return rec[np.argmin(np.abs(rec[None, :] - np.asarray(times, float)[:, None]), axis=1)]

    def network(self, seeds=None) -> MLP:
        return MLP([self.task.D, *self.hidden, 1], seeds=range(self.seeds) if seeds is None else seeds,
                   activation=self.activation, output_scale=self.output_scale, dtype="float64", device="cpu")

    def data(self):
        """Training and test inputs (as the network reads them), targets and probe targets."""
        task = make_poly_regression(self.task, rng=self.data_seed)
        s = np.sqrt(self.task.D)
        return s * task.x_train, task.y_train, s * task.x_test, task.y_test

    def targets(self) -> tuple[np.ndarray, np.ndarray]:
        """Training and test targets ``y + f(theta0)`` (E, n, 1): the centred network ``f - f(theta0)`` learns ``y``."""
        X, y, Xt, yt = self.data()
        net = self.network()
        with torch.no_grad():
            f0 = net(net.as_input(X)).numpy()
            f0t = net(net.as_input(Xt)).numpy()
        return y[None, :, None] + f0, yt[None, :, None] + f0t

    def experiment(self) -> Trajectory:
        X, _, Xt, yt = self.data()
        net = self.network()
        Y, Yt = self.targets()
        probe = net.as_input(Xt[: self.n_probe])
        lr_p = self.lr / self.output_scale**2
        cfg = TrainConfig(lr=lr_p, t_record=self.record_times() / self.output_scale**2)
        tr = train(net, X, Y, cfg, test=(Xt, Yt), observables={"ntk": lambda m: empirical_ntk(m, probe),
                                                               "theta": _flat}).on_clock(self.clock)
        summ = kernel_summaries(tr.t, tr["ntk"], y=yt[: self.n_probe])
        obs = {k: tr[k] for k in ("loss", "test_loss", "ntk", "theta")}
        return Trajectory(tr.t, {**obs, **summ},
                          {"probe": f"first {self.n_probe} test inputs", "alpha": self.output_scale,
                           "parameter lr": lr_p}, n_seeds=self.seeds, clock=self.clock)


def _flat(m: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.reshape(m.n_members, -1) for p in m.parameters()], dim=1)


def _load(m: torch.nn.Module, flat: np.ndarray) -> None:
    th = torch.as_tensor(flat)
    off = 0
    with torch.no_grad():
        for p in m.parameters():
            n = p[0].numel()
            p.copy_(th[:, off:off + n].reshape(p.shape))
            off += n


def linearised_kernel_gd(K_train, K_test, f_train, f_test, y_train, y_test, *, lr: float, steps: int):
    """Train and test 1/2-mean losses after ``steps`` GD steps of a linear model with kernel ``K``.

    A model linear in its parameters with Jacobian ``J`` moves its outputs by
    ``-lr J J^T (f - y) / P`` per GD step on ``1/(2P) sum (y - f)^2``: exactly kernel GD,
    ``r_m = (I - lr K / P)^m r_0`` on the training residual ``r`` and
    ``f_test(m) = f_test(0) - (lr / P) K_test sum_{j<m} r_j``, summed in the eigenbasis of
    ``K`` (``K_train`` (P, P), ``K_test`` (n_test, P)).  Infinite when GD diverges
    (``lr lambda_max / P > 2``).
    """
    P = K_train.shape[0]
    lam, V = np.linalg.eigh(K_train)
    a = lr * np.clip(lam, 0.0, None) / P
    z = V.T @ (f_train - y_train)
    with np.errstate(over="ignore", invalid="ignore"):
        stable = a < 1                                      # log1p / expm1 keep slow modes accurate
        la = np.log1p(-np.where(stable, a, 0.0))
        decay = np.where(stable, np.exp(steps * la), (1 - a) ** steps)
        gone = np.where(stable, -np.expm1(steps * la), 1 - decay)
        partial = np.where(a > 0, gone / np.where(a > 0, a, 1.0), float(steps))     # sum_{j<m} (1 - a)^j
        r = V @ (decay * z)
        ft = f_test - (lr / P) * (K_test @ (V @ (partial * z)))
        train_loss = 0.5 * np.mean(r**2)
        test_loss = 0.5 * np.mean((ft - y_test) ** 2)
    if not (np.isfinite(train_loss) and np.isfinite(test_loss)):
        return np.inf, np.inf
    return float(train_loss), float(test_loss)


@dataclass(frozen=True)
class Switching(Study):
    """Train normally to ``t0``, then continue with the network linearised at ``t0`` (Fort et al. 2020, Sec. 4;
    Zhou et al. 2025, Sec. 4: "switching").

    Both sides start from ``base``'s networks at ``t0`` (each switch time is moved to the
    nearest recorded time of ``base``) and train to ``base.t_max`` with the same step.
    Experiment: the first-order Taylor model at ``t0`` (:class:`~theorylab.nets.Linearised`,
    ``torch.func.jvp``), trained by GD, for each ``t0`` in ``t0s_trained`` (returns None
    when it is empty).  Theory: the same model solved exactly, for each ``t0`` in ``t0s``:
    GD on a model linear in its parameters is kernel GD with the eNTK at ``theta(t0)`` on
    the training and test sets (:func:`linearised_kernel_gd`).  Observables on ``t = t0``
    (the ``tau`` clock): ``loss`` and ``test_loss`` (T0, E) of the linearised model at
    ``t_max``; the theory also carries ``test_loss_full`` (T0, E), the fully trained
    network's test loss at ``t_max`` (the same for every ``t0``).
    """

    family = "kernel_evolution"
    base: KernelPhases = KernelPhases()
    t0s: tuple[float, ...] = (0.0, 2.0, 5.0, 10.0, 20.0, 50.0)
    t0s_trained: tuple[float, ...] = (0.0, 10.0)

    def validate(self) -> None:
        if not self.t0s:
            raise ValueError("t0s must hold at least one switch time")
        for name in ("t0s", "t0s_trained"):
            t = np.asarray(getattr(self, name), float)
            if np.any((t < 0) | (t > self.base.t_max)):
                raise ValueError(f"{name} must lie in [0, base.t_max = {self.base.t_max}], got {getattr(self, name)}")
        th, ex = self.switch_times(), self.trained_times()
        if np.unique(th).size != th.size or np.unique(ex).size != ex.size:
            raise ValueError("t0s and t0s_trained must fall on distinct recorded times of base")
        if not set(ex.tolist()) <= set(th.tolist()):
            raise ValueError("t0s_trained must be among t0s (after moving both to recorded times)")

    @classmethod
    def example(cls) -> "Switching":
        return cls(base=KernelPhases.example(), t0s=(0.0, 0.5, 2.0), t0s_trained=(0.5,))

    def switch_times(self) -> np.ndarray:
        return self.base.snap(self.t0s)

    def trained_times(self) -> np.ndarray:
        return self.base.snap(self.t0s_trained) if self.t0s_trained else np.zeros(0)

    def _index(self, times) -> np.ndarray:
        rec = self.base.record_times()
        return np.array([int(np.argmin(np.abs(rec - t))) for t in times], dtype=int)

    def _steps_left(self, t0: float) -> int:
        return int(round((self.base.t_max - t0) / self.base.lr))

    def theory(self) -> Trajectory:
        b = self.base
        tr = self.require(b).experiment                             # the trained run, computed once and cached
        Y, Yt = b.targets()
        X, _, Xt, _ = b.data()
        P = X.shape[0]
        Xall = np.vstack([X, Xt])
        Yall = np.concatenate([Y, Yt], axis=1)[..., 0]
        lr_p = b.lr / b.output_scale**2
        out = {"loss": [], "test_loss": []}
        for t0, i in zip(self.switch_times(), self._index(self.switch_times())):
            net = b.network()
            _load(net, tr["theta"][i])
            K = empirical_ntk(net, Xall, X).numpy()                    # (E, P + n_test, P)
            with torch.no_grad():
                f = net(net.as_input(Xall)).numpy()[..., 0]
            res = [linearised_kernel_gd(K[e, :P], K[e, P:], f[e, :P], f[e, P:], Yall[e, :P], Yall[e, P:], lr=lr_p,
                                        steps=self._steps_left(t0)) for e in range(b.seeds)]
            out["loss"].append([r[0] for r in res])
            out["test_loss"].append([r[1] for r in res])
        obs = {k: np.array(v) for k, v in out.items()}
        obs["test_loss_full"] = np.broadcast_to(tr["test_loss"][-1], obs["test_loss"].shape).copy()
        return Trajectory(self.switch_times(), obs, {"solver": "kernel GD with the eNTK at theta(t0)",
                                                     "t_end": b.t_max}, n_seeds=b.seeds, clock=b.clock)

    def experiment(self) -> Trajectory | None:
        if not self.t0s_trained:
            return None
        b = self.base
        tr = self.require(b).experiment
        Y0, Yt0 = b.targets()
        X, _, Xt, _ = b.data()
        t0s = self.trained_times()
        idx = self._index(t0s)
        E = b.seeds
        net = b.network(seeds=[e for _ in t0s for e in range(E)])      # member (k, e): switch k, seed e
        _load(net, np.concatenate([tr["theta"][i] for i in idx]))
        lin = Linearised(net)
        steps = np.array([self._steps_left(t) for t in t0s])
        lr_p = b.lr / b.output_scale**2
        cfg = TrainConfig(lr=lr_p, t_record=np.unique(steps) * lr_p)
        Y, Yt = np.tile(Y0, (len(t0s), 1, 1)), np.tile(Yt0, (len(t0s), 1, 1))
        lt = train(lin, X, Y, cfg, test=(Xt, Yt))
        rec = np.rint(lt.t / lr_p).astype(int)
        loss = np.empty((len(t0s), E))
        test = np.empty((len(t0s), E))
        for k, n in enumerate(steps):
            j = int(np.flatnonzero(rec == n)[0])
            loss[k] = lt["loss"][j, k * E:(k + 1) * E]
            test[k] = lt["test_loss"][j, k * E:(k + 1) * E]
        return Trajectory(t0s, {"loss": loss, "test_loss": test}, {"model": "Linearised (torch.func.jvp)",
                                                                   "t_end": b.t_max}, n_seeds=E, clock=b.clock)


# -- summaries shared by checks and drawings -----------------------------------------------------------------
def velocity_boundary(t, v, fraction: float) -> float:
    """End of Phase I from the kernel velocity: the first recorded time after the last one at which
    ``v >= fraction x max v`` (``v`` of shape (T,), its last entry a repeat; ``t[-1]`` if it never drops)."""
    t, v = np.asarray(t, float), np.asarray(v, float)
    high = np.flatnonzero(v[:-1] >= fraction * np.max(v[:-1]))
    last = int(high[-1]) if high.size else 0
    return float(t[min(last + 1, t.size - 1)])


def gap_boundary(t0, gap, fraction: float, t_end: float) -> float:
    """End of Phase I from the linearisation gap ``L_lin(t0) - L_full``: the first switch time from which
    on the gap stays at most ``fraction`` x its value at the first switch time (``t_end``, where switching
    is full training, if it never does)."""
    t0, gap = np.asarray(t0, float), np.asarray(gap, float)
    bad = np.flatnonzero(~(gap <= fraction * gap[0]))
    first = int(bad[-1]) + 1 if bad.size else 0
    return float(t0[first]) if first < t0.size else float(t_end)


def cone_summary(t, K, t1: float) -> dict[str, float]:
    """Angles (degrees) and norms around the Phase-I end point ``t1`` (a recorded time) of one kernel trajectory.

    ``cone``: the largest angle between ``K_t`` and ``K_t1`` over ``t >= t1``; ``phase1``: the angle
    from ``K_0`` to ``K_t1``; ``norm_ratio``: ``||K_T||_F / ||K_t1||_F``; ``moved``: the relative
    Frobenius change ``||K_T - K_t1||_F / ||K_t1||_F``.
    """
    t = np.asarray(t, float)
    K = np.asarray(K, float)
    i1 = int(np.argmin(np.abs(t - t1)))
    n1 = np.linalg.norm(K[i1])
    return {"cone": float(np.degrees(kernel_angle(K[i1:], K[i1][None]).max())),
            "phase1": float(np.degrees(kernel_angle(K[0], K[i1]))),
            "norm_ratio": float(np.linalg.norm(K[-1]) / n1),
            "moved": float(np.linalg.norm(K[-1] - K[i1]) / n1)}
