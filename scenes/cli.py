"""`latentwalk` entry point: parse, dispatch to one command module, report errors in one line.

Each subcommand lives in `scenes/commands/<name>.py` with `add_parser(subparsers)` and
`run(args) -> int`. Modules are imported lazily so `latentwalk decode` never pays for
pygame/OpenGL start-up and `latentwalk run` never pays for anything it does not use.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMANDS = {
    "run": "latentwalk.commands.run",
    "train": "latentwalk.commands.train",
    "decode": "latentwalk.commands.decode",
    "import-tfjs": "latentwalk.commands.import_tfjs",
    "walk": "latentwalk.commands.walk",
    "neighbors": "latentwalk.commands.neighbors",
    "record": "latentwalk.commands.record",
    "encode": "latentwalk.commands.encode",
}


def _user_error_types() -> tuple[type[BaseException], ...]:
    """Exception types whose message is already a complete one-line diagnosis."""
    types: list[type[BaseException]] = []
    for module, name in (("latentwalk.vae.errors", "VaeError"), ("latentwalk.engine.errors", "EngineError"),
                         ("latentwalk.errors", "SceneError")):
        try:
            types.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            pass
    return tuple(types)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latentwalk", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # command not built yet
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    user_errors = _user_error_types()
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("latentwalk: interrupted", file=sys.stderr)
        return 130
    except user_errors as exc:  # type: ignore[misc]
        print(f"latentwalk {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"latentwalk {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
