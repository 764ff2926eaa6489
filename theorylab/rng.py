"""One seed -> independent random streams.

Library code never touches global RNG state (``numpy.random.seed``,
``torch.manual_seed``, ``random.seed``).  Every draw goes through a
:class:`numpy.random.Generator` or :class:`torch.Generator` derived here from
one integer seed with :class:`numpy.random.SeedSequence`, so the same seed
gives the same numbers and streams for different purposes (data, init, SGD
order) are statistically independent.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

__all__ = ["STREAMS", "as_generator", "streams", "torch_generator", "member_seeds"]

#: The named purposes every experiment draws from, in a fixed order.
STREAMS = ("data", "init", "order", "noise", "test")

SeedLike = int | np.random.SeedSequence | np.random.Generator | None


def _seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.SeedSequence(int(seed))


def as_generator(rng: SeedLike) -> np.random.Generator:
    """Return ``rng`` if it is a Generator, else a fresh Generator from the seed.

    ``None`` is refused: an unseeded draw would break "same seed, same numbers".
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        raise ValueError("rng must be a seed (int) or numpy.random.Generator, got None")
    return np.random.default_rng(_seed_sequence(rng))


def streams(seed: int | np.random.SeedSequence, names: Sequence[str] = STREAMS) -> dict[str, np.random.Generator]:
    """Independent numpy Generators, one per name, all derived from ``seed``.

    Streams are assigned by position in ``names`` via ``SeedSequence.spawn``;
    the default names are :data:`STREAMS`, so ``streams(s)["init"]`` is the same
    whichever other streams are used.
    """
    children = _seed_sequence(seed).spawn(len(names))
    return {n: np.random.default_rng(c) for n, c in zip(names, children)}


def torch_generator(rng: SeedLike, device: str | torch.device = "cpu") -> torch.Generator:
    """A ``torch.Generator`` seeded from a numpy stream (does not touch torch's global RNG)."""
    g = as_generator(rng)
    tg = torch.Generator(device=device)
    tg.manual_seed(int(g.integers(0, 2**63 - 1)))
    return tg


def member_seeds(seed: int, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent SeedSequences for the members of an ensemble.

    Member ``e`` of an ensemble built from ``seed`` gets the same numbers as a
    single model built from ``member_seeds(seed, n)[e]``.
    """
    return _seed_sequence(seed).spawn(n)
