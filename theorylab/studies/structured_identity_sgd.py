r"""SIM studies of MLPs trained by SGD on sampled data, as in the paper's experiments (arXiv:2410.08309, Figs. 2, 7, 11-14).

Networks are trained as the authors do: plain SGD, batch 128, PyTorch's
``mse_loss`` (mean over batch *and* the ``d`` outputs), reshuffled every epoch,
PyTorch's default ``nn.Linear`` init (scaled by ``init_scale``).  ``train``
turns that into gradient-flow time of ``1/2 E||f(x) - x||^2``: one step is
``t = 2 lr / d`` (:data:`~.structured_identity.GF`).

Several SIM configs (sharing ``d`` and ``n_per_cluster``) train as one batched
ensemble of ``len(configs) x seeds`` members, config-major.  Config ``i``'s task
is ``make_sim(configs[i], rng=data_seed + 17 i)``; its member ``e`` draws its own
training set from ``rng = data_seed + 1000 (i + 1) + e`` (so the seed spread
includes the sampling error of the data's second moment) and has the member
seed ``e + 1000 i`` (init and SGD order).  Results are reshaped so that
experiment observables are ``(T, seeds, C, ...)`` (an ensemble over seeds) and
theory observables ``(T, C, ...)``: the seed mean of the experiment has the
theory's shape, and :func:`~.structured_identity.select_config` picks one config.
Outputs are read at the OOD probe ``x_hat = sum_k mu_k e_k`` and mapped back to
concept coordinates.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from theorylab._validate import check_choice, check_int, check_nonnegative, check_positive
from theorylab.nets import MLP, DeepLinear
from theorylab.nets.mlp import ACTIVATIONS
from theorylab.solvers import sim
from theorylab.study import Study
from theorylab.tasks import SIMConfig, concept_mean, make_sim
from theorylab.train import TrainConfig, record_steps, train
from theorylab.trajectory import Trajectory

from .structured_identity import GF

__all__ = ["ConceptTheory", "OneLayerSIM", "DeepSIM", "sim_tasks"]

_EXAMPLE = (SIMConfig((1.0, 2.0), noise_var=0.05, n_per_cluster=64, dim=4),
            SIMConfig((2.0, 1.0), noise_var=0.05, n_per_cluster=64, dim=4))


def sim_tasks(configs, data_seed: int = 0) -> list:
    """The (deterministic) tasks of several configs: ``make_sim(configs[i], rng=data_seed + 17 i)``."""
    return [make_sim(c, rng=data_seed + 17 * i) for i, c in enumerate(configs)]


def _check_configs(configs) -> None:
    if not configs:
        raise ValueError("configs must hold at least one SIMConfig")
    first = configs[0]
    for c in configs[1:]:
        if c.n_concepts != first.n_concepts:
            raise ValueError(f"configs must share the number of concepts, got {first.n_concepts} and {c.n_concepts}")


def _concept_theory(configs, t: np.ndarray, depth: int, u0: float, bias: bool = False) -> np.ndarray:
    """Output at ``x_hat`` in concept coordinates, (T, C, s), from a decoupled init of strength ``u0``.

    Depth 1: ``f_k = (1 - (1 - u0) e^{-a_k t}) mu_k`` (``W(0) = u0 I``; eq. 4); with
    ``bias``, the affine flow ``[W b](t) = [I 0] + ([u0 I 0] - [I 0]) e^{-A~ t}``
    (:func:`~theorylab.solvers.sim.one_layer_affine`, ``A~ = [[A, m], [m^T, 1]]``, ``m = mu / C``).
    Depth D >= 2: ``f_k = mu_k deep_mode(a_k t, 1, u0, D)`` (every concept a Saxe mode with ``s = lam = a_k``).
    """
    out = []
    for task in sim_tasks(configs):
        a, mu = task.rates, np.asarray(task.config.signal)
        if depth == 1 and bias:
            out.append(sim.one_layer_affine_output(t, a, concept_mean(task.config), mu, W0=u0 * np.eye(a.size)))
        elif depth == 1:
            out.append(sim.one_layer_output(t, a, mu, W0=u0 * np.eye(a.size)))
        else:
            out.append(sim.deep_linear_concepts(t, a, u0, depth) * mu)
    return np.stack(out, axis=1)


@dataclass(frozen=True)
class ConceptTheory(Study):
    """Theory only: the OOD output in concept space of a linear network from a decoupled init.

    Theory: observable ``ood`` (T, C, s) on ``n_theory`` points of ``[0, t_max]``
    (:data:`GF` clock), per config: depth 1 with ``W(0) = u0 I`` (``u0 = 0``: the
    zero-init closed form; with ``bias``, a bias starting at 0 and the affine
    closed form with ``A~ = [[A, m], [m^T, 1]]``), or a depth-``D`` chain whose
    product starts at ``u0`` on the concept modes (``deep_mode``, Saxe et al. 2014).
    Experiment: none (``None``); used as a reference curve next to networks
    that have no exact theory.
    """

    family = "structured_identity"
    configs: tuple[SIMConfig, ...] = _EXAMPLE
    depth: int = 1
    u0: float = 0.0
    t_max: float = 5.0
    n_theory: int = 300
    bias: bool = False

    def validate(self) -> None:
        _check_configs(self.configs)
        check_int("depth", self.depth)
        if self.bias and self.depth != 1:
            raise ValueError(f"bias needs depth = 1 (the affine closed form), got depth {self.depth}")
        check_nonnegative("u0", self.u0)
        if self.depth > 1 and not 0 < self.u0 < 1:
            raise ValueError(f"u0 must lie in (0, 1) for depth >= 2 (a product starting at 0 never moves), "
                             f"got {self.u0}")
        check_positive("t_max", self.t_max)
        check_int("n_theory", self.n_theory, minimum=2)

    @classmethod
    def example(cls) -> "ConceptTheory":
        return cls(depth=2, u0=0.01, t_max=3.0, n_theory=50)

    def theory(self) -> Trajectory:
        t = np.linspace(0.0, self.t_max, self.n_theory)
        return Trajectory(t, {"ood": _concept_theory(self.configs, t, self.depth, self.u0, self.bias)},
                          {"depth": self.depth, "u0": self.u0, "bias": self.bias}, clock=GF)


@dataclass(frozen=True)
class _SGDStudy(Study):
    """Fields and the training loop shared by :class:`OneLayerSIM` and :class:`DeepSIM`."""

    family = "structured_identity"
    configs: tuple[SIMConfig, ...] = _EXAMPLE
    seeds: int = 2
    lr: float = 0.1
    batch_size: int = 128
    t_max: float = 1.0
    n_rec: int = 11
    data_seed: int = 0
    n_theory: int = 2000

    def validate(self) -> None:
        _check_configs(self.configs)
        first = self.configs[0]
        for c in self.configs[1:]:
            if (c.d, c.n_per_cluster, c.n_clusters) != (first.d, first.n_per_cluster, first.n_clusters):
                raise ValueError("configs must share dim, n_per_cluster and origin_cluster (one batched ensemble)")
        check_int("seeds", self.seeds)
        check_positive("lr", self.lr)
        check_int("batch_size", self.batch_size)
        if self.batch_size > first.n_per_cluster * first.n_clusters:
            raise ValueError(f"batch_size must be <= the {first.n_per_cluster * first.n_clusters} training points, "
                             f"got {self.batch_size}")
        check_positive("t_max", self.t_max)
        check_int("n_rec", self.n_rec, minimum=2)
        check_int("data_seed", self.data_seed, minimum=0)
        check_int("n_theory", self.n_theory, minimum=2)

    # -- pieces -------------------------------------------------------------
    @property
    def d(self) -> int:
        return self.configs[0].d

    @property
    def step_time(self) -> float:
        """Gradient-flow time of one SGD step on ``mse_loss``: ``2 lr / d``."""
        return 2.0 * self.lr / self.d

    def record_times(self) -> np.ndarray:
        """The times (GF clock) at which the experiment records: ``n_rec`` points of ``[0, t_max]`` on the step grid."""
        dt = self.step_time
        return record_steps(np.linspace(0.0, self.t_max, self.n_rec), dt) * dt

    def theory_times(self) -> np.ndarray:
        """``n_theory`` points of ``[0, t_max]`` joined with the record times (the theory is exact there)."""
        return np.union1d(np.linspace(0.0, self.t_max, self.n_theory), self.record_times())

    def tasks(self) -> list:
        return sim_tasks(self.configs, self.data_seed)

    def _data(self, tasks) -> np.ndarray:
        """Per-member training inputs (E, P, d), config-major; targets are the inputs."""
        S = self.seeds
        return np.stack([task.sample(rng=self.data_seed + 1000 * (i + 1) + s).x
                         for i, task in enumerate(tasks) for s in range(S)])

    def _member_seeds(self) -> list[int]:
        return [s + 1000 * i for i in range(len(self.configs)) for s in range(self.seeds)]

    def _net(self, tasks) -> torch.nn.Module:
        raise NotImplementedError

    def _train(self, compositions: bool = False) -> Trajectory:
        tasks = self.tasks()
        X = self._data(tasks)
        net = self._net(tasks)
        S, s = self.seeds, self.configs[0].n_concepts
        probes = net.as_input(np.stack([t.ood_probe[None] for t in tasks for _ in range(S)]))          # (E, 1, d)
        Q = net.as_input(np.stack([t.Q[:, :s] for t in tasks for _ in range(S)]))                     # (E, d, s)
        xhat = net.as_input(np.stack([np.asarray(t.config.signal) for t in tasks for _ in range(S)]))  # (E, s)

        def ood(m):
            return (m(probes) @ Q)[:, 0, :]                                                           # (E, s)

        obs = {"ood": ood, "ood_loss": lambda m: 0.5 * ((ood(m) - xhat) ** 2).sum(-1)}
        if compositions:
            comps = net.as_input(np.stack([t.compositions()[1] for t in tasks for _ in range(S)]))     # (E, 2^s, d)
            obs["comp_loss"] = lambda m: 0.5 * ((m(comps) - comps) ** 2).sum(-1)
        cfg = TrainConfig(lr=self.lr, t_record=np.linspace(0.0, self.t_max, self.n_rec), optimizer="sgd",
                          batch_size=self.batch_size, reduction="mse")
        traj = train(net, X, X, cfg, observables=obs, meta={"configs": [repr(c) for c in self.configs]})
        return _by_config(traj, len(self.configs), S)


def _by_config(traj: Trajectory, C: int, S: int) -> Trajectory:
    """A config-major ensemble of ``C x S`` members as observables (T, S, C, ...) with ``n_seeds = S``."""
    obs = {}
    for k, v in traj.obs.items():
        v = v.reshape((v.shape[0], C, S) + v.shape[2:])
        obs[k] = np.swapaxes(v, 1, 2)
    return Trajectory(traj.t, obs, traj.meta, S, traj.clock)


@dataclass(frozen=True)
class OneLayerSIM(_SGDStudy):
    """A one-layer linear network ``f = W x + b`` (``bias``) or ``f = W x`` learning SIM (Figs. 2a, 2b, 7).

    Experiment: for every config, ``seeds`` networks ``[d, d]`` with PyTorch's
    ``nn.Linear`` init (weights and biases ``U(-k, k)``, ``k = init_scale / sqrt(d)``;
    ``init_scale = 1`` is the paper's), each on its own data draw, SGD as in the
    module docstring.  Observables: ``ood`` (T, seeds, C, s), the output at
    ``x_hat`` in concept coordinates; ``ood_loss`` ``1/2 ||f(x_hat) - x_hat||^2`` (concept
    coordinates); ``loss`` (the training loss); with ``compositions``, ``comp_loss``
    (T, seeds, C, 2^s) ``1/2 ||f(x^(v)) - x^(v)||^2`` over all ``d`` outputs at every binary
    composition (codes in ``SIMTask.compositions`` order).

    Theory: gradient flow on the population loss **from each member's own initial
    weights** (rebuilt from the member seeds), in concept coordinates: with
    ``bias``, ``[W b](t) = [I 0] + ([W0 b0] - [I 0]) e^{-A~ t}``, ``A~ = [[A, m], [m^T, 1]]``,
    ``a_k = mu_k^2/C + sigma_k^2``, ``m_k = mu_k / C``
    (:func:`~theorylab.solvers.sim.one_layer_affine_output`); without, ``W(t) = I + (W0 - I) e^{-A t}``.
    The flow is affine in the init, so ``ood`` (T, C, s) -- the member mean -- is the
    flow from the members' mean init, the expectation of the experiment's seed
    mean; ``ood_loss`` and ``comp_loss`` average the members' losses, as the
    experiment's seed mean does.  The paper's zero-init closed form is
    ``ood_zero_init`` (T, C, s) (``f_k = (1 - e^{-a_k t}) mu_k`` without bias), and with
    ``bias`` the bias-free zero-init form is ``ood_bias_free`` (T, C, s), for reference.
    On ``n_theory`` points joined with the record times.  Clock: :data:`GF` for both.
    """

    bias: bool = True
    init_scale: float = 1.0
    compositions: bool = False

    def validate(self) -> None:
        super().validate()
        check_positive("init_scale", self.init_scale)

    @classmethod
    def example(cls) -> "OneLayerSIM":
        return cls(seeds=2, lr=0.1, batch_size=32, t_max=1.0, n_rec=6, n_theory=20, compositions=True)

    def _net(self, tasks) -> torch.nn.Module:
        return MLP([self.d, self.d], seeds=self._member_seeds(), activation="linear", bias=self.bias, init="torch",
                   init_scale=self.init_scale, dtype="float32", device="cpu")

    def member_inits(self, tasks) -> tuple[np.ndarray, np.ndarray]:
        """Every member's initial ``W0`` (E, d, d) and ``b0`` (E, d) in concept coordinates (``b0 = 0`` without bias)."""
        net = self._net(tasks)
        W = net.weights[0].detach().double().numpy()
        b = net.biases[0].detach().double().numpy() if self.bias else np.zeros(W.shape[:2])
        Qs = np.stack([t.Q for t in tasks for _ in range(self.seeds)])
        return np.swapaxes(Qs, 1, 2) @ W @ Qs, np.einsum("eji,ej->ei", Qs, b)

    def theory(self) -> Trajectory:
        t = self.theory_times()
        tasks = self.tasks()
        W0, b0 = self.member_inits(tasks)
        S, s, d = self.seeds, self.configs[0].n_concepts, self.d
        ood, ood_loss, comp = [], [], []
        for i, task in enumerate(tasks):
            mu = np.zeros(d)
            mu[:s] = task.config.signal
            probes = [mu[None]]
            if self.compositions:
                codes, _ = task.compositions()
                probes.append(np.pad(codes * mu[:s], ((0, 0), (0, d - s))))
            probes = np.concatenate(probes)                                          # (K, d) concept coordinates
            mean = task.full_mean if self.bias else np.zeros(d)
            f = sim.one_layer_affine_output(t, task.full_rates, mean, probes, W0[i * S:(i + 1) * S],
                                            b0[i * S:(i + 1) * S])                   # (T, S, K, d)
            ood.append(f[:, :, 0, :s].mean(axis=1))
            ood_loss.append(0.5 * ((f[:, :, 0, :s] - mu[:s]) ** 2).sum(-1).mean(axis=1))
            if self.compositions:
                comp.append(0.5 * ((f[:, :, 1:, :] - probes[1:]) ** 2).sum(-1).mean(axis=1))
        obs = {"ood": np.stack(ood, axis=1), "ood_loss": np.stack(ood_loss, axis=1),
               "ood_zero_init": _concept_theory(self.configs, t, 1, 0.0, self.bias)}
        if self.bias:
            obs["ood_bias_free"] = _concept_theory(self.configs, t, 1, 0.0, False)
        if self.compositions:
            obs["comp_loss"] = np.stack(comp, axis=1)
        solver = "one_layer_affine_output" if self.bias else "one_layer_affine_output (mean 0, no bias)"
        return Trajectory(t, obs, {"solver": f"{solver} from each member's init", "bias": self.bias}, clock=GF)

    def experiment(self) -> Trajectory:
        return self._train(self.compositions)


@dataclass(frozen=True)
class DeepSIM(_SGDStudy):
    """MLPs ``[d, *hidden, d]`` learning SIM (Figs. 2c/3, 11-14).

    Experiment: for every config, ``seeds`` networks with ``activation`` and
    ``bias``; ``init="torch"``: PyTorch's default init times ``init_scale`` (the
    paper's setting); ``init="decoupled"``: a linear chain whose product starts
    at ``u0`` on the concept axes and 0 elsewhere (``DeepLinear(init="decoupled")``,
    no biases).  Observables ``ood``, ``ood_loss``, ``loss`` as in :class:`OneLayerSIM`.
    Theory: exact only for the decoupled linear chain: each concept is a Saxe
    mode with ``s = lam = a_k``, ``ood = mu_k deep_mode(a_k t, 1, u0, D)``
    (T, C, s).  ``None`` for ``init="torch"`` (a random init that is not small,
    or biases coupled to the data mean: no exact theory).  Clock: :data:`GF`.
    """

    hidden: tuple[int, ...] = (8,)
    activation: str = "linear"
    bias: bool = False
    init: str = "torch"
    init_scale: float = 1.0
    u0: float = 0.01

    def validate(self) -> None:
        super().validate()
        if not self.hidden:
            raise ValueError("hidden must list at least one hidden width (use OneLayerSIM for one layer)")
        for i, h in enumerate(self.hidden):
            check_int(f"hidden[{i}]", h)
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        check_choice("init", self.init, ("torch", "decoupled"))
        check_positive("init_scale", self.init_scale)
        if self.init == "decoupled":
            if self.activation != "linear" or self.bias:
                raise ValueError("init='decoupled' needs activation='linear' and bias=False (a linear chain)")
            if not 0 < self.u0 < 1:
                raise ValueError(f"u0 must lie in (0, 1), got {self.u0}")
            s = self.configs[0].n_concepts
            if min(self.hidden) < s:
                raise ValueError(f"hidden widths must be >= the number of concepts {s} for init='decoupled'")

    @classmethod
    def example(cls) -> "DeepSIM":
        return cls(hidden=(4,), init="decoupled", u0=0.05, seeds=2, batch_size=32, t_max=1.0, n_rec=6, n_theory=20)

    @property
    def depth(self) -> int:
        return len(self.hidden) + 1

    def _net(self, tasks) -> torch.nn.Module:
        widths = [self.d, *self.hidden, self.d]
        if self.init == "torch":
            return MLP(widths, seeds=self._member_seeds(), activation=self.activation, bias=self.bias, init="torch",
                       init_scale=self.init_scale, dtype="float32", device="cpu")
        s = self.configs[0].n_concepts
        S = self.seeds
        nets = [DeepLinear(widths, seeds=[e + 1000 * i for e in range(S)], init="decoupled", u0=self.u0,
                           U=t.Q[:, :s], V=t.Q[:, :s], device="cpu") for i, t in enumerate(tasks)]
        return DeepLinear.concat(nets)

    def theory(self) -> Trajectory | None:
        if self.init != "decoupled":
            return None
        t = self.theory_times()
        return Trajectory(t, {"ood": _concept_theory(self.configs, t, self.depth, self.u0)},
                          {"solver": "deep_linear_concepts", "depth": self.depth, "u0": self.u0}, clock=GF)

    def experiment(self) -> Trajectory:
        return self._train()
