#!/usr/bin/env bash
# smoke.sh — checks the example images without the engine: builds them if
# needed (build-all.sh), loads each archive through the engine's image store,
# and runs each image's main process under runc on 127.0.0.1 ports of its
# own (MariaDB init + restart, guestbook over HTTP, nginx proxying with
# examples/proxy's config, Redis, the queue's producer and worker).
# Everything it creates is removed at the end. Needs root and runc.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/../.."
exec npx vitest run --project integration test/integration/examples/images.test.ts "$@"
