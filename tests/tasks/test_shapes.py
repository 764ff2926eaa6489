import numpy as np
import pytest
import torch

from theorylab.tasks.shapes import ShapesConfig, make_shapes, render_shape


def test_shapes_are_seeded_balanced_and_corrupted_to_other_classes():
    a, b = make_shapes(ShapesConfig(50, corruption=0.4), rng=3), make_shapes(ShapesConfig(50, corruption=0.4), rng=3)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert a.images.shape == (150, 1, 32, 32) and a.images.min() >= 0 and a.images.max() <= 1
    assert np.all(a.labels[a.corrupted] != a.clean[a.corrupted])
    assert np.array_equal(a.labels[~a.corrupted], a.clean[~a.corrupted])
    frac = a.corrupted.mean()
    assert abs(frac - 0.4) < 4 * np.sqrt(0.4 * 0.6 / 150)
    # the three classes differ in area: triangle < ellipse < rectangle at equal scale
    areas = [render_shape(c, 32, angle=0, center=(16, 16), scale=0.6, blur=1.0).sum() for c in range(3)]
    assert areas[0] < areas[2] < areas[1]


def test_bad_config_and_lenet_seeding():
    for kwargs, name in ((dict(corruption=1.0), "corruption"), (dict(corruption=-0.1), "corruption"),
                         (dict(n_per_class=0), "n_per_class"), (dict(size=4), "size")):
        with pytest.raises(ValueError, match=name):
            ShapesConfig(**(dict(n_per_class=5) | kwargs))
    from theorylab.nets import LeNet

    state = torch.get_rng_state()
    m1, m2 = LeNet(seed=1), LeNet(seed=1)
    assert torch.equal(state, torch.get_rng_state())
    assert all(torch.equal(p, q) for p, q in zip(m1.parameters(), m2.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(m1.parameters(), LeNet(seed=2).parameters()))
