"""Deep linear network ensembles, ``f(x) = W_D ... W_1 x``."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .ensemble import Ensemble
from .init import init_weights

__all__ = ["DeepLinear"]


class DeepLinear(Ensemble):
    """E deep linear networks of widths ``[d_in, n_1, ..., d_out]`` trained as one model.

    Parameters
    ----------
    widths : sequence of int
        ``[d_in, hidden..., d_out]``; depth ``D = len(widths) - 1`` weight matrices.
    seeds : int or sequence of int
        One seed per ensemble member.
    init : {"gaussian", "orthogonal", "decoupled", "balanced"}
        See :mod:`theorylab.nets.init`; ``init_kw`` is passed on (``scale``,
        ``u0``, ``U``, ``V``).
    dtype : "float32" or "float64";  device : None picks CUDA when available.

    Examples
    --------
    >>> net = DeepLinear([4, 8, 3], seeds=range(16), init="gaussian", scale=1e-2)
    >>> net.end_to_end().shape
    torch.Size([16, 3, 4])
    """

    def __init__(self, widths: Sequence[int], seeds=0, *, init: str = "gaussian", dtype="float32",
                 device=None, **init_kw):
        super().__init__(seeds, dtype=dtype, device=device)
        per_member = [init_weights(widths, init, g, **init_kw) for g in self._init_streams()]
        self.widths = list(widths)
        self.weights = torch.nn.ParameterList(self._stack(per_member))

    @classmethod
    def concat(cls, nets: "Sequence[DeepLinear]") -> "DeepLinear":
        """One ensemble holding every member of ``nets`` (same widths, dtype, device), in order.

        Lets differently initialised ensembles train as one batched model.
        """
        nets = list(nets)
        if not nets:
            raise ValueError("nets must hold at least one DeepLinear")
        first = nets[0]
        for n in nets[1:]:
            if n.widths != first.widths or n._dtype != first._dtype or n._device != first._device:
                raise ValueError("nets must share widths, dtype and device to be concatenated")
        out = cls.__new__(cls)
        Ensemble.__init__(out, [s for n in nets for s in n.seeds], dtype=first._dtype, device=first._device)
        out.widths = list(first.widths)
        out.weights = torch.nn.ParameterList(
            torch.nn.Parameter(torch.cat([n.weights[l].detach() for n in nets]).clone())
            for l in range(first.depth)
        )
        return out

    @property
    def depth(self) -> int:
        return len(self.weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for W in self.weights:
            h = torch.matmul(h, W.transpose(-1, -2))
        return h

    def end_to_end(self) -> torch.Tensor:
        """The product ``W_D ... W_1``, shape ``(E, d_out, d_in)``."""
        P = self.weights[0]
        for W in list(self.weights)[1:]:
            P = torch.matmul(W, P)
        return P

    def mode_strengths(self, U: np.ndarray, V: np.ndarray) -> torch.Tensor:
        """``u_a = U[:, a]^T (W_D...W_1) V[:, a]`` for each mode, shape ``(E, r)``."""
        U = self.as_input(U)
        V = self.as_input(V)
        return torch.einsum("oa,eoi,ia->ea", U, self.end_to_end(), V)
