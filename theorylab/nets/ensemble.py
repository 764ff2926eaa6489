"""Base class for ensembles: E independent networks held as one batched model.

Every parameter has the member axis first, ``(E, ...)``; a forward pass maps
inputs ``(B, d)`` (shared by all members) or ``(E, B, d)`` (one batch per
member) to ``(E, B, d_out)``.  Member ``e`` is initialised from
``theorylab.rng.streams(seeds[e])["init"]``, so it has the same weights as a
single-member ensemble built with ``seeds=[seeds[e]]``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from theorylab.device import resolve_device, resolve_dtype
from theorylab.rng import streams

__all__ = ["Ensemble"]


class Ensemble(torch.nn.Module):
    """An ensemble of networks with batched parameters (abstract)."""

    def __init__(self, seeds: Sequence[int] | int, *, dtype="float32", device=None):
        super().__init__()
        if isinstance(seeds, (int, np.integer)):
            seeds = [int(seeds)]
        seeds = list(seeds)
        if not seeds:
            raise ValueError("seeds must list at least one seed")
        self.seeds = seeds
        self._dtype = resolve_dtype(dtype)
        self._device = resolve_device(device)

    @property
    def n_members(self) -> int:
        return len(self.seeds)

    def _init_streams(self) -> list[np.random.Generator]:
        return [streams(s)["init"] for s in self.seeds]

    def _stack(self, per_member: list[list[np.ndarray]]) -> list[torch.nn.Parameter]:
        """Stack per-member lists of arrays into batched parameters on the model's device."""
        n = len(per_member[0])
        return [
            torch.nn.Parameter(torch.as_tensor(np.stack([m[i] for m in per_member]), dtype=self._dtype,
                                               device=self._device))
            for i in range(n)
        ]

    def as_input(self, x) -> torch.Tensor:
        """Move an array to the model's device and dtype."""
        return torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x, dtype=self._dtype,
                               device=self._device)

    def extra_repr(self) -> str:
        return f"members={self.n_members}, dtype={self._dtype}, device={self._device}"
