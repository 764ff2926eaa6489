"""The grokking studies: one clock for theory and network, and validation (the contract is tests/test_contracts.py)."""
import numpy as np
import pytest

from theorylab.compare import max_error
from theorylab.solvers.committee import epoch_clock
from theorylab.studies.grokking import Committee, GrokkingRuns, LazyReference, grok_times, one_run
from theorylab.testing import thresholds as tol


def test_network_equals_the_exact_map_on_one_clock():
    res = GrokkingRuns.example().run()
    th, ex = res.theory, res.experiment
    assert th.clock == ex.clock == epoch_clock(GrokkingRuns.example().eta0)
    k = GrokkingRuns.example().trained
    for name in ("train_loss", "test_loss"):
        assert max_error(one_run(th, k), ex, name, threshold=tol.exact()).passed
    assert np.all(np.diff(th.t) > 0) and th.t[-1] == GrokkingRuns.example().steps


def test_one_clock_for_every_alpha_and_the_lazy_model():
    """Runs with different alpha (eta = eta0 N / alpha^2 differs) share the epoch clock, and so does the lazy model."""
    base = dict(D=4, P=10, N=6, n_test=20, eta0=0.5, steps=20, record_every=10)
    th = GrokkingRuns(**base, runs=(Committee(1.0, 0.3), Committee(4.0, 0.3))).theory()
    lazy = LazyReference(**base, committee=Committee(1.0, 0.3)).theory()
    assert th.clock == lazy.clock and th.clock.symbol == "epoch"
    np.testing.assert_array_equal(th.t, lazy.t)
    # at large alpha the network is its linearisation: same epochs, same clock, close losses
    big = GrokkingRuns(**base, runs=(Committee(2048.0, 0.3),)).theory()
    assert max_error(lazy, one_run(big, 0), "train_loss", scale=lazy["train_loss"][0],
                     threshold=tol.criterion(1e-2, "O(1/alpha) at alpha = 2048")).passed


def test_observables_follow_the_options():
    base = dict(D=4, P=10, N=6, n_test=20, eta0=0.5, steps=20, record_every=10)
    plain = GrokkingRuns(**base).theory()
    assert set(plain.names) == {"train_loss", "pop_test_loss", "pop_variance", "pop_misalignment", "pop_linear_power"}
    eig = GrokkingRuns(**base, runs=(Committee(eigvec=1), Committee(eigvec=3)), test_set=True).theory()
    assert "pop_test_loss" not in eig and {"test_loss", "test_loss_sem"} <= set(eig.names)
    lam = np.asarray(eig.meta["ntk_eigenvalues"][0])
    assert lam.shape == (30,) and np.all(np.diff(lam) <= 1e-12)
    assert GrokkingRuns(**base).experiment() is None


def test_runs_with_their_own_initialisation_seed():
    """An ensemble of initialisations is a tuple of runs with their own net_seed; -1 keeps the study's."""
    base = dict(D=4, P=10, N=2, eta0=0.5, steps=30, record_every=10, net_seed=3)
    ens = GrokkingRuns(**base, runs=(Committee(1.0, 0.3, net_seed=3), Committee(1.0, 0.3, net_seed=4),
                                     Committee(1.0, 0.3))).theory()
    one = GrokkingRuns(**{**base, "net_seed": 4}, runs=(Committee(1.0, 0.3),)).theory()
    np.testing.assert_array_equal(ens["train_loss"][:, 0], ens["train_loss"][:, 2])
    assert not np.allclose(ens["train_loss"][:, 0], ens["train_loss"][:, 1])
    np.testing.assert_allclose(ens["train_loss"][:, 1], one["train_loss"][:, 0], rtol=1e-12)
    net = GrokkingRuns(**base, runs=(Committee(1.0, 0.3, net_seed=4),), trained=0, trained_steps=30,
                       trained_every=10).run()
    assert max_error(one_run(net.theory, 0), net.experiment, "train_loss", threshold=tol.exact()).passed


def test_grok_times_reads_the_clock():
    th = GrokkingRuns(D=4, P=10, N=6, eta0=0.5, steps=200, record_every=10, runs=(Committee(1.0, 0.3),)).theory()
    t = grok_times(th, 0)
    assert 0 < t["t_train"] <= 200 and set(t) == {"t_train", "t_test", "rise", "final"}


@pytest.mark.parametrize("kwargs, field", [
    (dict(runs=()), "runs"), (dict(trained=3), "trained"), (dict(trained=0, trained_steps=0), "trained_steps"),
    (dict(trained=0, trained_steps=100, trained_every=75), "trained_every"),
    (dict(trained=0, trained_steps=50, runs=(Committee(toward_solution=0.5),)), "trained"),
    (dict(eta0=0.0), "eta0"), (dict(D=0), "D"), (dict(record_every=0), "record_every"),
])
def test_bad_grokking_runs(kwargs, field):
    with pytest.raises(ValueError, match=field):
        GrokkingRuns(**{**dict(steps=100), **kwargs})


@pytest.mark.parametrize("kwargs, field", [
    (dict(alpha=0.0), "alpha"), (dict(eps=-1.0), "eps"), (dict(init_scale=0.0), "init_scale"),
    (dict(toward_solution=1.0), "toward_solution"), (dict(eigvec=-1), "eigvec"), (dict(net_seed=-2), "net_seed"),
])
def test_bad_committee(kwargs, field):
    with pytest.raises(ValueError, match=field):
        Committee(**kwargs)
    with pytest.raises(TypeError, match="runs"):
        GrokkingRuns(runs=(1.0,))
    with pytest.raises(ValueError, match="committee"):
        LazyReference(committee=Committee(eigvec=2))
