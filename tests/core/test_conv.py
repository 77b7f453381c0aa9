"""Conv2D, MaxPool2D and Flatten (core/conv.py): float64 central-difference
gradients for every input and parameter, equality with PyTorch's conv2d and
max_pool2d forward and backward, pooling's edge cases (overlap, sizes that do
not divide, ties), the im2col memory budget, and one-line errors."""
import numpy as np
import pytest

from weightlapse.core.conv import COLUMN_BUDGET, Conv2D, Flatten, MaxPool2D
from weightlapse.core.errors import ConfigError
from weightlapse.core.layers import ReLU

torch = pytest.importorskip("torch")
F = torch.nn.functional


def check_gradients(layer, X, rng, gradcheck):
    """loss = sum(C * layer(X)): the analytic dX and parameter gradients
    equal central differences. The loss is linear in X and in each parameter
    (max-pooling piecewise, its inputs 0.01 apart), so central differences
    are exact but for rounding: a step of 1e-3 keeps that rounding (the sum's
    last bits, which vary with BLAS's threads) well under the tolerance, where
    1e-6 let entries near zero reach it."""
    numeric, rel_err = gradcheck
    numeric_grad = lambda f, p: numeric(f, p, eps=1e-3)  # noqa: E731
    C = rng.normal(size=layer.forward(X, True).shape)
    f = lambda: float(np.sum(C * layer.forward(X, True)))  # noqa: E731
    layer.forward(X, True)
    dX = layer.backward(C)
    grads = {k: v.copy() for k, v in layer.grads.items()}
    assert rel_err(dX, numeric_grad(f, X)) < 1e-6
    for name, p in layer.params.items():
        assert rel_err(grads[name], numeric_grad(f, p)) < 1e-6, name


def conv(c_in, c_out, k, stride=1, padding=0, rng=None, **kw):
    rng = rng or np.random.default_rng(0)
    layer = Conv2D(c_in, c_out, k, stride, padding, rng=rng, dtype="float64", **kw)
    layer.params["b"][...] = rng.normal(size=c_out)
    return layer


# -- gradients -------------------------------------------------------------------

@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 3, 4])
def test_conv_gradients(stride, padding, k, gradcheck):
    rng = np.random.default_rng(stride * 10 + padding + k)
    layer = conv(2, 3, k, stride, padding, rng)
    check_gradients(layer, rng.normal(size=(2, 2, 7, 5)), rng, gradcheck)   # odd, unequal sizes


def test_conv_gradients_with_l2_and_rectangular_kernel(gradcheck):
    numeric_grad, rel_err = gradcheck
    rng = np.random.default_rng(5)
    layer = conv(3, 2, (3, 2), (2, 1), (1, 0), rng, l2=0.3)
    X = rng.normal(size=(2, 3, 6, 5))
    C = rng.normal(size=layer.forward(X).shape)
    f = lambda: float(np.sum(C * layer.forward(X))) + layer.penalty()  # noqa: E731
    layer.forward(X, True)
    layer.backward(C)
    gW = layer.grads["W"].copy()
    assert rel_err(gW, numeric_grad(f, layer.params["W"])) < 1e-6


@pytest.mark.parametrize("size,stride,shape", [
    (2, 2, (2, 3, 6, 8)),    # windows tile the input
    (3, 2, (2, 2, 7, 7)),    # overlapping windows
    (2, 2, (2, 2, 7, 9)),    # size does not divide: the last row and column are dropped
    (2, 1, (1, 2, 5, 6)),    # stride 1, every inner pixel in four windows
    (3, 3, (1, 1, 8, 10)),   # floor: 8 -> 2 windows, 10 -> 3
])
def test_pool_gradients(size, stride, shape, gradcheck):
    rng = np.random.default_rng(size * 7 + stride)
    # Distinct values, further apart than the finite difference step: no ties.
    X = rng.permutation(np.prod(shape)).reshape(shape) * 0.01
    check_gradients(MaxPool2D(size, stride), X.astype(float), rng, gradcheck)


def test_flatten_is_c_h_w_order_and_backward_reshapes():
    X = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    layer = Flatten()
    Y = layer.forward(X)
    assert np.array_equal(Y, torch.flatten(torch.tensor(X), 1).numpy())
    assert np.array_equal(layer.backward(Y), X)
    assert Flatten.output_shape((3, 4, 5)) == (60,)


# -- equal to PyTorch, forward and backward ---------------------------------------

def _close(a, b, tol=1e-10):
    assert a.shape == b.shape
    assert np.max(np.abs(a - b)) <= tol * max(1.0, np.max(np.abs(b)))


CONV_SHAPES = [  # (n, c_in, h, w, c_out, k, stride, padding)
    (4, 1, 28, 28, 8, 5, 1, 0), (3, 8, 12, 12, 16, 5, 1, 0), (2, 3, 9, 11, 4, 3, 1, 1),
    (2, 3, 9, 11, 4, 3, 2, 1), (5, 2, 10, 7, 3, 4, 2, 2), (2, 4, 8, 8, 6, 2, 2, 0),
    (1, 2, 5, 5, 3, 5, 1, 0), (2, 2, 6, 6, 2, 3, 3, 0), (3, 1, 7, 6, 2, 1, 1, 2),
    (2, 5, 13, 9, 7, 3, 2, 0), (2, 2, 4, 4, 2, 4, 1, 2), (6, 3, 16, 16, 5, 7, 3, 3),
]


@pytest.mark.parametrize("shape", CONV_SHAPES, ids=str)
def test_conv_equals_pytorch(shape):
    n, c, h, w, o, k, s, p = shape
    rng = np.random.default_rng(sum(shape))
    layer = conv(c, o, k, s, p, rng)
    X = rng.normal(size=(n, c, h, w))
    Y = layer.forward(X, True)
    dY = rng.normal(size=Y.shape)
    dX = layer.backward(dY)
    Xt = torch.tensor(X, requires_grad=True)
    Wt = torch.tensor(layer.params["W"], requires_grad=True)
    bt = torch.tensor(layer.params["b"], requires_grad=True)
    Yt = F.conv2d(Xt, Wt, bt, stride=s, padding=p)
    Yt.backward(torch.tensor(dY))
    _close(Y, Yt.detach().numpy())
    _close(dX, Xt.grad.numpy())
    _close(layer.grads["W"], Wt.grad.numpy())
    _close(layer.grads["b"], bt.grad.numpy())


POOL_SHAPES = [  # (n, c, h, w, size, stride)
    (4, 8, 24, 24, 2, 2), (3, 16, 8, 8, 2, 2), (2, 3, 7, 9, 2, 2), (2, 3, 9, 9, 3, 2),
    (2, 2, 10, 7, 3, 3), (2, 2, 6, 6, 2, 1), (1, 4, 5, 8, 4, 3), (2, 1, 3, 3, 3, None),
]


@pytest.mark.parametrize("shape", POOL_SHAPES, ids=str)
@pytest.mark.parametrize("values", ["distinct", "ties"])
def test_pool_equals_pytorch(shape, values):
    """Also with many ties (values from {0, 1, 2}): the gradient goes to the
    same element as PyTorch's, the first maximum of the window."""
    n, c, h, w, k, s = shape
    rng = np.random.default_rng(sum(x or 0 for x in shape))
    X = rng.normal(size=(n, c, h, w)) if values == "distinct" else \
        rng.integers(0, 3, (n, c, h, w)).astype(float)
    layer = MaxPool2D(k, s)
    Y = layer.forward(X, True)
    dY = rng.normal(size=Y.shape)
    dX = layer.backward(dY)
    Xt = torch.tensor(X, requires_grad=True)
    Yt = F.max_pool2d(Xt, k, s)
    Yt.backward(torch.tensor(dY))
    assert np.array_equal(Y, Yt.detach().numpy())
    _close(dX, Xt.grad.numpy())


def test_pool_ties_go_to_the_first_maximum_and_floor_drops_the_rest():
    X = np.zeros((1, 1, 5, 5))            # every window a tie; 5 // 2 = 2 windows a row
    layer = MaxPool2D(2)
    assert layer.forward(X).shape == (1, 1, 2, 2)
    dX = layer.backward(np.ones((1, 1, 2, 2)))
    expect = np.zeros((5, 5))
    expect[0:4:2, 0:4:2] = 1              # the top-left of each window
    assert np.array_equal(dX[0, 0], expect)  # the last row and column get nothing
    X[0, 0, 1, 1] = X[0, 0, 0, 1] = 3.0   # a tie inside the first window: row-major first
    layer.forward(X)
    assert layer.backward(np.ones((1, 1, 2, 2)))[0, 0, 0, 1] == 1
    assert layer.backward(np.ones((1, 1, 2, 2)))[0, 0, 1, 1] == 0


def test_lenet_like_stack_equals_pytorch():
    """conv -> ReLU -> pool twice, then flatten: ReLU's zeros make ties in the
    pools, and the stack still equals PyTorch forward and backward."""
    rng = np.random.default_rng(9)
    c1, c2 = conv(1, 4, 5, rng=rng), conv(4, 6, 3, padding=1, rng=rng)
    layers = [c1, ReLU(), MaxPool2D(2), c2, ReLU(), MaxPool2D(3, 2), Flatten()]
    X = rng.normal(size=(3, 1, 16, 16))
    h = X
    for layer in layers:
        h = layer.forward(h, True)
    dY = rng.normal(size=h.shape)
    d = dY
    for layer in reversed(layers):
        d = layer.backward(d)
    Xt = torch.tensor(X, requires_grad=True)
    ps = [torch.tensor(l.params[k], requires_grad=True) for l in (c1, c2) for k in ("W", "b")]
    t = F.max_pool2d(F.relu(F.conv2d(Xt, ps[0], ps[1])), 2)
    t = F.max_pool2d(F.relu(F.conv2d(t, ps[2], ps[3], padding=1)), 3, 2).flatten(1)
    t.backward(torch.tensor(dY))
    _close(h, t.detach().numpy())
    _close(d, Xt.grad.numpy())
    for p, g in zip(ps, [c1.grads["W"], c1.grads["b"], c2.grads["W"], c2.grads["b"]]):
        _close(g, p.grad.numpy())


# -- dtype, first layer, memory budget ----------------------------------------------

def test_float32_stays_float32_and_first_layer_skips_input_gradient():
    rng = np.random.default_rng(2)
    layer = Conv2D(1, 3, 3, rng=rng, input_grad=False)
    assert layer.params["W"].dtype == np.float32 and layer.params["W"].shape == (3, 1, 3, 3)
    X = rng.normal(size=(2, 1, 6, 6)).astype(np.float32)
    Y = layer.forward(X, True)
    assert Y.dtype == np.float32
    assert layer.backward(np.ones_like(Y)) is None
    assert layer.grads["W"].dtype == np.float32 and np.abs(layer.grads["W"]).sum() > 0
    assert MaxPool2D(2).forward(Y).dtype == np.float32


def test_non_contiguous_input_equals_its_copy():
    """The windows are a strided view of the input as it is laid out: a
    sliced or transposed input gives what its contiguous copy gives."""
    rng = np.random.default_rng(6)
    base = rng.normal(size=(3, 9, 14, 2)).transpose(0, 3, 1, 2)[:, :, ::2, 1:]  # (3, 2, 5, 13)
    assert not base.flags.c_contiguous
    for make in (lambda: conv(2, 3, 3, 1, 0, np.random.default_rng(1)),
                 lambda: conv(2, 3, 2, 2, 0, np.random.default_rng(1)),
                 lambda: MaxPool2D(3, 2), lambda: Flatten()):
        a, b = make(), make()
        Ya, Yb = a.forward(base, True), b.forward(np.ascontiguousarray(base), True)
        assert np.array_equal(Ya, Yb)
        dY = rng.normal(size=Ya.shape)
        assert np.array_equal(a.backward(dY), b.backward(dY))


@pytest.mark.parametrize("stride,padding", [(1, 1), (2, 0)])
def test_batch_in_chunks_when_columns_exceed_the_budget(stride, padding):
    """A budget of 3 samples' columns: the batch of 8 runs in chunks, no
    columns are kept between forward and backward, and the results equal
    the one-chunk run's."""
    rng = np.random.default_rng(4)
    big = conv(2, 3, 3, stride, padding, np.random.default_rng(1))
    X = rng.normal(size=(8, 2, 9, 9))
    Y = big.forward(X, True)
    assert big._cols is not None               # fits the default budget: cached
    dY = rng.normal(size=Y.shape)
    dX = big.backward(dY)
    cols = big._columns(X[:1], *Y.shape[2:])
    small = conv(2, 3, 3, stride, padding, np.random.default_rng(1),
                 budget=3 * cols.nbytes)
    assert small._chunk(X, *Y.shape[2:]) == 3
    Ys = small.forward(X, True)
    assert small._cols is None                 # rebuilt chunk by chunk in backward
    dXs = small.backward(dY)
    _close(Ys, Y, 1e-14)
    _close(dXs, dX, 1e-14)
    _close(small.grads["W"], big.grads["W"], 1e-13)
    assert COLUMN_BUDGET == 256 * 2**20


# -- bad arguments: one line, naming the argument ------------------------------------

@pytest.mark.parametrize("make,needle", [
    (lambda: Conv2D(0, 4, 3), "in_channels must be a whole number >= 1, got 0"),
    (lambda: Conv2D(1, -2, 3), "out_channels must be a whole number >= 1, got -2"),
    (lambda: Conv2D(1, 2.5, 3), "out_channels must be a whole number"),
    (lambda: Conv2D(1, 2, 0), "kernel must be a whole number >= 1, got 0"),
    (lambda: Conv2D(1, 2, 3, stride=0), "stride must be a whole number >= 1, got 0"),
    (lambda: Conv2D(1, 2, 3, padding=-1), "padding must be a whole number >= 0, got -1"),
    (lambda: Conv2D(1, 2, (3, 3, 3)), "kernel must be one number or a pair"),
    (lambda: Conv2D(1, 2, 3, stride=True), "stride must be a whole number"),
    (lambda: Conv2D(1, 2, 5).forward(np.zeros((1, 1, 4, 9))),
     "kernel=5 is larger than the input it slides over (4)"),
    (lambda: Conv2D(1, 2, 7, padding=1).forward(np.zeros((1, 1, 4, 4), np.float32)),
     "kernel=7 is larger than the input it slides over (4 + 2 x padding 1 = 6)"),
    (lambda: Conv2D(3, 2, 3).forward(np.zeros((1, 1, 4, 4))),
     "in_channels is 3 but the input has 1 channels"),
    (lambda: Conv2D(1, 2, 3, W=np.zeros((2, 1, 5, 5)), b=np.zeros(2)), "W must have shape"),
    (lambda: MaxPool2D(0), "size must be a whole number >= 1, got 0"),
    (lambda: MaxPool2D(2, stride=0), "stride must be a whole number >= 1, got 0"),
    (lambda: MaxPool2D(4).forward(np.zeros((1, 1, 3, 8))),
     "size=4 is larger than the input it slides over (3)"),
])
def test_bad_arguments_raise_one_line(make, needle):
    with pytest.raises(ConfigError) as e:
        make()
    msg = str(e.value)
    assert needle in msg and len(msg.splitlines()) == 1, msg


def test_kernel_exactly_the_padded_input_is_allowed():
    layer = conv(1, 2, 6, padding=1)
    assert layer.forward(np.ones((1, 1, 4, 4))).shape == (1, 2, 1, 1)
    assert layer.output_shape((1, 4, 4)) == (2, 1, 1)


# -- on a GPU: the same layers on CuPy equal NumPy ------------------------------------

def _cupy_with_gpu():
    try:
        import cupy
        return cupy if cupy.cuda.runtime.getDeviceCount() > 0 else None
    except Exception:  # noqa: BLE001 - not installed, or no driver/device
        return None


@pytest.mark.skipif(_cupy_with_gpu() is None, reason="needs CuPy and a GPU")
@pytest.mark.parametrize("stride,padding,pool", [(1, 0, (2, 2)), (2, 1, (3, 2))])
def test_gpu_layers_equal_cpu(stride, padding, pool):
    cp = _cupy_with_gpu()
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4, 2, 13, 11))
    out = []
    for xp in (np, cp):
        c = Conv2D(2, 3, 3, stride, padding, rng=np.random.default_rng(1), dtype="float64",
                   xp=xp)
        p = MaxPool2D(*pool, xp=xp)
        Y = p.forward(c.forward(xp.asarray(X), True), True)
        dX = c.backward(p.backward(xp.ones_like(Y)))
        out.append([cp.asnumpy(a) if xp is cp else a for a in (Y, dX, c.grads["W"])])
    for a, b in zip(*out):
        _close(b, a, 1e-12)


def test_im2col_memory_stays_near_the_budget():
    """Measured with tracemalloc (NumPy reports its buffers to it): with a
    budget of 8 samples' columns, a forward and backward pass of 64 samples
    peaks far below the whole batch's columns, which the default budget
    holds."""
    import tracemalloc
    X = np.random.default_rng(0).normal(size=(64, 4, 16, 16))
    whole = 4 * 9 * 16 * 16 * 8 * 64          # bytes of the whole batch's columns
    peaks = {}
    for name, budget in (("default", COLUMN_BUDGET), ("small", whole // 8)):
        layer = conv(4, 4, 3, padding=1, budget=budget)
        tracemalloc.start()
        dY = np.ones((64, 4, 16, 16))
        layer.forward(X, True)
        layer.backward(dY)
        peaks[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    image = X.nbytes                           # X, Y, dY and dX are each this size
    assert peaks["default"] > whole + 2 * image
    # a chunk's columns, their gradient and the padded buffers; Y, dY and dX
    assert peaks["small"] < 3 * (whole // 8) + 3 * image < whole, peaks
