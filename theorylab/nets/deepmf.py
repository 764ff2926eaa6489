r"""Deep networks in the DMFT / mean-field (muP-type) parametrisation.

Bordelon & Pehlevan 2022 (arXiv:2205.09653), eq. (1):

.. math:: h^1 = W^0 x / \sqrt D,\qquad h^{\ell+1} = W^\ell \phi(h^\ell) / \sqrt N,\qquad
          f = \frac{1}{\gamma_0 N}\, w^L \cdot \phi(h^L),

every weight ``N(0, 1)``, gradient flow ``d theta / dt = -gamma^2 grad L`` with
``gamma = gamma0 sqrt(N)`` (train with ``lr = gamma^2 dt``).  At fixed ``gamma0``
the features move by O(1) as ``N -> inf`` (the rich, mean-field limit that the
DMFT describes); ``gamma0 -> 0`` is the lazy NTK limit.  ``depth`` counts hidden
layers: ``depth = 1`` is :class:`~theorylab.nets.TwoLayerMF` without antithetic draws.
"""
from __future__ import annotations

import numpy as np
import torch

from theorylab._validate import check_choice, check_int, check_positive

from .ensemble import Ensemble
from .mlp import ACTIVATIONS

__all__ = ["MeanFieldMLP"]


class MeanFieldMLP(Ensemble):
    """E depth-``depth`` networks of width ``N`` in the DMFT parametrisation (see module doc).

    Parameters
    ----------
    D, N : int >= 1;  depth : hidden layers >= 1;  gamma0 : richness > 0;  activation : name in ``ACTIVATIONS``
    """

    def __init__(self, D: int, N: int, depth: int = 1, seeds=0, *, gamma0: float = 1.0, activation: str = "linear",
                 dtype="float32", device=None):
        super().__init__(seeds, dtype=dtype, device=device)
        self.D, self.N = check_int("D", D), check_int("N", N)
        self.depth = check_int("depth", depth)
        check_positive("gamma0", gamma0)
        check_choice("activation", activation, tuple(ACTIVATIONS))
        self.gamma0, self.activation = float(gamma0), activation
        self.gamma = self.gamma0 * np.sqrt(N)
        shapes = [(N, D)] + [(N, N)] * (depth - 1) + [(N,)]
        params = self._stack([[g.standard_normal(s) for s in shapes] for g in self._init_streams()])
        self.weights = torch.nn.ParameterList(params[:-1])
        self.readout = params[-1]
        self._phi = ACTIVATIONS[activation]

    def hidden(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Preactivations ``h^1 .. h^L``, each (E, B, N)."""
        hs = [torch.matmul(x, self.weights[0].transpose(1, 2)) / np.sqrt(self.D)]
        # list() first: slicing a ParameterList re-wraps its entries as new Parameters, which would cut
        # torch.func.functional_call's substituted tensors out of the graph (empirical_ntk)
        for W in list(self.weights)[1:]:
            hs.append(torch.matmul(self._phi(hs[-1]), W.transpose(1, 2)) / np.sqrt(self.N))
        return hs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        phi = self._phi(self.hidden(x)[-1])
        return (phi * self.readout[:, None, :]).sum(-1, keepdim=True) / (self.gamma0 * self.N)

    def feature_kernels(self, x: torch.Tensor) -> torch.Tensor:
        """``Phi^l[mu, nu] = phi(h^l_mu) . phi(h^l_nu) / N`` for every layer: (E, L, B, B)."""
        return torch.stack([torch.einsum("ebn,ecn->ebc", self._phi(h), self._phi(h)) / self.N
                            for h in self.hidden(x)], dim=1)
