import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from theorylab.nets import init_weights
from theorylab.solvers.deep_linear import riccati_network_function, riccati_qqt
from theorylab.testing import ODE_ATOL, ODE_RTOL, assert_close


def _problem(seed, n_i, n_o, n_h, scale=1.0):
    g = np.random.default_rng(seed)
    S = g.normal(size=(n_o, n_i))
    W1, W2 = init_weights([n_i, n_h, n_o], "balanced", g, scale=scale)
    return S, W1, W2


def _flow(S, W1, W2, t):
    n_h, n_i = W1.shape

    def rhs(_, y):
        a = y[: W1.size].reshape(W1.shape)
        b = y[W1.size:].reshape(W2.shape)
        E = S - b @ a
        return np.concatenate([(b.T @ E).ravel(), (E @ a.T).ravel()])

    sol = solve_ivp(rhs, (0, t[-1]), np.concatenate([W1.ravel(), W2.ravel()]), t_eval=t,
                    rtol=ODE_RTOL, atol=ODE_ATOL, method="DOP853")
    A = sol.y[: W1.size].T.reshape(len(t), *W1.shape)
    B = sol.y[W1.size:].T.reshape(len(t), *W2.shape)
    return A, B


dims = st.tuples(st.integers(2, 5), st.integers(2, 5), st.integers(1, 3))


@given(st.integers(0, 10_000), dims)
def test_riccati_matches_gradient_flow(seed, d):
    n_i, n_o, n_h = d
    n_h = min(n_h, n_o, n_i)
    S, W1, W2 = _problem(seed, n_i, n_o, n_h)
    t = np.linspace(0, 3.0, 7)
    A, B = _flow(S, W1, W2, t)
    assert_close(riccati_network_function(t, S, W1, W2), B @ A, level="ode", scale=np.linalg.norm(S))


@given(st.integers(0, 10_000), dims)
def test_riccati_solution_stays_zero_balanced(seed, d):
    """W1 W1^T = W2^T W2 at all t: the blocks W1^T W1 and W2 W2^T share their nonzero spectrum."""
    n_i, n_o, n_h = d
    n_h = min(n_h, n_o, n_i)
    S, W1, W2 = _problem(seed, n_i, n_o, n_h)
    P = riccati_qqt(np.array([0.0, 0.5, 2.0, 20.0]), S, W1, W2)
    for Pt in P:
        top = np.sort(np.linalg.eigvalsh(Pt[:n_i, :n_i]))[-n_h:]
        bottom = np.sort(np.linalg.eigvalsh(Pt[n_i:, n_i:]))[-n_h:]
        assert_close(top, bottom, level="ode", scale=max(1.0, top.max()))


@given(st.integers(0, 10_000), dims)
def test_gradient_flow_conserves_imbalance_for_any_init(seed, d):
    n_i, n_o, n_h = d
    g = np.random.default_rng(seed)
    S = g.normal(size=(n_o, n_i))
    W1 = g.normal(size=(n_h, n_i))
    W2 = g.normal(size=(n_o, n_h))
    A, B = _flow(S, W1, W2, np.array([0.0, 1.0, 2.0]))
    Q = np.einsum("tij,tkj->tik", A, A) - np.einsum("tji,tjk->tik", B, B)
    assert_close(Q[1:], np.broadcast_to(Q[0], Q[1:].shape), level="ode", scale=np.abs(Q[0]).max() + 1)


@given(st.integers(0, 10_000), st.integers(1, 3))
def test_riccati_tends_to_best_rank_k_approximation(seed, k):
    g = np.random.default_rng(seed)
    n_i, n_o = 5, 4
    U, _ = np.linalg.qr(g.normal(size=(n_o, n_o)))
    V, _ = np.linalg.qr(g.normal(size=(n_i, n_i)))
    s = np.sort(g.uniform(0.5, 3.0, size=n_o))[::-1]
    s[1:] = np.minimum(s[1:], s[:-1] - 0.2)                 # a spectral gap for every k
    s = np.clip(s, 0.05, None)
    S = (U * s) @ V[:, :n_o].T
    W1, W2 = init_weights([n_i, k, n_o], "balanced", g, scale=0.5)
    best = (U[:, :k] * s[:k]) @ V[:, :k].T
    gap = s[k - 1] - (s[k] if k < n_o else 0.0)
    W = riccati_network_function([60.0 / gap], S, W1, W2)[0]
    assert_close(W, best, level="ode", scale=np.linalg.norm(S))


def test_riccati_large_time_keeps_weak_modes():
    """The chunked evaluation must not lose a weak mode behind a strong one at large t."""
    S = np.diag([5.0, 0.3])
    g = np.random.default_rng(0)
    W1, W2 = init_weights([2, 2, 2], "balanced", g, scale=0.3)
    W = riccati_network_function([200.0, 2000.0], S, W1, W2)
    assert_close(W, np.broadcast_to(S, W.shape), level="ode", scale=5.0)


def test_riccati_rejects_unbalanced_and_misshaped_inits():
    S = np.eye(3)
    g = np.random.default_rng(1)
    with pytest.raises(ValueError, match="zero-balanced"):
        riccati_qqt([0.0, 1.0], S, g.normal(size=(2, 3)), g.normal(size=(3, 2)))
    W1, W2 = init_weights([3, 2, 3], "balanced", g)
    with pytest.raises(ValueError, match="W1_0"):
        riccati_qqt([1.0], S, W1[:, :2], W2)
    with pytest.raises(ValueError, match="W2_0"):
        riccati_qqt([1.0], S, W1, W2[:2])
    with pytest.raises(ValueError, match="t"):
        riccati_qqt([-1.0], S, W1, W2)
