r"""Studies of grokking in quadratic committee machines (Kumar, Bordelon, Gershman & Pehlevan, ICLR 2024).

Paper: arXiv:2310.06110.  A committee machine ``f(x) = (alpha/N) sum_i phi(w_i . x)``,
``phi(h) = h + (eps/2) h^2``, unit readouts, learns ``y = 1/2 (beta . x)^2`` from ``P``
points ``x ~ N(0, I/D)`` (:mod:`theorylab.tasks.polynomial_regression`).  Its GD dynamics
close exactly on ``w_bar = (1/N) sum w_i`` and ``M = (1/N) sum w_i w_i^T``
(:mod:`theorylab.solvers.committee`): the theory here is that exact map, which a trained
float64 width-``N`` network equals to round-off, at a cost independent of ``N``.

Conventions: loss ``L = (1/P) sum_mu (f - y)^2`` (no 1/2, ``MEAN_SQ``), full-batch GD with
the paper's ``eta = eta0 N / alpha^2``; the centred predictor ``f - f_0`` unless a run says
otherwise.  Clock of every trajectory: :func:`~theorylab.solvers.committee.epoch_clock`
``(eta0)`` -- ``t`` counts epochs (one GD step each), which is gradient flow of
``L~ = (N / alpha^2) L`` at ``tau = eta0 * epoch``, one clock for every ``alpha`` of a sweep.
A trained network (``train(reduction="mse", time="steps")``) is put on that clock by
:func:`~theorylab.solvers.committee.network_epochs`, which checks its step size.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from theorylab._validate import check_fields, check_int, check_nonnegative, check_positive
from theorylab.compare import crossing_time
from theorylab.nets import CommitteeMachine
from theorylab.solvers.committee import (CommitteeState, epoch_clock, exact_gd_batch, initial_ntk, kernel_alignment,
                                         lazy_gd_trajectory, network_epochs, ntk, outputs)
from theorylab.study import Study
from theorylab.tasks import PolyRegressionConfig, make_poly_regression
from theorylab.train import TrainConfig, train
from theorylab.trajectory import Trajectory

__all__ = ["Committee", "GrokkingRuns", "LazyReference", "grok_times", "one_run", "TRAIN_LEVEL", "TEST_LEVEL"]

#: "fitted": the train loss at 10% of its start; "generalised": the test loss at 50% of its start.
TRAIN_LEVEL, TEST_LEVEL = 0.1, 0.5


@dataclass(frozen=True)
class Committee:
    """One quadratic committee machine of a sweep (the width and data are the study's).

    Parameters
    ----------
    alpha : output scale > 0 (large: lazy);  eps : quadratic coefficient >= 0 (alignment of the initial NTK)
    init_scale : ``w_i ~ N(0, init_scale^2 I_D)`` (Fig. 7)
    centered : train ``f - f_0`` (the paper's choice; Fig. 4 is not centred)
    toward_solution : ``lambda`` in [0, 1) of Fig. 10: ``(w_bar_0, M_0)`` moved a fraction ``lambda``
        toward ``(0, beta beta^T / (alpha eps))``, the uncentred network equal to the target (theory only)
    eigvec : 0 for the teacher's labels; ``j >= 1`` (Fig. 5) for labels along the ``j``-th eigenvector
        (descending) of the initial NTK Gram matrix over training and test inputs, unit mean square
    net_seed : the seed of this run's initial weights; -1 (default): the study's ``net_seed`` (an
        ensemble of initialisations is a tuple of runs with seeds 0, 1, ...)
    """

    alpha: float = 1.0
    eps: float = 0.1
    init_scale: float = 1.0
    centered: bool = True
    toward_solution: float = 0.0
    eigvec: int = 0
    net_seed: int = -1

    def __post_init__(self) -> None:
        check_fields(self)
        check_positive("alpha", self.alpha)
        check_nonnegative("eps", self.eps)
        check_positive("init_scale", self.init_scale)
        if not 0.0 <= self.toward_solution < 1.0:
            raise ValueError(f"toward_solution must be in [0, 1), got {self.toward_solution}")
        if self.toward_solution and self.eps == 0:
            raise ValueError("toward_solution needs eps > 0 (M* = beta beta^T / (alpha eps))")
        check_int("eigvec", self.eigvec, minimum=0)
        check_int("net_seed", self.net_seed, minimum=-1)


@dataclass(frozen=True)
class _Task(Study):
    """Fields shared by the grokking studies: the task, the width, the seeds and the GD schedule."""

    family = "grokking"
    D: int = 30
    P: int = 120
    N: int = 150
    n_test: int = 10
    task_seed: int = 0
    net_seed: int = 0
    eta0: float = 1.0
    steps: int = 8000
    record_every: int = 50

    def validate(self) -> None:
        for name in ("D", "P", "N", "n_test", "record_every"):
            check_int(name, getattr(self, name))
        check_int("task_seed", self.task_seed, minimum=0)
        check_int("net_seed", self.net_seed, minimum=0)
        check_int("steps", self.steps, minimum=0)
        check_positive("eta0", self.eta0)

    def task(self):
        return make_poly_regression(PolyRegressionConfig(self.D, self.P, n_test=self.n_test), rng=self.task_seed)

    def network(self, c: Committee) -> CommitteeMachine:
        """The float64 network of run ``c`` (seed ``c.net_seed``, else the study's ``net_seed``): its initial
        weights are every theory's too."""
        seed = c.net_seed if c.net_seed >= 0 else self.net_seed
        return CommitteeMachine(self.D, self.N, seeds=[seed], alpha=c.alpha, eps=c.eps,
                                init_scale=c.init_scale, centered=c.centered, dtype="float64", device="cpu")

    def state(self, c: Committee, beta: np.ndarray) -> CommitteeState:
        """Initial order parameters of run ``c``, moved toward the solution by ``c.toward_solution``."""
        st = CommitteeState.from_network(self.network(c))
        lam = c.toward_solution
        if lam:
            M_star = np.outer(beta, beta) / (st.alpha * st.eps)
            st = dataclasses.replace(st, wbar0=(1 - lam) * st.wbar0, M0=(1 - lam) * st.M0 + lam * M_star, W0=None)
        return st

    def epochs(self) -> np.ndarray:
        """The recorded epochs: every ``record_every``-th and the last (as the exact map records them)."""
        return np.unique(np.r_[np.arange(0, self.steps + 1, self.record_every), self.steps]).astype(float)


def _labels(task, st: CommitteeState, j: int):
    """(y_train, y_test, spectrum): the teacher's labels (``j = 0``) or the ``j``-th NTK eigenvector's."""
    if j == 0:
        return task.y_train, task.y_test, None
    X = np.r_[task.x_train, task.x_test]
    if j > X.shape[0]:
        raise ValueError(f"eigvec must be <= P + n_test = {X.shape[0]}, got {j}")
    lam, V = np.linalg.eigh(initial_ntk(X, X, st))
    lam, v = lam[::-1], V[:, ::-1][:, j - 1] * np.sqrt(X.shape[0])
    v = v if v.sum() >= 0 else -v
    P = task.x_train.shape[0]
    return v[:P], v[P:], lam


@dataclass(frozen=True)
class GrokkingRuns(_Task):
    """A sweep of committee machines on one task, by their exact (w_bar, M) dynamics (Kumar et al. 2024).

    Theory: the exact map (:func:`~theorylab.solvers.committee.exact_gd_batch`, every run
    advanced together) for ``steps`` epochs, recorded every ``record_every``; observables of
    shape (T, B), one column per run of ``runs``:

    * ``train_loss`` ``(1/P) sum (f - y)^2``;
    * with ``test_set``: ``test_loss`` on the task's ``n_test`` test points and
      ``test_loss_sem``, the standard error of that mean (std of the squared errors / sqrt(n_test));
    * when every run learns the teacher (``eigvec = 0``): the exact population loss
      ``pop_test_loss`` and its terms ``pop_variance``, ``pop_misalignment``, ``pop_linear_power`` (eq. 6);
    * with ``cka``: ``cka``, the centred alignment of the NTK at each record with the training labels.

    ``meta["ntk_eigenvalues"]`` holds, per run, the initial NTK spectrum over training and test
    inputs for ``eigvec`` runs (None otherwise).

    Experiment (None unless ``trained >= 0``): the float64 network of ``runs[trained]`` (same
    initial weights) trained by ``train(reduction="mse")`` at ``eta0 N / alpha^2`` for
    ``trained_steps`` epochs, recorded every ``trained_every``: ``train_loss`` and (with
    ``test_set``) ``test_loss``, shape (T',), to be compared with column ``trained``
    (:func:`one_run`) -- or with any run whose dynamics must be the same (Fig. 7).

    Clock: :func:`~theorylab.solvers.committee.epoch_clock` ``(eta0)`` (module docstring).
    """

    runs: tuple[Committee, ...] = (Committee(),)
    test_set: bool = False
    cka: bool = False
    trained: int = -1
    trained_steps: int = 0
    trained_every: int = 50

    def validate(self) -> None:
        super().validate()
        if not self.runs:
            raise ValueError("runs must hold at least one Committee")
        check_int("trained", self.trained, minimum=-1)
        if self.trained >= len(self.runs):
            raise ValueError(f"trained must be -1 or an index of runs (< {len(self.runs)}), got {self.trained}")
        check_int("trained_steps", self.trained_steps, minimum=0)
        check_int("trained_every", self.trained_every)
        if self.trained >= 0:
            if self.runs[self.trained].toward_solution:
                raise ValueError("trained must name a run with toward_solution = 0 (a network starts from its draw)")
            if self.trained_every % self.record_every:
                raise ValueError(f"trained_every must be a multiple of record_every = {self.record_every}, "
                                 f"got {self.trained_every}")
            if not self.trained_every <= self.trained_steps <= self.steps:
                raise ValueError(f"trained_steps must lie in [trained_every, steps] = [{self.trained_every}, "
                                 f"{self.steps}], got {self.trained_steps}")

    @classmethod
    def example(cls) -> "GrokkingRuns":
        return cls(D=4, P=10, N=6, n_test=20, eta0=0.5, steps=40, record_every=10,
                   runs=(Committee(1.0, 0.3), Committee(2.0, 0.3, eigvec=2)), test_set=True, cka=True,
                   trained=1, trained_steps=20, trained_every=10)

    @property
    def teacher(self) -> bool:
        return not any(c.eigvec for c in self.runs)

    def _setup(self):
        task = self.task()
        beta = task.beta[0]
        states = [self.state(c, beta) for c in self.runs]
        labels = [_labels(task, st, c.eigvec) for c, st in zip(self.runs, states)]
        return task, beta, states, labels

    def theory(self) -> Trajectory:
        task, beta, states, labels = self._setup()
        y = np.stack([lab[0] for lab in labels]) if not self.teacher else task.y_train
        trajs = exact_gd_batch(task.x_train, y, states, eta0=self.eta0, steps=self.steps,
                               record_every=self.record_every, beta=beta if self.teacher else None)
        cols: dict[str, list[np.ndarray]] = {"train_loss": [tr["train_loss"] for tr in trajs]}
        if self.teacher:
            for k in ("pop_test_loss", "pop_variance", "pop_misalignment", "pop_linear_power"):
                cols[k] = [tr[k] for tr in trajs]
        if self.test_set:
            cols["test_loss"], cols["test_loss_sem"] = [], []
            for tr, st, (_, y_test, _) in zip(trajs, states, labels):
                sq = np.array([(outputs(task.x_test, w, m, st) - y_test) ** 2 for w, m in zip(tr["wbar"], tr["M"])])
                cols["test_loss"].append(sq.mean(axis=1))
                cols["test_loss_sem"].append(sq.std(axis=1) / np.sqrt(sq.shape[1]))
        if self.cka:
            cols["cka"] = [np.array([kernel_alignment(ntk(task.x_train, task.x_train, w, m, st), y_train)
                                     for w, m in zip(tr["wbar"], tr["M"])])
                           for tr, st, (y_train, _, _) in zip(trajs, states, labels)]
        obs = {k: np.stack(v, axis=1) for k, v in cols.items()}
        meta = {"solver": "exact_gd_batch", "runs": [dataclasses.asdict(c) for c in self.runs],
                "ntk_eigenvalues": [None if lab[2] is None else lab[2].tolist() for lab in labels]}
        return Trajectory(trajs[0].t, obs, meta, clock=trajs[0].clock)

    def experiment(self) -> Trajectory | None:
        if self.trained < 0:
            return None
        c = self.runs[self.trained]
        task = self.task()
        net = self.network(c)
        y_train, y_test, _ = _labels(task, self.state(c, task.beta[0]), c.eigvec)
        observables = {}
        if self.test_set:
            xt, yt = net.as_input(task.x_test), net.as_input(y_test)
            observables["test_loss"] = lambda m: ((m(xt)[..., 0] - yt) ** 2).mean(-1)
        eta = self.eta0 * self.N / c.alpha**2
        cfg = TrainConfig(lr=eta, t_record=np.arange(0, self.trained_steps + 1, self.trained_every), reduction="mse",
                          time="steps")
        tr = network_epochs(train(net, task.x_train, y_train[:, None], cfg, observables=observables),
                            eta0=self.eta0, N=self.N, alpha=c.alpha)
        obs = {"train_loss": tr["loss"][:, 0]}
        if self.test_set:
            obs["test_loss"] = tr["test_loss"][:, 0]
        return Trajectory(tr.t, obs, {**tr.meta, "run": self.trained}, clock=tr.clock)


@dataclass(frozen=True)
class LazyReference(_Task):
    """The lazy (linearised, ``alpha -> inf``) model of one committee machine and its ``t -> inf`` limit.

    Theory only (experiment None).  The centred network linearised around its initial
    weights: kernel GD on the initial NTK ``K_bar`` (:func:`~theorylab.solvers.committee.lazy_gd_trajectory`),
    ``f <- f - (2 eta0 / P) K_bar Delta`` per epoch -- the same steps as the network at
    ``eta0 N / alpha^2``, for any ``alpha``.  Observables (T,): ``train_loss``, ``test_loss``
    (on the task's test set) and ``kernel_regression_test_loss``, the test loss of ridgeless
    regression with ``K_bar`` (the lazy model's ``t -> inf`` limit; constant in ``t``).
    Clock: :func:`~theorylab.solvers.committee.epoch_clock` ``(eta0)``, the clock of :class:`GrokkingRuns`.
    """

    committee: Committee = Committee()

    def validate(self) -> None:
        super().validate()
        if self.committee.eigvec or self.committee.toward_solution:
            raise ValueError("committee must learn the teacher from its drawn weights "
                             "(eigvec = 0, toward_solution = 0)")

    @classmethod
    def example(cls) -> "LazyReference":
        return cls(D=4, P=10, N=6, n_test=20, eta0=0.5, steps=40, record_every=10, committee=Committee(1.0, 0.3))

    def theory(self) -> Trajectory:
        task = self.task()
        st = self.state(self.committee, task.beta[0])
        lazy = lazy_gd_trajectory(task.x_train, task.y_train, st, eta0=self.eta0, epochs=self.epochs(),
                                  X_test=task.x_test, y_test=task.y_test)
        K0 = initial_ntk(task.x_train, task.x_train, st)
        f_kr = initial_ntk(task.x_test, task.x_train, st) @ np.linalg.lstsq(K0, task.y_train, rcond=None)[0]
        kr = float(np.mean((f_kr - task.y_test) ** 2))
        return lazy.with_obs(kernel_regression_test_loss=np.full(len(lazy), kr))


def one_run(traj: Trajectory, k: int) -> Trajectory:
    """Column ``k`` (run ``k``) of every observable of a :class:`GrokkingRuns` theory, on its clock."""
    return Trajectory(traj.t, {name: v[:, k] for name, v in traj.obs.items()}, {**traj.meta, "run": k},
                      clock=traj.clock)


def grok_times(traj: Trajectory, k: int | None = None, test: str = "pop_test_loss") -> dict[str, float]:
    """When the train loss reaches 10% and the test loss 50% of their starts, in ``traj``'s time (epochs).

    ``k`` selects a run of a :class:`GrokkingRuns` theory.  NaN: not within the run.  Also
    ``rise``, the largest test loss over its start (> 1: the test loss rose first), and
    ``final``, the last one over the start.
    """
    tr, te = traj["train_loss"], traj[test]
    if k is not None:
        tr, te = tr[:, k], te[:, k]
    return {"t_train": crossing_time(traj.t, tr / tr[0], TRAIN_LEVEL, direction="down"),
            "t_test": crossing_time(traj.t, te / te[0], TEST_LEVEL, direction="down"),
            "rise": float(te.max() / te[0]), "final": float(te[-1] / te[0])}
