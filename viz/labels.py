"""Names on pictures: classes on the output units, features on tabular inputs,
and layers under their columns (the colour quantity's legend texts live in
:mod:`.quantities`)."""
from __future__ import annotations

FASHION_MNIST = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot"]
MAX_FEATURE_LABELS = 20     # tabular inputs are named when there are this many or fewer



def class_names(run) -> list:
    """Names of the output units: Fashion-MNIST's names, the digits, a CSV's
    class labels; "output k" for regression."""
    data = run.config["data"]
    n_out = run.sizes[-1]
    if data.get("task") != "classification":
        return [f"output {k}" for k in range(n_out)] if n_out > 1 else ["output"]
    if data.get("name") == "fashion-mnist":
        return list(FASHION_MNIST[:n_out])
    names = [str(c) for c in data.get("class_names") or []]
    if len(names) != n_out:
        names = [str(k) for k in range(n_out)]
    return names


def feature_names(run):
    """The input columns' names when there are MAX_FEATURE_LABELS or fewer
    (and the data is not an image), else None."""
    data = run.config["data"]
    cols = data.get("columns") or []
    if data.get("input_shape") or len(cols) != run.sizes[0] or len(cols) > MAX_FEATURE_LABELS:
        return None
    return [str(c) for c in cols]


def training_line(run) -> str:
    """The film's subtitle: data, network, activation, optimizer, learning
    rate and batch ("mnist \u00b7 784-128-10 relu \u00b7 sgd lr 0.1 \u00b7 batch 64"). A run
    recorded from another framework names it and its optimizer ("PyTorch
    SGD lr 0.1"), and leaves out what its recorder could not know."""
    st = run.settings
    net = "-".join(map(str, run.sizes))
    conv = [L for L in getattr(run, "layers", None) or [] if L["kind"] == "conv"]
    if conv:   # "conv 6x5,16x5 pool 2 + 32-10"
        pool = {L["pool"] for L in conv}
        net = ("conv " + ",".join(f"{L['out_channels']}x{L['kernel']}" for L in conv)
               + (f" pool {conv[0]['pool']}" if pool != {1} and len(pool) == 1 else "")
               + " + " + "-".join(map(str, run.sizes[1:])))
    rec = run.config.get("recorded_from")
    if rec:
        from weightlapse.core.rundir import FRAMEWORK_NAMES
        opt = f"{FRAMEWORK_NAMES[rec['framework']]} {rec.get('optimizer') or ''}".strip()
    else:
        opt = st["optimizer"]
    if st.get("lr") is not None:
        opt += f" lr {st['lr']:g}"
    parts = [run.config["data"]["name"], f"{net} {st.get('activation', '')}".strip(), opt]
    if st.get("batch_size") is not None:
        parts.append("full batch" if st["batch_size"] == 0 else f"batch {st['batch_size']}")
    return " \u00b7 ".join(parts)


def steps_per_epoch(run) -> int:
    """Training steps per epoch, from the last snapshot past epoch 0 (1 when
    none is)."""
    snaps = run.snapshots
    for i in range(len(snaps) - 1, 0, -1):
        step, epoch = int(snaps.steps[i]), float(snaps.epochs[i])
        if epoch > 0 and step > 0:
            return max(int(round(step / epoch)), 1)
    return 1


def epoch_text(step, per_epoch, epochs=None) -> str:
    """The epoch a title shows beside ``step``: the step's own epoch, so the
    two always agree ("epoch 151 of 300 \u00b7 step 151", never "epoch
    150.5 \u00b7 step 151"): whole with one step per epoch, else to a tenth;
    "of N" with the run's epochs."""
    e = step / max(int(per_epoch), 1)
    text = f"epoch {e:.0f}" if per_epoch <= 1 else f"epoch {e:.1f}"
    return text + (f" of {epochs:g}" if epochs else "")


def layer_labels(sizes, activation=None, image_shape=None):
    """Two-line labels under each column: "input\\n784", "hidden 1\\n32 relu"..."""
    first = (f"input {image_shape[0]}\u00d7{image_shape[1]}" if image_shape
             else "input") + f"\n{sizes[0]}" + (" pixels" if image_shape else "")
    names = [first]
    names += [f"hidden {i + 1}\n{n}" + (f" {activation}" if activation else "")
              for i, n in enumerate(sizes[1:-1])]
    return names + [f"output\n{sizes[-1]}"]


def short(text, n=14) -> str:
    text = str(text)
    return text if len(text) <= n else text[:n - 1] + "\u2026"
