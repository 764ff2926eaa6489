import numpy as np
import pytest

from theorylab import Agreement, Trajectory, band_coverage, crossing_time, learning_time_agreement, max_error


def test_crossing_time_interpolates_linearly():
    t = np.linspace(0, 10, 11)
    assert crossing_time(t, t / 10, 0.25) == pytest.approx(2.5)
    assert crossing_time(t, 1 - t / 10, 0.25, direction="down") == pytest.approx(7.5)
    assert np.isnan(crossing_time(t, t / 10, 2.0))
    assert crossing_time(t, t / 10 + 1, 0.5) == 0.0


def test_max_error_relative_and_floor():
    t = np.linspace(0, 1, 5)
    th = Trajectory(t, {"x": np.array([1.0, 1.0, 1.0, 1.0, 1e-6])})
    ex = Trajectory(t, {"x": np.array([1.02, 1.0, 0.99, 1.0, 2e-6])})
    a = max_error(th, ex, "x", threshold=0.05)
    assert a.value == pytest.approx(1.0)  # 1e-6 relative to 1e-6 theory
    b = max_error(th, ex, "x", threshold=0.05, floor=0.01)
    assert b.value == pytest.approx(0.02) and b.passed
    c = max_error(th, ex, "x", threshold=0.05, relative=False)
    assert c.value == pytest.approx(0.02)


def test_max_error_uses_seed_mean_and_common_grid():
    th = Trajectory(np.linspace(0, 2, 21), {"x": np.linspace(0, 2, 21)})
    t = np.linspace(0, 3, 7)            # beyond the theory range: ignored
    members = np.stack([t + 0.1, t - 0.1], 1)
    ex = Trajectory(t, {"x": members}, n_seeds=2)
    a = max_error(th, ex, "x", threshold=1e-9, relative=False)
    assert a.value == pytest.approx(0.0, abs=1e-12)


def test_band_coverage_counts_points_inside():
    t = np.linspace(0, 1, 4)
    ens = Trajectory(t, {"x": np.stack([np.zeros(4), np.ones(4)], 1)}, n_seeds=2)
    th = Trajectory(t, {"x": np.array([0.5, 0.5, 2.0, 0.5])})
    a = band_coverage(th, ens, "x", q=(0.0, 1.0), threshold=0.7)
    assert a.value == pytest.approx(0.75) and a.passed


def test_agreement_pass_logic():
    assert Agreement("a", "m", 0.1, 0.2).passed
    assert not Agreement("a", "m", 0.3, 0.2).passed
    assert Agreement("a", "m", 3.0, 2.0, higher_is_better=True).passed
    assert not Agreement("a", "m", float("nan"), 2.0).passed
    assert learning_time_agreement(1.0, 1.04, name="x", threshold=0.05).passed
    assert not learning_time_agreement(1.0, float("nan"), name="x", threshold=0.05).passed


def test_non_gating_rows_do_not_fail_a_figure(tmp_path):
    from theorylab import FigureResult

    info = Agreement("claim", "m", 0.0, 1.0, higher_is_better=True, gating=False)
    assert not info.passed and str(info).startswith("[info: no]")
    res = FigureResult("x", tmp_path / "x.png", [Agreement("a", "m", 0.1, 0.2), info], "t = lr * step", "smoke")
    assert res.passed
    res.agreements.append(Agreement("b", "m", 0.3, 0.2))
    assert not res.passed
