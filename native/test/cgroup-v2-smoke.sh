#!/bin/sh
# cgroup v2 smoke test for tscrun, for a pure-v2 host (e.g. Ubuntu 24.04) with
# gcc and make, no node, no busybox, no runc needed. Run as root from anywhere:
#
#     sh native/test/cgroup-v2-smoke.sh          # prints PASS/FAIL lines, exit 0 if all pass
#
# What it checks, through the real binaries:
#   1. the cgroup driver alone (native/test/cgroup-check.c): create with limits,
#      place, freeze/thaw, kill, OOM count, destroy;
#   2. `tscrun run` of a bundle with linux.resources: the container sees
#      memory.max, memory.swap.max, cpu.max, cpu.weight, pids.max in its own
#      cgroup (cgroup namespace + cgroup2 mount); the host sees the cgroup
#      under /sys/fs/cgroup/<cgroupsPath>; pause/resume freeze it; delete
#      removes it; an OOM kill exits 137 and is counted;
#   3. `tscrun monitor` with tscrun as the runtime records oomKilled.
# Everything it creates is under a mktemp dir and /sys/fs/cgroup/tsct-v2smoke-*;
# all of it is removed at exit.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
NATIVE=$(dirname "$HERE")
TSCRUN="$NATIVE/build/tscrun"
CG=/sys/fs/cgroup
TMP=$(mktemp -d /tmp/tsct-v2smoke.XXXXXX)
TOP="/tsct-v2smoke-$$"
ROOT="$TMP/state"
FAILS=0
PASSES=0

pass() { PASSES=$((PASSES + 1)); echo "PASS $*"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL $*"; }
check() { # check NAME GOT WANT
  if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: got '$2', want '$3'"; fi
}

cleanup() {
  for id in c1 c2 c3 c4; do
    "$TSCRUN" --root "$ROOT" delete --force "$id" >/dev/null 2>&1
  done
  [ -f "$TMP/mon.pid" ] && kill -9 "$(cat "$TMP/mon.pid")" 2>/dev/null
  for d in "$CG$TOP" "$CG"/*"$TOP"; do # (the second: v1 hierarchies when run anyway)
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] || { echo "run as root"; exit 2; }
if [ "$(stat -f -c %T $CG)" != cgroup2fs ] && [ -z "${V2SMOKE_ANYWAY:-}" ]; then
  echo "$CG is not cgroup2 (this is for pure cgroup v2 hosts); found $(stat -f -c %T $CG)"
  exit 2
fi
echo "kernel $(uname -r), controllers at the root: $(cat $CG/cgroup.controllers)"

# ---------- build ----------
if ! make -s -C "$NATIVE" build/tscrun >"$TMP/make.log" 2>&1; then
  echo "FAIL make -C native:"; cat "$TMP/make.log"; exit 1
fi
pass "make -C native"
cc -std=gnu11 -Wall -Wextra -Werror -O2 -D_GNU_SOURCE -I"$NATIVE/src" -o "$TMP/cgroup-check" \
  "$HERE/cgroup-check.c" "$NATIVE/src/cgroup.c" "$NATIVE/src/cgroup-v1.c" "$NATIVE/src/cgroup-v2.c" "$NATIVE/src/cgroup-v2-devices.c" \
  "$NATIVE/src/json.c" "$NATIVE/src/error.c" || { echo "FAIL build cgroup-check"; exit 1; }

mkdir -p "$TMP/rootfs/proc" "$TMP/rootfs/sys" "$TMP/rootfs/dev" "$TMP/rootfs/tmp"
cat >"$TMP/cgprobe.c" <<'EOF'
/* static probe: show the cgroup files the container sees, or misbehave */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static void show(const char *f) {
  char p[256], b[256] = "";
  snprintf(p, sizeof p, "/sys/fs/cgroup/%s", f);
  FILE *fp = fopen(p, "r");
  if (fp) { if (!fgets(b, sizeof b, fp)) b[0] = 0; fclose(fp); } else snprintf(b, sizeof b, "<%s>", strerror(errno));
  b[strcspn(b, "\n")] = 0;
  printf("%s=%s\n", f, b);
}
int main(int argc, char **argv) {
  if (argc > 2 && !strcmp(argv[1], "memhog")) {
    long mb = atol(argv[2]);
    for (long i = 0; i < mb; i++) { char *m = malloc(1 << 20); if (!m) return 12; memset(m, 1, 1 << 20); }
    return 0;
  }
  if (argc > 2 && !strcmp(argv[1], "sleep")) { sleep((unsigned)atoi(argv[2])); return 0; }
  if (argc > 2 && !strcmp(argv[1], "forkbomb")) {
    int n = atoi(argv[2]), ok = 0, err = 0;
    for (int i = 0; i < n; i++) { pid_t p = fork(); if (p == 0) { sleep(2); _exit(0); } if (p > 0) ok++; else err = errno; }
    printf("forked=%d errno=%s\n", ok, err ? strerror(err) : "none");
    while (wait(NULL) > 0) ;
    return 0;
  }
  const char *files[] = {"memory.max", "memory.swap.max", "memory.low", "cpu.max", "cpu.weight", "pids.max", "cpuset.cpus", NULL};
  for (int i = 0; files[i]; i++) show(files[i]);
  FILE *fp = fopen("/proc/self/cgroup", "r");
  char b[512];
  while (fp && fgets(b, sizeof b, fp)) printf("proc-self-cgroup=%s", b);
  return 0;
}
EOF
cc -static -O2 -o "$TMP/rootfs/cgprobe" "$TMP/cgprobe.c" || { echo "FAIL static probe build (glibc static libs? apt-get install libc6-dev)"; exit 1; }

bundle() { # bundle DIR CGPATH RESOURCES_JSON ARGS_JSON
  mkdir -p "$1"
  cat >"$1/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": $4, "env": ["PATH=/"], "cwd": "/",
    "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]},
    "noNewPrivileges": true},
  "root": {"path": "$TMP/rootfs", "readonly": true},
  "hostname": "v2smoke",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
  ],
  "linux": {
    "cgroupsPath": "$2",
    "resources": $3,
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}]
  }
}
EOF
}

# ---------- 1. the driver alone ----------
echo '{"linux":{"cgroupsPath":"'"$TOP"'/drv","resources":{"memory":{"limit":33554432,"swap":33554432},"cpu":{"shares":1024,"quota":20000,"period":100000},"pids":{"limit":10}}}}' >"$TMP/drv.json"
if S=$("$TMP/cgroup-check" setup drv "$TMP/drv.json" 2>"$TMP/err"); then
  check "driver: saved form" "$S" "v2:$TOP/drv"
  check "driver: memory.max" "$(cat $CG$TOP/drv/memory.max)" 33554432
  [ -f $CG$TOP/drv/memory.swap.max ] && check "driver: memory.swap.max" "$(cat $CG$TOP/drv/memory.swap.max)" 0
  check "driver: cpu.max" "$(cat $CG$TOP/drv/cpu.max)" "20000 100000"
  check "driver: cpu.weight (shares 1024)" "$(cat $CG$TOP/drv/cpu.weight)" 39
  check "driver: pids.max" "$(cat $CG$TOP/drv/pids.max)" 10
  "$TMP/cgroup-check" run "$S" /bin/sleep 30 &
  SP=$!
  sleep 0.3
  check "driver: pids" "$("$TMP/cgroup-check" pids "$S")" "$SP"
  "$TMP/cgroup-check" freeze "$S" 1 && check "driver: frozen" "$("$TMP/cgroup-check" frozen "$S")" true
  check "driver: cgroup.events frozen" "$(grep frozen $CG$TOP/drv/cgroup.events)" "frozen 1"
  "$TMP/cgroup-check" freeze "$S" 0 && check "driver: thawed" "$("$TMP/cgroup-check" frozen "$S")" false
  "$TMP/cgroup-check" run "$S" "$TMP/rootfs/cgprobe" memhog 256
  check "driver: memhog exit (OOM-killed)" "$?" 137
  check "driver: oom count" "$("$TMP/cgroup-check" oom "$S" | cut -d' ' -f2)" true
  "$TMP/cgroup-check" destroy "$S" 2>>"$TMP/err"
  wait $SP 2>/dev/null
  check "driver: sleep killed by destroy" "$?" 137
  check "driver: cgroup removed" "$([ -d $CG$TOP/drv ] && echo present || echo gone)" gone
else
  fail "driver setup: $(cat "$TMP/err")"
fi

# device rules: an eBPF program on v2 (cgroup-v2-devices.c)
if [ -e /dev/loop-control ] && [ -e /dev/loop0 ]; then
  echo '{"linux":{"cgroupsPath":"'"$TOP"'/dev","resources":{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":10,"minor":237,"access":"r"}]}}}' >"$TMP/dev.json"
  if S=$("$TMP/cgroup-check" setup dev "$TMP/dev.json" 2>"$TMP/err"); then
    OUT=$("$TMP/cgroup-check" run "$S" /bin/sh -c '( : < /dev/loop-control ) 2>/dev/null && echo lc-r-ok || echo lc-r-denied; ( : > /dev/loop-control ) 2>/dev/null && echo lc-w-ok || echo lc-w-denied; ( : < /dev/loop0 ) 2>/dev/null && echo loop0-ok || echo loop0-denied; echo x > /dev/null && echo null-ok' | tr '\n' ' ')
    check "driver: device rules (eBPF)" "$OUT" "lc-r-ok lc-w-denied loop0-denied null-ok "
    "$TMP/cgroup-check" destroy "$S"
  else
    fail "driver: device rules: $(cat "$TMP/err")"
  fi
fi

# ---------- 2. tscrun run / create / pause / delete ----------
RES='{"memory":{"limit":67108864,"swap":67108864,"reservation":33554432},"cpu":{"shares":512,"quota":50000,"period":100000},"pids":{"limit":42}}'
bundle "$TMP/b1" "$TOP/c1" "$RES" '["/cgprobe"]'
if OUT=$("$TSCRUN" --root "$ROOT" run --bundle "$TMP/b1" c1 2>"$TMP/err"); then
  pass "tscrun run"
  get() { echo "$OUT" | grep "^$1=" | head -1 | cut -d= -f2-; }
  check "container: memory.max" "$(get memory.max)" 67108864
  check "container: memory.swap.max" "$(get memory.swap.max)" 0
  check "container: memory.low" "$(get memory.low)" 33554432
  check "container: cpu.max" "$(get cpu.max)" "50000 100000"
  check "container: cpu.weight" "$(get cpu.weight)" 20
  check "container: pids.max" "$(get pids.max)" 42
  check "container: /proc/self/cgroup (cgroupns root)" "$(get proc-self-cgroup)" "0::/"
else
  fail "tscrun run: $(cat "$TMP/err")"
fi
check "run removed the cgroup" "$([ -d $CG$TOP/c1 ] && echo present || echo gone)" gone

bundle "$TMP/b2" "$TOP/c2" "$RES" '["/cgprobe","sleep","30"]'
if "$TSCRUN" --root "$ROOT" create --bundle "$TMP/b2" c2 2>"$TMP/err" && "$TSCRUN" --root "$ROOT" start c2 2>>"$TMP/err"; then
  check "host: memory.max" "$(cat $CG$TOP/c2/memory.max 2>&1)" 67108864
  check "host: pids.max" "$(cat $CG$TOP/c2/pids.max 2>&1)" 42
  "$TSCRUN" --root "$ROOT" pause c2 2>>"$TMP/err"
  check "pause: cgroup.freeze" "$(cat $CG$TOP/c2/cgroup.freeze 2>&1)" 1
  check "pause: state" "$("$TSCRUN" --root "$ROOT" state c2 | grep -o '"status": *"[a-z]*"' | tr -d ' ')" '"status":"paused"'
  "$TSCRUN" --root "$ROOT" resume c2 2>>"$TMP/err"
  check "resume: cgroup.freeze" "$(cat $CG$TOP/c2/cgroup.freeze 2>&1)" 0
  "$TSCRUN" --root "$ROOT" kill c2 KILL 2>>"$TMP/err"
  sleep 0.5
  "$TSCRUN" --root "$ROOT" delete c2 2>>"$TMP/err" && pass "delete"
  check "delete removed the cgroup" "$([ -d $CG$TOP/c2 ] && echo present || echo gone)" gone
else
  fail "tscrun create/start: $(cat "$TMP/err")"
fi

bundle "$TMP/b3" "$TOP/c3" '{"memory":{"limit":33554432,"swap":33554432}}' '["/cgprobe","memhog","256"]'
"$TSCRUN" --root "$ROOT" run --bundle "$TMP/b3" c3 >/dev/null 2>"$TMP/err"
check "OOM: run exit code" "$?" 137

bundle "$TMP/b4" "$TOP/c4" '{"pids":{"limit":5}}' '["/cgprobe","forkbomb","20"]'
OUT=$("$TSCRUN" --root "$ROOT" run --bundle "$TMP/b4" c4 2>"$TMP/err")
case "$OUT" in
  *"errno=Resource temporarily unavailable"*) pass "pids limit stops the fork bomb ($OUT)" ;;
  *) fail "pids limit: $OUT $(cat "$TMP/err")" ;;
esac

# ---------- 3. the monitor records the OOM kill ----------
rm -rf "$TMP/b3"
bundle "$TMP/b3" "$TOP/c3" '{"memory":{"limit":33554432,"swap":33554432}}' '["/cgprobe","memhog","256"]'
if R=$("$TSCRUN" monitor --id c3 --bundle "$TMP/b3" --runtime "$TSCRUN" --runtime-root "$ROOT" \
  --log-path "$TMP/c3.log" --exit-file "$TMP/c3.exit" 2>"$TMP/err"); then
  echo "$R" | sed 's/.*"monitorPid":\([0-9]*\).*/\1/' >"$TMP/mon.pid"
  "$TSCRUN" --root "$ROOT" start c3 2>>"$TMP/err"
  i=0
  while [ ! -f "$TMP/c3.exit" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  check "monitor exit file" "$(sed 's/"finishedAt":"[^"]*",//' "$TMP/c3.exit" 2>&1)" '{"exitCode":137,"signal":"SIGKILL","oomKilled":true}'
  echo "monitor RSS (KiB) while it ran: see the tests on the dev machine"
  "$TSCRUN" --root "$ROOT" delete c3 2>>"$TMP/err"
else
  fail "monitor: $(cat "$TMP/err")"
fi

echo "---- $PASSES passed, $FAILS failed"
[ "$FAILS" = 0 ]
