r"""Training networks on coarse labels and tracking the fine structure of their features.

Yang, Steinhardt & Hu, ICML 2023 (arXiv:2306.17105), on the synthetic mixture of
``tasks.gaussian_mixture``: an :class:`~theorylab.nets.MLP` ensemble is trained on the
*coarse* labels with cross-entropy or MSE (one-hot targets), with or without weight
decay; at each record the last hidden layer is measured with the coarse NC1 and the
fine clustering accuracy (``theorylab.collapse``).

Conventions: full-batch GD, ``t = lr * step``; ``loss="ce"``: mean cross-entropy on the
logits; ``loss="mse"``: ``1/2 mean ||one_hot - f||^2``; weight decay ``wd`` adds
``wd/2 ||theta||^2`` to the loss.
"""
from __future__ import annotations

import numpy as np
import torch

from theorylab._validate import check_choice, check_int, check_nonnegative, check_positive
from theorylab.collapse import fine_clustering_accuracy, nc1
from theorylab.trajectory import Trajectory

__all__ = ["train_coarse"]


def train_coarse(model, x, coarse, fine, *, loss: str = "ce", wd: float = 0.0, lr: float = 0.5, steps: int = 1000,
                 n_records: int = 10, rng=0) -> Trajectory:
    """Full-batch GD on coarse labels; records ``nc1`` (coarse), ``fine_acc`` and ``train_acc`` per member."""
    check_choice("loss", loss, ("ce", "mse"))
    check_nonnegative("wd", wd)
    check_positive("lr", lr)
    steps, n_records = check_int("steps", steps), check_int("n_records", n_records)
    coarse, fine = np.asarray(coarse), np.asarray(fine)
    if not (len(x) == len(coarse) == len(fine)):
        raise ValueError(f"features and labels must have the same length, got {len(x)}, {len(coarse)}, {len(fine)}")
    xx = model.as_input(x)
    yy = torch.as_tensor(coarse, device=xx.device)
    C = int(coarse.max()) + 1
    onehot = torch.nn.functional.one_hot(yy, C).to(xx.dtype)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    rec_at = set(np.linspace(0, steps, n_records + 1).round().astype(int))
    ts, obs = [], {"nc1": [], "fine_acc": [], "train_acc": []}
    for step in range(steps + 1):
        if step in rec_at:
            with torch.no_grad():
                H = model.hidden(xx).double().cpu().numpy()
                out = model(xx)
            ts.append(lr * step)
            obs["nc1"].append([nc1(h, coarse) for h in H])
            obs["fine_acc"].append([fine_clustering_accuracy(h, coarse, fine, rng=rng) for h in H])
            obs["train_acc"].append((out.argmax(-1) == yy).double().mean(-1).cpu().numpy())
        if step == steps:
            break
        out = model(xx)                                                     # (E, N, C)
        if loss == "ce":
            L = torch.nn.functional.cross_entropy(out.transpose(1, 2), yy.expand(out.shape[0], -1),
                                                  reduction="none").mean(-1)
        else:
            L = 0.5 * ((out - onehot) ** 2).sum(-1).mean(-1)
        total = L.sum()                                                     # members are independent
        if wd:
            total = total + 0.5 * wd * sum((p**2).sum() for p in model.parameters())
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
    return Trajectory(np.asarray(ts), {k: np.asarray(v) for k, v in obs.items()},
                      {"time": "t = lr * step (full-batch GD)", "loss": loss, "wd": wd, "lr": lr})


def train_logging_logits(model, images, labels, probe_images, probe_labels, *, steps: int, lr: float = 0.005,
                         record_every: int = 50, rng=0) -> Trajectory:
    """SGD with batch size 1 (Zhang, Wang & Su 2021), logging the class-mean logits on a fixed probe set.

    Records ``means`` (K classes x K logits, class = the probe's true label) and ``t`` = iteration.
    The cross-entropy is on the (possibly corrupted) training labels.
    """
    from theorylab.rng import as_generator

    steps, record_every = check_int("steps", steps), check_int("record_every", record_every)
    check_positive("lr", lr)
    if len(images) != len(labels):
        raise ValueError(f"images and labels must have the same length, got {len(images)} and {len(labels)}")
    g = as_generator(rng)
    dev = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    X = torch.as_tensor(images, dtype=dtype, device=dev)
    y = torch.as_tensor(labels, device=dev)
    Xp = torch.as_tensor(probe_images, dtype=dtype, device=dev)
    yp = np.asarray(probe_labels)
    K = int(max(yp.max(), np.max(labels))) + 1
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    order = g.integers(len(X), size=steps)
    ts, means = [], []
    for it in range(steps + 1):
        if it % record_every == 0 or it == steps:
            with torch.no_grad():
                out = model(Xp).double().cpu().numpy()
            ts.append(it)
            means.append(np.stack([out[yp == k].mean(axis=0) for k in range(K)]))
        if it == steps:
            break
        i = int(order[it])
        loss = torch.nn.functional.cross_entropy(model(X[i: i + 1]), y[i: i + 1])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return Trajectory(np.asarray(ts, float), {"means": np.asarray(means)},
                      {"time": "t = SGD iteration (batch size 1)", "loss": "cross-entropy", "lr": lr})
