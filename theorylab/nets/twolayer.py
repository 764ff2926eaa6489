r"""Two-layer networks in the DMFT / mean-field parametrisation.

Bordelon & Pehlevan 2022 (arXiv:2205.09653):
``f(x) = a . phi(h) / (gamma sqrt(N))``, ``h = W x / sqrt(D)``, with ``W`` and ``a``
entries ``N(0, 1)``; gradient flow ``d theta/dt = -gamma^2 grad L``, so train
with ``lr = gamma^2 dt``.  ``gamma = gamma0 sqrt(N)``: fixed ``gamma0`` as ``N``
grows is the feature-learning (mean-field / muP) limit, ``gamma0 -> 0`` the
lazy NTK limit.  Unlike :class:`~theorylab.nets.MLP` (standard
parametrisation, ``1/sqrt(fan_in)`` inside the weights), every weight here is
O(1), so one learning rate moves both layers at the rates the DMFT assumes.
"""
from __future__ import annotations

import numpy as np
import torch

from theorylab._validate import check_choice, check_int, check_positive

from .ensemble import Ensemble
from .mlp import ACTIVATIONS

__all__ = ["TwoLayerMF"]


class TwoLayerMF(Ensemble):
    """E two-layer networks in the DMFT parametrisation (see module doc).

    Parameters
    ----------
    D, N : int;  gamma0 : float > 0 (``gamma = gamma0 sqrt(N)``);  activation : name in ``ACTIVATIONS``
    antithetic : draw neurons in pairs ``(w, a)``, ``(w, -a)`` (N even) so the initial function is
        exactly 0: a variance-reduced sample of the mean-field particle system.
    """

    def __init__(self, D: int, N: int, seeds=0, *, gamma0: float = 1.0, activation: str = "linear",
                 antithetic: bool = False, dtype="float32", device=None):
        super().__init__(seeds, dtype=dtype, device=device)
        self.D, self.N = check_int("D", D), check_int("N", N)
        check_positive("gamma0", gamma0)
        check_choice("activation", activation, tuple(ACTIVATIONS))
        self.gamma0, self.activation = float(gamma0), activation
        self.gamma = self.gamma0 * np.sqrt(N)
        if antithetic and N % 2:
            raise ValueError(f"N must be even with antithetic=True, got {N}")

        def draw(g):
            if not antithetic:
                return [g.standard_normal((N, D)), g.standard_normal(N)]
            W, a = g.standard_normal((N // 2, D)), g.standard_normal(N // 2)
            return [np.concatenate([W, W]), np.concatenate([a, -a])]

        self.W, self.a = self._stack([draw(g) for g in self._init_streams()])
        self._phi = ACTIVATIONS[activation]

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """Preactivations ``h = W x / sqrt(D)``, (E, B, N)."""
        return torch.matmul(x, self.W.transpose(1, 2)) / np.sqrt(self.D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        phi = self._phi(self.hidden(x))
        return (phi * self.a[:, None, :]).sum(-1, keepdim=True) / (self.gamma * np.sqrt(self.N))
