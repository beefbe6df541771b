"""The CLI's table of which module registers each command (main() imports only that one) is
complete and right, and `dotbox list` gets its command without importing the others."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dotbox.cli import shared as app


def registered() -> dict[str, str]:
    """Every top-level command and group of the fully loaded app -> the module defining it."""
    loaded = app.load_commands()
    out = {}
    for info in loaded.registered_commands:
        assert info.callback is not None
        name = info.name or info.callback.__name__.lower().replace("_", "-")
        out[name] = info.callback.__module__
    for group in loaded.registered_groups:
        sub = group.typer_instance
        assert sub is not None and group.name
        modules = {c.callback.__module__ for c in sub.registered_commands if c.callback}
        assert len(modules) == 1, f"group {group.name} spans {modules}"
        out[group.name] = modules.pop()
    return out


def test_every_command_is_in_the_table_with_its_module() -> None:
    found = registered()
    assert {name: f"dotbox.cli.{module}" for name, module in app.COMMANDS.items()} == found


def test_the_command_word_skips_options_and_reads_completion_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert app._command_word(["--debug", "list", "--json"]) == "list"
    assert app._command_word(["--help"]) is None
    monkeypatch.setenv("_DOTBOX_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "dotbox psql sb-")
    monkeypatch.setenv("COMP_CWORD", "2")
    assert app._command_word([]) == "psql"
    monkeypatch.setenv("COMP_CWORD", "1")  # still typing the command itself: all are needed
    assert app._command_word([]) is None
    monkeypatch.delenv("COMP_WORDS")
    monkeypatch.setenv("_TYPER_COMPLETE_ARGS", "dotbox env sb-1")  # zsh and fish
    assert app._command_word([]) == "env"
    monkeypatch.setenv("_TYPER_COMPLETE_ARGS", "dotbox ps")
    assert app._command_word([]) is None


def test_the_entry_point_loads_only_the_module_of_the_command() -> None:
    code = (
        "import sys; sys.argv = ['dotbox', 'list', '--help']\n"
        "from dotbox.cli.toplevel import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.endswith('_cmds')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Usage: dotbox list [OPTIONS]" in done.stdout
    loaded = done.stdout.strip().splitlines()[-1]
    assert "'dotbox.cli.sandbox_cmds'" in loaded  # and what it imports, but not the others:
    assert "snapshot_cmds" not in loaded and "review_cmds" not in loaded
