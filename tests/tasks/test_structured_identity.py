import numpy as np
import pytest
from hypothesis import given

from theorylab.tasks import SIMConfig, concept_mean, concept_rates, make_sim
from theorylab.testing import assert_close, mc_tolerance
from theorylab.testing.strategies import sim_configs


@given(sim_configs())
def test_structure_of_every_variant(cfg):
    task = make_sim(cfg, rng=0)
    d, s = cfg.d, cfg.n_concepts
    assert_close(task.Q.T @ task.Q, np.eye(d), scale=1.0)
    assert_close(task.to_concepts(task.ood_probe), np.asarray(cfg.signal))
    codes, xs = task.compositions()
    assert codes.shape == (2**s, s) and xs.shape == (2**s, d)
    assert_close(task.to_concepts(xs), codes * np.asarray(cfg.signal), scale=1.0)
    A = task.second_moment
    assert_close(task.Q.T @ A @ task.Q, np.diag(task.full_rates), scale=max(1.0, A.max()))
    smp = task.sample(rng=1)
    assert len(smp) == cfg.n_per_cluster * cfg.n_clusters
    np.testing.assert_array_equal(smp.x, smp.y)


def test_rates_formula_and_empirical_second_moment():
    cfg = SIMConfig((1.0, 2.0), noise_var=(0.05, 0.5), n_per_cluster=20_000, origin_cluster=True, dim=4,
                    rotate=True, complement_noise_std=0.1)
    assert_close(concept_rates(cfg), np.array([1.0, 4.0]) / 3 + np.array([0.05, 0.5]))
    task = make_sim(cfg, rng=0)
    smp = task.sample(rng=1)
    n = len(smp)
    # entries of x x^T: variance at most ~ 2 (max second moment)^2
    tol = mc_tolerance(np.sqrt(2) * 2.0, n)
    assert np.all(np.abs(smp.sigma_xx - task.second_moment) <= tol)


def test_data_mean_counts_the_origin_cluster():
    """m = E[z] = mu / C on the concept axes (what a network with biases sees), padding axes 0."""
    cfg = SIMConfig((1.0, 2.0), noise_var=0.1, n_per_cluster=20_000, origin_cluster=True, dim=4, rotate=True)
    assert_close(concept_mean(cfg), [1 / 3, 2 / 3])
    assert_close(concept_mean(SIMConfig((1.0, 2.0), noise_var=0.1)), [0.5, 1.0])
    task = make_sim(cfg, rng=0)
    assert_close(task.full_mean, [1 / 3, 2 / 3, 0.0, 0.0])
    x = task.sample(rng=1).x
    tol = mc_tolerance(2.0, len(x))                      # per-coordinate std <= sqrt(max second moment) < 2
    assert np.all(np.abs(task.to_concepts(x.mean(0)) - concept_mean(cfg)) <= tol)


def test_noise_std_and_var_agree():
    a = SIMConfig((1.0, 2.0), noise_std=0.3)
    b = SIMConfig((1.0, 2.0), noise_var=0.09)
    assert_close(concept_rates(a), concept_rates(b))


def test_same_seed_same_data():
    cfg = SIMConfig((1.0, 2.0), noise_std=0.2, n_per_cluster=5, dim=6, rotate=True)
    x1 = make_sim(cfg, rng=3).sample(rng=4).x
    x2 = make_sim(cfg, rng=3).sample(rng=4).x
    np.testing.assert_array_equal(x1, x2)
    assert not np.array_equal(x1, make_sim(cfg, rng=3).sample(rng=5).x)


@pytest.mark.parametrize("kwargs, param", [
    (dict(signal=(1.0, 0.0), noise_std=0.1), "signal"),
    (dict(signal=(1.0, -2.0), noise_std=0.1), "signal"),
    (dict(signal=(1.0, 2.0), noise_std=-0.1), "noise_std"),
    (dict(signal=(1.0, 2.0), noise_var=(0.1, -0.1)), "noise_var"),
    (dict(signal=(1.0, 2.0), noise_std=0.1, noise_var=0.01), "exactly one"),
    (dict(signal=(1.0, 2.0)), "exactly one"),
    (dict(signal=(1.0, 2.0, 3.0), noise_std=0.1, dim=2), "dim"),
    (dict(signal=(1.0, 2.0), noise_std=(0.1, 0.1, 0.1)), "noise_std"),
    (dict(signal=(1.0, 2.0), noise_std=0.1, n_per_cluster=0), "n_per_cluster"),
    (dict(signal=(1.0, 2.0), noise_std=0.1, complement_noise_std=0.1), "complement_noise_std"),
])
def test_bad_config(kwargs, param):
    with pytest.raises(ValueError, match=param):
        SIMConfig(**kwargs)


def test_rotation_needs_an_rng():
    with pytest.raises(ValueError, match="rng"):
        make_sim(SIMConfig((1.0,), noise_std=0.1, dim=3, rotate=True))
