"""Shared figure style and the theory-over-experiment panel.

Theory is a solid line; experiment is markers (seed mean) with a shaded band
(seed quantiles).  Every panel names its time convention in the x label.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:                      # only for annotations: trajectory imports plotting lazily
    from .trajectory import Trajectory

__all__ = ["style", "theory_vs_experiment", "COLORS", "new_figure"]

COLORS = ["#1b5e9c", "#d1495b", "#2a9d3f", "#edae49", "#6a4c93", "#00798c", "#8d6e63", "#3d3d3d"]

_RC = {
    "figure.dpi": 110,
    "savefig.dpi": 130,
    "savefig.bbox": "tight",
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.6,
}


@contextmanager
def style():
    """Context manager applying theorylab's matplotlib style.

    It never switches the backend and restores only the style keys it set:
    ``plt.rc_context`` would restore *every* rcParam, including the interactive
    flag that Jupyter's inline backend turns on at the first figure, and every
    later figure of the notebook would then stay undrawn.
    """
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    old = {k: mpl.rcParams[k] for k in _RC}
    mpl.rcParams.update(_RC)
    try:
        yield plt
    finally:
        mpl.rcParams.update(old)


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float = 3.3, height: float = 2.6,
               layout: str | None = None):
    """A figure with ``nrows x ncols`` axes of the given size each; returns (fig, axes array).

    ``layout="constrained"`` gives titles, labels and a suptitle room automatically
    (``theorylab.figures.text_overlaps`` checks every paper figure for overlapping text).
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, layout=layout)
    return fig, axes


def theory_vs_experiment(
    ax,
    theory: "Trajectory | None",
    experiment: "Trajectory | None",
    name: str,
    *,
    index: tuple | int | None = None,
    color: str = COLORS[0],
    label: str | None = None,
    band: tuple[float, float] = (0.05, 0.95),
    every: int = 1,
    exp_name: str | None = None,
) -> None:
    """Draw theory (line) over experiment (markers + quantile band) for one observable.

    ``index`` selects a component of a vector observable (e.g. one mode).
    """

    def pick(a):
        if index is None:
            return a
        return a[(Ellipsis,) + tuple(index)] if isinstance(index, tuple) else a[..., index]

    if theory is not None:
        ax.plot(theory.t, pick(theory[name]), color=color, lw=1.6, label=(label + " theory") if label else "theory")
    if experiment is not None:
        en = exp_name or name
        if experiment.n_seeds:
            mean = pick(experiment.mean()[en])
            lo = pick(experiment.quantile(band[0])[en])
            hi = pick(experiment.quantile(band[1])[en])
            ax.fill_between(experiment.t, lo, hi, color=color, alpha=0.18, lw=0)
        else:
            mean = pick(experiment[en])
        ax.plot(experiment.t[::every], mean[::every], "o", ms=2.6, mfc="none", mew=0.8, color=color,
                label=(label + " experiment") if label else "experiment")
