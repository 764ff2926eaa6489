"""The DMFT studies: DMFT time for every width, validation (the contract is tests/test_contracts.py)."""
import numpy as np
import pytest

from theorylab.compare import max_error
from theorylab.solvers.dmft import DMFT_TIME
from theorylab.studies.dmft import TwoLayerTheory, TwoLayerWidth, finite_width_rms
from theorylab.testing import thresholds as tol


def test_every_width_is_on_dmft_time():
    """Widths with different gamma = gamma0 sqrt(N) land on one clock: no gamma^2 conversion between them."""
    grid = dict(activation="linear", P=4, D=4, dt=0.02, t_max=0.4, n_rec=5)
    th = TwoLayerTheory(**grid).theory()
    runs = [TwoLayerWidth(**grid, width=N, seeds=4).experiment() for N in (64, 1024)]
    assert th.clock == runs[0].clock == runs[1].clock == DMFT_TIME
    for r in runs:
        np.testing.assert_array_equal(r.t, th.t)
    assert finite_width_rms(th, runs[1], "error") < finite_width_rms(th, runs[0], "error")
    y = th["error"][0]
    assert max_error(th, runs[1], "error", scale=y,
                     threshold=tol.monte_carlo(0.6, 1024 * 4, z=4.0, why="width-1024 fluctuations + Euler")).passed


def test_times_are_the_euler_grid():
    s = TwoLayerTheory(activation="tanh", P=4, D=3, particles=64, dt=0.03, t_max=0.5, n_rec=4)
    np.testing.assert_allclose(s.times(), 0.03 * np.rint(np.linspace(0, 0.5, 4) / 0.03), rtol=1e-15)
    assert s.theory().t.tolist() == s.times().tolist()


@pytest.mark.parametrize("kwargs, field", [
    (dict(activation="swish"), "activation"), (dict(activation="linear", P=5, D=4), "P"),
    (dict(gamma0=0.0), "gamma0"), (dict(dt=0.0), "dt"), (dict(t_max=1e-4), "t_max"), (dict(n_rec=1), "n_rec"),
    (dict(particles=1), "particles"),
])
def test_bad_theory(kwargs, field):
    with pytest.raises(ValueError, match=field):
        TwoLayerTheory(**kwargs)


def test_bad_width():
    with pytest.raises(ValueError, match="width"):
        TwoLayerWidth(width=0)
    with pytest.raises(ValueError, match="seeds"):
        TwoLayerWidth(seeds=0)
