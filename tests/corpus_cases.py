"""The corpora (tests/corpora) as the tests and bench/corpora_table.py use them: how each is
imported, the major it bakes on, and its catalog as a plain ``psql -f`` restore makes it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from dotbox import images
from dotbox.core.models import SnapshotManifest
from dotbox.pg import db

CORPORA = [
    ("pagila-head-pg18.sql", ["--name", "pagila18"], 18),
    ("pagila.sql", ["--name", "pagila", "--pg", "15"], 15),
    ("openstreetmap.sql", ["--name", "osm"], 17),  # its schema_migrations rows are kept
    ("supabase.sql", ["--name", "supabase"], 17),
    # schemas Debian 12 ships in its packages (SOURCES.md); a few carry their seed rows
    ("bacula.sql", ["--name", "bacula", "--pg", "15", "--allow-data"], 15),
    ("ejabberd.sql", ["--name", "ejabberd"], 17),
    ("freeradius.sql", ["--name", "freeradius", "--pg", "15"], 15),
    ("gammu-smsd.sql", ["--name", "gammu", "--pg", "15", "--allow-data"], 15),
    ("icinga2-ido.sql", ["--name", "icinga2", "--pg", "15"], 15),
    ("icingaweb2.sql", ["--name", "icingaweb2", "--allow-data"], 17),
    ("mediawiki.sql", ["--name", "mediawiki"], 17),
    ("powerdns.sql", ["--name", "powerdns", "--pg", "15"], 15),
    ("request-tracker.sql", ["--name", "rt", "--pg", "15"], 15),
    ("roundcube.sql", ["--name", "roundcube", "--allow-data"], 17),
    ("tt-rss.sql", ["--name", "ttrss", "--allow-data"], 17),
    ("ulogd2.sql", ["--name", "ulogd2", "--pg", "15", "--allow-data"], 15),
    ("zabbix.sql", ["--name", "zabbix", "--allow-data"], 17),
]


def plain_restore_counts(manifest: SnapshotManifest, file: Path) -> dict[str, int]:
    """The catalog of ``file`` restored with plain ``psql -f`` (ON_ERROR_STOP) into a fresh
    server of the same base image, the roles it references made first, as anyone would."""

    def ident(role: str) -> str:
        return '"' + role.replace('"', '""') + '"'

    roles = "".join(
        f"DO $$BEGIN CREATE ROLE {ident(r)}; EXCEPTION WHEN duplicate_object THEN END$$;"
        for r in manifest.roles
    )
    roles += "".join(f"ALTER ROLE {ident(r)} SUPERUSER;" for r in manifest.superuser_roles)
    script = (
        "set -e; initdb -D /tmp/d -U postgres -A trust >/dev/null;"
        " pg_ctl -D /tmp/d -w -s -o '-c listen_addresses= -c unix_socket_directories=/tmp' start;"
        ' psql -h /tmp -U postgres -qX -v ON_ERROR_STOP=1 -c "$ROLES" -f /schema.sql >/dev/null;'
        ' psql -h /tmp -U postgres -AtX -F , -c "$COUNTS"'
    )
    out = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--user", "postgres",
         "-e", f"ROLES={roles or 'SELECT 1'}", "-e", f"COUNTS={db.COUNTS_SQL}",
         "-v", f"{file}:/schema.sql:ro", images.base_tag(manifest.pg_major), "sh", "-c", script],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    values = out.strip().splitlines()[-1].split(",")
    return {kind: int(v) for kind, v in zip(db.COUNTED_KINDS, values, strict=True)}


GITLAB = ("gitlab.sql", ["--name", "gitlab"], 17)  # 1,401 tables: its tests are apart


def import_args(args: list[str]) -> dict[str, object]:
    """The CLI arguments of a case as ``dotbox.import_snapshot``'s keywords."""
    rest = list(args)
    name = rest[rest.index("--name") + 1]
    major = int(rest[rest.index("--pg") + 1]) if "--pg" in rest else None
    return {"name": name, "pg_major": major, "allow_data": "--allow-data" in rest}
