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
    "check_fields",
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


# ----------------------------------------------------------------------------- dataclass fields by annotation
def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def _coerce(name: str, value: Any, tp: Any) -> Any:
    """``value`` checked against the annotation ``tp`` (and normalised: ints to float, lists to tuples)."""
    import dataclasses
    import types
    import typing

    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any or tp is object:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(name, value, a)
            except (TypeError, ValueError) as e:
                errors.append(str(e))
        raise TypeError(f"{name} must be {' or '.join(_type_name(a) for a in args)}, got {value!r}")
    if origin is typing.Literal:
        if value not in args:
            raise ValueError(f"{name} must be one of {args}, got {value!r}")
        return value
    if tp is float:
        if not _is_number(value):
            raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
        if np.isnan(value):
            raise ValueError(f"{name} must not be NaN")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
        return int(value)
    if tp is bool:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {value!r}")
        return bool(value)
    if tp is str:
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, got {type(value).__name__} {value!r}")
        return value
    if origin is tuple:
        if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list, np.ndarray)):
            raise TypeError(f"{name} must be a tuple, got {type(value).__name__} {value!r}")
        items = list(value)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(f"{name}[{i}]", v, args[0]) for i, v in enumerate(items))
        if args and len(args) != len(items):
            raise ValueError(f"{name} must have {len(args)} entries, got {len(items)}")
        return tuple(_coerce(f"{name}[{i}]", v, a) for i, (v, a) in enumerate(zip(items, args))) if args else tuple(items)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, tp):
            raise TypeError(f"{name} must be a {tp.__name__}, got {type(value).__name__}")
        return value
    if isinstance(tp, type):
        if not isinstance(value, tp):
            raise TypeError(f"{name} must be a {tp.__name__}, got {type(value).__name__}")
        return value
    return value


def check_fields(obj: Any) -> None:
    """Check (and normalise in place) every field of the frozen dataclass ``obj`` against its annotation.

    Numbers must be numbers (no strings, no bools for ints), floats are
    stored as ``float``, sequences for ``tuple[...]`` fields as tuples, nested
    configs must be instances of their class; a mismatch raises ``TypeError``
    (or ``ValueError`` for a wrong choice or length) naming the field.
    """
    import dataclasses
    import typing

    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        if f.name not in hints:
            continue
        value = getattr(obj, f.name)
        new = _coerce(f.name, value, hints[f.name])
        if new is not value:
            object.__setattr__(obj, f.name, new)
