#!/usr/bin/env bash
# The Rails recipe's app image, for its test: built offline from Debian 12's packages (Ruby 3.1,
# Rails 6.1, ruby-pg; socat and pg_isready for `dotbox run --tcp`) like dotbox's tools image,
# with the recipe's Gemfile at /app resolved against them (`bundle lock --local`).
#
#   build-rails.sh TAG GEMFILE
set -euo pipefail

tag=${1:?usage: build-rails.sh TAG GEMFILE}
gemfile=$(readlink -f "${2:?usage: build-rails.sh TAG GEMFILE}")
here=$(dirname "$(readlink -f "$0")")
. "$here/../../dotbox/data/apt-sources.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
apt_sources bookworm "$work"
mmdebstrap --variant=minbase --include="ruby-rails,ruby-pg,bundler,socat,postgresql-client-15" \
  "${aptopts[@]}" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook='mkdir -p "$1/app"' \
  --customize-hook="copy-in $gemfile /app" \
  --customize-hook='chroot "$1" sh -c "cd /app && bundle lock --local"' \
  bookworm "$work/rootfs.tar" "$apt_file"
docker import \
  --change "ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV LANG=C.UTF-8 BUNDLE_GEMFILE=/app/Gemfile" \
  "$work/rootfs.tar" "$tag" >/dev/null
