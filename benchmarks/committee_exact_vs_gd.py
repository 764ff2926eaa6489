#!/usr/bin/env python3
"""Milliseconds per GD step: the exact (w_bar, M) map vs training the width-N network, at several widths.

Setting of the grokking paper's Fig. 1 (Kumar et al. 2024): D = 100, P = 550,
quadratic activation, eps = 0.02, alpha = 1, float64 on the CPU.  The exact map
(``solvers.committee.exact_gd``, iterated on the factor of the augmented order-parameter
matrix) costs O(P D min(N, D + 1)) per step; per-neuron GD (``train``, the network
itself) costs O(P N D).  Both give the same losses (checked for every width).

Threads are pinned to one (theorylab.threads.limited), the two variants alternate
inside one run (A B A B ...), and min and median over ``--repeats`` are reported.

    python benchmarks/committee_exact_vs_gd.py [--widths 100 500 2000] [--steps 200] [--repeats 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from theorylab import TrainConfig, train
from theorylab.nets import CommitteeMachine
from theorylab.solvers.committee import CommitteeState, exact_gd
from theorylab.tasks import PolyRegressionConfig, make_poly_regression
from theorylab.threads import limited


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[100, 500, 2000])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--D", type=int, default=100)
    ap.add_argument("--P", type=int, default=550)
    args = ap.parse_args(argv)
    task = make_poly_regression(PolyRegressionConfig(args.D, args.P), rng=0)
    alpha, eps, eta0 = 1.0, 0.02, 0.05
    print(f"D={args.D} P={args.P}, {args.steps} GD steps per timing, float64, 1 thread, {args.repeats} alternated "
          "repeats (ms per step)")
    print(f"{'N':>6} {'map min':>9} {'map med':>9} {'GD min':>9} {'GD med':>9} {'ratio (med)':>12} {'max rel diff':>13}")
    with limited(1):
        for N in args.widths:
            eta = eta0 * N / alpha**2
            net0 = CommitteeMachine(args.D, N, seeds=[0], alpha=alpha, eps=eps, dtype="float64", device="cpu")
            st = CommitteeState.from_network(net0)
            t_map, t_gd = [], []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                ex = exact_gd(task.x_train, task.y_train, st, eta=eta, steps=args.steps, record_every=args.steps)
                t_map.append((time.perf_counter() - t0) / args.steps)
                net = CommitteeMachine(args.D, N, seeds=[0], alpha=alpha, eps=eps, dtype="float64", device="cpu")
                t0 = time.perf_counter()
                tr = train(net, task.x_train, task.y_train[:, None],
                           TrainConfig(lr=eta, t_record=[0, args.steps], reduction="mse", time="steps"))
                t_gd.append((time.perf_counter() - t0) / args.steps)
            rel = abs(tr["loss"][-1, 0] / ex["train_loss"][-1] - 1)
            mm, gm = statistics.median(t_map), statistics.median(t_gd)
            print(f"{N:>6} {min(t_map) * 1e3:9.3f} {mm * 1e3:9.3f} {min(t_gd) * 1e3:9.3f} {gm * 1e3:9.3f} "
                  f"{gm / mm:11.1f}x {rel:13.1e}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
