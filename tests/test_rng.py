"""Same seed, same numbers; no library call touches global RNG state."""
import random

import numpy as np
import pytest
import torch

from theorylab import TrainConfig, streams, torch_generator, train
from theorylab.nets import MLP, DeepLinear
from theorylab.rng import as_generator
from theorylab.tasks import TeacherStudentConfig, TreeConfig, make_teacher_student, make_tree_task


def _global_state():
    return (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state().clone())


def _library_workout():
    task = make_teacher_student(TeacherStudentConfig(4, 3, (1.0, 0.5), noise_std=0.1), rng=5)
    smp = task.sample(32, rng=6)
    make_tree_task(TreeConfig(2, 2)).sample(8, rng=1)
    net = MLP([4, 5, 3], seeds=range(2), dtype="float64", device="cpu")
    tr = train(net, smp.x, smp.y, TrainConfig(lr=0.1, t_record=[0, 0.5], optimizer="sgd", batch_size=8))
    lin = DeepLinear([4, 4, 3], seeds=[3], init="orthogonal", device="cpu")
    torch_generator(3)
    return tr["loss"], lin.end_to_end().detach().numpy()


def test_library_leaves_global_rng_untouched():
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    before = _global_state()
    _library_workout()
    after = _global_state()
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    assert torch.equal(before[2], after[2])


def test_same_seed_same_numbers():
    a1, b1 = _library_workout()
    torch.manual_seed(999)            # global state must not matter either
    np.random.seed(999)
    a2, b2 = _library_workout()
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)


def test_streams_are_independent_and_stable():
    s = streams(7)
    assert s["init"].random() != s["data"].random()
    assert streams(7, names=("data", "init"))["init"].random() == streams(7)["init"].random()
    assert as_generator(3).random() == as_generator(3).random()
    with pytest.raises(ValueError, match="seed"):
        as_generator(-1)
    with pytest.raises(ValueError, match="rng"):
        as_generator(None)


def test_no_global_seeding_in_library_sources():
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    bad = ("np.random.seed(", "torch.manual_seed(", "random.seed(", "np.random.rand", "np.random.normal(")
    for folder in ("theorylab", "tasks", "solvers", "paper_figs"):
        for path in (root / folder).rglob("*.py"):
            text = path.read_text()
            for b in bad:
                assert b not in text, f"{path.relative_to(root)} uses global RNG: {b}"
