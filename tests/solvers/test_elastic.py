import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.solvers._ode import solve_at
from theorylab.solvers.elastic import (estimate_AB, le_ode_operator, le_ode_rates, le_ode_solution, le_sde,
                                       tail_index)
from theorylab.testing import ODE_RTOL, assert_close


@settings(max_examples=20)
@given(st.floats(0.1, 3.0), st.floats(0.0, 3.0), st.integers(2, 6), st.sampled_from(["I", "L"]))
def test_rates_are_the_operators_eigenvalues(alpha, beta, K, model):
    L1, L2 = le_ode_operator(K, model)
    ev = np.sort(np.linalg.eigvals((alpha * L1 + beta * L2) / K).real)
    want = np.sort(np.concatenate([np.full(m, r) for r, m in le_ode_rates(alpha, beta, K, model).items()]))
    assert_close(ev, want, level="quad", scale=alpha + beta)


def _simulate(K, model, alpha, beta, t):
    L1, L2 = le_ode_operator(K, model)
    X0 = np.random.default_rng(K).normal(size=(K, K))
    X = solve_at(lambda s, x: (alpha(s) * L1 + beta(s) * L2) @ x / K, X0.ravel(), t, name="le_ode",
                 rtol=ODE_RTOL, atol=1e-12, method="DOP853")
    return X0, X.reshape(len(t), K, K)


def test_closed_forms_match_simulation_and_estimators_recover_A_B():
    t = np.linspace(0, 4, 9)
    # I model, time-varying impacts: alpha = 2 / (1 + t), beta = 0.5 + 0.2 t
    X0, X = _simulate(4, "I", lambda s: 2 / (1 + s), lambda s: 0.5 + 0.2 * s, t)
    A, B = 2 * np.log1p(t), 0.5 * t + 0.1 * t**2
    assert_close(le_ode_solution(X0, A, B, "I"), X, level="ode", scale=np.abs(X).max())
    Ah, Bh = estimate_AB(X, "I")
    assert np.all(np.abs(Ah[1:] / A[1:] - 1) < 0.01) and np.all(np.abs(Bh[1:] / B[1:] - 1) < 0.01)
    # L model, constant impacts (its parts do not commute: the closed form needs beta / alpha fixed)
    X0, X = _simulate(3, "L", lambda s: 1.5, lambda s: 0.4, t)
    assert_close(le_ode_solution(X0, 1.5 * t, 0.4 * t, "L"), X, level="ode", scale=np.abs(X).max())
    Ah, Bh = estimate_AB(X, "L")
    assert np.all(np.abs(Ah[1:] / (1.5 * t[1:]) - 1) < 0.01) and np.all(np.abs(Bh[1:] / (0.4 * t[1:]) - 1) < 0.01)
    L1, L2 = le_ode_operator(3, "L")
    assert np.abs(L1 @ L2 - L2 @ L1).max() > 0.1                     # why the L closed form needs a fixed ratio


@pytest.mark.parametrize("r", [0.3, 0.7])
def test_tail_index_recovers_the_decay_exponent(r):
    t = np.geomspace(1, 1e8, 200)
    assert abs(tail_index(t, t ** (1 - r)) - r) < 1e-12               # alpha = (1 - r) t^-r: exact
    est = tail_index(t, t ** (1 - r) / (1 - r), late=0.3)             # alpha = t^-r: bias -log(1/(1-r))/log t
    assert abs(est - r) < 1.5 * abs(np.log(1 - r)) / np.log(1e6)
    assert tail_index(t, -(t ** (1 - r)), sign="flip") == tail_index(t, t ** (1 - r))   # the authors': log |A|


def test_tail_index_sign_rules():
    t = np.arange(1.0, 101.0)                                         # late window: t = 51..100
    A = np.where(t > 75, -(t ** 0.8), t ** 0.5)                       # negative over half the late window
    assert tail_index(t, A) == pytest.approx(0.5, abs=1e-12)          # only the A > 0 times (t <= 75)
    assert tail_index(t, A, sign="flip") == pytest.approx(1 - (0.5 + 0.8) / 2, abs=1e-12)   # log |A| everywhere
    with pytest.raises(ValueError, match="sign"):
        tail_index(t, A, sign="abs")


def test_le_sde_phase_transition_at_beta_equal_alpha():
    K, ratios = 3, (0.5, 0.8, 1.25, 2.0)
    out = [le_sde(1.0, b, K, 20, t_max=300, dt=0.05, sigma=0.05, n_seeds=4, rng=i) for i, b in enumerate(ratios)]
    acc = np.array([o["accuracy"][-1].mean() for o in out])
    assert np.all(acc[:2] >= 0.95) and np.all(acc[2:] <= 0.05), acc
    for o in out[:2]:                                                 # locally elastic: simplex ETF of class means
        assert np.all(np.abs(o["cosines"][-1] + 1 / (K - 1)) < 0.02)
    same = le_sde(1.0, 1.0, K, 20, t_max=50, dt=0.05, sigma=0.0, init_std=0.1, rng=0)
    spread = same["means"][:, 0] - same["means"][:, 0].mean(axis=1, keepdims=True)
    assert np.allclose(spread[-1], spread[0], atol=1e-12)             # alpha = beta: no net drift between classes


def test_bad_config():
    with pytest.raises(ValueError, match="K"):
        le_ode_rates(1.0, 0.5, 1)
    with pytest.raises(ValueError, match="model"):
        le_ode_operator(3, "Q")
    with pytest.raises(ValueError, match="alpha"):
        le_sde(-1.0, 0.5, 3, 5, t_max=1.0)
    with pytest.raises(ValueError, match="X0"):
        le_ode_solution(np.zeros((3, 2)), [1.0], [0.5])


def test_le_sde_runs_on_its_own_clock_with_a_seed_axis():
    from theorylab.clock import Clock, ClockMismatch
    from theorylab.solvers.elastic import LE_SDE_TIME

    tr = le_sde(1.0, 0.5, 3, 4, t_max=1.0, dt=0.1, n_seeds=2, record=5)
    assert tr.clock == LE_SDE_TIME and "time" not in tr.meta
    assert tr.n_seeds == 2 and tr["means"].shape == (6, 2, 3, 3)
    np.testing.assert_allclose(tr.t, np.linspace(0, 1.0, 6))
    with pytest.raises(ClockMismatch):                               # not gradient flow of any loss
        tr.on_clock(Clock.gradient_flow())
