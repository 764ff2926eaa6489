r"""Empirical neural tangent kernel of an ensemble.

For member ``e`` with scalar outputs ``f_e(x)_c``, the NTK on inputs
``x_1..x_n`` is ``K_e[(i,c), (j,c')] = sum_theta d f_e(x_i)_c / d theta *
d f_e(x_j)_{c'} / d theta`` (Jacot, Gabriel & Hongler 2018, arXiv:1806.07572).
Members are independent, so one backward pass through the sum over members
gives every member's gradient at once.
"""
from __future__ import annotations

import torch

from .ensemble import Ensemble

__all__ = ["empirical_ntk"]


def empirical_ntk(model: Ensemble, x) -> torch.Tensor:
    """NTK of every member on ``x`` (n, d): shape ``(E, n * k, n * k)``, index ``i * k + c``.

    Costs ``n * k`` backward passes: meant for the small sets theory compares on.
    """
    x = model.as_input(x)
    params = [p for p in model.parameters() if p.requires_grad]
    out = model(x)                                         # (E, n, k)
    E, n, k = out.shape
    rows = []
    for i in range(n):
        for c in range(k):
            grads = torch.autograd.grad(out[:, i, c].sum(), params, retain_graph=True)
            rows.append(torch.cat([g.reshape(E, -1) for g in grads], dim=1))
    J = torch.stack(rows, dim=1)                           # (E, n k, n_params)
    return (J @ J.transpose(1, 2)).detach()
