r"""Declarative paper figures: settings per mode, the studies they need, checks, and a drawing.

A figure module in ``paper_figs/<family>/`` defines ``FIGURE = Figure(...)``:

* ``settings``: one frozen dataclass instance per mode (``"smoke"``,
  ``"quick"``, ``"full"``), all of one class;
* ``studies(settings) -> {name: Study}``: everything expensive, each study
  cached by its own key (:meth:`theorylab.study.Study.key`);
* ``checks(results, settings) -> [Agreement]``: rows built with the
  comparators of :mod:`theorylab.compare`, each threshold a
  :class:`~theorylab.testing.thresholds.Tolerance` (an error model, never a
  bare literal);
* ``draw(results, settings) -> matplotlib Figure``: drawing only, no solving or
  training (cheap summaries of the results are fine);
* ``setup`` (the paper's own setup) and ``deviations(settings)`` (every
  difference from it), both for the report.

:func:`discover` finds every ``FIGURE`` under a package: no list to edit.
:meth:`Figure.make` runs the studies through a cache, the checks and the
drawing, stamps the agreement summary onto the PNG and returns a
:class:`FigureResult`.

Modes: ``smoke`` runs in seconds and is a wiring check (every study, check and
drawing runs and gives finite numbers; its rows are not expected to pass),
``quick`` is the CPU default with honest numbers, ``full`` the paper's sizes.
"""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._validate import check_choice
from .cache import Cache
from .compare import Agreement
from .study import Study, StudyResult

__all__ = ["MODES", "Figure", "FigureResult", "Results", "check_mode", "discover", "save_figure", "text_overlaps",
           "stamp_agreements"]

#: smoke: seconds, a wiring check (run by the test suite); quick: CPU default, honest numbers;
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
    setup: str = ""
    deviations: list[str] = field(default_factory=list)
    family: str = ""
    cite: str = ""
    cached_studies: int = 0
    n_studies: int = 0
    error: str = ""
    overlaps: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.error and all(a.passed for a in self.agreements if a.gating)


class Results(dict):
    """Study results of one figure, by the names its ``studies`` gave them."""

    def theory(self, name: str):
        return self[name].theory

    def experiment(self, name: str):
        return self[name].experiment

    def __getitem__(self, name: str) -> StudyResult:
        try:
            return super().__getitem__(name)
        except KeyError:
            raise KeyError(f"no study {name!r}; have {sorted(self)}") from None


def stamp_agreements(fig, agreements: Sequence[Agreement], *, mode: str = "quick", max_rows: int = 12) -> None:
    """Write the agreement summary (pass/fail and the key numbers) under the figure's axes."""
    gating = [a for a in agreements if a.gating]
    n_ok = sum(a.passed for a in gating)
    head = f"{'PASS' if n_ok == len(gating) else 'FAIL'}: {n_ok}/{len(gating)} checks"
    if mode == "smoke":
        head = f"smoke mode (wiring check, numbers not meaningful): {n_ok}/{len(gating)} checks"
    lines = [head]
    for a in list(agreements)[:max_rows]:
        op = ">=" if a.higher_is_better else "<="
        mark = ("ok" if a.passed else "FAIL") if a.gating else "info"
        name = a.name if len(a.name) <= 70 else a.name[:67] + "..."
        lines.append(f"[{mark}] {name}: {a.value:.3g} ({op} {a.threshold:.3g})")
    if len(agreements) > max_rows:
        lines.append(f"... and {len(agreements) - max_rows} more rows in report.md")
    # below everything already drawn (tick labels, axis labels, legends outside the axes)
    bb = fig.get_tightbbox(fig.canvas.get_renderer())
    x0 = bb.x0 / fig.get_figwidth()
    y0 = bb.y0 / fig.get_figheight()
    fig.text(x0, y0 - 0.015, "\n".join(lines), ha="left", va="top", fontsize=5.5, family="monospace",
             transform=fig.transFigure)


def text_boxes(fig) -> list[tuple[str, str, object]]:
    """``(where, text, window bbox)`` of every visible, non-empty text of a drawn figure.

    Titles, axis labels, tick labels inside the view, offset texts, texts, legends
    and figure texts (the agreement summary included).
    """
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    items: list[tuple[str, str, object]] = []
    seen: set[int] = set()

    def add(t, where: str) -> None:
        if t is None or id(t) in seen or not t.get_visible() or not t.get_text().strip():
            return
        seen.add(id(t))
        bb = t.get_window_extent(r)
        if bb.width > 0 and bb.height > 0:
            items.append((where, t.get_text(), bb))

    for i, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.axison and not ax.texts:
            continue
        for t in (ax.title, ax._left_title, ax._right_title):
            add(t, f"axes {i} title")
        for axis, name in ((ax.xaxis, "x"), (ax.yaxis, "y")):
            add(axis.label, f"axes {i} {name} label")
            add(axis.get_offset_text(), f"axes {i} {name} offset")
            lo, hi = sorted(axis.get_view_interval())
            span = (hi - lo) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                loc = tick.get_loc()
                if loc is None or not (lo - span <= loc <= hi + span):
                    continue
                for lab in (tick.label1, tick.label2):
                    add(lab, f"axes {i} {name} tick")
        for t in ax.texts:
            add(t, f"axes {i} text")
        leg = ax.get_legend()
        if leg is not None:
            for t in leg.get_texts():
                add(t, f"axes {i} legend")
            add(leg.get_title(), f"axes {i} legend title")
    add(getattr(fig, "_suptitle", None), "suptitle")
    for t in fig.texts:
        add(t, "figure text")
    for leg in fig.legends:
        for t in leg.get_texts():
            add(t, "figure legend")
    return items


def text_overlaps(fig, *, tolerance: float = 1.0) -> list[str]:
    """Pairs of texts whose boxes overlap by more than ``tolerance`` pixels in both directions."""
    items = text_boxes(fig)
    out = []
    for a in range(len(items)):
        wa, ta, ba = items[a]
        for b in range(a + 1, len(items)):
            wb, tb, bb = items[b]
            dx = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            dy = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if dx > tolerance and dy > tolerance:
                out.append(f"{wa} {ta[:30]!r} overlaps {wb} {tb[:30]!r}")
    return out


def save_figure(fig, out_dir, figure_id: str) -> Path:
    """Save ``fig`` as ``<out_dir>/<figure_id>.png``, close it, return the path."""
    import matplotlib.pyplot as plt

    path = Path(out_dir) / f"{figure_id}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


@dataclass(frozen=True, eq=False)
class Figure:
    """A paper figure as a declaration (see the module docstring)."""

    id: str
    title: str
    cite: str
    settings: Mapping[str, Any]
    studies: Callable[[Any], Mapping[str, Study]]
    checks: Callable[[Results, Any], Sequence[Agreement]]
    draw: Callable[[Results, Any], Any]
    setup: str = ""
    deviations: Callable[[Any], Sequence[str]] | Sequence[str] = ()
    quick_seconds: float = 0.0
    family: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.isidentifier():
            raise ValueError(f"id must be an identifier-like string, got {self.id!r}")
        missing = [m for m in MODES if m not in self.settings]
        if missing:
            raise ValueError(f"{self.id}: settings must give every mode {MODES}; missing {missing}")
        kinds = {type(self.settings[m]) for m in MODES}
        if len(kinds) != 1:
            raise TypeError(f"{self.id}: every mode's settings must be an instance of one class, got {kinds}")
        for m in MODES:
            s = self.settings[m]
            if not dataclasses.is_dataclass(s) or not s.__dataclass_params__.frozen:
                raise TypeError(f"{self.id}: settings[{m!r}] must be a frozen dataclass instance")
        for name in ("studies", "checks", "draw"):
            if not callable(getattr(self, name)):
                raise TypeError(f"{self.id}: {name} must be callable")

    def settings_for(self, mode: str):
        return self.settings[check_mode(mode)]

    def study_map(self, mode: str) -> dict[str, Study]:
        """The studies of ``mode``, checked to be :class:`Study` instances."""
        studies = dict(self.studies(self.settings_for(mode)))
        for name, st in studies.items():
            if not isinstance(st, Study):
                raise TypeError(f"{self.id}: study {name!r} must be a Study, got {type(st).__name__}")
        return studies

    def deviation_list(self, mode: str) -> list[str]:
        d = self.deviations(self.settings_for(mode)) if callable(self.deviations) else self.deviations
        return [str(x) for x in d]

    def make(self, out_dir, *, mode: str = "quick", cache: Cache | None = None) -> FigureResult:
        """Run the studies (through ``cache``), the checks and the drawing; save ``<out_dir>/<id>.png``."""
        from .plotting import style

        start = time.perf_counter()
        s = self.settings_for(mode)
        cache = cache or Cache(None)
        studies = self.study_map(mode)
        results = Results()
        n_cached = 0
        for name, st in studies.items():
            results[name] = cache.study(st)
            n_cached += results[name].cached
        rows = list(self.checks(results, s))
        for a in rows:
            if not isinstance(a, Agreement):
                raise TypeError(f"{self.id}: checks must return Agreement rows, got {type(a).__name__}")
        with style():
            fig = self.draw(results, s)
            stamp_agreements(fig, rows, mode=mode)
            overlaps = text_overlaps(fig)
            path = save_figure(fig, out_dir, self.id)
        clocks = []
        for r in results.values():
            for tr in (r.theory, r.experiment):
                if tr is not None and tr.clock is not None and tr.clock.describe() not in clocks:
                    clocks.append(tr.clock.describe())
        if len(clocks) == 1:                     # a row that names no clock is on the figure's only clock
            rows = [a if a.clock else dataclasses.replace(a, clock=clocks[0]) for a in rows]
        return FigureResult(self.id, path, rows, "; ".join(clocks) or "no time axis", mode,
                            seconds=time.perf_counter() - start, setup=self.setup,
                            deviations=self.deviation_list(mode), family=self.family, cite=self.cite,
                            cached_studies=n_cached, n_studies=len(studies), overlaps=overlaps)


def discover(package: str = "theorylab.paper_figs") -> dict[str, Figure]:
    """Every ``FIGURE`` declared in the modules under ``package``, by id, family by family.

    A module's family is the subpackage it sits in; modules whose name starts
    with ``_`` are helpers and are not imported as figures.  Duplicate ids are
    an error.
    """
    pkg = importlib.import_module(package)
    found: dict[str, Figure] = {}
    where: dict[str, str] = {}
    for info in sorted(pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."), key=lambda i: i.name):
        if info.ispkg or info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        mod = importlib.import_module(info.name)
        fig = getattr(mod, "FIGURE", None)
        if not isinstance(fig, Figure):
            continue
        if fig.id in found:
            raise ValueError(f"figure id {fig.id!r} is declared in both {where[fig.id]} and {info.name}")
        parts = info.name[len(package) + 1:].split(".")
        family = parts[0] if len(parts) > 1 else ""
        if not fig.family:
            object.__setattr__(fig, "family", family)
        found[fig.id] = fig
        where[fig.id] = info.name
    return found


def finite_rows(rows: Sequence[Agreement]) -> bool:
    """True when every row's value is a finite number (what smoke mode promises)."""
    return all(np.isfinite(a.value) for a in rows)
