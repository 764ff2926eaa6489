r"""Studies of networks trained on coarse labels: neural collapse versus the fine structure that survives.

Paper: Yang, Steinhardt & Hu, "Are Neurons Actually Collapsed? On the Fine-Grained
Structure in Neural Representations", ICML 2023 (arXiv:2306.17105), in the synthetic
setting of ``tasks.gaussian_mixture`` (``C`` coarse classes of ``S`` fine classes; the
coarse labels train, the fine labels only evaluate).  Nonlinear networks are compared
with Alleman et al., ICLR 2024 (arXiv:2401.13558): tanh follows the target structure,
ReLU keeps more of the input's.

Measurements (:mod:`theorylab.collapse`) of the last hidden layer ``H``: ``nc1``, the
coarse-label NC1 ``(1/C) tr(Sigma_W Sigma_B^+)`` (Papyan et al. 2020), and ``fine_acc``,
the fine clustering accuracy (k-means with ``k = S`` inside each coarse class, Hungarian
matched to the fine labels).

Clock: every network here is trained by full-batch GD through :func:`theorylab.train.train`;
the trajectories are on gradient-flow time of the loss trained (``t = lr * step``,
``tau = 1``), weight decay ``wd/2 ||theta||^2`` included in that loss.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from theorylab._validate import check_choice, check_int, check_nonnegative, check_positive
from theorylab.clock import HALF_MEAN, Clock
from theorylab.collapse import fine_clustering_accuracy, nc1
from theorylab.nets import MLP, DeepLinear
from theorylab.nets.mlp import ACTIVATIONS
from theorylab.solvers.coarse_linear import coarse_label_rates, coarse_label_separations
from theorylab.study import Study
from theorylab.tasks.gaussian_mixture import MixtureConfig, make_mixture, mixture_means
from theorylab.train import TrainConfig, record_steps, train
from theorylab.trajectory import Trajectory

__all__ = ["CoarseLinear", "CoarseMLP", "hidden_separations", "collapse_observables", "fine_snr", "LOSSES"]

#: The losses of :class:`CoarseMLP` (names of :class:`~theorylab.train.TrainConfig`'s ``loss``).
LOSSES = ("cross_entropy", "squared")


def hidden_separations(W1: np.ndarray, fine_means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean hidden-space distances between coarse-class means and between fine-class means in a coarse class.

    ``W1`` (..., h, d) first-layer weights, ``fine_means`` (C, S, d) the exact means; returns two arrays
    of shape ``W1.shape[:-2]``: ``mean_{c<c'} ||W1 (m_c - m_c')||`` and ``mean_{c, s<s'} ||W1 (mu_cs - mu_cs')||``.
    """
    C, S, _ = fine_means.shape
    hc = np.einsum("...hd,cd->...ch", W1, fine_means.mean(axis=1))
    hf = np.einsum("...hd,csd->...csh", W1, fine_means)
    ic, jc = np.triu_indices(C, 1)
    i_s, j_s = np.triu_indices(S, 1)
    coarse = np.linalg.norm(hc[..., ic, :] - hc[..., jc, :], axis=-1).mean(axis=-1)
    fine = np.linalg.norm(hf[..., i_s, :] - hf[..., j_s, :], axis=-1).mean(axis=(-2, -1))
    return coarse, fine


def collapse_observables(H: np.ndarray, coarse: np.ndarray, fine: np.ndarray, *, kmeans_seed: int) -> np.ndarray:
    """``(nc1, fine_acc)`` of hidden features ``H`` (N, p): the coarse NC1 and the fine clustering accuracy."""
    return np.array([nc1(H, coarse), fine_clustering_accuracy(H, coarse, fine, rng=kmeans_seed)])


def fine_snr(study: "CoarseLinear", theory: Trajectory) -> np.ndarray:
    r"""Closest fine pair over hidden noise at the end of ``theory``, per member: ``D_min / (sigma sqrt(a_inf))``.

    Inside a coarse class the hidden noise ``sigma W_1 xi`` has variance ``sigma^2 a`` along each of the
    ``C`` coarse hidden directions (``a -> a_inf = s / lambda_c``) and ``O(eps^2 sigma^2)`` elsewhere, while
    the closest two fine means sit at distance ``D_min`` (``theory["fine_min"]``).  k-means separates them
    when that lowers its inertia more than cutting the Gaussian noise in half along a coarse direction:
    ``D_min^2 / 4 > (2 / pi) sigma^2 a`` per point, i.e. the ratio must exceed ``sqrt(8 / pi) = 1.60``.
    Measured (``C = S = 3``, 72 members): fine clustering accuracy <= 0.90 below 1.75, >= 0.98 above.
    """
    r = coarse_label_rates(study.mixture)
    return theory["fine_min"][-1] / (study.mixture.noise * np.sqrt(r["s"] / r["lambda_c"]))


def _record_grid(t_max: float, n: int, lr: float) -> np.ndarray:
    """The times ``lr * round(t / lr)`` that a GD run recording at ``linspace(0, t_max, n)`` lands on."""
    return record_steps(np.linspace(0.0, t_max, n), lr) * lr


@dataclass(frozen=True)
class CoarseLinear(Study):
    """Two-layer linear networks on coarse labels: closed-form coarse and fine separations (Yang et al. 2023).

    Task: ``mixture`` (``offsets="simplex"``: fine offsets sum to zero inside each coarse class, which
    makes ``Sigma_xx`` and ``Sigma_yx`` co-diagonal), drawn with ``data_seed``; one-hot coarse targets.

    Experiment: ``seeds`` networks ``[d, hidden, C]`` (float64), decoupled init of strength ``a0`` on
    the coarse modes (``W_1 = sqrt(a0) R V^T``, ``W_2 = sqrt(a0) U R^T``, ``R`` a random isometry of
    member ``e``'s init stream), plus ``eps`` times standard normal weights on the fine input
    directions of ``W_1`` (from ``numpy.random.default_rng(fine_seed + e)``); full-batch GD at ``lr``
    on ``L = 1/(2P) sum ||y - W_2 W_1 x||^2``, recorded at ``n_rec`` times of ``[0, t_max]``.
    Observables (T, E): ``coarse`` and ``fine`` (:func:`hidden_separations` of ``W_1`` on the exact
    means), ``nc1`` and ``fine_acc`` of the hidden layer ``H = X W_1^T`` (k-means seeded with
    ``kmeans_seed``); also ``W1`` (T, E, h, d) and ``loss``.

    Theory: ``solvers.coarse_linear.coarse_label_separations`` from each member's own ``W_1(0)``
    and ``R`` (population statistics, gradient flow; the O(eps^2) back-reaction of the fine block
    on ``W_2`` is neglected): ``coarse`` and ``fine`` (T, E), and ``fine_min`` (the closest pair of
    fine means), on the recorded times and ``n_theory`` points of ``[0, t_max]``.

    Clock: gradient flow of ``HALF_MEAN`` for both.
    """

    family = "coarse_labels"
    mixture: MixtureConfig = MixtureConfig(C=3, S=3, d=12, coarse_sep=3.0, fine_offset=1.5, noise=0.3, n=300,
                                           offsets="simplex")
    data_seed: int = 1
    hidden: int = 16
    seeds: int = 4
    a0: float = 1e-3
    eps: float = 0.05
    fine_seed: int = 100
    lr: float = 0.05
    t_max: float = 60.0
    n_rec: int = 31
    n_theory: int = 301
    kmeans_seed: int = 0

    def validate(self) -> None:
        if self.mixture.offsets != "simplex":
            raise ValueError(f"mixture.offsets must be 'simplex' (the closed form needs co-diagonal statistics), "
                             f"got {self.mixture.offsets!r}")
        check_int("data_seed", self.data_seed, minimum=0)
        check_int("hidden", self.hidden)
        if self.hidden < self.mixture.C:
            raise ValueError(f"hidden must be >= the number of coarse classes {self.mixture.C}, got {self.hidden}")
        check_int("seeds", self.seeds)
        for name in ("a0", "lr", "t_max"):
            check_positive(name, getattr(self, name))
        r = coarse_label_rates(self.mixture)
        if not self.a0 < r["s"] / r["lambda_c"]:
            raise ValueError(f"a0 must be below the learnt coarse strength s / lambda_c = "
                             f"{r['s'] / r['lambda_c']:.4g}, got {self.a0}")
        check_nonnegative("eps", self.eps)
        check_int("fine_seed", self.fine_seed, minimum=0)
        check_int("n_rec", self.n_rec, minimum=2)
        check_int("n_theory", self.n_theory, minimum=2)
        check_int("kmeans_seed", self.kmeans_seed, minimum=0)

    @classmethod
    def example(cls) -> "CoarseLinear":
        return cls(mixture=MixtureConfig(C=2, S=2, d=5, coarse_sep=3.0, fine_offset=1.5, noise=0.3, n=20,
                                         offsets="simplex"), hidden=4, seeds=2, lr=0.1, t_max=10.0, n_rec=4,
                   n_theory=11)

    def init(self) -> tuple[DeepLinear, np.ndarray, np.ndarray]:
        """The untrained ensemble (fine weights added), ``W_1(0)`` (E, h, d) and ``R`` (E, h, C)."""
        C, S, d, h = self.mixture.C, self.mixture.S, self.mixture.d, self.hidden
        net = DeepLinear([d, h, C], seeds=range(self.seeds), init="decoupled", U=np.eye(C), V=np.eye(d)[:, :C],
                         u0=self.a0, dtype="float64", device="cpu")
        W1 = net.weights[0].detach().numpy().copy()
        n_fine = C * (S - 1)
        for e in range(self.seeds):                                 # small random weights on the fine directions
            W1[e][:, C:C + n_fine] += self.eps * np.random.default_rng(self.fine_seed + e).normal(size=(h, n_fine))
        with torch.no_grad():
            net.weights[0].copy_(torch.as_tensor(W1))
        R = net.weights[1].detach().numpy().transpose(0, 2, 1) / np.sqrt(self.a0)
        return net, W1, R

    def times(self) -> np.ndarray:
        """The recorded times of the experiment."""
        return _record_grid(self.t_max, self.n_rec, self.lr)

    def theory(self) -> Trajectory:
        _, W1, R = self.init()
        t = np.union1d(np.linspace(0.0, self.t_max, self.n_theory), self.times())
        sol = [coarse_label_separations(t, self.mixture, W1[e], R[e], self.a0) for e in range(self.seeds)]
        return Trajectory(t, {k: np.stack([s[k] for s in sol], axis=1) for k in ("coarse", "fine", "fine_min")},
                          {"solver": "coarse_label_separations"}, n_seeds=self.seeds,
                          clock=Clock.gradient_flow(HALF_MEAN))

    def experiment(self) -> Trajectory:
        mix = make_mixture(self.mixture, rng=self.data_seed)
        net, _, _ = self.init()
        C = self.mixture.C
        cfg = TrainConfig(lr=self.lr, t_record=np.linspace(0.0, self.t_max, self.n_rec))
        tr = train(net, mix.x, np.eye(C)[mix.coarse], cfg, observables={"W1": lambda m: m.weights[0]})
        W1 = tr["W1"]
        coarse, fine = hidden_separations(W1, mixture_means(self.mixture)[1])
        col = np.array([[collapse_observables(mix.x @ W.T, mix.coarse, mix.fine, kmeans_seed=self.kmeans_seed)
                         for W in W1_t] for W1_t in W1])                                       # (T, E, 2)
        return tr.with_obs(coarse=coarse, fine=fine, nc1=col[..., 0], fine_acc=col[..., 1])


@dataclass(frozen=True)
class CoarseMLP(Study):
    """MLPs trained on coarse labels: coarse collapse and the fine structure of the last hidden layer.

    Task: ``mixture`` drawn with ``data_seed``; the coarse labels train, the fine labels evaluate.

    Experiment: ``seeds`` MLPs ``[d, width, width, C]`` (``activation``, ``init="normal"``, member
    seeds ``0..seeds-1``, float32) trained by full-batch GD at ``lr`` for ``steps`` steps on
    ``loss``: ``"cross_entropy"`` (mean cross-entropy of the logits against the coarse labels) or
    ``"squared"`` (``1/(2P) sum ||onehot - f||^2``), plus ``weight_decay/2 ||theta||^2``.  Recorded at
    ``n_rec + 1`` evenly spread steps.  Observables (T, E): ``nc1`` and ``fine_acc`` of the last
    hidden layer (k-means seeded with ``kmeans_seed``), ``train_acc`` (coarse), ``loss``.

    Theory: none (``None``); the nonlinear networks are compared with each other and with the
    two-layer linear theory of :class:`CoarseLinear`.

    Clock: gradient flow of the loss trained (weight decay included), ``t = lr * step``.
    """

    family = "coarse_labels"
    mixture: MixtureConfig = MixtureConfig(C=4, S=3, d=24, coarse_sep=3.0, fine_offset=2.0, noise=0.1, n=40,
                                           offsets="orthogonal")
    data_seed: int = 0
    width: int = 64
    seeds: int = 2
    activation: str = "relu"
    loss: str = "cross_entropy"
    weight_decay: float = 0.0
    lr: float = 0.2
    steps: int = 3000
    n_rec: int = 6
    kmeans_seed: int = 0

    def validate(self) -> None:
        check_int("data_seed", self.data_seed, minimum=0)
        check_int("width", self.width)
        check_int("seeds", self.seeds)
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        check_choice("loss", self.loss, LOSSES)
        check_nonnegative("weight_decay", self.weight_decay)
        check_positive("lr", self.lr)
        check_int("steps", self.steps)
        check_int("n_rec", self.n_rec)
        if self.n_rec > self.steps:
            raise ValueError(f"n_rec must be <= steps = {self.steps}, got {self.n_rec}")
        check_int("kmeans_seed", self.kmeans_seed, minimum=0)

    @classmethod
    def example(cls) -> "CoarseMLP":
        return cls(mixture=MixtureConfig(C=2, S=2, d=8, n=8, offsets="orthogonal"), width=8, seeds=2, steps=20,
                   n_rec=2)

    def experiment(self) -> Trajectory:
        mix = make_mixture(self.mixture, rng=self.data_seed)
        C = self.mixture.C
        net = MLP([self.mixture.d, self.width, self.width, C], seeds=range(self.seeds), activation=self.activation,
                  init="normal")
        xx = net.as_input(mix.x)
        yy = torch.as_tensor(mix.coarse, device=xx.device)
        steps = np.unique(np.rint(np.linspace(0, self.steps, self.n_rec + 1)))
        y = mix.coarse if self.loss == "cross_entropy" else np.eye(C)[mix.coarse]
        cfg = TrainConfig(lr=self.lr, t_record=self.lr * steps, loss=self.loss, weight_decay=self.weight_decay)

        def collapse(m):                                            # (E, 2): nc1, fine_acc per member
            H = m.hidden(xx).double().cpu().numpy()
            return torch.as_tensor(np.stack([collapse_observables(h, mix.coarse, mix.fine, kmeans_seed=self.kmeans_seed)
                                             for h in H]))

        tr = train(net, mix.x, y, cfg, observables={"collapse": collapse,
                                                     "train_acc": lambda m: (m(xx).argmax(-1) == yy).double()
                                                     .mean(-1)})
        obs = {k: v for k, v in tr.obs.items() if k != "collapse"}
        return Trajectory(tr.t, {**obs, "nc1": tr["collapse"][..., 0], "fine_acc": tr["collapse"][..., 1]}, tr.meta,
                          tr.n_seeds, tr.clock)
