"""``build_report``: one self-contained HTML page (CSS, JS and data inline)
to replay and explore one run, several runs, or a sweep.

The static parts live beside this module (template.html, report.css and the
*.js files, plain JavaScript on a Canvas: no build step, nothing fetched);
this module fills the template with the data of :mod:`.data` and
:mod:`.scene`.
"""
from __future__ import annotations

import base64
import json
import math
import re
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np

from weightlapse.core.errors import ConfigError, RunError, arg
from ..outputs import write
from weightlapse.core.run import load_run
from weightlapse.core.rundir import FRAMEWORK_NAMES, RunDir, find_runs

from .. import quantities
from ..colors import lut
from . import data as qd
from ..draw_options import DrawOptions
from ..drawn_conv import same_architecture
from .health import health_payload
from .fmaps import fmap_payload
from .maps import map_payload
from .marks import marks_payload, strip_payload
from .samples import strip
from .scene import drawn_graphs, held_entries, masks, scene
from weightlapse.core.health_summary import read_health

SCRIPTS = ("util.js", "network.js", "maps.js", "fmaps.js", "marks.js", "samples.js", "curves.js",
           "panels.js", "health.js", "main.js")
STATUS_NOTES = {
    "finished": "",
    "interrupted": "Training was interrupted: this is what was recorded until then.",
    "diverged": "Training diverged: values after the divergence may be missing (grey).",
    "killed": "Training was killed: this is what was recorded until then.",
    "running": "Training is still running: this is what was recorded so far.",
    "failed": "Training failed: this is what was recorded until then.",
}


def expand_runs(paths):
    """Run paths (or Runs); a sweep folder stands for its runs. Returns
    (runs, left_out): runs with snapshots, and (name, why) of a sweep's runs
    without any. A run given by itself with no snapshots is an error."""
    runs, left = [], []
    for p in paths:
        if not hasattr(p, "snapshots") and Path(p).is_dir() and not RunDir(p).is_run():
            members = find_runs(p)
            if not members:
                raise RunError(f"{p} is neither a run nor a sweep folder (no config.json "
                               "in it or its subfolders)")
            for m in members:
                try:
                    r = load_run(m)
                    if len(r.snapshots):
                        runs.append(r)
                        continue
                    left.append((m.name, "no snapshots"))
                except RunError as e:
                    left.append((m.name, str(e)))
            continue
        r = load_run(p)
        if not len(r.snapshots):
            raise RunError(f"run {r.path} has no snapshots; nothing to report")
        runs.append(r)
    if not runs:
        raise RunError("none of the runs given has any snapshots; nothing to report")
    return runs, left


def check_report_path(path) -> Path:
    from ..outputs import check_output
    return check_output(path, "page")


def build_report(paths, path=None, snapshots=200, color=None, scale=None, units=None,
                 edges=None, figure=True, options=None) -> str:
    """Make the report of ``paths`` (runs or sweep folders). Writes it to
    ``path`` atomically when given; returns the HTML text. ``color``,
    ``scale``, ``units``, ``edges``: the drawing options (see DrawOptions),
    or ``options`` already made."""
    if path is not None:
        path = check_report_path(path)
    if isinstance(snapshots, bool) or not isinstance(snapshots, (int, np.integer)) \
            or snapshots < 2:
        raise ConfigError(f"{arg('snapshots')} must be a whole number >= 2 (got {snapshots!r})")
    opts = options or DrawOptions.create(color=color, scale=scale, units=units, edges=edges)
    runs, left_out = expand_runs(paths)
    opts = opts.for_runs(list(runs))          # --color auto: the page opens on its choice
    reference = first = None
    payloads, healths = [], []
    for r in runs:
        # runs of one architecture show the same units, so panels line up
        same = reference is not None and same_architecture(first, r)
        G, per = drawn_graphs(r, opts, reference if same else None)
        reference, first = reference or G, first or r
        payloads.append(run_payload(r, int(snapshots), G, per, opts if figure else None))
        health, why = read_health(r)
        payloads[-1]["health"] = health_payload(health, why, int(snapshots))
        healths.append(health)
    payload = {"runs": payloads, "color": opts.color, "scaleMode": opts.scale,
               "lut": lut_hex(), "leftOut": left_out, "quantities": quantities.page_entries()}
    share_scales(payload["runs"])
    payload["timeline"] = timeline([r["epochs"] for r in payload["runs"]], int(snapshots))
    if len(runs) > 1:
        payload.update(comparison(runs, healths))
    html = document(payload)
    if path is not None:
        try:
            write("page", path, html)
        except OSError as e:     # full disk, a folder that refuses files...
            raise ConfigError(f"cannot write {path}: {e.strerror or e}") from None
    return html


def run_payload(run, limit, G, per_color, figure_options=None) -> dict:
    """Everything the page knows about one run, drawn as ``G`` (with
    ``per_color``: its graph for each colour quantity, for their scales);
    its final-weight figure drawn with ``figure_options`` (None: none)."""
    keep = qd.keep_snapshots(len(run.snapshots), limit)
    held = held_entries(G)
    vals = qd.collect(run, keep, held)
    status = run.status
    info = run.info
    settings = shown_settings(run.settings)
    rec = run.recorded_from
    if rec:   # recorded from PyTorch or Keras: its settings are what the recorder knew
        settings = {"framework": f"{FRAMEWORK_NAMES[rec['framework']]} {rec['version']}",
                    **settings}
    layers = []
    for l, ((r, c), v, m) in enumerate(zip(held, vals, masks(G))):
        enc = qd.encode_layer(v)
        enc["color"] = {k: float(g.graph["scales"][l]) for k, g in per_color.items()}
        enc["mask"] = None if m is None else qd.b64(m.astype(np.uint8))
        layers.append({"rows": r.tolist(), "cols": c.tolist(), **enc})
    samples = strip(run, G, keep)
    return {
        "name": run.name, "status": status, "note": STATUS_NOTES.get(status, f"status: {status}"),
        "message": info.get("message") or "", "settings": settings,
        "final": clean(info.get("final_metrics", {})), "sizes": G.graph["sizes"],
        "arch": json.dumps(G.graph.get("conv")),
        "recorded": len(run.snapshots), "snapIndex": keep.tolist(),
        "epochs": run.snapshots.epochs[keep].tolist(),
        "steps": run.snapshots.steps[keep].tolist(),
        "metrics": metrics(run), "scene": scene(G), "layers": layers,
        "maps": map_payload(run, G, keep),
        "marks": marks_payload(run, G, keep), "strip": strip_payload(run),
        "samples": samples,                 # the held-out strip (--sample)
        "fmaps": fmap_payload(run, G, keep, samples and samples["rows"]),   # conv maps
        # viz.figure titles the figure with the metrics at its snapshot: none
        # before the first evaluation (a run killed early), so no figure then
        "figure": figure_uri(run, figure_options)
        if figure_options and len(run.metrics) else None,
    }


SYNTHETIC = ("spiral", "moons", "circles", "xor", "gaussian")


def shown_settings(settings: dict) -> dict:
    """The settings worth reading: without where the run lives, and without
    options that had no effect (a synthetic set's options on other data, the
    step schedule's on another schedule, momentum without a momentum method)."""
    s = dict(settings)
    drop = {"out", "data_dir"}
    if s.get("dataset") not in SYNTHETIC:
        drop |= {"n_samples", "noise", "classes"}
    if not s.get("data"):
        drop |= {"data", "label_column"}
    if s.get("lr_schedule") != "step":
        drop |= {"lr_step_every", "lr_gamma"}
    if s.get("optimizer") not in ("momentum", "nesterov"):
        drop.add("momentum")
    return {k: v for k, v in s.items() if k not in drop}


def share_scales(runs) -> None:
    """One colour scale per layer and kind across the runs of one
    architecture (the largest of theirs), so the same colour means the same
    value in each of their panels. Runs of different layer sizes keep their
    own: their gaps are not the same weights (the rule: quantities.share)."""
    groups = {}
    for r in runs:
        groups.setdefault((tuple(r["sizes"]), r.get("arch")), []).append(r)
    for group in groups.values():
        for kind in quantities.NAMES:
            shared = quantities.share([[L["color"][kind] for L in r["layers"]] for r in group])
            for r in group:
                for L, s in zip(r["layers"], shared):
                    L["color"][kind] = s


def timeline(epochs_per_run, limit) -> list:
    """The slider's epochs: every kept snapshot's epoch of every run, thinned
    to ``limit`` evenly spaced ones."""
    e = np.unique(np.round(np.concatenate([np.asarray(x, float) for x in epochs_per_run]), 9))
    return e[qd.keep_snapshots(len(e), limit)].tolist()


def metrics(run) -> dict:
    m = run.metrics
    cols = [c for c in ("epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc")
            if c in m.columns]
    return {c: [None if not np.isfinite(v) else float(v) for v in m[c].to_numpy(float)]
            for c in cols}


def comparison(runs, healths=None) -> dict:
    """The table (sortable in the page) and, per differing setting, the
    final validation accuracy of each run."""
    from ..compare import _fmt, differing_settings, run_settings, summary_table
    table = summary_table(runs, healths)
    keys = differing_settings(runs)
    acc_col = next((c for c in table.columns if c.startswith("final") and "acc" in c), None)
    effects = []
    for k in keys:
        pts = [{"value": _fmt(run_settings(r).get(k)), "acc": clean_value(a), "run": r.name}
               for r, a in zip(runs, table[acc_col] if acc_col else [None] * len(runs))]
        effects.append({"setting": k, "points": pts, "metric": acc_col})
    return {"table": {"columns": list(map(str, table.columns)),
                      "rows": [[clean_value(v) for v in row] for row in table.itertuples(False)]},
            "effects": effects, "differing": keys}


def figure_uri(run, options) -> str:
    """The final-weight figure (viz.figure, drawn as the page is) as a PNG
    data URI."""
    from ..figure import render_figure
    with tempfile.TemporaryDirectory() as tmp:
        out = render_figure(run, Path(tmp) / "final.png", options=options, dpi=110)
        return "data:image/png;base64," + base64.b64encode(out.read_bytes()).decode()


def lut_hex() -> list:
    return qd.hex_colours(lut())


def clean_value(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    return v


def clean(d: dict) -> dict:
    return {k: clean_value(v) for k, v in d.items()}


def asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def document(payload) -> str:
    """The template with CSS, scripts and data inlined. ``</`` is escaped in
    the JSON so no value can close the script element."""
    blob = json.dumps(payload, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    names = [r["name"] for r in payload["runs"]]
    title = " vs ".join(names) if len(names) <= 3 else f"{len(names)} runs"
    parts = {"TITLE": _escape(f"weightlapse report: {title}"), "CSS": asset("report.css"),
             "JS": "\n".join(asset(s) for s in SCRIPTS), "DATA": blob}
    # One pass, so nothing substituted (a run's name, say) is scanned again.
    return re.sub(r"\{\{(TITLE|CSS|JS|DATA)\}\}", lambda m: parts[m.group(1)],
                  asset("template.html"))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
