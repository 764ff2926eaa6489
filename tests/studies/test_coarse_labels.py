"""Coarse-label studies: closed form vs trained net, observables, validation (contract: tests/test_contracts.py)."""
import numpy as np
import pytest

from theorylab.clock import HALF_MEAN, Clock
from theorylab.compare import max_error
from theorylab.studies.coarse_labels import CoarseLinear, CoarseMLP, fine_snr, hidden_separations
from theorylab.tasks.gaussian_mixture import MixtureConfig, mixture_means


def test_linear_theory_and_experiment_share_names_and_clock():
    r = CoarseLinear.example().run()
    assert r.theory.clock == r.experiment.clock == Clock.gradient_flow(HALF_MEAN)
    assert {"coarse", "fine"} <= set(r.theory.names) & set(r.experiment.names)
    assert r.theory.n_seeds == r.experiment.n_seeds == 2
    assert set(r.experiment.t) <= set(r.theory.t)                       # theory evaluated on every record


def test_trained_linear_net_follows_the_closed_form():
    st = CoarseLinear(mixture=MixtureConfig(C=3, S=3, d=12, coarse_sep=3.0, fine_offset=1.5, noise=0.15, n=60,
                                            offsets="simplex"), seeds=2, lr=0.025, t_max=30.0, n_rec=11)
    r = st.run()
    for e in range(2):
        for name in ("coarse", "fine"):
            # budget at these settings: GD 0.45 lr + O(eps^2) back-reaction + sampled covariance (measured 0.03)
            assert max_error(r.theory.member(e), r.experiment.member(e), name, threshold=0.05).passed
    ex = r.experiment
    assert np.all(ex["nc1"][0] / ex["nc1"][-1] > 10) and np.all(ex["fine_acc"][-1] > 0.95)
    assert np.all(fine_snr(st, r.theory) > np.sqrt(8 / np.pi))


def test_hidden_separations_of_the_identity_are_the_input_distances():
    cfg = MixtureConfig(C=3, S=3, d=12, coarse_sep=3.0, fine_offset=1.5, offsets="simplex")
    coarse, fine = hidden_separations(np.eye(12)[None], mixture_means(cfg)[1])
    np.testing.assert_allclose(coarse, [3.0], rtol=1e-12)
    np.testing.assert_allclose(fine, [1.5 * np.sqrt(3)], rtol=1e-12)   # simplex side: sqrt(2 S / (S - 1)) delta


@pytest.mark.parametrize("loss", ["cross_entropy", "squared"])
def test_mlp_records_collapse_observables_with_weight_decay(loss):
    st = CoarseMLP.example().replace(loss=loss, weight_decay=1e-2)
    ex = st.experiment()
    assert ex.n_seeds == 2 and ex["nc1"].shape == ex["fine_acc"].shape == ex["train_acc"].shape == (3, 2)
    assert np.all((ex["fine_acc"] >= 0) & (ex["fine_acc"] <= 1)) and np.all(ex["nc1"] > 0)
    assert "wd = 0.01" in ex.clock.base and ex.clock.is_gradient_flow
    np.testing.assert_allclose(ex.t, st.lr * np.array([0, 10, 20]))


def test_bad_fields_name_the_field():
    with pytest.raises(ValueError, match="offsets"):
        CoarseLinear(mixture=MixtureConfig(C=3, S=3, d=12))
    with pytest.raises(ValueError, match="hidden"):
        CoarseLinear(hidden=2)
    with pytest.raises(ValueError, match="a0"):
        CoarseLinear(a0=1.0)
    with pytest.raises(ValueError, match="loss"):
        CoarseMLP(loss="mse")
    with pytest.raises(ValueError, match="activation"):
        CoarseMLP(activation="swish")
    with pytest.raises(ValueError, match="n_rec"):
        CoarseMLP(steps=3, n_rec=4)
    with pytest.raises(TypeError, match="seeds"):
        CoarseMLP(seeds=2.0)
