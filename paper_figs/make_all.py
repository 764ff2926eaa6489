#!/usr/bin/env python3
"""Regenerate every paper figure and write the agreement report.

    python paper_figs/make_all.py [--mode smoke|quick|full] [--only ID ...] [--out DIR] [--no-cache] [--jobs N]

Writes one PNG per figure, ``report.json`` and ``report.md`` (one row per
agreement number: value, threshold, pass/fail; seconds per figure) to
``--out`` (default ``paper_figs/out/<mode>``).  Expensive runs are cached by
config hash under ``<out>/cache`` so a rerun only redraws.  Figures run in
a ``concurrent.futures`` process pool (``--jobs``, default: the number of
CPUs, at most 4), each worker with one torch thread; any executor with the
same interface (e.g. a Dask ``Client.get_executor()``) can be passed to
:func:`run_figures`.  Exit status is 1 if any gating agreement failed (in
smoke mode, a wiring check: if any figure failed to run or gave a non-finite
number), 0 otherwise.  Ctrl-C stops the workers within seconds, writes a
report of the finished figures marked partial and exits with 130; a rerun
reads every finished study from the cache.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from pathlib import Path

import matplotlib  # noqa: E402

matplotlib.use("Agg")                       # a batch job writes PNGs (spawned workers re-import this module)
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from theorylab import Cache  # noqa: E402
from theorylab.figures import MODES, FigureResult, discover, finite_rows  # noqa: E402
from theorylab.report import write_report  # noqa: E402

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


def _make_one(fid: str, mode: str, out: str, use_cache: bool, threads: int | None) -> FigureResult:
    """Make one figure (runs in a worker process); an exception becomes a failed result, not a lost report."""
    import traceback

    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    cache = Cache(Path(out) / "cache" if use_cache else None)
    t0 = time.perf_counter()
    try:
        res = DECLARED[fid].make(Path(out), mode=mode, cache=cache)
    except Exception as e:  # noqa: BLE001 - reported per figure; the other figures' report survives
        tb = traceback.format_exception_only(type(e), e)[-1].strip()
        res = FigureResult(fid, Path(out) / f"{fid}.png", [], "", mode, error=tb, family=DECLARED[fid].family)
    res.seconds = time.perf_counter() - t0
    return res


def _echo(i: int, n: int, res: FigureResult, echo) -> None:
    state = "ERROR" if res.error else ("ok" if res.passed else "FAILED")
    echo(f"[{i}/{n}] {res.figure_id} ({res.mode}) {state} in {res.seconds:.1f}s", flush=True)
    if res.error:
        echo(f"      {res.error}", flush=True)
    for a in res.agreements:
        echo(f"      {a}", flush=True)


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops them."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop_pool(executor: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (a figure in progress is abandoned)."""
    procs = list(getattr(executor, "_processes", {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()


def run_figures(ids, mode: str, out: Path, *, use_cache: bool = True, jobs: int = 1,
                executor: Executor | None = None, echo=print) -> list[FigureResult]:
    """Make the figures ``ids`` in ``mode``; returns their results in the order of ``ids``.

    ``jobs == 1`` and no ``executor``: in this process.  Otherwise figures are
    mapped over ``executor`` (default: a spawn-context process pool of
    ``jobs`` workers with one torch thread each).  Ctrl-C stops the workers and
    raises :class:`Interrupted` carrying the figures that finished.
    """
    out.mkdir(parents=True, exist_ok=True)
    done: dict[str, FigureResult] = {}
    if jobs <= 1 and executor is None:
        try:
            for i, fid in enumerate(ids, 1):
                res = _make_one(fid, mode, str(out), use_cache, None)
                done[fid] = res
                _echo(i, len(ids), res, echo)
        except KeyboardInterrupt:
            raise Interrupted([done[f] for f in ids if f in done]) from None
        return [done[fid] for fid in ids]
    # longest first, so the slow figures do not start last
    order = sorted(ids, key=lambda f: -DECLARED[f].quick_seconds)
    own = executor is None
    if own:
        executor = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_ignore_sigint)
    try:
        futures = {executor.submit(_make_one, fid, mode, str(out), use_cache, 1): fid for fid in order}
        for i, fut in enumerate(as_completed(futures), 1):
            res = done[futures[fut]] = fut.result()
            _echo(i, len(ids), res, echo)
    except KeyboardInterrupt:
        if own:
            _stop_pool(executor)
        raise Interrupted([done[f] for f in ids if f in done]) from None
    finally:
        if own:
            executor.shutdown(wait=False, cancel_futures=True)
    return [done[fid] for fid in ids]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=MODES, default="quick", help="settings (default: quick, CPU-sized)")
    ap.add_argument("--only", nargs="+", choices=FIGURES, metavar="ID", help=f"figure ids: {', '.join(FIGURES)}")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default paper_figs/out/<mode>)")
    ap.add_argument("--no-cache", action="store_true", help="recompute every run")
    ap.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                    help="figures made in parallel (default: CPUs, at most 4; 1 = in this process)")
    args = ap.parse_args(argv)
    out = args.out or ROOT / "paper_figs" / "out" / args.mode
    ids = args.only or list(FIGURES)
    t0 = time.perf_counter()
    print(f"making {len(ids)} figures ({args.mode} mode, {args.jobs} parallel) into {out}", flush=True)
    try:
        results = run_figures(ids, args.mode, out, use_cache=not args.no_cache, jobs=args.jobs)
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
