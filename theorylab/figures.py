"""Figure modules' common result type and modes.

Each module in ``paper_figs/`` exposes ``ID``, ``TITLE`` and
``make(out_dir, *, mode="quick", cache=None) -> FigureResult``.
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ._validate import check_choice
from .cache import Cache
from .compare import Agreement

__all__ = ["MODES", "FigureResult", "check_mode", "figure_maker", "save_figure"]

#: smoke: seconds (run by the test suite); quick: CPU default, honest numbers;
#: full: the paper's parameters (GPU or long run).
MODES = ("smoke", "quick", "full")


def check_mode(mode: str) -> str:
    check_choice("mode", mode, MODES)
    return mode


@dataclass
class FigureResult:
    """A regenerated figure: its file, agreement rows and what it states about conventions."""

    figure_id: str
    path: Path
    agreements: list[Agreement]
    conventions: str
    mode: str
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(a.passed for a in self.agreements if a.gating)


def figure_maker(settings: Mapping[str, dict]):
    """Turn ``body(out_dir, p, cache, mode) -> FigureResult`` into a figure module's ``make``.

    The public signature is ``make(out_dir, *, mode="quick", cache=None)``:
    the mode is validated, ``p = settings[mode]``, ``cache`` defaults to a
    disabled :class:`~theorylab.cache.Cache`, and the result's ``seconds`` is
    the wall time of the call.
    """

    def deco(body: Callable[[Path, dict, Cache, str], FigureResult]):
        @functools.wraps(body)
        def make(out_dir, *, mode: str = "quick", cache: Cache | None = None) -> FigureResult:
            check_mode(mode)
            start = time.perf_counter()
            res = body(Path(out_dir), settings[mode], cache or Cache(None), mode)
            res.seconds = time.perf_counter() - start
            return res

        return make

    return deco


def save_figure(fig, out_dir, figure_id: str) -> Path:
    """Save ``fig`` as ``<out_dir>/<figure_id>.png``, close it, return the path."""
    import matplotlib.pyplot as plt

    path = Path(out_dir) / f"{figure_id}.png"
    fig.savefig(path)
    plt.close(fig)
    return path
