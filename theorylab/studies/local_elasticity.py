r"""Studies of locally elastic dynamics: the LE-SDE's phase transition and a CNN under label corruption.

Paper: Zhang, Wang & Su, "Imitating Deep Learning Dynamics via Locally Elastic
Stochastic Differential Equations", NeurIPS 2021 (arXiv:2110.05960).  Theory side:
the LE-SDE and its linearised class-mean ODEs (``solvers.elastic``); experiment side:
a LeNet trained by SGD with batch size 1 on the synthetic shapes task
(``tasks.shapes``, their "GeoMNIST"), whose class-mean logits are inverted for the
cumulative intra-/inter-class impacts ``A(t)``, ``B(t)`` and a tail index.

Clocks: the LE-SDE runs on its own time (``solvers.elastic.LE_SDE_TIME``, not
gradient-flow time of any loss); the LeNet trajectories count SGD steps
(``Clock.steps``: ``t_gf = lr * step`` on the mean cross-entropy), the unit in
which the paper's tail index is defined.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from theorylab._validate import check_choice, check_int, check_nonnegative, check_positive
from theorylab.nets import LeNet
from theorylab.solvers.elastic import estimate_AB, le_ode_solution, le_sde, tail_index
from theorylab.study import Study
from theorylab.tasks.shapes import CLASSES, ShapesConfig, make_shapes
from theorylab.train import TrainConfig, train
from theorylab.trajectory import Trajectory

__all__ = ["LESDEPhase", "ShapesCorruption", "le_fit", "late_tail_index", "TAIL_RULES"]


@dataclass(frozen=True)
class LESDEPhase(Study):
    """The locally elastic SDE at one ``beta / alpha``: separation iff ``alpha > beta`` (Zhang et al. 2021).

    Theory: ``solvers.elastic.le_sde``, a seeded Euler-Maruyama simulation (step ``dt``) of ``K``
    classes of ``n`` logit vectors each, ``seeds`` independent systems drawn from ``seed``:
    ``dX_k^i = -(1/(nK)) sum_k' E_kk' sum_i' grad l(X_k'^i', k') dt + sigma dW`` with
    ``E_kk = alpha``, ``E_kk' = beta``, cross-entropy ``l``, initial logits ``N(0, init_std^2)``.
    Observables (T, E): ``accuracy`` (fraction of samples whose largest logit is their class),
    ``cosines`` (mean cosine between centred class means, ``-1/(K-1)`` for a simplex ETF) and
    ``means`` (T, E, K, K), at ``record + 1`` times.

    Experiment: none (``None``): the SDE is the model of training dynamics; the trained
    network of this family is :class:`ShapesCorruption`.

    Clock: ``LE_SDE_TIME`` (the SDE's own time ``t = step * dt``).
    """

    family = "local_elasticity"
    alpha: float = 1.0
    beta: float = 0.5
    K: int = 3
    n: int = 20
    t_max: float = 300.0
    dt: float = 0.05
    sigma: float = 0.05
    init_std: float = 0.1
    seeds: int = 4
    seed: int = 0
    record: int = 50

    def validate(self) -> None:
        check_nonnegative("alpha", self.alpha)
        check_nonnegative("beta", self.beta)
        if self.alpha == 0 and self.beta == 0:
            raise ValueError("alpha and beta must not both be 0 (no dynamics)")
        check_int("K", self.K, minimum=2)
        check_int("n", self.n)
        check_positive("t_max", self.t_max)
        check_positive("dt", self.dt)
        if self.dt > self.t_max:
            raise ValueError(f"dt must be <= t_max = {self.t_max}, got {self.dt}")
        check_nonnegative("sigma", self.sigma)
        check_positive("init_std", self.init_std)
        check_int("seeds", self.seeds)
        check_int("seed", self.seed, minimum=0)
        check_int("record", self.record)

    @classmethod
    def example(cls) -> "LESDEPhase":
        return cls(n=5, t_max=2.0, dt=0.1, seeds=2, record=4)

    @property
    def ratio(self) -> float:
        """``beta / alpha`` (inf when alpha = 0)."""
        return self.beta / self.alpha if self.alpha else float("inf")

    def theory(self) -> Trajectory:
        return le_sde(self.alpha, self.beta, self.K, self.n, t_max=self.t_max, dt=self.dt, sigma=self.sigma,
                      init_std=self.init_std, n_seeds=self.seeds, rng=self.seed, record=self.record)


@dataclass(frozen=True)
class ShapesCorruption(Study):
    """A LeNet trained by SGD (batch size 1) on shapes with corrupted labels (Zhang et al. 2021, Fig. 4).

    Task: ``shapes`` (its ``corruption`` is the fraction ``p`` of training labels moved to another
    class, uniformly), drawn with ``data_seed``; a clean validation set of ``n_val`` and a clean
    probe set of ``n_probe`` images per class (same geometry) from ``val_seed`` and ``probe_seed``.

    Experiment: ``LeNet(seed=model_seed)`` (float32) trained alone (no seed axis) by SGD with batch
    size 1 at ``lr`` for ``steps`` steps on the mean cross-entropy of the (corrupted) labels;
    samples drawn uniformly with replacement across steps (``sampling="iid"``) from the
    ``"order"`` stream of ``order_seed``.  Recorded every ``record_every`` steps: ``means``
    (T, K, K), the class-mean logits on the probe set (row ``k``: probes of true class ``k``),
    ``val_acc`` (clean validation accuracy) and ``loss`` (training loss on the corrupted labels).

    Theory: none (``None``); :func:`le_fit` inverts the LE-ODE ("I" model) on the logged class
    means for ``A(t)``, ``B(t)`` and the tail index, and re-runs the ODE with them.

    Clock: ``Clock.steps(lr, CROSS_ENTROPY, unit="SGD step")``: ``t`` counts SGD steps.
    """

    family = "local_elasticity"
    shapes: ShapesConfig = ShapesConfig(300)
    n_val: int = 100
    n_probe: int = 30
    steps: int = 3000
    record_every: int = 100
    lr: float = 0.005
    data_seed: int = 1
    val_seed: int = 99
    probe_seed: int = 98
    model_seed: int = 0
    order_seed: int = 0
    sampling: str = "iid"

    def validate(self) -> None:
        check_int("n_val", self.n_val)
        check_int("n_probe", self.n_probe)
        check_int("steps", self.steps)
        check_int("record_every", self.record_every)
        if self.record_every > self.steps:
            raise ValueError(f"record_every must be <= steps = {self.steps}, got {self.record_every}")
        check_positive("lr", self.lr)
        for name in ("data_seed", "val_seed", "probe_seed", "model_seed", "order_seed"):
            check_int(name, getattr(self, name), minimum=0)
        check_choice("sampling", self.sampling, ("iid", "epoch"))
        if self.shapes.size != 32:
            raise ValueError(f"shapes.size must be 32 (the LeNet's input), got {self.shapes.size}")

    @classmethod
    def example(cls) -> "ShapesCorruption":
        return cls(shapes=ShapesConfig(4, corruption=0.2), n_val=3, n_probe=2, steps=6, record_every=3)

    def _clean(self, n: int) -> ShapesConfig:
        return dataclasses.replace(self.shapes, n_per_class=n, corruption=0.0)

    def experiment(self) -> Trajectory:
        data = make_shapes(self.shapes, rng=self.data_seed)
        val = make_shapes(self._clean(self.n_val), rng=self.val_seed)
        probe = make_shapes(self._clean(self.n_probe), rng=self.probe_seed)
        model = LeNet(len(CLASSES), seed=self.model_seed)
        p = next(model.parameters())
        Xv = torch.as_tensor(val.images, dtype=p.dtype, device=p.device)
        yv = torch.as_tensor(val.clean, device=p.device)
        Xp = torch.as_tensor(probe.images, dtype=p.dtype, device=p.device)
        K = len(CLASSES)
        onehot = torch.nn.functional.one_hot(torch.as_tensor(probe.clean, device=p.device), K).to(p.dtype)
        counts = onehot.sum(0)[:, None]

        def class_means(m):                                          # (K true classes, K logits)
            return (onehot.T @ m(Xp)) / counts

        def val_acc(m):
            return (m(Xv).argmax(1) == yv).double().mean()

        t = np.union1d(np.arange(0, self.steps + 1, self.record_every), [self.steps])
        cfg = TrainConfig(lr=self.lr, t_record=t, optimizer="sgd", batch_size=1, loss="cross_entropy",
                          sampling=self.sampling, time="steps", seed=self.order_seed)
        return train(model, data.images, data.labels, cfg, observables={"means": class_means, "val_acc": val_acc},
                     meta={"corruption": self.shapes.corruption})


#: Tail-index rules of :func:`late_tail_index`: NaN where ``A <= 0`` late (ours), or the authors' sign flip.
TAIL_RULES = ("nan", "flip")


def late_tail_index(t: np.ndarray, A: np.ndarray, *, late: float = 0.5, rule: str = "nan") -> float:
    """The tail index ``1 - mean(log A / log t)`` over the last ``late`` fraction of times.

    ``rule="nan"``: NaN ("non-elastic") when ``A(t) <= 0`` anywhere in that window -- ``A`` is then
    not a growing cumulative impact and its log is undefined.  ``rule="flip"`` (the authors' code):
    a negative ``A`` is replaced by ``-A`` (``log |A|``), so a strongly negative ``A`` gives ``r < 1``
    like a strongly positive one, and ``r`` near 1 means ``|A|`` near 1.  Window: the second half of
    the recorded steps by default (theirs: the last 1000 iterations of 10k).  See
    ``solvers.elastic.tail_index``.
    """
    check_choice("rule", rule, TAIL_RULES)
    t, A = np.asarray(t, float), np.asarray(A, float)
    if rule == "flip":
        return tail_index(t, A, late=late, sign="flip")
    window = t >= np.quantile(t, 1 - late)
    if np.any(A[window] <= 0):
        return float("nan")
    return tail_index(t, A, late=late)


def le_fit(traj: Trajectory, model: str = "I") -> dict[str, np.ndarray | float]:
    """LE-ODE summary of a logged class-mean trajectory (``means`` (T, K, K), first record at t = 0).

    Returns ``A``, ``B`` (``solvers.elastic.estimate_AB``), ``tail`` and ``tail_flip``
    (:func:`late_tail_index` of ``A`` on the trajectory's own time, our rule and the authors') and
    ``fit``: the closed-form LE-ODE from the first class means with the fitted ``A``, ``B`` (T, K, K).
    """
    means = np.asarray(traj["means"], float)
    A, B = estimate_AB(means, model)
    return {"A": A, "B": B, "tail": late_tail_index(traj.t, A), "tail_flip": late_tail_index(traj.t, A, rule="flip"),
            "fit": le_ode_solution(means[0], A, B, model)}
