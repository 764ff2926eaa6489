"""Locally elastic studies: clocks, SGD records, the tail-index rule, validation (contract: tests/test_contracts.py)."""
import dataclasses

import numpy as np
import pytest
import torch

from theorylab.clock import ClockMismatch
from theorylab.solvers.elastic import LE_SDE_TIME, le_ode_solution
from theorylab.studies.local_elasticity import LESDEPhase, ShapesCorruption, late_tail_index, le_fit
from theorylab.tasks.shapes import ShapesConfig, make_shapes
from theorylab.trajectory import Trajectory


def test_le_sde_study_is_on_the_sde_clock():
    th = LESDEPhase.example().theory()
    assert th.clock == LE_SDE_TIME and th.n_seeds == 2
    assert LESDEPhase(beta=2.0).ratio == 2.0


def test_shapes_study_counts_sgd_steps_and_logs_probe_class_means():
    st = ShapesCorruption.example()
    ex = st.experiment()
    np.testing.assert_array_equal(ex.t, [0, 3, 6])
    assert ex.clock.symbol == "step" and ex.clock.is_gradient_flow and ex.clock.scale == st.lr
    assert ex.n_seeds is None and ex["means"].shape == (3, 3, 3) and ex["val_acc"].shape == (3,)
    # the logged class means are the probe logits averaged by true class (checked at t = 0, before training)
    from theorylab.nets import LeNet

    probe = make_shapes(dataclasses.replace(st.shapes, n_per_class=st.n_probe, corruption=0.0), rng=st.probe_seed)
    with torch.no_grad():
        out = LeNet(3, seed=st.model_seed)(torch.as_tensor(probe.images, dtype=torch.float32)).numpy()
    want = np.stack([out[probe.clean == k].mean(0) for k in range(3)])
    np.testing.assert_allclose(ex["means"][0], want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ClockMismatch):
        ex.on_clock(LE_SDE_TIME)


def test_tail_index_rule_and_le_fit():
    t = np.arange(0, 101, 10.0)
    assert np.isnan(late_tail_index(t, np.where(t > 80, -1.0, t)))             # A <= 0 late: non-elastic
    assert late_tail_index(t, t ** 0.3) == pytest.approx(0.7)                   # A = t^(1 - r)
    # the authors' rule flips the sign of a negative A: -t^0.3 reads as elastic, r = 0.7
    assert late_tail_index(t, -(t ** 0.3), rule="flip") == pytest.approx(0.7)
    assert late_tail_index(t, t ** 0.3, rule="flip") == late_tail_index(t, t ** 0.3)
    with pytest.raises(ValueError, match="rule"):
        late_tail_index(t, t ** 0.3, rule="abs")
    g = np.random.default_rng(0)
    X0 = g.normal(size=(3, 3))
    A, B = 0.05 * t, 0.01 * t
    means = le_ode_solution(X0, A, B, "I")
    fit = le_fit(Trajectory(t, {"means": means}))
    np.testing.assert_allclose(fit["A"], A, atol=1e-9)
    np.testing.assert_allclose(fit["fit"], means, atol=1e-9)


def test_bad_fields_name_the_field():
    with pytest.raises(ValueError, match="alpha"):
        LESDEPhase(alpha=-1.0)
    with pytest.raises(ValueError, match="dt"):
        LESDEPhase(t_max=1.0, dt=2.0)
    with pytest.raises(ValueError, match="record_every"):
        ShapesCorruption(steps=5, record_every=10)
    with pytest.raises(ValueError, match="sampling"):
        ShapesCorruption(sampling="sorted")
    with pytest.raises(ValueError, match="size"):
        ShapesCorruption(shapes=ShapesConfig(4, size=28))
