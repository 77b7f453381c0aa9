"""The report's browser tests' fixtures: Debian's Chromium driven by
Playwright (no browser download), skipped with the reason where either is
missing, and ``open_page(path)``: a report opened from its file:// URL, as a
person double-clicking it would, recording console errors and requests."""
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install playwright)")
    if not CHROMIUM:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Page:
    """A report opened in a fresh page, with its console errors and requests."""

    def __init__(self, browser, path, viewport=(1400, 1000)):
        self.page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        self.errors, self.requests = [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-ready='1']", timeout=30000)

    def js(self, expr, arg=None):
        return self.page.evaluate(expr, arg)

    def pixel(self, x, y, run=0):
        """RGB of the network canvas of ``run`` at client point (x, y)."""
        return self.js("""([x, y, run]) => {
            const c = document.querySelectorAll('#nets canvas')[run], r = c.getBoundingClientRect();
            const px = Math.floor((x - r.left) * c.width / r.width), py = Math.floor((y - r.top) * c.height / r.height);
            return Array.from(c.getContext('2d').getImageData(px, py, 1, 1).data.slice(0, 3)); }""",
                       [x, y, run])

    def check_clean(self):
        assert self.errors == []
        assert all(u == self.url or u.startswith("data:") for u in self.requests), self.requests


@pytest.fixture(scope="session")
def open_page(browser):
    """``open_page(path, viewport=(w, h))``: a :class:`Page` of the report at ``path``."""
    return lambda path, viewport=(1400, 1000): Page(browser, path, viewport)
