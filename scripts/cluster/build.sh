#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager from the Go module proxy into a cache
# outside the repository, keyed by version. Prints the binary directory. Rebuilds only what is missing.
set -euo pipefail
K8S_VERSION="${K8S_VERSION:-1.35.4}"
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
CACHE_ROOT="${CLUSTER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/imagerepository-operator}"
OUT="$CACHE_ROOT/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"
export GOTOOLCHAIN=local CGO_ENABLED=0
# Go's own caches also live outside the repository; keep the defaults unless the caller set them.

have() { [[ -x "$OUT/$1" ]]; }
if have kube-apiserver && have kube-controller-manager && have etcd; then echo "$OUT"; exit 0; fi
command -v go >/dev/null || { echo "cluster build: the Go toolchain (go) is required to build the control plane" >&2; exit 1; }
mkdir -p "$OUT"
work="$(mktemp -d)"
# Temporary outputs carry this build's pid: concurrent builds must not write into each other's file.
trap 'rm -rf "$work"; rm -f "$OUT"/*.tmp.$$' EXIT
log() { echo "cluster build: $*" >&2; }

if ! have kube-apiserver || ! have kube-controller-manager; then
  log "building kube-apiserver and kube-controller-manager v$K8S_VERSION (first time only; several minutes)"
  minor="${K8S_VERSION#1.}"; minor="${minor%%.*}"
  staging="v0.${K8S_VERSION#1.}"
  mkdir "$work/k8s" "$work/dl"
  # k8s.io/kubernetes requires each staging module at v0.0.0; the wrapper replaces every one of them.
  info="$(cd "$work/dl" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" 2>&1)" || true
  gomod="$(sed -n 's/.*"GoMod": *"\([^"]*\)".*/\1/p' <<<"$info")"
  if [[ ! -f "$gomod" ]]; then
    log "could not download k8s.io/kubernetes@v$K8S_VERSION from the Go module proxy:"
    sed -n 's/.*"Error": *"\(.*\)".*/  \1/p' <<<"$info" >&2
    exit 1
  fi
  cd "$work/k8s"
  go mod init example.invalid/k8s-test-bins >/dev/null 2>&1
  dbg="$(sed -n 's/^godebug default=\(go[0-9.]*\)$/\1/p' "$gomod")"
  [[ -n "$dbg" ]] && go mod edit -godebug="default=$dbg"
  for m in $(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$gomod"); do
    go mod edit -replace="$m=$m@$staging"
  done
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$K8S_VERSION" "k8s.io/kubernetes/cmd/kube-controller-manager@v$K8S_VERSION" >&2
  ld="-s -w"
  bd="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$bd"
  done
  for c in kube-apiserver kube-controller-manager; do
    go build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="$ld" -o "$OUT/$c.tmp.$$" "k8s.io/kubernetes/cmd/$c" >&2
    mv "$OUT/$c.tmp.$$" "$OUT/$c"
  done
fi

if ! have etcd; then
  log "building etcd v$ETCD_VERSION"
  mkdir -p "$work/etcd"; cd "$work/etcd"
  go mod init example.invalid/etcd-test-bin >/dev/null 2>&1
  go get -tool "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >&2
  go build -trimpath -ldflags="-s -w" -o "$OUT/etcd.tmp.$$" go.etcd.io/etcd/server/v3 >&2
  mv "$OUT/etcd.tmp.$$" "$OUT/etcd"
fi
echo "$OUT"
