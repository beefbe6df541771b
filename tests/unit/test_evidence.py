from pathlib import Path

import pytest

from dotbox import evidence


@pytest.fixture(autouse=True)
def own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOTBOX_HOME", str(tmp_path / "home"))


def ledger(n: int = 4) -> Path:
    for i in range(n):
        evidence.append(
            "sb-1",
            f"step-{i}",
            inputs={"i": i, "password": "hunter2"},
            outputs={"dsn": "postgresql://sandbox:s3cret@/sandbox?host=/x"},
            verify={"ok": True},
        )
    return evidence.ledger_path("sb-1")


def test_chain_intact_and_secrets_redacted() -> None:
    path = ledger()
    report = evidence.verify_file(path)
    assert report.ok and report.records == 4
    text = path.read_text()
    assert "hunter2" not in text and "s3cret" not in text
    records = evidence.read(path)
    assert records[0]["prev"] == evidence.GENESIS
    assert [r["prev"] for r in records[1:]] == [r["hash"] for r in records[:-1]]


def test_one_changed_byte_is_named() -> None:
    path = ledger()
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace('"step-2"', '"step-X"')
    path.write_text("".join(lines))
    report = evidence.verify_file(path)
    assert not report.ok and report.record == 3 and "changed" in (report.problem or "")


def test_deleted_record_is_named() -> None:
    path = ledger()
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:1] + lines[2:]))
    report = evidence.verify_file(path)
    assert not report.ok and report.record == 2 and "does not follow" in (report.problem or "")


def test_reordered_records_are_named() -> None:
    path = ledger()
    lines = path.read_text().splitlines(keepends=True)
    lines[1], lines[2] = lines[2], lines[1]
    path.write_text("".join(lines))
    report = evidence.verify_file(path)
    assert not report.ok and report.record == 2


def test_torn_last_line_is_named_and_append_continues_safely() -> None:
    path = ledger()
    with open(path, "a") as fh:
        fh.write('{"seq": 5, "half a rec')
    report = evidence.verify_file(path)
    assert not report.ok and report.record == 5 and "torn" in (report.problem or "")
    before = path.read_bytes()
    evidence.append("sb-1", "after-crash", inputs={}, outputs={}, verify={})
    after = path.read_bytes()
    assert after.startswith(before)  # nothing already written is rewritten
    assert len(after.splitlines()) == 6
    report = evidence.verify_file(path)
    assert not report.ok and report.record == 5


def test_export_and_verify_bundle(tmp_path: Path) -> None:
    ledger()
    bundle = evidence.export("sb-1", tmp_path / "bundle")
    assert evidence.verify_bundle(bundle).ok
    (bundle / "ledger.jsonl").write_text(
        (bundle / "ledger.jsonl").read_text().replace("step-1", "step-9")
    )
    report = evidence.verify_bundle(bundle)
    assert not report.ok and "sha256" in (report.problem or "")


def _append_many(home: str, n: int) -> None:
    import os

    os.environ["DOTBOX_HOME"] = home
    for i in range(n):
        evidence.append("sb-par", "step", inputs={"i": i, "pad": "x" * 2048}, outputs={}, verify={})


def test_concurrent_appends_from_processes_never_interleave(tmp_path: Path) -> None:
    import multiprocessing
    import os

    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_append_many, args=(os.environ["DOTBOX_HOME"], 40)) for _ in range(3)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    report = evidence.verify_file(evidence.ledger_path("sb-par"))
    assert report.ok and report.records == 120
