#!/usr/bin/env bash
# Measures each attack of the adversarial suite (tests/guests/) against a
# release build: the class it ends in, how long the hostile call ran before it
# was stopped, and the peak memory of the whole augur process (GNU time's
# maximum resident set size). Each attack runs in a pack with the two
# built-in rules, over one snapshot folder and one log, with default limits.
#
#   bash bench/attacks.sh            # prints a Markdown table
#
# Needs GNU time (/usr/bin/time, Debian package `time`) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet -p augur
augur=target/release/augur
guests=$PWD/target/wasm-components/wasm32-wasip2/wasm-rules
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The attacks written in WebAssembly text (tests/guests/wat/), wrapped into
# components by the end-to-end tests that use them.
mkdir -p "$work/wat"
AUGUR_WAT_GUESTS_OUT=$work/wat cargo test --quiet -p augur --test e2e -- \
  escapes::memory_is escapes::tables_are escapes::the_number escapes::bulk_fills > /dev/null

# Files that are not rules.
printf '\0asm\1\0\0\0' > "$work/core.wasm"
head -c 4096 /dev/urandom | { printf 'R'; cat; } > "$work/random.wasm"
head -c "$(( $(stat -c %s "$guests/looper.wasm") / 2 ))" "$guests/looper.wasm" > "$work/truncated.wasm"

inputs=(--snapshots examples/snapshots --jobs examples/jobs/codex-timeout.log)

# name | component | extra TOML for the rule (\n for newlines)
attacks=(
  "infinite loop|$guests/looper.wasm|"
  "infinite loop, unlimited fuel (10 s deadline)|$guests/looper.wasm|[rule.limits]\nfuel = 18_000_000_000_000_000_000"
  "tight loop of host calls|$guests/host_flood.wasm|"
  "unbounded memory.grow|$guests/memory_hog.wasm|"
  "deep recursion|$guests/deep_recursion.wasm|"
  "a million findings|$guests/finding_flood.wasm|"
  "one 100 MB string|$guests/huge_string.wasm|"
  "prints gigabytes to stdout|$guests/stdout_flood.wasm|"
  "panic|$guests/panicker.wasm|"
  "unreachable|$guests/unreachable.wasm|"
  "reads /etc/passwd, lists /, HOME, socket|$guests/sandbox_probe.wasm|"
  "evidence at line 10,000 of a 7-line log|$guests/bad_evidence.wasm|"
  "sleeps an hour at a time, forever|$guests/sleeper.wasm|"
  "sleeps forever, unlimited fuel (2 s deadline)|$guests/sleeper.wasm|[rule.limits]\nfuel = 18_000_000_000_000_000_000\nwall_time_ms = 2000"
  "counts how often a 2 ms timer is not ready|$guests/timer_poller.wasm|"
  "escape sequences, CR and U+202E in every string|$guests/hostile_text.wasm|"
  "claims to be the built-in api-errors|$guests/impostor.wasm|"
  "six memories of 125 MiB, filled|$work/wat/many-memories.wasm|"
  "sixteen tables of 900 000 elements, filled|$work/wat/many-tables.wasm|"
  "forty memories|$work/wat/memory-count.wasm|"
  "memory.fill of 64 MiB in a loop|$work/wat/fill-loop.wasm|"
  "core module, not a component|$work/core.wasm|"
  "random bytes named .wasm|$work/random.wasm|"
  "truncated component|$work/truncated.wasm|"
  "component of the wrong world|$guests/wrong-world.wasm|"
  "built against contract 99.0.0|$guests/future_contract.wasm|"
)

measure() { # pack-file -> "class|stopped_ms|process_s|peak_mb"
  local pack=$1 rule=$2
  /usr/bin/time -f '%e %M' -o "$work/time" "$augur" run --pack "$pack" "${inputs[@]}" --format json > "$work/out.json" 2>/dev/null || true
  python3 - "$work/out.json" "$work/time" "$rule" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
elapsed, peak_kb = open(sys.argv[2]).read().split()[-2:]
rule = sys.argv[3]
errors = [e for e in report["errors"] if e.get("rule", "").endswith(rule)]
classes = sorted({e["class"] for e in errors}) or ["none (ran)"]
stats = [r for r in report["stats"]["rules"] if r["rule"].endswith(rule)]
# Per call: a rule that is also a deriver runs once per repository too.
stopped = f'{stats[0]["wall_time_ms"] / stats[0]["calls"]:.1f} ms' if stats and stats[0]["calls"] else "at load"
builtin = sum(1 for f in report["findings"] if f["rule"] in ("quality-trend", "api-errors"))
print(f'{"/".join(classes)}|{stopped}|{float(elapsed):.2f} s|{int(peak_kb) / 1024:.0f} MB|{builtin}')
PY
}

base="[[rule]]
builtin = \"quality-trend\"

[[rule]]
builtin = \"api-errors\"
"
printf '%s' "$base" > "$work/baseline.toml"
echo "| attack | class | each hostile call stopped after | whole run | peak memory (process) | built-in findings |"
echo "|---|---|---|---|---|---|"
IFS='|' read -r _ _ total peak found <<< "$(measure "$work/baseline.toml" none)"
echo "| (none: built-in rules alone) | | | $total | $peak | $found |"
all="$base"
for entry in "${attacks[@]}"; do
  IFS='|' read -r name wasm extra <<< "$entry"
  rule=$(basename "$wasm" .wasm)
  # The impostor keeps the id it claims: that is the attack.
  idline="id = \"${rule//_/-}\""
  [[ $rule == impostor ]] && idline=""
  printf '%s\n[[rule]]\npath = "%s"\n%s\n%b\n' "$base" "$wasm" "$idline" "$extra" > "$work/pack.toml"
  # Load errors are named by path; the others by the id given above.
  named=${rule//_/-}
  [[ -z $idline ]] && named=$rule.wasm
  IFS='|' read -r class stopped total peak found <<< "$(measure "$work/pack.toml" "$named")"
  echo "| $name | $class | $stopped | $total | $peak | $found |"
  if [[ $name != *unlimited* ]]; then
    all+=$'\n'"[[rule]]"$'\n'"path = \"$wasm\""$'\n'"$idline"$'\n'
  fi
done
printf '%s' "$all" > "$work/all.toml"
IFS='|' read -r _ _ total peak found <<< "$(measure "$work/all.toml" none)"
echo "| **every attack above in one pack** | | | $total | $peak | $found |"
