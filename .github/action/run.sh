#!/usr/bin/env bash
# Check and fix. Validates the inputs, then from the repository's root:
#   - the SARIF report and the annotations of the tree as checked out (capped at GitHub's limits);
#   - the Markdown report (`podsec fix --format markdown`): the job summary and the pull request body;
#   - mode pull-request: the fixes, written; the list of files podsec changed.
# Outputs: changed, fixed, remaining, violations, sarif-file, body-file, files, root.
set -euo pipefail
unset BASH_ENV ENV

out() { printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }
die() { printf '::error title=podsec::%s\n' "$1"; exit 1; }

podsec=${PODSEC:?the install step gave no podsec binary}
mode=${PODSEC_MODE:-pull-request}
level=${PODSEC_LEVEL:-}
pss=${PODSEC_PSS_VERSION:-}
unsafe=${PODSEC_UNSAFE_FIXES:-false}
uid=${PODSEC_RUN_AS_USER:-}
sarif=${PODSEC_SARIF:-true}
wd=${PODSEC_WORKING_DIRECTORY:-.}

case "$mode" in pull-request | check) ;; *) die "mode must be pull-request or check, not '$mode'" ;; esac
case "$level" in "" | baseline | restricted | privileged) ;; *) die "level must be baseline, restricted or privileged, not '$level'" ;; esac
[[ -z $pss || $pss =~ ^(latest|v1\.[0-9]+)$ ]] || die "pss-version must be latest or v1.N, not '$pss'"
case "$unsafe" in true | false) ;; *) die "unsafe-fixes must be true or false, not '$unsafe'" ;; esac
case "$sarif" in true | false) ;; *) die "sarif must be true or false, not '$sarif'" ;; esac
[[ -z $uid || $uid =~ ^[1-9][0-9]{0,9}$ ]] || die "run-as-user must be a UID (a positive integer), not '$uid'"
[ -d "$wd" ] || die "working-directory '$wd' is not a directory"

# The paths, relative to the repository's root: SARIF URIs and the commit need root-relative names.
cd "$wd"
root=$(git rev-parse --show-toplevel 2>/dev/null) || die "working-directory '$wd' is not inside a git repository"
prefix=$(git rev-parse --show-prefix)
paths=()
read -r -d '' -a given <<<"${PODSEC_PATHS:-.}" || true
[ "${#given[@]}" -gt 0 ] || given=(.)
for p in "${given[@]}"; do
  case "$p" in -*) die "a path may not start with '-': '$p'" ;; /*) die "paths are relative to working-directory: '$p'" ;; esac
  [ -e "$p" ] || die "path '$p' does not exist (in working-directory '$wd')"
  if [ -n "$prefix" ]; then
    if [ "$p" = . ]; then p=${prefix%/}; else p=$prefix$p; fi
  fi
  paths+=("$p")
done
cd "$root"

policy=()
[ -n "$level" ] && policy+=(--level "$level")
[ -n "$pss" ] && policy+=(--pss-version "$pss")
fixflags=("${policy[@]}")
[ "$unsafe" = true ] && fixflags+=(--unsafe-fixes)
[ -n "$uid" ] && fixflags+=(--run-as-user "$uid")

tmp=${RUNNER_TEMP:-/tmp}/podsec-action
mkdir -p "$tmp"
sarif_file=$tmp/podsec.sarif
body=$tmp/body.md

# 1. The tree as checked out: SARIF and annotations (exit 1 = violations; 2 = errors).
code=0
"$podsec" check "${policy[@]}" --format sarif -- "${paths[@]}" >"$sarif_file" 2>"$tmp/check.err" || code=$?
[ "$code" -le 2 ] || die "podsec check failed (exit $code): $(cat "$tmp/check.err")"
violations=$(jq '[.runs[].results[]] | length' "$sarif_file")
errors=0
[ "$code" -eq 2 ] && errors=1
cat "$tmp/check.err" >&2

# GitHub shows 10 annotations of each kind per step: the first 10, then a pointer to the rest.
severity=error
[ "$mode" = pull-request ] && severity=warning
"$podsec" check "${policy[@]}" --format github -- "${paths[@]}" >"$tmp/annotations" 2>/dev/null || true
total=$(grep -c '^::error ' "$tmp/annotations" || true)
grep '^::error ' "$tmp/annotations" | head -n 10 | sed "s/^::error /::$severity /" || true
if [ "$total" -gt 10 ]; then
  printf '::notice title=podsec::%s more violations are not annotated here: see the job summary and the code scanning report\n' "$((total - 10))"
fi

# 2. The report: what the fix changes, what it leaves (stderr's last line has the counts).
code=0
"$podsec" fix "${fixflags[@]}" --format markdown -- "${paths[@]}" >"$body" 2>"$tmp/fix.err" || code=$?
[ "$code" -le 2 ] || die "podsec fix failed (exit $code): $(cat "$tmp/fix.err")"
summary=$(grep -E '^podsec: (would fix|fixed) ' "$tmp/fix.err" | tail -n 1 || true)
fixed=$(sed -E -n 's/^podsec: (would fix|fixed) ([0-9]+) violation.*/\2/p' <<<"$summary")
# "; 4 remain (1 manual, 3 need --unsafe-fixes)": the count, with or without its breakdown.
remaining=$(sed -E -n 's/.*; ([0-9]+) remains?( \(.*\))?$/\1/p' <<<"$summary")
files_changed=$(sed -E -n 's/.*\(([0-9]+) files? changed\).*/\1/p' <<<"$summary")
cat "$body" >>"${GITHUB_STEP_SUMMARY:-/dev/null}"

# 3. Mode pull-request: write the fixes; the files podsec changes are those its diff names.
changed=false
: >"$tmp/files"
if [ "${files_changed:-0}" -gt 0 ]; then
  changed=true
  if [ "$mode" = pull-request ]; then
    "$podsec" fix "${fixflags[@]}" --diff -- "${paths[@]}" 2>/dev/null | sed -n 's|^+++ b/||p' >"$tmp/files" || true
    code=0
    "$podsec" fix "${fixflags[@]}" -- "${paths[@]}" 2>/dev/null || code=$?
    [ "$code" -le 1 ] || printf '::warning title=podsec::podsec fix reported errors (exit %s): see the log\n' "$code"
  fi
fi

out changed "$changed"
out fixed "${fixed:-0}"
out remaining "${remaining:-0}"
out violations "$((violations + errors))"
out body-file "$body"
out files "$tmp/files"
out root "$root"
out sarif-file "$sarif_file"
echo "podsec: mode $mode: changed=$changed fixed=${fixed:-0} remaining=${remaining:-0} violations=$violations"
