"""The package: what the sdist carries, and one copy of every module
whether weightlapse is installed or run from a source folder."""
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sdist_carries_tests_licence_and_readme_image(tmp_path):
    from setuptools import build_meta
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        name = build_meta.build_sdist(str(tmp_path))
    finally:
        os.chdir(cwd)
    with tarfile.open(tmp_path / name) as tar:
        members = {m.split("/", 1)[1] for m in tar.getnames() if "/" in m}
        pkg_info = tar.extractfile(f"{name[:-7]}/PKG-INFO").read().decode()
    assert {"tests/conftest.py", "LICENSE", "docs/demo-frame.png"} <= members
    assert "Classifier: License :: OSI Approved :: MIT License" in pkg_info
    import re
    readme = (ROOT / "README.md").read_text()
    for img in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme):
        assert img.startswith("http") or img in members, img


def test_a_source_folder_runs_uninstalled_with_one_copy_of_each_module(tmp_path):
    """A copy of the source tree (as an unpacked sdist is) imports its own
    core and viz, under one name each: a top-level ``core`` is refused, and
    nothing else of the folder is importable through the package."""
    src = tmp_path / "src"
    for part in ("weightlapse", "core", "viz"):
        shutil.copytree(ROOT / part, src / part,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", src)
    code = """
import importlib, sys
import weightlapse, weightlapse.core.errors as e, weightlapse.viz.drawn
assert weightlapse.core.__file__.startswith(sys.argv[1]), weightlapse.core.__file__
assert weightlapse.viz.__file__.startswith(sys.argv[1]), weightlapse.viz.__file__
try:
    import core
except ImportError as err:
    assert "import weightlapse.core" in str(err)
else:
    raise AssertionError("a second copy of core was imported")
for name in ("weightlapse.weightlapse", "weightlapse.tests"):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
    else:
        raise AssertionError(name)
assert not [m for m in sys.modules if m.split(".")[0] in ("core", "viz")]
print("ok")
"""
    p = subprocess.run([sys.executable, "-c", code, str(src)], cwd=src, capture_output=True,
                       text=True, env={**os.environ, "PYTHONPATH": ""})
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr
    p = subprocess.run([sys.executable, "-m", "weightlapse", "--version"], cwd=src,
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("weightlapse "), p.stderr
