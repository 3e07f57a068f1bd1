"""The `latentwalk` command table and parser: only commands that exist are listed and each
one's --help works, help shows defaults, --version, one-line argparse errors, and a command module
that fails to import is named in one line instead of taking the CLI down."""
import argparse
import os
import signal
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from latentwalk import cli

REPO = Path(__file__).resolve().parents[1]
OWN_COMMANDS = ("run", "train", "decode", "import-tfjs", "walk")  # the ones this file checks option by option


def listed_commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_a_command_is_listed_exactly_when_its_module_exists():
    listed = listed_commands(cli.build_parser())
    for name, module in cli.COMMANDS.items():
        exists = importlib.util.find_spec(module) is not None
        assert (name in listed) == exists, name
    assert set(listed) <= set(cli.COMMANDS)


@pytest.mark.parametrize("name", sorted(listed_commands(cli.build_parser())))
def test_every_listed_command_has_working_help(name, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main([name, "--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0 and out.startswith(f"usage: latentwalk {name}")


def test_a_missing_command_module_is_not_listed_and_naming_it_is_one_line(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "ghost", "latentwalk.subcommands.no_such_command_module")
    assert "ghost" not in listed_commands(cli.build_parser())
    with pytest.raises(SystemExit) as exited:
        cli.main(["ghost"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and err.count("\n") == 1 and "invalid choice: 'ghost'" in err


def test_a_command_module_that_fails_to_import_is_named_and_the_others_still_work(tmp_path, monkeypatch, capsys):
    (tmp_path / "lw_broken_command.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cli.COMMANDS, "broken", "lw_broken_command")
    assert "broken" not in listed_commands(cli.build_parser())
    assert cli.main(["broken", "--anything"]) == 1
    err = capsys.readouterr().err
    assert err == ("latentwalk broken: error: this command is unavailable "
                   "(ModuleNotFoundError: No module named 'no_such_dependency_xyz')\n")
    with pytest.raises(SystemExit) as exited:
        cli.main(["decode", "--help"])
    assert exited.value.code == 0


def test_top_level_help_describes_the_program_not_the_code(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert cli.DESCRIPTION.split()[0] in out and "--version" in out
    assert "entry point" not in out and "dispatch" not in out and "add_parser" not in out


def test_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out == f"latentwalk {version('latentwalk')}\n"


@pytest.mark.parametrize("name", OWN_COMMANDS)
def test_every_option_has_help_and_shows_its_default(name):
    parser = listed_commands(cli.build_parser())[name]
    text = parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{name} {action.option_strings or action.dest} has no help text"
        if action.option_strings and action.nargs != 0 and action.default is not None:
            assert "default" in cli_help_of(parser, action), f"{name} {action.option_strings} hides its default"
    assert "%(" not in text


def shown_default(default) -> str:
    return "x".join(map(str, default)) if isinstance(default, tuple) else str(default)


@pytest.mark.parametrize("name", sorted(listed_commands(cli.build_parser())))
def test_help_says_the_truth_about_every_default(name, capsys):
    """A flag's help never shows its stored default (--no-vsync stores False when given: its "default:
    True" reads as "on by default"); an option with a default states it once, as "(default: X)" with X
    its real default; an option with choices describes no other choice as if it were the default."""
    with pytest.raises(SystemExit) as exited:
        cli.main([name, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert exited.value.code == 0 and "(default: True)" not in out and "(default: False)" not in out
    parser = listed_commands(cli.build_parser())[name]
    for action in parser._actions:
        if not action.option_strings or isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
            continue
        said = " ".join(cli_help_of(parser, action).split())
        assert "".join(said.split()) in "".join(out.split()), (name, action.option_strings)  # wrapped anywhere
        where = f"{name} {'/'.join(action.option_strings)}: {said!r}"
        assert said.lower().count("default") <= 1, where
        if "default" in said.lower():
            assert "(default: " in said, where
        if action.nargs == 0:
            assert "(default:" not in said, where
        elif action.default not in (None, argparse.SUPPRESS):
            assert f"(default: {shown_default(action.default)})" in said, where
        for choice in action.choices or ():
            if choice != action.default:
                assert f"({choice}:" not in said, where


def cli_help_of(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    return parser._get_formatter()._expand_help(action) if action.help else ""


def test_help_shows_the_defaults_it_was_asked_for(capsys):
    with pytest.raises(SystemExit):
        cli.main(["decode", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "latents per decoder call (default: 256)" in out and "(default: cpu)" in out
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for shown in ("(default: 3 for IDX sets", "(default: 32)", "(default: 30)", "(default: 128)", "(default: 0)", "(default: auto)"):
        assert shown in out


@pytest.mark.parametrize("argv, message", [
    (["decode", "--latents", "z.npy", "--out", "x.npy", "--batch-size", "0"],
     "latentwalk decode: error: argument --batch-size: expected a positive number, got 0"),
    (["run", "--size", "10x10"], "latentwalk run: error: argument --size: size 10x10 out of range (16..16384 per side)"),
    (["decode"], "latentwalk decode: error: the following arguments are required: --latents, --out"),
    (["nonsense"], "latentwalk: error: argument COMMAND: invalid choice: 'nonsense'"),
])
def test_argument_errors_are_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2 and err.count("\n") == 1 and err.startswith(message)
    assert "usage:" not in err


def test_a_dash_value_reaches_the_command_instead_of_argparse(capsys, tmp_path):
    from latentwalk.subcommands._args import attach_dash_values

    assert attach_dash_values(["walk", "--through", "-1,5", "--steps", "-3"]) == \
        ["walk", "--through=-1,5", "--steps", "-3"]
    assert attach_dash_values(["--through", "--steps"]) == ["--through", "--steps"]
    assert cli.main(["walk", "--through", "-1,5", "--steps", "5", "--out", str(tmp_path / "p.npy")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("latentwalk walk: error: --through: '-1' is not a data-set index") and err.count("\n") == 1


def test_the_installed_entry_point_gives_one_line_and_no_traceback():
    done = subprocess.run([sys.executable, "-m", "latentwalk", "run", "--size", "10x10"], capture_output=True,
                          text=True, cwd=REPO, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def exit_status(argv: list[str]) -> int:
    """What the `latentwalk` process would exit with: main's return, or argparse's SystemExit."""
    try:
        return cli.main(argv)
    except SystemExit as exited:
        return exited.code


def bad_argument_of(name: str, tmp_path: Path) -> tuple[list[str], str]:
    """One argument per command that only the command can judge, or argparse can: (argv, its name)."""
    return {
        "run": (["--max-fps", "-1"], "--max-fps"),
        "train": (["--dataset", "mnits", "--out", str(tmp_path / "b")], "--dataset"),
        "decode": (["--latents", str(tmp_path / "z.npy"), "--out", str(tmp_path / "x.txt")], "--out"),
        "encode": (["--images", str(tmp_path / "a.png"), "--limit", "3", "--out", str(tmp_path / "z.npy")], "--limit"),
        "import-tfjs": ([str(tmp_path / "model.json"), "--out", str(tmp_path / "b")], "--latents"),
        "import-model": ([str(tmp_path / "d.onnx"), "--out", str(tmp_path / "b"), "--sample", "5",
                          "--labels", str(tmp_path / "l.npy")], "--labels"),
        "import-points": ([str(tmp_path / "e.npy"), "--images", str(tmp_path), "--out", str(tmp_path / "b"),
                           "--picture-size", "5000"], "--picture-size"),
        "walk": (["--through", "1,2", "--steps", "1", "--out", str(tmp_path / "p.npy")], "--steps"),
        "neighbors": (["--index", "1", "--k", "0"], "--k"),
        "record": (["--through", "1,2", "--out", str(tmp_path / "w.mp4"), "--orbit", "nan"], "--orbit"),
        "compare": (["mnist", "mnist", "--samples", "0"], "--samples"),
        "bench": (["--points", "0"], "--points"),
        "project": (["--method", "pca", "--neighbors", "0"], "--neighbors"),
    }[name]


@pytest.mark.parametrize("name", sorted(listed_commands(cli.build_parser())))
def test_a_bad_argument_exits_2_with_one_line_naming_it(name, tmp_path, capsys):
    argv, argument = bad_argument_of(name, tmp_path)
    assert exit_status([name, *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"latentwalk {name}: error: ") and argument in err, err
    assert err.rstrip().endswith(f"(see `latentwalk {name} --help`)")  # the same line as argparse's own


def test_a_failure_exits_1(tmp_path, capsys):
    assert exit_status(["neighbors", "--model", str(tmp_path / "no-such-bundle"), "--index", "1"]) == 1
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_exits_128_plus_its_number(signum, status, tmp_path):
    (tmp_path / "lw_waiting_command.py").write_text(
        "import os, time\n"
        "def add_parser(sub):\n"
        "    sub.add_parser('wait').set_defaults(func=run)\n"
        "def run(args):\n"
        f"    os.kill(os.getpid(), {int(signum)})\n"
        "    time.sleep(30)\n"
        "    return 0\n")
    script = ("import sys; from latentwalk import cli; cli.COMMANDS['wait'] = 'lw_waiting_command'; "
              "sys.exit(cli.main(['wait']))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == status and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
