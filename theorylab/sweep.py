r"""Sweeps: a grid (or a list of points) over any study's fields, cached point by point.

    >>> from theorylab.sweep import sweep
    >>> res = sweep(SaxeModes(), {"u0": [1e-4, 1e-3, 1e-2], "lr": [1e-3, 2e-3]}, cache="sweep-cache")
    >>> ds = res.dataset()            # xarray Dataset, dims (u0, lr), one variable per summary

Every point is ``study.replace(**values)`` (dotted names reach nested configs:
``"task.d"``), so it is validated like any study and cached under its own key:
a resumed sweep reads every finished point from the cache and computes only
the rest, and a point that raises is reported in :attr:`SweepResult.errors`
without losing the others.  Points run through :mod:`theorylab.executors`
(a local process pool by default, or Dask), with a progress bar in a terminal
or a notebook.

Results come back labelled by the swept fields as an `xarray
<https://xarray.dev>`_ ``Dataset``: it is the container that keeps named,
coordinate-labelled N-D arrays (a phase diagram over ``(alpha, eps)`` is a 2-D
array with those coordinates), selects and plots by label
(``ds.sel(alpha=2.0)``), and writes to NetCDF for another session.
"""
from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .cache import Cache
from .executors import executor as make_executor
from .executors import map_unordered
from .progress import bar as progress_bar
from .study import Study, StudyResult

__all__ = ["sweep", "SweepResult", "replace_path", "final_values"]


def replace_path(study: Study, path: str, value: Any) -> Study:
    """``study`` with the (possibly dotted) field ``path`` set to ``value``, validated."""
    head, _, rest = path.partition(".")
    if not dataclasses.is_dataclass(study) or head not in {f.name for f in dataclasses.fields(study)}:
        names = sorted(f.name for f in dataclasses.fields(study)) if dataclasses.is_dataclass(study) else []
        raise ValueError(f"{type(study).__name__} has no field {head!r}; fields: {names}")
    if rest:
        return dataclasses.replace(study, **{head: replace_path(getattr(study, head), rest, value)})
    return dataclasses.replace(study, **{head: value})


def final_values(result: StudyResult) -> dict[str, np.ndarray]:
    """Default summary of a point: every observable at the last recorded time (seed mean), and the seconds.

    Names are ``theory_<name>`` and ``experiment_<name>``.
    """
    out: dict[str, np.ndarray] = {"seconds": np.asarray(result.seconds)}
    for part in ("theory", "experiment"):
        tr = getattr(result, part)
        if tr is None or len(tr) == 0:
            continue
        for name in tr.names:
            v = np.asarray(tr[name][-1])
            if tr.n_seeds is not None:
                v = v.mean(axis=0)
            if v.dtype.kind in "biuf":
                out[f"{part}_{name}"] = v.astype(float)
    return out


def _run_point(args: tuple[Study, str | None]) -> StudyResult:
    study, root = args
    return Cache(root).study(study) if root else study.run()


@dataclass
class SweepResult:
    """A sweep's points, their study results (None where a point failed) and their errors.

    ``shape`` is the grid's shape (one axis per swept field, in order) or
    ``None`` for a list of points.
    """

    base: Study
    fields: tuple[str, ...]
    values: dict[str, list]
    points: list[dict[str, Any]]
    results: list[StudyResult | None]
    errors: list[str | None] = field(default_factory=list)
    shape: tuple[int, ...] | None = None

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [p for p, e in zip(self.points, self.errors) if e is not None]

    @property
    def cached(self) -> int:
        return sum(bool(r is not None and r.cached) for r in self.results)

    def __repr__(self) -> str:
        return (f"SweepResult({type(self.base).__name__} over {', '.join(self.fields)}: {len(self.points)} points, "
                f"{self.cached} from the cache, {len(self.failed)} failed)")

    def dataset(self, summary: Callable[[StudyResult], Mapping[str, Any]] = final_values):
        """An ``xarray.Dataset`` of ``summary(result)`` per point, labelled by the swept fields.

        A grid gives one dimension per field; a list of points gives a ``point``
        dimension with the field values as coordinates.  Failed points are NaN.
        """
        import xarray as xr

        summaries = [None if r is None else {k: np.asarray(v, float) for k, v in summary(r).items()}
                     for r in self.results]
        names: dict[str, tuple[int, ...]] = {}
        for s in summaries:
            for k, v in (s or {}).items():
                names.setdefault(k, v.shape)
        lead = self.shape if self.shape is not None else (len(self.points),)
        dims = list(self.fields) if self.shape is not None else ["point"]
        data_vars = {}
        for k, shp in names.items():
            arr = np.full((len(self.points),) + shp, np.nan)
            for i, s in enumerate(summaries):
                if s is not None and k in s and s[k].shape == shp:
                    arr[i] = s[k]
            extra = [f"{k}_dim{j}" for j in range(len(shp))]
            data_vars[k] = (dims + extra, arr.reshape(lead + shp))
        coords: dict[str, Any] = {}
        if self.shape is not None:
            coords = {f: _coord(self.values[f]) for f in self.fields}
        else:
            coords = {f: ("point", _coord([p[f] for p in self.points])) for f in self.fields}
        err = np.array([e or "" for e in self.errors], dtype=object).reshape(lead)
        ds = xr.Dataset(data_vars, coords=coords, attrs={"study": type(self.base).__qualname__,
                                                         "base": repr(self.base), "failed": len(self.failed)})
        ds["error"] = (dims, err.astype(str))
        return ds


def _coord(values: list) -> Any:
    """Coordinate values: numbers stay numbers; anything else (tuples, configs) becomes its repr."""
    if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in values):
        return np.asarray(values)
    return np.asarray([repr(v) for v in values], dtype=object).astype(str)


def sweep(base: Study, grid: Mapping[str, Sequence[Any]] | None = None, *, points: Sequence[Mapping[str, Any]] | None = None,
          cache: Cache | str | os.PathLike | None = None, executor: str = "local", jobs: int | None = None,
          scheduler: str | None = None, progress: bool | None = None) -> SweepResult:
    """Run ``base`` at every point of ``grid`` (the product of the value lists) or of ``points``.

    Parameters
    ----------
    base : the study whose fields are swept.
    grid : field -> values; the points are the Cartesian product, in the order given.
    points : alternatively, a list of field -> value mappings (all with the same fields).
    cache : a :class:`~theorylab.Cache` or folder; points found there are not recomputed.
        Without a cache nothing is stored and an interrupted sweep starts over.
    executor : "local" (process pool, default), "dask" or "serial" (see :mod:`theorylab.executors`).
    jobs : worker processes (default: CPUs, at most 4);  scheduler : a Dask scheduler address.
    progress : a progress bar (None: in a terminal or notebook, never under CI).
    """
    if not isinstance(base, Study):
        raise TypeError(f"base must be a Study, got {type(base).__name__}")
    if (grid is None) == (points is None):
        raise ValueError("give exactly one of grid (field -> values) or points (a list of field -> value)")
    if grid is not None:
        if not isinstance(grid, Mapping) or not grid:
            raise ValueError("grid must map at least one field name to a list of values")
        fields = tuple(grid)
        values = {f: list(grid[f]) for f in fields}
        for f, v in values.items():
            if not v:
                raise ValueError(f"grid[{f!r}] must list at least one value")
        pts = [dict(zip(fields, combo)) for combo in itertools.product(*(values[f] for f in fields))]
        shape = tuple(len(values[f]) for f in fields)
    else:
        pts = [dict(p) for p in points]
        if not pts:
            raise ValueError("points must hold at least one point")
        fields = tuple(pts[0])
        if any(tuple(p) != fields for p in pts):
            raise ValueError(f"every point must set the same fields {fields}")
        values = {f: [p[f] for p in pts] for f in fields}
        shape = None
    studies = []
    for p in pts:                                 # validate every point before running any
        st = base
        for f, v in p.items():
            st = replace_path(st, f, v)
        studies.append(st)
    if cache is not None and not isinstance(cache, Cache):
        cache = Cache(cache)
    root = str(cache.root) if cache is not None and cache.root is not None else None
    results: list[StudyResult | None] = [None] * len(studies)
    errors: list[str | None] = [None] * len(studies)
    todo = []
    for i, st in enumerate(studies):
        got = cache._read(st.key()) if cache is not None else None
        if got is not None:
            parts, header = got
            results[i] = StudyResult(st, parts["theory"], parts["experiment"], float(header.get("seconds", 0.0)),
                                     cached=True)
        else:
            todo.append(i)
    bar = progress_bar(len(studies), desc=f"sweep {type(base).__name__}", unit="point", show=progress, min_total=1)
    bar.update(len(studies) - len(todo))
    try:
        if todo:
            kind = "serial" if executor == "serial" or len(todo) == 1 and executor == "local" else executor
            with make_executor(kind, jobs=jobs, scheduler=scheduler) as pool:
                for j, outcome in map_unordered(_run_point, [(studies[i], root) for i in todo], pool):
                    i = todo[j]
                    if isinstance(outcome, BaseException):
                        errors[i] = f"{type(outcome).__name__}: {outcome}"
                    else:
                        results[i] = outcome
                    bar.update(1)
    finally:
        bar.close()
    return SweepResult(base, fields, values, pts, results, errors, shape)
