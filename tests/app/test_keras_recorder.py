"""weightlapse.keras.Recorder with the real Keras 3 on its torch backend (no
TensorFlow needed): the snapshots are model.get_weights() at their steps,
the metrics rows are Keras's, views read the run, bad input is one line."""
import os
import sys

import numpy as np
import pytest

if "keras" not in sys.modules:
    os.environ["KERAS_BACKEND"] = "torch"
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

import weightlapse as wl  # noqa: E402
from weightlapse.core.errors import ConfigError, RunError  # noqa: E402
from weightlapse.keras import Recorder  # noqa: E402

# Keras's own model.get_weights() on the torch backend (numpy 2's copy keyword)
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models on a shared machine: PyTorch's threads only wait for each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class Grab(keras.callbacks.Callback):
    """model.get_weights() after every batch, by global step."""

    def __init__(self):
        super().__init__()
        self.at = {}

    def on_train_batch_end(self, batch, logs=None):
        self.at[len(self.at) + 1] = self.model.get_weights()


def data(n=120, shape=(4, 4), seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, *shape)).astype("float32")
    return X, ((X.reshape(n, -1)[:, 0] > 0) + (X.reshape(n, -1)[:, 1] > 0)).astype("int64")


def model_of(*stack, shape=(4, 4)):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input(shape), *stack])
    m.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_snapshots_are_get_weights_at_their_steps(tmp_path):
    X, y = data()
    model = model_of(layers.Flatten(), layers.Dense(8, activation="tanh"), layers.Dropout(0.1),
                     layers.Dense(3, activation="softmax"))
    rec, grab = Recorder(out=tmp_path, name="k", every=4, probe=(X[:20], y[:20])), Grab()
    start = model.get_weights()
    hist = model.fit(X, y, batch_size=16, epochs=2, validation_split=0.25,
                     callbacks=[rec, grab], verbose=0)   # 6 steps an epoch
    run = rec.run
    assert run.status == "finished"
    assert list(run.snapshots.steps) == [0, 4, 8, 12]
    assert list(run.snapshots.epochs) == [0, 4 / 6, 8 / 6, 2]
    for s in run.snapshots:
        want = start if s.step == 0 else grab.at[s.step]
        got = [a for pair in zip(s.weights, s.biases) for a in pair]
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)
    m = run.metrics
    assert list(m["step"]) == [0, 6, 12] and list(m["epoch"]) == [0, 1, 2]
    for col, key in (("train_loss", "loss"), ("train_acc", "accuracy"),
                     ("val_loss", "val_loss"), ("val_acc", "val_accuracy")):
        np.testing.assert_allclose(m[col][1:], hist.history[key], rtol=1e-6)
    np.testing.assert_allclose(m["lr"], 0.1, rtol=1e-6)
    rec_from = run.config["recorded_from"]
    assert (rec_from["framework"], rec_from["backend"]) == ("keras", "torch")
    assert rec_from["version"] == keras.__version__ and rec_from["output_activation"] == "softmax"
    assert run.config["data"]["input_shape"] == [4, 4]     # from the model's input
    assert run.settings["optimizer"] == "momentum" and run.settings["dropout"] == 0.1
    assert run.files.read_probe(16)[0].shape == (20, 16)
    # every view reads it
    assert wl.figure(run, tmp_path / "k.png").stat().st_size > 1000
    assert wl.graph(run).number_of_edges() > 0
    # diagnose: tanh saturation from the stored probe set; no update ratios
    (report,) = wl.diagnose(run, tmp_path / "health.png")
    assert (tmp_path / "health.png").stat().st_size > 1000
    assert "was recorded from Keras, without health.jsonl" in report["missing"]
    assert "probe" not in report["missing"]
    assert report["layers"][0]["update_ratio"] is None
    A = np.tanh(X[:20].reshape(20, -1) @ run.snapshots[-1].weights[0]
                + run.snapshots[-1].biases[0])
    assert report["layers"][0]["saturated_fraction"] == pytest.approx(
        float(np.mean(np.abs(A) > 0.97)), abs=1e-6)


def test_functional_model_with_activation_layers_every_epoch(tmp_path):
    X, y = data(shape=(6,))
    inp = keras.Input((6,))
    h = layers.Activation("relu")(layers.Dense(5)(inp))
    h = layers.ReLU()(layers.Dense(5, use_bias=False)(h))
    model = keras.Model(inp, layers.Dense(3)(h))
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    rec = Recorder(out=tmp_path, class_names=["none", "one", "two"], dataset="toy")
    model.fit(X, y, batch_size=40, epochs=3, callbacks=[rec], verbose=0)
    run = rec.run
    assert run.name == "toy" and run.sizes == [6, 5, 5, 3]
    assert list(run.snapshots.steps) == [0, 3, 6, 9] and list(run.snapshots.epochs) == [0, 1, 2, 3]
    assert run.settings["activation"] == "relu" and run.settings["optimizer"] == "adam"
    assert not run.snapshots[-1].biases[1].any()           # a Dense without a bias
    np.testing.assert_array_equal(run.snapshots[-1].weights[2], model.layers[-1].kernel.numpy())
    assert run.metrics["train_acc"].isna().all()            # no accuracy was asked for
    with pytest.raises(RunError, match="this recorder is closed"):
        model.fit(X, y, epochs=1, callbacks=[rec], verbose=0)   # one Recorder, one fit


class Sub(keras.Model):
    def __init__(self):
        super().__init__()
        self.d = layers.Dense(3)

    def call(self, x):
        return self.d(x)


@pytest.mark.parametrize("make,match", [
    (lambda: model_of(layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(3), shape=(4, 4, 1)),
     "Conv2D at conv2d"),
    (lambda: model_of(layers.Flatten(), layers.Dense(4, activation="gelu"), layers.Dense(3)),
     "activation gelu at dense"),
    (lambda: model_of(layers.Flatten(), layers.Dense(4, activation="leaky_relu"),
                      layers.Dense(3)), "leaky_relu at dense"),
    (lambda: model_of(layers.Flatten(), layers.Dense(4, activation="relu"),
                      layers.Dense(4, activation="tanh"), layers.Dense(3)),
     "the hidden layers use different activations"),
    (Sub, "a subclassed keras Model (Sub) is not supported yet"),
])
def test_unsupported_models_are_one_line(tmp_path, make, match):
    model = make()
    if isinstance(model, Sub):
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        X, y = data(n=8, shape=(16,))
    else:
        X, y = data(n=8, shape=model.inputs[0].shape[1:])
    with pytest.raises(ConfigError) as e:
        model.fit(X, y, epochs=1, callbacks=[Recorder(out=tmp_path / "out")], verbose=0)
    assert match in str(e.value) and "\n" not in str(e.value)
    assert not (tmp_path / "out").exists()


def test_bad_arguments_and_failures(tmp_path):
    with pytest.raises(ConfigError, match="every must be 'epoch', 'auto' or a positive"):
        Recorder(every=0)
    X, y = data()
    model = model_of(layers.Flatten(), layers.Dense(3))
    with pytest.raises(ConfigError, match=r"image_shape \(3, 3\) has 9 pixels but the first "
                       r"dense layer \(dense(_\d+)?\) takes 16 inputs"):
        model.fit(X, y, epochs=1, callbacks=[Recorder(out=tmp_path, image_shape=(3, 3))],
                  verbose=0)
    assert not any(tmp_path.iterdir())

    class Boom(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise ValueError("boom")

    rec = Recorder(out=tmp_path, every=1)
    with pytest.raises(ValueError, match="boom"), rec:
        model.fit(X, y, batch_size=16, epochs=2, callbacks=[rec, Boom()], verbose=0)
    run = rec.run
    assert run.status == "failed" and "ValueError: boom" in run.info["message"]
    assert list(run.snapshots.steps) == [0, 1, 2, 3]


def test_readme_example_films_a_keras_mnist_model(tmp_path, mnist_dir, run_readme_example):
    run_readme_example("Film your own Keras model", tmp_path, mnist_dir)
    run = wl.load_run(tmp_path / "outputs" / "keras-mnist")
    assert run.status == "finished" and run.sizes == [784, 64, 10]
    assert len(run.snapshots) == 41 and list(run.metrics["step"]) == [0, 79, 158, 237, 316, 395]
    assert run.metrics["val_acc"].iloc[-1] > 0.7      # unseeded: about 0.88
    assert run.files.read_probe(784)[0].shape == (512, 784)
    assert (tmp_path / "keras-mnist.mp4").stat().st_size > 10_000
