"""Where independent work runs: in this process, a local process pool, or a Dask cluster.

Sweeps and the figure command map a function over independent items through
:func:`executor`, which yields a :class:`concurrent.futures.Executor`:

* ``"serial"``: in this process (for debugging; one item at a time);
* ``"local"`` (default): a spawn-context process pool, one intra-op thread per
  worker (:mod:`theorylab.threads`), workers that ignore Ctrl-C so the parent
  can stop them cleanly;
* ``"dask"``: `Dask distributed <https://distributed.dask.org>`_, either a
  ``LocalCluster`` of ``jobs`` single-threaded worker processes or the scheduler
  at ``scheduler`` (``"tcp://host:8786"``) for a real cluster.  Items and their
  results travel by pickle, so a study class must be importable on the workers
  (define it in a module, not in a notebook cell), and a cache folder must be
  on a file system every worker can reach.

:func:`map_unordered` submits every item and yields ``(index, outcome)`` as
items finish; an exception is returned as the outcome (the other items go on);
Ctrl-C cancels what has not started and ends a local pool's workers.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

from ._validate import check_choice, check_int

__all__ = ["EXECUTORS", "executor", "map_unordered", "default_jobs"]

EXECUTORS = ("serial", "local", "dask")


def default_jobs() -> int:
    """Worker processes by default: the CPUs this process may use, at most 4."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:                                  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(4, n))


def _worker_init() -> None:
    import signal

    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)        # the parent stops the pool on Ctrl-C
    except ValueError:                                      # not the main thread (a Dask worker): nothing to do
        pass
    os.environ.setdefault("THEORYLAB_THREADS", "1")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:                                     # pragma: no cover - torch is a dependency
        pass


class _Serial(Executor):
    """Runs each submission at once in this process."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as e:  # noqa: BLE001 - delivered through the future
            fut.set_exception(e)
        return fut


def _stop_local(pool: ProcessPoolExecutor) -> None:
    procs = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()


@contextmanager
def executor(kind: str = "local", *, jobs: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """An executor of ``kind`` (see the module docstring), shut down on exit (and on Ctrl-C, at once)."""
    check_choice("kind", kind, EXECUTORS)
    jobs = default_jobs() if jobs is None else check_int("jobs", jobs)
    if scheduler is not None and kind != "dask":
        raise ValueError(f"scheduler is only used with kind='dask', got kind={kind!r}")
    if kind == "serial":
        yield _Serial()
        return
    if kind == "local":
        import multiprocessing

        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_init)
        try:
            yield pool
        except BaseException:
            _stop_local(pool)
            raise
        pool.shutdown(wait=True)
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        raise ImportError("kind='dask' needs Dask distributed: pip install 'theorylab[dask]'") from e
    if scheduler is not None:
        with Client(scheduler) as client:
            client.run(_worker_init)
            yield client.get_executor()
        return
    with LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(_worker_init)
        yield client.get_executor()


def map_unordered(fn: Callable[[Any], Any], items: Sequence[Any], pool: Executor) -> Iterator[tuple[int, Any]]:
    """Submit ``fn(item)`` for every item; yield ``(index, result or exception)`` as each finishes."""
    futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
    try:
        for fut in as_completed(futures):
            try:
                yield futures[fut], fut.result()
            except Exception as e:  # noqa: BLE001 - one failed item does not stop the others
                yield futures[fut], e
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
