#!/usr/bin/env bash
# Starts a throwaway control plane on 127.0.0.1: etcd, kube-apiserver (CRDs from config/crd and config/crd/component
# installed and discovered), then kube-controller-manager (GC, namespace deletion, default ServiceAccounts, root CA).
# Usage: start.sh BIN_DIR STATE_DIR. Writes STATE_DIR/kubeconfig, STATE_DIR/env, one <component>.{pid,log} each.
# The state directory is wiped first: every start is a fresh cluster. A non-empty directory that start.sh did not
# make is refused. A start that fails or is interrupted stops whatever it had started.
set -euo pipefail
BIN="${1:?usage: start.sh BIN_DIR STATE_DIR}"
D="${2:?usage: start.sh BIN_DIR STATE_DIR}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CRD_DIR="${CRD_DIR:-$ROOT/config/crd}"
# Seconds; a 2-core CI machine needs more than envtest's 20 s for the apiserver.
START_TIMEOUT="${START_TIMEOUT:-90}"

log() { echo "cluster: $*" >&2; }
# The EXIT trap (set once the state dir is ours) stops what was started, unless KEEP_ON_FAIL is set.
fail() { log "$*"; exit 1; }
for tool in curl openssl python3 setsid; do
  command -v "$tool" >/dev/null || { log "'$tool' is required to start the control plane"; exit 1; }
done
for b in etcd kube-apiserver kube-controller-manager; do
  [[ -x "$BIN/$b" ]] || { log "missing binary $BIN/$b (run scripts/cluster/build.sh)"; exit 1; }
done

source "$ROOT/scripts/cluster/owned.sh"
owned "$D" || { log "refusing to wipe $D: it is not empty and has no $MARKER, so start.sh did not make it"; exit 1; }
"$ROOT/scripts/cluster/stop.sh" "$D" >/dev/null 2>&1 || true
rm -rf "$D"; mkdir -p "$D"; chmod 700 "$D"; : >"$D/$MARKER"
# From here on, any exit before the end (error, SIGINT, SIGTERM from the caller) stops what this run started.
completed=""
trap '[[ -n "$completed" || -n "${KEEP_ON_FAIL:-}" ]] || "$ROOT/scripts/cluster/stop.sh" "$D" >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
t0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# wait_for SECONDS CMD...: polls every 100 ms; gives up at once when CMD returns $DIED.
DIED=99
wait_for() {
  local deadline=$(( $(date +%s) + $1 )) rc; shift
  while :; do
    rc=0; "$@" >/dev/null 2>&1 || rc=$?
    (( rc != 0 )) || return 0
    (( rc != DIED )) || return "$DIED"
    (( $(date +%s) < deadline )) || return 1
    sleep 0.1
  done
}
# alive NAME: the NAME this run started still runs. Probes check it first: a component that died (say, its
# port was taken between freeport and bind) must fail the start, not let a probe answer from another cluster.
alive() {
  local pid; pid="$(cat "$D/$1.pid" 2>/dev/null)" || return 1
  [[ -n "$pid" && "$(readlink "/proc/$pid/exe" 2>/dev/null)" == */"$1" ]]
}
# ready_or_fail NAME PROBE: waits for PROBE, failing with the reason.
ready_or_fail() {
  local rc=0; wait_for "$START_TIMEOUT" "$2" || rc=$?
  (( rc == 0 )) && return 0
  if (( rc == DIED )); then
    local c
    for c in etcd kube-apiserver kube-controller-manager; do
      [[ -f "$D/$c.pid" ]] && ! alive "$c" && fail "$c exited during start-up; see $D/$c.log"
    done
  fi
  fail "$1 did not become ready within ${START_TIMEOUT}s; see $D/$1.log"
}
# start NAME CMD...: detached into its own session so it outlives this script and the caller's terminal.
# The child is bash, then setsid, before it execs the binary: start returns once the exec happened (or the child
# is gone), so alive() never takes a component still starting on a busy machine for one that died.
start() {
  local name=$1; shift
  setsid "$@" </dev/null >"$D/$name.log" 2>&1 &
  local pid=$! i
  echo "$pid" >"$D/$name.pid"
  for ((i = 0; i < 200; i++)); do
    [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == */"$name" ]] && return 0
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
}
ETCD_PORT=$(freeport); PEER_PORT=$(freeport); API_PORT=$(freeport); KCM_PORT=$(freeport)

# ---- throwaway PKI (RSA 2048, 7 days) -----------------------------------------------------------------
q() { "$@" >/dev/null 2>&1 || fail "openssl failed: $*"; }
q openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=imagerepository-operator-test-ca" -keyout "$D/ca.key" -out "$D/ca.crt"
q openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$D/apiserver.key" -out "$D/apiserver.csr"
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc" \
  "extendedKeyUsage=serverAuth" "keyUsage=critical,digitalSignature,keyEncipherment" "basicConstraints=CA:FALSE" >"$D/srv.ext"
q openssl x509 -req -in "$D/apiserver.csr" -CA "$D/ca.crt" -CAkey "$D/ca.key" -CAcreateserial -days 7 -extfile "$D/srv.ext" -out "$D/apiserver.crt"
q openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=admin" -keyout "$D/admin.key" -out "$D/admin.csr"
printf '%s\n' "extendedKeyUsage=clientAuth" "keyUsage=critical,digitalSignature,keyEncipherment" "basicConstraints=CA:FALSE" >"$D/cli.ext"
q openssl x509 -req -in "$D/admin.csr" -CA "$D/ca.crt" -CAkey "$D/ca.key" -CAcreateserial -days 7 -extfile "$D/cli.ext" -out "$D/admin.crt"
q openssl genrsa -out "$D/sa.key" 2048
q openssl rsa -in "$D/sa.key" -pubout -out "$D/sa.pub"
TOKEN="$(openssl rand -hex 24)"
printf '%s,admin,admin-uid,system:masters\n' "$TOKEN" >"$D/tokens.csv"
rm -f "$D"/*.csr "$D"/*.ext "$D"/*.srl
chmod 600 "$D"/*.key "$D/tokens.csv"

# ---- etcd ---------------------------------------------------------------------------------------------
start etcd "$BIN/etcd" --name=test --data-dir="$D/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$PEER_PORT" \
  --initial-cluster="test=http://127.0.0.1:$PEER_PORT" --initial-cluster-state=new \
  --unsafe-no-fsync=true --log-level=warn
etcd_ready() { alive etcd || return "$DIED"; curl -fsS "http://127.0.0.1:$ETCD_PORT/health"; }
ready_or_fail etcd etcd_ready
log "etcd healthy after $(ms) ms"

# ---- kube-apiserver -----------------------------------------------------------------------------------
start kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --secure-port="$API_PORT" \
  --advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
  --cert-dir="$D/apiserver-certs" \
  --tls-cert-file="$D/apiserver.crt" --tls-private-key-file="$D/apiserver.key" \
  --client-ca-file="$D/ca.crt" --token-auth-file="$D/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-issuer="https://127.0.0.1:$API_PORT/" \
  --service-account-key-file="$D/sa.pub" --service-account-signing-key-file="$D/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --disable-admission-plugins=ServiceAccount \
  --allow-privileged=true --profiling=false --v=1 \
  --watch-cache-sizes=configmaps#0
# ConfigMaps (unused by the operator) bypass the watch cache, so tests can make a watch expire (410) by
# compacting etcd; the watch cache would otherwise serve old resourceVersions from its initial state.
api() { curl -fsS --cacert "$D/ca.crt" -H "Authorization: Bearer $TOKEN" "$@"; }
API="https://127.0.0.1:$API_PORT"
# etcd too: a probe can answer before an etcd that lost its port race has exited.
api_ready() {
  alive etcd && alive kube-apiserver || return "$DIED"
  api "$API/readyz" && api "$API/api/v1/namespaces/default"
}
ready_or_fail kube-apiserver api_ready
log "kube-apiserver ready after $(ms) ms"

# ---- kubeconfig (token user; the client-cert user as an alternative) ----------------------------------
cat >"$D/kubeconfig" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: imagerepository-operator-test
  cluster:
    server: $API
    certificate-authority-data: $(base64 -w0 "$D/ca.crt")
users:
- name: admin
  user:
    token: $TOKEN
- name: admin-cert
  user:
    client-certificate-data: $(base64 -w0 "$D/admin.crt")
    client-key-data: $(base64 -w0 "$D/admin.key")
contexts:
- name: imagerepository-operator-test
  context:
    cluster: imagerepository-operator-test
    user: admin
current-context: imagerepository-operator-test
KCFG
chmod 600 "$D/kubeconfig"

# ---- CRDs, before KCM: its garbage collector only learns new kinds at its 30 s discovery resync --------
shopt -s nullglob
# Ours, and the Component CRD the legacy flow reads (its own folder: Konflux clusters bring theirs).
for f in "$CRD_DIR"/*.yaml "$CRD_DIR"/component/*.yaml; do
  # Only CRD manifests: the folders also hold kustomizations for `kubectl apply -k`.
  grep -q '^kind: CustomResourceDefinition' "$f" || continue
  api -X POST -H "Content-Type: application/yaml" --data-binary "@$f" \
    "$API/apis/apiextensions.k8s.io/v1/customresourcedefinitions" >/dev/null || fail "could not install CRD $f"
  # metadata.name is <plural>.<group>; wait for Established, then for the plural in discovery.
  name="$(sed -n 's/^  name: *//p' "$f" | head -1)"
  plural="${name%%.*}"; group="${name#*.}"
  version="$(sed -n 's/^    - name: *//p' "$f" | head -1)"
  established() {
    api "$API/apis/apiextensions.k8s.io/v1/customresourcedefinitions/$name" | python3 -c '
import json, sys
conds = json.load(sys.stdin).get("status", {}).get("conditions", [])
sys.exit(0 if any(c["type"] == "Established" and c["status"] == "True" for c in conds) else 1)'
  }
  discovered() {
    api "$API/apis/$group/$version" | python3 -c '
import json, sys
sys.exit(0 if any(r["name"] == sys.argv[1] for r in json.load(sys.stdin).get("resources", [])) else 1)' "$plural"
  }
  wait_for 30 established || fail "CRD $name did not become Established"
  wait_for 30 discovered || fail "CRD $name did not appear in discovery at /apis/$group/$version"
done
log "CRDs installed after $(ms) ms"

# ---- kube-controller-manager --------------------------------------------------------------------------
start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$D/kubeconfig" \
  --controllers=garbagecollector,namespace,serviceaccount,serviceaccount-token,root-ca-cert-publisher \
  --service-account-private-key-file="$D/sa.key" --root-ca-file="$D/ca.crt" \
  --leader-elect=false --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --v=1
# Ready once the serviceaccount controller has made default/default.
kcm_ready() {
  alive etcd && alive kube-apiserver && alive kube-controller-manager || return "$DIED"
  api "$API/api/v1/namespaces/default/serviceaccounts/default"
}
ready_or_fail kube-controller-manager kcm_ready
log "kube-controller-manager ready after $(ms) ms"

cat >"$D/env" <<ENV
API_SERVER=$API
ETCD_PORT=$ETCD_PORT
API_PORT=$API_PORT
KCM_PORT=$KCM_PORT
STARTUP_MS=$(ms)
ENV
completed=1
echo "$D/kubeconfig"
