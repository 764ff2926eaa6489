"""Clocks: what t means, conversions that are exact, and refusals where there is none."""
import numpy as np
import pytest

from theorylab import TrainConfig, train
from theorylab.clock import CROSS_ENTROPY, HALF_MEAN, HALF_SUM, MEAN_SQ, Clock, ClockMismatch
from theorylab.compare import max_error
from theorylab.nets import DeepLinear
from theorylab.trajectory import Trajectory


def test_steps_convert_to_gradient_flow_time_and_back():
    gf, st = Clock.gradient_flow(), Clock.steps(0.01)
    np.testing.assert_allclose(gf.convert([0, 100, 250], st), [0.0, 1.0, 2.5])
    np.testing.assert_allclose(st.convert([1.0], gf), [100.0])
    assert "lr = 0.01" in st.label and st.loss == HALF_MEAN


def test_a_multiple_of_a_loss_is_a_rescaled_clock():
    """Gradient flow of 2 L at time t is gradient flow of L at 2 t: MEAN_SQ = 2 HALF_MEAN."""
    assert Clock.gradient_flow(MEAN_SQ).compatible(Clock.gradient_flow(HALF_MEAN))
    np.testing.assert_allclose(Clock.gradient_flow(HALF_MEAN).convert([1.0], Clock.gradient_flow(MEAN_SQ)), [2.0])
    np.testing.assert_allclose(Clock.gradient_flow(HALF_MEAN).convert([3.0], Clock.steps(0.1, MEAN_SQ)), [0.6])
    np.testing.assert_allclose(Clock.gradient_flow(HALF_MEAN).convert([1.0], Clock.gradient_flow(factor=5.0)), [5.0])


def test_a_trained_network_on_the_doubled_loss_lands_on_the_same_curve(rng):
    """Train once on L (lr) and once on 2L (lr/2): the same weights, clocks that convert exactly."""
    x, y = rng.normal(size=(10, 3)), rng.normal(size=(10, 1))
    a = DeepLinear([3, 1], seeds=[0], init="gaussian", dtype="float64", device="cpu")
    ta = train(a, x, y, TrainConfig(lr=0.02, t_record=[0.0, 0.4]))
    paper = Clock.rescaled(2.0, unit="a paper's clock at twice gradient-flow time")
    twice = Trajectory(2 * ta.t, ta.obs, n_seeds=1, clock=paper)            # the same run, read on the paper clock
    np.testing.assert_allclose(twice.on_clock(ta.clock).t, ta.t)
    assert max_error(ta, twice, "loss", threshold=1e-12).value == 0.0


def test_different_losses_and_discrete_clocks_refuse():
    for a, b in ((Clock.gradient_flow(HALF_MEAN), Clock.gradient_flow(CROSS_ENTROPY)),
                 (Clock.gradient_flow(HALF_MEAN), Clock.gradient_flow(HALF_SUM)),
                 (Clock.gradient_flow(), Clock.discrete("AdamW step"))):
        assert not a.compatible(b)
        with pytest.raises(ClockMismatch, match="different times"):
            a.convert([1.0], b)
    th = Trajectory([0.0, 1.0], {"x": np.zeros(2)}, clock=Clock.gradient_flow())
    ex = Trajectory([0.0, 1.0], {"x": np.zeros(2)}, clock=Clock.discrete("AdamW step"))
    with pytest.raises(ClockMismatch):
        max_error(th, ex, "x", threshold=0.1)


def test_bad_clocks_fail_naming_the_parameter():
    with pytest.raises(ValueError, match="scale"):
        Clock("x", 0.0)
    with pytest.raises(TypeError, match="scale"):
        Clock("x", "1")
    with pytest.raises(ValueError, match="factor"):
        Clock.gradient_flow(factor=-1.0)
    with pytest.raises(ValueError, match="base"):
        Clock("", 1.0)


def test_clock_survives_save_and_load(tmp_path):
    tr = Trajectory([0.0, 1.0], {"x": np.arange(2.0)}, clock=Clock.steps(0.5, MEAN_SQ))
    back = Trajectory.load(tr.save(tmp_path / "t"))
    assert back.clock == tr.clock
