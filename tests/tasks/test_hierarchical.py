import numpy as np
import pytest
from hypothesis import given

from theorylab.tasks import TreeConfig, make_tree_task, tree_singular_values
from theorylab.testing import assert_close
from theorylab.testing.strategies import tree_configs


@given(tree_configs())
def test_singular_values_match_the_closed_form(config):
    task = make_tree_task(config)
    sv = np.linalg.svd(task.sigma_yx, compute_uv=False)[: config.n_items]
    assert_close(sv, tree_singular_values(config), scale=sv.max())


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_binary_tree_singular_values_are_sqrt_2m_minus_1_over_P(depth):
    task = make_tree_task(TreeConfig(depth=depth, branching=2))
    P = task.config.n_items
    sv = np.linalg.svd(task.sigma_yx, compute_uv=False)[:P]
    distinct = np.unique(np.round(sv * P, 10) ** 2)
    assert_close(np.sort(distinct), 2.0 ** np.arange(1, depth + 2) - 1)


def test_modes_ordered_broad_to_fine_and_stats():
    task = make_tree_task(TreeConfig(3, 2))
    U, s, Vt, lv = task.modes()
    assert lv[0] == 0 and np.all(np.diff(lv) >= 0)
    assert_close(task.sigma_xx, np.eye(8) / 8)
    smp = task.all_items()
    assert_close(smp.sigma_yx, task.sigma_yx)
    assert_close(smp.sigma_xx, task.sigma_xx)
    noisy = make_tree_task(TreeConfig(2, 2, noise_std=0.3)).sample(50, rng=0)
    assert noisy.x.shape == (50, 4) and noisy.y.shape == (50, 7)


@pytest.mark.parametrize("kwargs, param", [(dict(depth=0), "depth"), (dict(branching=1), "branching"),
                                           (dict(noise_std=-1.0), "noise_std")])
def test_bad_config(kwargs, param):
    with pytest.raises(ValueError, match=param):
        TreeConfig(**kwargs)
