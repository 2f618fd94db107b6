#!/usr/bin/env bash
# Install podsec for the action: an existing binary (PODSEC_PATH), a release (PODSEC_VERSION, its
# SHA-256 checksum verified), or a build of the action's own source with cargo. Writes `podsec=PATH`
# to $GITHUB_OUTPUT.
set -euo pipefail
# A hostile environment must not run code in this shell's children.
unset BASH_ENV ENV

out() { printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }
die() { printf '::error title=podsec install::%s\n' "$1"; exit 1; }

action_path=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
version=${PODSEC_VERSION:-}
given=${PODSEC_PATH:-}

if [ -n "$given" ]; then
  [ -x "$given" ] || die "podsec-path: $given is not an executable file"
  out podsec "$given"
  "$given" --version
  exit 0
fi

if [ -n "$version" ]; then
  version=${version#v}
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "version must be X.Y.Z (a podsec release), not '$version'"
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) target=x86_64-unknown-linux-musl ;;
    Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-musl ;;
    Darwin-x86_64) target=x86_64-apple-darwin ;;
    Darwin-arm64) target=aarch64-apple-darwin ;;
    *) die "no podsec release for $(uname -s) $(uname -m): leave version empty to build it with cargo" ;;
  esac
  repo=${PODSEC_ACTION_REPOSITORY:-}
  [ -n "$repo" ] || die "cannot tell which repository the action comes from: set podsec-path, or leave version empty"
  server=${PODSEC_RELEASE_SERVER:-${GITHUB_SERVER_URL:-https://github.com}}
  asset="podsec-v$version-$target.tar.gz"
  url="$server/$repo/releases/download/v$version/$asset"
  dir=${RUNNER_TEMP:-/tmp}/podsec-$version
  mkdir -p "$dir"
  cd "$dir"
  curl --fail --silent --show-error --location --retry 3 --proto '=https,file' -o "$asset" "$url"
  curl --fail --silent --show-error --location --retry 3 --proto '=https,file' -o "$asset.sha256" "$url.sha256"
  # The checksum file names the asset: `HASH  podsec-vX.Y.Z-TARGET.tar.gz`.
  read -r want name <"$asset.sha256" || die "empty checksum file for $asset"
  [ "$name" = "$asset" ] || [ "$name" = "*$asset" ] || die "the checksum file names '$name', not $asset"
  if command -v sha256sum >/dev/null; then sum=(sha256sum --check --strict --quiet -); else sum=(shasum -a 256 --check --quiet -); fi
  printf '%s  %s\n' "$want" "$asset" | "${sum[@]}" ||
    die "the SHA-256 checksum of $asset does not match its .sha256: not installed"
  tar -xzf "$asset" podsec
  out podsec "$dir/podsec"
  "$dir/podsec" --version
  exit 0
fi

command -v cargo >/dev/null || die "no version given and cargo is not installed: set version (a release) or install Rust"
echo "::group::Building podsec from $action_path with cargo"
target_dir=${CARGO_TARGET_DIR:-${RUNNER_TEMP:-/tmp}/podsec-target}
cargo build --release --locked --quiet --manifest-path "$action_path/Cargo.toml" --target-dir "$target_dir" --bin podsec
echo "::endgroup::"
out podsec "$target_dir/release/podsec"
"$target_dir/release/podsec" --version
