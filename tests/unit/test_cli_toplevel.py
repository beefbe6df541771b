"""The `dotbox` command's one front end: the lazy top-level group lists the commands of the index
(each registered by the module the index names, with its line), imports a command's module only
when that command runs, and turns every error into one line and its exit code in one place (the
governance scripts too). No engine needed here: an absent socket gives the error;
tests/integration/test_cli_list.py lists real sandboxes."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dotbox.cli import command_index
from dotbox.cli import group as cli_group
from dotbox.cli.one_line_errors import exit_code, storage_failure
from dotbox.cli.options import short_help
from dotbox.core.errors import EXIT_CODES, DotboxError, EngineUnavailable, InvalidInput
from dotbox.primitives.catalogue import ENTRIES

REPO = Path(__file__).resolve().parents[2]
MODULES = sorted({module for module, _ in command_index.COMMANDS.values()})


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DOTBOX_DEBUG", "_DOTBOX_COMPLETE")}
    return base | {"PYTHONPATH": str(REPO), "COLUMNS": "80"} | extra


def dotbox(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dotbox", *args], capture_output=True, text=True, env=env(**extra)
    )


def loaded_after(args: list[str], tmp_path: Path, *watched: str) -> tuple[int, list[str]]:
    """Run `dotbox ARGS` in a fresh interpreter (engine unreachable): its exit code and which
    of the modules ``watched`` (and command modules) it imported."""
    code = (
        "import sys, atexit\n"
        f"watched = {watched!r}\n"
        "atexit.register(lambda: print('LOADED', sorted(m for m in sys.modules"
        " if m in watched or m.endswith('_cmds'))))\n"
        f"sys.argv = ['dotbox', *{args!r}]\n"
        "from dotbox.cli.toplevel import main\n"
        "main()\n"
    )
    nowhere = f"unix://{tmp_path}/nothing.sock"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env(DOCKER_HOST=nowhere)
    )
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("LOADED "), (done.stdout, done.stderr)
    return done.returncode, eval(line.removeprefix("LOADED "))  # a printed list of str


# ---- the index and the commands ----------------------------------------------------------


def test_every_command_is_registered_by_the_module_the_index_names() -> None:
    registered: dict[str, str] = {}
    for module in MODULES:
        for name in cli_group._commands_of(module):
            assert name not in registered, f"{name} is registered twice"
            registered[name] = module
    assert registered == {name: module for name, (module, _) in command_index.COMMANDS.items()}


def test_the_group_gives_each_command_its_line_of_the_index() -> None:
    group = typer.main.get_command(cli_group.app)
    assert isinstance(group, cli_group.LazyGroup)
    with group.make_context("dotbox", ["list"]) as ctx:
        assert group.list_commands(ctx) == list(command_index.COMMANDS)
        for name, (_, line) in command_index.COMMANDS.items():
            command = group.get_command(ctx, name)
            assert command is not None and command.get_short_help_str(200) == line
        assert group.get_command(ctx, "nope") is None


def test_a_primitive_command_has_the_catalogue_line() -> None:
    words = {e.command.removeprefix("dotbox "): e.name for e in ENTRIES.values()}
    runs_a_primitive = {w: n for w, n in words.items() if w in command_index.COMMANDS}
    assert set(runs_a_primitive) == {"create", "drop", "verify", "harness", "apply"}
    for word, name in runs_a_primitive.items():
        assert command_index.COMMANDS[word][1] == short_help(name), word


# ---- the overview ------------------------------------------------------------------------


def test_the_overview_lists_every_command_with_its_line_in_the_index_order() -> None:
    printed = CliRunner().invoke(cli_group.app, ["--help"], terminal_width=78)
    assert printed.exit_code == 0
    text = printed.output
    assert text.startswith("Usage: dotbox [OPTIONS] COMMAND [ARGS]...\n")
    for option in ("--debug", "--install-completion", "--show-completion", "--help"):
        assert f"\n  {option} " in text
    listed = text.split("\nCommands:\n")[1].split("\n\n")[0].splitlines()
    assert listed == [f"  {name:<12}{line}" for name, (_, line) in command_index.COMMANDS.items()]
    for code, meaning in EXIT_CODES.items():
        assert f"\n  {code}  {meaning}\n" in text


def test_bare_dotbox_prints_the_overview_on_stderr_with_exit_2() -> None:
    bare, helped = dotbox(), dotbox("--help")
    assert (bare.returncode, bare.stdout) == (2, "")
    assert (helped.returncode, helped.stderr) == (0, "")
    assert bare.stderr == helped.stdout and "Commands:" in bare.stderr


def test_help_imports_no_command_module(tmp_path: Path) -> None:
    assert loaded_after(["--help"], tmp_path) == (0, [])


def test_a_command_imports_only_its_own_module(tmp_path: Path) -> None:
    code, loaded = loaded_after(["list", "--help"], tmp_path)
    assert code == 0 and loaded == ["dotbox.cli.sandbox_cmds"]
    code, loaded = loaded_after(["snapshot", "list", "--help"], tmp_path)
    assert code == 0 and loaded == ["dotbox.cli.snapshot_cmds"]


@pytest.mark.parametrize("args", [["--help"], ["list"], ["list", "--json"]])
def test_help_and_list_import_neither_the_sdk_nor_pydantic_nor_psycopg(
    args: list[str], tmp_path: Path
) -> None:
    """The import weight that keeps `dotbox --help` and `dotbox list` well under 150 ms."""
    heavy = ("docker", "requests", "pydantic", "psycopg", "rich", "dotbox.engine.client")
    code, loaded = loaded_after(args, tmp_path, *heavy)
    assert code == (0 if args == ["--help"] else 5)  # 5: the engine is unreachable
    assert [m for m in loaded if not m.endswith("_cmds")] == []


# ---- usage errors and completion ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["list", "--bogus"], "No such option: --bogus (see 'dotbox list --help')"),
        (["-h"], "No such option: -h (see 'dotbox --help')"),
        (["list", "extra"], "Got unexpected extra argument(s) (extra) (see 'dotbox list --help')"),
        (["lst"], "No such command 'lst'. Did you mean 'list'? (see 'dotbox --help')"),
        (["nothing-like-it"], "No such command 'nothing-like-it'. (see 'dotbox --help')"),
        (
            ["snapshot", "lst"],
            "No such command 'lst'. Did you mean 'list'? (see 'dotbox snapshot --help')",
        ),
        (
            ["create", "--pids", "many"],
            "Invalid value for '--pids': Input should be a valid integer, unable to parse string"
            " as an integer (see 'dotbox create --help')",
        ),
        (["show"], "Missing argument 'sandbox'. (see 'dotbox show --help')"),
    ],
)
def test_a_usage_error_is_one_line_with_exit_code_2(args: list[str], line: str) -> None:
    """click's usage block (Usage:, Try …, Error: …) becomes one line, as dotbox's errors."""
    done = dotbox(*args)
    assert done.returncode == 2
    assert done.stderr == f"dotbox: error: {line}\n"


def test_list_help_is_the_commands_own() -> None:
    done = dotbox("list", "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: dotbox list [OPTIONS]")
    assert "--json" in done.stdout


def test_completion_offers_commands_and_subcommands() -> None:
    def offered(words: str, cword: int) -> list[str]:
        done = dotbox(_DOTBOX_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=str(cword))
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert offered("dotbox ", 1) == list(command_index.COMMANDS)
    assert offered("dotbox s", 1) == ["show", "snapshot"]
    assert offered("dotbox snapshot ", 2) == ["import", "capture", "list", "show", "rm", "diff"]
    assert offered("dotbox --debug list --", 3) == ["--json", "--help"]


# ---- the one error handler ---------------------------------------------------------------


@pytest.mark.parametrize("args", [["list"], ["list", "--json"], ["gc"], ["show", "sb-abc"]])
def test_an_unreachable_engine_is_one_line_and_exit_5(args: list[str], tmp_path: Path) -> None:
    done = dotbox(*args, DOCKER_HOST=f"unix://{tmp_path}/nothing.sock")
    assert (done.returncode, done.stdout) == (5, "")
    assert done.stderr.startswith("dotbox: error: ")
    assert "Docker engine unreachable" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_invalid_input_raised_by_a_command_is_exit_2() -> None:
    done = dotbox("drop")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "dotbox: error: name the sandboxes to drop, or pass --all\n"


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    nowhere = f"unix://{tmp_path}/nothing.sock"
    for done in (
        dotbox("list", DOCKER_HOST=nowhere, DOTBOX_DEBUG="1"),
        dotbox("--debug", "list", DOCKER_HOST=nowhere),
    ):
        assert done.returncode == 1
        assert "Traceback" in done.stderr and "EngineUnavailable" in done.stderr


def test_the_handler_prints_one_line_and_returns_the_documented_code(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOTBOX_DEBUG", raising=False)
    assert exit_code(EngineUnavailable("engine gone"), "dotbox") == 5
    assert exit_code(InvalidInput("bad ttl"), "dot-x") == 2
    full = OSError(errno.ENOSPC, "No space left on device", "/x/y")
    assert exit_code(full, "dotbox") == 18
    assert exit_code(KeyboardInterrupt(), "dotbox") == 130
    lines = capsys.readouterr().err.splitlines()
    assert lines[:2] == ["dotbox: error: engine gone", "dot-x: error: bad ttl"]
    assert lines[2].startswith("dotbox: error: ") and "/x/y" in lines[2]
    assert lines[3:] == ["dotbox: interrupted"]


def test_the_handler_raises_what_is_not_ours_and_everything_when_debugging(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DOTBOX_DEBUG", raising=False)
    with pytest.raises(ConnectionRefusedError):
        exit_code(ConnectionRefusedError(errno.ECONNREFUSED, "refused"), "dotbox")
    with pytest.raises(ValueError):
        exit_code(ValueError("a bug"), "dotbox")
    with pytest.raises(EngineUnavailable):
        exit_code(EngineUnavailable("engine gone"), "dotbox", debug=True)
    monkeypatch.setenv("DOTBOX_DEBUG", "1")
    with pytest.raises(EngineUnavailable):
        exit_code(EngineUnavailable("engine gone"), "dotbox")


def test_a_full_disk_is_a_storage_error_and_other_os_errors_are_not() -> None:
    full = storage_failure(OSError(errno.ENOSPC, "No space left on device", "/x/y"))
    assert full is not None and full.exit_code == 18 and "/x/y" in full.one_line()
    assert storage_failure(OSError(errno.ECONNREFUSED, "refused")) is None


def test_the_governance_scripts_go_through_the_same_handler(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dotbox.cli import governance_scripts

    monkeypatch.delenv("DOTBOX_DEBUG", raising=False)
    code = governance_scripts.main("sandbox-drop", ["--sandbox", "postgresql://u:p@h/db"])
    assert code == 4
    err = capsys.readouterr().err
    assert err.startswith("dot-staging-sandbox-drop: error: ") and "connection string" in err
    assert len(err.splitlines()) == 1
    monkeypatch.setenv("DOTBOX_DEBUG", "1")
    with pytest.raises(DotboxError, match="connection string"):
        governance_scripts.main("sandbox-drop", ["--sandbox", "postgresql://u:p@h/db"])


def test_no_command_module_catches_dotbox_errors_itself() -> None:
    """One handler at the top: a command raises, the group reports (drop, which reports
    several sandboxes' errors at once, is the one exception: its loop is in create_drop.py,
    which the drop command and the console script's fast path share)."""
    cli = REPO / "dotbox" / "cli"
    for path in sorted([*cli.glob("*_cmds.py"), cli / "create_drop.py"]):
        text = path.read_text()
        allowed = 1 if path.name == "create_drop.py" else 0
        assert text.count("except DotboxError") == allowed, path.name


def test_the_cli_touches_no_private_typer_api() -> None:
    for path in sorted((REPO / "dotbox" / "cli").glob("*.py")):
        text = path.read_text()
        for private in ("typer._", "typer.core._", "_TyperParameter", "get_runtime_param"):
            assert private not in text, f"{path.name} uses {private}"
