import numpy as np
import pytest
import torch

from theorylab import TrainConfig, train
from theorylab.clock import HALF_MEAN, Clock
from theorylab.nets import MLP, DeepLinear
from theorylab.solvers.deep_linear import saxe_mode
from theorylab.tasks import TeacherStudentConfig, make_teacher_student
from theorylab.testing import assert_close


def _data(rng, P=20, d=3, k=2):
    return rng.normal(size=(P, d)), rng.normal(size=(P, k))


def test_one_gd_step_is_the_documented_update(rng):
    x, y = _data(rng)
    net = DeepLinear([3, 2], seeds=[0, 1], init="gaussian", dtype="float64", device="cpu")
    W0 = net.weights[0].detach().clone().numpy()
    lr = 0.05
    traj = train(net, x, y, TrainConfig(lr=lr, t_record=[0.0, lr]))
    for e in range(2):
        resid = y - x @ W0[e].T
        grad = -(resid.T @ x) / len(x)                   # d/dW of 1/(2P) sum ||y - Wx||^2
        assert_close(net.weights[0][e].detach().numpy(), W0[e] - lr * grad)
        assert_close(traj["loss"][0, e], 0.5 * np.mean(np.sum(resid**2, 1)))
    assert_close(traj.t, [0.0, lr])
    assert traj.clock == Clock.gradient_flow(HALF_MEAN)              # t = lr * step is gradient-flow time


def test_sum_reduction_scales_time_by_P(rng):
    """Gradient flow on the summed loss at time t equals the mean loss at time P t."""
    x, y = _data(rng, P=10)
    a = DeepLinear([3, 2], seeds=[0], init="gaussian", dtype="float64", device="cpu")
    b = DeepLinear([3, 2], seeds=[0], init="gaussian", dtype="float64", device="cpu")
    ta = train(a, x, y, TrainConfig(lr=1e-3, t_record=[0, 0.1], reduction="sum"))
    tb = train(b, x, y, TrainConfig(lr=1e-2, t_record=[0, 1.0], reduction="mean"))
    assert_close(ta["loss"][-1] / 10, tb["loss"][-1])


def test_trained_two_layer_network_follows_saxe_mode():
    """Decoupled small init, GD with lr <= 1e-2: max |u - saxe_mode| <= 2% of s (acceptance, small size)."""
    svals = (2.0, 1.0)
    task = make_teacher_student(TeacherStudentConfig(4, 4, svals), rng=0)
    U, V = task.U, task.V[:, :2]
    net = DeepLinear([4, 4, 4], seeds=range(3), init="decoupled", u0=1e-3, U=U, V=V, dtype="float64", device="cpu")
    X = 2.0 * np.eye(4)
    traj = train(net, X, X @ task.teacher.T, TrainConfig(lr=5e-3, t_record=np.linspace(0, 8, 41)),
                 observables={"u": lambda m: m.mode_strengths(U, V)})
    for a, s in enumerate(svals):
        err = np.abs(traj["u"][:, :, a] - saxe_mode(traj.t, s, 1e-3)[:, None]).max()
        assert err <= 0.02 * s


def test_sgd_is_reproducible_and_seeded_per_member(rng):
    x, y = _data(rng, P=30)
    cfg = TrainConfig(lr=0.05, t_record=[0, 1.0], optimizer="sgd", batch_size=5)

    def run(seeds):
        net = MLP([3, 6, 2], seeds=seeds, activation="tanh", dtype="float64", device="cpu")
        return train(net, x, y, cfg)["loss"][-1]

    a, b = run([1, 2]), run([1, 2])
    np.testing.assert_array_equal(a, b)
    single = run([2])
    assert_close(a[1], single[0])                      # member 1 of the ensemble == seed 2 alone
    assert not np.allclose(run([1, 3])[1], a[1])


def test_per_member_data_and_stop(rng):
    E = 3
    x = rng.normal(size=(E, 15, 3))
    y = rng.normal(size=(E, 15, 1))
    net = DeepLinear([3, 1], seeds=range(E), init="zeros", dtype="float64", device="cpu")
    ts = np.linspace(0, 150, 101)    # smallest curvature ~ (1 - sqrt(3/15))^2 ~ 0.3: e^{-45} at the end
    traj = train(net, x, y, TrainConfig(lr=0.05, t_record=ts),
                 stop=lambda last: bool(np.all(last["loss"] < 1e3)))
    assert len(traj) == 1                           # stopped at the first record
    traj = train(net, x, y, TrainConfig(lr=0.05, t_record=ts))
    for e in range(E):                              # converged to each member's own least squares
        w = np.linalg.lstsq(x[e], y[e], rcond=None)[0]
        assert_close(net.weights[0][e].detach().numpy(), w.T, level="ode", scale=1.0)


def test_float32_default_and_float64_on_request():
    assert DeepLinear([2, 2], device="cpu").weights[0].dtype == torch.float32
    assert DeepLinear([2, 2], dtype="float64", device="cpu").weights[0].dtype == torch.float64


@pytest.mark.parametrize("kwargs, param", [
    (dict(lr=0.0, t_record=[1.0]), "lr"), (dict(lr=0.1, t_record=[]), "t_record"),
    (dict(lr=0.1, t_record=[-1.0]), "t_record"), (dict(lr=0.1, t_record=[1.0], optimizer="adam"), "optimizer"),
    (dict(lr=0.1, t_record=[1.0], optimizer="sgd"), "batch_size"),
    (dict(lr=0.1, t_record=[1.0], optimizer="sgd", batch_size=2, reduction="sum"), "reduction"),
])
def test_bad_train_config(kwargs, param):
    with pytest.raises(ValueError, match=param):
        TrainConfig(**kwargs)


def test_shape_mismatches(rng):
    net = DeepLinear([3, 2], seeds=[0, 1], device="cpu")
    cfg = TrainConfig(lr=0.1, t_record=[0.1])
    with pytest.raises(ValueError, match="same number of samples"):
        train(net, rng.normal(size=(5, 3)), rng.normal(size=(4, 2)), cfg)
    with pytest.raises(ValueError, match="members"):
        train(net, rng.normal(size=(3, 5, 3)), rng.normal(size=(3, 5, 2)), cfg)
    with pytest.raises(ValueError, match="batch_size"):
        train(net, rng.normal(size=(5, 3)), rng.normal(size=(5, 2)),
              TrainConfig(lr=0.1, t_record=[0.1], optimizer="sgd", batch_size=6))


def test_mse_reduction_is_the_mean_loss_on_a_rescaled_clock(rng):
    """torch mse_loss (mean over samples and k outputs) with lr == the 1/2-mean loss with 2 lr / k."""
    x, y = _data(rng, P=12, d=3, k=4)
    a = MLP([3, 5, 4], seeds=[1], activation="relu", dtype="float64", device="cpu")
    b = MLP([3, 5, 4], seeds=[1], activation="relu", dtype="float64", device="cpu")
    lr = 0.2
    ta = train(a, x, y, TrainConfig(lr=lr, t_record=[0.0, 30 * 2 * lr / 4], reduction="mse"))
    tb = train(b, x, y, TrainConfig(lr=2 * lr / 4, t_record=[0.0, 30 * 2 * lr / 4]))
    assert_close(ta.t, tb.t)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert_close(pa.detach().numpy(), pb.detach().numpy())
    assert_close(ta["loss"], 2 * tb["loss"] / 4)          # L_mse = (2/k) L
    assert ta.clock == tb.clock == Clock.gradient_flow(HALF_MEAN)    # t = 2 lr step / k
    assert "mse_loss" in ta.meta["loss"]


def test_epoch_sampling_visits_every_sample_once_per_epoch():
    from theorylab.train import _Batches

    b = _Batches([0, 1], P=10, batch_size=4, sampling="epoch")
    epoch = [b.next() for _ in range(3)]                   # 4 + 4 + 2
    assert [e.shape[1] for e in epoch] == [4, 4, 2]
    for m in range(2):
        assert sorted(np.concatenate([e[m] for e in epoch]).tolist()) == list(range(10))
    assert not np.array_equal(np.concatenate([e[0] for e in epoch]), np.concatenate([e[1] for e in epoch]))


def test_an_observable_returning_a_parameter_is_recorded_by_value():
    """On the CPU .numpy() shares memory with the parameter: every record must be a copy."""
    from theorylab.nets import DeepLinear

    net = DeepLinear([2, 3, 1], seeds=[0], init="gaussian", dtype="float64", device="cpu")
    x = np.eye(2) * np.sqrt(2)
    tr = train(net, x, np.ones((2, 1)), TrainConfig(lr=0.1, t_record=[0.0, 1.0, 2.0]),
               observables={"W1": lambda m: m.weights[0]})
    assert not np.allclose(tr["W1"][0], tr["W1"][-1])
