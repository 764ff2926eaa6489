"""The worked example family: ridge gradient flow, closed form vs ODE vs trained network."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from theorylab.clock import ClockMismatch
from theorylab.compare import max_error
from theorylab.solvers.ridge import ridge_flow
from theorylab.studies.ridge import RidgeFlow
from theorylab.tasks.ridge_regression import RidgeTaskConfig, make_ridge_task
from theorylab.testing import ODE_ATOL, ODE_RTOL, assert_close, thresholds


@given(d=st.integers(1, 6), P=st.integers(1, 8), lam=st.floats(0.0, 2.0), seed=st.integers(0, 10_000))
def test_closed_form_solves_the_gradient_flow_ode(d, P, lam, seed):
    task = make_ridge_task(RidgeTaskConfig(d=d, P=P), rng=seed)
    w0 = np.random.default_rng(seed + 1).standard_normal(d)
    t = np.linspace(0.0, 3.0, 7)
    A = task.x.T @ task.x / P + lam * np.eye(d)
    b = task.x.T @ task.y / P
    ode = solve_ivp(lambda _, w: b - A @ w, (0.0, 3.0), w0, t_eval=t, rtol=ODE_RTOL, atol=ODE_ATOL).y.T
    flow = ridge_flow(t, task.x, task.y, w0, lam=lam, w_star=task.w_star, noise_std=task.config.noise_std)
    assert_close(flow["w"], ode, level="ode", scale=1.0 + np.abs(ode).max())
    assert_close(flow["test_error"], task.test_error(flow["w"]))


def test_long_time_limit_is_the_ridge_solution_and_keeps_the_null_space_without_ridge():
    task = make_ridge_task(RidgeTaskConfig(d=6, P=4), rng=3)
    w0 = np.arange(6.0)
    lam = 0.3
    w_inf = ridge_flow([1e4], task.x, task.y, w0, lam=lam)["w"][0]
    ridge = np.linalg.solve(task.x.T @ task.x / 4 + lam * np.eye(6), task.x.T @ task.y / 4)
    assert_close(w_inf, ridge)
    # lam = 0, P < d: the component of w0 in the null space of x never moves
    _, _, Vt = np.linalg.svd(task.x)
    null = Vt[4:]
    w = ridge_flow([0.0, 5.0, 1e4], task.x, task.y, w0, lam=0.0)["w"]
    assert_close(null @ w[-1], null @ w0, scale=np.abs(w0).max())


def test_trained_students_follow_the_closed_form_on_one_clock():
    study = RidgeFlow(task=RidgeTaskConfig(d=8, P=12), lam=0.2, lr=1e-3, t_max=3.0, n_rec=7, seeds=3)
    r = study.run()
    assert r.theory.clock == r.experiment.clock                     # gradient flow of the ridge loss
    # GD at step lr against gradient flow: O(lr) on a flow whose rates are O(1)
    bound = thresholds.discretisation(study.lr, constant=2.0).value
    assert np.abs(r.experiment["w"] - r.theory["w"]).max() <= bound * np.abs(r.theory["w"]).max()
    # a study without weight decay is a different clock: the comparator refuses the pair
    other = study.replace(lam=0.0).run()
    with pytest.raises(ClockMismatch):
        max_error(r.theory, other.experiment, "test_error", threshold=0.1)


def test_bad_config_fails_naming_the_parameter():
    with pytest.raises(ValueError, match="noise_std"):
        RidgeTaskConfig(noise_std=-1.0)
    with pytest.raises(TypeError, match="P"):
        RidgeTaskConfig(P="40")
    with pytest.raises(ValueError, match="lam"):
        RidgeFlow(lam=-0.1)
    with pytest.raises(ValueError, match="w0"):
        ridge_flow([0.0], np.ones((3, 2)), np.ones(3), np.ones(5), lam=0.1)
