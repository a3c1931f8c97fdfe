#!/usr/bin/env bash
# build-rootfs.sh NAME — a small Debian bookworm root filesystem for one of the
# example images, made from Debian's packages only (Docker Hub is not needed).
#
#   NAME: mariadb | node | nginx | redis
#
# The result is a directory $CACHE/rootfs/NAME (printed on stdout). A minbase
# debootstrap is made once and copied for each NAME; downloaded .debs are kept
# in $CACHE/debs, so a rerun with an unchanged package list does nothing and a
# changed one is quick. Runs as root (debootstrap and chroot need it).
#
# Environment:
#   TSCOMPOSE_EXAMPLES_CACHE  cache dir (default /var/cache/tscompose-examples)
#   DEBIAN_MIRROR             (default http://deb.debian.org/debian)
#   DEBIAN_SECURITY_MIRROR    (default http://deb.debian.org/debian-security)
set -euo pipefail

name=${1:-}
case "$name" in
  mariadb) pkgs=(mariadb-server) ;;
  node)    pkgs=(nodejs node-mysql) ;;
  nginx)   pkgs=(nginx-light) ;;
  redis)   pkgs=(redis-server) ;;
  *) echo "usage: $0 mariadb|node|nginx|redis" >&2; exit 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
  echo "build-rootfs.sh: debootstrap and chroot need root; run it with sudo" >&2
  exit 1
fi
command -v debootstrap >/dev/null || {
  echo "build-rootfs.sh: debootstrap is missing; run scripts/install-deps.sh (apt-get install debootstrap)" >&2
  exit 1
}

cache=${TSCOMPOSE_EXAMPLES_CACHE:-/var/cache/tscompose-examples}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
suite=bookworm
# Bump when this script changes what ends up in a rootfs, so caches rebuild.
recipe_version=1
mkdir -p "$cache/rootfs" "$cache/debs"
# One build at a time per cache (two test runs may start together);
# build-all.sh takes the lock once for all its steps.
if [ "${TSCOMPOSE_EXAMPLES_LOCKED:-}" != 1 ]; then
  exec 9>"$cache/.lock"
  flock 9
fi

log() { echo "build-rootfs[$name]: $*" >&2; }

# Mounts made inside a chroot under construction; always undone.
mounted=()
cleanup() {
  local i
  for ((i=${#mounted[@]}-1; i>=0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  mounted=()
}
trap cleanup EXIT

chroot_mounts() {
  local root=$1
  mount -t proc proc "$root/proc"; mounted+=("$root/proc")
  mkdir -p "$root/var/cache/apt/archives"
  mount --bind "$cache/debs" "$root/var/cache/apt/archives"; mounted+=("$root/var/cache/apt/archives")
}

strip_rootfs() {
  local root=$1
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
         "$root"/usr/share/lintian "$root"/usr/share/linda \
         "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
         "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old \
         "$root"/tmp/* "$root"/var/tmp/* "$root"/root/.bash_history
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} + 2>/dev/null || true
  find "$root/var/log" -type f -exec truncate -s 0 {} + 2>/dev/null || true
  rm -f "$root/usr/sbin/policy-rc.d"
}

# ---- base: one minbase debootstrap, shared by every NAME -------------------
base="$cache/rootfs/.base"
base_key="suite=$suite mirror=$mirror recipe=$recipe_version"
if [ ! -f "$base/.tscompose-ok" ] || [ "$(cat "$base/.tscompose-ok")" != "$base_key" ]; then
  log "debootstrap --variant=minbase $suite from $mirror (first run: a few minutes)"
  rm -rf "$base.tmp" "$base"
  mkdir -p "$base.tmp/etc/dpkg/dpkg.cfg.d"
  debootstrap --variant=minbase --cache-dir="$cache/debs" "$suite" "$base.tmp" "$mirror" >&2 || {
    echo "build-rootfs.sh: debootstrap of $suite from $mirror failed (is the Debian mirror reachable? set DEBIAN_MIRROR)" >&2
    exit 1
  }
  # Keep docs, man pages and translations out of every package installed later.
  cat > "$base.tmp/etc/dpkg/dpkg.cfg.d/01-tscompose-small" <<'CFG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
CFG
  cat > "$base.tmp/etc/apt/sources.list" <<SRC
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SRC
  cat > "$base.tmp/etc/apt/apt.conf.d/01-tscompose" <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
CFG
  strip_rootfs "$base.tmp"
  echo "$base_key" > "$base.tmp/.tscompose-ok"
  mv "$base.tmp" "$base"
fi

# ---- NAME: base + its packages ---------------------------------------------
out="$cache/rootfs/$name"
# The script's own hash is in the key: a changed recipe rebuilds NAME (seconds,
# the .debs are cached) but not the debootstrap base.
key="$base_key pkgs=${pkgs[*]} script=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
if [ -f "$out/.tscompose-ok" ] && [ "$(cat "$out/.tscompose-ok")" = "$key" ]; then
  log "cached: $out"
  echo "$out"
  exit 0
fi

log "installing ${pkgs[*]}"
rm -rf "$out.tmp" "$out"
cp -a "$base" "$out.tmp"
rm -f "$out.tmp/.tscompose-ok"
# Package scripts must not start services on this host.
printf '#!/bin/sh\nexit 101\n' > "$out.tmp/usr/sbin/policy-rc.d"
chmod 0755 "$out.tmp/usr/sbin/policy-rc.d"
chroot_mounts "$out.tmp"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
chroot "$out.tmp" apt-get update -qq >&2 || {
  echo "build-rootfs.sh: apt-get update inside the $name rootfs failed (is $mirror reachable?)" >&2
  exit 1
}
chroot "$out.tmp" apt-get install -y -qq "${pkgs[@]}" >&2
# No apt-get clean: the archives dir is the shared .deb cache, bind-mounted.
cleanup
case "$name" in
  # The package's postinst initialized a datadir with socket-only root; the
  # image's entrypoint initializes an empty one from MARIADB_* instead.
  mariadb) rm -rf "$out.tmp"/var/lib/mysql/* ;;
  # Like the official image: only conf.d/*.conf, which compose files mount.
  nginx) rm -f "$out.tmp"/etc/nginx/sites-enabled/default ;;
esac
strip_rootfs "$out.tmp"
echo "$key" > "$out.tmp/.tscompose-ok"
mv "$out.tmp" "$out"
log "done: $out ($(du -sh --exclude=.tscompose-ok "$out" | cut -f1))"
echo "$out"
