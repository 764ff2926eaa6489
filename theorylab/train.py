r"""Train ensembles with full-batch GD or minibatch SGD, recording in theory time.

Conventions
-----------
Loss of each member, ``reduction="mean"`` (default):

    L = 1/(2P) sum_mu ||y_mu - f(x_mu)||^2      (summed over output dimensions)

``reduction="sum"``: ``L = 1/2 sum_mu ||y_mu - f(x_mu)||^2``.  Plain GD
``theta <- theta - lr * dL/dtheta`` is the Euler discretisation of gradient
flow ``dtheta/dt = -dL/dtheta`` with ``t = lr * step`` (``tau = 1``); SGD on
minibatches of the mean loss uses the same clock.

``reduction="mse"`` is PyTorch's ``mse_loss``: the mean over samples *and*
the ``k`` outputs, without the 1/2, ``L_mse = (2/k) L``.  A step of size
``lr`` on it is a step of ``2 lr / k`` on ``L``, so ``t = 2 lr step / k``.  The conversion is stored in
``Trajectory.meta["time"]``; a solver using another normalisation must convert
(e.g. a loss with a factor ``1/d`` or without the ``1/2`` rescales ``t``).

All members train together: the loss summed over members has, for each
member's parameters, exactly that member's gradient.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from ._validate import check_choice, check_int, check_nonnegative, check_positive
from .nets.ensemble import Ensemble
from .rng import streams
from .trajectory import Trajectory

__all__ = ["TrainConfig", "train", "record_steps"]

Observable = Callable[[Ensemble], torch.Tensor]


@dataclass(frozen=True)
class TrainConfig:
    """How to train.

    Parameters
    ----------
    lr : float > 0
        Step size ``eta``.
    t_record : sequence of float >= 0
        Theory times at which to record; rounded to the nearest step
        ``round(t / lr)`` (recorded times are ``lr * step`` exactly).
    optimizer : "gd" (full batch) or "sgd" (minibatches, drawn per member
        from the ``"order"`` stream of that member's seed).
    batch_size : int, for "sgd".
    sampling : "epoch" (reshuffle every epoch and walk through it in batches,
        the last one smaller, like a shuffled ``DataLoader``) or "iid" (each
        batch drawn afresh, without replacement within it).
    reduction : "mean", "sum" or "mse" (see module docstring; "sum" only with
        "gd").  ``t_record`` is in theory time of the 1/2-mean loss for "mse".
    progress : True / False / None (None: a bar when stderr is a terminal and
        the run has more than 5000 steps).
    """

    lr: float
    t_record: tuple[float, ...]
    optimizer: str = "gd"
    batch_size: int | None = None
    reduction: str = "mean"
    sampling: str = "epoch"
    progress: bool | None = None

    def __post_init__(self) -> None:
        check_positive("lr", self.lr)
        t = np.atleast_1d(np.asarray(self.t_record, float))
        if t.size == 0:
            raise ValueError("t_record must hold at least one time")
        check_nonnegative("t_record", t)
        object.__setattr__(self, "t_record", tuple(t.tolist()))
        check_choice("optimizer", self.optimizer, ("gd", "sgd"))
        check_choice("reduction", self.reduction, ("mean", "sum", "mse"))
        check_choice("sampling", self.sampling, ("epoch", "iid"))
        if self.optimizer == "sgd":
            if self.batch_size is None:
                raise ValueError("batch_size is required with optimizer='sgd'")
            check_int("batch_size", self.batch_size)
            if self.reduction == "sum":
                raise ValueError("reduction must be 'mean' or 'mse' with optimizer='sgd'")


def record_steps(t_record, dt: float) -> np.ndarray:
    """Sorted unique step indices ``round(t / dt)`` for the requested times (``dt``: time per step)."""
    return np.unique(np.rint(np.asarray(t_record, float) / dt).astype(np.int64))


def _loss(model: Ensemble, x: torch.Tensor, y: torch.Tensor, reduction: str) -> torch.Tensor:
    """Per-member loss, shape (E,)."""
    d2 = (model(x) - y).pow(2)                   # (E, B, k)
    if reduction == "mse":
        return d2.mean(dim=(-2, -1))
    sq = d2.sum(dim=-1)
    return 0.5 * (sq.mean(dim=-1) if reduction == "mean" else sq.sum(dim=-1))


class _Batches:
    """Per-member minibatch indices from each member's ``order`` stream."""

    def __init__(self, seeds, P: int, batch_size: int, sampling: str):
        self.gens = [streams(s)["order"] for s in seeds]
        self.P, self.B, self.sampling = P, batch_size, sampling
        self.perms, self.pos = None, P

    def next(self) -> np.ndarray:
        if self.sampling == "iid":
            return np.stack([g.choice(self.P, size=self.B, replace=False) for g in self.gens])
        if self.pos >= self.P:
            self.perms = np.stack([g.permutation(self.P) for g in self.gens])
            self.pos = 0
        idx = self.perms[:, self.pos:self.pos + self.B]
        self.pos += self.B
        return idx


def _prepare(model: Ensemble, x, y):
    x = model.as_input(x)
    y = model.as_input(y)
    if x.ndim == 1 or y.ndim == 1:
        raise ValueError("x and y must be 2-D (P, d) or 3-D (E, P, d)")
    if x.shape[-2] != y.shape[-2]:
        raise ValueError(f"x and y must have the same number of samples, got {x.shape[-2]} and {y.shape[-2]}")
    if x.ndim == 3 and x.shape[0] != model.n_members:
        raise ValueError(f"per-member data must have {model.n_members} members on axis 0, got {x.shape[0]}")
    return x, y


def train(
    model: Ensemble,
    x,
    y,
    config: TrainConfig,
    *,
    observables: Mapping[str, Observable] | None = None,
    test: tuple | None = None,
    meta: Mapping | None = None,
    stop: Callable[[dict[str, np.ndarray]], bool] | None = None,
) -> Trajectory:
    """Train every member of ``model`` on ``(x, y)`` and record observables.

    Parameters
    ----------
    model : an :class:`~theorylab.nets.Ensemble` (E members).
    x, y : arrays ``(P, d)`` shared by all members, or ``(E, P, d)`` per member.
    config : :class:`TrainConfig`.
    observables : name -> ``fn(model) -> tensor (E, ...)``, evaluated without
        gradients at each recorded step.  ``"loss"`` (train loss, the training
        normalisation) is always recorded; ``"test_loss"`` too when ``test =
        (x_test, y_test)`` is given (same normalisation, but a mean over test
        points when training uses "sum").
    stop : optional ``fn(latest) -> bool`` called after each record with the
        latest value of every observable (arrays ``(E, ...)``); training ends
        early, and the trajectory is truncated there, when it returns True.

    Returns
    -------
    Trajectory with ``n_seeds = E``: observables ``(T, E, ...)`` on ``t = lr * step``.
    """
    x, y = _prepare(model, x, y)
    if test is not None:
        xt, yt = _prepare(model, *test)
    observables = dict(observables or {})
    k = y.shape[-1]
    dt = config.lr * (2.0 / k if config.reduction == "mse" else 1.0)
    steps = record_steps(config.t_record, dt)
    n_steps = int(steps[-1])
    P = x.shape[-2]
    if config.optimizer == "sgd" and config.batch_size > P:
        raise ValueError(f"batch_size must be <= the number of samples {P}, got {config.batch_size}")
    batches = _Batches(model.seeds, P, config.batch_size, config.sampling) if config.optimizer == "sgd" else None
    params = [p for p in model.parameters() if p.requires_grad]
    records: dict[str, list[np.ndarray]] = {"loss": []}
    if test is not None:
        records["test_loss"] = []
    for name in observables:
        records[name] = []

    def record() -> None:
        with torch.no_grad():
            records["loss"].append(_loss(model, x, y, config.reduction).cpu().numpy())
            if test is not None:
                records["test_loss"].append(_loss(model, xt, yt, config.reduction if config.reduction != "sum"
                                                  else "mean").cpu().numpy())
            for name, fn in observables.items():
                # copy: on the CPU .numpy() shares memory with a parameter the optimiser updates in place
                records[name].append(fn(model).detach().cpu().numpy().copy())

    show = config.progress if config.progress is not None else (n_steps > 5000 and sys.stderr.isatty())
    bar = tqdm(total=n_steps, disable=not show, desc="train", unit="step", mininterval=0.5)
    next_rec = 0
    E = model.n_members
    member_idx = torch.arange(E, device=x.device)[:, None]
    for step in range(n_steps + 1):
        if step == steps[next_rec]:
            record()
            next_rec += 1
            if next_rec == len(steps) or (stop is not None and stop({k: v[-1] for k, v in records.items()})):
                break
        if config.optimizer == "gd":
            xb, yb = x, y
        else:
            idx_t = torch.as_tensor(batches.next(), device=x.device)
            xb = x[idx_t] if x.ndim == 2 else x[member_idx, idx_t]
            yb = y[idx_t] if y.ndim == 2 else y[member_idx, idx_t]
        loss = _loss(model, xb, yb, config.reduction).sum()
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            torch._foreach_add_(params, grads, alpha=-config.lr)
        if step % 256 == 0:
            bar.update(min(256, n_steps - bar.n))
    bar.close()
    out = {k: np.stack(v) for k, v in records.items()}
    time_note = {
        "mean": "t = lr * step (gradient flow on L = 1/(2P) sum ||y - f||^2, tau = 1)",
        "sum": "t = lr * step (gradient flow on L = 1/2 sum ||y - f||^2, tau = 1)",
        "mse": f"t = 2 lr step / k = {2.0 / k:g} lr step (gradient flow on L = 1/(2P) sum ||y - f||^2, tau = 1)",
    }[config.reduction]
    loss_note = {
        "mean": "L = 1/(2P) sum_mu ||y_mu - f(x_mu)||^2 (summed over outputs)",
        "sum": "L = 1/2 sum_mu ||y_mu - f(x_mu)||^2 (summed over outputs)",
        "mse": "L_mse = 1/(P k) sum_mu ||y_mu - f(x_mu)||^2 (torch mse_loss: mean over samples and outputs)",
    }[config.reduction]
    info = {
        "time": time_note,
        "time_per_step": dt,
        "loss": loss_note,
        "lr": config.lr,
        "optimizer": config.optimizer,
        "batch_size": config.batch_size,
        "sampling": config.sampling if config.optimizer == "sgd" else None,
        "seeds": list(model.seeds),
        "device": str(x.device),
        "dtype": str(x.dtype).replace("torch.", ""),
        **dict(meta or {}),
    }
    return Trajectory(steps[:next_rec] * dt, out, info, n_seeds=E)
