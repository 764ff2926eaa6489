import numpy as np
import pytest

from theorylab.collapse import (cdnv, fine_clustering_accuracy, fine_variance_ratio, linear_probe_accuracy, nc1, nc2,
                               nc3, nc4)
from theorylab.tasks.gaussian_mixture import MixtureConfig, make_mixture
from theorylab.testing import assert_close


def _etf(C, p=None, scale=3.0, shift=1.0):
    M = np.eye(C) - 1.0 / C                                   # simplex ETF in R^C
    if p is not None:
        Q = np.linalg.qr(np.random.default_rng(0).normal(size=(p, C)))[0]
        M = M @ Q.T
    return scale * M + shift


@pytest.mark.parametrize("C", [2, 3, 5, 10])
def test_exact_simplex_etf_with_no_spread(C):
    mu = _etf(C, p=C + 3)
    y = np.repeat(np.arange(C), 4)
    H = mu[y]
    assert nc1(H, y) == pytest.approx(0.0, abs=1e-20)
    r = nc2(H, y)
    assert_close(r["cosines"], np.full(C * (C - 1), -1.0 / (C - 1)), level="exact")
    assert r["etf_error"] < 1e-12 and r["equinorm"] < 1e-12
    Mt = mu - mu.mean(0)
    assert nc3(H, y, 2.5 * Mt) < 1e-24
    assert nc4(H, y, (H - mu.mean(0)) @ Mt.T) == 0.0          # argmax of <h - mu_G, mu~_c>: own class on an ETF
    assert nc4(H, y, -(H - mu.mean(0)) @ Mt.T) == 1.0


def test_metrics_are_invariant_to_label_permutation():
    mix = make_mixture(MixtureConfig(C=3, S=2, d=12, noise=0.8, n=30), rng=0)
    H, y, f = mix.x, mix.coarse, mix.fine
    perm = np.array([2, 0, 1])
    fperm = np.random.default_rng(1).permutation(6)
    assert nc1(H, perm[y]) == pytest.approx(nc1(H, y), rel=1e-12)
    assert nc2(H, perm[y])["etf_error"] == pytest.approx(nc2(H, y)["etf_error"], rel=1e-12)
    c1, c2 = cdnv(H, y), cdnv(H, perm[y])
    assert_close(c2[np.ix_(perm, perm)], c1, level="exact")
    assert fine_clustering_accuracy(H, perm[y], fperm[f]) == fine_clustering_accuracy(H, y, f)
    assert fine_variance_ratio(H, perm[y], fperm[f]) == pytest.approx(fine_variance_ratio(H, y, f), rel=1e-12)


def test_fine_clustering_is_one_when_separated_and_near_chance_on_noise():
    sep = make_mixture(MixtureConfig(C=3, S=4, d=20, fine_offset=3.0, noise=0.1, n=40), rng=0)
    assert fine_clustering_accuracy(sep.x, sep.coarse, sep.fine) == 1.0
    assert fine_variance_ratio(sep.x, sep.coarse, sep.fine) < 0.05
    noise = make_mixture(MixtureConfig(C=3, S=4, d=20, fine_offset=0.0, noise=1.0, n=200), rng=1)
    acc = fine_clustering_accuracy(noise.x, noise.coarse, noise.fine)
    # Hungarian matching of k clusters to k random labels: a little above 1/k by selection
    assert 0.25 <= acc < 0.35
    assert linear_probe_accuracy(sep.x, sep.fine, sep.x, sep.fine) == 1.0


def test_nc1_matches_its_definition_on_random_features():
    g = np.random.default_rng(2)
    H = g.normal(size=(60, 5)) + np.repeat(g.normal(size=(3, 5)) * 3, 20, axis=0)
    y = np.repeat(np.arange(3), 20)
    mu = np.stack([H[y == c].mean(0) for c in range(3)])
    Sw = sum(np.outer(h - mu[c], h - mu[c]) for h, c in zip(H, y)) / 60
    Mt = mu - mu.mean(0)
    Sb = Mt.T @ Mt / 3
    assert nc1(H, y) == pytest.approx(np.trace(Sw @ np.linalg.pinv(Sb)) / 3, rel=1e-9)
    var = np.array([np.mean(np.sum((H[y == c] - mu[c]) ** 2, 1)) for c in range(3)])
    assert cdnv(H, y)[0, 1] == pytest.approx((var[0] + var[1]) / (2 * np.sum((mu[0] - mu[1]) ** 2)))


def test_bad_input():
    H = np.zeros((6, 2))
    with pytest.raises(ValueError, match="same length"):
        nc1(H, np.arange(5))
    with pytest.raises(ValueError, match="every one of the 4 classes"):
        nc1(np.random.default_rng(0).normal(size=(6, 2)), np.array([0, 0, 1, 1, 2, 2]), n_classes=4)
    for kwargs, name in ((dict(S=0), "S"), (dict(C=1), "C"), (dict(n=0), "n"), (dict(d=3), "d")):
        with pytest.raises(ValueError, match=name):
            MixtureConfig(**(dict(C=3, S=2, d=12) | kwargs))
