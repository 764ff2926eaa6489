r"""One training loop for every network in theorylab, recording observables on a stated clock.

Losses (``TrainConfig.loss``)
-----------------------------
``"squared"`` with ``reduction``:

* ``"mean"`` (default): ``L = 1/(2P) sum_mu ||y_mu - f(x_mu)||^2`` (summed over outputs);
* ``"sum"``: ``L = 1/2 sum_mu ||y_mu - f(x_mu)||^2`` (full-batch GD only);
* ``"mse"``: PyTorch's ``mse_loss``, the mean over samples *and* the ``k`` outputs
  without the 1/2, ``L_mse = (2/k) L``.  A step of ``lr`` on it is a step of
  ``2 lr / k`` on ``L``, so its clock is gradient flow of the 1/2-mean loss at
  ``t = 2 lr step / k``.

``"cross_entropy"``: the mean cross-entropy of the logits ``f(x)`` (shape
``(..., C)``) against integer labels ``y``.

``"next_token"``: the mean next-token cross-entropy of a sequence model over all
positions: ``x`` holds token sequences ``(B, T)``, the model maps ``x[:, :-1]``
to logits and the targets are ``x[:, 1:]`` (``y`` is unused).

``weight_decay`` ``wd`` adds ``wd/2 ||theta||^2`` to the loss for GD and SGD
(so it is part of the gradient flow the clock measures) and is AdamW's
decoupled decay for ``optimizer="adamw"``.

Optimisers and clocks
---------------------
``"gd"`` (full batch) and ``"sgd"`` (minibatches) take ``theta <- theta - lr
g(step) dL/dtheta`` with the schedule factor ``g`` (1 unless a schedule is
set).  With a constant schedule this is the Euler discretisation of gradient
flow ``dtheta/dt = -dL/dtheta`` at ``t = lr step`` (``tau = 1``): the
trajectory's :class:`~theorylab.clock.Clock` is gradient flow of the stated
loss, and ``t_record`` is given in that time.  ``time="steps"`` records
optimiser steps instead (``Clock.steps``, convertible to gradient-flow time);
a schedule or AdamW forces steps (``"adamw"`` has no gradient-flow clock:
``Clock.discrete("AdamW step")``).

Ensembles and single models
---------------------------
An :class:`~theorylab.nets.Ensemble` trains all its members together: the loss
summed over members has, for each member's parameters, exactly that member's
gradient, and observables are recorded with a seed axis (``n_seeds = E``).  A
plain ``torch.nn.Module`` (a transformer, a LeNet) trains alone and is recorded
without a seed axis.

Data
----
``x, y`` arrays (``(P, d)`` shared by every member or ``(E, P, d)`` per member),
or ``batches=fn(rng) -> (x, y)`` drawing a fresh batch each step from one
seeded generator (``config.seed``).  With fresh batches the recorded ``loss``
is the mean of the minibatch losses since the previous record (so the first
record must come after at least one step).

Threads
-------
A run whose steps are small (parameters x rows per step up to
:data:`theorylab.threads.SMALL_WORK`) trains with one intra-op thread and restores
the caller's setting afterwards; ``THEORYLAB_THREADS`` overrides (see
:mod:`theorylab.threads`).

Interruption and divergence
---------------------------
Ctrl-C raises :class:`TrainingInterrupted` (a ``KeyboardInterrupt``) whose
``trajectory`` holds every point recorded so far.  A non-finite loss at a
record raises :class:`TrainingDiverged` naming the learning rate and the step;
non-finite data are refused before training starts.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch

from ._validate import check_choice, check_int, check_nonnegative, check_positive
from .clock import CROSS_ENTROPY, HALF_MEAN, HALF_SUM, Clock, with_weight_decay
from .nets.ensemble import Ensemble
from .progress import bar as progress_bar
from .rng import as_generator, streams
from .threads import for_work, limited
from .trajectory import Trajectory

__all__ = ["TrainConfig", "train", "record_steps", "schedule_factor", "TrainingInterrupted", "TrainingDiverged"]

Observable = Callable[[torch.nn.Module], torch.Tensor]


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`train`; ``trajectory`` holds what was recorded before it."""

    def __init__(self, trajectory: Trajectory | None):
        super().__init__("training interrupted")
        self.trajectory = trajectory


class TrainingDiverged(FloatingPointError):
    """The training loss became non-finite."""


@dataclass(frozen=True)
class TrainConfig:
    """How to train.

    Parameters
    ----------
    lr : float > 0
        Step size ``eta`` (the peak value under a schedule).
    t_record : sequence of float >= 0
        Times at which to record, on the run's clock (gradient-flow time, or
        optimiser steps with ``time="steps"``/a schedule/AdamW); rounded to the
        nearest step.
    optimizer : "gd" (full batch), "sgd" (minibatches, per-member order from
        the ``"order"`` stream of that member's seed) or "adamw".
    batch_size : int, for "sgd" and "adamw" on fixed data.
    loss : "squared", "cross_entropy" or "next_token" (module docstring).
    reduction : for "squared": "mean", "sum" or "mse".
    sampling : "epoch" (reshuffle every epoch and walk through it in batches,
        the last one smaller) or "iid" (each batch drawn afresh, without
        replacement within it).
    weight_decay : float >= 0 (``wd/2 ||theta||^2`` for GD/SGD; decoupled for AdamW).
    schedule : "constant" or "cosine" (``(1 + cos(pi step / steps)) / 2``, zero at the last step).
    warmup_steps : linear warm-up ``min(1, (step + 1) / warmup_steps)`` (0: none).
    betas : AdamW's (beta1, beta2).
    time : "flow" (gradient-flow time; the default where it exists) or "steps".
    seed : the data-order / fresh-batch seed for a single (non-ensemble) model
        and for ``batches``.
    progress : True / False / None (None: a bar in a terminal or notebook when
        the run has more than 5000 steps, never under CI).
    """

    lr: float
    t_record: tuple[float, ...]
    optimizer: str = "gd"
    batch_size: int | None = None
    reduction: str = "mean"
    sampling: str = "epoch"
    progress: bool | None = None
    loss: str = "squared"
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup_steps: int = 0
    betas: tuple[float, float] = (0.9, 0.999)
    time: str = "flow"
    seed: int = 0

    def __post_init__(self) -> None:
        check_positive("lr", self.lr)
        if isinstance(self.t_record, (str, bytes)):
            raise TypeError("t_record must be a sequence of times, got a string")
        t = np.atleast_1d(np.asarray(self.t_record, float))
        if t.size == 0:
            raise ValueError("t_record must hold at least one time")
        check_nonnegative("t_record", t)
        object.__setattr__(self, "t_record", tuple(t.tolist()))
        check_choice("optimizer", self.optimizer, ("gd", "sgd", "adamw"))
        check_choice("loss", self.loss, ("squared", "cross_entropy", "next_token"))
        check_choice("reduction", self.reduction, ("mean", "sum", "mse"))
        check_choice("sampling", self.sampling, ("epoch", "iid"))
        check_choice("schedule", self.schedule, ("constant", "cosine"))
        check_choice("time", self.time, ("flow", "steps"))
        check_nonnegative("weight_decay", self.weight_decay)
        check_int("warmup_steps", self.warmup_steps, minimum=0)
        check_int("seed", self.seed, minimum=0)
        if self.progress is not None and not isinstance(self.progress, bool):
            raise TypeError(f"progress must be True, False or None, got {self.progress!r}")
        b = tuple(self.betas)
        if len(b) != 2 or not all(0 <= float(v) < 1 for v in b):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        if self.loss != "squared" and self.reduction != "mean":
            raise ValueError(f"reduction applies to loss='squared' only; got reduction={self.reduction!r} with "
                             f"loss={self.loss!r}")
        if self.optimizer == "sgd" and self.batch_size is None:
            raise ValueError("batch_size is required with optimizer='sgd'")
        if self.batch_size is not None:
            check_int("batch_size", self.batch_size)
        if self.optimizer != "gd" and self.reduction == "sum":
            raise ValueError("reduction must be 'mean' or 'mse' with minibatches or AdamW")

    @property
    def time_in_steps(self) -> bool:
        """True when ``t`` counts optimiser steps (asked for, or forced by a schedule or AdamW)."""
        return self.time == "steps" or self.optimizer == "adamw" or self.schedule != "constant" or self.warmup_steps > 0


def record_steps(t_record, dt: float) -> np.ndarray:
    """Sorted unique step indices ``round(t / dt)`` for the requested times (``dt``: time per step)."""
    return np.unique(np.rint(np.asarray(t_record, float) / dt).astype(np.int64))


def schedule_factor(step: int, steps: int, schedule: str = "constant", warmup_steps: int = 0) -> float:
    """Learning-rate multiplier of optimiser step ``step + 1`` (``step`` counts from 0).

    Linear warm-up ``min(1, (step + 1) / warmup_steps)`` times 1 (``"constant"``)
    or ``(1 + cos(pi min(step, steps) / steps)) / 2`` (``"cosine"``).
    """
    decay = 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps)) if schedule == "cosine" else 1.0
    warm = min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0
    return warm * decay


def _loss_text(config: TrainConfig, *, trained: bool = False) -> str:
    """The loss whose gradient flow the clock measures (``trained``: the loss as optimised)."""
    if config.loss == "squared":
        if trained and config.reduction == "mse":
            return "L_mse = 1/(P k) sum_mu ||y_mu - f(x_mu)||^2 (torch mse_loss: mean over samples and outputs)"
        base = {"mean": HALF_MEAN, "sum": HALF_SUM, "mse": HALF_MEAN}[config.reduction]
    elif config.loss == "cross_entropy":
        base = CROSS_ENTROPY
    else:
        base = "L = mean next-token cross-entropy over positions"
    if config.optimizer != "adamw":
        base = with_weight_decay(base, config.weight_decay)
    return base


def _clock(config: TrainConfig, dt: float) -> Clock:
    loss = _loss_text(config)
    if config.optimizer == "adamw":
        return Clock.discrete(f"AdamW step (lr = {config.lr:g}, {loss})")
    if config.time_in_steps:
        unit = "SGD step" if config.optimizer == "sgd" else "GD step"
        return Clock.steps(dt, loss, unit=unit)
    return Clock.gradient_flow(loss)


def _member_loss(out: torch.Tensor, y: torch.Tensor | None, config: TrainConfig, ensemble: bool) -> torch.Tensor:
    """Per-member loss, shape (E,) for an ensemble, () for a single model."""
    if config.loss == "squared":
        d2 = (out - y).pow(2)                                   # (E, B, k) or (B, k)
        if config.reduction == "mse":
            return d2.mean(dim=(-2, -1))
        sq = d2.sum(dim=-1)
        return 0.5 * (sq.mean(dim=-1) if config.reduction == "mean" else sq.sum(dim=-1))
    # cross-entropy: logits (..., C), labels broadcast to out.shape[:-1]
    C = out.shape[-1]
    labels = y.expand(out.shape[:-1]) if y.shape != out.shape[:-1] else y
    if not ensemble:                             # the fused mean: the loss value torch users get
        return torch.nn.functional.cross_entropy(out.reshape(-1, C), labels.reshape(-1))
    ce = torch.nn.functional.cross_entropy(out.reshape(-1, C), labels.reshape(-1), reduction="none")
    ce = ce.reshape(out.shape[:-1])
    return ce.flatten(1).mean(-1)


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


def _as_tensor(model: torch.nn.Module, a, *, labels: bool) -> torch.Tensor:
    if isinstance(model, Ensemble) and not labels:
        return model.as_input(a)
    p = next(model.parameters())
    t = torch.as_tensor(np.asarray(a) if not torch.is_tensor(a) else a, device=p.device)
    return t.long() if labels else t.to(p.dtype)


def _prepare(model: torch.nn.Module, config: TrainConfig, x, y):
    """Data as tensors on the model's device, checked; returns (x, y, number of samples)."""
    ensemble = isinstance(model, Ensemble)
    labels = config.loss != "squared"
    if config.loss == "next_token":
        xt = _as_tensor(model, x, labels=True)
        if xt.ndim != 2 or xt.shape[1] < 2:
            raise ValueError(f"x must hold token sequences of shape (B, T) with T >= 2, got {tuple(xt.shape)}")
        return xt, None, xt.shape[0]
    if y is None:
        raise ValueError("y is required with loss='squared' or 'cross_entropy'")
    for name, a, is_label in (("x", x, False), ("y", y, labels)):
        arr = a.detach().cpu().numpy() if torch.is_tensor(a) else np.asarray(a)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
        if arr.size == 0:
            raise ValueError(f"{name} must not be empty")
        if not is_label and not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite (it holds NaN or inf)")
    xt = _as_tensor(model, x, labels=False)
    yt = _as_tensor(model, y, labels=labels)
    if ensemble:
        if xt.ndim not in (2, 3):
            raise ValueError(f"x must be 2-D (P, d) or 3-D (E, P, d) for an ensemble, got shape {tuple(xt.shape)}")
        want_y = (2, 3) if not labels else (1, 2)
        if yt.ndim not in want_y:
            shapes = "(P, k) or (E, P, k)" if not labels else "(P,) or (E, P) integer labels"
            raise ValueError(f"y must have shape {shapes}, got {tuple(yt.shape)}")
        px, py = xt.shape[-2], (yt.shape[-2] if not labels else yt.shape[-1])
        for name, a, per_member in (("x", xt, xt.ndim == 3), ("y", yt, yt.ndim == want_y[1])):
            if per_member and a.shape[0] != model.n_members:
                raise ValueError(f"per-member {name} must have {model.n_members} members on axis 0, got {a.shape[0]}")
    else:
        if labels and yt.ndim != 1:
            raise ValueError(f"y must be integer labels of shape (P,), got {tuple(yt.shape)}")
        if not labels and yt.ndim != 2:
            raise ValueError(f"y must have shape (P, k), got {tuple(yt.shape)}")
        px, py = xt.shape[0], yt.shape[0]
    if px != py:
        raise ValueError(f"x and y must have the same number of samples, got {px} and {py} "
                         f"(shapes {tuple(xt.shape)} and {tuple(yt.shape)})")
    return xt, yt, px


def _minibatch(x, y, idx: torch.Tensor, ensemble: bool, labels: bool, member_idx):
    """Rows ``idx`` (E, B) of shared or per-member data."""
    if not ensemble:
        return x[idx[0]], y[idx[0]]
    xb = x[idx] if x.ndim == 2 else x[member_idx, idx]
    shared_y = y.ndim == (1 if labels else 2)
    yb = y[idx] if shared_y else y[member_idx, idx]
    return xb, yb


def train(
    model: torch.nn.Module,
    x=None,
    y=None,
    config: TrainConfig | None = None,
    *,
    observables: Mapping[str, Observable] | None = None,
    test: tuple | None = None,
    meta: Mapping | None = None,
    stop: Callable[[dict[str, np.ndarray]], bool] | None = None,
    batches: Callable[[np.random.Generator], tuple] | None = None,
) -> Trajectory:
    """Train ``model`` and record observables on the run's clock.

    Parameters
    ----------
    model : an :class:`~theorylab.nets.Ensemble` (E members, trained together)
        or any ``torch.nn.Module`` (trained alone).
    x, y : training data (see the module docstring), or None with ``batches``.
    config : :class:`TrainConfig`.
    observables : name -> ``fn(model) -> tensor`` (``(E, ...)`` for an ensemble),
        evaluated without gradients at each record.  ``"loss"`` (the training
        loss) is always recorded; ``"test_loss"`` too when ``test = (x_test,
        y_test)`` is given (a mean over test points when training uses "sum").
    stop : optional ``fn(latest) -> bool`` called after each record with the
        latest value of every observable; training ends early, and the
        trajectory is truncated there, when it returns True.
    batches : ``fn(rng) -> (x, y)`` (or ``tokens`` for "next_token"): a fresh
        batch per step from the generator seeded by ``config.seed``.

    Returns
    -------
    Trajectory on the run's clock, with ``n_seeds = E`` for an ensemble.

    Raises
    ------
    TrainingInterrupted : on Ctrl-C, carrying the points recorded so far.
    TrainingDiverged : when the loss becomes non-finite.
    """
    if config is None or not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    ensemble = isinstance(model, Ensemble)
    streamed = batches is not None
    if streamed and (x is not None or y is not None):
        raise ValueError("give either data (x, y) or batches, not both")
    if not streamed and x is None:
        raise ValueError("x is required unless batches is given")
    if config.loss == "next_token" and ensemble:
        raise ValueError("loss='next_token' needs a sequence model, not an ensemble")
    P = None
    if not streamed:
        x, y, P = _prepare(model, config, x, y)
    if test is not None:
        if streamed:
            raise ValueError("test is not supported with batches; record it as an observable")
        xt, yt, _ = _prepare(model, config, *test)
    if streamed and config.loss == "squared" and config.reduction == "mse" and not config.time_in_steps:
        raise ValueError("reduction='mse' with batches needs time='steps' (the clock depends on the output size)")
    observables = dict(observables or {})
    k = int(y.shape[-1]) if (not streamed and config.loss == "squared") else None
    dt_flow = config.lr * (2.0 / k if (config.loss == "squared" and config.reduction == "mse") else 1.0)
    dt = 1.0 if config.optimizer == "adamw" or config.time_in_steps else dt_flow
    steps = record_steps(config.t_record, dt)
    if streamed and steps[0] == 0:
        raise ValueError("with batches, the first record must come after at least one step (t_record > 0)")
    n_steps = int(steps[-1])
    seeds = list(model.seeds) if ensemble else [config.seed]
    if config.batch_size is not None and not streamed and config.batch_size > P:
        raise ValueError(f"batch_size must be <= the number of samples {P}, got {config.batch_size}")
    use_batches = not streamed and config.optimizer != "gd" and config.batch_size is not None
    order = _Batches(seeds, P, config.batch_size, config.sampling) if use_batches else None
    data_rng = as_generator(config.seed) if streamed else None
    params = [p for p in model.parameters() if p.requires_grad]
    opt = None
    if config.optimizer == "adamw":
        opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay, betas=tuple(config.betas))
    records: dict[str, list[np.ndarray]] = {"loss": []}
    if test is not None:
        records["test_loss"] = []
    for name in observables:
        records[name] = []
    running: list[torch.Tensor] = []
    member_idx = x_ep = y_ep = None

    def full_loss(xx, yy, reduction_override=None) -> torch.Tensor:
        cfg = config if reduction_override is None else _with_reduction(config, reduction_override)
        if config.loss == "next_token":
            logits = model(xx[:, :-1])
            return _member_loss(logits, xx[:, 1:], cfg, False)
        return _member_loss(model(xx), yy, cfg, ensemble)

    def record(step: int) -> None:
        with torch.no_grad():
            if streamed:
                loss = torch.stack(running).double().mean(0)    # averaged in float64
                running.clear()
            else:
                loss = full_loss(x, y)
            loss = loss.detach().cpu().numpy()
            if not np.all(np.isfinite(loss)):
                raise TrainingDiverged(f"the training loss is {loss} at step {step} (lr = {config.lr:g}): gradient "
                                       "descent diverged; lower lr")
            records["loss"].append(loss)
            if test is not None:
                red = "mean" if config.reduction == "sum" else None
                records["test_loss"].append(full_loss(xt, yt, red).cpu().numpy())
            for name, fn in observables.items():
                # copy: on the CPU .numpy() shares memory with a parameter the optimiser updates in place
                records[name].append(fn(model).detach().cpu().numpy().copy())

    def trajectory(n_rec: int) -> Trajectory:
        out = {name: np.stack(v[:n_rec]) for name, v in records.items()}
        info = {
            "loss": _loss_text(config, trained=True),
            "lr": config.lr,
            "optimizer": config.optimizer,
            "batch_size": config.batch_size,
            "sampling": config.sampling if use_batches else None,
            "weight_decay": config.weight_decay,
            "schedule": config.schedule,
            "seeds": [int(s) if isinstance(s, (int, np.integer)) else str(s) for s in seeds],
            "device": str(next(model.parameters()).device),
            "dtype": str(next(model.parameters()).dtype).replace("torch.", ""),
            **dict(meta or {}),
        }
        return Trajectory(steps[:n_rec] * dt, out, info, n_seeds=model.n_members if ensemble else None,
                          clock=_clock(config, dt_flow))

    bar = progress_bar(n_steps, desc="train", show=config.progress)
    n_params = sum(p.numel() for p in params)
    rows = P if (P is not None and config.batch_size is None) else (config.batch_size or 1)
    next_rec = 0
    pin = limited(for_work(n_params * rows))          # small tensors: one intra-op thread (theorylab.threads)
    pin.__enter__()
    try:
        for step in range(n_steps + 1):
            if step == steps[next_rec]:
                record(step)
                next_rec += 1
                if next_rec == len(steps) or (stop is not None and stop({k_: v[-1] for k_, v in records.items()})):
                    break
            if streamed:
                got = batches(data_rng)
                if config.loss == "next_token":
                    xb, yb = _as_tensor(model, got, labels=True), None
                else:
                    xb, yb = _as_tensor(model, got[0], labels=False), _as_tensor(model, got[1],
                                                                                 labels=config.loss != "squared")
            elif not use_batches:
                xb, yb = x, y
            else:
                if member_idx is None:
                    member_idx = torch.arange(len(seeds), device=x.device)[:, None]
                if config.sampling == "epoch":
                    # the data are reordered once per epoch (one gather), and each batch is a slice of it:
                    # the same batches as gathering every step, at a fraction of the cost
                    new_epoch = order.pos >= order.P
                    lo = 0 if new_epoch else order.pos
                    idx = order.next()
                    if new_epoch:
                        x_ep, y_ep = _minibatch(x, y, torch.as_tensor(order.perms, device=x.device), ensemble,
                                                config.loss != "squared", member_idx)
                    hi = lo + idx.shape[1]
                    xb, yb = (x_ep[:, lo:hi], y_ep[:, lo:hi]) if ensemble else (x_ep[lo:hi], y_ep[lo:hi])
                else:
                    idx = torch.as_tensor(order.next(), device=x.device)
                    xb, yb = _minibatch(x, y, idx, ensemble, config.loss != "squared", member_idx)
            loss = full_loss(xb, yb)
            if streamed:
                running.append(loss.detach())
            total = loss.sum()
            factor = schedule_factor(step, n_steps, config.schedule, config.warmup_steps)
            if opt is not None:
                for group in opt.param_groups:
                    group["lr"] = config.lr * factor
                opt.zero_grad(set_to_none=True)
                total.backward()
                opt.step()
            else:
                if config.weight_decay:
                    total = total + 0.5 * config.weight_decay * sum((p * p).sum() for p in params)
                grads = torch.autograd.grad(total, params)
                with torch.no_grad():
                    torch._foreach_add_(params, grads, alpha=-config.lr * factor)
            if step % 256 == 0:
                bar.update(min(256, n_steps - bar.n))
    except KeyboardInterrupt:
        bar.close()
        n = min(len(v) for v in records.values())
        raise TrainingInterrupted(trajectory(n) if n else None) from None
    finally:
        pin.__exit__(None, None, None)
    bar.close()
    return trajectory(next_rec)


def _with_reduction(config: TrainConfig, reduction: str) -> TrainConfig:
    from dataclasses import replace

    return replace(config, reduction=reduction, optimizer="gd")
