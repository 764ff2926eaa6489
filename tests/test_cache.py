import numpy as np

from theorylab import Cache, Trajectory, config_hash


def test_hash_is_order_independent_and_sensitive():
    assert config_hash({"a": 1, "b": (1, 2)}) == config_hash({"b": [1, 2], "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_get_or_compute_computes_once(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return Trajectory([0.0, 1.0], {"x": np.array([1.0, 2.0])}, {"k": "v"})

    cache = Cache(tmp_path)
    a = cache.get_or_compute({"fig": "x", "n": 3}, compute)
    b = cache.get_or_compute({"n": 3, "fig": "x"}, compute)
    assert len(calls) == 1 and cache.hits == 1 and cache.misses == 1
    np.testing.assert_array_equal(a["x"], b["x"])
    Cache(None).get_or_compute({"n": 3}, compute)
    assert len(calls) == 2


def test_run_key_refuses_a_run_value_that_shadows_a_setting():
    import pytest

    from theorylab.cache import run_key

    p = {"eps": 0.1, "alphas": (1, 2)}
    a, b = run_key("fig", 1, p, run_eps=0.05), run_key("fig", 1, p, run_eps=0.2)
    assert config_hash(a) != config_hash(b)
    with pytest.raises(ValueError, match="eps"):
        run_key("fig", 1, p, eps=0.05)      # would have silently collided with the setting


def test_a_list_of_trajectories_is_cached_as_one_entry(tmp_path):
    import pytest

    calls = []

    def compute():
        calls.append(1)
        return [Trajectory([0.0, 1.0], {"x": np.array([1.0, float(i)])}) for i in range(3)]

    cache = Cache(tmp_path)
    a = cache.get_or_compute({"sweep": 1}, compute)
    b = cache.get_or_compute({"sweep": 1}, compute)
    assert len(calls) == 1 and cache.hits == 1 and len(b) == 3
    for ra, rb in zip(a, b):
        np.testing.assert_array_equal(ra["x"], rb["x"])
    with pytest.raises(TypeError, match="Trajectory"):
        cache.get_or_compute({"sweep": 2}, lambda: {"not": "a trajectory"})
