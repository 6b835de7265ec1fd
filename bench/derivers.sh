#!/usr/bin/env bash
# Rule time of every built-in deriver over 10,000 snapshots of one repository
# (the series `tests/e2e/scale.rs` writes), from the report's per-rule stats,
# in a release build. Prints one line per rule: wall time and fuel.
#
#   bash bench/derivers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --quiet --test e2e ten_thousand_snapshots_of_one_repository -- --nocapture 2>&1 \
  | grep -E ' ms +[0-9]+ fuel$'
