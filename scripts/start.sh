#!/usr/bin/env bash
# `npm start`: installs what is missing, builds the web app, starts the stack with demo data,
# and prints the URL and the demo logins. Safe to run again: it skips what is already there.
source "$(dirname "$0")/lib.sh"
setup_all
cd "$RS_ROOT"
if node -e 'process.exit(require("./renderer/package.json").scripts?.build ? 0 : 1)'; then
  log "building the web app"
  npm run build --workspace renderer --silent
fi
node stack/src/cli.ts up "$@"
