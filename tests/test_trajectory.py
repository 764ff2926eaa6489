import numpy as np
import pytest

from theorylab import Trajectory
from theorylab.testing import assert_close


def _ens(rng, T=11, E=5):
    t = np.linspace(0, 2, T)
    return Trajectory(t, {"a": rng.normal(size=(T, E)), "v": rng.normal(size=(T, E, 3))},
                      {"time": "t = lr * step", "config": {"lr": 0.1, "inf": np.inf}}, n_seeds=E)


def test_save_load_roundtrip(tmp_path, rng):
    tr = _ens(rng)
    tr.save(tmp_path / "run")
    back = Trajectory.load(tmp_path / "run")
    assert back.n_seeds == tr.n_seeds and back.names == tr.names
    assert_close(back.t, tr.t)
    for k in tr.names:
        np.testing.assert_array_equal(back[k], tr[k])
    assert back.meta["time"] == "t = lr * step"
    assert back.meta["config"]["lr"] == 0.1


def test_interp_is_exact_for_linear_observables():
    t = np.array([0.0, 1.0, 3.0])
    tr = Trajectory(t, {"x": 2 * t + 1, "m": np.stack([t, -t], 1)})
    t_new = np.array([0.5, 2.0, 3.0])
    out = tr.interp(t_new)
    assert_close(out["x"], 2 * t_new + 1)
    assert_close(out["m"], np.stack([t_new, -t_new], 1))


def test_interp_refuses_extrapolation():
    tr = Trajectory([0.0, 1.0], {"x": [0.0, 1.0]})
    with pytest.raises(ValueError, match="t_new"):
        tr.interp([0.5, 1.5])


def test_ensemble_statistics(rng):
    tr = _ens(rng)
    assert_close(tr.mean()["v"], tr["v"].mean(axis=1))
    assert_close(tr.quantile(0.5)["a"], np.median(tr["a"], axis=1))
    assert_close(tr.sem()["a"], tr["a"].std(axis=1, ddof=1) / np.sqrt(5))
    assert_close(tr.member(2)["v"], tr["v"][:, 2])
    with pytest.raises(ValueError, match="q"):
        tr.quantile(1.5)


def test_validation():
    with pytest.raises(ValueError, match="time points"):
        Trajectory([0, 1, 2], {"x": [1, 2]})
    with pytest.raises(ValueError, match="non-decreasing"):
        Trajectory([0, 2, 1], {"x": [1, 2, 3]})
    with pytest.raises(ValueError, match="seeds"):
        Trajectory([0, 1], {"x": np.zeros((2, 3))}, n_seeds=4)
    with pytest.raises(ValueError, match="no seed axis"):
        Trajectory([0, 1], {"x": [1, 2]}).mean()
    with pytest.raises(KeyError, match="no observable"):
        Trajectory([0, 1], {"x": [1, 2]})["y"]


def test_plot_draws_one_line_per_component(rng):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = _ens(rng).plot()                       # "a" (scalar) + "v" (3 components), seed means
    assert len(ax.lines) == 4 and len(ax.collections) == 4   # one quantile band each
    ax2 = Trajectory([0, 1, 2], {"x": np.zeros((3, 2))}).plot("x")
    assert len(ax2.lines) == 2
    plt.close("all")


def test_static_results_travel_with_the_trajectory_through_every_copy_and_the_cache(tmp_path):
    from theorylab import Cache
    from theorylab.clock import Clock

    spec = np.array([3.0, 2.0, 1.0])
    tr = Trajectory([0.0, 1.0, 2.0], {"x": np.ones((3, 2))}, n_seeds=2, clock=Clock.gradient_flow(),
                    static={"spectrum": spec})
    for copy in (tr.mean(), tr.member(1), tr.select(["x"]), tr.interp([0.5, 1.5]), tr.with_obs(y=np.zeros((3, 2))),
                 tr.on_clock(Clock.steps(0.1)), Trajectory.load(tr.save(tmp_path / "t"))):
        np.testing.assert_array_equal(copy.static["spectrum"], spec)
        assert isinstance(copy.static["spectrum"], np.ndarray)
    back = Cache(tmp_path / "c").get_or_compute({"k": 1}, lambda: tr)
    again = Cache(tmp_path / "c").get_or_compute({"k": 1}, lambda: tr)
    assert isinstance(again.static["spectrum"], np.ndarray) and again.static["spectrum"].dtype == spec.dtype
    np.testing.assert_array_equal(back.static["spectrum"], again.static["spectrum"])
