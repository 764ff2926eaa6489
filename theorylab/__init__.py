"""theorylab: synthetic tasks, exact theory and trained networks on the same axes.

Core objects are re-exported here; tasks, solvers, studies and the paper
figures live in ``theorylab.tasks``, ``theorylab.solvers``,
``theorylab.studies`` and ``theorylab.paper_figs``.
"""
from pathlib import Path as _Path

from ._layout import install as _install_layout

_install_layout(_Path(__file__).resolve().parent)   # a source checkout: map tasks/, solvers/, paper_figs/

from .cache import Cache, config_hash  # noqa: E402
from .clock import Clock, ClockMismatch  # noqa: E402
from .compare import Agreement, band_coverage, crossing_time, learning_time_agreement, max_error
from .figures import FigureResult
from .rng import as_generator, member_seeds, streams, torch_generator
from .train import TrainConfig, train
from .trajectory import Trajectory

__version__ = "0.1.0"

__all__ = [
    "Agreement",
    "Cache",
    "Clock",
    "ClockMismatch",
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
