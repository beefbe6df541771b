#!/usr/bin/env bash
# Build dotbox's PostgreSQL base image for one major: dotbox/base:pgNN.
#
#   images/base/build.sh MAJOR
#
# Uses the official postgres:MAJOR image when a registry answers; otherwise builds one offline
# from Debian packages: mmdebstrap (minbase + postgresql-MAJOR) into a tarball, then docker import.
# The apt sources are this machine's own, rewritten for the suite that carries MAJOR.
set -euo pipefail

major=${1:?usage: images/base/build.sh MAJOR (15, 17 or 18)}
# dotbox sets these for a base that adds Debian packages (extensions a snapshot needs)
tag=${DOTBOX_BASE_TAG:-"dotbox/base:pg${major}"}
extra=${DOTBOX_BASE_PACKAGES:-}  # comma-separated
case "$major" in
  15) suite=bookworm ;;
  17) suite=trixie ;;
  18) suite=sid ;;
  *) echo "images/base/build.sh: PostgreSQL $major has no Debian suite here (15, 17, 18)" >&2; exit 2 ;;
esac

if [ -z "$extra" ] && [ "${DOTBOX_BASE_FROM_REGISTRY:-auto}" != "never" ] \
   && timeout 20 docker pull -q "postgres:${major}" >/dev/null 2>&1; then
  # dotbox runs a base image only if it carries dotbox.base=pgMAJOR (dotbox/images.py).
  printf 'FROM postgres:%s\nLABEL dotbox.base=pg%s dotbox.base.source=postgres-%s\n' \
    "$major" "$major" "$major" | docker build -q -t "$tag" - >/dev/null
  echo "$tag from postgres:${major}"
  exit 0
fi

command -v mmdebstrap >/dev/null || { echo "images/base/build.sh: mmdebstrap missing (apt-get install mmdebstrap)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# This machine's sources, rewritten for $suite (deb822 or one-line format).
src=""
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
  [ -s "$f" ] && src="$f" && break
done
[ -n "$src" ] || { echo "images/base/build.sh: no apt sources on this machine" >&2; exit 2; }
host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
ext=${src##*.}; [ "$ext" = "sources" ] || ext=list
sed -e "s/\b${host_suite}\b/${suite}/g" "$src" > "$work/apt.$ext"
aptopts=()
if [ "$suite" = sid ]; then
  # sid has no -updates or -security suites; drop them.
  if [ "$ext" = sources ]; then
    # deb822: drop the whole security stanza (paragraph), not just its Suites line.
    sed -i -e 's/ sid-updates//' "$work/apt.$ext"
    awk -v RS= -v ORS='\n\n' '!/sid-security/' "$work/apt.$ext" >"$work/apt.tmp"
    mv "$work/apt.tmp" "$work/apt.$ext"
  else
    sed -i -e '/sid-updates/d' -e '/sid-security/d' "$work/apt.$ext"
  fi
  aptopts+=(--aptopt='Acquire::Check-Valid-Until "false"')
fi

# The same base serves sandboxes, runners (psql from postgresql-client, python3) and the TCP
# forwarder/shim (socat). pgvector is packaged from trixie on (pagila's newest schema uses it).
packages="postgresql-${major},socat,python3-minimal"
[ "$major" -ge 17 ] && packages="$packages,postgresql-${major}-pgvector"
[ -n "$extra" ] && packages="$packages,$extra"
labels="dotbox.base=pg${major} dotbox.base.source=debian-${suite}"
[ -n "$extra" ] && labels="$labels dotbox.base.packages=$extra"
mmdebstrap --variant=minbase --include="$packages" "${aptopts[@]}" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook='chroot "$1" pg_dropcluster --stop '"$major"' main || true' \
  "$suite" "$work/rootfs.tar" "$work/apt.$ext"

docker import \
  --change "ENV PATH=/usr/lib/postgresql/${major}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV LANG=C.UTF-8" \
  --change "LABEL $labels" \
  "$work/rootfs.tar" "$tag" >/dev/null
echo "$tag from debian ${suite}"
