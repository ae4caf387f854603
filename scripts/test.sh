#!/usr/bin/env bash
# `npm test`: sets up what the tests need (idempotent), then runs every test: typecheck, lint,
# unit tests (with a throwaway PostgreSQL cluster for the production dialect), and the integration
# and end-to-end tests against a real stack started on its own ports and state directory (so a
# stack you run for yourself is left alone). Ends with one summary line.
source "$(dirname "$0")/lib.sh"
setup_all
cd "$RS_ROOT"
# Setup is done; from here every test step reports its own failure and the summary names them, so
# setup's error line would only misname the failing command.
trap - ERR

export RS_STACK_DIR="${RS_TEST_STACK_DIR:-$RS_ROOT/.stack-test}"
export RS_HTTP_PORT="${RS_TEST_HTTP_PORT:-18080}" RS_GATE_PORT="${RS_TEST_GATE_PORT:-13001}"
export RS_ORTHANC_PORT="${RS_TEST_ORTHANC_PORT:-18042}" RS_OPS_PORT="${RS_TEST_OPS_PORT:-18081}"
export RS_DICOM_PORT="${RS_TEST_DICOM_PORT:-14242}"
# HTTPS beside HTTP (a self-signed certificate in the state directory): the TLS tests run against it.
export RS_TLS="${RS_TEST_TLS:-1}" RS_HTTPS_PORT="${RS_TEST_HTTPS_PORT:-18443}"
# Short-lived access tokens, so the tests see renewal across expiry.
export RS_ACCESS_TOKEN_TTL="${RS_TEST_ACCESS_TOKEN_TTL:-30}"
results="$RS_ROOT/test-results"
mkdir -p "$results"
rm -f "$results"/*.json

failed_steps=()
step() {
  local name="$1"; shift
  log "── $name"
  if ! "$@"; then failed_steps+=("$name"); fi
}

export RS_TEST_PG_DIR="$RS_ROOT/.stack-test-pg"
cleanup() {
  node stack/src/cli.ts down || true
  bash scripts/test-postgres.sh stop || true
}
trap cleanup EXIT

# A throwaway PostgreSQL cluster for the tests of the production database dialect.
if RS_TEST_PG_ADMIN_URL="$(bash scripts/test-postgres.sh start)"; then
  export RS_TEST_PG_ADMIN_URL
else
  failed_steps+=("start PostgreSQL")
fi

step typecheck tsc -p tsconfig.json
step "typecheck web app" npm run typecheck --workspace renderer --silent
step lint eslint --max-warnings=0 .
step "unit tests" vitest run --project unit --reporter=default --reporter=json --outputFile.json="$results/unit.json"

# The web app is built before the stack starts: nginx serves renderer/dist at / when it exists.
if node -e 'process.exit(require("./renderer/package.json").scripts?.build ? 0 : 1)'; then
  step "build web app" npm run build --workspace renderer --silent
fi

if node stack/src/cli.ts up; then
  step "integration tests" vitest run --project integration --reporter=default --reporter=json --outputFile.json="$results/integration.json"
  if [ -f e2e/playwright.config.ts ]; then
    step "end-to-end tests" env PLAYWRIGHT_JSON_OUTPUT_NAME="$results/e2e.json" \
      playwright test -c e2e/playwright.config.ts --reporter=list,json
  fi
else
  failed_steps+=("stack up")
fi
cleanup
trap - EXIT

node scripts/summarise-results.mjs "$results" "${failed_steps[@]}"
