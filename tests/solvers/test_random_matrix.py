import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate

from theorylab.solvers.random_matrix import advani_saxe_errors, mp_density, mp_edges, mp_quadrature
from theorylab.testing import assert_close, mc_tolerance
from theorylab.testing.strategies import mp_alpha


@given(mp_alpha())
def test_mp_density_mass_and_mean(alpha):
    lo, hi = mp_edges(alpha)
    mass, _ = integrate.quad(lambda x: mp_density(x, alpha), lo, hi, epsabs=1e-13, limit=200)
    assert_close(mass, min(1.0, alpha), level="quad")
    lam, w = mp_quadrature(alpha)
    assert_close(w.sum(), min(1.0, alpha), level="quad")
    # E[lam] over the whole spectrum (the atom at 0 adds nothing) = tr(X^T X)/N = alpha
    assert_close(w @ lam, alpha, level="quad")


@given(mp_alpha(), st.floats(0, 2), st.floats(0, 2), st.floats(0, 2))
def test_initial_errors(alpha, noise, teacher, init):
    tr, te = advani_saxe_errors([0.0], alpha, noise_var=noise, teacher_var=teacher, init_var=init)
    total = noise + teacher + init
    assert_close(te[0], total, level="quad", scale=max(total, 1.0))
    assert_close(tr[0], total, level="quad", scale=max(total, 1.0))


@given(mp_alpha(), st.floats(0.01, 2), st.floats(0, 2), st.floats(0, 2))
def test_asymptotic_errors(alpha, noise, teacher, init):
    tr, te = advani_saxe_errors([np.inf], alpha, noise_var=noise, teacher_var=teacher, init_var=init)
    if alpha > 1:
        assert_close(te[0], noise * alpha / (alpha - 1), level="quad")
        assert_close(tr[0], noise * (1 - 1 / alpha), level="quad")
    else:
        assert_close(te[0], noise / (1 - alpha) + (1 - alpha) * (teacher + init), level="quad")
        assert_close(tr[0], 0.0, level="quad", scale=1.0)


def test_alpha_one_test_error_diverges():
    tr, te = advani_saxe_errors([1.0, 1e3, np.inf], 1.0, noise_var=0.5)
    assert np.isinf(te[-1]) and te[1] > te[0]


def test_overtraining_with_noise_none_without():
    t = np.geomspace(1e-2, 1e3, 200)
    _, noisy = advani_saxe_errors(t, 1.2, noise_var=0.5)
    assert noisy.argmin() < len(t) - 1 and noisy[-1] > noisy.min() * 1.05
    _, clean = advani_saxe_errors(t, 1.2, noise_var=0.0)
    assert np.all(np.diff(clean) <= 1e-12)


def _simulate(alpha, N, seeds, t, noise_var, teacher_var):
    """Exact gradient flow of the summed loss per draw, via the eigenbasis of X^T X."""
    P = int(alpha * N)
    out = []
    for seed in range(seeds):
        g = np.random.default_rng(seed)
        X = g.normal(size=(P, N)) / np.sqrt(N)
        wbar = np.sqrt(teacher_var) * g.normal(size=N)
        y = X @ wbar + np.sqrt(noise_var) * g.normal(size=P)
        lam, V = np.linalg.eigh(X.T @ X)
        b = V.T @ (X.T @ y)
        rows = []
        for tt in t:
            gain = np.where(lam > 1e-10, -np.expm1(-lam * tt) / np.where(lam > 1e-10, lam, 1), tt)
            w = V @ (b * gain)
            rows.append([np.mean((y - X @ w) ** 2), np.sum((w - wbar) ** 2) / N + noise_var])
        out.append(rows)
    return np.array(out)  # (seeds, T, 2)


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_theory_matches_simulation_within_monte_carlo_error(alpha):
    """The normalisation (x ~ N(0, 1/N), summed loss, errors without 1/2) against direct simulation."""
    t = np.array([0.3, 1.0, 3.0])
    sim = _simulate(alpha, 300, 12, t, 0.25, 1.0)
    tr, te = advani_saxe_errors(t, alpha, noise_var=0.25, teacher_var=1.0)
    mean, std = sim.mean(0), sim.std(0, ddof=1)
    for j, theory in enumerate((tr, te)):
        # finite-N bias is O(1/N); add it to the sampling tolerance
        tol = np.array([mc_tolerance(std[k, j], sim.shape[0]) for k in range(len(t))]) + 2.0 / 300
        assert np.all(np.abs(mean[:, j] - theory) <= tol), (j, mean[:, j], theory, tol)


@pytest.mark.parametrize("kwargs, param", [
    (dict(alpha=0.0), "alpha"), (dict(alpha=-1.0), "alpha"), (dict(alpha=1.0, noise_var=-0.1), "noise_var"),
    (dict(alpha=1.0, teacher_var=-1.0), "teacher_var"), (dict(alpha=1.0, init_var=-1e-3), "init_var"),
])
def test_bad_parameters(kwargs, param):
    with pytest.raises(ValueError, match=param):
        advani_saxe_errors([0.0, 1.0], **kwargs)
