#!/usr/bin/env bash
# Builds CNCF distribution's `registry` and go-containerregistry's `crane` from the Go module proxy with the
# machine's Go toolchain into a cache outside the repository, keyed by version (as scripts/cluster/build.sh does
# for the control plane). Prints the binary directory. Rebuilds only what is missing; a failed build says why.
set -euo pipefail
DISTRIBUTION_VERSION="${DISTRIBUTION_VERSION:-3.1.2}"
CRANE_VERSION="${CRANE_VERSION:-0.22.1}"
CACHE_ROOT="${CLUSTER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/imagerepository-operator}"
OUT="$CACHE_ROOT/registry-$DISTRIBUTION_VERSION-crane-$CRANE_VERSION"
export GOTOOLCHAIN=local CGO_ENABLED=0

have() { [[ -x "$OUT/$1" ]]; }
if have registry && have crane; then echo "$OUT"; exit 0; fi
command -v go >/dev/null || { echo "registry build: the Go toolchain (go) is required to build the registry and crane" >&2; exit 1; }
mkdir -p "$OUT"
work="$(mktemp -d)"
# Temporary outputs carry this build's pid: concurrent builds must not write into each other's file.
trap 'rm -rf "$work"; rm -f "$OUT"/*.tmp.$$' EXIT
log() { echo "registry build: $*" >&2; }

# build <binary> <module> <version> <package>: one module per throw-away main module, so their requirements never mix.
build() {
  local bin="$1" module="$2" version="$3" package="$4"
  have "$bin" && return 0
  log "building $bin from $module@v$version (first time only)"
  mkdir -p "$work/$bin"
  cd "$work/$bin"
  go mod init "example.invalid/$bin-test-bin" >/dev/null 2>&1
  if ! go get -tool "$package@v$version" >"$work/$bin.log" 2>&1; then
    log "could not fetch $package@v$version from the Go module proxy:"
    sed 's/^/  /' "$work/$bin.log" >&2
    exit 1
  fi
  if ! go build -trimpath -ldflags="-s -w" -o "$OUT/$bin.tmp.$$" "$package" >"$work/$bin.log" 2>&1; then
    log "go build of $package@v$version failed:"
    sed 's/^/  /' "$work/$bin.log" >&2
    exit 1
  fi
  mv "$OUT/$bin.tmp.$$" "$OUT/$bin"
}

build registry github.com/distribution/distribution/v3 "$DISTRIBUTION_VERSION" github.com/distribution/distribution/v3/cmd/registry
build crane github.com/google/go-containerregistry "$CRANE_VERSION" github.com/google/go-containerregistry/cmd/crane
echo "$OUT"
