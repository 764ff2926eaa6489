r"""``Study``: one theory-versus-experiment unit on one clock, cached by all of its inputs.

A study is a frozen, validated dataclass that pairs a task, a finite network
(or an ensemble of seeds) and its theory.  :meth:`Study.experiment` trains the
network and :meth:`Study.theory` solves the theory; both return a
:class:`~theorylab.Trajectory` with the same names for the same observables,
on compatible clocks.  Either may be absent (a theory-only or experiment-only
study returns ``None`` from the other and says so in its docstring).

The cache key (:meth:`Study.key`) is derived from the study itself: its class,
every field (recursively through nested configs; arrays by content hash), the
library version, a fingerprint of the library's source code and of the module
that defines the study, and the numpy/torch versions.  No input can escape it:
a module constant read inside ``experiment`` is either a field or part of the
source that is fingerprinted, and a code change invalidates old entries.

Studies live in ``theorylab/studies/<family>.py``; every subclass is
registered (:data:`REGISTRY`) so the contract tests run over all of them.  A
subclass provides :meth:`Study.example`, a small valid instance for those tests.
"""
from __future__ import annotations

import contextvars
import dataclasses
import enum
import functools
import hashlib
import inspect
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ._validate import check_fields
from .trajectory import Trajectory

__all__ = ["Study", "StudyResult", "REGISTRY", "study_key", "canonical", "source_fingerprint"]

#: Every concrete Study subclass, by ``module.QualName``.
REGISTRY: dict[str, type["Study"]] = {}

#: The cache a study is being computed through (so :meth:`Study.require` uses it too).
ACTIVE_CACHE: contextvars.ContextVar = contextvars.ContextVar("theorylab_active_cache", default=None)
_MEMO: dict[str, "StudyResult"] = {}
_MEMO_SIZE = 8


def canonical(obj: Any) -> Any:
    """A JSON-able, exact, order-independent encoding of a study field.

    Dataclasses are encoded with their class name and every field; arrays by
    dtype, shape and a SHA-256 of their bytes; floats exactly (``repr``
    round-trips).  Anything else (a function, a model object) is refused: a
    study field must be data, or a change to it could not reach the key.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {"__class__": f"{type(obj).__module__}.{type(obj).__qualname__}",
                **{f.name: canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj)}}
    if isinstance(obj, enum.Enum):
        return f"{type(obj).__qualname__}.{obj.name}"
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if np.isfinite(f) else repr(f)
    if isinstance(obj, np.ndarray):
        a = np.ascontiguousarray(obj)
        return {"__ndarray__": str(a.dtype), "shape": list(a.shape), "sha256": hashlib.sha256(a.tobytes()).hexdigest()}
    if isinstance(obj, (tuple, list)):
        return [canonical(v) for v in obj]
    if isinstance(obj, Mapping):
        return {str(k): canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (set, frozenset)):
        return sorted((canonical(v) for v in obj), key=lambda v: json.dumps(v, sort_keys=True))
    if hasattr(obj, "cache_key") and callable(obj.cache_key):
        return {"__class__": f"{type(obj).__module__}.{type(obj).__qualname__}", "key": canonical(obj.cache_key())}
    raise TypeError(f"cannot derive a cache key from a {type(obj).__name__}: study fields must be numbers, strings, "
                    "tuples, arrays or dataclasses (or define cache_key())")


def _hash_files(paths) -> str:
    h = hashlib.sha256()
    for p in sorted(set(paths)):
        h.update(str(p.name).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _library_source_hash() -> str:
    import importlib.util

    files = []
    for pkg in ("theorylab", "theorylab.tasks", "theorylab.solvers"):
        spec = importlib.util.find_spec(pkg)          # locates the package without importing it
        for root in (spec.submodule_search_locations or []) if spec else []:
            files += [p for p in Path(root).rglob("*.py") if "__pycache__" not in p.parts]
    return _hash_files(files)


@functools.lru_cache(maxsize=None)
def _module_source_hash(module: str) -> str:
    import sys

    mod = sys.modules.get(module)
    try:
        path = inspect.getsourcefile(mod) if mod is not None else None
    except TypeError:
        path = None
    if path is None:
        return "no-source"
    return _hash_files([Path(path)])


def source_fingerprint(cls: type | None = None) -> dict[str, str]:
    """Hashes of the library's source (theorylab, its tasks and solvers) and of ``cls``'s module.

    Any edit to library code changes the first; a study defined outside the
    library (a notebook, a user's script) is covered by the second.
    """
    import torch

    import theorylab

    out = {"theorylab": theorylab.__version__, "source": _library_source_hash(), "numpy": np.__version__,
           "torch": torch.__version__}
    if cls is not None:
        out["module"] = _module_source_hash(cls.__module__)
    return out


def study_key(study: "Study") -> dict[str, Any]:
    """The cache key of ``study``: class, every field, versions and source fingerprints."""
    cls = type(study)
    return {"study": f"{cls.__module__}.{cls.__qualname__}", "fields": canonical(study),
            "code": source_fingerprint(cls)}


@dataclass(frozen=True, eq=False)
class StudyResult:
    """The outcome of a study: its theory and experiment trajectories (either may be None)."""

    study: "Study"
    theory: Trajectory | None
    experiment: Trajectory | None
    seconds: float = 0.0
    cached: bool = False

    def __repr__(self) -> str:
        return (f"StudyResult({type(self.study).__name__}, theory={self.theory!r}, experiment={self.experiment!r}, "
                f"{'cached' if self.cached else f'{self.seconds:.1f} s'})")


class Study:
    """Base class of studies.  Subclasses are ``@dataclass(frozen=True)``.

    Override :meth:`theory` and/or :meth:`experiment` (returning
    :class:`~theorylab.Trajectory`), :meth:`validate` for range checks (types
    are checked from the annotations before it runs) and :meth:`example`.
    """

    #: the paper family (a short name, e.g. "deep_linear"); set by each family module.
    family: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not inspect.isabstract(cls) and not cls.__name__.startswith("_"):
            REGISTRY[f"{cls.__module__}.{cls.__qualname__}"] = cls

    def __post_init__(self) -> None:
        if not dataclasses.is_dataclass(self):
            raise TypeError(f"{type(self).__name__} must be a frozen dataclass")
        check_fields(self)
        self.validate()

    # -- to override --------------------------------------------------------
    def validate(self) -> None:
        """Range checks of the fields; raise ``ValueError`` naming the field."""

    def theory(self) -> Trajectory | None:
        """The theory's trajectory (``None``: an experiment-only study)."""
        return None

    def experiment(self) -> Trajectory | None:
        """The trained network's trajectory (``None``: a theory-only study)."""
        return None

    @classmethod
    def example(cls) -> "Study":
        """A small valid instance (seconds to run), used by the contract tests."""
        raise NotImplementedError(f"{cls.__name__} must define example()")

    # -- provided -----------------------------------------------------------
    def key(self) -> dict[str, Any]:
        """The cache key (see :func:`study_key`)."""
        return study_key(self)

    def require(self, other: "Study") -> "StudyResult":
        """The result of another study this one builds on (a trained model, a shared run).

        Inside :meth:`theory` or :meth:`experiment`: ``other`` is computed once and read
        from the cache this study runs through (or, without one, from a small in-process
        memo), so sibling studies share it instead of recomputing it.  ``other`` must be
        built from this study's fields, so this study's key covers it.
        """
        if not isinstance(other, Study):
            raise TypeError(f"other must be a Study, got {type(other).__name__}")
        cache = ACTIVE_CACHE.get()
        if cache is not None and cache.root is not None:
            return cache.study(other)
        from .cache import config_hash

        k = config_hash(other.key())
        if k not in _MEMO:
            if len(_MEMO) >= _MEMO_SIZE:
                _MEMO.pop(next(iter(_MEMO)))
            _MEMO[k] = other.run()
        return _MEMO[k]

    def replace(self, **changes: Any) -> "Study":
        """A copy with ``changes`` applied (validated like a new study)."""
        return dataclasses.replace(self, **changes)

    def run(self, cache=None) -> StudyResult:
        """Theory and experiment, read from ``cache`` (a :class:`~theorylab.Cache`) when present.

        Computation runs under theorylab's thread policy (:mod:`theorylab.threads`).
        """
        from .threads import limited, study_threads

        if cache is not None:
            return cache.study(self)
        start = time.perf_counter()
        with limited(study_threads()):           # small tensors: one intra-op thread (theorylab.threads)
            th = self.theory()
            ex = self.experiment()
        for which, tr in (("theory", th), ("experiment", ex)):
            if tr is not None and not isinstance(tr, Trajectory):
                raise TypeError(f"{type(self).__name__}.{which}() must return a Trajectory or None, "
                                f"got {type(tr).__name__}")
        return StudyResult(self, th, ex, time.perf_counter() - start)
