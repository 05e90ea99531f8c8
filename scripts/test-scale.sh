#!/usr/bin/env bash
# `npm run test:scale`: the scale-out suite (issue 8) against real PostgreSQL and Ceph radosgw, which
# server/scale/global-setup.ts starts through scripts/services.sh. Without those binaries it says so in
# one line and passes, so `npm test` stays usable on a laptop; CI installs them (.ci/run) and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! missing=$(bash scripts/services.sh check); then
  echo "test:scale: scale-out suite (PostgreSQL + S3) not run, $missing to enable it"
  exit 0
fi
exec npx vitest run --config server/scale/vitest.config.ts "$@"
