"""Ctrl-C during the figure command: no process left behind, a partial report, and a rerun that resumes."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IDS = ["saxe2014_modes", "saxe2019_hierarchy", "braun2022_riccati", "saxe2014_depth"]


def _group_alive(pgid: int) -> list[int]:
    alive = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if os.getpgid(int(d.name)) == pgid:
                    alive.append(int(d.name))
            except (ProcessLookupError, PermissionError):
                pass
    return alive


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("entry, jobs, whole_group", [("make_all", 1, True), ("dev.py", 2, False)])
def test_sigint_stops_everything_writes_a_partial_report_and_the_rerun_resumes(tmp_path, entry, jobs, whole_group):
    """A terminal's Ctrl-C signals the whole process group; a signal to dev.py alone is forwarded."""
    prefix = [str(ROOT / "paper_figs" / "make_all.py")] if entry == "make_all" else [str(ROOT / "dev.py"), "figures"]
    cmd = [sys.executable, *prefix, "--mode", "quick", "--only", *IDS, "--out", str(tmp_path), "--jobs", str(jobs)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    pgid = os.getpgid(proc.pid)
    lines = []
    for line in proc.stdout:                       # wait until one figure has finished
        lines.append(line)
        if line.startswith("[1/"):
            break
    else:
        pytest.fail("no figure finished:\n" + "".join(lines))
    if whole_group:
        os.killpg(pgid, signal.SIGINT)             # what Ctrl-C in a terminal does
    else:
        proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, "".join(lines) + out
    deadline = time.time() + 10
    while _group_alive(pgid) and time.time() < deadline:
        time.sleep(0.2)
    assert not _group_alive(pgid), "processes left behind after Ctrl-C"
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["partial"] and report["figures"] and report["missing"]
    finished = {f["id"] for f in report["figures"]}
    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    again = json.loads((tmp_path / "report.json").read_text())
    assert not again["partial"] and {f["id"] for f in again["figures"]} == set(IDS)
    for f in again["figures"]:
        if f["id"] in finished:                    # finished before Ctrl-C: every study read from the cache
            assert f["cached_studies"] == f["studies"], f["id"]
