import pytest

from dotbox import images
from dotbox.core.errors import BakeFailed
from dotbox.sql import sqltext


def test_progress_marks_map_back_to_original_lines() -> None:
    text = "\n".join(f"CREATE TABLE t{i} (a int);" for i in range(1, 251)) + "\n"
    statements = sqltext.split(text)
    marked, inserted = images.with_progress_marks(text, statements)
    assert 0 < len(inserted) <= images.PROGRESS_MARKS
    assert marked.count("\\echo dotbox:progress") == len(inserted)
    out_lines = marked.split("\n")
    for reported, line in enumerate(out_lines, start=1):
        if line.startswith("CREATE TABLE t"):
            original = images.original_line(reported, inserted)
            assert line == text.split("\n")[original - 1]


def test_progress_marks_never_fall_inside_copy_rows() -> None:
    block = "COPY t FROM stdin;\n1\n2\n\\.\n"
    text = "CREATE TABLE t (a int);\n" + block * 150
    marked, inserted = images.with_progress_marks(text, sqltext.split(text))
    assert inserted  # the control: marks were put in
    lines = marked.split("\n")
    for n in inserted:
        assert lines[n - 2] in ("\\.", "CREATE TABLE t (a int);"), lines[n - 3 : n + 1]


def test_exit_codes_are_distinct() -> None:
    from dotbox.core import errors

    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.DotboxError)
    ]
    codes = [c.exit_code for c in classes if c is not errors.DotboxError]
    assert len(codes) == len(set(codes))
    assert set(codes) <= set(errors.EXIT_CODES)


def test_server_entrypoint_warms_only_listed_relation_files() -> None:
    plain = images.server_entrypoint(17, [])
    assert plain[:3] == ["/usr/lib/postgresql/17/bin/postgres", "-D", images.DATA_DIR]
    warm = images.server_entrypoint(17, ["base/16385/1249", "global/1260"])
    assert warm[:2] == ["sh", "-c"] and warm[3] == "dotbox-sandbox"
    assert "for f in base/16385/1249 global/1260; do" in warm[2]
    assert f"exec /usr/lib/postgresql/17/bin/postgres -D {images.DATA_DIR} -c " in warm[2]
    assert warm[2].endswith('"$@"')
    for bad in ["base/1/1; rm -rf /", "../x", "base/16385/1249 x"]:
        with pytest.raises(BakeFailed):
            images.server_entrypoint(17, [bad])


def test_the_server_configuration_is_pinned_on_its_command_line() -> None:
    """Nothing in the data directory (ALTER SYSTEM's file, a rewritten postgresql.conf) can
    move the configuration, authentication or listening of a sandbox's server."""
    options = images.SERVER_OPTIONS
    pinned = dict(o.split("=", 1) for o in options[1::2])
    assert options[0::2] == ["-c"] * len(pinned)
    assert pinned == {
        "config_file": f"{images.CONF_DIR}/runtime.conf",
        "hba_file": images.HBA_FILE,
        "ident_file": f"{images.CONF_DIR}/pg_ident_forwarded.conf",
        "listen_addresses": "",
        "unix_socket_directories": "/sock",
    }
    assert images.server_entrypoint(17, [])[3:] == options
    assert ["-c", f"hba_file={images.HBA_FORWARDED}"] == images.FORWARDED_AUTH
