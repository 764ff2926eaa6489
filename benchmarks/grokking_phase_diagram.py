#!/usr/bin/env python3
"""The grokking phase diagram at the paper's settings, by the exact map, against training the same networks.

Kumar et al. 2024, Fig. 3e at the paper's size: a 6 x 5 grid of (alpha, eps), D = 100,
P = 450, N = 500, eta = 0.5 N / alpha^2, 100k epochs (``grok_fig3e``'s full settings).

* **A, exact map**: the figure's six row studies (``PhaseDiagram``, one per alpha),
  states leaving their batch once both grokking times are known, run on a local pool of
  ``--jobs`` workers with one thread each (``theorylab.executors``), cached under
  ``--cache``; the figure is then drawn from the cache.
* **B, training**: per-neuron GD of the same width-500 float64 networks
  (``train(reduction="mse")``), timed for ``--train-steps`` steps on ``--train-nets``
  of the grid's networks (a step costs the same for every alpha and eps) and
  extrapolated to 30 networks x 100k epochs.

Both run with one thread per process in this one run; the ratio compares core-seconds
(the sum over workers) and the wall time on the same number of workers.  Writes
``docs/grokking_phase_diagram.png`` and ``docs/grokking_phase_diagram.md`` (the agreement
rows, the timings, the peak memory).

    python benchmarks/grokking_phase_diagram.py [--jobs 2] [--cache DIR] [--train-steps 2000]
"""
from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from theorylab import Cache, TrainConfig, train
from theorylab.executors import executor, map_unordered
from theorylab.paper_figs.grokking.grok_fig3e import FIGURE
from theorylab.threads import limited

ROOT = Path(__file__).resolve().parent.parent


def _run_row(args):
    study, root = args
    t0 = time.process_time()
    res = Cache(root).study(study)
    return study.alphas[0], time.process_time() - t0, res.cached


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=ROOT / "paper_figs" / "out" / "full" / "cache")
    ap.add_argument("--train-steps", type=int, default=2000)
    ap.add_argument("--train-nets", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    args = ap.parse_args(argv)
    s = FIGURE.settings_for("full")
    studies = s.studies()
    n_states = len(s.alphas) * len(s.eps_list)

    # A: the exact map, rows on the pool
    t0 = time.perf_counter()
    core = {}
    with executor("local", jobs=args.jobs) as pool:
        for _, out in map_unordered(_run_row, [(st, str(args.cache)) for st in studies.values()], pool):
            if isinstance(out, BaseException):
                raise out
            alpha, cpu, cached = out
            core[alpha] = cpu
            print(f"row alpha={alpha:g}: {cpu:.0f} core-s{' (cached)' if cached else ''}", flush=True)
    wall_map = time.perf_counter() - t0
    core_map = sum(core.values())

    # B: training the same networks, a few thousand steps, one thread
    first = next(iter(studies.values()))
    task = first.task()
    per_step = []
    with limited(1):
        for k, c in enumerate(first.runs()[: args.train_nets] if args.train_nets <= len(s.eps_list) else first.runs()):
            net = first.network(c)
            eta = s.eta0 * s.N / c.alpha**2
            cfg = TrainConfig(lr=eta, t_record=[0, args.train_steps], reduction="mse", time="steps")
            t1 = time.perf_counter()
            train(net, task.x_train, task.y_train[:, None], cfg)
            per_step.append((time.perf_counter() - t1) / args.train_steps)
    step = statistics.median(per_step)
    core_train = step * s.steps * n_states
    wall_train = core_train / args.jobs

    # the figure, from the cache
    res = FIGURE.make(args.out / "_phase_tmp", mode="full", cache=Cache(args.cache))
    args.out.mkdir(exist_ok=True)
    png = args.out / "grokking_phase_diagram.png"
    shutil.copy(res.path, png)
    shutil.rmtree(args.out / "_phase_tmp", ignore_errors=True)
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    stopped = np.concatenate([res_row for res_row in
                              [Cache(args.cache).study(st).theory.static["stopped"] for st in studies.values()]])
    lines = [
        "# Grokking phase diagram at the paper's settings (Kumar et al. 2024, Fig. 3e)",
        "",
        f"Grid: alpha in {s.alphas} x eps in {s.eps_list} ({n_states} states), D = {s.D}, P = {s.P}, N = {s.N}, "
        f"eta = {s.eta0:g} N / alpha^2, {s.steps} epochs; regenerate with `python benchmarks/grokking_phase_diagram.py`.",
        "",
        "![phase diagram](grokking_phase_diagram.png)",
        "",
        "| check | value | threshold | pass |",
        "|---|---|---|---|",
    ]
    for a in res.agreements:
        op = ">=" if a.higher_is_better else "<="
        mark = ("yes" if a.passed else "**NO**") if a.gating else ("info: " + ("yes" if a.passed else "no"))
        lines.append(f"| {a.name} | {a.value:.4g} | {op} {a.threshold:.4g} | {mark} |")
    lines += [
        "",
        "## Cost (this machine, one thread per process)",
        "",
        f"- Exact map, {args.jobs} workers: {wall_map:.0f} s wall, {core_map:.0f} core-s; states run "
        f"{stopped.mean() / s.steps:.0%} of the {s.steps} epochs on average (a state stops once both times are "
        "known).",
        f"- Training the same networks (per-neuron GD, width {s.N}, float64): {step * 1e3:.2f} ms per step (median of "
        f"{len(per_step)} networks x {args.train_steps} steps), so {n_states} x {s.steps} steps = {core_train:.0f} "
        f"core-s ({core_train / 3600:.1f} h), {wall_train / 3600:.1f} h on {args.jobs} workers.",
        f"- Ratio: **{core_train / core_map:.0f}x** in core-seconds ({wall_train / wall_map:.0f}x in wall time on "
        f"{args.jobs} workers).",
        f"- Peak memory of one process: {peak / 1024:.0f} MiB.",
    ]
    (args.out / "grokking_phase_diagram.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-6:]))
    return 0 if res.passed else 1


if __name__ == "__main__":
    sys.exit(main())
