#!/usr/bin/env bash
# Exit 0 and print the kubeconfig path when the control plane in STATE_DIR runs and answers /readyz. Else, with
# the reason on stderr: exit 1 when it is not running (no state, or a component is gone), exit 3 when all its
# components run but /readyz does not answer yet (busy or still starting: waiting may help, a restart is wrong).
# Usage: status.sh STATE_DIR
set -uo pipefail
D="${1:?usage: status.sh STATE_DIR}"
# ours PID NAME: PID is this state dir's NAME, not a reused pid nor another cluster's component built from
# the same cached binaries (every component names a path inside the state dir on its command line).
ours() {
  [[ -n "$1" && "$(readlink "/proc/$1/exe" 2>/dev/null)" == */"$2" ]] \
    && tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "=$D/"
}
[[ -f "$D/kubeconfig" && -f "$D/env" ]] || { echo "not running (no state in $D)" >&2; exit 1; }
for c in etcd kube-apiserver kube-controller-manager; do
  ours "$(cat "$D/$c.pid" 2>/dev/null)" "$c" || { echo "$c is not running" >&2; exit 1; }
done
API_SERVER="$(sed -n 's/^API_SERVER=//p' "$D/env")"
TOKEN="$(cut -d, -f1 "$D/tokens.csv")"
curl -fsS --max-time 5 --cacert "$D/ca.crt" -H "Authorization: Bearer $TOKEN" "$API_SERVER/readyz" >/dev/null 2>&1 \
  || { echo "kube-apiserver at $API_SERVER is running but not ready" >&2; exit 3; }
echo "$D/kubeconfig"
