import numpy as np
import pytest
import torch

from theorylab.nets import MLP, DeepLinear, init_weights
from theorylab.testing import assert_close


@pytest.mark.parametrize("depth", [1, 2, 5, 12])
def test_orthogonal_product_has_unit_singular_values_at_any_depth(depth, rng):
    Ws = init_weights([6] * (depth + 1), "orthogonal", rng)
    P = np.linalg.multi_dot(Ws[::-1]) if depth > 1 else Ws[0]
    assert_close(np.linalg.svd(P, compute_uv=False), np.ones(6))


def test_gaussian_product_spreads_with_depth(rng):
    """Scaled Gaussian layers: the product's singular values spread as depth grows (Saxe 2014, sec. 5)."""
    def spread(D):
        out = []
        for _ in range(50):
            Ws = init_weights([20] * (D + 1), "gaussian", rng)
            s = np.linalg.svd(np.linalg.multi_dot(Ws[::-1]) if D > 1 else Ws[0], compute_uv=False)
            out.append(np.log(s.max() / s.min()))
        return np.mean(out)
    assert spread(8) > spread(2) > spread(1)


@pytest.mark.parametrize("depth", [1, 2, 3, 6])
def test_decoupled_init_product_and_balance(depth, rng):
    U = np.linalg.qr(rng.normal(size=(5, 3)))[0]
    V = np.linalg.qr(rng.normal(size=(4, 3)))[0]
    u0 = np.array([0.3, 0.02, 1e-3])
    Ws = init_weights([4] + [7] * (depth - 1) + [5], "decoupled", rng, u0=u0, U=U, V=V)
    P = Ws[0]
    for W in Ws[1:]:
        P = W @ P
    assert_close(P, (U * u0) @ V.T, scale=1.0)
    for a, b in zip(Ws[:-1], Ws[1:]):
        assert_close(b.T @ b, a @ a.T, scale=1.0)


def test_balanced_init_is_zero_balanced(rng):
    Ws = init_weights([5, 4, 6, 4], "balanced", rng, scale=1.5)
    for a, b in zip(Ws[:-1], Ws[1:]):
        assert_close(b.T @ b, a @ a.T, scale=np.abs(a @ a.T).max())


def test_ensemble_member_equals_single_model():
    big = DeepLinear([3, 4, 2], seeds=[5, 6, 7], init="gaussian", scale=0.1, dtype="float64", device="cpu")
    one = DeepLinear([3, 4, 2], seeds=[6], init="gaussian", scale=0.1, dtype="float64", device="cpu")
    for Wb, Wo in zip(big.weights, one.weights):
        assert torch.equal(Wb[1], Wo[0])
    x = torch.randn(10, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(big(x)[1], one(x)[0])
    cat = DeepLinear.concat([one, big])
    assert cat.seeds == [6, 5, 6, 7] and torch.equal(cat.end_to_end()[0], cat.end_to_end()[2])


def test_mlp_output_scale_is_a_multiplier():
    a = MLP([3, 8, 2], seeds=range(4), activation="tanh", output_scale=1.0, dtype="float64", device="cpu")
    b = MLP([3, 8, 2], seeds=range(4), activation="tanh", output_scale=7.5, dtype="float64", device="cpu")
    x = a.as_input(np.random.default_rng(0).normal(size=(5, 3)))
    assert a(x).shape == (4, 5, 2)
    assert torch.allclose(b(x), 7.5 * a(x))
    lin = MLP([3, 8, 2], seeds=[0], activation="linear", bias=False, dtype="float64", device="cpu")
    W1, W2 = lin.weights
    assert torch.allclose(lin(x)[0], x @ (W2[0] @ W1[0]).T)


@pytest.mark.parametrize("kwargs, param", [
    (dict(widths=[3, 2], init="xavier"), "init"),
    (dict(widths=[3], init="gaussian"), "widths"),
    (dict(widths=[3, 0, 2], init="gaussian"), r"widths\[1\]"),
    (dict(widths=[3, 2], init="gaussian", scale=-1.0), "scale"),
    (dict(widths=[3, 2], init="decoupled"), "decoupled"),
    (dict(widths=[3, 2], init="decoupled", u0=0.1, U=np.eye(2), V=np.eye(4)[:, :2]), "V"),
    (dict(widths=[3, 2], init="decoupled", u0=-0.1, U=np.eye(2), V=np.eye(3)[:, :2]), "u0"),
])
def test_bad_init_arguments(kwargs, param):
    with pytest.raises(ValueError, match=param):
        DeepLinear(kwargs.pop("widths"), seeds=0, device="cpu", **kwargs)


def test_bad_mlp_and_device_arguments():
    with pytest.raises(ValueError, match="activation"):
        MLP([2, 2], activation="swish", device="cpu")
    with pytest.raises(ValueError, match="output_scale"):
        MLP([2, 2], output_scale=0.0, device="cpu")
    with pytest.raises(ValueError, match="dtype"):
        DeepLinear([2, 2], dtype="float16", device="cpu")
    with pytest.raises(ValueError, match="seeds"):
        DeepLinear([2, 2], seeds=[], device="cpu")


def test_mlp_hidden_is_the_input_to_the_readout():
    from theorylab.nets import MLP

    net = MLP([5, 7, 6, 3], seeds=[0, 1], activation="tanh", output_scale=2.0, dtype="float64", device="cpu")
    x = net.as_input(np.random.default_rng(0).normal(size=(4, 5)))
    H = net.hidden(x)
    out = 2.0 * (torch.matmul(H, net.weights[-1].transpose(1, 2)) + net.biases[-1][:, None, :])
    assert H.shape == (2, 4, 6) and torch.allclose(out, net(x))
