"""Thread policy: one intra-op thread for small-tensor work, cores spent on processes.

torch and the BLAS behind numpy start one thread per core.  On the small
tensors of most studies (ensembles of small networks, order-parameter maps,
particle solvers) that makes a busy machine 10-70x slower: the threads spin
and wait for each other instead of computing.  theorylab therefore runs every
study with ``THEORYLAB_THREADS`` intra-op threads (default 1) for torch and, via
`threadpoolctl <https://github.com/joblib/threadpoolctl>`_, for OpenBLAS/MKL and
OpenMP, and parallelises over independent studies and figures with processes
(the figure command's pool, sweeps).  Set ``THEORYLAB_THREADS=0`` to leave the
libraries' own defaults alone (large single runs on a many-core CPU).
"""
from __future__ import annotations

import os
from contextlib import contextmanager

__all__ = ["study_threads", "limited", "for_work", "SMALL_WORK"]

#: Below this many multiply-adds per step, one thread beats several (the threads only wait for each other).
SMALL_WORK = 1 << 22


def study_threads() -> int | None:
    """Intra-op threads for a study: ``THEORYLAB_THREADS`` (default 1; 0 means "library default")."""
    raw = os.environ.get("THEORYLAB_THREADS", "1").strip()
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"THEORYLAB_THREADS must be an integer >= 0, got {raw!r}") from None
    if n < 0:
        raise ValueError(f"THEORYLAB_THREADS must be an integer >= 0, got {n}")
    return n or None


def for_work(size: int) -> int | None:
    """Threads for a loop doing about ``size`` multiply-adds per step.

    ``THEORYLAB_THREADS`` when set; otherwise 1 for small work (``size <= SMALL_WORK``)
    and the libraries' defaults (None) for large work.
    """
    if os.environ.get("THEORYLAB_THREADS", "").strip():
        return study_threads()
    return 1 if size <= SMALL_WORK else None


@contextmanager
def limited(n: int | None):
    """Within the block, torch and the native thread pools use at most ``n`` threads (None: unchanged).

    The previous settings are restored afterwards, so library code can use it
    without changing the caller's configuration.
    """
    if n is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        torch.set_num_threads(before)
