import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

# Deterministic, CPU-only, bounded-time property tests.
settings.register_profile("theorylab", deadline=None, max_examples=40, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "theorylab"))

torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
