"""The cache: keys, hits, atomic entries that no crash, full disk or second writer can corrupt."""
import errno
import multiprocessing
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from theorylab import Cache, Trajectory, config_hash
from theorylab.cache import CacheWarning
from theorylab.clock import Clock
from theorylab.studies.ridge import RidgeFlow


def _traj(v=2.0):
    return Trajectory([0.0, 1.0], {"x": np.array([1.0, v])}, {"k": "v"}, clock=Clock.gradient_flow())


def test_hash_is_order_independent_and_sensitive():
    assert config_hash({"a": 1, "b": (1, 2)}) == config_hash({"b": [1, 2], "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})
    with pytest.raises(TypeError, match="mapping"):
        config_hash([1, 2])


def test_hash_of_a_set_is_the_same_in_every_process():
    code = "from theorylab import config_hash; print(config_hash({'s': {'alpha', 'beta', 'gamma', 'delta'}}))"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in (1, 2, 3)}
    assert len(outs) == 1 and len(outs.pop().strip()) == 24


def test_get_or_compute_computes_once_and_hits_the_second_time(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return _traj()

    cache = Cache(tmp_path)
    a = cache.get_or_compute({"fig": "x", "n": 3}, compute)
    b = cache.get_or_compute({"n": 3, "fig": "x"}, compute)
    assert len(calls) == 1 and cache.hits == 1 and cache.misses == 1
    np.testing.assert_array_equal(a["x"], b["x"])
    assert b.clock == a.clock and b.meta == a.meta
    Cache(None).get_or_compute({"n": 3}, compute)
    assert len(calls) == 2


def test_a_list_of_trajectories_is_cached_as_one_entry(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return [_traj(float(i)) for i in range(3)]

    cache = Cache(tmp_path)
    a = cache.get_or_compute({"sweep": 1}, compute)
    b = cache.get_or_compute({"sweep": 1}, compute)
    assert len(calls) == 1 and cache.hits == 1 and len(b) == 3
    for ra, rb in zip(a, b):
        np.testing.assert_array_equal(ra["x"], rb["x"])
    with pytest.raises(TypeError, match="Trajectory"):
        cache.get_or_compute({"sweep": 2}, lambda: {"not": "a trajectory"})


def test_an_empty_root_is_refused():
    with pytest.raises(ValueError, match="root"):
        Cache("")


STUDY = RidgeFlow.example()


def _reference():
    return STUDY.run()


@pytest.mark.parametrize("step", ["mkstemp", "write", "fsync", "replace"])
@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError(errno.ENOSPC, "No space left on device")])
def test_a_write_interrupted_at_any_step_leaves_no_entry_and_the_next_run_is_correct(tmp_path, monkeypatch, step,
                                                                                     failure):
    import tempfile

    import theorylab.cache as cache_mod

    def boom(*a, **k):
        raise failure if isinstance(failure, OSError) else failure()

    targets = {"mkstemp": (tempfile, "mkstemp"), "fsync": (os, "fsync"), "replace": (os, "replace")}
    if step == "write":
        real_fdopen = os.fdopen

        class Torn:
            def __init__(self, f):
                self.f = f

            def write(self, blob):
                self.f.write(blob[: len(blob) // 2])            # half written, then the failure
                boom()

            def __getattr__(self, name):
                return getattr(self.f, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

        monkeypatch.setattr(cache_mod.os, "fdopen", lambda fd, mode: Torn(real_fdopen(fd, mode)))
    else:
        monkeypatch.setattr(*targets[step], boom)
    cache = Cache(tmp_path)
    if isinstance(failure, OSError):
        with pytest.warns(CacheWarning, match="cannot write"):
            got = cache.study(STUDY)                            # a full disk: computed, returned, not stored
        np.testing.assert_array_equal(got.experiment["w"], _reference().experiment["w"])
    else:
        with pytest.raises(KeyboardInterrupt):
            cache.study(STUDY)
    monkeypatch.undo()
    assert not list(tmp_path.glob("*.npz")), "no entry may appear from an interrupted write"
    assert not list(tmp_path.glob(".*.tmp")), "the temporary file is removed"
    fresh = Cache(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = fresh.study(STUDY)
    assert not res.cached
    np.testing.assert_array_equal(res.experiment["w"], _reference().experiment["w"])
    assert Cache(tmp_path).study(STUDY).cached


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage", "old format"])
def test_a_torn_or_foreign_entry_is_recomputed_with_a_warning(tmp_path, damage):
    cache = Cache(tmp_path)
    cache.study(STUDY)
    path = cache.path(STUDY.key())
    blob = path.read_bytes()
    if damage == "empty":
        path.write_bytes(b"")
    elif damage == "truncated":
        path.write_bytes(blob[: len(blob) // 3])
    elif damage == "garbage":
        path.write_bytes(os.urandom(len(blob)))
    else:
        np.savez(path, t=np.arange(3))                          # a file of an older layout under the same name
    with pytest.warns(CacheWarning, match="unreadable"):
        res = Cache(tmp_path).study(STUDY)
    assert not res.cached
    np.testing.assert_array_equal(res.experiment["w"], _reference().experiment["w"])
    assert Cache(tmp_path).study(STUDY).cached                 # and the entry is whole again


def test_an_unwritable_folder_falls_back_to_computing(tmp_path, monkeypatch):
    import tempfile

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    cache = Cache(tmp_path / "ro")
    with pytest.warns(CacheWarning, match="cannot write"):
        a = cache.study(STUDY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                          # warned once, not at every entry
        b = cache.study(STUDY)
    np.testing.assert_array_equal(a.experiment["w"], b.experiment["w"])


def _writer(root, n):
    cache = Cache(root)
    res = STUDY.run()
    for _ in range(n):
        cache._write(STUDY.key(), {"theory": res.theory, "experiment": res.experiment}, {"kind": "study"})


def test_two_writers_and_a_reader_never_see_a_torn_entry(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    writers = [ctx.Process(target=_writer, args=(str(tmp_path), 40)) for _ in range(2)]
    for w in writers:
        w.start()
    cache = Cache(tmp_path)
    reads = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")                          # an unreadable entry would warn
        while any(w.is_alive() for w in writers) or reads == 0:
            got = cache._read(STUDY.key())
            if got is not None:
                reads += 1
                np.testing.assert_array_equal(got[0]["experiment"]["w"], _reference().experiment["w"])
    for w in writers:
        w.join()
        assert w.exitcode == 0
    assert reads > 0
