# Sourced by the npm scripts: installs the node modules and builds when needed, so that
# each README command works on a fresh clone by itself. Progress goes to stderr, so
# that a first run (minutes: better-sqlite3 compiles) is not silent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "sluice: installing the node modules (npm ci; the first time takes a minute or two, better-sqlite3 compiles)..." >&2
  npm ci --no-audit --no-fund >&2
fi
echo "sluice: compiling TypeScript to dist/..." >&2
# Incremental: a second run with nothing changed compiles nothing (its record lives in dist/, removed with it).
node_modules/.bin/tsc -p tsconfig.json --incremental --tsBuildInfoFile dist/.tsbuildinfo
