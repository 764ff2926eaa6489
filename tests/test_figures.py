"""Every figure module runs in smoke mode; make_all writes a report."""
import importlib
import json

import numpy as np
import pytest

from paper_figs import FIGURES
from paper_figs.make_all import main as make_all_main


@pytest.mark.parametrize("fid", FIGURES)
def test_figure_smoke(fid, tmp_path):
    module = importlib.import_module(f"paper_figs.{fid}")
    res = module.make(tmp_path, mode="smoke")
    assert res.figure_id == fid == module.ID
    assert res.path.exists() and res.path.stat().st_size > 10_000   # a real PNG, not an empty canvas
    assert res.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert res.agreements, "every figure reports at least one agreement number"
    assert all(np.isfinite(a.value) for a in res.agreements)
    assert "t =" in res.conventions                                  # time convention stated
    with pytest.raises(ValueError, match="mode"):
        module.make(tmp_path, mode="fast")


def test_make_all_writes_report_and_uses_cache(tmp_path, capsys):
    rc = make_all_main(["--mode", "smoke", "--only", "saxe2014_modes", "braun2022_riccati", "--out", str(tmp_path),
                        "--jobs", "1"])
    data = json.loads((tmp_path / "report.json").read_text())
    assert [f["id"] for f in data["figures"]] == ["saxe2014_modes", "braun2022_riccati"]
    assert rc == (0 if all(f["passed"] for f in data["figures"]) else 1)
    md = (tmp_path / "report.md").read_text()
    assert "| saxe2014_modes |" in md and "threshold" in md and "Conventions" in md
    header_cols = md.splitlines()[4].count("|")
    rows = [ln for ln in md.splitlines() if ln.startswith("| ") and "---" not in ln]
    assert rows and all(ln.replace("\\|", "").count("|") == header_cols for ln in rows)   # pipes escaped
    cached = list((tmp_path / "cache").glob("*.npz"))
    assert len(cached) == 2
    make_all_main(["--mode", "smoke", "--only", "saxe2014_modes", "--out", str(tmp_path), "--jobs", "1"])
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2        # second run read the cache


def test_process_pool_gives_the_same_numbers(tmp_path):
    from paper_figs.make_all import run_figures

    ids = ["saxe2019_hierarchy", "sim_fig5"]
    serial = run_figures(ids, "smoke", tmp_path / "a", use_cache=False, jobs=1, echo=lambda *a, **k: None)
    pooled = run_figures(ids, "smoke", tmp_path / "b", use_cache=False, jobs=2, echo=lambda *a, **k: None)
    assert [r.figure_id for r in pooled] == ids
    for r1, r2 in zip(serial, pooled):
        assert [a.value for a in r1.agreements] == pytest.approx([a.value for a in r2.agreements], rel=1e-6)
