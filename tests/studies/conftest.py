"""The contract every registered study keeps, as a fixture the family tests call on their studies."""
import dataclasses
import time

import numpy as np
import pytest

from theorylab.clock import Clock


def _variants(value, choices=()):
    """Candidate replacements for a field value, tried in order until one is valid."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value + 2, value - 1, 2 * value, value // 2]
    if isinstance(value, float):
        return [value * 1.5, value * 0.5, value + 0.1]
    if isinstance(value, str):
        return [c for c in choices if c != value]
    if isinstance(value, tuple):
        out = [value + value[-1:], value[:-1]] if value else []
        if value and dataclasses.is_dataclass(value[0]):
            out += [(v,) + value[1:] for v in _variants(value[0])]
        return out
    if dataclasses.is_dataclass(value):
        out = []
        for f in dataclasses.fields(value):
            for v in _variants(getattr(value, f.name)):
                try:
                    out.append(dataclasses.replace(value, **{f.name: v}))
                    break
                except (TypeError, ValueError):
                    continue
        return out
    return []


def _same(a, b) -> None:
    if a is None or b is None:
        assert a is None and b is None
        return
    np.testing.assert_array_equal(a.t, b.t)
    assert a.names == b.names and a.clock == b.clock
    for k in a.names:
        np.testing.assert_array_equal(a[k], b[k])


@pytest.fixture
def study_contract():
    """``check(cls, choices={field: alternatives})``: example fast and deterministic, clocks set, key complete."""

    def check(cls, choices=None):
        choices = choices or {}
        ex = cls.example()
        start = time.perf_counter()
        first = ex.run()
        assert time.perf_counter() - start < 2.0, f"{cls.__name__}.example() must run in well under 2 s"
        second = ex.run()
        assert first.theory is not None or first.experiment is not None
        for tr in (first.theory, first.experiment):
            assert tr is None or isinstance(tr.clock, Clock), f"{cls.__name__} returned a trajectory without a clock"
        _same(first.theory, second.theory)
        _same(first.experiment, second.experiment)
        key = ex.key()
        for f in dataclasses.fields(ex):
            for v in _variants(getattr(ex, f.name), choices.get(f.name, ())):
                try:
                    other = ex.replace(**{f.name: v})
                except (TypeError, ValueError):
                    continue
                assert other.key() != key, f"changing {cls.__name__}.{f.name} must change the cache key"
                break
            else:
                raise AssertionError(f"no valid change of {cls.__name__}.{f.name} found to test the key")
        assert ex.replace().key() == key

    return check
