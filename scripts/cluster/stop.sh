#!/usr/bin/env bash
# Stops the control plane started by start.sh (by the pids it recorded) and deletes its state, keeping the logs.
# Refuses a directory that start.sh did not make. Usage: stop.sh STATE_DIR
set -uo pipefail
D="${1:?usage: stop.sh STATE_DIR}"
[[ -d "$D" ]] || exit 0
source "$(dirname "${BASH_SOURCE[0]}")/owned.sh"
owned "$D" || { echo "refusing to delete $D: it is not empty and has no $MARKER, so start.sh did not make it" >&2; exit 1; }
# ours PID NAME: PID is this state dir's NAME, not a reused pid nor another cluster's component built from
# the same cached binaries (every component names a path inside the state dir on its command line).
ours() {
  [[ -n "$1" && "$(readlink "/proc/$1/exe" 2>/dev/null)" == */"$2" ]] \
    && tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "=$D/"
}
for c in kube-controller-manager kube-apiserver etcd; do
  [[ -f "$D/$c.pid" ]] || continue
  pid="$(cat "$D/$c.pid")"
  if ours "$pid" "$c"; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$D/$c.pid"
done
# Keep the logs for post-mortems, and the marker so the next start may wipe them; the data, keys and
# kubeconfig go.
find "$D" -mindepth 1 -maxdepth 1 ! -name '*.log' ! -name "$MARKER" -exec rm -rf {} +
