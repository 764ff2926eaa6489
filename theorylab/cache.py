"""Content-addressed on-disk cache for expensive runs.

A result is stored under the SHA-256 of a canonical JSON encoding of its key.
For a :class:`~theorylab.study.Study` the key is derived from the study
itself (:meth:`Study.key`: every field, the library version and a fingerprint
of its source), so a changed input or a changed line of library code can never
be served a stale result.

Entries are single ``.npz`` files written atomically (a temporary file in the
same folder, then ``os.replace``): an entry is complete or absent, whatever
kills the writer, and two writers of one key leave one complete entry.  A torn
or unreadable entry (a file from an older format, a disk that filled up) is
reported with a warning, removed and recomputed.  A cache folder that cannot be
written falls back to computing with a warning; the result is still returned.
A sweep interrupted half-way resumes where it stopped.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .clock import Clock
from .trajectory import Trajectory, _jsonable

__all__ = ["Cache", "CacheWarning", "config_hash"]

_FORMAT = 2


class CacheWarning(UserWarning):
    """A cache entry could not be read or written; the result was computed instead."""


def config_hash(key: Mapping[str, Any]) -> str:
    """Stable hex digest of a JSON-able mapping (key order does not matter)."""
    if not isinstance(key, Mapping):
        raise TypeError(f"key must be a mapping, got {type(key).__name__}")
    blob = json.dumps(_jsonable(key), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _pack(parts: Mapping[str, Trajectory | None], extra: Mapping[str, Any]) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    header: dict[str, Any] = {"format": _FORMAT, "parts": {}, **_jsonable(dict(extra))}
    for name, tr in parts.items():
        if tr is None:
            header["parts"][name] = None
            continue
        header["parts"][name] = {"names": tr.names, "n_seeds": tr.n_seeds, "meta": _jsonable(tr.meta),
                                 "clock": None if tr.clock is None else tr.clock.as_dict(),
                                 "static": list(tr.static)}
        arrays[f"{name}/t"] = tr.t
        for i, k in enumerate(tr.names):
            arrays[f"{name}/obs{i}"] = tr.obs[k]
        for i, k in enumerate(tr.static):
            arrays[f"{name}/static{i}"] = tr.static[k]
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _unpack(path: Path) -> tuple[dict[str, Trajectory | None], dict[str, Any]]:
    with np.load(path, allow_pickle=False) as z:
        header = json.loads(bytes(z["__header__"]).decode())
        if header.get("format") != _FORMAT:
            raise ValueError(f"cache entry format {header.get('format')!r}, expected {_FORMAT}")
        parts: dict[str, Trajectory | None] = {}
        for name, h in header["parts"].items():
            if h is None:
                parts[name] = None
                continue
            obs = {k: z[f"{name}/obs{i}"] for i, k in enumerate(h["names"])}
            static = {k: z[f"{name}/static{i}"] for i, k in enumerate(h.get("static", []))}
            parts[name] = Trajectory(z[f"{name}/t"], obs, h["meta"], h["n_seeds"], Clock.from_dict(h["clock"]),
                                     static)
    return parts, header


class Cache:
    """A folder of cached results keyed by config hash.

    ``Cache(None)`` is a disabled cache that always computes.  ``hits`` and
    ``misses`` count lookups; ``root`` must name a folder (``""`` is refused:
    it would cache into whatever the working directory is).
    """

    def __init__(self, root: str | Path | None):
        if root is not None and (not isinstance(root, (str, os.PathLike)) or str(root).strip() == ""):
            raise ValueError(f"root must be a folder path or None (disabled), got {root!r}")
        self.root = None if root is None else Path(root)
        self.hits = 0
        self.misses = 0
        self._warned_unwritable = False

    def __repr__(self) -> str:
        return f"Cache({str(self.root) if self.root else None!r}, hits={self.hits}, misses={self.misses})"

    def path(self, key: Mapping[str, Any]) -> Path:
        if self.root is None:
            raise ValueError("this cache is disabled")
        return self.root / f"{config_hash(key)}.npz"

    # -- low level ------------------------------------------------------------
    def _read(self, key: Mapping[str, Any]):
        if self.root is None:
            return None
        p = self.path(key)
        if not p.exists():
            return None
        try:
            return _unpack(p)
        except Exception as e:  # a torn, truncated or foreign file: recompute rather than crash
            warnings.warn(f"unreadable cache entry {p.name} ({type(e).__name__}: {e}); recomputing", CacheWarning,
                          stacklevel=3)
            try:
                p.unlink()
            except OSError:
                pass
            return None

    def _write(self, key: Mapping[str, Any], parts: Mapping[str, Trajectory | None], extra: Mapping[str, Any]) -> None:
        if self.root is None:
            return
        p = self.path(key)
        tmp = None
        try:
            blob = _pack(parts, {"key": key, **extra})
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{p.stem}.", suffix=".tmp", dir=p.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, p)                       # atomic: the entry is complete or absent
            tmp = None
        except OSError as e:
            if not self._warned_unwritable:
                warnings.warn(f"cannot write to the cache folder {self.root} ({e}); results are computed but not "
                              "stored", CacheWarning, stacklevel=3)
                self._warned_unwritable = True
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass

    # -- public ---------------------------------------------------------------
    def get_or_compute(self, key: Mapping[str, Any], compute: Callable[[], Any]):
        """Return the stored result for ``key``, computing and storing it if absent.

        The result is a :class:`Trajectory` or a list/tuple of them (a batched
        sweep stores its runs under one key and comes back as a list).
        """
        got = self._read(key)
        if got is not None:
            parts, header = got
            self.hits += 1
            if header.get("kind") == "list":
                return [parts[str(i)] for i in range(len(parts))]
            return parts["result"]
        self.misses += 1
        result = compute()
        if isinstance(result, Trajectory):
            self._write(key, {"result": result}, {"kind": "single"})
            return result
        if not (isinstance(result, (list, tuple)) and all(isinstance(r, Trajectory) for r in result)):
            raise TypeError(f"compute must return a Trajectory or a list of them, got {type(result).__name__}")
        self._write(key, {str(i): r for i, r in enumerate(result)}, {"kind": "list"})
        return list(result)

    def has(self, study) -> bool:
        """True if ``study``'s result is stored (and readable)."""
        return self._read(study.key()) is not None

    def study(self, study):
        """``study``'s :class:`~theorylab.study.StudyResult`, from the cache or computed and stored."""
        from .study import StudyResult

        key = study.key()
        got = self._read(key)
        if got is not None:
            parts, header = got
            self.hits += 1
            return StudyResult(study, parts["theory"], parts["experiment"], float(header.get("seconds", 0.0)),
                               cached=True)
        self.misses += 1
        from .study import ACTIVE_CACHE

        start = time.perf_counter()
        token = ACTIVE_CACHE.set(self)                       # studies it requires go through this cache too
        try:
            res = study.run(None)
        finally:
            ACTIVE_CACHE.reset(token)
        seconds = time.perf_counter() - start
        self._write(key, {"theory": res.theory, "experiment": res.experiment}, {"kind": "study", "seconds": seconds})
        return StudyResult(study, res.theory, res.experiment, seconds)
