#!/usr/bin/env python3
"""Run every figure at the papers' own settings (``--mode full``) within a time limit and write the table.

Each figure runs alone (``make_all --mode full --only ID --jobs J``) in its own process
group, killed at ``--limit`` seconds.  A figure that finishes is recorded with its wall
time and its rows (passed / gating); one that does not is recorded as not finished
within the limit on this machine, with the fraction of its studies that did finish
(they stay in the cache, so a later run resumes) and, where some finished, the time
that fraction extrapolates to.  Writes a Markdown table (``--out``, default
``docs/full_mode.md``) and keeps going if one figure fails.

    python benchmarks/full_mode.py [--limit 1800] [--jobs 2] [--only ID ...]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

from theorylab import Cache
from theorylab.paper_figs.make_all import DECLARED, FIGURES

ROOT = Path(__file__).resolve().parent.parent


def run_one(fid: str, limit: float, jobs: int, out: Path) -> dict:
    cmd = [sys.executable, str(ROOT / "paper_figs" / "make_all.py"), "--mode", "full", "--only", fid,
           "--jobs", str(jobs), "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        proc.wait(timeout=limit)
        finished = True
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGINT)              # a partial report; the finished studies stay cached
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        finished = False
    wall = time.perf_counter() - t0
    studies = DECLARED[fid].study_map("full")
    cache = Cache(out / "cache")
    done = sum(cache.has(st) for st in studies.values())
    row = {"id": fid, "family": DECLARED[fid].family, "finished": finished, "wall": wall, "studies": len(studies),
           "studies_done": done}
    report = out / "report.json"
    if finished and report.exists():
        fig = next((f for f in json.loads(report.read_text())["figures"] if f["id"] == fid), None)
        if fig is not None:
            gating = [a for a in fig["agreements"] if a["gating"]]
            row.update(passed=fig["passed"], error=fig["error"], rows_ok=sum(a["passed"] for a in gating),
                       rows=len(gating), failed=[a["name"] for a in gating if not a["passed"]])
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=float, default=1800.0, help="seconds per figure (default 30 min)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", nargs="+", default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "full_mode.md")
    ap.add_argument("--work", type=Path, default=ROOT / "paper_figs" / "out" / "full")
    args = ap.parse_args(argv)
    ids = args.only or list(FIGURES)
    rows = []
    for fid in ids:
        row = run_one(fid, args.limit, args.jobs, args.work)
        rows.append(row)
        state = ("pass" if row.get("passed") else "FAIL") if row["finished"] else "not finished"
        print(f"{fid:22s} {state:13s} {row['wall']:8.0f} s  studies {row['studies_done']}/{row['studies']}",
              flush=True)
    lines = [
        "# Full mode: every figure at the papers' own settings",
        "",
        f"Each figure ran alone with `python3 dev.py figures --mode full --only ID --jobs {args.jobs}` on this "
        f"machine ({os.cpu_count()} CPU cores, no GPU, {platform.platform()}), stopped after "
        f"{args.limit / 60:.0f} minutes. Regenerate with `python benchmarks/full_mode.py`.",
        "",
        "| figure | family | status | wall time | gating rows passed | studies done | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["finished"] and "rows" in r:
            status = "pass" if r["passed"] else ("error" if r.get("error") else "**fail**")
            rows_txt = f"{r['rows_ok']}/{r['rows']}"
            note = r.get("error") or ("; ".join(r["failed"]) if r["failed"] else "")
        elif r["finished"]:
            status, rows_txt, note = "error", "-", "no report"
        else:
            status, rows_txt = "needs more than the limit", "-"
            frac = r["studies_done"] / max(1, r["studies"])
            note = (f"{r['studies_done']} of {r['studies']} studies in the limit: about "
                    f"{args.limit / frac / 3600:.1f} h on {args.jobs} cores" if frac > 0 else
                    "no study finished within the limit")
        lines.append(f"| {r['id']} | {r['family']} | {status} | {r['wall'] / 60:.1f} min | {rows_txt} | "
                     f"{r['studies_done']}/{r['studies']} | {note} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
