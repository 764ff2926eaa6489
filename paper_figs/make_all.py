#!/usr/bin/env python3
"""Regenerate every paper figure and write the agreement report.

    python paper_figs/make_all.py [--mode smoke|quick|full] [--only ID ...] [--out DIR] [--no-cache] [--jobs N]
                                  [--executor local|dask] [--scheduler ADDRESS]

Writes one PNG per figure, ``report.json`` and ``report.md`` (one row per
agreement number: value, threshold, the error model, the clock, pass/fail;
seconds per figure) to ``--out`` (default ``paper_figs/out/<mode>``).  Every
study is cached by its key under ``<out>/cache`` so a rerun only redraws.  The
studies of all the figures are mapped over the executor that sweeps use
(:mod:`theorylab.executors`: a local pool of ``--jobs`` single-threaded worker
processes, default the CPUs, at most 4; or Dask), a study shared by several
figures computed once, and each figure is drawn when its studies are done.  Exit status is 1 if any gating agreement failed (in
smoke mode, a wiring check: if any figure failed to run or gave a non-finite
number), 0 otherwise.  Ctrl-C stops the workers within seconds, writes a
report of the finished figures marked partial and exits with 130; a rerun
reads every finished study from the cache.
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

import matplotlib  # noqa: E402

matplotlib.use("Agg")                       # a batch job writes PNGs (spawned workers re-import this module)
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from theorylab import Cache, config_hash  # noqa: E402
from theorylab.executors import default_jobs  # noqa: E402
from theorylab.executors import executor as make_executor  # noqa: E402
from theorylab.executors import map_unordered  # noqa: E402
from theorylab.figures import MODES, FigureResult, discover, finite_rows  # noqa: E402
from theorylab.report import write_report  # noqa: E402
from theorylab.study import StudyResult  # noqa: E402

#: Every figure declared under paper_figs/<family>/, by id (discovered: no list to keep).
DECLARED = discover("theorylab.paper_figs")
FIGURES = tuple(DECLARED)


def figure_info(fid: str) -> tuple[str, str]:
    """(family, title) of a figure."""
    return DECLARED[fid].family, DECLARED[fid].title


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`run_figures`; ``results`` holds the figures that finished."""

    def __init__(self, results: list[FigureResult]):
        super().__init__("interrupted")
        self.results = results


def _compute_study(args) -> StudyResult:
    """Run one study (in a worker): through the disk cache when there is one."""
    study, root = args
    return Cache(root).study(study) if root else study.run()


class _Store(Cache):
    """The results computed in this run, by key (what Figure.make reads when there is no disk cache)."""

    def __init__(self):
        super().__init__(None)
        self.results: dict[str, StudyResult] = {}

    def study(self, study):
        return self.results[config_hash(study.key())]


def _make_figure(fid: str, mode: str, out: Path, cache: Cache, compute_seconds: float) -> FigureResult:
    """Checks and drawing of one figure whose studies are done; an exception becomes a failed result."""
    t0 = time.perf_counter()
    try:
        res = DECLARED[fid].make(out, mode=mode, cache=cache)
    except Exception as e:  # noqa: BLE001 - reported per figure; the other figures' report survives
        tb = traceback.format_exception_only(type(e), e)[-1].strip()
        res = FigureResult(fid, out / f"{fid}.png", [], "", mode, error=tb, family=DECLARED[fid].family)
    res.seconds = compute_seconds + time.perf_counter() - t0
    return res


def _echo(i: int, n: int, res: FigureResult, echo) -> None:
    state = "ERROR" if res.error else ("ok" if res.passed else "FAILED")
    echo(f"[{i}/{n}] {res.figure_id} ({res.mode}) {state} in {res.seconds:.1f}s", flush=True)
    if res.error:
        echo(f"      {res.error}", flush=True)
    for a in res.agreements:
        echo(f"      {a}", flush=True)
    for o in res.overlaps:
        echo(f"      overlapping text: {o}", flush=True)


def run_figures(ids, mode: str, out: Path, *, use_cache: bool = True, jobs: int = 1, executor: str = "local",
                scheduler: str | None = None, echo=print) -> list[FigureResult]:
    """Make the figures ``ids`` in ``mode``; returns their results in the order of ``ids``.

    The unit of work is the study, not the figure: every study of every figure (each
    computed once, however many figures share it) is mapped over the executor of
    :mod:`theorylab.executors` -- ``jobs`` worker processes with one intra-op thread
    each, or Dask -- longest first, and a figure is checked and drawn in this process
    as soon as its studies are done.  ``jobs == 1``: everything in this process, figure
    by figure.  Ctrl-C stops the workers and raises :class:`Interrupted` carrying the
    figures that finished; their studies are in the cache.
    """
    out.mkdir(parents=True, exist_ok=True)
    cache: Cache = Cache(out / "cache") if use_cache else _Store()
    root = str(out / "cache") if use_cache else None
    done: dict[str, FigureResult] = {}
    plans: dict[str, dict[str, str]] = {}                   # figure -> study name -> key
    studies: dict[str, object] = {}                         # key -> study
    errors: dict[str, str] = {}                             # figure -> why it cannot be made
    for fid in ids:
        try:
            smap = DECLARED[fid].study_map(mode)
        except Exception as e:  # noqa: BLE001 - an invalid settings object fails its figure only
            errors[fid] = traceback.format_exception_only(type(e), e)[-1].strip()
            continue
        plans[fid] = {}
        for name, st in smap.items():
            k = config_hash(st.key())
            plans[fid][name] = k
            studies.setdefault(k, st)
    seconds: dict[str, float] = {}
    failed: dict[str, str] = {}
    precached: set[str] = set()                             # found in the cache before this run computed them

    def finish(fid: str) -> None:
        if fid in errors:
            res = FigureResult(fid, out / f"{fid}.png", [], "", mode, error=errors[fid], family=DECLARED[fid].family)
        elif any(plans[fid][n] in failed for n in plans[fid]):
            why = next(failed[k] for k in plans[fid].values() if k in failed)
            res = FigureResult(fid, out / f"{fid}.png", [], "", mode, error=why, family=DECLARED[fid].family)
        else:
            res = _make_figure(fid, mode, out, cache, sum(seconds.get(k, 0.0) for k in plans[fid].values()))
            res.cached_studies = sum(k in precached for k in plans[fid].values())
        done[fid] = res
        _echo(len(done), len(ids), res, echo)

    try:
        if jobs <= 1 and executor == "local":
            for fid in ids:
                for k in plans.get(fid, {}).values():
                    if k in seconds or k in failed:
                        continue
                    try:
                        r = _compute_study((studies[k], root))
                        seconds[k] = 0.0 if r.cached else r.seconds
                        if r.cached:
                            precached.add(k)
                        if not use_cache:
                            cache.results[k] = r
                    except Exception as e:  # noqa: BLE001
                        failed[k] = traceback.format_exception_only(type(e), e)[-1].strip()
                finish(fid)
            return [done[fid] for fid in ids]
        for fid in errors:
            finish(fid)
        waiting = {fid: set(plans[fid].values()) for fid in plans}
        if use_cache:                                       # finished studies are not sent anywhere
            for k in list(studies):
                if cache.has(studies[k]):
                    seconds[k] = 0.0
                    precached.add(k)
            for fid in list(waiting):
                waiting[fid] -= set(seconds)
                if not waiting[fid]:
                    finish(fid)
                    del waiting[fid]
        cost = {}
        for fid, plan in plans.items():
            for k in plan.values():
                cost[k] = max(cost.get(k, 0.0), DECLARED[fid].quick_seconds / max(1, len(plan)))
        todo = sorted((k for k in studies if k not in seconds), key=lambda k: -cost[k])
        with make_executor(executor, jobs=jobs, scheduler=scheduler) as pool:
            for j, outcome in map_unordered(_compute_study, [(studies[k], root) for k in todo], pool):
                k = todo[j]
                if isinstance(outcome, BaseException):
                    failed[k] = f"{type(outcome).__name__}: {outcome}"
                else:
                    seconds[k] = 0.0 if outcome.cached else outcome.seconds
                    if not use_cache:
                        cache.results[k] = outcome
                for fid in list(waiting):
                    waiting[fid].discard(k)
                    if not waiting[fid]:
                        finish(fid)
                        del waiting[fid]
    except KeyboardInterrupt:
        raise Interrupted([done[f] for f in ids if f in done]) from None
    return [done[fid] for fid in ids]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=MODES, default="quick", help="settings (default: quick, CPU-sized)")
    ap.add_argument("--only", nargs="+", choices=FIGURES, metavar="ID", help=f"figure ids: {', '.join(FIGURES)}")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default paper_figs/out/<mode>)")
    ap.add_argument("--no-cache", action="store_true", help="recompute every run")
    ap.add_argument("--jobs", type=int, default=default_jobs(),
                    help="worker processes (default: CPUs, at most 4; 1 = everything in this process)")
    ap.add_argument("--executor", choices=("local", "dask"), default="local",
                    help="a local process pool (default) or Dask distributed (with --scheduler, a cluster)")
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786")
    args = ap.parse_args(argv)
    out = args.out or ROOT / "paper_figs" / "out" / args.mode
    ids = args.only or list(FIGURES)
    t0 = time.perf_counter()
    print(f"making {len(ids)} figures ({args.mode} mode, {args.jobs} parallel) into {out}", flush=True)
    try:
        results = run_figures(ids, args.mode, out, use_cache=not args.no_cache, jobs=args.jobs,
                              executor=args.executor, scheduler=args.scheduler)
    except Interrupted as stop:
        finished = stop.results
        missing = [f for f in ids if f not in {r.figure_id for r in finished}]
        _, mpath = write_report(finished, out, args.mode, time.perf_counter() - t0, partial=True, missing=missing)
        print(f"\ninterrupted: {len(finished)} of {len(ids)} figures finished; partial report: {mpath}\n"
              "a rerun recomputes only what is not in the cache", flush=True)
        return 130
    total = time.perf_counter() - t0
    jpath, mpath = write_report(results, out, args.mode, total)
    n_ok = sum(r.passed for r in results)
    print(f"\n{n_ok}/{len(results)} figures pass; {total:.1f} s wall, {sum(r.seconds for r in results):.1f} s "
          f"of figure time. Report: {mpath}")
    if args.mode == "smoke":
        # a wiring check: every figure ran and every number is finite; the rows are not expected to pass
        wired = all(not r.error and finite_rows(r.agreements) for r in results)
        print("smoke mode is a wiring check: " + ("every figure ran with finite numbers" if wired else
                                                  "some figure failed to run or gave a non-finite number"))
        return 0 if wired else 1
    return 0 if n_ok == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
