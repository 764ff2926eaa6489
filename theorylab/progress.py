"""Progress bars for long work: tqdm.auto (a terminal bar, or a widget in Jupyter), silent under CI.

``bar(total, desc=..., show=None)``: with ``show=None`` a bar appears when stderr is a
terminal or the code runs in a Jupyter kernel, and the work is long enough
(``total >= min_total``); never when the ``CI`` environment variable is set.
"""
from __future__ import annotations

import os
import sys

__all__ = ["bar", "interactive"]


def interactive() -> bool:
    """True in a terminal or a Jupyter kernel, False under CI or with output redirected."""
    if os.environ.get("CI"):
        return False
    return sys.stderr.isatty() or "ipykernel" in sys.modules


def bar(total: int, *, desc: str, unit: str = "step", show: bool | None = None, min_total: int = 5000):
    """A ``tqdm.auto`` bar over ``total`` units (disabled when it would only be noise)."""
    from tqdm.auto import tqdm

    enabled = show if show is not None else (interactive() and total >= min_total)
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, mininterval=0.5, leave=False)
