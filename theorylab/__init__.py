"""theorylab: synthetic tasks, exact theory and trained networks on the same axes.

Core objects are re-exported here; tasks and solvers live in
``theorylab.tasks`` and ``theorylab.solvers``.
"""
from .cache import Cache, config_hash
from .compare import Agreement, band_coverage, crossing_time, learning_time_agreement, max_error
from .figures import FigureResult
from .rng import as_generator, member_seeds, streams, torch_generator
from .train import TrainConfig, train
from .trajectory import Trajectory

__version__ = "0.1.0"

__all__ = [
    "Agreement",
    "Cache",
    "FigureResult",
    "TrainConfig",
    "Trajectory",
    "as_generator",
    "band_coverage",
    "config_hash",
    "crossing_time",
    "learning_time_agreement",
    "max_error",
    "member_seeds",
    "streams",
    "torch_generator",
    "train",
]
