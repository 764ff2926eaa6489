#!/usr/bin/env python3
"""Training many seeds: theorylab's batched ensemble vs a plain torch loop and torch.func.vmap.

Setting: the deep-linear mode figure (``SaxeModes``, quick settings): two-layer
8-8-8 linear networks from a decoupled small init, full-batch GD on the
population data, ``--seeds`` seeds for ``--steps`` steps, float64 on the CPU.

* **A, theorylab**: ``train()`` on one ``DeepLinear`` ensemble of all seeds
  (recording mode strengths 51 times, as the figure does).
* **B, plain loop**: what a competent user writes without batching: for each
  seed, two weight tensors and a tight autograd loop (no recording at all).
* **C, torch.func.vmap**: the same step vmapped over stacked weights (the
  batched baseline a torch expert would write).

All three start from the same weights and agree to round-off (checked).
Threads are pinned to one (theorylab.threads.limited), the variants alternate
inside one run (A B C A B C ...), and min and median of ``--repeats`` timings
are reported.

    python benchmarks/ensemble_vs_loop.py [--seeds 32] [--steps 2000] [--repeats 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import torch
from torch.func import grad, vmap

from theorylab import TrainConfig, train
from theorylab.nets import DeepLinear
from theorylab.studies.deep_linear import SaxeModes
from theorylab.tasks import TeacherStudentConfig, make_teacher_student
from theorylab.threads import limited


def setup(s: SaxeModes, seeds: int):
    task = make_teacher_student(TeacherStudentConfig(s.d, s.d, s.svals), rng=s.task_seed)
    U, V = task.U, task.V[:, : len(s.svals)]
    X = np.sqrt(s.d) * np.eye(s.d)
    net = DeepLinear([s.d, s.hidden, s.d], seeds=range(seeds), init="decoupled", u0=s.u0, U=U, V=V,
                     dtype="float64", device="cpu")
    W0 = [w.detach().clone() for w in net.weights]
    return task, U, V, X, W0


def run_theorylab(s, seeds, steps, data):
    task, U, V, X, W0 = data
    net = DeepLinear([s.d, s.hidden, s.d], seeds=range(seeds), init="decoupled", u0=s.u0, U=U, V=V,
                     dtype="float64", device="cpu")
    cfg = TrainConfig(lr=s.lr, t_record=s.lr * np.linspace(0, steps, 51).round())
    train(net, X, X @ task.teacher.T, cfg, observables={"u": lambda m: m.mode_strengths(U, V)})
    return torch.stack([net.weights[1][e] @ net.weights[0][e] for e in range(seeds)])


def run_loop(s, seeds, steps, data):
    task, U, V, X, W0 = data
    x = torch.as_tensor(X)
    y = torch.as_tensor(X @ task.teacher.T)
    out = []
    for e in range(seeds):
        W1 = W0[0][e].clone().requires_grad_()
        W2 = W0[1][e].clone().requires_grad_()
        for _ in range(steps):
            loss = 0.5 * ((x @ W1.T @ W2.T - y) ** 2).sum(-1).mean()
            g1, g2 = torch.autograd.grad(loss, (W1, W2))
            with torch.no_grad():
                W1 -= s.lr * g1
                W2 -= s.lr * g2
        out.append((W2 @ W1).detach())
    return torch.stack(out)


def run_vmap(s, seeds, steps, data):
    task, U, V, X, W0 = data
    x = torch.as_tensor(X)
    y = torch.as_tensor(X @ task.teacher.T)

    def loss(W1, W2):
        return 0.5 * ((x @ W1.T @ W2.T - y) ** 2).sum(-1).mean()

    step = vmap(grad(loss, argnums=(0, 1)))
    W1, W2 = W0[0].clone(), W0[1].clone()
    for _ in range(steps):
        g1, g2 = step(W1, W2)
        W1 = W1 - s.lr * g1
        W2 = W2 - s.lr * g2
    return W2 @ W1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=32)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    s = SaxeModes()                                         # the quick figure's settings
    variants = {"A theorylab ensemble": run_theorylab, "B plain torch loop": run_loop, "C torch.func.vmap": run_vmap}
    times = {k: [] for k in variants}
    results = {}
    with limited(1):
        data = setup(s, args.seeds)
        for fn in variants.values():                        # warm-up
            fn(s, 2, 10, setup(s, 2))
        for _ in range(args.repeats):                       # alternate A B C in one run
            for name, fn in variants.items():
                t0 = time.perf_counter()
                results[name] = fn(s, args.seeds, args.steps, data)
                times[name].append(time.perf_counter() - t0)
    ref = results["A theorylab ensemble"]
    print(f"setting: {s.d}-{s.hidden}-{s.d} linear nets, {args.seeds} seeds, {args.steps} GD steps, float64, "
          f"1 thread, {args.repeats} alternated repeats")
    for name, ts in times.items():
        diff = float((results[name] - ref).detach().abs().max())
        print(f"{name:24s} min {min(ts):7.3f} s   median {statistics.median(ts):7.3f} s   "
              f"(max |W2 W1 - A|: {diff:.1e})")
    a = statistics.median(times["A theorylab ensemble"])
    print(f"speed-up of A (median): {statistics.median(times['B plain torch loop']) / a:.1f}x over the plain loop, "
          f"{statistics.median(times['C torch.func.vmap']) / a:.2f}x over vmap")
    return 0


if __name__ == "__main__":
    sys.exit(main())
