#!/usr/bin/env bash
# Installs everything Reading Station needs on a Debian/Ubuntu machine. Safe to run again.
source "$(dirname "$0")/lib.sh"
setup_all
log "setup complete"
