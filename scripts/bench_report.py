"""The interactive report, measured: for the demo (spiral, as `weightlapse
demo` records it), mnist-mlp and mnist-strong, the time to write the report
and its size, and in Chromium (Debian's, via Playwright) the page's load time
and the median time to draw one snapshot after setSnapshot(i).

    WEIGHTLAPSE_DATA=../shared/data python scripts/bench_report.py \
        [--limit N] [--runs DIR] [--shots DIR] [--draws 60]

Targets (issue 11): demo <= 2 MB, mnist-strong <= 25 MB (also measured
recorded every 50 steps, 188 snapshots, near the default limit of 200); <= 16
ms per snapshot for mnist-strong's default view. Runs are trained with their presets
(``--limit N`` uses the first N training images, for speed) unless ``--runs``
already holds them. The draw time covers setSnapshot (decode, colour, draw
the canvas) and a one-pixel read-back, which waits for the canvas to be
rasterised; its median and best over the draws are given (the best is the
steadier figure on a loaded machine). setSnapshot also moves the diagnose
panels' cursors and redraws their histograms; "with panels" reads back one
pixel of every canvas (network and panels), so it waits for all of them.
``--shots`` saves a screenshot of each page.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import weightlapse as wl

CASES = {"demo": dict(preset="spiral", snapshot_every=2),
         "mnist-mlp": dict(preset="mnist-mlp"),
         "mnist-strong": dict(preset="mnist-strong"),
         # the size bound: the same network recorded every 50 steps (188 snapshots)
         "mnist-strong-every-50": dict(preset="mnist-strong", snapshot_every=50)}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

DRAW_JS = """([n, every]) => {
  const w = window.weightlapse;
  const cs = Array.from(document.querySelectorAll(every ? '#nets canvas, #health canvas' : '#nets canvas'))
    .map(c => c.getContext('2d'));
  const times = [];
  for (let k = 0; k < n; k++) {
    const i = (k * 7919) % w.count;
    const t = performance.now();
    w.setSnapshot(i);
    for (const c of cs) c.getImageData(0, 0, 1, 1);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times;
}"""


def get_run(name, runs_dir, limit):
    path = runs_dir / name
    if (path / "config.json").exists():
        return wl.load_run(path)
    settings = dict(CASES[name])
    if limit and name != "demo":
        settings["limit"] = limit
    return wl.train(out=runs_dir, name=name, **settings)


def in_browser(browser, html, draws, shot):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t = time.perf_counter()
    page.goto(html.resolve().as_uri())
    page.wait_for_selector("body[data-ready='1']", timeout=120000)
    load = time.perf_counter() - t
    times = page.evaluate(DRAW_JS, [draws, False])
    every = page.evaluate(DRAW_JS, [draws, True])
    if shot:
        page.evaluate("weightlapse.setSnapshot(Math.floor(weightlapse.count * 0.7))")
        page.screenshot(path=str(shot))
    page.close()
    if errors:
        raise SystemExit(f"page errors in {html}: {errors}")
    return load, statistics.median(times), min(times), statistics.median(every)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, help="train the MNIST presets on the first N images")
    ap.add_argument("--runs", type=Path, help="folder holding (or to hold) the runs")
    ap.add_argument("--shots", type=Path, help="save a screenshot of each report here")
    ap.add_argument("--draws", type=int, default=150, help="snapshots drawn per page")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    tmp = Path(tempfile.mkdtemp(prefix="bench-report-"))
    runs_dir = args.runs or tmp
    runs_dir.mkdir(parents=True, exist_ok=True)
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        for name in CASES:
            run = get_run(name, runs_dir, args.limit)
            html = tmp / f"{name}.html"
            t = time.perf_counter()
            wl.report(run, html)
            write = time.perf_counter() - t
            shot = args.shots / f"{name}.png" if args.shots else None
            load, draw, best, every = in_browser(browser, html, args.draws, shot)
            rows.append((name, "-".join(map(str, run.sizes)), len(run.snapshots), write,
                         html.stat().st_size / 1e6, load, draw, best, every))
        browser.close()
    print("| run | network | snapshots | write s | size MB | load s | draw ms (median) | "
          "draw ms (best) | with panels ms (median) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.2f} | {r[5]:.2f} | "
              f"{r[6]:.1f} | {r[7]:.1f} | {r[8]:.1f} |")


if __name__ == "__main__":
    main()
