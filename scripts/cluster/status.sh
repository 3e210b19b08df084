#!/usr/bin/env bash
# Exit 0 and print the kubeconfig path when the control plane in STATE_DIR runs and answers /readyz; else exit 1
# with the reason on stderr. Usage: status.sh STATE_DIR
set -uo pipefail
D="${1:?usage: status.sh STATE_DIR}"
[[ -f "$D/kubeconfig" && -f "$D/env" ]] || { echo "not running (no state in $D)" >&2; exit 1; }
for c in etcd kube-apiserver kube-controller-manager; do
  pid="$(cat "$D/$c.pid" 2>/dev/null)"
  [[ -n "$pid" && "$(readlink "/proc/$pid/exe" 2>/dev/null)" == */"$c" ]] || { echo "$c is not running" >&2; exit 1; }
done
API_SERVER="$(sed -n 's/^API_SERVER=//p' "$D/env")"
TOKEN="$(cut -d, -f1 "$D/tokens.csv")"
curl -fsS --max-time 5 --cacert "$D/ca.crt" -H "Authorization: Bearer $TOKEN" "$API_SERVER/readyz" >/dev/null 2>&1 \
  || { echo "kube-apiserver at $API_SERVER is not ready" >&2; exit 1; }
echo "$D/kubeconfig"
