import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab import TrainConfig, train
from theorylab.nets import CommitteeMachine
from theorylab.clock import ClockMismatch
from theorylab.solvers.committee import (CommitteeState, epoch_clock, exact_flow, exact_gd, exact_gd_batch,
                                         network_epochs, outputs, population_test_loss, step_clock)
from theorylab.solvers.kernel import quadratic_ntk_eigenvalues
from theorylab.tasks import PolyRegressionConfig, make_poly_regression
from theorylab.testing import assert_close, mc_tolerance


def _trained_vs_exact(D, P, N, alpha, eps, centered, seed, steps=500, eta0=0.05):
    task = make_poly_regression(PolyRegressionConfig(D, P, n_test=40), rng=seed)
    net = CommitteeMachine(D, N, seeds=[seed], alpha=alpha, eps=eps, centered=centered, dtype="float64",
                           device="cpu")
    eta = eta0 * N / alpha**2                                  # the paper's learning-rate scaling
    xt, yt = net.as_input(task.x_test), net.as_input(task.y_test)
    # reduction="mse" with one output is L = (1/P) sum (f - y)^2; recorded in GD steps, restated on the map's clock
    traj = train(net, task.x_train, task.y_train[:, None],
                 TrainConfig(lr=eta, t_record=np.arange(0, steps + 1, 50), reduction="mse", time="steps"),
                 observables={"test": lambda m: ((m(xt)[..., 0] - yt) ** 2).mean(-1)})
    ex = exact_gd(task.x_train, task.y_train, CommitteeState.from_network(net), eta=eta,
                  steps=steps, record_every=50, X_test=task.x_test, y_test=task.y_test)
    traj = network_epochs(traj)
    assert traj.clock == ex.clock and np.array_equal(traj.t, ex.t)
    return traj, ex


@settings(max_examples=12)
@given(st.integers(2, 12), st.integers(1, 40), st.integers(1, 30), st.floats(0.25, 4.0), st.floats(0.0, 1.0),
       st.booleans(), st.integers(0, 1000))
def test_trained_network_equals_exact_order_parameter_dynamics(D, P, N, alpha, eps, centered, seed):
    """Acceptance: float64 GD of a width-N network vs the (w_bar, M) map, <= 1e-9 relative over 500 steps."""
    traj, ex = _trained_vs_exact(D, P, N, alpha, eps, centered, seed)
    for a, b in ((traj["loss"][:, 0], ex["train_loss"]), (traj["test"][:, 0], ex["test_loss"])):
        assert np.all(np.abs(a - b) <= 1e-9 * np.abs(b) + 1e-15), (a, b)


def test_gradient_flow_limit_of_the_map():
    task = make_poly_regression(PolyRegressionConfig(6, 20), rng=1)
    g = np.random.default_rng(0)
    W = g.normal(size=(5, 6))
    st_ = CommitteeState(W.mean(0), W.T @ W / 5, 1.0, 0.5, 5)
    fl = exact_flow([0.0, 2.0], task.x_train, task.y_train, st_)
    errs = []
    for eta in (0.02, 0.01):
        gd = exact_gd(task.x_train, task.y_train, st_, eta=eta, steps=int(round(2.0 / eta))).on_clock(fl.clock)
        assert gd.t[-1] == pytest.approx(2.0)                  # epochs converted to gradient-flow time by the clock
        errs.append(abs(gd["train_loss"][-1] - fl["train_loss"][-1]))
    assert errs[1] < 0.6 * errs[0]                             # Euler: error O(eta)


def test_population_test_loss_gaussian_moments_in_sympy():
    """E[(a.x + x^T Q x)^2] for x ~ N(0, I/D) equals |a|^2/D + (TrQ/D)^2 + 2||Q||_F^2/D^2 (D = 3)."""
    D = 3
    x = sp.symbols("x0:3")
    a = sp.symbols("a0:3")
    q = {(i, j): sp.Symbol(f"q{min(i, j)}{max(i, j)}") for i in range(D) for j in range(D)}
    Q = sp.Matrix(D, D, lambda i, j: q[(i, j)])
    X = sp.Matrix(x)
    expr = sp.expand((sum(ai * xi for ai, xi in zip(a, x)) + (X.T * Q * X)[0]) ** 2)
    s2 = sp.Rational(1, D)                                      # variance of each coordinate

    def moment(k):                                              # E[x^k] for N(0, s2)
        return 0 if k % 2 else sp.factorial2(k - 1) * s2 ** (k // 2)

    poly = sp.Poly(expr, *x)
    expectation = sum(c * sp.prod([moment(k) for k in mon]) for mon, c in poly.terms())
    closed = (sum(ai**2 for ai in a) / D + (Q.trace() / D) ** 2
              + 2 * sum(Q[i, j] ** 2 for i in range(D) for j in range(D)) / D**2)
    assert sp.simplify(sp.expand(expectation - closed)) == 0


def test_population_loss_matches_a_large_test_set():
    D = 8
    task = make_poly_regression(PolyRegressionConfig(D, 10, n_test=200_000), rng=2)
    g = np.random.default_rng(5)
    W = g.normal(size=(6, D))
    st_ = CommitteeState(np.zeros(D), np.zeros((D, D)), 1.3, 0.7, 6, centered=True)
    wbar, M = W.mean(0), W.T @ W / 6
    err = (outputs(task.x_test, wbar, M, st_) - task.y_test) ** 2
    pop = population_test_loss(wbar, M, task.beta[0], st_)
    assert abs(err.mean() - pop["test_loss"]) <= mc_tolerance(err.std(), err.size)
    assert_close(pop["variance"] + pop["misalignment"] + pop["linear_power"], pop["test_loss"])


def test_ntk_eigenvalues_solve_the_eigen_equations():
    """E_x'[K0(x, x') f(x')] = lam f(x) for each mode, Monte Carlo over x' with a sample-size tolerance."""
    D, eps = 5, 0.8
    lin, quad, norm = quadratic_ntk_eigenvalues(D, eps)
    g = np.random.default_rng(0)
    xp = g.normal(size=(400_000, D)) / np.sqrt(D)
    x = g.normal(size=D) / np.sqrt(D)
    k = xp @ x + eps**2 * (xp @ x) ** 2
    v = g.normal(size=D)
    B = np.diag([1.0, -1.0, 0, 0, 0])
    for f, lam in ((lambda z: z @ v, lin), (lambda z: np.einsum("ni,ij,nj->n", z, B, z), quad),
                   (lambda z: np.sum(z**2, axis=1), norm)):
        vals = k * f(xp)
        target = lam * f(x[None])[0]
        assert abs(vals.mean() - target) <= mc_tolerance(vals.std(), vals.size), (lam, vals.mean(), target)


@pytest.mark.parametrize("kwargs, param", [
    (dict(D=0, P=5), "D"), (dict(D=3, P=0), "P"), (dict(D=3, P=5, target="cubic"), "target"),
    (dict(D=3, P=5, target="hermite", order=12), "order"), (dict(D=3, P=5, noise_std=-1.0), "noise_std"),
])
def test_bad_task_config(kwargs, param):
    with pytest.raises(ValueError, match=param):
        PolyRegressionConfig(**kwargs)


def test_bad_network_and_state():
    with pytest.raises(ValueError, match="alpha"):
        CommitteeMachine(3, 4, alpha=0.0, device="cpu")
    with pytest.raises(ValueError, match="activation"):
        CommitteeMachine(3, 4, activation="cubic", device="cpu")
    with pytest.raises(ValueError, match="alpha"):
        CommitteeState(np.zeros(3), np.zeros((3, 3)), -1.0, 0.1, 4)
    with pytest.raises(ValueError, match="M0"):
        CommitteeState(np.zeros(3), np.zeros((2, 2)), 1.0, 0.1, 4)
    with pytest.raises(ValueError, match="activation"):
        CommitteeState.from_network(CommitteeMachine(3, 4, activation="relu", device="cpu"))
    with pytest.raises(ValueError, match="train_readout"):
        CommitteeState.from_network(CommitteeMachine(3, 4, train_readout=True, device="cpu"))
    from theorylab.solvers.committee import exact_gd_batch, population_limit

    for kwargs, name in ((dict(D=0), "D"), (dict(alpha=0.0), "alpha"), (dict(eps=-0.1), "eps"),
                         (dict(eta0=0.0), "eta0")):
        with pytest.raises(ValueError, match=name):
            population_limit(5, **(dict(D=3, alpha=1.0, eps=0.1, eta0=0.1) | kwargs))
    st_ = CommitteeState(np.zeros(3), np.eye(3), 1.0, 0.1, 4)
    with pytest.raises(ValueError, match="y"):
        exact_gd_batch(np.ones((5, 3)), np.ones((2, 5)), [st_], etas=[0.1], steps=1)
    with pytest.raises(ValueError, match="states"):
        exact_gd_batch(np.ones((5, 3)), np.ones(5), [], etas=[], steps=1)


def test_hermite_and_multi_index_targets():
    cfg = PolyRegressionConfig(6, 50_000, target="hermite", order=3, normalize_teacher=True)
    task = make_poly_regression(cfg, rng=0)
    h = task.x_train @ task.beta[0]
    assert_close(task.y_train, h**3 - 3 * h)
    # He_3 of a standard normal has mean 0 and variance 3! = 6
    assert abs(task.y_train.mean()) <= mc_tolerance(np.sqrt(6), cfg.P)
    multi = make_poly_regression(PolyRegressionConfig(6, 10, n_index=3), rng=0)
    hh = multi.x_train @ multi.beta.T
    assert_close(multi.y_train, 0.5 * (hh**2).sum(1) / np.sqrt(3))


def test_lazy_limit_follows_linearised_model_and_reaches_kernel_regression():
    """Acceptance: at large alpha the trained network follows the linearised model within 1%, and its
    late-time test loss tends to ridgeless regression with the initial NTK (a setting where GD converges:
    D = 6, P = 15, residual factor (1 - 2 eta0 lam_min / P)^m ~ 1e-6 at the end)."""
    from theorylab.solvers.committee import initial_ntk, lazy_gd_trajectory

    D, P, N, eps, alpha = 6, 15, 100, 1.0, 1000.0
    task = make_poly_regression(PolyRegressionConfig(D, P, n_test=300), rng=0)
    net = CommitteeMachine(D, N, seeds=[1], alpha=alpha, eps=eps, dtype="float64", device="cpu")
    st_ = CommitteeState.from_network(net)
    K = initial_ntk(task.x_train, task.x_train, st_)
    eta0 = 0.25 * P / np.linalg.eigvalsh(K).max()
    steps = np.array([0, 100, 1000, 4000, 14000])
    xt, yt = net.as_input(task.x_test), net.as_input(task.y_test)
    eta = eta0 * N / alpha**2
    traj = train(net, task.x_train, task.y_train[:, None], TrainConfig(lr=eta, t_record=2 * eta * steps,
                                                                       reduction="mse"),
                 observables={"test": lambda m: ((m(xt)[..., 0] - yt) ** 2).mean(-1)})
    lazy = lazy_gd_trajectory(task.x_train, task.y_train, st_, eta0=eta0, epochs=steps, X_test=task.x_test,
                              y_test=task.y_test)
    assert lazy.clock == epoch_clock(eta0)
    tr_lazy, te_lazy = lazy["train_loss"], lazy["test_loss"]
    L0 = traj["loss"][0, 0]
    assert np.abs(traj["loss"][:, 0] - tr_lazy).max() <= 0.01 * L0
    assert np.abs(traj["test"][:, 0] - te_lazy).max() <= 0.01 * te_lazy.max()
    # kernel regression with the initial NTK: f* = K_tx K^-1 y
    f_kr = initial_ntk(task.x_test, task.x_train, st_) @ np.linalg.solve(K, task.y_train)
    test_kr = np.mean((f_kr - task.y_test) ** 2)
    assert abs(traj["test"][-1, 0] - test_kr) <= 0.01 * test_kr
    assert traj["loss"][-1, 0] <= 1e-6 * L0


def test_kernel_gd_tends_to_kernel_flow():
    from theorylab.solvers.kernel import kernel_flow, kernel_gd

    g = np.random.default_rng(0)
    A = g.normal(size=(5, 5))
    K = A @ A.T
    y = g.normal(size=5)
    t = np.array([0.0, 0.5, 2.0])
    flow = kernel_flow(K, y).train_loss(t)
    errs = [np.abs(kernel_gd(K, y, lr=lr).train_loss(t) - flow).max() for lr in (1e-2, 1e-3)]
    assert errs[1] < 0.2 * errs[0]


def test_kernel_alignment_bounds():
    from theorylab.solvers.committee import kernel_alignment

    g = np.random.default_rng(1)
    y = g.normal(size=20)
    yc = y - y.mean()
    assert kernel_alignment(np.outer(yc, yc), y) == pytest.approx(1.0)
    A = g.normal(size=(20, 20))
    assert -1.0 <= kernel_alignment(A @ A.T, y) <= 1.0


def _population_map_full(D, alpha, eps, eta0, b, steps):
    """Independent D x D version: the exact map with the population G = (Tr Q I + 2 Q) / D^2."""
    beta = np.zeros(D)
    beta[0] = np.sqrt(b)
    M, c, losses = np.eye(D), 2 * eta0 / alpha, []
    for _ in range(steps + 1):
        Q = 0.5 * (alpha * eps * (M - np.eye(D)) - np.outer(beta, beta))
        losses.append((np.trace(Q) / D) ** 2 + 2 * np.sum(Q**2) / D**2)
        A = np.eye(D) - c * eps * (np.trace(Q) * np.eye(D) + 2 * Q) / D**2
        M = A @ M @ A.T
    return np.array(losses)


def test_fourth_moment_behind_the_population_gradient_in_sympy():
    """E[(x^T Q x) x x^T] = (Tr Q I + 2 Q) / D^2 for x ~ N(0, I/D), checked entry by entry at D = 3."""
    D = 3
    z = sp.symbols("z0:3")
    q = sp.symbols("q0:6")
    Q = sp.Matrix([[q[0], q[1], q[2]], [q[1], q[3], q[4]], [q[2], q[4], q[5]]])
    x = sp.Matrix(z) / sp.sqrt(D)
    moments = {0: 1, 1: 0, 2: 1, 3: 0, 4: 3, 5: 0, 6: 15}

    def expect(expr):
        poly = sp.Poly(sp.expand(expr), *z)
        return sum(c * sp.prod([moments[k] for k in mon]) for mon, c in poly.terms())

    quad = (x.T * Q * x)[0]
    for i in range(D):
        for j in range(D):
            want = (Q.trace() * (1 if i == j else 0) + 2 * Q[i, j]) / D**2
            assert sp.simplify(expect(quad * x[i] * x[j]) - want) == 0


@settings(max_examples=15)
@given(st.integers(2, 30), st.floats(0.25, 4.0), st.floats(0.05, 1.0), st.floats(0.5, 40.0))
def test_two_scalar_population_limit_equals_the_full_population_map(D, alpha, eps, b):
    from theorylab.solvers.committee import population_limit

    eta0 = 0.1 * alpha / max(eps, 0.1)
    two = population_limit(40, D=D, alpha=alpha, eps=eps, eta0=eta0, beta_norm2=b)
    assert_close(two["test_loss"], _population_map_full(D, alpha, eps, eta0, b, 40), level="exact",
                 scale=two["test_loss"][0])
    assert_close(two["variance"] + two["misalignment"], two["test_loss"], level="exact")


def test_population_limit_flow_is_the_small_step_limit():
    from theorylab.solvers.committee import population_limit, population_limit_flow

    D, alpha, eps = 10, 1.0, 0.3
    tau = np.linspace(0, 400, 9)
    flow = population_limit_flow(tau, D=D, alpha=alpha, eps=eps)
    errs = []
    for eta0 in (0.2, 0.1):
        gd = population_limit(int(round(400 / eta0)), D=D, alpha=alpha, eps=eps, eta0=eta0,
                              record_every=int(round(50 / eta0)))
        errs.append(np.max(np.abs(gd["test_loss"] - flow["test_loss"])) / flow["test_loss"][0])
    assert errs[1] < 0.6 * errs[0] and errs[1] < 1e-2      # first-order convergence in the step
    assert np.all(np.diff(flow["test_loss"]) < 0) and flow["test_loss"][-1] < 1e-3 * flow["test_loss"][0]


def test_finite_data_approaches_the_population_limit_as_one_over_sqrt_p():
    """exact_gd on P fresh points from M_0 = I vs the two-scalar limit: a Monte-Carlo mean over datasets."""
    from theorylab.solvers.committee import population_limit

    D, alpha, eps, eta0, steps, n_sets, N = 5, 1.0, 0.5, 0.2, 20, 16, 10**6
    spread = {}
    for P in (1000, 16000):
        rel = []
        for seed in range(n_sets):
            task = make_poly_regression(PolyRegressionConfig(D, P, n_test=1), rng=seed)
            b = task.beta[0]
            pop = population_limit(steps, D=D, alpha=alpha, eps=eps, eta0=eta0, beta_norm2=b @ b, record_every=10)
            ex = exact_gd(task.x_train, task.y_train, CommitteeState(np.zeros(D), np.eye(D), alpha, eps, N),
                          eta=eta0 * N / alpha**2, steps=steps, record_every=10, beta=b)
            rel.append(ex["pop_test_loss"][1:] / pop["test_loss"][1:] - 1)
        rel = np.array(rel)
        spread[P] = rel.std(axis=0)
        assert np.all(np.abs(rel.mean(axis=0)) <= [mc_tolerance(s, n_sets) for s in spread[P]])
    ratio = spread[1000] / spread[16000]                 # 1/sqrt(P): expect ~4
    assert np.all((ratio > 2) & (ratio < 8)), ratio


def test_ntk_of_the_order_parameters_equals_the_trained_networks_empirical_ntk():
    from theorylab.nets import empirical_ntk
    from theorylab.solvers.committee import ntk

    D, P, N, alpha, eps = 5, 12, 7, 1.5, 0.4
    task = make_poly_regression(PolyRegressionConfig(D, P, n_test=6), rng=2)
    net = CommitteeMachine(D, N, seeds=[3], alpha=alpha, eps=eps, dtype="float64", device="cpu")
    train(net, task.x_train, task.y_train[:, None], TrainConfig(lr=0.05 * N / alpha**2, t_record=[0.0, 3.0],
                                                                 reduction="mse"))
    wbar, M = (a[0].detach().numpy() for a in net.order_parameters())
    K_emp = empirical_ntk(net, task.x_test)[0].numpy()
    st_ = CommitteeState.from_network(net)
    assert_close(alpha**2 / N * ntk(task.x_test, task.x_test, wbar, M, st_), K_emp, level="exact",
                 scale=np.abs(K_emp).max())
    assert np.abs(wbar - st_.wbar0).max() > 1e-3           # the state has moved: not the initial kernel


def test_clocks_of_the_exact_map_and_the_population_limit():
    from theorylab.solvers.committee import population_limit, population_limit_flow

    task = make_poly_regression(PolyRegressionConfig(5, 12), rng=0)
    sts = [CommitteeState(np.zeros(5), np.eye(5), a, 0.3, 4) for a in (1.0, 2.0)]
    by_eta = exact_gd_batch(task.x_train, task.y_train, sts, etas=[0.1, 0.2], steps=10, record_every=5)
    assert [tr.clock for tr in by_eta] == [step_clock(0.1), step_clock(0.2)]      # one epoch count, two flow times
    assert by_eta[0].t.tolist() == [0.0, 5.0, 10.0]
    paper = exact_gd_batch(task.x_train, task.y_train, sts, eta0=0.05, steps=10, record_every=5)
    assert paper[0].clock == paper[1].clock == epoch_clock(0.05)
    assert [tr.meta["eta"] for tr in paper] == pytest.approx([0.05 * 4 / 1.0, 0.05 * 4 / 4.0])
    for kwargs in (dict(), dict(etas=[0.1, 0.1], eta0=0.05)):
        with pytest.raises(ValueError, match="eta0"):
            exact_gd_batch(task.x_train, task.y_train, sts, steps=1, **kwargs)
    gd = population_limit(40, D=5, alpha=1.0, eps=0.3, eta0=0.5, record_every=10)
    flow = population_limit_flow([0.0, 20.0], D=5, alpha=1.0, eps=0.3)
    assert gd.on_clock(flow.clock).t.tolist() == [0.0, 5.0, 10.0, 15.0, 20.0]       # tau = eta0 x epoch
    with pytest.raises(ClockMismatch):
        gd.on_clock(step_clock(0.5))                                                 # L~ is not L


def test_network_epochs_checks_the_run():
    task = make_poly_regression(PolyRegressionConfig(4, 10), rng=0)
    net = CommitteeMachine(4, 6, seeds=[0], alpha=2.0, eps=0.3, dtype="float64", device="cpu")
    eta = 0.1 * 6 / 4.0
    in_steps = train(net, task.x_train, task.y_train[:, None],
                     TrainConfig(lr=eta, t_record=[0, 5], reduction="mse", time="steps"))
    assert network_epochs(in_steps, eta0=0.1, N=6, alpha=2.0).clock == epoch_clock(0.1)
    assert network_epochs(in_steps).clock == step_clock(eta)
    with pytest.raises(ValueError, match="eta0"):
        network_epochs(in_steps, eta0=0.2, N=6, alpha=2.0)
    with pytest.raises(ValueError, match="alpha"):
        network_epochs(in_steps, eta0=0.1)
    in_flow = train(net, task.x_train, task.y_train[:, None], TrainConfig(lr=eta, t_record=[0, 1.0], reduction="mse"))
    with pytest.raises(ValueError, match="steps"):
        network_epochs(in_flow)


def _map_vs_network(N, D, P, steps, *, centered, eps=0.25, alpha=1.0, eta0=0.5, every=None):
    task = make_poly_regression(PolyRegressionConfig(D, P), rng=3)
    net = CommitteeMachine(D, N, seeds=[0], alpha=alpha, eps=eps, centered=centered, dtype="float64", device="cpu")
    eta = eta0 * N / alpha**2
    every = every or max(steps // 50, 1)
    ex = exact_gd(task.x_train, task.y_train, CommitteeState.from_network(net), eta=eta, steps=steps,
                  record_every=every)
    tr = network_epochs(train(net, task.x_train, task.y_train[:, None],
                              TrainConfig(lr=eta, t_record=np.arange(0, steps + 1, every), reduction="mse",
                                          time="steps")))
    return np.abs(tr["loss"][:, 0] / ex["train_loss"] - 1)


def test_the_map_stays_on_per_neuron_gd_at_the_papers_fig4_setting_over_its_horizon():
    """Kumar et al. Fig. 4: N = 2, D = 40, P = 120, eps = 0.25, alpha = 1, not centred, eta = 0.5 N / alpha^2, 50k steps.

    Iterated on M the map left GD by step 8k (null-space round-off of the rank-2 M grows
    geometrically) and overflowed near 18k; on the factor of Z it stays within 1e-8.
    """
    rel = _map_vs_network(2, 40, 120, 50_000, centered=False)
    assert rel.max() <= 1e-8, rel.max()


def test_the_map_stays_on_per_neuron_gd_at_n500_d100():
    rel = _map_vs_network(500, 100, 450, 600, centered=True, every=100)
    assert rel.max() <= 1e-8, rel.max()


def test_a_state_given_as_order_parameters_factors_exactly_even_when_not_realisable():
    """(w_bar, M) alone: Z is factored by its eigendecomposition, with signs where Z is indefinite
    (an interpolated M like grok_fig10's); the congruence agrees with iterating M directly."""
    task = make_poly_regression(PolyRegressionConfig(5, 30), rng=1)
    g = np.random.default_rng(2)
    W = g.normal(size=(3, 5))
    net_state = CommitteeState(W.mean(0), W.T @ W / 3, 1.0, 0.4, 3, W0=W)
    op_state = CommitteeState(W.mean(0), W.T @ W / 3, 1.0, 0.4, 3)
    F, S = op_state.factor()
    assert F.shape[1] == 3 and np.all(S == 1)                  # rank N = 3 recovered from (w_bar, M)
    a = exact_gd(task.x_train, task.y_train, net_state, eta=0.05, steps=200, record_every=50)
    b = exact_gd(task.x_train, task.y_train, op_state, eta=0.05, steps=200, record_every=50)
    assert_close(b["train_loss"], a["train_loss"])
    beta = g.normal(size=5)
    M_mix = 0.5 * net_state.M0 + 0.5 * np.outer(beta, beta)
    mixed = CommitteeState(net_state.wbar0, M_mix, 1.0, 0.4, 3, centered=False)
    assert np.any(mixed.factor()[1] < 0)                       # Z indefinite: not an N = 3 network, still a valid map
    ex = exact_gd(task.x_train, task.y_train, mixed, eta=0.05, steps=30, record_every=30)
    wbar, M = mixed.wbar0.copy(), mixed.M0.copy()              # the closure iterated on (w_bar, M) directly
    c = 2 * 0.05 * 1.0 / 3
    for _ in range(30):
        delta = outputs(task.x_train, wbar, M, mixed) - task.y_train
        gv = task.x_train.T @ delta / 30
        G = (task.x_train * delta[:, None]).T @ task.x_train / 30
        A = np.eye(5) - c * 0.4 * G
        Aw = A @ wbar
        M = A @ M @ A.T - c * (np.outer(Aw, gv) + np.outer(gv, Aw)) + c**2 * np.outer(gv, gv)
        wbar = Aw - c * gv
    assert_close(ex["M"][-1], M, scale=np.abs(M).max())
    assert_close(ex["wbar"][-1], wbar, scale=np.abs(wbar).max())


def test_a_diverging_map_names_the_step_and_eta():
    task = make_poly_regression(PolyRegressionConfig(4, 10), rng=0)
    st_ = CommitteeState(np.zeros(4), np.eye(4), 1.0, 0.5, 4)
    with pytest.raises(FloatingPointError, match="step [0-9]+ .*eta = 1000"):
        exact_gd(task.x_train, task.y_train, st_, eta=1e3, steps=500)


def test_neuron_weights_that_disagree_with_the_order_parameters_are_refused():
    """A state moved toward a solution (grok_fig10) must drop W0, or the factor would ignore the move."""
    import dataclasses

    W = np.random.default_rng(0).normal(size=(3, 4))
    st_ = CommitteeState(W.mean(0), W.T @ W / 3, 1.0, 0.3, 3, W0=W)
    with pytest.raises(ValueError, match="W0=None"):
        dataclasses.replace(st_, M0=0.5 * st_.M0)
    moved = dataclasses.replace(st_, M0=0.5 * st_.M0, W0=None)
    F, S = moved.factor()
    Z = (F * S) @ F.T
    assert_close(Z[:4, :4], moved.M0, scale=1.0)


def test_stopping_finished_states_changes_no_number_and_order_parameters_can_be_dropped():
    """stop_when: a state that leaves the batch keeps exactly the records it had; the others are untouched."""
    task = make_poly_regression(PolyRegressionConfig(8, 30), rng=2)
    sts = [CommitteeState.from_network(CommitteeMachine(8, 12, seeds=[s], alpha=a, eps=0.3, dtype="float64",
                                                        device="cpu")) for s, a in ((0, 0.5), (1, 16.0), (2, 1.0))]
    kw = dict(eta0=0.5, steps=3000, record_every=20, beta=task.beta[0])
    full = exact_gd_batch(task.x_train, task.y_train, sts, **kw)
    lean = exact_gd_batch(task.x_train, task.y_train, sts, stop_when=(0.1, 0.5), order_parameters=False, **kw)
    assert any(tr.meta["stopped_early"] for tr in lean) and not all(tr.meta["stopped_early"] for tr in lean)
    for a, b in zip(full, lean):
        n = len(b)
        assert "M" not in b and b.t[-1] <= a.t[-1]
        np.testing.assert_array_equal(b.t, a.t[:n])
        assert_close(b["train_loss"], a["train_loss"][:n])
        assert_close(b["pop_test_loss"], a["pop_test_loss"][:n])
        if b.meta["stopped_early"]:                      # it stopped at the first record meeting both criteria
            ok = (a["train_loss"] <= 0.1 * a["train_loss"][0]) & (a["pop_test_loss"] <= 0.5 * a["pop_test_loss"][0])
            assert np.flatnonzero(ok[1:])[0] + 1 == n - 1
    with pytest.raises(ValueError, match="beta"):
        exact_gd_batch(task.x_train, task.y_train, sts, eta0=0.5, steps=10, stop_when=(0.1, 0.5))
