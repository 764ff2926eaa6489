#!/usr/bin/env python3
"""The eNTK of an ensemble: ``torch.func`` (theorylab's ``empirical_ntk``) vs the per-output backward loop.

Setting (issue #15): an ensemble of ``--members`` two-layer tanh MLPs ``[d, width, 1]``
(``MLP``, standard parametrisation, float32 on the CPU) and ``--probe`` probe points.

* **A, empirical_ntk** (the default, ``method="auto"``): weight matrices and biases by the
  per-layer factorisation (one recorded forward pass, ``k`` backward passes, no ``J`` formed),
  anything else by ``torch.func``.
* **B, loop**: :func:`theorylab.nets.empirical_ntk_loop`, the implementation A
  replaced: one backward pass through the whole batch per (probe point, output).
* **C, torch.func only** (``method="jacobian"``): per-sample Jacobians by ``jacrev``
  vmapped over probe points and members, then ``J J^T`` (its ``O(n^2 p)`` Gram is shared with B).

Both give the same kernels (checked: the largest difference relative to the largest entry).
Threads are pinned to one (``theorylab.threads.limited(1)`` and ``torch.set_num_threads(1)``),
the variants alternate inside one run (A B C A B C ...), and min and median of ``--repeats``
timings are reported.

    python benchmarks/entk_vs_loop.py [--members 16] [--width 512] [--probe 256] [--d 32] [--repeats 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import torch

from theorylab.nets import MLP, empirical_ntk, empirical_ntk_loop


def jacobian_only(net, x):
    return empirical_ntk(net, x, method="jacobian")
from theorylab.threads import limited


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--members", type=int, default=16)
    ap.add_argument("--width", type=int, default=512)
    ap.add_argument("--probe", type=int, default=256)
    ap.add_argument("--d", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    x = np.random.default_rng(0).standard_normal((args.probe, args.d)) / np.sqrt(args.d)
    net = MLP([args.d, args.width, 1], seeds=range(args.members), activation="tanh", device="cpu")
    variants = {"A empirical_ntk (auto)": empirical_ntk, "B backward loop (empirical_ntk_loop)": empirical_ntk_loop,
                "C torch.func jacrev/vmap only": jacobian_only}
    times = {k: [] for k in variants}
    results = {}
    with limited(1):
        torch.set_num_threads(1)
        small = MLP([args.d, 8, 1], seeds=range(2), activation="tanh", device="cpu")
        for fn in variants.values():                        # warm-up
            fn(small, x[:4])
        for _ in range(args.repeats):                       # alternate A B C in one run
            for name, fn in variants.items():
                t0 = time.perf_counter()
                results[name] = fn(net, x)
                times[name].append(time.perf_counter() - t0)
    a_name, b_name, c_name = variants
    ref = results[b_name]
    diff = {k: float((results[k] - ref).abs().max() / ref.abs().max()) for k in (a_name, c_name)}
    print(f"setting: {args.members} MLPs [{args.d}, {args.width}, 1] (tanh, float32), {args.probe} probe points, "
          f"1 thread, {args.repeats} alternated repeats; kernels ({args.members}, {args.probe}, {args.probe})")
    for name, ts in times.items():
        print(f"{name:38s} min {min(ts):8.3f} s   median {statistics.median(ts):8.3f} s")
    print("largest difference from B / largest entry: " + ", ".join(f"{k[0]} {v:.1e}" for k, v in diff.items()))
    for k in (a_name, c_name):
        print(f"speed-up of {k[0]} over B: {min(times[b_name]) / min(times[k]):.1f}x (min), "
              f"{statistics.median(times[b_name]) / statistics.median(times[k]):.1f}x (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
