"""Sweeps: labelled results over any study's fields, cached per point, on a local pool or Dask, resumable."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from theorylab.paper_figs.cli import main as cli
from theorylab.studies.deep_linear import SaxeModes
from theorylab.studies.ridge import RidgeFlow
from theorylab.sweep import replace_path, sweep
from theorylab.tasks.ridge_regression import RidgeTaskConfig

BASE = SaxeModes.example()


def test_a_2d_grid_is_labelled_by_its_fields_and_matches_single_runs():
    res = sweep(BASE, {"u0": [1e-3, 1e-2], "lr": [5e-3, 1e-2]}, executor="serial")
    ds = res.dataset()
    assert ds["experiment_u"].dims[:2] == ("u0", "lr") and ds.sizes["u0"] == 2 and ds.sizes["lr"] == 2
    one = BASE.replace(u0=1e-2, lr=5e-3).run()
    np.testing.assert_array_equal(ds["experiment_u"].sel(u0=1e-2, lr=5e-3).values, one.experiment["u"][-1].mean(0))
    assert not res.failed


def test_nested_fields_points_and_validation_before_anything_runs():
    base = RidgeFlow.example()
    res = sweep(base, points=[{"task.d": 3, "lam": 0.0}, {"task.d": 6, "lam": 0.5}], executor="serial")
    ds = res.dataset()
    assert list(ds["task.d"].values) == [3, 6] and ds.sizes["point"] == 2
    assert res.results[1].study.task.d == 6
    with pytest.raises(ValueError, match="lam"):
        sweep(base, {"lam": [0.1, -1.0]}, executor="serial")            # refused before any point runs
    with pytest.raises(ValueError, match="no field 'lamb'"):
        replace_path(base, "lamb", 0.1)


def test_a_failing_point_is_reported_and_the_others_kept(monkeypatch):
    import theorylab.studies.ridge as ridge

    real = ridge.RidgeFlow.experiment

    def flaky(self):
        if self.lam == 0.5:
            raise RuntimeError("boom at lam=0.5")
        return real(self)

    monkeypatch.setattr(ridge.RidgeFlow, "experiment", flaky)
    res = sweep(RidgeFlow.example(), {"lam": [0.0, 0.5, 1.0]}, executor="serial")
    assert res.errors[1] == "RuntimeError: boom at lam=0.5" and res.results[0] is not None
    ds = res.dataset()
    assert np.isnan(ds["experiment_test_error"].sel(lam=0.5)) and np.isfinite(ds["experiment_test_error"].sel(lam=1.0))
    assert ds["error"].sel(lam=0.5).item().startswith("RuntimeError")


@pytest.mark.parametrize("kind", ["local", "dask"])
def test_local_pool_and_dask_give_the_serial_numbers_and_the_cache_resumes(kind, tmp_path):
    grid = {"lam": [0.0, 0.3], "lr": [0.02, 0.05]}
    base = RidgeFlow(task=RidgeTaskConfig(d=6, P=10), t_max=1.0, n_rec=5, seeds=2)
    serial = sweep(base, grid, executor="serial").dataset()
    res = sweep(base, grid, executor=kind, jobs=2, cache=tmp_path)
    assert res.cached == 0 and not res.failed
    again = sweep(base, grid, executor=kind, jobs=2, cache=tmp_path)
    assert again.cached == 4                                            # nothing recomputed
    for ds in (res.dataset(), again.dataset()):
        np.testing.assert_array_equal(ds["experiment_w"].values, serial["experiment_w"].values)


def test_cli_sweep_writes_labelled_netcdf(tmp_path):
    import xarray as xr

    out = tmp_path / "sweep.nc"
    rc = cli(["sweep", "ridge.RidgeFlow", "--base", "t_max=1.0", "--base", "n_rec=5", "--grid", "lam=0.0,0.5",
              "--grid", "seeds=1,2", "--executor", "serial", "--out", str(out)])
    assert rc == 0
    ds = xr.open_dataset(out, engine="scipy")
    assert dict(ds.sizes)["lam"] == 2 and dict(ds.sizes)["seeds"] == 2
    assert np.all(np.isfinite(ds["theory_test_error"].values))


@pytest.mark.skipif(sys.platform != "linux", reason="process groups")
def test_an_interrupted_cli_sweep_resumes_from_the_cache(tmp_path):
    cache = tmp_path / "cache"
    cmd = [sys.executable, "-m", "theorylab.paper_figs.cli", "sweep", "SaxeModes", "--grid", "u0=1e-4,1e-3,1e-2",
           "--grid", "lr=1e-3,2e-3", "--base", "t_max=4.0", "--base", "n_rec=41", "--executor", "local",
           "--jobs", "1", "--cache", str(cache)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.time() + 300
    while not list(cache.glob("*.npz")) and time.time() < deadline:     # wait for one finished point
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=60)
    done = len(list(cache.glob("*.npz")))
    assert 1 <= done < 6
    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"{done} from the cache" in rerun.stdout
    assert len(list(cache.glob("*.npz"))) == 6
