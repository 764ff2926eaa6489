import numpy as np
import pytest
import torch

from theorylab import TrainConfig, train
from theorylab.nets import DeepLinear
from theorylab.solvers.kernel import kernel_flow
from theorylab.testing import assert_close


def test_linear_model_is_its_own_ntk(rng):
    """f(x) = w.x is linear in w: kernel flow with K = X X^T is exact for the trained model."""
    n, m, d = 12, 7, 5
    X = rng.normal(size=(n, d))
    Xt = rng.normal(size=(m, d))
    y = rng.normal(size=(n, 1))
    net = DeepLinear([d, 1], seeds=[3], init="gaussian", scale=0.7, dtype="float64", device="cpu")
    w0 = net.weights[0].detach().numpy()[0, 0].copy()   # the parameter is updated in place
    lr = 1e-4
    ts = np.array([0.0, 0.2, 0.5, 1.0])
    traj = train(net, X, y, TrainConfig(lr=lr, t_record=ts), test=(Xt, Xt @ np.ones((d, 1))))
    flow = kernel_flow(X @ X.T, y, X @ w0, K_test=Xt @ X.T, f0_test=Xt @ w0, reduction="mean")
    # GD vs gradient flow differ at O(lr): compare at the float32 level
    assert_close(traj["loss"][:, 0], flow.train_loss(traj.t), level="float32", scale=1.0)
    assert_close(traj["test_loss"][:, 0], flow.test_loss(traj.t, Xt @ np.ones((d, 1))), level="float32", scale=1.0)


def test_kernel_flow_limits(rng):
    n = 6
    A = rng.normal(size=(n, n))
    K = A @ A.T + 0.1 * np.eye(n)
    y = rng.normal(size=n)
    flow = kernel_flow(K, y, reduction="sum")
    assert_close(flow.train_outputs([0.0])[0, :, 0], np.zeros(n), scale=1.0)
    assert_close(flow.train_outputs([1e4])[0, :, 0], y)     # full-rank kernel interpolates
    loss = flow.train_loss(np.linspace(0, 5, 30))
    assert np.all(np.diff(loss) <= 0)
    # test prediction on the training inputs equals the train outputs
    flow2 = kernel_flow(K, y, K_test=K, reduction="sum")
    assert_close(flow2.test_outputs([0.7])[0], flow2.train_outputs([0.7])[0], level="ode", scale=1.0)


def test_kernel_flow_validation():
    with pytest.raises(ValueError, match="reduction"):
        kernel_flow(np.eye(2), [1.0, 2.0], reduction="avg")
    with pytest.raises(ValueError, match="symmetric"):
        kernel_flow(np.array([[1.0, 2.0], [0.0, 1.0]]), [1.0, 2.0])
    with pytest.raises(ValueError, match="K_test"):
        kernel_flow(np.eye(2), [1.0, 2.0], K_test=np.ones((3, 3)))


def test_empirical_ntk_of_a_linear_model_is_the_gram_matrix(rng):
    from theorylab.nets import empirical_ntk

    X = rng.normal(size=(6, 4))
    net = DeepLinear([4, 1], seeds=[0, 1], dtype="float64", device="cpu")
    K = empirical_ntk(net, X).numpy()
    assert_close(K, np.broadcast_to(X @ X.T, K.shape))


def test_wide_mlp_at_large_output_scale_follows_its_initial_ntk(rng):
    """Lazy regime (Chizat, Oyallon & Bach 2019): with output scale alpha the network must
    move its outputs by an alpha-independent amount (targets f0 + y), so its features move
    by O(1/alpha) and training follows kernel flow with the initial NTK ever more closely.
    """
    from theorylab.nets import MLP, empirical_ntk

    X = rng.normal(size=(8, 3)) / np.sqrt(3)
    y = np.sin(X @ np.ones(3))[:, None]

    def deviation(alpha):
        net = MLP([3, 128, 1], seeds=[0], activation="tanh", output_scale=alpha, bias=False, dtype="float64",
                  device="cpu")
        with torch.no_grad():
            f0 = net(net.as_input(X))[0].numpy()
        K = empirical_ntk(net, X)[0].numpy()
        n = len(X)
        lr = 0.2 * n / np.linalg.eigvalsh(K).max()
        steps = 150
        traj = train(net, X, f0 + y, TrainConfig(lr=lr, t_record=[0.0, steps * lr]))
        # GD on the linearised model, exactly: residual r_m = (I - lr K / n)^m r_0
        r = np.linalg.matrix_power(np.eye(n) - lr * K / n, steps) @ (-y)
        lazy = 0.5 * np.mean(r**2)
        assert lazy < 0.5 * traj["loss"][0, 0]                 # the run learns something
        return abs(traj["loss"][-1, 0] - lazy) / traj["loss"][0, 0]

    # (beyond alpha ~ 4 the deviation reaches float64 round-off of outputs of size alpha)
    devs = [deviation(a) for a in (0.1, 0.3, 1.0)]
    assert devs[1] < 0.3 * devs[0] and devs[2] < 0.3 * devs[1] and devs[2] < 1e-3, devs


def test_kernel_flow_refuses_an_indefinite_kernel():
    with pytest.raises(ValueError, match="positive semi-definite"):
        kernel_flow(np.diag([1.0, -0.5]), [1.0, 2.0])
