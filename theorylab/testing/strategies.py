"""Hypothesis strategies for valid theorylab configs and parameters.

Ranges are chosen so that every draw is a well-posed problem in float64
(e.g. ``s * t`` moderate where an ODE integrator must follow it).
"""
from __future__ import annotations

from hypothesis import strategies as st

from theorylab.tasks import TeacherStudentConfig, TreeConfig

__all__ = ["positive", "saxe_params", "deep_params", "mp_alpha", "tree_configs", "teacher_student_configs",
           "sim_rates", "sim_configs"]


def positive(lo: float = 1e-2, hi: float = 1e2) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] with log-uniform-ish spread (no nan/inf)."""
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


@st.composite
def saxe_params(draw) -> dict:
    """(s, u0, tau, lam) with ``u0 < s / lam``: a mode that has something to learn."""
    s = draw(positive(0.1, 10.0))
    lam = draw(positive(0.1, 10.0))
    tau = draw(positive(0.1, 10.0))
    frac = draw(st.floats(1e-4, 0.5))
    return {"s": s, "u0": frac * s / lam, "tau": tau, "lam": lam}


@st.composite
def deep_params(draw) -> dict:
    """(s, u0, depth, tau) for the balanced deep chain."""
    s = draw(positive(0.2, 5.0))
    return {"s": s, "u0": draw(st.floats(1e-3, 0.5)) * s, "depth": draw(st.integers(1, 8)),
            "tau": draw(positive(0.2, 5.0))}


def mp_alpha() -> st.SearchStrategy[float]:
    """Sample ratios alpha = P/N away from the singular point 1."""
    return st.one_of(st.floats(0.05, 0.9), st.floats(1.1, 20.0))


def tree_configs() -> st.SearchStrategy[TreeConfig]:
    return st.builds(TreeConfig, depth=st.integers(1, 4), branching=st.integers(2, 3))


@st.composite
def teacher_student_configs(draw) -> TeacherStudentConfig:
    d_in = draw(st.integers(1, 8))
    d_out = draw(st.integers(1, 8))
    r = draw(st.integers(1, min(d_in, d_out)))
    svals = tuple(draw(st.lists(positive(0.1, 5.0), min_size=r, max_size=r)))
    whiten = draw(st.booleans())
    input_var = None if whiten else tuple(draw(st.lists(positive(0.2, 3.0), min_size=r, max_size=r)))
    return TeacherStudentConfig(d_in, d_out, svals, noise_std=draw(st.floats(0, 1)), input_var=input_var)


@st.composite
def sim_rates(draw):
    """Concept rates a (2 to 4 concepts, a_p in [0.1, 3]) for SIM dynamics."""
    import numpy as np

    n = draw(st.integers(2, 4))
    return np.asarray(draw(st.lists(st.floats(0.1, 3.0), min_size=n, max_size=n)))


@st.composite
def sim_configs(draw):
    """Valid SIMConfig objects covering every documented variant."""
    from theorylab.tasks import SIMConfig

    s = draw(st.integers(1, 4))
    signal = tuple(draw(st.lists(st.floats(0.2, 4.0), min_size=s, max_size=s)))
    noise = draw(st.floats(0.0, 1.0))
    by_var = draw(st.booleans())
    dim = draw(st.one_of(st.none(), st.integers(s, s + 4)))
    comp = draw(st.floats(0.0, 0.5)) if dim is not None and dim > s else 0.0
    kw = {"noise_var": noise} if by_var else {"noise_std": noise}
    return SIMConfig(signal, n_per_cluster=draw(st.integers(1, 50)), origin_cluster=draw(st.booleans()), dim=dim,
                     rotate=draw(st.booleans()), complement_noise_std=comp, **kw)
