"""Figure modules' common result type and modes.

Each module in ``paper_figs/`` exposes ``ID``, ``TITLE`` and
``make(out_dir, *, mode="quick", cache=None) -> FigureResult``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ._validate import check_choice
from .compare import Agreement

__all__ = ["MODES", "FigureResult", "check_mode"]

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
