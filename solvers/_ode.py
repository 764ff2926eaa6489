"""Shared ODE helper for the solvers: integrate from t = 0 and answer at the caller's times."""
from __future__ import annotations

import numpy as np
from scipy import integrate


def solve_at(rhs, y0, t, *, name: str, **options) -> np.ndarray:
    """Integrate ``dy/dt = rhs(t, y)`` from ``y(0) = y0`` and return ``y`` at every time in ``t``.

    ``t`` may be in any order and of any shape; the result has shape
    ``t.shape + (len(y0),)``, in the caller's order.  ``options`` go to
    :func:`scipy.integrate.solve_ivp`; a failed integration raises
    ``RuntimeError`` naming ``name``.
    """
    t = np.asarray(t, float)
    flat = t.ravel()
    order = np.argsort(flat)
    ts = flat[order]
    y0 = np.atleast_1d(np.asarray(y0, float))
    sol = integrate.solve_ivp(rhs, (0.0, float(ts[-1]) if ts.size else 0.0), y0, t_eval=ts, **options)
    if not sol.success:  # pragma: no cover - smooth, well-posed problems
        raise RuntimeError(f"{name} integration failed: {sol.message}")
    out = np.empty((flat.size, y0.size))
    out[order] = sol.y.T
    return out.reshape(t.shape + (y0.size,))
