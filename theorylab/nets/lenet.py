"""A LeNet-5-like convolutional network for 32 x 32 single-channel images (seeded, global RNG untouched)."""
from __future__ import annotations

import math

import torch
from torch import nn

from theorylab._validate import check_int
from theorylab.device import resolve_device, resolve_dtype

__all__ = ["LeNet"]


class LeNet(nn.Module):
    """conv(1->6, 5) - ReLU - maxpool - conv(6->16, 5) - ReLU - maxpool - 120 - 84 - ``n_classes`` logits."""

    def __init__(self, n_classes: int = 3, *, seed: int = 0, dtype="float32", device=None):
        super().__init__()
        check_int("n_classes", n_classes, minimum=2)
        with torch.random.fork_rng(devices=[]):            # constructors draw from the global RNG: undo it
            self.features = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                                          nn.ReLU(), nn.MaxPool2d(2))
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84),
                                      nn.ReLU(), nn.Linear(84, n_classes))
        g = torch.Generator().manual_seed(int(seed))
        with torch.no_grad():
            for p in self.parameters():
                if p.dim() > 1:                            # He-normal on fan-in
                    p.copy_(torch.randn(p.shape, generator=g) * math.sqrt(2.0 / p[0].numel()))
                else:
                    p.zero_()
        self.to(device=resolve_device(device), dtype=resolve_dtype(dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
