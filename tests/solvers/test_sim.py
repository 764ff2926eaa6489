import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab import TrainConfig, train
from theorylab.nets import SymmetricLinear
from theorylab.solvers import sim
from theorylab.testing import assert_close
from theorylab.testing.strategies import sim_rates


def _bump(L):
    """Largest rise of L above its running minimum (0 for a non-increasing curve)."""
    return float(np.max(L - np.minimum.accumulate(L)))


def _aligned_U0(d, eps):
    """W0 with off-diagonal entries comparable to the diagonal: U0 = eps (1 1^T / sqrt(d) + 0.1 I)."""
    return eps * (np.ones((d, d)) / np.sqrt(d) + 0.1 * np.eye(d))


@settings(max_examples=20)
@given(sim_rates(), st.floats(0.05, 0.5), st.integers(0, 2**16))
def test_u_space_keeps_W_psd_and_matches_w_space(a, scale, seed):
    d = a.size
    U0 = scale * np.random.default_rng(seed).uniform(0, 1, (d, d))
    t = np.linspace(0, 8 / a.max(), 30)
    # DOP853 accumulates ~1e4 x rtol of global error through the logistic phase: integrate both tightly
    W = sim.two_layer_symmetric(t, a, U0, rtol=1e-12, atol=1e-14)
    assert np.linalg.eigvalsh(W).min() >= -1e-12 * max(1.0, np.abs(W).max())
    # the W-space ODE from a PSD start is stable here and must agree
    Ww = sim.two_layer_w_space(t, a, U0 @ U0.T, rtol=1e-12, atol=1e-14)
    # tolerance from the integrations themselves: each one's error is bounded by its distance to the same
    # solve at 10x looser rtol (errors scale ~linearly in rtol), so the two may differ by the sum
    err_u = np.max(np.abs(W - sim.two_layer_symmetric(t, a, U0, rtol=1e-11, atol=1e-13)))
    err_w = np.max(np.abs(Ww - sim.two_layer_w_space(t, a, U0 @ U0.T, rtol=1e-11, atol=1e-13)))
    assert np.max(np.abs(W - Ww)) <= err_u + err_w + 1e-12, (np.max(np.abs(W - Ww)), err_u, err_w)


@given(sim_rates(), st.integers(0, 2**16))
def test_decomposition_sums_to_the_vector_field(a, seed):
    g = np.random.default_rng(seed)
    U = g.normal(size=(a.size, a.size))
    W = U @ U.T
    G, S, N = sim.growth_suppression_interaction(W, a)
    assert_close(G - S - N, sim.vector_field(W, a), scale=np.abs(W).max() ** 2 * a.max() + 1)
    assert_close(np.diag(G - S), 2 * a * np.diag(W) * (1 - np.diag(W)), scale=np.abs(W).max() ** 2 * a.max() + 1)


@given(st.floats(0.5, 3.0), st.floats(2.0, 5.0), st.floats(1e-3, 2e-2))
def test_first_concept_crosses_half_at_the_logistic_time(a1, ratio, w0):
    """Diagonal entries of the paper-clock dynamics cross 1/2 near ln((1 - w0)/w0) / (2 a_i)."""
    a = np.array([a1, a1 / ratio])
    U0 = np.sqrt(w0) * np.eye(2) + 0.1 * np.sqrt(w0) * np.ones((2, 2))    # small off-diagonal start
    W0 = U0 @ U0.T
    t_pred = np.log((1 - W0[0, 0]) / W0[0, 0]) / (2 * a[0])
    t = np.linspace(0, 2 * t_pred, 4001)
    W = sim.two_layer_symmetric(t, a, U0, convention="paper")
    t_cross = t[np.argmax(W[:, 0, 0] >= 0.5)]
    assert abs(t_cross - t_pred) <= 0.05 * t_pred
    # the gradient-flow clock runs twice as fast
    Wg = sim.two_layer_symmetric(t / 2, a, U0, convention="gradient_flow")
    assert_close(Wg, W, level="ode", scale=1.0)


@given(st.floats(2.0, 4.0), st.floats(0.01, 0.2), st.floats(0.0, 0.1))
def test_swing_by_needs_separated_rates(mu2, eps, sigma):
    """Separated rates + aligned init: OOD loss non-monotone, train loss monotone; equal rates: monotone."""
    mu = np.array([1.0, mu2])
    a = mu**2 / 2 + sigma**2
    U0 = _aligned_U0(2, eps)
    t = np.linspace(0, 60 / a.min(), 3000)
    W = sim.two_layer_symmetric(t, a, U0, convention="paper")
    L_ood, L_train = sim.ood_loss(W, mu), sim.train_loss(W, a)
    assert np.all(np.diff(L_train) <= 1e-12)
    assert _bump(L_ood) > 1e-3 * L_ood[0]
    a_eq = np.full(2, a.mean())
    W_eq = sim.two_layer_symmetric(t, a_eq, U0, convention="paper")
    assert _bump(sim.ood_loss(W_eq, mu)) <= 1e-10


def test_rank_deficient_start_never_learns_every_concept():
    a = np.array([1.0, 0.5])
    U0 = np.array([[0.1], [0.1]])                    # rank 1
    W = sim.two_layer_symmetric([50.0], a, U0)[0]
    assert np.linalg.matrix_rank(W, tol=1e-8) == 1
    assert sim.train_loss(W, a) > 0.1


def test_one_layer_closed_form_and_learning_time():
    a = np.array([2.0, 0.5])
    t = sim.one_layer_learning_time(a, 0.9)
    assert_close(t, np.log(10) / a)
    out = sim.one_layer_output(t, a, np.array([1.0, 3.0]))
    assert_close(np.diag(out / np.array([1.0, 3.0])), [0.9, 0.9])
    W0 = np.array([[0.1, 0.2], [0.0, -0.1]])
    Wt = sim.one_layer_weights([0.0, 1e3], a, W0)
    assert_close(Wt[0], W0)
    assert_close(Wt[1], np.eye(2), scale=1.0)


def test_rates_a2_squares_the_rates():
    a = np.array([0.5, 1.5])
    W = np.array([[0.3, 0.1], [0.1, 0.2]])
    assert_close(sim.vector_field(W, a, rates="A2"), sim.vector_field(W, a**2))


def test_recurrence_converges_to_the_paper_clock_ode():
    a = np.array([1.2, 0.4, 0.0])
    U0 = np.random.default_rng(0).uniform(0, 1, (3, 3)) / 5
    t, W = sim.two_layer_recurrence(a, U0, eta=1e-3, steps=3000, rates="A", record_every=500)
    W_ode = sim.two_layer_symmetric(t, a, U0, convention="paper")
    assert np.abs(W - W_ode).max() < 5e-3                # Euler: O(eta) error


def test_trained_symmetric_network_follows_the_gradient_flow_clock():
    """GD on 1/(2P) sum ||y - U U^T x||^2 with X^T X / P = A is the 'gradient_flow' convention, t = lr * step."""
    a = np.array([1.5, 0.5, 0.2])
    U0 = np.random.default_rng(3).uniform(0, 1, (3, 3)) / 5
    net = SymmetricLinear(3, seeds=[0], U0=U0, dtype="float64", device="cpu")
    X = np.sqrt(3) * np.diag(np.sqrt(a))
    traj = train(net, X, X, TrainConfig(lr=1e-3, t_record=np.linspace(0, 4, 9)),
                 observables={"W": lambda m: m.weight()})
    W = sim.two_layer_symmetric(traj.t, a, U0, convention="gradient_flow")
    assert np.abs(traj["W"][:, 0] - W).max() < 5e-3


def test_deep_linear_concepts_reduce_to_saxe_at_depth_2():
    from theorylab.solvers.deep_linear import saxe_mode

    a = np.array([1.3, 0.4])
    t = np.linspace(0, 10, 50)
    u = sim.deep_linear_concepts(t, a, 1e-2, 2)
    for k in range(2):
        assert_close(u[:, k], saxe_mode(t, a[k], 1e-2, lam=a[k]), level="ode")


@pytest.mark.parametrize("call, param", [
    (lambda: sim.one_layer_learning_time([1.0, -1.0]), "a"),
    (lambda: sim.one_layer_learning_time([1.0], 1.0), "frac"),
    (lambda: sim.two_layer_symmetric([1.0], [1.0, 1.0], np.ones((3, 2))), "U0"),
    (lambda: sim.two_layer_symmetric([1.0], [1.0], np.ones((1, 1)), convention="fast"), "convention"),
    (lambda: sim.vector_field(np.eye(2), [1.0, 1.0], rates="A3"), "rates"),
    (lambda: sim.deep_linear_concepts([1.0], [1.0], 1.5, 3), "u0"),
])
def test_bad_arguments(call, param):
    with pytest.raises(ValueError, match=param):
        call()
