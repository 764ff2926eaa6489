"""The thread policy: studies run with one intra-op thread unless THEORYLAB_THREADS says otherwise."""
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info

from theorylab.clock import Clock
from theorylab.study import Study
from theorylab.threads import limited, study_threads
from theorylab.trajectory import Trajectory


@dataclass(frozen=True)
class _ThreadProbe(Study):
    family = "test"
    n: int = 1

    def theory(self):
        blas = max([i["num_threads"] for i in threadpool_info()] or [1])
        return Trajectory([0.0], {"torch": np.array([torch.get_num_threads()]), "blas": np.array([blas])},
                          clock=Clock.discrete("probe"))


def test_a_study_runs_with_one_thread_and_restores_the_caller_settings(monkeypatch):
    monkeypatch.delenv("THEORYLAB_THREADS", raising=False)
    before = torch.get_num_threads()
    with limited(2):
        r = _ThreadProbe().run()
        assert torch.get_num_threads() == 2
    assert r.theory["torch"][0] == 1 and r.theory["blas"][0] == 1
    assert torch.get_num_threads() == before


def test_the_environment_sets_the_policy(monkeypatch):
    monkeypatch.setenv("THEORYLAB_THREADS", "0")
    assert study_threads() is None
    monkeypatch.setenv("THEORYLAB_THREADS", "2")
    assert study_threads() == 2
    for bad in ("two", "-1"):
        monkeypatch.setenv("THEORYLAB_THREADS", bad)
        with pytest.raises(ValueError, match="THEORYLAB_THREADS"):
            study_threads()


def test_train_pins_small_runs_to_one_thread_and_restores(monkeypatch):
    from theorylab import TrainConfig, train
    from theorylab.nets import DeepLinear

    monkeypatch.delenv("THEORYLAB_THREADS", raising=False)
    seen = []
    net = DeepLinear([3, 2], seeds=[0], init="gaussian", dtype="float64", device="cpu")
    with limited(2):
        train(net, np.eye(3), np.ones((3, 2)), TrainConfig(lr=0.1, t_record=[0.0, 0.5]),
              observables={"threads": lambda m: (seen.append(torch.get_num_threads()), torch.zeros(1))[1]})
        assert torch.get_num_threads() == 2
    assert seen and set(seen) == {1}
