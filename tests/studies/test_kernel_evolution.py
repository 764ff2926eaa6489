"""kernel_evolution family: exact kernels against networks, the linearised closed form, boundaries and validation.

The study contract (determinism, clocks, keys) is checked for every registered study by tests/test_contracts.py.
"""
import numpy as np
import pytest

from theorylab.clock import HALF_MEAN, Clock
from theorylab.nets import DeepLinear, empirical_ntk
from theorylab.studies.kernel_evolution import (KernelPhases, Switching, cone_summary, gap_boundary,
                                                linearised_kernel_gd, velocity_boundary)
from theorylab.studies.kernel_evolution_exact import (CommitteeKernel, DeepLinearKernel, MeanFieldKernel,
                                                      deep_linear_ntk, relative_kernel_error)
from theorylab.tasks import TeacherStudentConfig, make_teacher_student
from theorylab.testing import assert_close


@pytest.mark.parametrize("depth, hidden", [(2, 3), (2, 7), (3, 5)])
def test_deep_linear_kernel_of_the_mode_strengths_is_the_entk_of_a_decoupled_network(depth, hidden):
    task = make_teacher_student(TeacherStudentConfig(4, 4, (2.0, 1.0, 0.5)), rng=3)
    U, V = task.U, task.V[:, :3]
    u0 = np.array([0.3, 0.7, 1.1])
    net = DeepLinear([4] + [hidden] * (depth - 1) + [4], seeds=[0, 1], init="decoupled", u0=u0, U=U, V=V,
                     dtype="float64", device="cpu")
    x = np.random.default_rng(0).normal(size=(3, 4))
    K = empirical_ntk(net, x).numpy()
    theory = deep_linear_ntk(x, U, V, u0, depth)
    for e in range(2):
        assert_close(K[e], theory, level="exact", scale=np.abs(theory).max())
    batched = deep_linear_ntk(x, U, V, np.stack([u0, 2 * u0]), depth)           # leading axes broadcast
    assert batched.shape == (2, 12, 12) and np.allclose(batched[0], theory)


def test_linearised_kernel_gd_is_kernel_gd_step_by_step():
    g = np.random.default_rng(1)
    A = g.normal(size=(9, 9))
    K = A @ A.T
    Ktr, Kte = K[:6, :6], K[6:, :6]
    f, y = g.normal(size=9), g.normal(size=9)
    lr = 0.5 * 6 / np.linalg.eigvalsh(Ktr).max()
    r, ft = f[:6] - y[:6], f[6:].copy()
    for _ in range(40):
        ft -= lr / 6 * Kte @ r
        r -= lr / 6 * Ktr @ r
    train_loss, test_loss = linearised_kernel_gd(Ktr, Kte, f[:6], f[6:], y[:6], y[6:], lr=lr, steps=40)
    assert_close(train_loss, 0.5 * np.mean(r**2), level="exact", scale=0.5 * np.mean((f[:6] - y[:6]) ** 2))
    assert_close(test_loss, 0.5 * np.mean((ft - y[6:]) ** 2), level="exact", scale=1.0)
    assert linearised_kernel_gd(Ktr, Kte, f[:6], f[6:], y[:6], y[6:], lr=10 * lr, steps=2000) == (np.inf, np.inf)
    assert linearised_kernel_gd(Ktr, Kte, f[:6], f[6:], y[:6], y[6:], lr=lr, steps=0)[0] == pytest.approx(
        0.5 * np.mean((f[:6] - y[:6]) ** 2), rel=1e-14)


def test_switching_trained_with_jvp_equals_the_closed_form():
    sw = Switching.example()
    res = sw.run()
    th, ex = res.theory, res.experiment
    i = [int(np.argmin(np.abs(th.t - t))) for t in ex.t]
    for name in ("loss", "test_loss"):
        assert_close(ex[name], th[name][i], level="exact", scale=np.abs(th[name]).max())
    assert th.clock == ex.clock == sw.base.clock
    assert np.all(th["test_loss_full"] == th["test_loss_full"][0])


def test_tau_clock_converts_to_gradient_flow_time():
    st = KernelPhases.example().replace(output_scale=2.0)
    ex = st.run().experiment
    assert ex.clock.symbol == "tau"
    gf = ex.on_clock(Clock.gradient_flow(HALF_MEAN))
    assert_close(gf.t, ex.t / 4.0, level="exact", scale=1.0)         # tau = alpha^2 t_gf
    assert_close(ex.t, st.record_times(), level="exact", scale=1.0)


def test_committee_entk_equals_the_exact_map_kernel():
    res = CommitteeKernel.example().run()
    th, ex = res.theory, res.experiment
    n = len(ex.t)
    assert np.allclose(th.t[:n], ex.t) and th.clock == ex.clock
    assert relative_kernel_error(th["ntk"][:n, None], ex["ntk"]).max() < 1e-12
    assert_close(ex["alignment"][:, 0], th["alignment"][:n], level="exact", scale=1.0)


def test_mean_field_theory_kernel():
    st = MeanFieldKernel.example()
    th = st.theory()
    assert_close(th["ntk"][0], 2.0 * np.eye(st.P), level="exact", scale=1.0)      # both layers add 1 at init
    c = np.sqrt(1 + st.gamma0**2 * (st.y_norm - np.sqrt(2 * th["loss"])) ** 2)
    assert_close(th["kernel_y"], 2 * c, level="exact", scale=1.0)
    assert_close(th["kernel_perp"], 1 + c, level="exact", scale=1.0)
    far = MeanFieldKernel(t_max=20.0, dt=0.01, n_rec=3).theory()
    assert_close(far["kernel_y"][-1], 2 * np.sqrt(1 + 1.0 * 2.0**2), level="ode", scale=1.0)


def test_boundaries_and_cone():
    t = np.array([0.0, 1.0, 2.0, 4.0, 8.0])
    v = np.array([1.0, 5.0, 4.0, 0.5, 0.5])
    assert velocity_boundary(t, v, 0.3) == 4.0           # after the last record at >= 0.3 x peak
    assert velocity_boundary(t, np.array([1.0, 1, 1, 1, 1]), 0.3) == 8.0     # never drops: the end
    assert gap_boundary(t, np.array([1.0, 0.5, 0.05, 0.2, 0.01]), 0.1, 10.0) == 8.0   # stays below from 8 on
    assert gap_boundary(t, np.array([1.0, 0.5, 0.5, 0.5, 0.5]), 0.1, 10.0) == 10.0
    K = np.stack([np.eye(2), np.diag([2.0, 1.0]), np.diag([4.0, 2.0]), np.diag([8.0, 4.0]), np.diag([16.0, 8.0])])
    c = cone_summary(t, K, 1.0)
    assert c["cone"] < 1e-6 and c["norm_ratio"] == pytest.approx(8.0) and c["moved"] == pytest.approx(7.0)
    assert c["phase1"] == pytest.approx(np.degrees(np.arccos(3 / np.sqrt(10))))


def test_validation_names_the_field():
    base = KernelPhases.example()
    with pytest.raises(ValueError, match="t_first"):
        base.replace(t_first=5.0)
    with pytest.raises(ValueError, match="n_probe"):
        base.replace(n_probe=100)
    with pytest.raises(ValueError, match="hidden"):
        base.replace(hidden=())
    with pytest.raises(ValueError, match="t0s_trained"):
        Switching(base=base, t0s=(0.0,), t0s_trained=(1.0,))
    with pytest.raises(ValueError, match="t0s"):
        Switching(base=base, t0s=(0.0, 50.0))
    with pytest.raises(ValueError, match="N must be even"):
        MeanFieldKernel(N=9)
    with pytest.raises(ValueError, match="P must be"):
        MeanFieldKernel(P=20, D=8)
    with pytest.raises(ValueError, match="multiples"):
        CommitteeKernel(epochs=101)
    with pytest.raises(ValueError, match="hidden"):
        DeepLinearKernel(hidden=2, svals=(3.0, 2.0, 1.0))
    with pytest.raises(ValueError, match="n_align"):
        CommitteeKernel.example().replace(n_align=1000)
