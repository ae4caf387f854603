#!/usr/bin/env bash
# Runs a command with the project's Node 24 first on PATH, installing Node 24 if it is missing.
source "$(dirname "$0")/lib.sh"
ensure_node
use_node
exec "$@"
