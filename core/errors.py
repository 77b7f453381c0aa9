"""User-facing errors.

Anything a user can cause with bad input raises :class:`WeightlapseError` with a
one-line message naming the problem and what to do; the command line prints it
and exits with status 2.
"""


class WeightlapseError(Exception):
    """A problem with the user's input, settings or files (one-line message)."""


class ConfigError(WeightlapseError, ValueError):
    """An invalid setting, raised before anything is written."""


class DataError(WeightlapseError):
    """A dataset that is missing, malformed or unusable."""


class RunError(WeightlapseError):
    """A run directory that is missing, incomplete or unreadable."""
