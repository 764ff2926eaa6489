import numpy as np
import pytest

from theorylab.nets import DeepLinear
from theorylab.solvers._ode import solve_at
from theorylab.solvers.coarse_linear import coarse_label_rates, coarse_label_separations
from theorylab.tasks.gaussian_mixture import MixtureConfig, make_mixture


def _population_flow(cfg, W1_0, W2_0, t):
    """Gradient flow of 1/2 E||y - W2 W1 x||^2 with the mixture's exact second moments."""
    mix = make_mixture(cfg, rng=0)
    Sxx = mix.covariance
    Syx = np.stack([mix.fine_means[c].mean(axis=0) for c in range(cfg.C)]) / cfg.C       # E[y x^T], one-hot y
    h, d = W1_0.shape

    def rhs(_, z):
        W1, W2 = z[: h * d].reshape(h, d), z[h * d:].reshape(cfg.C, h)
        E = Syx - W2 @ W1 @ Sxx
        return np.concatenate([(W2.T @ E).ravel(), (E @ W1.T).ravel()])

    z = solve_at(rhs, np.concatenate([W1_0.ravel(), W2_0.ravel()]), t, name="flow", rtol=1e-10, atol=1e-12)
    return z[:, : h * d].reshape(len(t), h, d), mix


def test_closed_form_matches_the_population_gradient_flow():
    cfg = MixtureConfig(C=3, S=3, d=12, coarse_sep=3.0, fine_offset=1.5, noise=0.3, n=1, offsets="simplex")
    h, a0, eps = 10, 1e-3, 0.02
    net = DeepLinear([12, h, 3], seeds=[0], init="decoupled", U=np.eye(3), V=np.eye(12)[:, :3], u0=a0,
                     dtype="float64", device="cpu")
    W1_0, W2_0 = (w.detach().numpy()[0].copy() for w in net.weights)
    W1_0[:, 3:9] += eps * np.random.default_rng(1).normal(size=(h, 6))
    t = np.linspace(0, 40, 21)
    W1, mix = _population_flow(cfg, W1_0, W2_0, t)
    th = coarse_label_separations(t, cfg, W1_0, W2_0.T / np.sqrt(a0), a0)
    mu = mix.fine_means
    coarse = [np.mean([np.linalg.norm(W @ (mu[i].mean(0) - mu[j].mean(0))) for i in range(3) for j in range(i + 1, 3)])
              for W in W1]
    fine = [np.mean([np.linalg.norm(W @ (mu[c, i] - mu[c, j])) for c in range(3) for i in range(3)
                     for j in range(i + 1, 3)]) for W in W1]
    # neglected: O(eps^2) back-reaction of the fine block on W2
    assert np.max(np.abs(np.array(coarse) / th["coarse"] - 1)) < 0.01
    assert np.max(np.abs(np.array(fine) / th["fine"] - 1)) < 0.01
    assert th["decay"][-1] < 1e-3 and th["fine"][-1] > 0.3 * th["fine"][0]   # inside decays, outside stays
    r = coarse_label_rates(cfg)
    assert th["a"][-1] == pytest.approx(r["s"] / r["lambda_c"], rel=1e-6)


def test_closed_form_needs_co_diagonal_statistics():
    with pytest.raises(ValueError, match="simplex"):
        coarse_label_rates(MixtureConfig(C=3, S=3, d=12))
    with pytest.raises(ValueError, match="S must be >= 2"):
        MixtureConfig(C=3, S=1, d=12, offsets="simplex")
