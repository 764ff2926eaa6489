"""SIM studies: the comparators moved from the core, the clocks, config splitting and field validation."""
import numpy as np
import pytest

from theorylab.clock import Clock, ClockMismatch
from theorylab.compare import max_error
from theorylab.solvers import sim
from theorylab.studies import registered_studies
from theorylab.studies.structured_identity import (GF, PAPER, SwingBy, composition_order_agreement,
                                                   concept_learning_times, count_rises, detect_swing_by,
                                                   select_config, swing_by_agreement, trajectory_distance)
from theorylab.studies.structured_identity_sgd import ConceptTheory, DeepSIM, OneLayerSIM
from theorylab.studies.structured_identity_symmetric import SwingByStages, SymmetricSIM, symmetric_task
from theorylab.tasks import SIMConfig
from theorylab.testing import thresholds as tol
from theorylab.trajectory import Trajectory

SIM_STUDIES = sorted(name for name, cls in registered_studies().items() if cls.family == "structured_identity")


# ----------------------------------------------------------------------------- comparators
def test_detect_swing_by_finds_min_then_max():
    t = np.linspace(0, 10, 1001)
    L = np.exp(-t) + 0.3 * np.exp(-((t - 4) ** 2))          # dip, bump at ~4, descent
    ev = detect_swing_by(t, L)
    assert ev is not None and ev.t_min < ev.t_max
    assert 2.0 < ev.t_min < 4.0 and 3.5 < ev.t_max < 4.5 and ev.height > 0.1
    assert detect_swing_by(t, np.exp(-t)) is None
    assert detect_swing_by(t, np.exp(-t) + 1e-6 * np.sin(t), rel_height=1e-3) is None
    assert count_rises(L) == 1 and count_rises(np.exp(-t)) == 0


def test_swing_by_agreement_cases():
    a = SwingBy(1.0, 0.1, 2.0, 0.2)
    b = SwingBy(1.1, 0.1, 2.0, 0.2)
    band = tol.criterion(0.25, "test")
    assert swing_by_agreement(a, b, name="x", threshold=band).value == pytest.approx(0.1)
    assert swing_by_agreement(None, None, name="x", threshold=band).passed
    assert not swing_by_agreement(a, None, name="x", threshold=band).passed
    assert swing_by_agreement(a, b, name="x", threshold=band).model.startswith("criterion")


def test_concept_learning_times_and_distance():
    t = np.linspace(0, 5, 501)
    a = np.array([2.0, 0.5])
    mu = np.array([1.0, 3.0])
    out = (1 - np.exp(-np.outer(t, a))) * mu
    times = concept_learning_times(t, out, mu, 0.9)
    assert np.allclose(times, np.log(10) / a, rtol=1e-3)
    ens = np.stack([out, out], axis=1)
    assert concept_learning_times(t, ens, mu).shape == (2, 2)
    th = Trajectory(t, {"ood": out}, clock=GF)
    ex = Trajectory(t[::10], {"ood": np.stack([out[::10] + 0.02, out[::10] + 0.04], axis=1)}, n_seeds=2, clock=GF)
    d = trajectory_distance(th, ex, scale=np.linalg.norm(mu), label="d", threshold=tol.criterion(0.05, "test"))
    assert d.value == pytest.approx(0.03 * np.sqrt(2) / np.linalg.norm(mu))


def test_composition_order():
    x = np.arange(8.0)
    band = tol.criterion(0.8, "test", at_least=True)
    assert composition_order_agreement(x, x + 1, name="o", threshold=band).value == pytest.approx(1.0)
    assert composition_order_agreement(x, -x, name="o", threshold=band).value == pytest.approx(-1.0)


# ----------------------------------------------------------------------------- clocks
def test_paper_clock_runs_at_twice_gradient_flow_time():
    """The paper's dW/dt = V(W) at t_paper equals gradient flow (dW/dt = 2 V) at t_gf = t_paper / 2."""
    assert PAPER.factor_from(GF) == 2.0 and GF.factor_from(PAPER) == 0.5
    a = np.array([1.2, 0.6, 0.0])
    U0 = np.random.default_rng(0).uniform(0, 1, (3, 3)) / 5
    t_paper = np.linspace(0, 6, 13)
    W_paper = sim.two_layer_symmetric(t_paper, a, U0, convention="paper")
    W_gf = sim.two_layer_symmetric(GF.convert(t_paper, PAPER), a, U0, convention="gradient_flow")
    assert np.allclose(W_paper, W_gf, atol=1e-8)
    assert sim.CONVENTIONS["gradient_flow"] / sim.CONVENTIONS["paper"] == PAPER.factor_from(GF)


def test_symmetric_study_compares_on_the_paper_clock():
    r = SymmetricSIM.example().run()
    assert r.theory.clock == PAPER and r.experiment.clock == GF
    assert r.experiment.t[-1] == pytest.approx(r.theory.t[-1] / 2)           # GD time is half the paper's
    row = max_error(r.theory, r.experiment, "ood_loss", relative=False,
                    threshold=tol.discretisation(0.02, constant=1.0))
    assert row.passed, row
    bad = Trajectory(r.theory.t, r.theory.obs, clock=Clock.discrete("x"))
    with pytest.raises(ClockMismatch):
        max_error(bad, r.experiment, "ood_loss", threshold=1.0)


def test_batched_configs_split_by_config():
    st = OneLayerSIM.example()
    r = st.run()
    C, S, s = len(st.configs), st.seeds, st.configs[0].n_concepts
    assert r.theory["ood"].shape[1:] == (C, s)
    assert r.experiment["ood"].shape[1:] == (S, C, s) and r.experiment.n_seeds == S
    for i, c in enumerate(st.configs):
        th = select_config(r.theory, i)
        ex = select_config(r.experiment, i)
        assert th["ood"].shape[1:] == (s,) and ex["ood"].shape[1:] == (S, s)
        # the theory starts where the members start (their own init), the paper's zero-init form at 0
        np.testing.assert_allclose(th["ood"][0], ex.mean()["ood"][0], atol=1e-6)
        np.testing.assert_allclose(th["comp_loss"][0], ex.mean()["comp_loss"][0], rtol=1e-5)
        assert np.allclose(th["ood_zero_init"][0], 0.0) and np.allclose(th["ood_bias_free"][0], 0.0)
        # the all-on composition's loss sums over every output, the OOD loss over the concept coordinates
        assert np.all(th["comp_loss"][:, -1] >= th["ood_loss"] - 1e-12)
        assert np.all(np.isfinite(ex["ood"]))


def test_one_layer_theory_is_the_flow_from_the_members_init():
    """With biases, the theory of each member is the affine closed form from that member's own init; the
    ensemble's theory is their mean.  A tiny init recovers the paper's zero-init form, and without biases the
    closed form is e^{-A t}."""
    cfg = (SIMConfig((1.0, 2.0), noise_var=0.05, n_per_cluster=50, origin_cluster=True, dim=3, rotate=True),)
    st = OneLayerSIM(configs=cfg, seeds=3, batch_size=16, t_max=2.0, n_rec=5, n_theory=30)
    th = st.theory()
    task = st.tasks()[0]
    W0, b0 = st.member_inits(st.tasks())
    each = sim.one_layer_affine_output(th.t, task.full_rates, task.full_mean, np.r_[1.0, 2.0, 0.0], W0, b0)
    np.testing.assert_allclose(th["ood"][:, 0], each[..., :2].mean(axis=1), rtol=1e-12, atol=1e-12)
    tiny = st.replace(init_scale=1e-9).theory()
    np.testing.assert_allclose(tiny["ood"], tiny["ood_zero_init"], atol=1e-8)
    plain = st.replace(bias=False, init_scale=1e-9).theory()
    a = task.rates
    np.testing.assert_allclose(plain["ood"][:, 0], (1 - np.exp(-np.outer(plain.t, a))) * [1.0, 2.0], atol=1e-8)
    assert "ood_bias_free" not in plain.obs
    # the bias slows the weak concept: its zero-init time to 90% grows about twofold here
    t_bias = concept_learning_times(th.t, th["ood_zero_init"][:, 0], np.array([1.0, 2.0]))
    assert np.isnan(t_bias[0]) or t_bias[0] > sim.one_layer_learning_time(a)[0]


def test_decoupled_theory_matches_one_layer_limit():
    """A depth-D chain from product u0 learns each concept on the clock a_k t, like Saxe modes."""
    cfg = (SIMConfig((1.0, 2.0), noise_var=0.05),)
    th = ConceptTheory(configs=cfg, depth=2, u0=0.01, t_max=20.0, n_theory=400).theory()
    assert np.allclose(th["ood"][-1, 0], [1.0, 2.0], rtol=1e-3)
    one = ConceptTheory(configs=cfg, depth=1, u0=0.0, t_max=20.0, n_theory=400).theory()
    assert np.allclose(one["ood"][0, 0], 0.0)


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize("make", [
    lambda: OneLayerSIM(seeds=0),
    lambda: OneLayerSIM(configs=()),
    lambda: OneLayerSIM(configs=(SIMConfig((1.0,), noise_var=0.1, dim=4), SIMConfig((1.0, 2.0), noise_var=0.1, dim=4))),
    lambda: DeepSIM(init="decoupled", bias=True),
    lambda: DeepSIM(init="decoupled", u0=1.5),
    lambda: ConceptTheory(depth=2, u0=0.0),
    lambda: ConceptTheory(depth=2, u0=0.01, bias=True),
    lambda: SymmetricSIM(init="torch"),
    lambda: SymmetricSIM(noise_std=(0.1, 0.2, 0.3)),
    lambda: SymmetricSIM(recurrence_eta=-0.01),
    lambda: SwingByStages(padding_noise_std=-0.1),
    lambda: SymmetricSIM(d=1),
    lambda: SymmetricSIM(init="gaussian"),
    lambda: SwingByStages(eta=0.0),
])
def test_bad_fields_are_refused(make):
    with pytest.raises(ValueError):
        make()


# ----------------------------------------------------------------------------- clocks of every SIM study
@pytest.mark.parametrize("name", SIM_STUDIES)
def test_every_sim_trajectory_is_on_gradient_flow_of_the_half_mean_loss(name):
    """Determinism, fields and keys are checked for every study in tests/test_contracts.py; here the family's
    clocks: gradient flow of 1/2 E||f - x||^2, or the paper's clock at twice that time -- never a bare step count."""
    r = registered_studies()[name].example().run()
    for tr in (r.theory, r.experiment):
        if tr is not None:
            assert tr.clock in (GF, PAPER), tr.clock


# ----------------------------------------------------------------------------- the authors' setups
def test_torch_rand_init_is_the_authors_draw():
    """torch.rand(d, d) after seeding s, times the scale: what the authors' scripts draw after set_random_seed(s)."""
    import torch

    U0 = SymmetricSIM(signal=(1.0, 1.7, 2.25), d=3, init="torch_rand", init_scale=0.1, init_seed=233333,
                      seeds=2).inits()
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(233333)
        want = (torch.rand(3, 3) / 10).double().numpy()
    finally:
        torch.random.set_rng_state(state)
    np.testing.assert_allclose(U0[0], want, rtol=1e-6)
    assert not np.allclose(U0[1], U0[0])


def test_symmetric_task_takes_one_noise_per_concept_and_padding_noise():
    a, z = symmetric_task((1.0, 1.7, 2.25), (0.5, 0.25, 0.25), 3)
    np.testing.assert_allclose(a, np.array([1.0, 1.7, 2.25]) ** 2 / 3 + np.array([0.5, 0.25, 0.25]) ** 2)
    a, z = symmetric_task((1.0, 1.5), 0.05, 3, padding_noise_std=0.05)
    np.testing.assert_allclose(a, [0.5 + 0.0025, 1.125 + 0.0025, 0.0025])
    np.testing.assert_allclose(z, [1.0, 1.5, 0.0])


def test_recurrence_observables_are_the_authors_recurrence():
    st = SymmetricSIM(signal=(1.0, 1.5), d=2, init="torch_rand", init_scale=0.2, init_seed=7, seeds=2, t_paper=4.0,
                      lr=0.01, n_rec=21, recurrence_eta=0.02)
    th = st.theory()
    a, z = st.task()
    for e, U0 in enumerate(st.inits()):
        t, W = sim.two_layer_recurrence(a, U0, eta=0.02, steps=200)
        np.testing.assert_allclose(th["ood_loss_recurrence"][:, e], np.interp(th.t, t, sim.ood_loss(W, z)),
                                   rtol=1e-12)
        assert np.all(th["min_eig_recurrence"][:, e] > 0)


def test_simplified_variant_of_fig2a_still_agrees_with_its_own_closed_form():
    """The named option kept from earlier versions (no origin cluster, no bias, init x 0.1) runs the same checks."""
    from theorylab.paper_figs.structured_identity import sim_fig2a

    s = sim_fig2a.SIMPLIFIED["smoke"]
    assert not s.bias and not s.configs[0].origin_cluster
    rows = sim_fig2a.checks({"one_layer": s.run()}, s)
    assert all(r.passed for r in rows if r.gating), [str(r) for r in rows if not r.passed]
