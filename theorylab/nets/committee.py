r"""Committee machines ``f(x) = (alpha/N) sum_i v_i phi(w_i . x)`` as ensembles.

Kumar, Bordelon, Gershman & Pehlevan, ICLR 2024 (arXiv:2310.06110), eq. (2):
``phi(h) = h + (eps/2) h^2``, unit readouts ``v_i = 1``, ``w_i ~ N(0, I_D)``.
With ``centered=True`` the network outputs ``f(x) - f_0(x)`` (``f_0`` frozen
at initialisation), which keeps large-``alpha`` (lazy) training stable.  The
paper's learning rate is ``eta = eta0 N / alpha^2`` on ``L = (1/P) sum (f - y)^2``
(``TrainConfig(reduction="mse")`` with one output is exactly that loss).
"""
from __future__ import annotations

import numpy as np
import torch

from theorylab._validate import check_choice, check_int, check_nonnegative, check_positive

from .ensemble import Ensemble

__all__ = ["CommitteeMachine", "COMMITTEE_ACTIVATIONS"]

COMMITTEE_ACTIVATIONS = ("quadratic", "linear", "relu", "tanh")


class CommitteeMachine(Ensemble):
    """E committee machines with N hidden units on D inputs, batched.

    Parameters
    ----------
    D, N : int >= 1
    alpha : output scale > 0;  eps : quadratic coefficient (``activation="quadratic"``)
    activation : one of ``COMMITTEE_ACTIVATIONS``
    centered : subtract the (frozen) initial function
    train_readout : also train the readouts ``v`` (start at 1)
    init_scale : ``w_i ~ N(0, init_scale^2 I_D)``
    """

    def __init__(self, D: int, N: int, seeds=0, *, alpha: float = 1.0, eps: float = 0.0,
                 activation: str = "quadratic", centered: bool = True, train_readout: bool = False,
                 init_scale: float = 1.0, dtype="float32", device=None):
        super().__init__(seeds, dtype=dtype, device=device)
        self.D, self.N = check_int("D", D), check_int("N", N)
        check_positive("alpha", alpha)
        check_nonnegative("eps", abs(eps))
        check_choice("activation", activation, COMMITTEE_ACTIVATIONS)
        check_positive("init_scale", init_scale)
        self.alpha, self.eps, self.activation, self.centered = float(alpha), float(eps), activation, centered
        (self.W,) = self._stack([[init_scale * g.standard_normal((N, D))] for g in self._init_streams()])
        self.v = torch.nn.Parameter(torch.ones(self.n_members, N, dtype=self._dtype, device=self._device),
                                    requires_grad=train_readout)
        self.register_buffer("W0", self.W.detach().clone())
        self.register_buffer("v0", self.v.detach().clone())

    def phi(self, h: torch.Tensor) -> torch.Tensor:
        if self.activation == "quadratic":
            return h + 0.5 * self.eps * h * h
        if self.activation == "linear":
            return h
        return torch.relu(h) if self.activation == "relu" else torch.tanh(h)

    def _raw(self, x: torch.Tensor, W: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        h = torch.matmul(x, W.transpose(1, 2))                         # (E, B, N)
        return (self.alpha / self.N) * (self.phi(h) * v[:, None, :]).sum(-1, keepdim=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self._raw(x, self.W, self.v)
        if self.centered:
            out = out - self._raw(x, self.W0, self.v0)
        return out

    def order_parameters(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``w_bar = (1/N) sum_i w_i`` (E, D) and ``M = (1/N) sum_i w_i w_i^T`` (E, D, D)."""
        return self.W.mean(dim=1), self.W.transpose(1, 2) @ self.W / self.N

    def initial_order_parameters(self) -> tuple[np.ndarray, np.ndarray]:
        """Initial ``(w_bar, M)`` as numpy arrays (E, D), (E, D, D)."""
        W0 = self.W0.detach().cpu().double().numpy()
        return W0.mean(axis=1), np.einsum("eni,enj->eij", W0, W0) / self.N
