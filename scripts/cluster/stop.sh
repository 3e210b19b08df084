#!/usr/bin/env bash
# Stops the control plane started by start.sh (by the pids it recorded) and deletes its state, keeping the logs.
# Usage: stop.sh STATE_DIR
set -uo pipefail
D="${1:?usage: stop.sh STATE_DIR}"
[[ -d "$D" ]] || exit 0
for c in kube-controller-manager kube-apiserver etcd; do
  [[ -f "$D/$c.pid" ]] || continue
  pid="$(cat "$D/$c.pid")"
  # Only signal the pid if it is still the process we started (pids get reused).
  if [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == */"$c" ]]; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$D/$c.pid"
done
# Keep the logs for post-mortems; the data, keys and kubeconfig go.
find "$D" -mindepth 1 -maxdepth 1 ! -name '*.log' -exec rm -rf {} +
