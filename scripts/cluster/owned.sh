# Sourced by start.sh and stop.sh, which delete state directories: only ones that start.sh made.
MARKER=.image-repository-operator-cluster
# owned DIR: DIR is missing, empty, carries the marker that start.sh writes, or (made before the marker
# existed) holds nothing but what start.sh creates.
owned() {
  [[ -d "$1" ]] || return 0
  [[ -e "$1/$MARKER" ]] && return 0
  local f
  for f in "$1"/* "$1"/.[!.]*; do
    [[ -e "$f" ]] || continue
    case "${f##*/}" in
      etcd | apiserver-certs | kubeconfig | env | tokens.csv | started-by | sa.pub | *.log | *.pid | *.crt | *.key | *.csr | *.ext | *.srl) ;;
      *) return 1 ;;
    esac
  done
}
