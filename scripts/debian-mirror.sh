# Which Debian mirror the Orthanc root is built from. Sourced by lib.sh; also run on its own by the
# tests against fake /etc/apt trees: `bash scripts/debian-mirror.sh <apt-dir>` prints the mirror.
#
# Order: READING_STATION_DEBIAN_MIRROR if set; else the first Debian archive URI in the machine's
# deb822 files (sources.list.d/*.sources, the only format a fresh Debian 12/13 image has); else the
# first in a classic sources.list or sources.list.d/*.list; else deb.debian.org. Security and
# backports archives are skipped: they do not carry the testing suite. A missing file is not an error.

RS_DEFAULT_DEBIAN_MIRROR="http://deb.debian.org/debian"

# Prints the archive URIs of one deb822 .sources file, one per line (only stanzas of type deb).
deb822_uris() {
  awk '
    function flush() { if (isdeb && uris != "") print uris; isdeb = 0; uris = "" }
    /^[[:space:]]*$/ { flush(); next }
    /^[[:space:]]*#/ { next }
    tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") isdeb = 1; next }
    tolower($1) == "uris:" { for (i = 2; i <= NF; i++) uris = uris (uris == "" ? "" : "\n") $i; next }
    END { flush() }
  ' "$1"
}

# Prints the archive URIs of a one-line-style sources.list, one per line (deb lines only).
one_line_uris() {
  awk '
    /^[[:space:]]*deb[[:space:]]/ {
      for (i = 2; i <= NF; i++) { if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; continue } print $i; break }
    }
  ' "$1"
}

# A Debian archive (not security, not backports, not a third-party repository).
is_debian_archive() {
  case "$1" in
    http://*/debian | https://*/debian | http://*/debian/ | https://*/debian/) return 0 ;;
    *) return 1 ;;
  esac
}

detect_debian_mirror() {
  local apt_dir="${1:-/etc/apt}" file uri
  if [ -n "${READING_STATION_DEBIAN_MIRROR:-}" ]; then
    printf '%s\n' "${READING_STATION_DEBIAN_MIRROR%/}"
    return 0
  fi
  local candidates=()
  for file in "$apt_dir"/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    while IFS= read -r uri; do candidates+=("$uri"); done < <(deb822_uris "$file")
  done
  for file in "$apt_dir"/sources.list "$apt_dir"/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    while IFS= read -r uri; do candidates+=("$uri"); done < <(one_line_uris "$file")
  done
  for uri in "${candidates[@]}"; do
    if is_debian_archive "$uri"; then printf '%s\n' "${uri%/}"; return 0; fi
  done
  printf '%s\n' "$RS_DEFAULT_DEBIAN_MIRROR"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  detect_debian_mirror "${1:-/etc/apt}"
fi
