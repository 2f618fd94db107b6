#!/usr/bin/env bash
# Mode pull-request: commit exactly the files podsec changed onto PODSEC_BRANCH (a commit whose
# parent is HEAD, made without touching the work tree or the index), force-push it to `origin`, then
# open a pull request through the REST API at $GITHUB_API_URL, or update the open one in place (title,
# body, labels). When nothing is left to fix, an open pull request for the branch is closed.
# Outputs: pull-request-url, pull-request-number, pull-request-operation (created|updated|closed|none).
set -euo pipefail
unset BASH_ENV ENV

out() { printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }
die() { printf '::error title=podsec pull request::%s\n' "$1"; exit 1; }

token=${PODSEC_TOKEN:-}
branch=${PODSEC_BRANCH:-podsec/fix}
title=${PODSEC_TITLE:-podsec: fix Pod Security Standards violations}
api=${GITHUB_API_URL:-https://api.github.com}
repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}
root=${PODSEC_ROOT:?the run step gave no repository root}
body_file=${PODSEC_BODY:?the run step gave no report}

[ -n "$token" ] || die "token is empty: pass a token with contents and pull-requests write permission"
git check-ref-format --branch "$branch" >/dev/null 2>&1 || die "branch '$branch' is not a valid branch name"
base=${PODSEC_BASE:-}
if [ -z "$base" ]; then
  case "${GITHUB_REF:-}" in
    refs/heads/*) base=${GITHUB_REF#refs/heads/} ;;
    *) base=${GITHUB_BASE_REF:-} ;;
  esac
fi
[ -n "$base" ] || die "cannot tell the base branch from GITHUB_REF '${GITHUB_REF:-}': set the base input"
git check-ref-format --branch "$base" >/dev/null 2>&1 || die "base '$base' is not a valid branch name"
[ "$base" != "$branch" ] || die "branch and base are both '$base'"
[[ $repo =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || die "GITHUB_REPOSITORY '$repo' is not owner/name"
owner=${repo%%/*}

echo "::add-mask::$token"
curl_api() {
  # curl_api METHOD PATH [JSON]: the response body on stdout; fails on an HTTP error.
  local args=(--silent --show-error --fail-with-body --retry 2 -X "$1"
    -H "Accept: application/vnd.github+json" -H "X-GitHub-Api-Version: 2022-11-28")
  [ $# -ge 3 ] && args+=(-H "Content-Type: application/json" --data-binary "$3")
  curl "${args[@]}" -K - "$api$2" <<<"header = \"Authorization: Bearer $token\""
}

# The open pull request of this branch, if any.
existing=$(curl_api GET "/repos/$repo/pulls?state=open&head=$owner:$branch&base=$base&per_page=1")
number=$(jq -r '.[0].number // empty' <<<"$existing")
url=$(jq -r '.[0].html_url // empty' <<<"$existing")

cd "$root"
files=()
if [ "${PODSEC_CHANGED:-false}" = true ] && [ -s "${PODSEC_FILES:-/dev/null}" ]; then
  mapfile -t files <"$PODSEC_FILES"
fi

if [ "${#files[@]}" -eq 0 ]; then
  if [ -n "$number" ]; then
    comment=$(jq -n '{body: "podsec: nothing is left to fix on the base branch; closing this pull request."}')
    curl_api POST "/repos/$repo/issues/$number/comments" "$comment" >/dev/null
    curl_api PATCH "/repos/$repo/pulls/$number" '{"state":"closed"}' >/dev/null
    echo "podsec: nothing to fix: closed pull request #$number"
    out pull-request-operation closed
  else
    echo "podsec: nothing to fix: no pull request"
    out pull-request-operation none
  fi
  out pull-request-url ""
  out pull-request-number ""
  exit 0
fi

# The commit: HEAD's tree plus exactly the changed files, through a temporary index.
index=$(mktemp)
trap 'rm -f "$index"' EXIT
GIT_INDEX_FILE=$index git read-tree HEAD
GIT_INDEX_FILE=$index git update-index --add -- "${files[@]}"
tree=$(GIT_INDEX_FILE=$index git write-tree)
message=$(printf '%s\n\nMinimal edits by podsec fix (%s file(s)): see the pull request for each change.\n' "$title" "${#files[@]}")
export GIT_AUTHOR_NAME="github-actions[bot]" GIT_AUTHOR_EMAIL="41898282+github-actions[bot]@users.noreply.github.com"
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
head=$(git rev-parse HEAD)

# Push over HTTPS with the token, unless checkout left credentials of its own.
auth=()
if ! git config --get-regexp '^http\..*extraheader$' >/dev/null 2>&1; then
  basic=$(printf 'x-access-token:%s' "$token" | base64 | tr -d '\n')
  echo "::add-mask::$basic"
  auth=(-c "http.extraheader=AUTHORIZATION: basic $basic")
fi

# The branch is left alone when it already holds this very change on this very parent.
same=false
if git "${auth[@]}" fetch --quiet --no-tags --depth=1 origin "+refs/heads/$branch:refs/podsec/remote" 2>/dev/null; then
  if [ "$(git rev-parse 'refs/podsec/remote^{tree}')" = "$tree" ] &&
    [ "$(git cat-file commit refs/podsec/remote | sed -n '/^$/q; s/^parent //p')" = "$head" ]; then
    same=true
  fi
  git update-ref -d refs/podsec/remote
fi
if [ "$same" = false ]; then
  commit=$(git commit-tree "$tree" -p "$head" -m "$message")
  git "${auth[@]}" push --quiet --force origin "$commit:refs/heads/$branch"
  echo "podsec: pushed $commit to $branch (${#files[@]} file(s))"
else
  echo "podsec: $branch already holds these fixes"
fi

body=$(head -c 60000 "$body_file")
if [ -n "$number" ]; then
  payload=$(jq -n --arg title "$title" --arg body "$body" '{title: $title, body: $body}')
  curl_api PATCH "/repos/$repo/pulls/$number" "$payload" >/dev/null
  operation=updated
else
  payload=$(jq -n --arg title "$title" --arg body "$body" --arg head "$branch" --arg base "$base" \
    '{title: $title, body: $body, head: $head, base: $base, maintainer_can_modify: true}')
  created=$(curl_api POST "/repos/$repo/pulls" "$payload")
  number=$(jq -r '.number' <<<"$created")
  url=$(jq -r '.html_url' <<<"$created")
  operation=created
fi
labels=$(jq -R -s -c 'split("[,\n]"; "") | map(gsub("^\\s+|\\s+$"; "")) | map(select(length > 0))' <<<"${PODSEC_LABELS:-}")
if [ "$labels" != "[]" ]; then
  curl_api POST "/repos/$repo/issues/$number/labels" "$(jq -n --argjson l "$labels" '{labels: $l}')" >/dev/null
fi
echo "podsec: pull request #$number $operation: $url"
out pull-request-operation "$operation"
out pull-request-url "$url"
out pull-request-number "$number"
