"""Every figure runs in smoke mode (a wiring check); make_all writes a report and reads the cache."""
import json

import numpy as np
import pytest

from theorylab.paper_figs.make_all import DECLARED, FIGURES
from theorylab.paper_figs.make_all import main as make_all_main


def _make(fid, out, mode="smoke", cache=None):
    return DECLARED[fid].make(out, mode=mode, cache=cache)


@pytest.mark.parametrize("fid", FIGURES)
def test_figure_smoke(fid, tmp_path):
    res = _make(fid, tmp_path)
    assert res.figure_id == fid
    assert res.path.exists() and res.path.stat().st_size > 10_000   # a real PNG, not an empty canvas
    assert res.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert res.agreements, "every figure reports at least one agreement number"
    assert all(np.isfinite(a.value) for a in res.agreements)         # what smoke mode promises
    assert res.conventions                                           # the clocks are stated
    assert not res.overlaps, "overlapping text in the saved figure:\n" + "\n".join(res.overlaps)
    with pytest.raises(ValueError, match="mode"):
        _make(fid, tmp_path, mode="fast")


def test_every_figure_is_declared_in_a_family_and_none_is_lost():
    assert len(FIGURES) >= 32 and all(DECLARED[f].family for f in FIGURES)
    import theorylab.paper_figs as pkg
    from pathlib import Path

    top = [p.stem for p in Path(pkg.__path__[0]).glob("*.py") if p.stem not in ("__init__", "make_all", "cli")]
    assert not top, f"figure modules outside a family folder: {top}"


@pytest.mark.parametrize("fid", sorted(DECLARED))
def test_declared_figure_states_setup_clock_and_error_models(fid):
    fig = DECLARED[fid]
    assert fig.family and fig.cite and fig.setup
    assert fig.deviation_list("quick"), "the report names every deviation from the paper's setup"


def test_make_all_writes_report_and_reads_the_cache(tmp_path):
    ids = ["saxe2014_modes", "braun2022_riccati"]
    rc = make_all_main(["--mode", "smoke", "--only", *ids, "--out", str(tmp_path), "--jobs", "1"])
    data = json.loads((tmp_path / "report.json").read_text())
    assert [f["id"] for f in data["figures"]] == ids
    assert rc == 0                                                   # smoke mode does not gate
    assert all(f["cached_studies"] == 0 for f in data["figures"])
    md = (tmp_path / "report.md").read_text()
    assert "| saxe2014_modes |" in md and "why (error model)" in md and "paper's setup" in md
    header = next(ln for ln in md.splitlines() if ln.startswith("| figure"))
    rows = [ln for ln in md.splitlines() if ln.startswith("| ") and "---" not in ln]
    assert rows and all(ln.replace("\\|", "").count("|") == header.count("|") for ln in rows)   # pipes escaped
    make_all_main(["--mode", "smoke", "--only", *ids, "--out", str(tmp_path), "--jobs", "1"])
    again = json.loads((tmp_path / "report.json").read_text())
    assert [f["cached_studies"] for f in again["figures"]] == [f["studies"] for f in again["figures"]]   # all hits
    assert [a["value"] for f in again["figures"] for a in f["agreements"]] == \
        [a["value"] for f in data["figures"] for a in f["agreements"]]


def test_process_pool_gives_the_same_numbers(tmp_path):
    from theorylab.paper_figs.make_all import run_figures

    ids = ["saxe2019_hierarchy", "sim_fig5"]
    serial = run_figures(ids, "smoke", tmp_path / "a", use_cache=False, jobs=1, echo=lambda *a, **k: None)
    pooled = run_figures(ids, "smoke", tmp_path / "b", use_cache=False, jobs=2, echo=lambda *a, **k: None)
    assert [r.figure_id for r in pooled] == ids
    for r1, r2 in zip(serial, pooled):
        assert [a.value for a in r1.agreements] == pytest.approx([a.value for a in r2.agreements], rel=1e-6)


def test_the_overlap_check_finds_overlapping_text(tmp_path):
    """The check itself can fail: two labels drawn on top of each other are reported."""
    import matplotlib

    matplotlib.use("Agg")
    from theorylab.figures import text_overlaps
    from theorylab.plotting import new_figure

    fig, axes = new_figure(1, 1)
    axes[0, 0].set_title("a title long enough to collide")
    axes[0, 0].text(0.5, 1.02, "a text placed on the title", transform=axes[0, 0].transAxes, ha="center")
    assert any("title" in o and "text" in o for o in text_overlaps(fig))
    fig2, axes2 = new_figure(1, 1)
    axes2[0, 0].plot([0, 1], [0, 1])
    axes2[0, 0].set_title("alone")
    assert text_overlaps(fig2) == []


def test_a_study_shared_by_two_figures_is_computed_once(tmp_path):
    from theorylab import config_hash
    from theorylab.paper_figs.make_all import run_figures

    ids = ["kernel_phases", "kernel_cone"]
    keys = [config_hash(st.key()) for f in ids for st in DECLARED[f].study_map("smoke").values()]
    assert len(set(keys)) < len(keys)                              # the two figures share their studies
    res = run_figures(ids, "smoke", tmp_path, jobs=2, echo=lambda *a, **k: None)
    assert [r.figure_id for r in res] == ids and not any(r.error for r in res)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == len(set(keys))
