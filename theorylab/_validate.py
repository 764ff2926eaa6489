"""Argument checks that fail early with a message naming the parameter.

Every public config and solver uses these so that bad input raises a
``ValueError`` when it is built, never a NaN three minutes later.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "check_positive",
    "check_nonnegative",
    "check_int",
    "check_choice",
    "check_finite",
    "check_shape",
]


def _arr(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=float)


def check_finite(name: str, value: Any) -> None:
    """Raise unless every entry of ``value`` is finite."""
    if not np.all(np.isfinite(_arr(value))):
        raise ValueError(f"{name} must be finite, got {value!r}")


def check_positive(name: str, value: Any, *, allow_inf: bool = False) -> None:
    """Raise unless every entry of ``value`` is > 0 (and finite unless ``allow_inf``)."""
    a = _arr(value)
    if a.size == 0 or np.any(np.isnan(a)) or np.any(a <= 0) or (not allow_inf and np.any(np.isinf(a))):
        raise ValueError(f"{name} must be > 0{'' if allow_inf else ' and finite'}, got {value!r}")


def check_nonnegative(name: str, value: Any, *, allow_inf: bool = False) -> None:
    """Raise unless every entry of ``value`` is >= 0."""
    a = _arr(value)
    if np.any(np.isnan(a)) or np.any(a < 0) or (not allow_inf and np.any(np.isinf(a))):
        raise ValueError(f"{name} must be >= 0{'' if allow_inf else ' and finite'}, got {value!r}")


def check_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Raise unless ``value`` is an integer >= ``minimum``; return it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> None:
    """Raise unless ``value`` is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def check_shape(name: str, array: Any, shape: tuple[int | None, ...]) -> None:
    """Raise unless ``array`` has ``len(shape)`` axes matching ``shape`` (None = any)."""
    got = np.shape(array)
    if len(got) != len(shape) or any(s is not None and g != s for g, s in zip(got, shape)):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have shape {want}, got {got}")
