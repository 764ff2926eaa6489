#!/usr/bin/env python3
"""Seconds to train 32 seeds as one batched ensemble vs a loop of 32 single models.

Setting: the deep-linear figure (``paper_figs/saxe2014_modes``, quick mode):
a two-layer 8-8-8 linear network from a decoupled small init, full-batch GD
on the population data, mode strengths recorded.  Both variants compute the
same numbers (checked below); only the batching differs.

    python benchmarks/ensemble_vs_loop.py [--seeds 32] [--steps 2000] [--device cpu|cuda]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from paper_figs.saxe2014_modes import SETTINGS  # noqa: E402
from theorylab import TrainConfig, train  # noqa: E402
from theorylab.nets import DeepLinear  # noqa: E402
from theorylab.tasks import TeacherStudentConfig, make_teacher_student  # noqa: E402


def run(seeds, p, steps, device):
    task = make_teacher_student(TeacherStudentConfig(p["d"], p["d"], p["svals"]), rng=1234)
    U, V = task.U, task.V[:, : len(p["svals"])]
    X = np.sqrt(p["d"]) * np.eye(p["d"])
    net = DeepLinear([p["d"], p["hidden"], p["d"]], seeds=seeds, init="decoupled", u0=p["u0"], U=U, V=V,
                     dtype="float64", device=device)
    cfg = TrainConfig(lr=p["lr"], t_record=p["lr"] * np.linspace(0, steps, 51).round())
    return train(net, X, X @ task.teacher.T, cfg, observables={"u": lambda m: m.mode_strengths(U, V)})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=32)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeats", type=int, default=3, help="best of this many timings")
    args = ap.parse_args(argv)
    p = SETTINGS["quick"]
    seeds = list(range(args.seeds))
    run(seeds[:2], p, 20, args.device)  # warm-up

    def best(fn):
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
        return min(times), out

    t_ens, ens = best(lambda: run(seeds, p, args.steps, args.device))
    t_loop, loop = best(lambda: [run([s], p, args.steps, args.device) for s in seeds])
    same = max(np.abs(ens["u"][:, e] - loop[e]["u"][:, 0]).max() for e in range(len(seeds)))
    print(f"setting: {p['d']}-{p['hidden']}-{p['d']} linear net, {args.steps} GD steps, {len(seeds)} seeds, "
          f"device {args.device}")
    print(f"ensemble (one batched model): {t_ens:8.3f} s")
    print(f"loop of {len(seeds)} single models:    {t_loop:8.3f} s")
    print(f"speed-up: {t_loop / t_ens:.1f}x   (max |difference| of recorded mode strengths: {same:.1e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
