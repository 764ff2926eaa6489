"""Contracts every registered study keeps: validated fields, determinism, clocks, a key that misses nothing.

The studies are found in the registry (every module of ``theorylab/studies`` is
imported), so a new study is covered without editing this file.
"""
import copy
import dataclasses
import importlib
import sys
import textwrap

import numpy as np
import pytest
import torch

from theorylab import Cache
from theorylab.study import Study, canonical, study_key
from theorylab.studies import registered_studies

STUDIES = registered_studies()


def _mutated(value):
    """A different value of the same kind (validation is bypassed by the caller)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 1.5 + 0.125
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return 0
    if isinstance(value, tuple):
        return (_mutated(value[0]),) + value[1:] if value else (0,)
    if isinstance(value, np.ndarray):
        out = value.copy()
        out.flat[0] = out.flat[0] + 1
        return out
    if dataclasses.is_dataclass(value):
        f = dataclasses.fields(value)[0]
        new = copy.copy(value)
        object.__setattr__(new, f.name, _mutated(getattr(value, f.name)))
        return new
    raise TypeError(f"no mutation for {type(value).__name__}")


def _leaves(obj, prefix=""):
    """(path, value) of every field, recursing into nested dataclasses and tuples of them."""
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        path = f"{prefix}{f.name}"
        yield path, v
        if dataclasses.is_dataclass(v):
            yield from _leaves(v, path + ".")


def _set(obj, path, value):
    head, _, rest = path.partition(".")
    new = copy.copy(obj)
    object.__setattr__(new, head, _set(getattr(obj, head), rest, value) if rest else value)
    return new


def test_every_family_registers_studies():
    assert STUDIES, "no study registered"
    for name, cls in STUDIES.items():
        assert issubclass(cls, Study) and dataclasses.is_dataclass(cls), name
        assert cls.__dataclass_params__.frozen, f"{name} must be a frozen dataclass"
        assert cls.family, f"{name} must name its family"
        assert cls.__doc__ and len(cls.__doc__) > 80, f"{name} needs a docstring: what is trained, solved, observed"


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_key_changes_when_any_field_changes(name):
    study = STUDIES[name].example()
    key = study_key(study)
    assert key == study.key() == study_key(copy.copy(study))          # a pure function of the study
    for path, value in _leaves(study):
        other = _set(study, path, _mutated(value))
        assert study_key(other) != key, f"{name}.{path} does not reach the cache key"


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_fields_are_validated_by_type(name):
    study = STUDIES[name].example()
    for f in dataclasses.fields(study):
        value = getattr(study, f.name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        with pytest.raises((TypeError, ValueError), match=f.name):
            dataclasses.replace(study, **{f.name: str(value)})         # a numeric string is not a number
        if isinstance(value, int):
            with pytest.raises((TypeError, ValueError), match=f.name):
                dataclasses.replace(study, **{f.name: True})           # nor is a bool an integer


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_example_is_deterministic_sets_clocks_and_leaves_global_rng_alone(name, tmp_path):
    study = STUDIES[name].example()
    np_state = np.random.get_state()[1].copy()
    torch_state = torch.random.get_rng_state().clone()
    a = study.run()
    b = study.run()
    assert np.array_equal(np.random.get_state()[1], np_state), "the global numpy RNG was touched"
    assert torch.equal(torch.random.get_rng_state(), torch_state), "the global torch RNG was touched"
    assert a.theory is not None or a.experiment is not None
    for which in ("theory", "experiment"):
        ta, tb = getattr(a, which), getattr(b, which)
        if ta is None:
            assert tb is None
            continue
        assert ta.clock is not None, f"{name}.{which}() returned a trajectory without a clock"
        assert ta.clock == tb.clock and ta.names == tb.names
        np.testing.assert_array_equal(ta.t, tb.t)
        for k in ta.names:
            np.testing.assert_array_equal(ta[k], tb[k], err_msg=f"{name}.{which}()[{k!r}] differs between runs")
    if a.theory is not None and a.experiment is not None:
        assert set(a.theory.names) & set(a.experiment.names), "theory and experiment share no observable name"
        assert a.theory.clock.compatible(a.experiment.clock), "theory and experiment are on different clocks"
    cache = Cache(tmp_path)
    first = cache.study(study)
    hits, misses = cache.hits, cache.misses                  # (a study it requires adds its own lookups)
    again = cache.study(study)
    assert not first.cached and again.cached and (cache.hits, cache.misses) == (hits + 1, misses)
    for which in ("theory", "experiment"):
        ta, tc = getattr(a, which), getattr(again, which)
        if ta is not None:
            assert tc.clock == ta.clock and tc.n_seeds == ta.n_seeds
            for k in ta.names:
                np.testing.assert_array_equal(tc[k], ta[k])


def test_canonical_encoding_is_exact_and_refuses_what_it_cannot_key():
    assert canonical(0.1) != canonical(0.1 + 1e-17 + 2e-17)
    assert canonical((1, 2.0)) == [1, 2.0]
    a = np.arange(6.0).reshape(2, 3)
    assert canonical(a) != canonical(a.T) and canonical(a) == canonical(a.copy())
    with pytest.raises(TypeError, match="cache key"):
        canonical(lambda x: x)


def test_a_constant_in_a_study_module_outside_the_library_reaches_the_key(tmp_path, monkeypatch):
    """A user's study (a script, a notebook module): editing its module changes the key."""
    from theorylab import study as study_mod

    src = textwrap.dedent('''
        from dataclasses import dataclass
        from theorylab.study import Study
        SCALE = {scale}

        @dataclass(frozen=True)
        class _UserStudy(Study):
            family = "user"
            n: int = 3
            def theory(self):
                return None
    ''')
    monkeypatch.syspath_prepend(str(tmp_path))
    keys = []
    for scale in (1.0, 2.0):
        (tmp_path / "user_study_mod.py").write_text(src.format(scale=scale))
        sys.modules.pop("user_study_mod", None)
        study_mod._module_source_hash.cache_clear()
        mod = importlib.import_module("user_study_mod")
        keys.append(study_key(mod._UserStudy()))
    assert keys[0]["fields"] == keys[1]["fields"] and keys[0] != keys[1]


def test_library_fingerprint_covers_every_source_file():
    import importlib.util
    from pathlib import Path

    from theorylab import study as study_mod

    files = []
    for pkg in ("theorylab", "theorylab.tasks", "theorylab.solvers"):
        for root in importlib.util.find_spec(pkg).submodule_search_locations:
            files += list(Path(root).rglob("*.py"))
    assert len(files) > 40
    assert study_mod._hash_files(files) == study_mod._library_source_hash()


def test_a_required_study_is_computed_once_and_shared_through_the_cache(tmp_path):
    from dataclasses import dataclass

    from theorylab.clock import Clock
    from theorylab.trajectory import Trajectory

    calls = []

    @dataclass(frozen=True)
    class _Base(Study):
        family = "test"
        n: int = 3

        def theory(self):
            calls.append(self.n)
            return Trajectory([0.0], {"x": np.array([float(self.n)])}, clock=Clock.discrete("probe"),
                              static={"weights": np.arange(self.n, dtype=float)})

    @dataclass(frozen=True)
    class _Probe(Study):
        family = "test"
        n: int = 3
        scale: float = 1.0

        def theory(self):
            w = self.require(_Base(self.n)).theory.static["weights"]
            return Trajectory([0.0], {"y": np.array([self.scale * w.sum()])}, clock=Clock.discrete("probe"))

    cache = Cache(tmp_path)
    a = cache.study(_Probe(4, 1.0))
    b = cache.study(_Probe(4, 2.0))                    # a sibling: the base is read, not recomputed
    assert calls == [4] and b.theory["y"][0] == 2 * a.theory["y"][0] == 12.0
    assert Cache(tmp_path).study(_Base(4)).cached
    _Probe(5).run()
    _Probe(5, 3.0).run()                               # no cache: the in-process memo shares it
    assert calls == [4, 5]
