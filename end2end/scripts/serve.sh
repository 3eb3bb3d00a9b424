#!/usr/bin/env bash
# Starts the built server on a fresh SQLite database for one Playwright run.
set -euo pipefail
port=${1:-3210}
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${GEMSCOPE_BIN:-$here/target/debug/gemscope}
work=$(mktemp -d /tmp/gemscope-e2e.XXXXXX)
cd "$work"
export GEMSCOPE_LISTEN=127.0.0.1:$port
export GEMSCOPE_SITE_ROOT=${GEMSCOPE_SITE_ROOT:-$here/site}
export GEMSCOPE_DATA_DIR=$work/data
export GEMSCOPE_DATABASE_URL="sqlite://$work/data/gemscope.db?mode=rwc"
export GEMSCOPE_ADMIN_PASSWORD=${GEMSCOPE_ADMIN_PASSWORD:-e2e-admin-password}
export GEMSCOPE_LOG=${GEMSCOPE_LOG:-warn}
exec "$bin" serve
