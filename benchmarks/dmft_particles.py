#!/usr/bin/env python3
"""Seconds per step of the two-layer DMFT particle solver vs the number of sampled neurons.

The cost is O(S P D) per Euler step for S particles, P training points in D
dimensions; its sampling error is O(S^(-1/2)).

    python benchmarks/dmft_particles.py [--P 32] [--D 16] [--steps 100]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from theorylab.solvers.dmft import dmft_two_layer  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--P", type=int, default=32)
    ap.add_argument("--D", type=int, default=16)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    g = np.random.default_rng(0)
    X = g.normal(size=(args.P, args.D))
    y = np.tanh(X @ g.normal(size=args.D) / np.sqrt(args.D))
    dt = 1e-3
    print(f"two-layer tanh DMFT, P={args.P}, D={args.D}, {args.steps} Euler steps, float64, {args.device}")
    for S in (1024, 4096, 16384, 65536):
        t0 = time.perf_counter()
        dmft_two_layer(X, y, gamma0=1.0, t=[0.0, args.steps * dt], n_particles=S, dt=dt, device=args.device)
        sec = time.perf_counter() - t0
        print(f"  S = {S:6d} particles: {sec / args.steps * 1e3:8.3f} ms/step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
