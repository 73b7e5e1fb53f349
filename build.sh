#!/usr/bin/env bash
# Builds the single executable dist/sekisho: installs dependencies when missing, type-checks (a type error
# fails the build), then compiles with Bun. The binary never reads .env or bunfig.toml from the directory
# it runs in. Do not strip it: stripping leaves the plain bun CLI.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x node_modules/.bin/bun ] || [ ! -x node_modules/.bin/tsc ]; then
  npm ci --no-audit --no-fund
fi

node_modules/.bin/tsc --noEmit -p .

mkdir -p dist
node_modules/.bin/bun build src/main.ts \
  --compile --minify --sourcemap --bytecode \
  --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
  --outfile dist/sekisho
echo "built dist/sekisho ($(du -h dist/sekisho | cut -f1))"
