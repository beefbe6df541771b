#!/bin/sh
# Bake a snapshot into a PostgreSQL data directory. Runs as the postgres user inside a bake
# container made from a dotbox base image. dotbox put, root's and read-only to this script (the
# DDL runs as a superuser, so whatever the postgres user can write, it can rewrite):
#   /tmp/dotbox-bake/
#     snapshot.sql  the DDL (with \echo progress markers between statements)
#     prepare.sql   roles the DDL references, the sandbox role and database
#     finish.sql    what follows the DDL (roles demoted, memberships, catalog facts)
#     fingerprint.sql  the schema's fingerprint, kept in the image for verify
#     warm.sql      the catalog files a sandbox opens while its server starts
#   /etc/dotbox/    how a sandbox's server runs (on its command line, see images.py)
#     runtime.conf  its whole configuration (config_file)
#     pg_hba.conf   how a sandbox is reached: its Unix socket, with a password
#     pg_hba_forwarded.conf, pg_ident_forwarded.conf   the same for a sandbox made with --tcp
# Lines starting with "dotbox:" are read by dotbox as progress.
set -eu
recipe=/tmp/dotbox-bake
work=/tmp/dotbox-work
export PGDATA=/var/lib/postgresql/dotbox PGHOST="$work/s"
mkdir -p "$PGHOST"

echo "dotbox:phase initdb"
initdb -D "$PGDATA" -U dotbox_admin -A trust -E UTF8 --locale=C.UTF-8 --wal-segsize=1 -N \
  >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log"; exit 1; }
pg_ctl -w -s -l "$work/server.log" \
  -o "-c config_file=/etc/dotbox/runtime.conf -c hba_file=$PGDATA/pg_hba.conf" \
  -o "-c ident_file=$PGDATA/pg_ident.conf -c listen_addresses= -c unix_socket_directories=$PGHOST" \
  -o "-c max_wal_size=1GB -c checkpoint_timeout=1h" \
  start || { cat "$work/server.log"; exit 1; }

echo "dotbox:phase prepare"
psql -X -q -v ON_ERROR_STOP=1 -U dotbox_admin -d postgres -f "$recipe/prepare.sql"
echo "dotbox:phase ddl"
psql -X -q -v ON_ERROR_STOP=1 -U sandbox -d sandbox -f "$recipe/snapshot.sql"
echo "dotbox:phase finish"
psql -X -q -v ON_ERROR_STOP=1 -U dotbox_admin -d sandbox -f "$recipe/finish.sql"
echo "dotbox:phase scratch"
# The tablespace of per-test databases (dotbox/pg/databases.py). A sandbox mounts a tmpfs on its
# version directory (written to dotbox-scratch with the owner), where a clone is written ten
# times faster than into the image's layer.
scratch=/var/lib/postgresql/scratch
mkdir -m 0700 "$scratch"
psql -X -q -v ON_ERROR_STOP=1 -U dotbox_admin -d postgres \
  -c "CREATE TABLESPACE dotbox_scratch LOCATION '$scratch'" \
  -c "GRANT CREATE ON TABLESPACE dotbox_scratch TO PUBLIC"
echo "$scratch/$(ls "$scratch") $(id -u):$(id -g)" >/var/lib/postgresql/dotbox-scratch
echo "dotbox:phase fingerprint"
psql -X -q -A -t -v ON_ERROR_STOP=1 -U dotbox_admin -d sandbox -f "$recipe/fingerprint.sql" \
  -o /var/lib/postgresql/dotbox-fingerprint.json
psql -X -q -A -t -v ON_ERROR_STOP=1 -U dotbox_admin -d sandbox -f "$recipe/warm.sql" \
  -o /var/lib/postgresql/dotbox-warm
pg_ctl -w -s -m fast stop
# A sandbox starts from a clean shutdown: it needs only the WAL segment of that checkpoint (not
# the bake's hundred segments of DDL), and no statistics of the bake.
redo=$(pg_controldata "$PGDATA" | sed -n "s/^Latest checkpoint's REDO WAL file: *//p")
[ -n "$redo" ] && find "$PGDATA/pg_wal" -maxdepth 1 -type f -name '0*' ! -name '*.*' ! -name "$redo" -delete
rm -rf "$PGDATA/log" "$PGDATA/pg_stat_tmp"/* "$PGDATA/pg_stat"/* "$work"
echo "dotbox:phase done"
