import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from theorylab.solvers.deep_linear import (deep_learning_time, deep_mode, mode_ode_rhs, saxe_learning_time,
                                           saxe_mode)
from theorylab.testing import ODE_ATOL, ODE_RTOL, assert_close
from theorylab.testing.strategies import deep_params, saxe_params


@given(saxe_params())
def test_saxe_mode_matches_solve_ivp(p):
    s, u0, tau, lam = p["s"], p["u0"], p["tau"], p["lam"]
    t = np.linspace(0, 6 * tau / s, 25)
    sol = solve_ivp(lambda _, u: 2 * u * (s - lam * u) / tau, (0, t[-1]), [u0], t_eval=t,
                    rtol=ODE_RTOL, atol=ODE_ATOL * u0, method="DOP853")
    assert_close(saxe_mode(t, s, u0, tau=tau, lam=lam), sol.y[0], level="ode")


@given(saxe_params(), st.floats(0.05, 0.95))
def test_learning_time_inverts_the_solution(p, frac):
    s, u0, tau, lam = p["s"], p["u0"], p["tau"], p["lam"]
    uf = u0 + frac * (s / lam - u0)
    t = saxe_learning_time(s, u0, uf, tau=tau, lam=lam)
    assert t > 0
    assert_close(saxe_mode(t, s, u0, tau=tau, lam=lam), uf)


@given(saxe_params(), st.floats(1.01, 5.0))
def test_learning_time_decreases_with_s(p, factor):
    s, u0, tau, lam = p["s"], p["u0"], p["tau"], p["lam"]
    uf = 0.5 * (u0 + s / lam)
    # same (u0, uf), stronger mode: faster
    assert saxe_learning_time(factor * s, u0, uf, tau=tau, lam=lam) < saxe_learning_time(s, u0, uf, tau=tau, lam=lam)


@given(deep_params())
def test_deep_chain_matches_solve_ivp(p):
    s, u0, D, tau = p["s"], p["u0"], p["depth"], p["tau"]
    t = np.linspace(0, 4 * tau / s, 15)
    sol = solve_ivp(lambda _, u: mode_ode_rhs(u, s, D, tau=tau), (0, t[-1]), [u0], t_eval=t,
                    rtol=ODE_RTOL, atol=ODE_ATOL * u0, method="DOP853")
    assert_close(deep_mode(t, s, u0, D, tau=tau), sol.y[0], level="ode")


@given(saxe_params())
def test_deep_chain_reduces_to_two_layer_at_depth_2(p):
    s, tau = p["s"], p["tau"]
    u0 = min(p["u0"], 0.5 * s)   # the deep chain is whitened (lam = 1)
    t = np.linspace(0, 5 * tau / s, 20)
    assert_close(deep_mode(t, s, u0, 2, tau=tau), saxe_mode(t, s, u0, tau=tau), level="ode")
    uf = 0.5 * (u0 + s)
    assert_close(deep_learning_time(s, u0, uf, 2, tau=tau), saxe_learning_time(s, u0, uf, tau=tau), level="quad")


@given(deep_params(), st.floats(0.1, 0.9))
def test_deep_learning_time_inverts_deep_mode(p, frac):
    s, u0, D, tau = p["s"], p["u0"], p["depth"], p["tau"]
    uf = u0 + frac * (s - u0)
    t = deep_learning_time(s, u0, uf, D, tau=tau)
    assert_close(deep_mode(np.array([t]), s, u0, D, tau=tau)[0], uf, level="ode")


def test_depth_dependence_of_learning_time():
    s = 2.0
    small = [d * deep_learning_time(s, 0.5**d, 0.9 * s, d) for d in (2, 4, 8, 16)]
    assert np.all(np.diff(small) > 0), "small per-layer init: D t grows with depth"
    fixed = np.array([d * deep_learning_time(s, 0.5, 0.9 * s, d) for d in (2, 8, 16, 32, 64, 128)])
    # product held O(1): D t converges to a finite limit, the integral of du / (u^2 (s - u))
    limit = deep_learning_time(s, 0.5, 0.9 * s, 10**6) * 10**6
    assert np.all(np.abs(fixed[2:] - limit) < 5e-3 * limit)
    assert abs(fixed[-1] - limit) < abs(fixed[0] - limit)


def test_saxe_mode_is_finite_for_huge_st():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        u = saxe_mode(np.array([0.0, 1.0, 1e3, 1e4]), 1.0, 1e-12)
        u_big = saxe_mode(np.array([1e4]), 10.0, 1e-3)   # s t = 1e5
    assert np.all(np.isfinite(u)) and np.all(np.isfinite(u_big))
    assert u[-1] == pytest.approx(1.0) and u_big[0] == pytest.approx(10.0)


@pytest.mark.parametrize("kwargs, param", [
    (dict(s=0.0, u0=0.1), "s"), (dict(s=-1.0, u0=0.1), "s"), (dict(s=1.0, u0=0.0), "u0"),
    (dict(s=1.0, u0=-0.1), "u0"), (dict(s=1.0, u0=0.1, tau=0.0), "tau"), (dict(s=1.0, u0=0.1, lam=-1.0), "lam"),
])
def test_bad_mode_parameters(kwargs, param):
    with pytest.raises(ValueError, match=param):
        saxe_mode([0.0, 1.0], **kwargs)


@pytest.mark.parametrize("uf", [0.05, 0.1, 1.0, 2.0])
def test_bad_final_strength(uf):
    with pytest.raises(ValueError, match="uf"):
        saxe_learning_time(1.0, 0.1, uf)
    with pytest.raises(ValueError, match="uf"):
        deep_learning_time(1.0, 0.1, uf, 3)


def test_bad_depth_and_time():
    with pytest.raises(ValueError, match="depth"):
        deep_mode([0.0], 1.0, 0.1, 0)
    with pytest.raises(ValueError, match="t"):
        saxe_mode([-1.0], 1.0, 0.1)
