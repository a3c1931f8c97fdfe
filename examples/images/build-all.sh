#!/usr/bin/env bash
# build-all.sh [--load] — builds every example image from local parts into
# docker-save archives under the cache dir; with --load, loads them into the
# running tscompose engine (or any Docker-API engine at $DOCKER_HOST).
#
#   sudo examples/images/build-all.sh            # archives only
#   sudo examples/images/build-all.sh --load     # ...and `docker load` them
#
# First run: a debootstrap and four package installs (a few minutes, needs
# the Debian mirror). Later runs reuse the cache and take seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
export TSCOMPOSE_EXAMPLES_CACHE=${TSCOMPOSE_EXAMPLES_CACHE:-/var/cache/tscompose-examples}
load=0
for a in "$@"; do
  case "$a" in
    --load) load=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-all.sh: unknown argument $a (try --help)" >&2; exit 2 ;;
  esac
done

mkdir -p "$TSCOMPOSE_EXAMPLES_CACHE"
exec 9>"$TSCOMPOSE_EXAMPLES_CACHE/.lock"
flock 9
export TSCOMPOSE_EXAMPLES_LOCKED=1

start=$(date +%s)
for r in mariadb node nginx redis; do
  "$here/build-rootfs.sh" "$r" >/dev/null
done
cd "$repo"
node --import tsx examples/images/make-image.ts --cache "$TSCOMPOSE_EXAMPLES_CACHE" all
echo "images ready in $(( $(date +%s) - start ))s under $TSCOMPOSE_EXAMPLES_CACHE/archives"

if [ "$load" = 1 ]; then
  host=${DOCKER_HOST:-unix:///run/tscompose/engine.sock}
  sock=${host#unix://}
  [ -S "$sock" ] || { echo "build-all.sh: no engine socket at $sock: start one (tscompose engine) or set DOCKER_HOST" >&2; exit 1; }
  for f in "$TSCOMPOSE_EXAMPLES_CACHE"/archives/*.tar; do
    echo "loading $(basename "$f")"
    curl -fsS --unix-socket "$sock" -X POST -H 'Content-Type: application/x-tar' \
      -T "$f" 'http://engine/v1.41/images/load?quiet=1' >/dev/null
  done
fi
