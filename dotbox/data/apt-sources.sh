# Sourced by build-base.sh and build-tools.sh: this machine's apt sources, rewritten for a
# Debian suite, for mmdebstrap.
#
#   suite_of MAJOR                 -> the suite that carries PostgreSQL MAJOR (exit 2 if none)
#   apt_sources SUITE DIR          -> writes DIR/apt.sources or DIR/apt.list, sets apt_file to
#                                     its path and the array aptopts (extra mmdebstrap options)

suite_of() {
  case "$1" in
    15) echo bookworm ;;
    17) echo trixie ;;
    18) echo sid ;;
    *) echo "PostgreSQL $1 has no Debian suite here (15, 17, 18)" >&2; return 2 ;;
  esac
}

apt_sources() {
  local suite=$1 dir=$2 src="" f host_suite ext
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    [ -s "$f" ] && src="$f" && break
  done
  [ -n "$src" ] || { echo "no apt sources on this machine" >&2; return 2; }
  host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  ext=${src##*.}; [ "$ext" = "sources" ] || ext=list
  sed -e "s/\b${host_suite}\b/${suite}/g" "$src" > "$dir/apt.$ext"
  aptopts=()
  if [ "$suite" = sid ]; then
    # sid has no -updates or -security suites; drop them.
    if [ "$ext" = sources ]; then
      # deb822: drop the whole security stanza (paragraph), not just its Suites line.
      sed -i -e 's/ sid-updates//' "$dir/apt.$ext"
      awk -v RS= -v ORS='\n\n' '!/sid-security/' "$dir/apt.$ext" >"$dir/apt.tmp"
      mv "$dir/apt.tmp" "$dir/apt.$ext"
    else
      sed -i -e '/sid-updates/d' -e '/sid-security/d' "$dir/apt.$ext"
    fi
    aptopts+=(--aptopt='Acquire::Check-Valid-Until "false"')
  fi
  apt_file="$dir/apt.$ext"
}
