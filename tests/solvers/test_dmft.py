import numpy as np
import pytest
from scipy.integrate import solve_ivp

from theorylab import TrainConfig, train
from theorylab.nets import TwoLayerMF
from theorylab.solvers.dmft import DMFT_TIME, dmft_steps, two_layer_linear_error, two_layer_linear_final_kernel
from theorylab.testing import assert_close


def _simulate(gamma0, N=1024, seeds=4, dt=1e-3, t_max=1.5):
    D = P = 8
    g = np.random.default_rng(0)
    X = np.sqrt(D) * np.linalg.qr(g.normal(size=(D, D)))[0]      # whitened: x_mu . x_nu / D = delta
    y = g.normal(size=(P, 1))
    ts = np.linspace(0, t_max, 16)
    net = TwoLayerMF(D, N, seeds=range(seeds), gamma0=gamma0, dtype="float64", device="cpu")
    xx, yy = net.as_input(X), net.as_input(y)
    # gradient flow d theta/dt = -gamma^2 grad L, L = 1/2 sum (y - f)^2: lr = gamma^2 dt on the summed loss
    traj = train(net, X, y, TrainConfig(lr=net.gamma**2 * dt, t_record=net.gamma**2 * ts, reduction="sum"),
                 observables={"err": lambda m: (m(xx) - yy).flatten(1).norm(dim=1)})
    return ts, traj["err"].mean(axis=1), float(np.linalg.norm(y))


@pytest.mark.parametrize("gamma0", [0.5, 1.0, 2.0])
def test_two_layer_linear_error_matches_simulation_within_2_percent(gamma0):
    ts, err, yn = _simulate(gamma0)
    th = two_layer_linear_error(ts, yn, gamma0)
    assert np.abs(err - th).max() <= 0.02 * yn
    # the paper's text drops the factor 2: that version is far off the same simulation
    wrong = solve_ivp(lambda _, d: -np.sqrt(1 + gamma0**2 * (yn - d) ** 2) * d, (0, ts[-1]), [yn], t_eval=ts,
                      rtol=1e-10).y[0]
    assert np.abs(err - wrong).max() > 0.1 * yn


def test_lazy_limit_and_final_kernel():
    t = np.linspace(0, 3, 7)
    assert_close(two_layer_linear_error(t, 2.0, 0.0), 2.0 * np.exp(-2 * t))
    assert_close(two_layer_linear_error(t, 2.0, 1e-6), 2.0 * np.exp(-2 * t), level="ode")
    # rich dynamics are faster: the kernel grows along y
    assert np.all(two_layer_linear_error(t[1:], 2.0, 1.0) < 2.0 * np.exp(-2 * t[1:]))
    assert two_layer_linear_final_kernel(2.0, 1.5) == pytest.approx(np.sqrt(1 + 9.0))


def test_bad_arguments():
    with pytest.raises(ValueError, match="gamma0"):
        two_layer_linear_error([0.0], 1.0, -1.0)
    with pytest.raises(ValueError, match="y_norm"):
        two_layer_linear_error([0.0], 0.0, 1.0)
    with pytest.raises(ValueError, match="gamma0"):
        TwoLayerMF(3, 4, gamma0=0.0, device="cpu")


def test_dmft_particle_solver_reproduces_the_closed_linear_case():
    from theorylab.solvers.dmft import dmft_two_layer

    D = P = 8
    g = np.random.default_rng(0)
    X = np.sqrt(D) * np.linalg.qr(g.normal(size=(D, D)))[0]
    y = g.normal(size=(P, 1))
    ts = np.linspace(0, 1.5, 7)
    ref = dmft_two_layer(X, y, gamma0=1.0, t=ts, activation="linear", n_particles=8192, dt=1e-3)
    assert ref.clock == DMFT_TIME
    np.testing.assert_allclose(ref.t, ts, rtol=1e-12)                 # Euler steps of dt, converted by the clock
    th = two_layer_linear_error(ref.t, float(np.linalg.norm(y)), 1.0)
    assert np.abs(np.sqrt(2 * ref["train_loss"]) - th).max() <= 0.02 * np.linalg.norm(y)
    assert ref["Phi"].shape == (7, P, P)
    # linear features: Phi = E[h h^T] starts at the whitened input kernel (identity) up to sampling error
    assert np.abs(ref["Phi"][0] - np.eye(P)).max() < 6 / np.sqrt(8192)


def test_finite_width_error_shrinks_like_inverse_sqrt_width():
    """Networks of growing width approach the DMFT loss curve at fixed gamma0, error ~ N^(-1/2)."""
    from theorylab.solvers.dmft import dmft_two_layer

    D, P = 6, 10
    g = np.random.default_rng(0)
    X = g.normal(size=(P, D))
    y = np.tanh(X @ g.normal(size=D) / np.sqrt(D))[:, None]
    ts = np.linspace(0, 2, 9)
    ref = dmft_two_layer(X, y, gamma0=1.0, t=ts, activation="tanh", n_particles=32768, dt=2e-3)
    widths = np.array([64, 256, 1024])
    rms = []
    for N in widths:
        net = TwoLayerMF(D, int(N), seeds=range(12), gamma0=1.0, activation="tanh", dtype="float64", device="cpu")
        tr = train(net, X, y, TrainConfig(lr=net.gamma**2 * 2e-3, t_record=net.gamma**2 * ts, reduction="sum"))
        rms.append(np.sqrt(np.mean((tr["loss"] - ref["train_loss"][:, None]) ** 2)))
    slope = np.polyfit(np.log(widths), np.log(rms), 1)[0]
    assert -0.8 <= slope <= -0.3, (rms, slope)


def test_deep_linear_iteration_at_depth_one_is_the_closed_two_layer_dynamics():
    from theorylab.solvers.dmft import dmft_deep_linear

    errs = []
    for n in (100, 200):
        tr = dmft_deep_linear(2.0, 1.5, 1.0, 1, n_steps=n)
        assert tr.clock == DMFT_TIME
        errs.append(np.max(np.abs(tr["Delta"] - two_layer_linear_error(tr.t, 1.5, 1.0))) / 1.5)
    assert errs[1] < 0.6 * errs[0] and errs[1] < 2e-3          # first order in dt, to the closed form
    assert_close(tr["ntk"][0], 2.0, level="exact")


@pytest.mark.parametrize("depth", [2, 3])
def test_deep_linear_dmft_lazy_limit(depth):
    from theorylab.solvers.dmft import dmft_deep_linear

    tr = dmft_deep_linear(1.0, 1.0, 1e-4, depth, n_steps=400)
    assert_close(tr["ntk"], depth + 1.0, level="float32")     # static NTK: L + 1 layers each add 1
    assert np.max(np.abs(tr["Delta"] - np.exp(-(depth + 1) * tr.t))) < 5e-3   # left-point rule, O(dt)


@pytest.mark.parametrize("depth", [2, 3])
def test_deep_linear_dmft_matches_wide_networks(depth):
    """Width-512 MeanFieldMLPs (8 seeds) at gamma0 = 1 vs the self-consistent kernels.

    Tolerance: 4 standard errors of the seed mean plus 1% of |y| for the two time
    discretisations (trainer Euler dt = 4e-3, DMFT left-point rule on 250 steps).
    """
    from theorylab.nets import MeanFieldMLP
    from theorylab.solvers.dmft import dmft_deep_linear
    from theorylab.testing import mc_tolerance

    D, N, seeds, y_norm, gamma0, dt = 4, 512, 8, 1.5, 1.0, 4e-3
    x = np.zeros((1, D))
    x[0, 0] = np.sqrt(D)                                          # |x|^2 / D = 1: whitened single input
    tr = dmft_deep_linear(1.0, y_norm, gamma0, depth, n_steps=250)
    ts = np.linspace(0, 1, 6)
    net = MeanFieldMLP(D, N, depth, seeds=range(seeds), gamma0=gamma0, dtype="float64", device="cpu")
    xx = net.as_input(x)
    out = train(net, x, [[y_norm]], TrainConfig(lr=net.gamma**2 * dt, t_record=net.gamma**2 * ts, reduction="sum"),
                observables={"f": lambda m: m(xx)[:, 0, 0],
                             "Phi": lambda m: m.feature_kernels(xx)[:, :, 0, 0]})
    for key, ref in (("f", np.interp(ts, tr.t, tr["f"])),
                     ("Phi", np.stack([np.interp(ts, tr.t, tr["Phi"][:, k]) for k in range(depth)], axis=1))):
        sim = out[key]                                             # (time, seed[, layer])
        tol = np.array([[mc_tolerance(s, seeds) for s in row] for row in sim.std(axis=1).reshape(len(ts), -1)])
        err = np.abs(sim.mean(axis=1) - ref).reshape(len(ts), -1)
        assert np.all(err <= tol + 0.01 * max(y_norm, np.abs(ref).max())), (key, err, tol)
    assert tr["Phi"][-1, -1] > 1.5                                 # features really moved (rich regime)


def test_deep_linear_and_mean_field_net_bad_config():
    from theorylab.nets import MeanFieldMLP
    from theorylab.solvers.dmft import dmft_deep_linear

    for kwargs, name in ((dict(depth=0), "depth"), (dict(damping=1.5), "damping"), (dict(gamma0=0.0), "gamma0"),
                         (dict(n_steps=1), "n_steps")):
        args = dict(t_max=1.0, y_norm=1.0, gamma0=1.0, depth=2) | kwargs
        with pytest.raises(ValueError, match=name):
            dmft_deep_linear(**args)
    with pytest.raises(ValueError, match="depth"):
        MeanFieldMLP(3, 4, 0)
    with pytest.raises(ValueError, match="activation"):
        MeanFieldMLP(3, 4, 2, activation="swish")


def test_dmft_steps_puts_every_width_on_dmft_time():
    """GD at lr = gamma^2 dt, recorded in steps, lands on DMFT time; a run at another step size is refused."""
    X, y = np.eye(3) * np.sqrt(3), np.ones((3, 1))
    for N in (16, 256):
        net = TwoLayerMF(3, N, seeds=[0], gamma0=1.0, dtype="float64", device="cpu")
        tr = train(net, X, y, TrainConfig(lr=net.gamma**2 * 0.01, t_record=[0, 10, 20], reduction="sum", time="steps"))
        out = dmft_steps(tr, gamma=net.gamma, dt=0.01)
        assert out.clock == DMFT_TIME
        np.testing.assert_allclose(out.t, [0.0, 0.1, 0.2], rtol=1e-14)
        with pytest.raises(ValueError, match="gamma"):
            dmft_steps(tr, gamma=net.gamma, dt=0.02)
    in_flow = train(net, X, y, TrainConfig(lr=net.gamma**2 * 0.01, t_record=[0, 1.0], reduction="sum"))
    with pytest.raises(ValueError, match="steps"):
        dmft_steps(in_flow, gamma=net.gamma, dt=0.01)
