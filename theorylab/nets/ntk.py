r"""Empirical neural tangent kernels, their summaries over training, and linearised networks.

The eNTK of a network with outputs ``f(x)_c`` on probe inputs ``x_1..x_n`` is

.. math:: K[(i,c), (j,c')] = \sum_\theta \frac{\partial f(x_i)_c}{\partial\theta}
          \frac{\partial f(x_j)_{c'}}{\partial\theta},

an ``(n k, n k)`` matrix indexed ``i * k + c`` (Jacot, Gabriel & Hongler 2018,
arXiv:1806.07572).  :func:`empirical_ntk` computes it with ``torch.func``: one
per-sample Jacobian (``jacrev``) vmapped over the probe points and over the
members of an :class:`~theorylab.nets.Ensemble`, then ``J J^T``; cost
``O(n k p + n^2 k^2 p)`` for ``p`` parameters per member.  The per-output
backward loop it replaced (:func:`empirical_ntk_loop`, ``n k`` backward passes
through the whole batch) is kept as the reference it is tested against.

For an ensemble the default (``method="auto"``) does not form ``J`` for the
weight matrices, whose ``J J^T`` costs ``O(n^2 k^2 p)`` whichever way ``J`` was
obtained: a weight ``W`` entering as ``o = a W^T`` has the per-sample derivative
``d f(x)_c / d W = g_c(x) a(x)^T`` with ``g_c = d f(x)_c / d o``, so its kernel term
is ``(g_c(x) . g_{c'}(x')) (a(x) . a(x'))`` (the per-layer factorisation of Novak,
Sohl-Dickstein & Schoenholz 2022, arXiv:2206.08720).  One forward pass records
the input ``a`` and output ``o`` of every matmul with a weight (a
``torch.overrides.TorchFunctionMode``), ``k`` backward passes give every ``g``,
and each term costs ``O(n^2 (in + k^2 out))``.  Parameters used any other way
(biases, readout vectors, weights also read by other operations) go through the
``torch.func`` Jacobian path.  This assumes what holds for every ensemble in
theorylab: samples do not interact in the forward pass; the tests compare both
methods and the loop on every network of the library.

Summaries of a kernel trajectory ``K_t`` (Fort et al. 2020, arXiv:2010.15110;
Zhou et al. 2025, arXiv:2503.16316), all invariant to the kernel's scale except
:func:`kernel_velocity`'s time unit:

* kernel distance ``S(K, K') = 1 - <K, K'>_F / (||K||_F ||K'||_F)``
  (:func:`kernel_distance`), computed as ``||K/|K| - K'/|K'| ||_F^2 / 2`` so
  that nearby kernels do not lose digits to cancellation;
* the angle ``arccos(1 - S)`` between two kernels (:func:`kernel_angle`), and the
  cone angle: the largest angle between ``K_t`` and a reference ``K_{t1}`` over
  ``t >= t1`` (:func:`cone_angle`);
* kernel velocity ``v(t_i) = S(K_{t_i}, K_{t_{i+1}}) / (t_{i+1} - t_i)``: a forward
  difference over the recorded times (:func:`kernel_velocity`);
* centred kernel-target alignment ``<K_c, y_c y_c^T>_F / (||K_c||_F ||y_c||^2)``
  with ``K_c = H K H``, ``y_c = H y``, ``H = I - 11^T / n`` over samples
  (:func:`centred_alignment`; Cortes, Mohri & Rostamizadeh 2012);
* the effective rank ``exp(-sum_a p_a ln p_a)``, ``p_a = lambda_a / sum lambda``
  (:func:`effective_rank`; Roy & Vetterli 2007).

:class:`Linearised` is a network's first-order Taylor model at its current
parameters, ``f_lin(x; theta) = f(x; theta_0) + J(x; theta_0)(theta - theta_0)``,
evaluated exactly with ``torch.func.jvp`` (no Jacobian is formed), as an
ensemble that :func:`theorylab.train.train` trains like any other.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch.func import functional_call, jacrev, jvp, vmap
from torch.overrides import TorchFunctionMode

from .ensemble import Ensemble

__all__ = ["empirical_ntk", "empirical_ntk_loop", "ntk_observable", "Linearised", "kernel_distance", "kernel_angle",
           "kernel_cosine", "kernel_velocity", "cone_angle", "centred_alignment", "effective_rank",
           "kernel_summaries"]

#: Jacobian entries held at once by :func:`empirical_ntk` (members are processed in chunks below it).
JACOBIAN_BUDGET = 2**25


# -- the eNTK -------------------------------------------------------------------------------------------
def _split(model: torch.nn.Module, only=None):
    """(parameters to differentiate, everything else the forward pass reads), by name, detached.

    ``only``: names of the trainable parameters to differentiate (default: all); the others are held fixed.
    """
    params, frozen = {}, {}
    for n, p in model.named_parameters():
        (params if p.requires_grad and (only is None or n in only) else frozen)[n] = p.detach()
    frozen.update({n: b.detach() for n, b in model.named_buffers()})
    return params, frozen


def _as_input(model: torch.nn.Module, x) -> torch.Tensor:
    if isinstance(model, Ensemble):
        return model.as_input(x)
    p = next(model.parameters())
    t = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x, device=p.device)
    return t if not t.is_floating_point() else t.to(p.dtype)


def _jacobians(model: torch.nn.Module, x: torch.Tensor, members: slice | None, only=None):
    """Per-sample Jacobians ``{name: (E, n, k, *shape)}`` (ensemble) or ``{name: (n, k, *shape)}``."""
    params, frozen = _split(model, only)
    if not isinstance(model, Ensemble):
        def single(p, xi):
            return functional_call(model, {**p, **frozen}, (xi[None],))[0].reshape(-1)

        return vmap(jacrev(single), in_dims=(None, 0))(params, x)

    def member(p, fz, xi):          # one member's parameters (no member axis), one input
        out = functional_call(model, ({k: v[None] for k, v in p.items()}, {k: v[None] for k, v in fz.items()}),
                              (xi[None],))
        return out[0, 0].reshape(-1)

    per_member_x = x.ndim == 3
    p = {k: v[members] for k, v in params.items()}
    fz = {k: v[members] for k, v in frozen.items()}
    xs = x[members] if per_member_x else x
    inner = vmap(jacrev(member), in_dims=(None, None, 0))
    return vmap(inner, in_dims=(0, 0, 0 if per_member_x else None))(p, fz, xs)


def _gram(J1: dict, J2: dict, lead: int) -> torch.Tensor:
    """``sum_params J1 J2^T`` over flattened (sample, output) rows; ``lead`` leading member axes."""
    K = None
    for name, a in J1.items():
        b = J2[name]
        a = a.reshape(*a.shape[:lead], a.shape[lead] * a.shape[lead + 1], -1)
        b = b.reshape(*b.shape[:lead], b.shape[lead] * b.shape[lead + 1], -1)
        term = a @ b.transpose(-1, -2)
        K = term if K is None else K + term
    return K


_MATMULS = (torch.matmul, torch.Tensor.matmul, torch.Tensor.__matmul__)
_TRANSPOSES = (torch.transpose, torch.Tensor.transpose)
_ADDS = (torch.add, torch.Tensor.add, torch.Tensor.__add__, torch.Tensor.__radd__)
_UNSQUEEZES = (torch.Tensor.__getitem__, torch.Tensor.unsqueeze, torch.unsqueeze)


class _WeightUses(TorchFunctionMode):
    """Records ``a @ W^T`` with a tracked weight ``W`` (``W`` of shape ``(E, out, in)``) and ``o + b[:, None, :]``
    with a tracked bias ``b`` (``(E, out)``); any other use marks the parameter for the Jacobian path."""

    def __init__(self, params: dict[str, torch.Tensor]):
        super().__init__()
        self.names = {id(p): n for n, p in params.items()}
        self.views: dict[int, tuple[str, str]] = {}        # id(view) -> (param name, "weight" | "bias")
        self.keep: list[torch.Tensor] = []                 # holds the views, so that their ids stay unique
        self.uses: dict[str, list[tuple[torch.Tensor | None, torch.Tensor]]] = {}
        self.other: set[str] = set()

    def _tracked(self, t) -> bool:
        return isinstance(t, torch.Tensor) and (id(t) in self.names or id(t) in self.views)

    def _view_kind(self, func, args, kwargs, out) -> str | None:
        """"weight" for ``W^T`` (last two axes swapped), "bias" for ``b[:, None, :]``, else None."""
        W = args[0]
        if func is torch.Tensor.mT.__get__ or (
                func in _TRANSPOSES and len(args) == 3 and not kwargs and W.ndim >= 2
                and sorted(int(d) % W.ndim for d in args[1:3]) == [W.ndim - 2, W.ndim - 1]):
            return "weight"
        if func in _UNSQUEEZES and W.ndim == 2 and tuple(out.shape) == (W.shape[0], 1, W.shape[1]) \
                and out.data_ptr() == W.data_ptr() and (out.stride(0), out.stride(2)) == W.stride():
            return "bias"
        return None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if not isinstance(out, torch.Tensor):               # .shape, .device, .dtype ... read no values
            return out
        seen = [i for i, a in enumerate(args) if self._tracked(a)]
        named = [v for v in kwargs.values() if self._tracked(v)]
        if not seen and not named:
            return out
        if seen == [0] and not named and id(args[0]) in self.names:
            kind = self._view_kind(func, args, kwargs, out)
            if kind is not None:
                self.views[id(out)] = (self.names[id(args[0])], kind)
                self.keep.append(out)
                return out
        if len(seen) == 1 and not named and len(args) == 2 and not kwargs and id(args[seen[0]]) in self.views:
            name, kind = self.views[id(args[seen[0]])]
            if kind == "weight" and func in _MATMULS and seen == [1]:
                self.uses.setdefault(name, []).append((args[0], out))
                return out
            if kind == "bias" and func in _ADDS:
                self.uses.setdefault(name, []).append((None, out))
                return out
        for t in [args[i] for i in seen] + named:
            self.other.add(self.names.get(id(t)) or self.views[id(t)][0])
        return out


def _structured(model: Ensemble, x: torch.Tensor, n1: int) -> tuple[torch.Tensor | None, set[str]]:
    """The matmul-weight part of the eNTK by the per-layer factorisation (module docstring).

    ``x`` holds the rows' inputs followed by the columns' (the first ``n1`` samples are the rows;
    the rest, or all of them when there is no rest, the columns).  Returns
    ``(K or None, names of the parameters left to the Jacobian path)``.
    """
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    E, B = model.n_members, x.shape[-2]
    rec = _WeightUses(params)
    with torch.enable_grad(), rec:
        out = model(x)
    left = (set(params) - set(rec.uses)) | rec.other
    good = {}
    for name, uses in rec.uses.items():
        ok = name not in rec.other and all(
            o.ndim == 3 and o.shape[:2] == (E, B) and (a is None or (
                a.ndim in (2, 3) and a.shape[-2] == B and (a.ndim == 2 or a.shape[0] == E))) for a, o in uses)
        if ok:
            good[name] = uses
        else:
            left.add(name)
    if not good or out.ndim != 3 or out.shape[:2] != (E, B):
        return None, set(params)
    k = out.shape[-1]
    flat = [(name, a, o) for name, uses in good.items() for a, o in uses]
    G = [[] for _ in flat]
    with torch.enable_grad():                          # observables of train() run under no_grad
        for c in range(k):
            grads = torch.autograd.grad(out[..., c].sum(), [o for _, _, o in flat], retain_graph=c < k - 1,
                                        allow_unused=True)
            for i, g in enumerate(grads):
                G[i].append(torch.zeros_like(flat[i][2]) if g is None else g)
    G = [torch.stack(g, dim=2).detach() for g in G]                        # (E, B, k, out)
    A = [None if a is None else a.detach().expand(E, B, a.shape[-1]) for _, a, _ in flat]   # (E, B, in)
    rows, cols = slice(0, n1), slice(n1 if n1 < B else 0, B)
    K = None
    for name in good:
        idx = [i for i, f in enumerate(flat) if f[0] == name]
        for i in idx:
            for j in idx:
                term = torch.einsum("eico,ejdo->eicjd", G[i][:, rows], G[j][:, cols])
                if A[i] is not None and A[j] is not None:       # weights; a bias term has a = 1
                    term = term * (A[i][:, rows] @ A[j][:, cols].transpose(1, 2))[:, :, None, :, None]
                elif (A[i] is None) != (A[j] is None):
                    raise RuntimeError(f"{name} is used both as a weight and as a bias")
                K = term if K is None else K + term
    return K.reshape(E, K.shape[1] * k, K.shape[3] * k), left


def empirical_ntk(model: torch.nn.Module, x, x2=None, *, method: str = "auto") -> torch.Tensor:
    """eNTK on ``x`` (or the cross-kernel between ``x`` and ``x2``).

    Parameters
    ----------
    model : an :class:`~theorylab.nets.Ensemble` (every parameter and buffer with the member
        axis first) or any ``torch.nn.Module`` whose forward maps a batch to ``(B, ...)`` outputs.
    x : inputs ``(n, d)`` (shared by every member), or ``(E, n, d)`` one set per member.
    x2 : optional second set of inputs ``(n2, d)`` (or ``(E, n2, d)``): the cross-kernel ``J(x) J(x2)^T``.
    method : ``"auto"`` (ensembles: weight matrices by the per-layer factorisation, the rest
        by ``torch.func``; other modules: ``torch.func``) or ``"jacobian"`` (``torch.func``
        per-sample Jacobians of every parameter, then ``J J^T``).

    Returns
    -------
    ``(E, n k, n2 k)`` for an ensemble, ``(n k, n2 k)`` for a single module, index ``i * k + c``
    (``k``: outputs per input, flattened); detached, on the model's device and dtype.
    Non-trainable parameters and buffers are held fixed.
    """
    if method not in ("auto", "jacobian"):
        raise ValueError(f"method must be 'auto' or 'jacobian', got {method!r}")
    x = _as_input(model, x)
    x2 = None if x2 is None else _as_input(model, x2)
    if not isinstance(model, Ensemble):
        J1 = _jacobians(model, x, None)
        J2 = J1 if x2 is None else _jacobians(model, x2, None)
        return _gram(J1, J2, 0).detach()
    if x2 is not None and x.ndim != x2.ndim:
        raise ValueError("x and x2 must both be shared (n, d) or both per member (E, n, d)")
    E = model.n_members
    K, only = None, None
    if method == "auto":
        K, only = _structured(model, x if x2 is None else torch.cat([x, x2], dim=-2), x.shape[-2])
        if not only:
            return K
    n_params = sum(p[0].numel() for n, p in model.named_parameters()
                   if p.requires_grad and (only is None or n in only))
    with torch.no_grad():
        k = model(x[:1] if x.ndim == 2 else x[:, :1])[0, 0].numel()
    rows = x.shape[-2] + (0 if x2 is None else x2.shape[-2])
    chunk = max(1, JACOBIAN_BUDGET // max(1, rows * k * n_params))
    out = []
    for start in range(0, E, chunk):
        sl = slice(start, min(E, start + chunk))
        J1 = _jacobians(model, x, sl, only)
        J2 = J1 if x2 is None else _jacobians(model, x2, sl, only)
        out.append(_gram(J1, J2, 1).detach())
    Kj = torch.cat(out) if len(out) > 1 else out[0]
    return Kj if K is None else K + Kj


def empirical_ntk_loop(model: Ensemble, x) -> torch.Tensor:
    """The reference implementation: ``n k`` backward passes of the summed member outputs.

    Shape ``(E, n k, n k)`` like :func:`empirical_ntk`, which replaced it (``benchmarks/entk_vs_loop.py``
    times the two); kept for tests and the benchmark.
    """
    x = model.as_input(x)
    params = [p for p in model.parameters() if p.requires_grad]
    out = model(x)                                         # (E, n, k)
    E, n, k = out.shape
    rows = []
    for i in range(n):
        for c in range(k):
            grads = torch.autograd.grad(out[:, i, c].sum(), params, retain_graph=True)
            rows.append(torch.cat([g.reshape(E, -1) for g in grads], dim=1))
    J = torch.stack(rows, dim=1)                           # (E, n k, n_params)
    return (J @ J.transpose(1, 2)).detach()


def ntk_observable(x, *, scale: float = 1.0) -> dict[str, Callable[[torch.nn.Module], torch.Tensor]]:
    """``{"ntk": fn}`` for ``train(..., observables=...)``: ``scale`` times the eNTK on the probe set ``x``.

    Recorded with the member axis, ``(T, E, n k, n k)``; summarise it with :func:`kernel_summaries`.
    """
    return {"ntk": lambda m: scale * empirical_ntk(m, x)}


# -- linearised networks -----------------------------------------------------------------------------------
class Linearised(Ensemble):
    r"""The first-order Taylor model of an ensemble at its current parameters ``theta_0``:

    .. math:: f_{lin}(x; \theta) = f(x; \theta_0) + J(x; \theta_0)\,(\theta - \theta_0),

    evaluated with ``torch.func.jvp`` (a forward-mode product; the Jacobian is never formed).
    Its trainable parameters start at ``theta_0`` (copies); the wrapped network is not modified
    and ``theta_0`` stays fixed.  Being an :class:`Ensemble` with the base's seeds, dtype and device,
    it trains with :func:`theorylab.train.train` like its base; gradient descent on it is exactly
    kernel gradient descent with the eNTK at ``theta_0``.
    """

    def __init__(self, model: Ensemble):
        if not isinstance(model, Ensemble):
            raise TypeError(f"model must be a theorylab Ensemble, got {type(model).__name__}")
        super().__init__(model.seeds, dtype=model._dtype, device=model._device)
        params, frozen = _split(model)
        self._base = (model,)                          # a tuple: not registered as a submodule
        self._names = list(params)
        self.theta = torch.nn.ParameterList(torch.nn.Parameter(v.clone()) for v in params.values())
        for i, v in enumerate(params.values()):
            self.register_buffer(f"theta0_{i}", v.clone())
        self._frozen_names = list(frozen)
        for i, v in enumerate(frozen.values()):
            self.register_buffer(f"frozen_{i}", v.clone())

    @property
    def base(self) -> Ensemble:
        return self._base[0]

    def _theta0(self) -> dict[str, torch.Tensor]:
        return {n: getattr(self, f"theta0_{i}") for i, n in enumerate(self._names)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        theta0 = self._theta0()
        frozen = {n: getattr(self, f"frozen_{i}") for i, n in enumerate(self._frozen_names)}
        tangent = {n: th - theta0[n] for n, th in zip(self._names, self.theta)}
        out0, dout = jvp(lambda p: functional_call(self.base, {**p, **frozen}, (x,)), (theta0,), (tangent,))
        return out0 + dout


# -- summaries --------------------------------------------------------------------------------------------
def _unit(K: np.ndarray) -> np.ndarray:
    K = np.asarray(K, float)
    return K / np.linalg.norm(K, axis=(-2, -1), keepdims=True)


def kernel_distance(K1, K2) -> np.ndarray:
    """``S = 1 - <K1, K2>_F / (||K1||_F ||K2||_F)`` over the last two axes (broadcasting)."""
    d = _unit(K1) - _unit(K2)
    return 0.5 * np.sum(d * d, axis=(-2, -1))


def kernel_cosine(K1, K2) -> np.ndarray:
    """``<K1, K2>_F / (||K1||_F ||K2||_F)``."""
    return 1.0 - kernel_distance(K1, K2)


def kernel_angle(K1, K2) -> np.ndarray:
    """The angle (radians) between two kernels as vectors: ``2 arcsin(||K1^ - K2^||_F / 2)``."""
    d = _unit(K1) - _unit(K2)
    return 2.0 * np.arcsin(np.clip(0.5 * np.sqrt(np.sum(d * d, axis=(-2, -1))), 0.0, 1.0))


def kernel_velocity(t, K) -> np.ndarray:
    """``S(K_{t_i}, K_{t_{i+1}}) / (t_{i+1} - t_i)`` at each ``t_i`` (``K`` of shape ``(T, ..., m, m)``).

    A forward difference over the recorded times; the last point repeats the backward
    difference of the last interval.  Repeated times are refused.
    """
    t = np.asarray(t, float)
    K = np.asarray(K, float)
    if t.ndim != 1 or t.size < 2 or K.shape[0] != t.size:
        raise ValueError(f"t must be 1-D with at least 2 times matching K's first axis, got {t.shape}, {K.shape}")
    dt = np.diff(t)
    if np.any(dt <= 0):
        raise ValueError("t must be strictly increasing")
    v = kernel_distance(K[:-1], K[1:]) / dt.reshape((-1,) + (1,) * (K.ndim - 3))
    return np.concatenate([v, v[-1:]], axis=0)


def cone_angle(t, K, t1: float) -> float | np.ndarray:
    """The largest angle (radians) between ``K_t`` and ``K_{t1}`` over recorded ``t >= t1``.

    ``t1`` must be a recorded time (the end of Phase I); ``K`` of shape ``(T, ..., m, m)``.
    """
    t = np.asarray(t, float)
    i1 = int(np.argmin(np.abs(t - t1)))
    if not np.isclose(t[i1], t1, rtol=1e-9, atol=0.0):
        raise ValueError(f"t1 = {t1!r} is not a recorded time")
    K = np.asarray(K, float)
    return kernel_angle(K[i1:], K[i1][None]).max(axis=0)


def _centring(n: int, k: int) -> np.ndarray:
    return np.kron(np.eye(n) - 1.0 / n, np.eye(k))


def centred_alignment(K, y) -> np.ndarray:
    """Centred kernel-target alignment ``y_c^T K y_c / (||H K H||_F ||y_c||^2)`` (module docstring).

    ``K`` of shape ``(..., n k, n k)`` (index ``i * k + c``), ``y`` of shape ``(n,)`` or ``(n, k)``;
    centring is over samples, output by output.
    """
    y = np.asarray(y, float)
    y = y[:, None] if y.ndim == 1 else y
    n, k = y.shape
    K = np.asarray(K, float)
    if K.shape[-1] != n * k or K.shape[-2] != n * k:
        raise ValueError(f"K must be ({n * k}, {n * k}) over the last axes for y of shape {y.shape}, got {K.shape}")
    H = _centring(n, k)
    yc = H @ y.reshape(-1)
    Kc = H @ K @ H
    return np.einsum("i,...ij,j->...", yc, Kc, yc) / (np.linalg.norm(Kc, axis=(-2, -1)) * (yc @ yc))


def effective_rank(K) -> np.ndarray:
    """``exp(-sum_a p_a ln p_a)`` with ``p_a = lambda_a / sum lambda`` (eigenvalues of the PSD ``K``)."""
    lam = np.clip(np.linalg.eigvalsh(np.asarray(K, float)), 0.0, None)
    p = lam / lam.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.sum(np.where(p > 0, p * np.log(p), 0.0), axis=-1)
    return np.exp(ent)


def kernel_summaries(t, K, *, y=None, reference: int = 0) -> dict[str, np.ndarray]:
    """The summaries of a recorded kernel trajectory ``K`` (``(T, ..., m, m)``), each ``(T, ...)``.

    ``kernel_distance`` (to ``K[reference]``), ``kernel_distance_final`` (to the last kernel),
    ``kernel_velocity`` (:func:`kernel_velocity`), ``kernel_norm`` (Frobenius, relative to
    ``K[reference]``), ``effective_rank`` and, with targets ``y`` of the probe points,
    ``alignment`` (:func:`centred_alignment`).
    """
    K = np.asarray(K, float)
    ref = K[reference][None]
    out = {"kernel_distance": kernel_distance(K, ref), "kernel_distance_final": kernel_distance(K, K[-1][None]),
           "kernel_velocity": kernel_velocity(t, K),
           "kernel_norm": np.linalg.norm(K, axis=(-2, -1)) / np.linalg.norm(ref, axis=(-2, -1)),
           "effective_rank": effective_rank(K)}
    if y is not None:
        out["alignment"] = centred_alignment(K, y)
    return out
