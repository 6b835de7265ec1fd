#!/usr/bin/env bash
# Runs augur as a CI gate, speaking the CI system's language. Used by the
# GitHub Action (action.yml) and the GitLab CI template
# (ci/augur.gitlab-ci.yml); it can run anywhere with the same variables.
#
#   AUGUR            the augur binary (default: augur on PATH)
#   AUGUR_PACK       --pack (default: the repository's augur.toml, else built-in)
#   AUGUR_JOBS       job logs or folders, separated by spaces
#   AUGUR_SNAPSHOTS  snapshot files or folders, separated by spaces
#   AUGUR_FAIL_ON    --fail-on severity (default: high; empty: never fail on findings)
#   AUGUR_BASELINE   --baseline file (optional)
#   AUGUR_SARIF      where to write SARIF (GitHub; default: augur.sarif)
#   AUGUR_ARGS       more arguments for `augur run`, separated by spaces
#
# On GitHub Actions (GITHUB_ACTIONS=true): annotations on standard output,
# the job summary in $GITHUB_STEP_SUMMARY, SARIF for upload-sarif, and the
# SARIF path in the step's `sarif` output. On GitLab CI (GITLAB_CI=true): the
# text report on standard output, gl-code-quality-report.json and
# augur-junit.xml for `artifacts: reports`. Elsewhere: the text report.
# The exit status is augur's: 1 when a finding is at or above AUGUR_FAIL_ON.
set -uo pipefail

augur="${AUGUR:-augur}"
args=(run)
[[ -n "${AUGUR_PACK:-}" ]] && args+=(--pack "$AUGUR_PACK")
for p in ${AUGUR_JOBS:-}; do args+=(--jobs "$p"); done
for p in ${AUGUR_SNAPSHOTS:-}; do args+=(--snapshots "$p"); done
fail_on="${AUGUR_FAIL_ON-high}"
[[ -n "$fail_on" ]] && args+=(--fail-on "$fail_on")
[[ -n "${AUGUR_BASELINE:-}" ]] && args+=(--baseline "$AUGUR_BASELINE")

if [[ "${GITHUB_ACTIONS:-}" == "true" ]]; then
    sarif="${AUGUR_SARIF:-augur.sarif}"
    args+=(--write "sarif=$sarif" --write github=-)
    if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
        echo "sarif=$sarif" >> "$GITHUB_OUTPUT"
    fi
elif [[ "${GITLAB_CI:-}" == "true" ]]; then
    args+=(--format text --write gitlab=gl-code-quality-report.json --write junit=augur-junit.xml)
fi
# shellcheck disable=SC2206 # AUGUR_ARGS is split on spaces on purpose
extra=(${AUGUR_ARGS:-})
exec "$augur" "${args[@]}" "${extra[@]}"
