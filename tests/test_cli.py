"""``seguimiento COMMAND --help`` shows everything the command takes: its options and its
subcommands (``seguimiento token --help`` once listed neither ``create`` nor ``revoke``).

What a command takes is read from the full parser (every command's ``add_arguments``), so a
new command, option or subcommand is checked without being listed here.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from gateway.commands.cli import COMMANDS, build_parser, main


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:  # argparse keeps its actions only here
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def _every_command(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
                   ) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """(words, parser) of every command and subcommand, depth first."""
    found = []
    for name, sub in _subcommands(parser).items():
        found.append(((*path, name), sub))
        found += _every_command(sub, (*path, name))
    return found


COMMAND_PARSERS = _every_command(build_parser())


def test_every_command_is_reached() -> None:
    names = {words[0] for words, _ in COMMAND_PARSERS}
    assert names == {name for name, _module, _help in COMMANDS}
    assert ("token", "create") in {words for words, _ in COMMAND_PARSERS}


@pytest.mark.parametrize(("words", "parser"), COMMAND_PARSERS, ids=[" ".join(w) for w, _ in COMMAND_PARSERS])
def test_help_lists_every_option_and_subcommand(words: tuple[str, ...], parser: argparse.ArgumentParser,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*words, "--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    expected = set(_subcommands(parser))
    expected |= {option for action in parser._actions for option in action.option_strings}
    expected |= {str(action.metavar or action.dest) for action in parser._actions
                 if not action.option_strings and not isinstance(action, argparse._SubParsersAction)}
    missing = {word for word in expected if word not in shown}
    assert not missing, f"seguimiento {' '.join(words)} --help leaves out {sorted(missing)}:\n{shown}"


def test_the_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    assert all(name in shown for name, _module, _help in COMMANDS)


def test_a_command_loads_only_its_own_module() -> None:
    """``seguimiento migrate`` does not load the web server (a fresh interpreter: this one
    has loaded everything already)."""
    code = ("import sys\nfrom gateway.commands.cli import main\n"
            "try:\n    main(['migrate', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('aiohttp' in sys.modules, 'gateway.commands.migrate' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[-2:] == ["False", "True"]
