#!/usr/bin/env python3
"""Seconds per GD step: exact (w_bar, M) dynamics vs training the width-N network.

Setting of the grokking paper's Fig. 1 (Kumar et al. 2024): N = 500, D = 100,
P = 550, quadratic activation, eps = 0.02, alpha = 1, float64 on the CPU.  The
exact map's cost is O(P D^2 + D^3) per step whatever N is; training the
network costs O(P N D).  Both give the same losses (checked below).

    python benchmarks/committee_exact_vs_gd.py [--steps 200] [--N 500]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from theorylab import TrainConfig, train  # noqa: E402
from theorylab.nets import CommitteeMachine  # noqa: E402
from theorylab.solvers.committee import CommitteeState, exact_gd  # noqa: E402
from theorylab.tasks import PolyRegressionConfig, make_poly_regression  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--N", type=int, default=500)
    ap.add_argument("--D", type=int, default=100)
    ap.add_argument("--P", type=int, default=550)
    args = ap.parse_args(argv)
    task = make_poly_regression(PolyRegressionConfig(args.D, args.P), rng=0)
    alpha, eps, eta0 = 1.0, 0.02, 0.05
    net = CommitteeMachine(args.D, args.N, seeds=[0], alpha=alpha, eps=eps, dtype="float64", device="cpu")
    st = CommitteeState.from_network(net)
    eta = eta0 * args.N / alpha**2
    t0 = time.perf_counter()
    ex = exact_gd(task.x_train, task.y_train, st, eta=eta, steps=args.steps, record_every=args.steps)
    t_exact = time.perf_counter() - t0
    t0 = time.perf_counter()
    tr = train(net, task.x_train, task.y_train[:, None],
               TrainConfig(lr=eta, t_record=[0, args.steps], reduction="mse", time="steps"))
    t_gd = time.perf_counter() - t0
    rel = abs(tr["loss"][-1, 0] / ex["train_loss"][-1] - 1)
    print(f"N={args.N} D={args.D} P={args.P}, {args.steps} GD steps, float64 CPU")
    print(f"exact (w_bar, M) map:     {t_exact / args.steps * 1e3:8.3f} ms/step")
    print(f"per-neuron GD (torch):    {t_gd / args.steps * 1e3:8.3f} ms/step")
    print(f"speed-up: {t_gd / t_exact:.1f}x   (relative difference of final train loss: {rel:.1e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
