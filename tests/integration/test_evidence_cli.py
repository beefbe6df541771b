from pathlib import Path

from tests.integration.conftest import cli_json, run_cli


def test_create_and_drop_are_recorded_and_the_chain_is_checked(tmp_path: Path) -> None:
    created = cli_json("create", "--name", "evidence-1")
    assert isinstance(created, dict)
    run_cli("drop", "evidence-1", check=True)
    records = cli_json("evidence", "show", "evidence-1")
    assert isinstance(records, list)
    assert [r["primitive"] for r in records][-2:] == ["sandbox-create", "sandbox-drop"]
    assert created["password"] not in str(records)
    assert run_cli("evidence", "verify", "evidence-1").returncode == 0
    bundle = tmp_path / "bundle"
    run_cli("evidence", "export", "evidence-1", "--out", str(bundle), check=True)
    assert run_cli("evidence", "verify", str(bundle)).returncode == 0
    assert not Path(records[-2]["outputs"]["socket_dir"]).exists()  # the ledger outlives it
    from dotbox import evidence

    path = evidence.ledger_path("evidence-1")
    path.write_bytes(path.read_bytes().replace(b"sandbox-drop", b"sandbox-drap"))
    proc = run_cli("evidence", "verify", "evidence-1")
    assert proc.returncode == 12
    assert "was changed" in proc.stderr and proc.stderr.count("\n") == 1
