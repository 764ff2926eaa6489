r"""Agreement thresholds, each with the error model that sets its size.

Every gating row of a figure compares a number with a :class:`Tolerance`
built here, never with a bare literal, so the report can say *why* a
threshold has the size it has.  The error models:

``exact``           the same mathematics computed two ways in float64: only
                    round-off separates them (``EXACT_RTOL``).
``ode``             a closed form or ODE against an adaptive integrator run at
                    ``ODE_RTOL``; the integrator's own error dominates.
``float32``         a float32 network against float64 theory: float32 round-off
                    accumulated over the run.
``discretisation``  gradient descent at step ``lr`` against gradient flow:
                    Euler's global error, ``C lr^order`` with a stated constant.
``monte-carlo``     a finite sample (seeds, test points) against its
                    expectation: ``z * std / sqrt(n)``, or ``z`` standard errors.
``claim``           a number the paper states (cited); the row tests the claim.
``criterion``       a judgement threshold we chose, with the reason (e.g. "a
                    rise of at least 10% is a bump, not round-off").

Thresholds read ``value <= threshold`` unless ``at_least`` is set
(``value >= threshold``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Tolerance", "MODELS", "EXACT_RTOL", "exact", "ode", "float32", "discretisation", "monte_carlo",
           "standard_errors", "claim", "criterion"]

MODELS = ("exact", "ode", "float32", "discretisation", "monte-carlo", "claim", "criterion")

#: Relative round-off allowed between two float64 computations of the same quantity over a long run.
EXACT_RTOL = 1e-9
#: Relative error allowed for an ODE integration (solve_ivp at rtol 1e-10) against a closed form.
ODE_TOL = 1e-6
#: Relative error allowed for float32 arithmetic against float64 theory.
FLOAT32_TOL = 1e-3


@dataclass(frozen=True)
class Tolerance:
    """A threshold and the error model behind it.

    ``value`` is the threshold; ``model`` one of :data:`MODELS`; ``why`` a
    sentence for the report; ``at_least`` flips the comparison to ``>=``.
    """

    value: float
    model: str
    why: str
    at_least: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float, np.floating, np.integer)):
            raise TypeError(f"value must be a number, got {type(self.value).__name__}")
        if not np.isfinite(self.value):
            raise ValueError(f"value must be finite, got {self.value!r}")
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")
        if not isinstance(self.why, str) or not self.why.strip():
            raise ValueError("why must say what sets the threshold")
        object.__setattr__(self, "value", float(self.value))

    def passes(self, x: float) -> bool:
        if not np.isfinite(x):
            return False
        return x >= self.value if self.at_least else x <= self.value

    def __str__(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.value:g} ({self.model}: {self.why})"


def _pos(name: str, x) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {type(x).__name__}")
    if not (np.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be > 0 and finite, got {x!r}")
    return float(x)


def exact(*, factor: float = 1.0, why: str = "float64 round-off") -> Tolerance:
    """Two float64 computations of the same mathematics: ``factor * EXACT_RTOL``."""
    return Tolerance(_pos("factor", factor) * EXACT_RTOL, "exact", why)


def ode(*, factor: float = 1.0, why: str = "adaptive ODE integration at rtol 1e-10 against the closed form") -> Tolerance:
    """An ODE solution against a closed form or another integration: ``factor * ODE_TOL``."""
    return Tolerance(_pos("factor", factor) * ODE_TOL, "ode", why)


def float32(*, factor: float = 1.0, why: str = "float32 network against float64 theory") -> Tolerance:
    """float32 round-off accumulated over a run: ``factor * FLOAT32_TOL``."""
    return Tolerance(_pos("factor", factor) * FLOAT32_TOL, "float32", why)


def discretisation(lr: float, *, constant: float, order: int = 1, why: str = "") -> Tolerance:
    """Gradient descent at step ``lr`` against gradient flow: ``constant * lr**order``.

    Euler's method has global error ``O(lr)`` on a fixed time horizon; the
    constant is the stated size of that ``O`` (measured once by halving lr,
    or bounded from the dynamics).
    """
    lr, constant = _pos("lr", lr), _pos("constant", constant)
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be an integer >= 1, got {order!r}")
    text = f"Euler O(lr^{order}) at lr = {lr:g}, constant {constant:g}" + (f"; {why}" if why else "")
    return Tolerance(constant * lr**order, "discretisation", text)


def monte_carlo(std: float, n: int, *, z: float = 4.0, why: str = "") -> Tolerance:
    """A mean of ``n`` draws with spread ``std``: ``z * std / sqrt(n)``.

    ``z = 4`` fails by chance with probability about 6e-5 (two-sided, normal).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    std = float(std)
    if not (np.isfinite(std) and std >= 0):
        raise ValueError(f"std must be >= 0 and finite, got {std!r}")
    z = _pos("z", z)
    text = f"{z:g} standard errors of a {n}-sample mean (std {std:.3g})" + (f"; {why}" if why else "")
    return Tolerance(z * std / np.sqrt(n), "monte-carlo", text)


def standard_errors(z: float = 4.0, *, why: str = "") -> Tolerance:
    """A difference measured in standard errors: at most ``z`` of them."""
    z = _pos("z", z)
    return Tolerance(z, "monte-carlo", f"{z:g} standard errors" + (f"; {why}" if why else ""))


def claim(value: float, source: str, *, at_least: bool = False) -> Tolerance:
    """A number the paper states; ``source`` cites it (figure, equation, sentence)."""
    if not isinstance(source, str) or not source.strip():
        raise ValueError("source must cite where the paper states the claim")
    return Tolerance(value, "claim", source, at_least)


def criterion(value: float, why: str, *, at_least: bool = False) -> Tolerance:
    """A judgement threshold we chose; ``why`` gives the reason for its size."""
    return Tolerance(value, "criterion", why, at_least)
