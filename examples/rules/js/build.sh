#!/usr/bin/env bash
# Builds rule.js into a component: $OUT, else target/deprecations-js.wasm.
#
# Needs Node.js and `npm ci` run here once (componentize-js, from npm).
# AUGUR_WIT names the folder of augur's WIT contract (default: this
# checkout's wit/; `augur new` writes a copy into a new rule's vendor/wit).
# OUT is absolute, or relative to this folder.
set -euo pipefail
cd "$(dirname "$0")"
wit=${AUGUR_WIT:-../../../wit}
out=${OUT:-target/deprecations-js.wasm}
mkdir -p "$(dirname "$out")"
# No WASI at all: a rule gets nothing from it (augur grants no files,
# environment or sockets), and the component is smaller without it.
npx --no-install componentize-js rule.js \
    --wit "$wit" --world-name classifier-rule \
    --disable stdio random clocks http fetch-event \
    -o "$out"
