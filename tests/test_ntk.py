"""Empirical NTKs (torch.func, the per-layer factorisation, the backward loop), kernel summaries, linearised nets."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab import TrainConfig, train
from theorylab.nets import (MLP, CommitteeMachine, DeepLinear, LeNet, Linearised, MeanFieldMLP, SymmetricLinear,
                            TwoLayerMF, centred_alignment, cone_angle, effective_rank, empirical_ntk,
                            empirical_ntk_loop, kernel_angle, kernel_cosine, kernel_distance, kernel_summaries,
                            kernel_velocity, ntk_observable)
from theorylab.testing import assert_close

KW = dict(dtype="float64", device="cpu")
NETS = {
    "mlp tanh, 2 hidden, 3 outputs": lambda: MLP([5, 16, 16, 3], seeds=[0, 1, 2], activation="tanh", **KW),
    "mlp relu, no bias": lambda: MLP([5, 16, 1], seeds=[0, 1], activation="relu", bias=False, **KW),
    "mlp torch init, output scale": lambda: MLP([5, 16, 2], seeds=[0, 1], init="torch", output_scale=3.0, **KW),
    "deep linear": lambda: DeepLinear([5, 4, 4, 3], seeds=[0, 1], **KW),
    "committee": lambda: CommitteeMachine(5, 7, seeds=[0, 1], alpha=1.5, eps=0.3, **KW),
    "committee, trained readout": lambda: CommitteeMachine(5, 7, seeds=[0, 1], eps=0.3, train_readout=True, **KW),
    "committee relu, not centred": lambda: CommitteeMachine(5, 7, seeds=[0], activation="relu", centered=False, **KW),
    "two-layer mean field": lambda: TwoLayerMF(5, 8, seeds=[0, 1], gamma0=0.5, activation="tanh", **KW),
    "deep mean field": lambda: MeanFieldMLP(5, 8, depth=3, seeds=[0, 1], activation="tanh", **KW),
    "symmetric linear": lambda: SymmetricLinear(5, seeds=[0, 1], **KW),
}


@pytest.mark.parametrize("name", sorted(NETS))
def test_entk_equals_the_backward_loop_for_every_ensemble(name):
    net = NETS[name]()
    g = np.random.default_rng(0)
    x, x2 = g.normal(size=(6, 5)), g.normal(size=(4, 5))
    ref = empirical_ntk_loop(net, x)
    scale = ref.abs().max().item()
    for method in ("auto", "jacobian"):
        K = empirical_ntk(net, x, method=method)
        assert K.shape == ref.shape and K.dtype == torch.float64
        assert_close(K.numpy(), ref.numpy(), level="exact", scale=scale)
    k = ref.shape[1] // 6
    full = empirical_ntk_loop(net, np.vstack([x, x2]))
    assert_close(empirical_ntk(net, x, x2).numpy(), full[:, : 6 * k, 6 * k:].numpy(), level="exact", scale=scale)
    xe = g.normal(size=(net.n_members, 6, 5))                        # one probe set per member
    Ke = empirical_ntk(net, xe)
    for e in range(net.n_members):
        assert_close(Ke[e].numpy(), empirical_ntk_loop(net, xe[e])[e].numpy(), level="exact", scale=scale)


def test_entk_of_a_plain_module_and_bad_method():
    net = LeNet(3, seed=0, **KW)
    x = torch.randn(3, 1, 32, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    K = empirical_ntk(net, x)
    out = net(x)
    ps = list(net.parameters())
    J = torch.stack([torch.cat([g.reshape(-1) for g in torch.autograd.grad(out[i, c], ps, retain_graph=True)])
                     for i in range(3) for c in range(3)])
    assert_close(K.numpy(), (J @ J.T).detach().numpy(), level="exact", scale=K.abs().max().item())
    with pytest.raises(ValueError, match="method"):
        empirical_ntk(NETS["deep linear"](), np.ones((2, 5)), method="loop")


def test_entk_leaves_the_network_and_its_gradients_alone():
    net = NETS["mlp tanh, 2 hidden, 3 outputs"]()
    before = [p.detach().clone() for p in net.parameters()]
    empirical_ntk(net, np.ones((3, 5)))
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    assert all(p.grad is None for p in net.parameters())
    with torch.no_grad():                                  # as train() evaluates observables
        obs = ntk_observable(np.ones((3, 5)), scale=2.0)["ntk"](net)
    assert_close(obs.numpy(), 2.0 * empirical_ntk(net, np.ones((3, 5))).numpy(), level="exact")


def test_linearised_network_starts_at_f_and_trains_as_kernel_gradient_descent():
    g = np.random.default_rng(0)
    X, Xt = g.normal(size=(10, 4)), g.normal(size=(7, 4))
    Y, Yt = np.sin(X.sum(1, keepdims=True)), np.sin(Xt.sum(1, keepdims=True))
    net = MLP([4, 32, 1], seeds=[0, 1], activation="tanh", **KW)
    lin = Linearised(net)
    assert lin.seeds == net.seeds and lin.n_members == 2
    with torch.no_grad():
        assert torch.equal(lin(lin.as_input(X)), net(net.as_input(X)))
    lr, steps = 0.3, 200
    tr = train(lin, X, Y, TrainConfig(lr=lr, t_record=[0.0, lr * steps]), test=(Xt, Yt))
    K = empirical_ntk(net, np.vstack([X, Xt])).numpy()
    with torch.no_grad():
        f0 = net(net.as_input(np.vstack([X, Xt]))).numpy()[..., 0]
    for e in range(2):
        r, ft = f0[e, :10] - Y[:, 0], f0[e, 10:].copy()
        for _ in range(steps):                              # GD on a linear model = kernel GD, exactly
            ft -= lr / 10 * K[e, 10:, :10] @ r
            r -= lr / 10 * K[e, :10, :10] @ r
        assert_close(tr["loss"][-1, e], 0.5 * np.mean(r**2), level="exact", scale=tr["loss"][0, e])
        assert_close(tr["test_loss"][-1, e], 0.5 * np.mean((ft - Yt[:, 0]) ** 2), level="exact", scale=1.0)
    with pytest.raises(TypeError, match="Ensemble"):
        Linearised(LeNet(3, seed=0, **KW))


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 6), st.floats(0.1, 10.0), st.integers(0, 10_000))
def test_kernel_distance_is_scale_invariant_and_matches_the_cosine(m, c, seed):
    g = np.random.default_rng(seed)
    A, B = g.normal(size=(m, m)), g.normal(size=(m, m))
    K1, K2 = A @ A.T, B @ B.T
    cos = np.sum(K1 * K2) / (np.linalg.norm(K1) * np.linalg.norm(K2))
    assert_close(kernel_cosine(K1, K2), cos, level="exact", scale=1.0)
    assert_close(kernel_distance(c * K1, K2), 1 - cos, level="exact", scale=1.0)
    assert_close(kernel_angle(K1, c * K2), np.arccos(np.clip(cos, -1, 1)), level="ode", scale=1.0)
    assert kernel_distance(K1, c * K1) < 1e-15 and kernel_angle(K1, K1) == 0.0


def test_velocity_cone_alignment_and_rank():
    t = np.array([0.0, 1.0, 3.0])
    I, J = np.eye(3), np.diag([1.0, 0.0, 0.0])
    K = np.stack([I, I, J])
    v = kernel_velocity(t, K)
    assert_close(v, [0.0, kernel_distance(I, J) / 2, kernel_distance(I, J) / 2], level="exact", scale=1.0)
    assert_close(cone_angle(t, K, 1.0), kernel_angle(I, J), level="exact", scale=1.0)
    assert cone_angle(t, K, 3.0) == 0.0
    with pytest.raises(ValueError, match="recorded"):
        cone_angle(t, K, 2.0)
    with pytest.raises(ValueError, match="increasing"):
        kernel_velocity([0.0, 0.0, 1.0], K)
    assert_close(effective_rank(I), 3.0, level="exact", scale=1.0)
    assert_close(effective_rank(J), 1.0, level="exact", scale=1.0)
    y = np.array([1.0, -2.0, 0.5])
    assert_close(centred_alignment(np.outer(y, y), y), 1.0, level="exact", scale=1.0)   # the target's own kernel
    from theorylab.solvers.committee import kernel_alignment

    g = np.random.default_rng(1)
    A = g.normal(size=(5, 5))
    yy = g.normal(size=5)
    assert_close(centred_alignment(A @ A.T, yy), kernel_alignment(A @ A.T, yy), level="exact", scale=1.0)
    s = kernel_summaries(t, K, y=y)
    assert set(s) == {"kernel_distance", "kernel_distance_final", "kernel_velocity", "kernel_norm",
                      "effective_rank", "alignment"}
    assert all(v.shape == (3,) for v in s.values())
    with pytest.raises(ValueError, match="K must be"):
        centred_alignment(I, np.ones(4))
