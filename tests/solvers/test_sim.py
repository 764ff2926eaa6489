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


@pytest.mark.parametrize("space", ["U", "W"])
def test_recurrence_converges_to_the_paper_clock_ode(space):
    a = np.array([1.2, 0.4, 0.0])
    U0 = np.random.default_rng(0).uniform(0, 1, (3, 3)) / 5
    errs = []
    for eta, steps in ((2e-3, 1500), (1e-3, 3000)):
        t, W = sim.two_layer_recurrence(a, U0, eta=eta, steps=steps, rates="A", space=space, dtype="float64",
                                        record_every=steps // 6)
        errs.append(np.abs(W - sim.two_layer_symmetric(t, a, U0, convention="paper")).max())
    assert errs[1] < 5e-3                                   # Euler: O(eta) error
    assert 1.8 < errs[0] / errs[1] < 2.2                    # first order: halving eta halves it


def test_default_recurrence_is_the_authors_w_space_step_in_float32():
    """W <- W + eta [W A^2 + A^2 W - W A^2 W - (A^2 W^2 + W^2 A^2)/2] in single precision, from W0 = U0 U0^T."""
    mu = np.array([1.0, 1.7, 2.25])
    a = mu**2 / 3 + np.array([0.5, 0.25, 0.25]) ** 2
    U0 = np.random.default_rng(1).uniform(0, 1, (3, 3)) / 10
    t, W = sim.two_layer_recurrence(a, U0, eta=0.01, steps=400, record_every=100)
    A2 = np.diag(a**2).astype(np.float32)
    Wr = (U0 @ U0.T).astype(np.float32)
    want = [Wr]
    for n in range(1, 401):
        Wr = Wr + np.float32(0.01) * (Wr @ A2 + A2 @ Wr - Wr @ A2 @ Wr - (A2 @ Wr @ Wr + Wr @ Wr @ A2) / 2)
        if n % 100 == 0:
            want.append(Wr)
    np.testing.assert_allclose(t, 0.01 * np.arange(0, 401, 100))
    np.testing.assert_allclose(W, np.array(want, dtype=float), rtol=2e-5, atol=1e-7)   # float32 round-off


def test_w_space_steps_can_leave_the_psd_cone_where_u_space_steps_cannot():
    """The authors' Fig. 10 (mu = (0.7, 1.7, 3), U0 = rand/10, eta = 0.01): their W-space recurrence acquires a
    negative eigenvalue; the same Euler steps in U-space keep W = U U^T PSD.  A diverging run ends in NaN."""
    import torch

    mu = np.array([0.7, 1.7, 3.0])
    a = mu**2 / 3 + 0.05**2
    U0 = (torch.rand(3, 3, generator=torch.Generator().manual_seed(233333)) / 10).double().numpy()
    _, W = sim.two_layer_recurrence(a, U0, eta=0.01, steps=10000, record_every=100)
    assert np.linalg.eigvalsh(W).min() < -1e-3
    _, Wu = sim.two_layer_recurrence(a, U0, eta=0.01, steps=10000, space="U", record_every=100)
    assert np.linalg.eigvalsh(Wu).min() >= -1e-6
    _, Wd = sim.two_layer_recurrence(np.array([40.0, 0.1]), np.array([[0.3, 0.0], [0.0, 0.1]]), eta=0.1, steps=50)
    assert np.isnan(Wd[-1]).all() and np.isfinite(Wd[0]).all()


# ------------------------------------------------------------------ one layer with a bias
def _affine_case(seed=1):
    g = np.random.default_rng(seed)
    a = np.array([0.6, 1.4, 0.3])
    m = np.array([0.3, 0.5, 0.0])
    return a, m, 0.2 * g.normal(size=(3, 3)), 0.2 * g.normal(size=3)


def test_affine_closed_form_solves_the_gradient_flow_with_a_bias():
    """[W b](t) = [I 0] + ([W0 b0] - [I 0]) exp(-A~ t), A~ = [[A, m], [m^T, 1]], against an ODE solve of
    d[W b]/dt = -E[(W z + b - z) (z, 1)^T]."""
    from scipy.integrate import solve_ivp

    a, m, W0, b0 = _affine_case()
    d = a.size
    t = np.linspace(0, 10, 21)
    W, b = sim.one_layer_affine(t, a, m, W0, b0)
    At = sim.augmented_moment(a, m)
    assert_close(At, [[0.6, 0, 0, 0.3], [0, 1.4, 0, 0.5], [0, 0, 0.3, 0], [0.3, 0.5, 0, 1]])

    def rhs(_, y):
        Wt = y.reshape(d, d + 1)
        return (-(Wt - np.eye(d, d + 1)) @ At).ravel()

    sol = solve_ivp(rhs, (0, 10), np.c_[W0, b0].ravel(), t_eval=t, rtol=1e-12, atol=1e-14, method="DOP853")
    Y = sol.y.T.reshape(-1, d, d + 1)
    assert_close(W, Y[..., :d], level="ode", scale=1.0)
    assert_close(b, Y[..., d], level="ode", scale=1.0)
    # outputs at probes, one init or a batch of inits, without forming W(t)
    z = np.array([[1.0, 2.0, 0.0], [0.5, 0.0, 1.0]])
    out = sim.one_layer_affine_output(t, a, m, z, W0, b0)
    assert out.shape == (21, 2, 3)
    assert_close(out, np.einsum("tij,kj->tki", W, z) + b[:, None, :])
    batch = sim.one_layer_affine_output(t, a, m, z, np.stack([W0, 2 * W0]), np.stack([b0, -b0]))
    W2, b2 = sim.one_layer_affine(t, a, m, 2 * W0, -b0)
    assert batch.shape == (21, 2, 2, 3)
    assert_close(batch[:, 1], np.einsum("tij,kj->tki", W2, z) + b2[:, None, :])
    # no mean: the bias decouples and the weights follow the bias-free closed form
    assert_close(sim.one_layer_affine(t, a, np.zeros(3), W0)[0], sim.one_layer_weights(t, a, W0))


def test_trained_network_with_biases_follows_the_affine_closed_form():
    """GD on 1/(2P) sum ||z - W z - b||^2 over a finite sample = Euler steps of the affine flow with the sample's
    own A~ (diagonal in the sample's eigenbasis): error O(lr), halving with lr."""
    from theorylab.nets import MLP

    g = np.random.default_rng(0)
    X = g.normal(size=(300, 3)) * [0.7, 0.3, 0.5] + [1.0, -0.5, 0.3]
    _, V = np.linalg.eigh(X.T @ X / 300)
    Z = X @ V                                                   # second moment diagonal, mean non-zero
    a, m = np.diag(Z.T @ Z / 300), Z.mean(0)
    errs = []
    for lr in (2e-3, 1e-3):
        net = MLP([3, 3], seeds=[0], activation="linear", bias=True, init="torch", dtype="float64", device="cpu")
        traj = train(net, Z, Z, TrainConfig(lr=lr, t_record=np.linspace(0, 6, 13)),
                     observables={"W": lambda n: n.weights[0].detach().clone(),
                                  "b": lambda n: n.biases[0].detach().clone()})
        W, b = sim.one_layer_affine(traj.t, a, m, traj["W"][0, 0], traj["b"][0, 0])
        errs.append(max(np.abs(traj["W"][:, 0] - W).max(), np.abs(traj["b"][:, 0] - b).max()))
    assert errs[1] < 0.5 * 1e-3                                 # measured 0.32 lr
    assert 1.8 < errs[0] / errs[1] < 2.2


def test_bias_learning_time_and_the_diversity_reversal():
    """With the origin cluster (C = 3), a_k = mu_k^2/3 + var_k and m = mu/3: the bias about doubles the weak concept's
    time to 90% at the paper's Fig. 2 setting, and the order still flips exactly at a_1 = a_2 (sigma_1^2 = 1.05),
    because m is parallel to x_hat."""
    mu = np.array([1.0, 2.0])
    a, m = mu**2 / 3 + 0.05, mu / 3
    t_bias = sim.one_layer_affine_learning_time(a, m, mu)
    out = sim.one_layer_affine_output(t_bias, a, m, mu)
    assert_close(np.diag(out) / mu, [0.9, 0.9], level="ode", scale=1.0)
    assert 1.9 < t_bias[0] / sim.one_layer_learning_time(a)[0] < 2.2
    for v, sign in ((1.0, 1), (1.1, -1)):
        a = mu**2 / 3 + np.array([v, 0.05])
        t = sim.one_layer_affine_learning_time(a, m, mu)
        assert np.sign(t[0] - t[1]) == sign
    a = np.full(2, 4 / 3 + 0.05)
    t = sim.one_layer_affine_learning_time(a, m, mu)
    assert abs(t[0] - t[1]) < 1e-9 * t[0]


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
    (lambda: sim.augmented_moment([1.0, 1.0], [0.5]), "mean"),
    (lambda: sim.one_layer_affine([1.0], [1.0, 1.0], [0.1, 0.1], np.eye(3)), "W0"),
    (lambda: sim.one_layer_affine_output([1.0], [1.0, 1.0], [0.1, 0.1], [1.0, 2.0, 3.0]), "z"),
    (lambda: sim.one_layer_affine_learning_time([1.0, 1.0], [0.1, 0.1], [1.0, 1.0], frac=1.5), "frac"),
    (lambda: sim.two_layer_recurrence([1.0], np.ones((1, 1)), eta=0.1, steps=2, space="V"), "space"),
    (lambda: sim.two_layer_recurrence([1.0], np.ones((1, 1)), eta=0.1, steps=2, dtype="float16"), "dtype"),
])
def test_bad_arguments(call, param):
    with pytest.raises(ValueError, match=param):
        call()
