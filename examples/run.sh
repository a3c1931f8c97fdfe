#!/usr/bin/env bash
# examples/run.sh NAME [up flags...] — one command from a fresh machine to a
# running example: starts the engine if none runs, builds the example images
# from Debian packages (cached: minutes the first time, seconds later) and
# loads them, then `tscompose up` in the foreground (Ctrl-C stops it; add -d
# to detach). Run as root.
#
#   sudo examples/run.sh guestbook            # then open http://localhost:8080
#   sudo examples/run.sh queue -d --wait
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${1:-}
[ -n "$name" ] && [ -f "$here/$name/compose.yaml" ] || {
  echo "usage: examples/run.sh guestbook|proxy|queue [up flags...]" >&2; exit 2; }
shift
tscompose="$here/../bin/tscompose.js"
[ -f "$here/../dist/compose/cli/main.js" ] || { echo "examples/run.sh: run 'npm install' first" >&2; exit 1; }
if ! command -v debootstrap >/dev/null || ! command -v curl >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap curl
fi
"$tscompose" engine start
DOCKER_HOST=unix:///run/tscompose/engine.sock "$here/images/build-all.sh" --load
exec "$tscompose" -f "$here/$name/compose.yaml" up "$@"
