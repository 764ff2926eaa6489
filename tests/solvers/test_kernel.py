import numpy as np
import pytest

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
