#!/usr/bin/env bash
# System packages the project's tests and examples need, from Debian.
# Run as root; idempotent. Used by .ci/run and by `npm run setup`.
set -euo pipefail
pkgs=(
  build-essential   # cc + make for native/
  busybox-static    # test images
  runc crun         # differential tests and benchmarks of tscrun
  iproute2          # test assertions about links (the engine itself uses netlink)
  nftables          # outbound NAT and isolation between networks (runtime/networks/firewall.ts)
  docker-compose    # docker-compose 1.29, a real client, run against our engine (and the peer of `config`)
  docker.io         # the real docker CLI, pointed at our engine's socket; dockerd + containerd only as private reference engines (test/integration/reference/)
  docker-registry   # real registry on 127.0.0.1 for pull tests
  skopeo umoci      # peers for pull/unpack benchmarks
  apache2-utils     # htpasswd: bcrypt users for the test registry's basic auth
  zstd              # zstd-compressed image layers (node 20's zlib has no zstd)
  openssl           # the TLS registry test makes its CA and server certificate
  debootstrap       # example images (examples/images/build-rootfs.sh)
  curl              # examples/images/build-all.sh --load (POST /images/load to the engine socket)
)
# Peers that only the benchmarks compare against (`scripts/install-deps.sh --bench`).
if [ "${1:-}" = "--bench" ]; then
  pkgs+=(
    time              # GNU time: wall time and peak RSS of whole commands
    podman podman-compose  # bench/compose.ts: podman-compose on podman, beside docker-compose on dockerd
  )
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
# The Debian registry package starts a service on :5000 where systemd runs; tests
# start their own on a port of their own, so that one is left alone.
