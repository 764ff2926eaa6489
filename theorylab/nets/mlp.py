"""Multilayer perceptron ensembles with a chosen nonlinearity and output scale."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from theorylab._validate import check_choice, check_positive

from .ensemble import Ensemble
from .init import _check_widths

__all__ = ["MLP", "ACTIVATIONS"]

ACTIVATIONS = {
    "linear": lambda h: h,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "gelu": torch.nn.functional.gelu,
    "sigmoid": torch.sigmoid,
}


class MLP(Ensemble):
    r"""E MLPs ``f(x) = output_scale * (W_L phi(... phi(W_1 x + b_1) ...) + b_L)``.

    ``init="normal"``: weights ``N(0, init_scale^2 / fan_in)``, biases 0.
    ``init="torch"``: PyTorch's ``nn.Linear`` default, weights and biases
    ``U(-k, k)`` with ``k = init_scale / sqrt(fan_in)`` (what the SIM paper's
    experiments use).  The output scale ``alpha`` multiplies the readout
    (``alpha`` large: lazy / kernel regime; Chizat, Oyallon & Bach 2019,
    arXiv:1812.07956).

    Parameters
    ----------
    widths : ``[d_in, hidden..., d_out]``
    activation : one of ``ACTIVATIONS``
    output_scale : float > 0
    bias : whether layers have biases
    init : "normal" or "torch"
    seeds, dtype, device : as for :class:`~theorylab.nets.DeepLinear`
    """

    def __init__(self, widths: Sequence[int], seeds=0, *, activation: str = "relu", output_scale: float = 1.0,
                 bias: bool = True, init_scale: float = 1.0, init: str = "normal", dtype="float32", device=None):
        super().__init__(seeds, dtype=dtype, device=device)
        widths = _check_widths(widths)
        check_choice("activation", activation, tuple(ACTIVATIONS))
        check_positive("output_scale", output_scale)
        check_positive("init_scale", init_scale)
        check_choice("init", init, ("normal", "torch"))
        self.widths, self.activation, self.output_scale, self.bias = widths, activation, float(output_scale), bias
        per_member = []
        L = len(widths) - 1
        for g in self._init_streams():
            if init == "normal":
                arrs = [init_scale * g.standard_normal((widths[l + 1], widths[l])) / np.sqrt(widths[l])
                        for l in range(L)]
                biases = [np.zeros(w) for w in widths[1:]]
            else:
                ks = [init_scale / np.sqrt(widths[l]) for l in range(L)]
                arrs = [g.uniform(-ks[l], ks[l], (widths[l + 1], widths[l])) for l in range(L)]
                biases = [g.uniform(-ks[l], ks[l], widths[l + 1]) for l in range(L)]
            per_member.append(arrs + (biases if bias else []))
        params = self._stack(per_member)
        self.weights = torch.nn.ParameterList(params[:L])
        self.biases = torch.nn.ParameterList(params[L:])
        self._phi = ACTIVATIONS[activation]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x, len(self.weights))

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations (the features neural-collapse metrics look at): (E, B, width)."""
        return self._run(x, len(self.weights) - 1)

    def _run(self, x: torch.Tensor, n_layers: int) -> torch.Tensor:
        h = x
        L = len(self.weights)
        for l, W in enumerate(list(self.weights)[:n_layers]):
            h = torch.matmul(h, W.transpose(-1, -2))
            if self.bias:
                h = h + self.biases[l][:, None, :]
            if l < L - 1:
                h = self._phi(h)
        return self.output_scale * h if n_layers == L else h
