r"""Linear teacher-student task with prescribed singular values.

Inputs ``x ~ N(0, Sigma_xx)``, targets ``y = W* x + noise``, noise
``N(0, noise_std^2 I)``.  The teacher ``W* = U diag(s) V^T`` has the prescribed
singular values ``s`` and random orthonormal ``U, V``.  Inputs are whitened
(``Sigma_xx = I``) unless ``input_var`` gives variances along ``V``'s columns
(the co-diagonal setting of Saxe et al. 2014, sec. 2), in which case

    Sigma_xx = V diag(input_var) V^T,   Sigma_yx = W* Sigma_xx = U diag(s * input_var) V^T,

so mode ``alpha`` has correlation strength ``s_a lam_a`` and input variance
``lam_a``; a two-layer network's mode converges to ``s_a`` (the teacher).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from theorylab._validate import check_int, check_nonnegative, check_positive
from theorylab.rng import as_generator

from ._samples import Samples

__all__ = ["TeacherStudentConfig", "TeacherStudentTask", "make_teacher_student"]


def _haar_orthonormal(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """``n x k`` matrix with Haar-distributed orthonormal columns (sign-fixed QR)."""
    q, r = np.linalg.qr(rng.standard_normal((n, k)))
    return q * np.sign(np.diag(r))


@dataclass(frozen=True)
class TeacherStudentConfig:
    """Validated configuration of a linear teacher-student task.

    Parameters
    ----------
    d_in, d_out : int >= 1
    singular_values : tuple of float > 0, at most ``min(d_in, d_out)`` of them
        Teacher singular values ``s``, in any order.
    noise_std : float >= 0
        Standard deviation of the additive label noise.
    input_var : tuple of float > 0 or None
        Input variances along the teacher's right singular vectors (the first
        ``len(singular_values)`` directions; the rest have variance 1).
        ``None`` means whitened inputs.
    """

    d_in: int
    d_out: int
    singular_values: tuple[float, ...]
    noise_std: float = 0.0
    input_var: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        check_int("d_in", self.d_in)
        check_int("d_out", self.d_out)
        object.__setattr__(self, "singular_values", tuple(float(v) for v in np.atleast_1d(self.singular_values)))
        check_positive("singular_values", self.singular_values)
        if len(self.singular_values) > min(self.d_in, self.d_out):
            raise ValueError(
                f"singular_values must have at most min(d_in, d_out) = {min(self.d_in, self.d_out)} "
                f"entries, got {len(self.singular_values)}"
            )
        check_nonnegative("noise_std", self.noise_std)
        if self.input_var is not None:
            object.__setattr__(self, "input_var", tuple(float(v) for v in np.atleast_1d(self.input_var)))
            check_positive("input_var", self.input_var)
            if len(self.input_var) != len(self.singular_values):
                raise ValueError(
                    f"input_var must have one entry per singular value ({len(self.singular_values)}), "
                    f"got {len(self.input_var)}"
                )


@dataclass(frozen=True)
class TeacherStudentTask:
    """A drawn teacher: exact statistics plus a sampler."""

    config: TeacherStudentConfig
    U: np.ndarray = field(repr=False)   # (d_out, r)
    V: np.ndarray = field(repr=False)   # (d_in, d_in) orthonormal; first r columns carry the modes

    @property
    def s(self) -> np.ndarray:
        """Teacher singular values."""
        return np.asarray(self.config.singular_values)

    @property
    def lam(self) -> np.ndarray:
        """Input variance along each mode (1 when whitened)."""
        return np.ones(len(self.s)) if self.config.input_var is None else np.asarray(self.config.input_var)

    @property
    def teacher(self) -> np.ndarray:
        """``W* = U diag(s) V_r^T``, shape (d_out, d_in)."""
        r = len(self.s)
        return (self.U * self.s) @ self.V[:, :r].T

    @property
    def input_std(self) -> np.ndarray:
        """Standard deviation along each column of ``V`` (length d_in)."""
        sd = np.ones(self.config.d_in)
        sd[: len(self.s)] = np.sqrt(self.lam)
        return sd

    @property
    def sigma_xx(self) -> np.ndarray:
        """Exact ``E[x x^T]``."""
        return (self.V * self.input_std**2) @ self.V.T

    @property
    def sigma_yx(self) -> np.ndarray:
        """Exact ``E[y x^T] = W* Sigma_xx``; its SVD is ``U diag(s * lam) V_r^T``."""
        return self.teacher @ self.sigma_xx

    @property
    def mode_strengths(self) -> np.ndarray:
        """Singular values of ``Sigma_yx``: ``s * lam``."""
        return self.s * self.lam

    def sample(self, n: int, *, rng) -> Samples:
        """``n`` i.i.d. samples; every draw goes through ``rng``."""
        n = check_int("n", n)
        g = as_generator(rng)
        z = g.standard_normal((n, self.config.d_in)) * self.input_std
        x = z @ self.V.T
        y = x @ self.teacher.T + self.config.noise_std * g.standard_normal((n, self.config.d_out))
        return Samples(x, y)


def make_teacher_student(config: TeacherStudentConfig, *, rng) -> TeacherStudentTask:
    """Draw Haar-random singular vectors for the teacher of ``config``."""
    g = as_generator(rng)
    r = len(config.singular_values)
    U = _haar_orthonormal(g, config.d_out, r)
    V = _haar_orthonormal(g, config.d_in, config.d_in)
    return TeacherStudentTask(config, U, V)
