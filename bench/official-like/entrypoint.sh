#!/bin/sh
# Behaves like the official postgres image's entrypoint, on a dotbox base image: initdb at
# start, the init scripts run against a temporary socket-only server, then the real server.
set -eu
bin=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
export PGDATA=/var/lib/postgresql/data
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
echo "$POSTGRES_PASSWORD" > /tmp/pwfile
"$bin/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=/tmp/pwfile -A scram-sha-256 \
  --auth-local=trust -E UTF8 --locale=C.UTF-8 >/dev/null
rm -f /tmp/pwfile
echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
"$bin/pg_ctl" -D "$PGDATA" -w -s -o "-c listen_addresses='' -c unix_socket_directories=/tmp" start
if [ "$POSTGRES_DB" != postgres ]; then
  psql -h /tmp -U "$POSTGRES_USER" -d postgres -qc "CREATE DATABASE \"$POSTGRES_DB\""
fi
for f in /docker-entrypoint-initdb.d/*.sql; do
  [ -e "$f" ] || continue
  psql -h /tmp -U "$POSTGRES_USER" -d "$POSTGRES_DB" -q -v ON_ERROR_STOP=1 -f "$f" >/dev/null
done
"$bin/pg_ctl" -D "$PGDATA" -w -s -m fast stop
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp
