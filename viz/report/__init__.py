"""The interactive report: one self-contained HTML page per run, runs or sweep."""
from .page import build_report, expand_runs

__all__ = ["build_report", "expand_runs"]
