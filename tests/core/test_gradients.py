"""The central test: analytic gradients equal float64 central differences for
every layer x activation x loss, with the L2 term; and one SGD step by hand."""
import numpy as np
import pytest

from weightlapse.core.layers import ACTIVATIONS, Dense, Dropout
from weightlapse.core.losses import MeanSquaredError, SoftmaxCrossEntropy
from weightlapse.core.model import MLP
from weightlapse.core.optim import SGD


def problem(task, rng, n=7, n_in=4, n_out=3):
    X = rng.normal(size=(n, n_in))
    y = rng.integers(0, n_out, n) if task == "classification" else rng.normal(size=(n, n_out))
    return X, y


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_network_gradients(task, activation, l2, gradcheck):
    numeric_grad, rel_err = gradcheck
    rng = np.random.default_rng(1)
    X, y = problem(task, rng)
    model = MLP([4, 5, 6, 3], activation, "xavier", "float64", l2=l2, task=task,
                rng=np.random.default_rng(2))
    # Move pre-activations away from ReLU's kink, where the derivative is undefined.
    for b in model.biases:
        b[...] = rng.uniform(0.1, 0.3, b.shape)
    model.loss.forward(model.forward(X, training=True), y)
    model.backward(model.loss.backward())
    f = lambda: model.objective(X, y, training=True)  # noqa: E731
    for name, p in model.params.items():
        num = numeric_grad(f, p)
        assert rel_err(model.grads[name], num) < 1e-6, name


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_activation_input_gradient(activation, gradcheck):
    numeric_grad, rel_err = gradcheck
    rng = np.random.default_rng(3)
    X = rng.normal(size=(5, 4))
    X[np.abs(X) < 1e-3] = 0.5  # off the kinks
    layer = ACTIVATIONS[activation]()
    C = rng.normal(size=(5, 4))  # loss = sum(C * f(X))
    layer.forward(X)
    dX = layer.backward(C)
    num = numeric_grad(lambda: float(np.sum(C * layer.forward(X))), X)
    assert rel_err(dX, num) < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS) + ["dropout"])
def test_in_place_backward_gives_the_same_bits_and_leaves_callers_arrays(name, dtype):
    """The MLP's layers overwrite the gradient they are handed (issue 19's
    speed); a layer used on its own does not, and both give the same bits."""
    rng = np.random.default_rng(4)
    X, C = rng.normal(size=(6, 5)).astype(dtype), rng.normal(size=(6, 5)).astype(dtype)
    layers = [Dropout(0.4, np.random.default_rng(2)) if name == "dropout"
              else ACTIVATIONS[name]() for _ in range(2)]
    layers[1].overwrite_grad = True
    for layer in layers:
        layer.forward(X, training=True)
    keep = C.copy()
    copied = layers[0].backward(C)
    assert np.array_equal(C, keep)                 # the caller's array is untouched
    mine = C.copy()
    in_place = layers[1].backward(mine)
    assert in_place.dtype == copied.dtype and np.array_equal(in_place, copied)
    if name in ("relu", "sigmoid", "tanh", "dropout"):    # no new array
        assert in_place is mine
    assert all(l.overwrite_grad != isinstance(l, Dense) for l in
               MLP([4, 3, 3, 2], "tanh", dropout=0.2).layers)


def test_dense_input_gradient_and_penalty(gradcheck):
    numeric_grad, rel_err = gradcheck
    rng = np.random.default_rng(4)
    W, b, X = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(6, 4))
    C = rng.normal(size=(6, 3))
    layer = Dense(W, b, l2=0.5)
    layer.forward(X)
    dX = layer.backward(C)
    f = lambda: float(np.sum(C * layer.forward(X))) + layer.penalty()  # noqa: E731
    assert rel_err(dX, numeric_grad(lambda: float(np.sum(C * layer.forward(X))), X)) < 1e-7
    assert rel_err(layer.grads["W"], numeric_grad(f, W)) < 1e-7
    assert rel_err(layer.grads["b"], numeric_grad(f, b)) < 1e-7
    assert layer.penalty() == pytest.approx(0.25 * np.sum(W ** 2))


def test_dropout_gradient_with_fixed_mask(gradcheck):
    numeric_grad, rel_err = gradcheck
    X = np.random.default_rng(5).normal(size=(8, 6))
    C = np.random.default_rng(6).normal(size=(8, 6))
    drop = Dropout(0.4, np.random.default_rng(7))

    def f():
        drop.rng = np.random.default_rng(7)  # same mask every evaluation
        return float(np.sum(C * drop.forward(X, training=True)))

    f()
    dX = drop.backward(C)
    assert rel_err(dX, numeric_grad(f, X)) < 1e-7
    # Inverted dropout: survivors scaled by 1/(1-p); identity at evaluation.
    out = drop.forward(X, training=True)
    kept = out != 0
    np.testing.assert_allclose(out[kept], X[kept] / 0.6)
    assert drop.forward(X, training=False) is X


def test_dropout_rate_and_expectation():
    drop = Dropout(0.25, np.random.default_rng(0))
    out = drop.forward(np.ones((400, 500)), training=True)
    assert abs((out == 0).mean() - 0.25) < 0.005
    assert abs(out.mean() - 1.0) < 0.01


@pytest.mark.parametrize("loss_cls", [SoftmaxCrossEntropy, MeanSquaredError])
def test_loss_gradients(loss_cls, gradcheck):
    numeric_grad, rel_err = gradcheck
    rng = np.random.default_rng(8)
    Z = rng.normal(size=(5, 4))
    y = rng.integers(0, 4, 5) if loss_cls is SoftmaxCrossEntropy else rng.normal(size=(5, 4))
    loss = loss_cls()
    loss.forward(Z, y)
    dZ = loss.backward()
    assert rel_err(dZ, numeric_grad(lambda: loss.forward(Z, y), Z)) < 1e-7


def test_softmax_cross_entropy_values_and_stability():
    loss = SoftmaxCrossEntropy()
    Z = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0]])
    y = np.array([2, 0])
    p = np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum()
    assert loss.forward(Z, y) == pytest.approx(-np.log(p[2]) / 2)
    assert np.isfinite(loss.backward()).all()
    mse = MeanSquaredError()
    assert mse.forward(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])) == pytest.approx(2.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_equals_the_numpy_formula_bit_for_bit(dtype):
    """The loss skips np.mean's Python wrapper (issue 19) with the same bits."""
    rng = np.random.default_rng(5)
    for n in (1, 7, 64, 200):
        Z = (rng.normal(size=(n, 10)) * 5).astype(dtype)
        y = rng.integers(0, 10, n)
        shifted = Z - Z.max(axis=1, keepdims=True)
        sums = np.exp(shifted).sum(axis=1, keepdims=True)
        want = float((np.log(sums[:, 0]) - shifted[np.arange(n), y]).mean())
        loss = SoftmaxCrossEntropy()
        assert loss.forward(Z, y) == want
        assert np.array_equal(loss.backward(), (np.exp(shifted) / sums
                                                - np.eye(10, dtype=dtype)[y]) / n)


def test_one_sgd_step_by_hand():
    """A 2-2-2 ReLU network, one sample, worked out on paper."""
    model = MLP([2, 2, 2], "relu", "he", "float64", rng=np.random.default_rng(0))
    W0 = np.array([[1.0, -1.0], [0.5, 2.0]])
    b0 = np.array([0.0, 0.5])
    W1 = np.array([[1.0, 0.0], [-1.0, 1.0]])
    b1 = np.array([0.0, 0.0])
    model.set_weights([W0, W1], [b0, b1])
    x, y = np.array([[1.0, 1.0]]), np.array([1])
    # forward: h = x@W0+b0 = [1.5, 1.5]; relu = [1.5, 1.5]; z = [1.5-1.5, 1.5] = [0, 1.5]
    # softmax(z) = [1, e^1.5] / (1 + e^1.5); loss = log(1 + e^1.5) - 1.5
    e = np.exp(1.5)
    p = np.array([1 / (1 + e), e / (1 + e)])
    loss = model.train_step(x, y, SGD(lr=0.1))[0]
    assert loss == pytest.approx(np.log(1 + e) - 1.5)
    dz = p - np.array([0.0, 1.0])              # [p0, -p0]
    dW1 = np.outer([1.5, 1.5], dz)
    dh = W1 @ dz                               # both units active
    dW0 = np.outer([1.0, 1.0], dh)
    np.testing.assert_allclose(model.params["W1"], W1 - 0.1 * dW1)
    np.testing.assert_allclose(model.params["b1"], b1 - 0.1 * dz)
    np.testing.assert_allclose(model.params["W0"], W0 - 0.1 * dW0)
    np.testing.assert_allclose(model.params["b0"], b0 - 0.1 * dh)
