import numpy as np
import pytest

from theorylab import Agreement, Trajectory, band_coverage, crossing_time, learning_time_agreement, max_error
from theorylab.clock import Clock, ClockMismatch
from theorylab.compare import assess, relative_error
from theorylab.testing import thresholds as tol

GF = Clock.gradient_flow()


def test_crossing_time_interpolates_linearly():
    t = np.linspace(0, 10, 11)
    assert crossing_time(t, t / 10, 0.25) == pytest.approx(2.5)
    assert crossing_time(t, 1 - t / 10, 0.25, direction="down") == pytest.approx(7.5)
    assert np.isnan(crossing_time(t, t / 10, 2.0))
    assert crossing_time(t, t / 10 + 1, 0.5) == 0.0


def test_max_error_relative_and_floor():
    t = np.linspace(0, 1, 5)
    th = Trajectory(t, {"x": np.array([1.0, 1.0, 1.0, 1.0, 1e-6])}, clock=GF)
    ex = Trajectory(t, {"x": np.array([1.02, 1.0, 0.99, 1.0, 2e-6])}, clock=GF)
    a = max_error(th, ex, "x", threshold=0.05)
    assert a.value == pytest.approx(1.0)  # 1e-6 relative to 1e-6 theory
    b = max_error(th, ex, "x", threshold=0.05, floor=0.01)
    assert b.value == pytest.approx(0.02) and b.passed
    c = max_error(th, ex, "x", threshold=0.05, relative=False)
    assert c.value == pytest.approx(0.02)


def test_max_error_uses_seed_mean_and_common_grid():
    th = Trajectory(np.linspace(0, 2, 21), {"x": np.linspace(0, 2, 21)}, clock=GF)
    t = np.linspace(0, 3, 7)            # beyond the theory range: ignored
    members = np.stack([t + 0.1, t - 0.1], 1)
    ex = Trajectory(t, {"x": members}, n_seeds=2, clock=GF)
    a = max_error(th, ex, "x", threshold=1e-9, relative=False)
    assert a.value == pytest.approx(0.0, abs=1e-12)


def test_band_coverage_counts_points_inside():
    t = np.linspace(0, 1, 4)
    ens = Trajectory(t, {"x": np.stack([np.zeros(4), np.ones(4)], 1)}, n_seeds=2, clock=GF)
    th = Trajectory(t, {"x": np.array([0.5, 0.5, 2.0, 0.5])}, clock=GF)
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


def test_the_experiment_is_put_on_the_theorys_clock_or_refused():
    t = np.linspace(0, 1, 11)
    th = Trajectory(t, {"x": t**2}, clock=GF)
    steps = np.arange(0, 101, 10)                               # the same run recorded in GD steps of lr 0.01
    ex = Trajectory(steps, {"x": (0.01 * steps) ** 2}, clock=Clock.steps(0.01))
    a = max_error(th, ex, "x", threshold=tol.exact(), relative=False)
    assert a.value < 1e-15 and "gradient flow" in a.clock and a.model.startswith("exact")
    with pytest.raises(ClockMismatch, match="no clock"):
        max_error(th, Trajectory(t, {"x": t**2}), "x", threshold=0.1)
    with pytest.raises(ClockMismatch, match="different times"):
        max_error(th, Trajectory(t, {"x": t**2}, clock=Clock.discrete("AdamW step")), "x", threshold=0.1)


def test_a_per_member_theory_is_compared_member_by_member():
    t = np.linspace(0, 1, 3)
    th = Trajectory(t, {"x": np.stack([t, 2 * t], 1)}, n_seeds=2, clock=GF)
    ex = Trajectory(t, {"x": np.stack([t, 2 * t + 0.5], 1)}, n_seeds=2, clock=GF)
    assert max_error(th, ex, "x", threshold=1.0, relative=False).value == pytest.approx(0.5)


def test_tolerances_carry_their_error_model_and_direction_into_the_row():
    row = assess("ratio", "r", 2.5, tol.claim(2.0, "Paper, Fig. 1", at_least=True))
    assert row.passed and row.higher_is_better and row.model == "claim: Paper, Fig. 1"
    assert not assess("ratio", "r", 1.5, tol.claim(2.0, "Paper, Fig. 1", at_least=True)).passed
    with pytest.raises(ValueError, match="contradicts"):
        assess("x", "m", 1.0, tol.claim(2.0, "P", at_least=True), higher_is_better=False)
    d = tol.discretisation(0.01, constant=3.0)
    assert d.value == pytest.approx(0.03) and "lr = 0.01" in d.why
    assert tol.monte_carlo(2.0, 100, z=3.0).value == pytest.approx(0.6)
    assert relative_error("v", [1.0, 2.0], [1.01, 2.0], tol.criterion(0.02, "why")).value == pytest.approx(0.01)
    with pytest.raises(ValueError, match="why"):
        tol.criterion(0.1, "")
    with pytest.raises(TypeError, match="value"):
        tol.Tolerance("0.1", "exact", "x")


def test_bad_comparator_input_fails_naming_the_parameter():
    t = np.linspace(0, 1, 3)
    th = Trajectory(t, {"x": t}, clock=GF)
    with pytest.raises(ValueError, match="scale"):
        max_error(th, th, "x", threshold=0.1, scale=-1.0)        # a negative scale would pass any error
    with pytest.raises(ValueError, match="direction"):
        crossing_time(t, t, 0.5, direction="upp")
    with pytest.raises(TypeError, match="threshold"):
        max_error(th, th, "x", threshold="0.1")


def test_a_learning_time_never_reached_fails_instead_of_giving_nan():
    for th, ex in ((float("nan"), 1.0), (1.0, float("nan")), (float("inf"), 2.0)):
        row = learning_time_agreement(th, ex, name="t", threshold=0.1)
        assert row.value == float("inf") and not row.passed
