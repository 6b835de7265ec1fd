#!/usr/bin/env bash
# Builds rule.py into a component: $OUT, else target/deprecations-py.wasm.
#
# Needs componentize-py (`pip install componentize-py==0.25.1`, from PyPI):
# COMPONENTIZE_PY names it, else it is found on PATH, else in python3.
# AUGUR_WIT names the folder of augur's WIT contract (default: this
# checkout's wit/; `augur new` writes a copy into a new rule's vendor/wit).
# OUT is absolute, or relative to this folder.
set -euo pipefail
cd "$(dirname "$0")"
wit=${AUGUR_WIT:-../../../wit}
out=${OUT:-target/deprecations-py.wasm}
mkdir -p "$(dirname "$out")"
componentize_py() {
    if [ -n "${COMPONENTIZE_PY:-}" ]; then
        "$COMPONENTIZE_PY" "$@"
    elif command -v componentize-py >/dev/null; then
        componentize-py "$@"
    else
        # Installed, but its script is not on PATH (a pyenv without rehash).
        python3 -c 'import sys; from componentize_py import script; sys.argv[0] = "componentize-py"; sys.exit(script())' "$@"
    fi
}
componentize_py -d "$wit" -w classifier-rule componentize rule -o "$out"
