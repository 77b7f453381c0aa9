"""User-facing errors.

Anything a user can cause with bad input raises :class:`WeightlapseError` with a
one-line message naming the problem and what to do; the command line prints it
and exits with status 2.

Each interface speaks its own language: a message names a setting with
:func:`arg` (``f"{arg('snapshot_every')} must be ..."``), and the error renders
it as the Python argument (``snapshot_every``, ``data=FILE.csv``) when printed
with ``str()``, or as the command-line flag (``--snapshot-every``,
``--data FILE.csv``) when the CLI calls ``render(flag_of)``.
"""
import re

_MARK = "\x1f"   # ASCII unit separator: never typed by a user, stripped on rendering
_ARG = re.compile(f"{_MARK}([^{_MARK}]*){_MARK}([^{_MARK}]*){_MARK}")


def arg(name: str, example: str = "") -> str:
    """A setting's name inside a message: ``name`` / ``name=EXAMPLE`` in Python,
    ``--flag`` / ``--flag EXAMPLE`` on the command line."""
    return f"{_MARK}{name}{_MARK}{example}{_MARK}"


_SWITCH = "\x1e"


def switch(name: str) -> str:
    """An on/off option: ``name=True`` in Python, ``--flag`` on the command line."""
    return arg(name, _SWITCH)


def python_only(text: str) -> str:
    """Words that only make sense in Python (``or arrays X, y``): dropped on
    the command line."""
    return arg("", text)


def render_args(text: str, flag_of=None) -> str:
    """Replace :func:`arg` marks: with ``flag_of(name) -> "--flag"`` for the
    command line, else with Python argument names."""
    def one(m):
        name, example = m.groups()
        if not name:
            return example if flag_of is None else ""
        if flag_of is None:
            if example == _SWITCH:
                return f"{name}=True"
            return f"{name}={example}" if example else name
        flag = flag_of(name)
        return f"{flag} {example}" if example and example != _SWITCH else flag
    return _ARG.sub(one, text)


class WeightlapseError(Exception):
    """A problem with the user's input, settings or files (one-line message)."""

    def __str__(self):
        return render_args(super().__str__())

    def render(self, flag_of=None) -> str:
        """The message with settings named as ``flag_of`` says (None: Python)."""
        return render_args(super().__str__(), flag_of)


class ConfigError(WeightlapseError, ValueError):
    """An invalid setting, raised before anything is written."""


class DataError(WeightlapseError):
    """A dataset that is missing, malformed or unusable."""


class RunError(WeightlapseError):
    """A run directory that is missing, incomplete or unreadable."""
