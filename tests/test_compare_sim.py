import numpy as np
import pytest

from theorylab.compare_sim import (SwingBy, composition_order_agreement, concept_learning_times, detect_swing_by,
                                   swing_by_agreement, trajectory_distance)


def test_detect_swing_by_finds_min_then_max():
    t = np.linspace(0, 10, 1001)
    L = np.exp(-t) + 0.3 * np.exp(-((t - 4) ** 2))          # dip, bump at ~4, descent
    ev = detect_swing_by(t, L)
    assert ev is not None and ev.t_min < ev.t_max
    assert 2.0 < ev.t_min < 4.0 and 3.5 < ev.t_max < 4.5 and ev.height > 0.1
    assert detect_swing_by(t, np.exp(-t)) is None
    assert detect_swing_by(t, np.exp(-t) + 1e-6 * np.sin(t), rel_height=1e-3) is None


def test_swing_by_agreement_cases():
    a = SwingBy(1.0, 0.1, 2.0, 0.2)
    b = SwingBy(1.1, 0.1, 2.0, 0.2)
    assert swing_by_agreement(a, b, name="x").value == pytest.approx(0.1)
    assert swing_by_agreement(None, None, name="x").passed
    assert not swing_by_agreement(a, None, name="x").passed


def test_concept_learning_times_and_distance():
    t = np.linspace(0, 5, 501)
    a = np.array([2.0, 0.5])
    mu = np.array([1.0, 3.0])
    out = (1 - np.exp(-np.outer(t, a))) * mu
    times = concept_learning_times(t, out, mu, 0.9)
    assert np.allclose(times, np.log(10) / a, rtol=1e-3)
    ens = np.stack([out, out], axis=1)
    assert concept_learning_times(t, ens, mu).shape == (2, 2)
    d = trajectory_distance(t, out, t[::10], out[::10] + 0.03, scale=np.linalg.norm(mu), name="d", threshold=0.05)
    assert d.value == pytest.approx(0.03 * np.sqrt(2) / np.linalg.norm(mu))


def test_composition_order():
    x = np.arange(8.0)
    assert composition_order_agreement(x, x + 1, name="o").value == pytest.approx(1.0)
    assert composition_order_agreement(x, -x, name="o").value == pytest.approx(-1.0)
