"""Shared sample container for task generators."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Samples"]


@dataclass(frozen=True)
class Samples:
    """A finite data set: inputs ``x`` (n, d_in), targets ``y`` (n, d_out), optional labels."""

    x: np.ndarray
    y: np.ndarray
    labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.x.shape[0] != self.y.shape[0]:
            raise ValueError(f"x and y must have the same number of samples, got {self.x.shape[0]} and {self.y.shape[0]}")

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def sigma_xx(self) -> np.ndarray:
        """Empirical ``(1/n) X^T X``."""
        return self.x.T @ self.x / len(self)

    @property
    def sigma_yx(self) -> np.ndarray:
        """Empirical ``(1/n) Y^T X``."""
        return self.y.T @ self.x / len(self)
