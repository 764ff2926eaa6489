r"""``Clock``: what the time axis of a :class:`~theorylab.Trajectory` means.

A factor of 2 in time is this field's most common theory-experiment bug, so
the convention is data, not prose.  A clock has

* a **base**: the continuous time it measures, e.g. gradient-flow time of one
  stated loss ``dtheta/dt = -dL/dtheta`` (the loss normalisation is part of the
  base: gradient flow of ``1/(2P) sum ||y - f||^2`` and of ``(1/P) sum ||y - f||^2``
  are different clocks), or a discrete count with no continuous counterpart
  (AdamW steps, tokens of context);
* a **scale**: ``t_base = scale * t``.  Gradient-flow time itself has scale 1,
  GD steps at step size ``lr`` have scale ``lr`` (``t = lr * step``), the SIM
  paper's clock ``dW/dt = V(W)`` runs twice as fast as gradient flow
  (scale 1/2).

Two trajectories on clocks with the same base are compared after converting
one onto the other (:meth:`Clock.convert`); clocks with different bases refuse
with :class:`ClockMismatch`.  Axis labels come from :attr:`Clock.label`.

Loss normalisations used across theorylab are named here (``HALF_MEAN`` ...)
so that two modules spelling the same loss get the same base.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Clock", "ClockMismatch", "HALF_MEAN", "HALF_SUM", "MEAN_SQ", "CROSS_ENTROPY", "MULTIPLES",
           "with_weight_decay"]

#: ``L = 1/(2P) sum_mu ||y_mu - f(x_mu)||^2`` (summed over outputs): theorylab's default.
HALF_MEAN = "L = 1/(2P) sum_mu ||y_mu - f(x_mu)||^2"
#: ``L = 1/2 sum_mu ||y_mu - f(x_mu)||^2``.
HALF_SUM = "L = 1/2 sum_mu ||y_mu - f(x_mu)||^2"
#: ``L = (1/P) sum_mu (f(x_mu) - y_mu)^2`` (no 1/2; the grokking papers' loss).
MEAN_SQ = "L = (1/P) sum_mu (f(x_mu) - y_mu)^2"
#: Mean cross-entropy of the logits.
CROSS_ENTROPY = "L = mean cross-entropy of the logits"

#: Losses that are a constant multiple of another: gradient flow of ``c L`` at time ``t`` is gradient
#: flow of ``L`` at time ``c t``, so their clocks share a base and convert by ``c``.
MULTIPLES: dict[str, tuple[str, float]] = {MEAN_SQ: (HALF_MEAN, 2.0)}


def _canonical(loss: str, factor: float) -> tuple[str, float]:
    f = float(factor)
    if not (np.isfinite(f) and f > 0):
        raise ValueError(f"factor must be > 0 and finite, got {factor!r}")
    if loss in MULTIPLES:
        base, c = MULTIPLES[loss]
        return base, c * f
    return loss, f


def with_weight_decay(loss: str, weight_decay: float) -> str:
    """The loss ``loss + wd/2 ||theta||^2`` (a ridge penalty), spelled as the trainer spells it."""
    wd = float(weight_decay)
    if not (np.isfinite(wd) and wd >= 0):
        raise ValueError(f"weight_decay must be >= 0 and finite, got {weight_decay!r}")
    return loss if wd == 0 else f"{loss} + wd/2 ||theta||^2 (wd = {wd:g})"


class ClockMismatch(ValueError):
    """Two trajectories' times cannot be put on one clock."""


def _gf_base(loss: str) -> str:
    return f"gradient flow of {loss}"


@dataclass(frozen=True)
class Clock:
    """A time convention: ``t_base = scale * t`` on a named base time.

    Parameters
    ----------
    base : str
        The time measured, e.g. ``"gradient flow of L = 1/(2P) sum ..."``.
        Equal bases (string equality) are convertible into each other.
    scale : float > 0
        ``t_base = scale * t``.
    unit : str
        What one unit of ``t`` is, for labels ("gradient-flow time", "GD step").
    symbol : str
        The axis symbol (``"t"``, ``"epoch"``, ``"tokens"``).

    Build clocks with the constructors (:meth:`gradient_flow`, :meth:`steps`,
    :meth:`rescaled`, :meth:`discrete`) rather than by hand.
    """

    base: str
    scale: float = 1.0
    unit: str = "gradient-flow time"
    symbol: str = "t"

    def __post_init__(self) -> None:
        if not isinstance(self.base, str) or not self.base:
            raise ValueError(f"base must be a non-empty string, got {self.base!r}")
        if isinstance(self.scale, bool) or not isinstance(self.scale, (int, float, np.floating, np.integer)):
            raise TypeError(f"scale must be a number, got {type(self.scale).__name__}")
        if not (np.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"scale must be > 0 and finite, got {self.scale!r}")
        object.__setattr__(self, "scale", float(self.scale))

    # -- constructors -----------------------------------------------------
    @classmethod
    def gradient_flow(cls, loss: str = HALF_MEAN, *, factor: float = 1.0, unit: str = "gradient-flow time") -> "Clock":
        """Continuous gradient-flow time ``dtheta/dt = -d(factor L)/dtheta`` of ``loss`` (tau = 1).

        Gradient flow of ``c L`` at time ``t`` is gradient flow of ``L`` at ``c t``, so the
        clock is expressed on the base of ``L`` with scale ``c`` (a loss listed in
        :data:`MULTIPLES`, like ``MEAN_SQ = 2 HALF_MEAN``, is reduced the same way).
        """
        base, c = _canonical(loss, factor)
        return cls(_gf_base(base), c, unit, "t")

    @classmethod
    def steps(cls, lr: float, loss: str = HALF_MEAN, *, factor: float = 1.0, unit: str = "GD step",
              symbol: str = "step") -> "Clock":
        """Steps of (S)GD at step size ``lr`` on ``factor * loss``: ``t_gf = lr * factor * step``."""
        base, c = _canonical(loss, factor)
        return cls(_gf_base(base), float(lr) * c, f"{unit} (lr = {float(lr):.4g})", symbol)

    @classmethod
    def rescaled(cls, factor: float, loss: str = HALF_MEAN, *, unit: str, symbol: str = "t") -> "Clock":
        """A paper's clock running ``factor`` times as fast as gradient flow: ``t = factor * t_gf``."""
        return cls(_gf_base(loss), 1.0 / float(factor), unit, symbol)

    @classmethod
    def discrete(cls, unit: str, *, symbol: str = "step") -> "Clock":
        """A count with no gradient-flow counterpart (optimiser steps of Adam, tokens of context...)."""
        return cls(unit, 1.0, unit, symbol)

    # -- use ----------------------------------------------------------------
    @property
    def is_gradient_flow(self) -> bool:
        return self.base.startswith("gradient flow of ")

    @property
    def loss(self) -> str | None:
        """The loss whose gradient flow this clock measures (None for discrete clocks)."""
        return self.base[len("gradient flow of "):] if self.is_gradient_flow else None

    @property
    def label(self) -> str:
        """Axis label, e.g. ``"t (gradient-flow time)"`` or ``"step (GD step (lr = 0.1))"``."""
        return f"{self.symbol} ({self.unit})" if self.unit != self.symbol else self.symbol

    def describe(self) -> str:
        """One line for reports: the unit and its relation to the base time."""
        if self.scale == 1.0:
            return f"{self.unit}: {self.base}" if self.unit != self.base else self.base
        return f"{self.unit}: {self.base} = {self.scale:.6g} x {self.symbol}"

    def compatible(self, other: "Clock") -> bool:
        """True when times on ``other`` can be converted onto this clock."""
        return isinstance(other, Clock) and other.base == self.base

    def factor_from(self, other: "Clock") -> float:
        """``t_self = factor * t_other``; raises :class:`ClockMismatch` if the bases differ."""
        if not isinstance(other, Clock):
            raise ClockMismatch(f"cannot convert from {other!r}: not a Clock (set the trajectory's clock)")
        if other.base != self.base:
            raise ClockMismatch(f"clocks measure different times: {other.describe()!r} vs {self.describe()!r}; "
                                "convert with an explicit, documented factor or compare on a shared clock")
        return other.scale / self.scale

    def convert(self, t, other: "Clock") -> np.ndarray:
        """Times ``t`` given on clock ``other``, expressed on this clock."""
        return np.asarray(t, float) * self.factor_from(other)

    # -- persistence ---------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        return {"base": self.base, "scale": self.scale, "unit": self.unit, "symbol": self.symbol}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "Clock | None":
        return None if d is None else cls(d["base"], d["scale"], d["unit"], d["symbol"])
