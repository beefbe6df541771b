from pathlib import Path

from tests.conftest import unique
from tests.integration.conftest import cli_json, run_cli

NAME = unique("evidence")


def test_create_and_drop_are_recorded_and_the_chain_is_checked(tmp_path: Path) -> None:
    created = cli_json("create", "--name", NAME)
    assert isinstance(created, dict)
    run_cli("drop", NAME, check=True)
    records = cli_json("evidence", "show", NAME)
    assert isinstance(records, list)
    assert [r["primitive"] for r in records][-2:] == ["sandbox-create", "sandbox-drop"]
    assert created["password"] not in str(records)
    assert run_cli("evidence", "verify", NAME).returncode == 0
    bundle = tmp_path / "bundle"
    run_cli("evidence", "export", NAME, "--out", str(bundle), check=True)
    assert run_cli("evidence", "verify", str(bundle)).returncode == 0
    assert not Path(records[-2]["outputs"]["socket_dir"]).exists()  # the ledger outlives it
    from dotbox import evidence

    path = evidence.ledger_path(NAME)
    path.write_bytes(path.read_bytes().replace(b"sandbox-drop", b"sandbox-drap"))
    proc = run_cli("evidence", "verify", NAME)
    assert proc.returncode == 12
    assert "was changed" in proc.stderr and proc.stderr.count("\n") == 1
