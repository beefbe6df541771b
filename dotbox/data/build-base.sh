#!/usr/bin/env bash
# Build dotbox's PostgreSQL base image for one major: dotbox/base:pgNN.
#
#   images/base/build.sh MAJOR
#   images/base/build.sh --recipe     prints the recipe's digest (what a current base is labelled)
#
# Uses the official postgres:MAJOR image when a registry answers; otherwise builds one offline
# from Debian packages: mmdebstrap (minbase + postgresql-MAJOR) into a tarball, then docker import.
# The apt sources are this machine's own, rewritten for the suite that carries MAJOR.
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
# The recipe's digest (this script and its apt sources), as dotbox/images.py computes it: a base
# built by an older recipe is stale (`dotbox doctor` says so; .ci/setup rebuilds it).
recipe=$(cat "$here/build-base.sh" "$here/apt-sources.sh" | sha256sum | cut -c1-12)
[ "${1:-}" = "--recipe" ] && { echo "$recipe"; exit 0; }

major=${1:?usage: images/base/build.sh MAJOR (15, 17 or 18)}
# dotbox sets these for a base that adds Debian packages (extensions a snapshot needs)
tag=${DOTBOX_BASE_TAG:-"dotbox/base:pg${major}"}
extra=${DOTBOX_BASE_PACKAGES:-}  # comma-separated
. "$here/apt-sources.sh"
suite=$(suite_of "$major") || exit 2

if [ -z "$extra" ] && [ "${DOTBOX_BASE_FROM_REGISTRY:-auto}" != "never" ] \
   && timeout 20 docker pull -q "postgres:${major}" >/dev/null 2>&1; then
  # dotbox runs a base image only if it carries dotbox.base=pgMAJOR (dotbox/images.py).
  printf 'FROM postgres:%s\nLABEL dotbox.base=pg%s dotbox.base.source=postgres-%s dotbox.base.recipe=%s\n' \
    "$major" "$major" "$major" "$recipe" | docker build -q -t "$tag" - >/dev/null
  echo "$tag from postgres:${major}"
  exit 0
fi

command -v mmdebstrap >/dev/null || { echo "images/base/build.sh: mmdebstrap missing (apt-get install mmdebstrap)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
apt_sources "$suite" "$work"  # this machine's sources, rewritten for $suite: $apt_file, aptopts

# The same base serves sandboxes, runners (psql from postgresql-client, python3) and the TCP
# forwarder/shim (socat). pgvector is packaged from trixie on (pagila's newest schema uses it).
# locales gives en_US.UTF-8 (compiled below), as in the official image: COLLATE "en_US" works.
packages="postgresql-${major},socat,python3-minimal,locales"
[ "$major" -ge 17 ] && packages="$packages,postgresql-${major}-pgvector"
[ -n "$extra" ] && packages="$packages,$extra"
labels="dotbox.base=pg${major} dotbox.base.source=debian-${suite} dotbox.base.recipe=${recipe}"
[ -n "$extra" ] && labels="$labels dotbox.base.packages=$extra"
mmdebstrap --variant=minbase --include="$packages" "${aptopts[@]}" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook='chroot "$1" pg_dropcluster --stop '"$major"' main || true' \
  --customize-hook='chroot "$1" localedef -i en_US -c -f UTF-8 en_US.UTF-8' \
  --customize-hook='rm -rf "$1"/usr/share/i18n/charmaps "$1"/usr/share/i18n/locales' \
  "$suite" "$work/rootfs.tar" "$apt_file"

docker import \
  --change "ENV PATH=/usr/lib/postgresql/${major}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV LANG=C.UTF-8" \
  --change "LABEL $labels" \
  "$work/rootfs.tar" "$tag" >/dev/null
echo "$tag from debian ${suite}"
