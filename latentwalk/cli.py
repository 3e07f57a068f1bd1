"""`latentwalk` entry point: parse, dispatch to one command module, report errors in one line.

Each subcommand lives in `latentwalk/subcommands/<name>.py` with `add_parser(subparsers)` and
`run(args) -> int`; registering one is one line in COMMANDS. A command whose module does not
exist is not listed; one whose module fails to import is not listed either, and naming it says
why in one line. Command modules import their heavy dependencies inside run(), so
`latentwalk decode` never pays for pygame/OpenGL start-up.

Exit status, the same for every command (latentwalk/subcommands/_args.py): 0 done; 2 a usage error (argparse's,
or a UsageError a command raises about an argument's value), one line naming the argument; 1 a
failure (one line naming the file or the problem); 130 interrupted by Ctrl+C (SIGINT); 143 SIGTERM;
129 SIGHUP (latentwalk/subcommands/_signals.py: the first signal stops, later ones cannot cut cleanup).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

DESCRIPTION = ("Explore a VAE's latent space in a real-time 3-D viewer (`latentwalk run`), and train, "
               "import, decode and walk the models it shows.")

COMMANDS = {
    "run": "latentwalk.subcommands.run",
    "train": "latentwalk.subcommands.train",
    "decode": "latentwalk.subcommands.decode",
    "import-tfjs": "latentwalk.subcommands.import_tfjs",
    "import-model": "latentwalk.subcommands.import_model",
    "import-points": "latentwalk.subcommands.import_points",
    "walk": "latentwalk.subcommands.walk",
    "neighbors": "latentwalk.subcommands.neighbors",
    "record": "latentwalk.subcommands.record",
    "encode": "latentwalk.subcommands.encode",
    "compare": "latentwalk.subcommands.compare",
    "bench": "latentwalk.subcommands.bench",
    "project": "latentwalk.subcommands.project",
}


def _user_error_types() -> tuple[type[BaseException], ...]:
    """Exception types whose message is already a complete one-line diagnosis."""
    types: list[type[BaseException]] = []
    for module, name in (("latentwalk.vae.errors", "VaeError"), ("latentwalk.engine.errors", "EngineError"),
                         ("latentwalk.scenes.errors", "SceneError")):
        try:
            types.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            pass
    return tuple(types)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("latentwalk")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _load_commands() -> tuple[dict, dict[str, str]]:
    """(name -> module) of the commands that import, (name -> why not) of those whose module
    exists but fails to import. Commands whose module does not exist are in neither."""
    modules, broken = {}, {}
    for name, module_name in COMMANDS.items():
        try:
            modules[name] = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:  # the module exists; something it needs does not
                broken[name] = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a command that cannot load must not take the others down
            broken[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return modules, broken


def build_parser() -> argparse.ArgumentParser:
    from latentwalk.subcommands._args import OneLineParser

    parser = OneLineParser(prog="latentwalk", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"latentwalk {_version()}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _load_commands()[0].values():
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command line (`argv`, default sys.argv) run to its exit status. The stopping signals are
    taken first, so a Ctrl+C while the modules load is one line too; a call with `argv` (in-process,
    as tests do) gives the old handlers back at the end, the real process ignores them from then on."""
    from latentwalk.subcommands._signals import STOP, Stopped

    STOP.install()
    try:
        return _main(argv)
    except Stopped as stopped:
        print(f"latentwalk: {stopped.reason}", file=sys.stderr)
        return stopped.status
    finally:
        if argv is not None:
            STOP.restore()
        else:
            STOP.settle()


def _main(argv: list[str] | None) -> int:
    from latentwalk.subcommands._args import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, attach_dash_values, usage_line
    from latentwalk.subcommands._signals import Stopped
    from latentwalk.scenes.errors import UsageError

    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    from latentwalk.engine.memory import map_big_blocks

    map_big_blocks()  # first thing: every command may hold a data set's arrays (engine/memory.py)
    argv = attach_dash_values(list(sys.argv[1:] if argv is None else map(str, argv)))
    broken = _load_commands()[1]
    if argv and argv[0] in broken:
        print(f"latentwalk {argv[0]}: error: this command is unavailable ({broken[argv[0]]})", file=sys.stderr)
        return EXIT_FAILURE
    args = build_parser().parse_args(argv)
    user_errors = _user_error_types()
    try:
        return int(args.func(args) or 0)
    except Stopped as stopped:
        print(f"latentwalk {args.command}: {stopped.reason}", file=sys.stderr)
        return stopped.status
    except KeyboardInterrupt:
        print(f"latentwalk {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UsageError as exc:
        print(usage_line(f"latentwalk {args.command}", str(exc)), file=sys.stderr)
        return EXIT_USAGE
    except user_errors as exc:  # type: ignore[misc]
        print(f"latentwalk {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"latentwalk {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
