"""Content-addressed on-disk cache for expensive runs.

A result is stored under the SHA-256 of a canonical JSON encoding of its key
(a dict of configuration values, plus a ``salt`` that a caller bumps when the
code that produces the result changes).  A sweep interrupted half-way resumes
where it stopped: finished keys are read back instead of recomputed.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .trajectory import Trajectory, _jsonable

__all__ = ["Cache", "config_hash", "run_key"]


def config_hash(key: Mapping[str, Any]) -> str:
    """Stable hex digest of a JSON-able mapping (key order does not matter)."""
    blob = json.dumps(_jsonable(key), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def run_key(figure: str, version: int, settings: Mapping[str, Any], **run: Any) -> dict[str, Any]:
    """Cache key of one run of a figure: its id, a code version, its settings and the run's own values.

    A run value whose name is also a setting raises ``ValueError``: silently
    letting one overwrite the other makes different runs share a cache entry.
    """
    clash = sorted(set(run) & set(settings))
    if clash:
        raise ValueError(f"run keys {clash} also name settings; rename them (e.g. 'run_{clash[0]}')")
    return {"figure": figure, "v": version, "settings": dict(settings), "run": run}


class Cache:
    """Directory of cached :class:`Trajectory` results keyed by config hash.

    ``Cache(None)`` is a disabled cache that always computes.
    """

    def __init__(self, root: str | Path | None):
        self.root = None if root is None else Path(root)
        self.hits = 0
        self.misses = 0

    def path(self, key: Mapping[str, Any]) -> Path:
        if self.root is None:
            raise ValueError("this cache is disabled")
        return self.root / f"{config_hash(key)}.npz"

    def get_or_compute(self, key: Mapping[str, Any], compute: Callable[[], Any]):
        """Return the stored result for ``key``, computing and storing it if absent.

        The result is a :class:`Trajectory` or a list/tuple of them (a batched
        sweep stores its runs under one key and comes back as a list).
        """
        if self.root is None:
            self.misses += 1
            return compute()
        p = self.path(key)
        many = p.with_suffix(".list.json")
        if p.exists() and p.with_suffix(".json").exists():
            self.hits += 1
            return Trajectory.load(p)
        if many.exists():
            n = json.loads(many.read_text())["n"]
            parts = [p.with_name(f"{p.stem}-{i}.npz") for i in range(n)]
            if all(q.exists() for q in parts):
                self.hits += 1
                return [Trajectory.load(q) for q in parts]
        self.misses += 1
        result = compute()
        if isinstance(result, Trajectory):
            result.save(p)
            return result
        if not (isinstance(result, (list, tuple)) and all(isinstance(r, Trajectory) for r in result)):
            raise TypeError(f"compute must return a Trajectory or a list of them, got {type(result).__name__}")
        for i, r in enumerate(result):
            r.save(p.with_name(f"{p.stem}-{i}.npz"))
        many.write_text(json.dumps({"n": len(result)}))      # written last: marks the entry complete
        return list(result)
