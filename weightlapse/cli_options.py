"""Command-line options generated from the settings' declarations
(core/config.py), and the command line's vocabulary for error messages."""
from __future__ import annotations

import argparse
import math

from .core.config import PART_TYPES, setting_declarations
from .core.declare import declared, help_text

# Python argument names of the API that the command line spells differently.
CLI_NAMES = {"path": "-o", "output": "-o", "runs": "RUN...", "run": "RUN",
             "grid": "--grid"}


# ... and those that differ by command (predict's out= is its -o).
COMMAND_NAMES = {"predict": {"out": "-o"}}


def flags_for(command):
    """``flag_of`` for one subcommand's messages."""
    names = COMMAND_NAMES.get(command, {})
    return lambda name: names.get(name) or flag_of(name)


def flag_of(name: str) -> str:
    """The command-line spelling of a setting or API argument."""
    decl = setting_declarations().get(name)
    if decl and decl[1]["flag"]:
        return decl[1]["flag"]
    return CLI_NAMES.get(name) or "--" + name.replace("_", "-")


def _cli_type(meta):
    """argparse's ``type``: the declaration's parser, or the kind's constructor."""
    parse = meta["parse"] or {"float": float, "int": int}.get(meta["kind"])
    if parse is None:
        return None

    def convert(text):
        try:
            return parse(text)
        except ValueError as e:
            if meta["parse"]:
                raise argparse.ArgumentTypeError(str(e)) from None
            raise
    convert.__name__ = getattr(parse, "__name__", "value")   # "invalid float value"
    return convert


def add_setting_options(parser, skip=()) -> dict:
    """One option per declared setting, grouped by concern; every option has
    default None so a preset can fill in what is not given. Returns
    {group title: argument group}."""
    groups = {}
    for kind in PART_TYPES.values():
        group = groups[kind.GROUP] = parser.add_argument_group(kind.GROUP)
        for name, (f, meta) in declared(kind).items():
            if name in skip:
                continue
            choices = list(meta["choices"]) if meta["choices"] is not None else None
            group.add_argument(flag_of(name), dest=name, type=_cli_type(meta),
                               choices=choices, default=None,
                               metavar=meta["metavar"] or name.upper(),
                               help=help_text(f, meta))
    return groups


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples keep their lines; other options show their
    default (settings write theirs into the help themselves)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default" not in text and not any(action.default is v for v in (None, False, argparse.SUPPRESS))
                and action.option_strings and action.nargs != 0):
            text += " (default: %(default)s)"
        return text


def dpi_arg(text: str) -> float:
    """--dpi: a finite number of dots per inch in [20, 600]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of dots per inch like 100, "
                                         f"got {text!r}") from None
    if not (math.isfinite(value) and 20 <= value <= 600):
        raise argparse.ArgumentTypeError(f"must be in [20, 600] dots per inch, got {text!r}")
    return value
