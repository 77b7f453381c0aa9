"""Command-line options generated from the settings' declarations
(core/config.py), and the command line's vocabulary for error messages."""
from __future__ import annotations

import argparse
import textwrap

from .core.config import PART_TYPES, SETTING_NAMES, setting_declarations
from .core.declare import KINDS, declared, default_of, help_text

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


def add_declared(group, decls, names=None, checked=False, defaults=False, **help_of):
    """One option per declared field (``decls``: {name: (field, metadata)}, as
    ``core.declare.declared`` gives): flag, metavar and help from the
    declaration, default None (the declaration's default applies later). A
    bool is a switch. ``checked``: argparse also checks type and bounds (for
    options no API call checks before it starts work). ``defaults``: the
    declaration's default instead of None. ``help_of``: a
    command's own help for a name, replacing the declaration's."""
    for name, (f, meta) in decls.items():
        if names is not None and name not in names:
            continue
        text = help_of.get(name) or help_text(f, meta)
        if meta["kind"] == "bool":
            group.add_argument(flag_of(name), dest=name, action="store_true", help=text)
            continue
        group.add_argument(flag_of(name), dest=name,
                           default=default_of(f) if defaults else None,
                           type=_checked_type(name, meta) if checked else None,
                           metavar=meta["metavar"] or name.upper(), help=text)


def _checked_type(name, meta):
    """argparse's ``type`` that converts and checks against the declaration."""
    from .core.declare import check_value
    from .core.errors import ConfigError
    convert = _cli_type(meta)

    def parse(text):
        try:
            value = convert(text) if convert else text
        except (ValueError, argparse.ArgumentTypeError):
            raise argparse.ArgumentTypeError(f"expected {KINDS[meta['kind']]}, "
                                             f"got {text!r}") from None
        try:
            check_value(name, value, meta)
        except ConfigError as e:
            text = e.render(flag_of)          # argparse names the flag itself
            raise argparse.ArgumentTypeError(text.removeprefix(flag_of(name) + " ")) from None
        return value
    parse.__name__ = name
    return parse


def output_metavar(kind) -> str:
    """``FILE.png|.svg|.pdf`` from the format registry."""
    from .viz.outputs import formats
    first, *rest = formats(kind)
    return "FILE" + "|".join([first, *rest])


def add_output(p, kind, help, required=True):
    """The one ``-o``: its metavar from the kind's formats."""
    p.add_argument("-o", "--output", required=required, metavar=output_metavar(kind),
                   help=help)


def add_dpi(p, help):
    """``--dpi``: parsed as text, checked by viz.outputs.check_dpi when used."""
    p.add_argument("--dpi", metavar="DPI", help=help)


def dpi_of(args, kind):
    """The command's dots per inch: ``--dpi`` checked, or the kind's default."""
    from .viz.outputs import DEFAULT_DPI, check_dpi
    return DEFAULT_DPI[kind] if args.dpi is None else check_dpi(args.dpi)


# -- building blocks of the parser (weightlapse/cli.py, cli_many.py) --------------
class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (and exit status 2)."""

    def __init__(self, *a, **kw):
        kw.setdefault("formatter_class", HelpFormatter)
        super().__init__(*a, **kw)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# Every setting's option comes from its declaration (core/config.py).
TRAIN_KEYS = SETTING_NAMES


def add_train_options(p, resume=True):
    from .core.presets import PRESETS
    groups = add_setting_options(p)
    r = groups["recording and output"]
    r.add_argument("--preset", choices=list(PRESETS), metavar="NAME",
                   help=f"start from a preset's settings (explicit options override "
                   f"them): one of {', '.join(PRESETS)} (default: none)")
    if resume:
        r.add_argument("--resume", metavar="RUN",
                       help="continue RUN from its checkpoint (with --epochs N to extend "
                       "it) (default: start a new run)")


def preset_list() -> str:
    from .core.presets import PRESETS
    lines = ["presets (--preset NAME):"]
    for name, p in PRESETS.items():
        lines.append(textwrap.fill(f"{name:13s} {p['about']}", 78, initial_indent="  ",
                                   subsequent_indent=" " * 16))
    return "\n".join(lines)


def subcommand(sub, common, name, help, description, examples):
    """A subcommand with a description and examples in its --help."""
    text = "\n\n".join(part if part.startswith("presets") else textwrap.fill(part, 78)
                         for part in description.split("\n\n"))
    return sub.add_parser(name, help=help, parents=[common],
                          description=f"{text}\n\nexamples:\n" +
                          "\n".join(f"  {e}" for e in examples))


def add_drawing_options(p, film=False, figure=False):
    """The drawing options shared by render, figure, compare, graph and
    report, made from DrawOptions' declarations (viz/draw_options.py); parsed
    as text, DrawOptions.create checks them once."""
    from .viz.draw_options import FILM_ONLY, DrawOptions
    d = p.add_argument_group("drawing")
    decls = DrawOptions.declarations()
    add_declared(d, decls, [n for n in decls if film or n not in FILM_ONLY])
    if figure and not film:
        add_declared(d, decls, ["size"], size="the figure's size in pixels at --dpi, e.g. "
                     "1920x1080 for a 16:9 slide (default: 10 x 6.4 inches, 7.4 x 6.4 "
                     "without decision regions)")
