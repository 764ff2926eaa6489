"""The agreement report: ``report.json`` and ``report.md`` for a run of figures.

Per figure: the paper's setup and every deviation from it, the clocks of its
trajectories, its seconds and whether its studies came from the cache.  Per
row: the agreement number, its threshold, the error model behind the
threshold, the clock, and pass/fail.  Smoke mode is a wiring check and is
reported as such.
"""
from __future__ import annotations

import json
import platform
from pathlib import Path

from .figures import FigureResult

__all__ = ["write_report", "mark"]


def mark(a) -> str:
    if not a.gating:
        return "info: " + ("yes" if a.passed else "no")
    return "yes" if a.passed else "**NO**"


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def write_report(results: list[FigureResult], out: Path, mode: str, total: float, *, partial: bool = False,
                 missing: list[str] | None = None) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.md`` into ``out``; returns their paths.

    ``partial``: the run was interrupted; ``missing`` lists the figures that did not finish.
    """
    import torch

    missing = list(missing or [])
    env = {"python": platform.python_version(), "torch": torch.__version__, "platform": platform.platform(),
           "cuda": torch.cuda.is_available()}
    data = {
        "mode": mode,
        "partial": partial,
        "missing": missing,
        "seconds_total": total,
        "environment": env,
        "figures": [
            {"id": r.figure_id, "family": r.family, "cite": r.cite, "file": r.path.name if r.path else None,
             "seconds": r.seconds, "passed": r.passed, "error": r.error, "conventions": r.conventions,
             "setup": r.setup, "deviations": r.deviations, "studies": r.n_studies, "cached_studies": r.cached_studies,
             "agreements": [a.as_dict() for a in r.agreements]}
            for r in results
        ],
    }
    out.mkdir(parents=True, exist_ok=True)
    jpath = out / "report.json"
    jpath.write_text(json.dumps(data, indent=1, default=str))
    n_ok = sum(r.passed for r in results)
    lines = [f"# theorylab agreement report ({mode} mode{', PARTIAL' if partial else ''})", ""]
    if partial:
        lines += [f"**The run was interrupted**: {len(results)} figures finished; not made: "
                  f"{', '.join(missing) or 'none'}.  A rerun recomputes only what is not cached.", ""]
    if mode == "smoke":
        lines += ["Smoke mode is a **wiring check**: every study, check and drawing runs at tiny sizes and gives "
                  "finite numbers.  Its agreement rows are printed but are not expected to pass, and they do not "
                  "set the exit code.", ""]
    lines += [
        "Each row gives the error model that sets its threshold and the clock of the compared quantities "
        "('-': a number that depends on no time axis, or a figure with several clocks, listed below).",
        "",
        f"{n_ok} of {len(results)} figures pass every check ('info' rows record observations and do not gate); "
        f"total {total:.1f} s (python {env['python']}, torch {env['torch']}, cuda {env['cuda']}).",
        "",
        "| figure | check | metric | value | threshold | why (error model) | clock | pass | seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.error:
            lines.append(f"| {r.figure_id} | **error** | {_cell(r.error)} | | | | | **NO** | {r.seconds:.1f} |")
            continue
        for j, a in enumerate(r.agreements):
            op = ">=" if a.higher_is_better else "<="
            secs = f"{r.seconds:.1f}" if j == 0 else ""
            lines.append(f"| {r.figure_id if j == 0 else ''} | {_cell(a.name)} | {_cell(a.metric)} | {a.value:.4g} | "
                         f"{op} {a.threshold:.4g} | {_cell(a.model)} | {_cell(a.clock or '-')} | {mark(a)} | {secs} |")
    lines += ["", "## Setups, deviations and clocks", ""]
    for r in results:
        lines.append(f"### {r.figure_id} ({r.cite or r.family})")
        if r.setup:
            lines.append(f"- paper's setup: {r.setup}")
        for d in r.deviations:
            lines.append(f"- deviation: {d}")
        lines.append(f"- clocks: {r.conventions}")
        if r.n_studies:
            lines.append(f"- studies: {r.n_studies} ({r.cached_studies} from the cache)")
        lines.append("")
    mpath = out / "report.md"
    mpath.write_text("\n".join(lines) + "\n")
    return jpath, mpath
