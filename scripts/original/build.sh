#!/usr/bin/env bash
# Builds the original Go image-controller's manager (konflux-ci/image-controller, `go build ./cmd/main.go`) from a
# checkout given by --src <dir> or ORIGINAL_IMAGE_CONTROLLER_SRC into a cache outside the repository, keyed by the
# checkout's commit (or a hash of its sources), and gathers the CRDs it needs: its own config/crd/bases plus the
# Application and Component CRDs of github.com/konflux-ci/application-api (from the Go module proxy, at the version
# its go.mod requires). A ready binary can be given instead by --bin <file> or ORIGINAL_IMAGE_CONTROLLER_BIN (the
# CRDs then still come from the checkout when one is given). Prints the cache directory: manager, crds/.
# The source is never copied into this repository; the module proxy does not serve it (see its DEVELOPERS.md).
set -euo pipefail
SRC="${ORIGINAL_IMAGE_CONTROLLER_SRC:-}"
BIN="${ORIGINAL_IMAGE_CONTROLLER_BIN:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --src) SRC="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    *) echo "original build: unknown argument $1 (use --src <checkout> or --bin <manager>)" >&2; exit 2 ;;
  esac
done
log() { echo "original build: $*" >&2; }
[[ -n "$SRC" || -n "$BIN" ]] || { log "give --src <checkout> or ORIGINAL_IMAGE_CONTROLLER_SRC, or --bin <manager> or ORIGINAL_IMAGE_CONTROLLER_BIN"; exit 2; }
[[ -z "$SRC" || -f "$SRC/go.mod" ]] || { log "$SRC is not a checkout of konflux-ci/image-controller (no go.mod)"; exit 1; }
CACHE_ROOT="${CLUSTER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/imagerepository-operator}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0
command -v go >/dev/null || [[ ! -x /usr/local/go/bin/go ]] || export PATH="$PATH:/usr/local/go/bin"

# key: the checkout's commit when it is a git checkout with no local changes, else a hash of its Go sources and
# manifests (an unpacked archive has no commit); a given binary is keyed by its own hash.
key() {
  if [[ -n "$SRC" ]] && git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1 && [[ -z "$(git -C "$SRC" status --porcelain 2>/dev/null)" ]]; then
    git -C "$SRC" rev-parse --short=12 HEAD
  elif [[ -n "$SRC" ]]; then
    (cd "$SRC" && find . -path ./.git -prune -o -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name '*.yaml' \) -print | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
  else
    sha256sum "$BIN" | cut -c1-12
  fi
}
# A binary this script built, given alone, already sits beside its CRDs: that folder is the answer.
if [[ -n "$BIN" && -z "$SRC" ]] && ls "$(dirname "$BIN")/crds/"*.yaml >/dev/null 2>&1; then
  [[ -x "$BIN" ]] || { log "$BIN is not an executable"; exit 1; }
  cd "$(dirname "$BIN")" && pwd && exit 0
fi
OUT="$CACHE_ROOT/original-$(key)"
mkdir -p "$OUT/crds"
work="$(mktemp -d)"
trap 'rm -rf "$work"; rm -f "$OUT"/*.tmp.$$' EXIT

if [[ -n "$BIN" ]]; then
  [[ -x "$BIN" ]] || { log "$BIN is not an executable"; exit 1; }
  [[ -x "$OUT/manager" ]] || { cp "$BIN" "$OUT/manager.tmp.$$"; mv "$OUT/manager.tmp.$$" "$OUT/manager"; }
elif [[ ! -x "$OUT/manager" ]]; then
  command -v go >/dev/null || { log "the Go toolchain (go) is required to build the original controller"; exit 1; }
  log "building $SRC/cmd/main.go (first time only; a few minutes)"
  if ! (cd "$SRC" && go build -trimpath -ldflags="-s -w" -o "$OUT/manager.tmp.$$" ./cmd/main.go) >"$work/build.log" 2>&1; then
    log "go build failed:"; sed 's/^/  /' "$work/build.log" >&2; exit 1
  fi
  mv "$OUT/manager.tmp.$$" "$OUT/manager"
fi

if [[ -n "$SRC" ]] && ! ls "$OUT/crds/"*application* >/dev/null 2>&1; then
  cp "$SRC"/config/crd/bases/*.yaml "$OUT/crds/"
  version="$(awk '$1 == "github.com/konflux-ci/application-api" {print $2; exit}' "$SRC/go.mod")"
  [[ -n "$version" ]] || { log "$SRC/go.mod does not require github.com/konflux-ci/application-api"; exit 1; }
  info="$(cd "$work" && go mod download -json "github.com/konflux-ci/application-api@$version" 2>&1)" || true
  dir="$(sed -n 's/.*"Dir": *"\([^"]*\)".*/\1/p' <<<"$info")"
  [[ -d "$dir/config/crd/bases" ]] || { log "could not download github.com/konflux-ci/application-api@$version:"; echo "$info" >&2; exit 1; }
  for kind in applications components; do
    cp "$dir/config/crd/bases/appstudio.redhat.com_$kind.yaml" "$OUT/crds/"
  done
fi
ls "$OUT/crds/"*.yaml >/dev/null 2>&1 || {
  log "no CRDs for the original beside $OUT/manager: give --src <checkout> too (its config/crd/bases and go.mod)"
  rm -rf "$OUT"; exit 1
}
echo "$OUT"
