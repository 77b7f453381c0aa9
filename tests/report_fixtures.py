"""Small real runs shared by the report tests (trained once per session)."""
import json

import pytest

import weightlapse as wl


def spiral(out, name, **kw):
    settings = dict(dataset="spiral", hidden=[6, 5], epochs=40, lr=0.05, optimizer="adam",
                    batch_size=0, snapshot_every=2, n_samples=300, out=out, name=name)
    settings.update(kw)
    return wl.train(**settings)


def mark(run, status, pid=None):
    """Rewrite a run's status.json as a crashed or stopped run would leave it."""
    info = json.loads((run.path / "status.json").read_text())
    info["status"] = status
    if pid is not None:
        info["pid"] = pid
    (run.path / "status.json").write_text(json.dumps(info))
    return wl.load_run(run.path)


@pytest.fixture(scope="session")
def report_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("report-runs")
    return {"a": spiral(out, "a"), "b": spiral(out, "b", lr=0.01), "out": out}


@pytest.fixture(scope="session")
def image_run(tmp_path_factory, mnist_dir):
    out = tmp_path_factory.mktemp("report-mnist")
    return wl.train(dataset="mnist", data_dir=mnist_dir, limit=600, hidden=[40, 12],
                    epochs=2, batch_size=50, lr=0.1, optimizer="sgd", snapshot_every=3,
                    out=out, name="digits")
