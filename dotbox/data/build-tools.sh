#!/usr/bin/env bash
# Build dotbox's tools image for one PostgreSQL major: dotbox/tools:pgNN, for
# `dotbox run SB --image tools`.
#
#   build-tools.sh MAJOR
#
# Offline, from Debian's packages of the suite that carries MAJOR (mmdebstrap into a tarball,
# then docker import), like the base images: psql and pg_dump of MAJOR, and a full Python 3
# with psycopg (3 and 2), SQLAlchemy, Alembic (and its command) and Django (django-admin);
# socat for `dotbox run --tcp`.
set -euo pipefail

major=${1:?usage: build-tools.sh MAJOR (15, 17 or 18)}
tag=${DOTBOX_TOOLS_TAG:-"dotbox/tools:pg${major}"}
recipe=${DOTBOX_TOOLS_RECIPE:-unknown}  # dotbox passes the digest of this recipe
here=$(dirname "$(readlink -f "$0")")
. "$here/apt-sources.sh"
suite=$(suite_of "$major") || exit 2

command -v mmdebstrap >/dev/null || { echo "build-tools.sh: mmdebstrap missing (apt-get install mmdebstrap)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
apt_sources "$suite" "$work"

packages="postgresql-client-${major},socat,python3,python3-psycopg,python3-psycopg2"
packages="$packages,python3-sqlalchemy,python3-alembic,alembic,python3-django"
echo "dotbox:phase debootstrap"
mmdebstrap --variant=minbase --include="$packages" "${aptopts[@]}" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  "$suite" "$work/rootfs.tar" "$apt_file"

echo "dotbox:phase import"
docker import \
  --change "ENV PATH=/usr/lib/postgresql/${major}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV LANG=C.UTF-8" \
  --change "LABEL dotbox.tools=pg${major} dotbox.tools.source=debian-${suite} dotbox.recipe=${recipe}" \
  "$work/rootfs.tar" "$tag" >/dev/null
echo "$tag from debian ${suite}"
