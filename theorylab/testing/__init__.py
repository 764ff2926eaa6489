"""theorylab's one tolerance policy.

Every numerical test compares through :func:`assert_close` or a Monte-Carlo
tolerance from :func:`mc_tolerance`; a literal tolerance anywhere else in the
tests must say why.

Levels (relative tolerance, absolute floor), by what is compared:

``exact``   two closed forms, or a closed form and linear algebra, in float64
``ode``     a closed form against ``scipy.integrate.solve_ivp`` run at
            ``ODE_RTOL``/``ODE_ATOL`` (the integrator's own error dominates)
``quad``    numerical quadrature against a closed form
``float32`` anything computed in float32 (e.g. a network on the default dtype)
"""
from __future__ import annotations

import numpy as np

__all__ = ["TOLERANCES", "ODE_RTOL", "ODE_ATOL", "assert_close", "mc_tolerance", "tolerance"]

#: Tolerances handed to solve_ivp by tests that check closed forms.
ODE_RTOL = 1e-10
ODE_ATOL = 1e-12

TOLERANCES: dict[str, tuple[float, float]] = {
    "exact": (1e-10, 1e-12),
    "ode": (1e-7, 1e-9),
    "quad": (1e-8, 1e-10),
    "float32": (1e-4, 1e-6),
}


def tolerance(level: str = "exact", dtype=None) -> tuple[float, float]:
    """(rtol, atol) for ``level``; a float32 ``dtype`` loosens to the float32 level."""
    if level not in TOLERANCES:
        raise ValueError(f"level must be one of {tuple(TOLERANCES)}, got {level!r}")
    rtol, atol = TOLERANCES[level]
    if dtype is not None and np.dtype(str(dtype).replace("torch.", "")).itemsize <= 4:
        r32, a32 = TOLERANCES["float32"]
        rtol, atol = max(rtol, r32), max(atol, a32)
    return rtol, atol


def assert_close(actual, desired, *, level: str = "exact", scale: float | None = None, err_msg: str = "") -> None:
    """Assert ``|actual - desired| <= atol + rtol * |desired|`` under the policy.

    ``scale`` replaces ``|desired|`` by a fixed size where relative error to
    the pointwise value is meaningless (e.g. a quantity that crosses zero).
    The dtype of ``actual`` picks float32 tolerances automatically.
    """
    a = np.asarray(actual)
    d = np.asarray(desired)
    rtol, atol = tolerance(level, a.dtype if a.dtype.kind == "f" else None)
    ref = np.abs(d) if scale is None else scale
    bad = ~(np.abs(a - d) <= atol + rtol * ref)
    if np.any(bad):
        worst = np.max(np.abs(a - d) - rtol * ref)
        raise AssertionError(
            f"{err_msg} not close at level {level!r} (rtol={rtol:g}, atol={atol:g}): "
            f"{bad.sum()} of {bad.size} entries off, worst excess {worst:.3g}"
        )


def mc_tolerance(std: float, n: int, *, z: float = 4.0) -> float:
    """Tolerance for a Monte-Carlo mean of ``n`` draws with spread ``std``.

    ``z * std / sqrt(n)``: a z-sigma band (z = 4 fails by chance with
    probability ~6e-5), shrinking as 1/sqrt(n).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return z * float(std) / np.sqrt(n)
