import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from theorylab.tasks.gaussian_mixture import MixtureConfig, make_mixture, mixture_means, simplex_vertices


@pytest.mark.parametrize("S", [2, 3, 4, 7])
def test_simplex_vertices_are_a_centred_regular_simplex(S):
    V = simplex_vertices(S)
    assert V.shape == (S, S - 1)
    np.testing.assert_allclose(V.sum(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(V @ V.T, np.where(np.eye(S, dtype=bool), 1.0, -1.0 / (S - 1)), atol=1e-15)


def test_simplex_basis_is_written_out():
    # the explicit (reversed Helmert) coordinates; an eigensolver's basis of the degenerate
    # sum-zero subspace is arbitrary and varied between CPU kernels
    r = np.sqrt(3 / 2)
    want = r * np.array([[0.0, -2 / np.sqrt(6)], [-1 / np.sqrt(2), 1 / np.sqrt(6)], [1 / np.sqrt(2), 1 / np.sqrt(6)]])
    np.testing.assert_allclose(simplex_vertices(3), want, atol=1e-15)


def _mixture_digest(env_extra: dict) -> str:
    code = ("import hashlib; from theorylab.tasks.gaussian_mixture import MixtureConfig, make_mixture; "
            "m = make_mixture(MixtureConfig(C=3, S=4, d=15, n=5, offsets='simplex'), rng=1); "
            "print(hashlib.sha256(m.x.tobytes()).hexdigest())")
    env = {**os.environ, "OMP_NUM_THREADS": "1", **env_extra}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_same_seed_same_data_whatever_blas_kernel():
    """Issue #13: the data must not depend on the CPU (OpenBLAS picks its kernel from the CPU;
    OPENBLAS_CORETYPE forces another one where OpenBLAS is built with DYNAMIC_ARCH)."""
    here = hashlib.sha256(make_mixture(MixtureConfig(C=3, S=4, d=15, n=5, offsets="simplex"), rng=1).x.tobytes())
    for core in ("Sandybridge", "Haswell"):
        assert _mixture_digest({"OPENBLAS_CORETYPE": core}) == here.hexdigest()


def test_means_are_exact_and_offsets_orthogonal_to_coarse_directions():
    cfg = MixtureConfig(C=3, S=3, d=12, coarse_sep=3.0, fine_offset=1.5, offsets="simplex")
    m, mu = mixture_means(cfg)
    d = np.linalg.norm(m[:, None] - m[None], axis=-1)
    np.testing.assert_allclose(d[~np.eye(3, dtype=bool)], 3.0, rtol=1e-15)
    off = mu - m[:, None]
    np.testing.assert_allclose(np.linalg.norm(off, axis=-1), 1.5, rtol=1e-15)
    assert np.abs(off[..., :3]).max() == 0.0 and np.abs(off.sum(axis=1)).max() < 1e-15
    mix = make_mixture(cfg, rng=0)
    assert mix.x.shape == (3 * 3 * cfg.n, 12) and np.array_equal(mix.fine // 3, mix.coarse)
