"""Symmetric two-layer linear ensembles ``f(x) = U U^T x`` (SIM theory's network)."""
from __future__ import annotations

import numpy as np
import torch

from theorylab._validate import check_choice, check_int, check_positive

from .ensemble import Ensemble

__all__ = ["SymmetricLinear"]


class SymmetricLinear(Ensemble):
    r"""E networks ``f(x) = U U^T x`` with ``U`` of shape (d, h): ``W = U U^T`` stays PSD.

    Parameters
    ----------
    d, hidden : int
    init : "uniform" (entries ``U(0, scale)``, the SIM paper's Fig. 5 uses
        ``uniform(0, 1) / 5``) or "gaussian" (``N(0, scale^2)``), or
        ``U0`` (d, hidden) to start every member there, or (E, d, hidden), one per member.
    """

    def __init__(self, d: int, hidden: int | None = None, seeds=0, *, init: str = "uniform", scale: float = 0.2,
                 U0: np.ndarray | None = None, dtype="float32", device=None):
        super().__init__(seeds, dtype=dtype, device=device)
        d = check_int("d", d)
        hidden = d if hidden is None else check_int("hidden", hidden)
        if U0 is not None:
            U0 = np.asarray(U0, float)
            if U0.shape == (d, hidden):
                U0 = np.broadcast_to(U0, (self.n_members, d, hidden))
            if U0.shape != (self.n_members, d, hidden):
                raise ValueError(f"U0 must have shape ({d}, {hidden}) or ({self.n_members}, {d}, {hidden}), got {U0.shape}")
            per = [[u] for u in U0]
        else:
            check_choice("init", init, ("uniform", "gaussian"))
            check_positive("scale", scale)
            draw = (lambda g: scale * g.uniform(0, 1, (d, hidden))) if init == "uniform" else (
                lambda g: scale * g.standard_normal((d, hidden)))
            per = [[draw(g)] for g in self._init_streams()]
        (self.U,) = self._stack(per)

    def weight(self) -> torch.Tensor:
        """``W = U U^T``, shape (E, d, d)."""
        return self.U @ self.U.transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(torch.matmul(x, self.U), self.U.transpose(1, 2))
