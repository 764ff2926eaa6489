"""``Trajectory``: the one result type of theory and experiment.

A trajectory is a time axis ``t`` of length T plus named observables whose
first axis is time: ``obs[name].shape == (T, ...)``.  An *ensemble* trajectory
has a seed axis right after time, ``(T, E, ...)``, flagged by
``n_seeds``.  Metadata records the conventions (time units, loss
normalisation), the config and the seed, so a saved result says how to read it;
``clock`` (a :class:`~theorylab.clock.Clock`) says what ``t`` means, and
comparators refuse to put two trajectories on different clocks side by side.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .clock import Clock

__all__ = ["Trajectory"]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):          # sorted: a set's order differs between processes
        return sorted((_jsonable(v) for v in obj), key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return repr(obj)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return repr(obj)


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Named observables on a shared time axis.

    Parameters
    ----------
    t : array, shape (T,)
        Time points on ``clock``, finite and non-decreasing.
    obs : mapping name -> array, shape (T, ...) or (T, E, ...)
        Observables; the first axis is time.
    meta : mapping
        Conventions and provenance: at least ``"time"`` (how ``t`` relates to
        steps) and ``"loss"`` (its normalisation) for trained runs.
    n_seeds : int or None
        ``E`` if axis 1 of every observable is a seed axis, else ``None``.
    clock : Clock or None
        What ``t`` means.  Trainers and solvers always set it; comparators
        refuse a trajectory without one.
    static : mapping name -> array
        Time-independent results that belong with the run (a spectrum, an
        embedding, the initial kernel's eigenvalues): arrays of any shape,
        kept as arrays through the cache and ``save``/``load``.
    """

    t: np.ndarray
    obs: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)
    n_seeds: int | None = None
    clock: Clock | None = None
    static: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = np.asarray(self.t, dtype=float)
        if t.ndim != 1:
            raise ValueError(f"t must be one-dimensional, got shape {t.shape}")
        if not np.all(np.isfinite(t)):
            raise ValueError("t must be finite")
        if t.size > 1 and np.any(np.diff(t) < 0):
            raise ValueError("t must be non-decreasing")
        if self.clock is not None and not isinstance(self.clock, Clock):
            raise TypeError(f"clock must be a theorylab.Clock or None, got {type(self.clock).__name__}")
        if self.n_seeds is not None and (isinstance(self.n_seeds, bool) or not isinstance(self.n_seeds, (int, np.integer))
                                         or self.n_seeds < 1):
            raise ValueError(f"n_seeds must be a positive integer or None, got {self.n_seeds!r}")
        obs = {}
        for name, value in self.obs.items():
            a = np.asarray(value)
            if a.ndim == 0 or a.shape[0] != t.size:
                raise ValueError(f"observable {name!r} must have {t.size} time points on axis 0, got shape {a.shape}")
            if self.n_seeds is not None and (a.ndim < 2 or a.shape[1] != self.n_seeds):
                raise ValueError(f"observable {name!r} must have {self.n_seeds} seeds on axis 1, got shape {a.shape}")
            obs[name] = a
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "obs", obs)
        object.__setattr__(self, "meta", dict(self.meta))
        object.__setattr__(self, "static", {str(k): np.asarray(v) for k, v in dict(self.static or {}).items()})

    def _new(self, **changes) -> "Trajectory":
        """A copy with fields changed (the clock and static results carried along)."""
        kw = dict(t=self.t, obs=self.obs, meta=self.meta, n_seeds=self.n_seeds, clock=self.clock, static=self.static)
        kw.update(changes)
        return Trajectory(**kw)

    # -- access ---------------------------------------------------------
    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.obs[name]
        except KeyError:
            raise KeyError(f"no observable {name!r}; have {sorted(self.obs)}") from None

    def __contains__(self, name: str) -> bool:
        return name in self.obs

    @property
    def names(self) -> list[str]:
        return list(self.obs)

    def __len__(self) -> int:
        return self.t.size

    def __repr__(self) -> str:
        span = f"t in [{self.t[0]:.4g}, {self.t[-1]:.4g}]" if len(self) else "empty"
        shapes = ", ".join(f"{k}{tuple(v.shape[1:])}" for k, v in self.obs.items())
        seeds = f", {self.n_seeds} seeds" if self.n_seeds else ""
        return f"Trajectory({len(self)} points, {span}{seeds}: {shapes})"

    def with_obs(self, **new: np.ndarray) -> "Trajectory":
        """A copy with observables added or replaced."""
        return self._new(obs={**self.obs, **new})

    def select(self, names: Iterable[str]) -> "Trajectory":
        """A copy holding only ``names``."""
        return self._new(obs={n: self[n] for n in names})

    # -- time grid ------------------------------------------------------
    def interp(self, t_new: np.ndarray) -> "Trajectory":
        """Linear interpolation of every observable onto ``t_new``.

        ``t_new`` must lie inside ``[t[0], t[-1]]``: extrapolating a learning
        curve is never what a comparison wants.
        """
        t_new = np.asarray(t_new, dtype=float)
        lo, hi = self.t[0], self.t[-1]
        span = max(abs(hi - lo), 1.0)
        if np.any(t_new < lo - 1e-12 * span) or np.any(t_new > hi + 1e-12 * span):
            raise ValueError(f"t_new must lie within [{lo:.6g}, {hi:.6g}]")
        obs = {}
        for name, a in self.obs.items():
            flat = a.reshape(a.shape[0], -1)
            out = np.empty((t_new.size, flat.shape[1]), dtype=np.result_type(flat, float))
            for j in range(flat.shape[1]):
                out[:, j] = np.interp(t_new, self.t, flat[:, j])
            obs[name] = out.reshape((t_new.size,) + a.shape[1:])
        return self._new(t=t_new, obs=obs)

    def on_clock(self, clock: Clock) -> "Trajectory":
        """The same trajectory with ``t`` expressed on ``clock`` (raises ``ClockMismatch`` if impossible)."""
        if self.clock is None:
            raise ValueError("this trajectory has no clock; construct it with clock=Clock...")
        return self._new(t=clock.convert(self.t, self.clock), clock=clock)

    # -- ensembles ------------------------------------------------------
    def _require_seeds(self) -> None:
        if self.n_seeds is None:
            raise ValueError("this trajectory has no seed axis (n_seeds is None)")

    def mean(self) -> "Trajectory":
        """Mean over the seed axis."""
        self._require_seeds()
        return self._new(obs={k: v.mean(axis=1) for k, v in self.obs.items()}, n_seeds=None)

    def std(self, ddof: int = 1) -> "Trajectory":
        """Standard deviation over seeds (``ddof=1``: the unbiased estimate)."""
        self._require_seeds()
        return self._new(obs={k: v.std(axis=1, ddof=ddof) for k, v in self.obs.items()}, n_seeds=None)

    def sem(self) -> "Trajectory":
        """Standard error of the seed mean."""
        self._require_seeds()
        n = self.n_seeds
        return self._new(obs={k: v.std(axis=1, ddof=1) / np.sqrt(n) for k, v in self.obs.items()}, n_seeds=None)

    def quantile(self, q: float) -> "Trajectory":
        """Quantile ``q`` in [0, 1] over seeds."""
        self._require_seeds()
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"q must lie in [0, 1], got {q!r}")
        return self._new(obs={k: np.quantile(v, q, axis=1) for k, v in self.obs.items()}, n_seeds=None)

    def member(self, e: int) -> "Trajectory":
        """The trajectory of seed ``e``."""
        self._require_seeds()
        return self._new(obs={k: v[:, e] for k, v in self.obs.items()}, meta={**self.meta, "member": e}, n_seeds=None)

    # -- plotting ---------------------------------------------------------
    def plot(self, names=None, ax=None, **kw):
        """Plot observables against ``t`` in one call (seed mean and 5-95% band for ensembles).

        Vector observables draw one line per component.  Returns the axes.
        """
        from .plotting import COLORS, new_figure, theory_vs_experiment

        if ax is None:
            _, axes = new_figure(1, 1)
            ax = axes[0, 0]
        names = [names] if isinstance(names, str) else (names or self.names)
        k = 0
        for name in names:
            shape = self[name].shape[2:] if self.n_seeds else self[name].shape[1:]
            comps = list(np.ndindex(*shape)) if shape else [None]
            for c in comps:
                label = name if c is None else f"{name}{list(c)}"
                if self.n_seeds:
                    theory_vs_experiment(ax, None, self, name, index=c, color=COLORS[k % len(COLORS)], label=label,
                                         **kw)
                else:
                    y = self[name] if c is None else self[name][(slice(None),) + c]
                    ax.plot(self.t, y, color=COLORS[k % len(COLORS)], label=label)
                k += 1
        ax.set_xlabel(self.clock.label if self.clock is not None else "t")
        ax.legend(fontsize=6)
        return ax

    # -- persistence ----------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``path`` (``.npz``: arrays) and ``path`` with ``.json`` (metadata)."""
        path = Path(path).with_suffix(".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, __t__=self.t, **{f"obs_{k}": v for k, v in self.obs.items()},
                 **{f"static_{k}": v for k, v in self.static.items()})
        header = {"names": self.names, "n_seeds": self.n_seeds, "meta": _jsonable(self.meta),
                  "clock": None if self.clock is None else self.clock.as_dict(), "static": list(self.static)}
        path.with_suffix(".json").write_text(json.dumps(header, indent=1))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Trajectory":
        """Read a trajectory written by :meth:`save`."""
        path = Path(path).with_suffix(".npz")
        header = json.loads(path.with_suffix(".json").read_text())
        with np.load(path) as z:
            obs = {k: z[f"obs_{k}"] for k in header["names"]}
            static = {k: z[f"static_{k}"] for k in header.get("static", [])}
            t = z["__t__"]
        return cls(t, obs, header["meta"], header["n_seeds"], Clock.from_dict(header.get("clock")), static)
