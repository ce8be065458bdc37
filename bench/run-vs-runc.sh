#!/usr/bin/env bash
# Side by side: `ccrun run` vs `runc run` of the same busybox bundle (same config.json,
# Docker-default confinement incl. seccomp), median of N runs each, printed as a ratio.
# Goal (issue 2): ccrun <= 0.3x runc.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-30}
BIN=${BIN:-$PWD/bin}
RUNC=${RUNC:-$(command -v runc || true)}
[ -n "$RUNC" ] || { echo "runc not found (apt-get install runc)"; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine not found (apt-get install hyperfine)"; exit 1; }
[ -x /bin/busybox ] || { echo "/bin/busybox not found (apt-get install busybox-static)"; exit 1; }

# State roots on tmpfs (/run), where both runtimes keep them by default.
WORK=$(mktemp -d /run/cc-bench.XXXXXX)
cleanup() {
  "$BIN/ccrun" --root "$WORK/ccrun-state" delete --force ccbench >/dev/null 2>&1 || true
  "$RUNC" --root "$WORK/runc-state" delete --force runcbench >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/bundle/rootfs/bin" "$WORK/bundle/rootfs/"{proc,sys,dev,etc,tmp}
cp /bin/busybox "$WORK/bundle/rootfs/bin/"
ln -s busybox "$WORK/bundle/rootfs/bin/true"
ln -s busybox "$WORK/bundle/rootfs/bin/sh"
(cd "$WORK/bundle" && "$BIN/ccrun" spec)
python3 - "$WORK/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/bin/true"]
c["linux"]["cgroupsPath"] = "/cc-bench/run"
json.dump(c, open(p, "w"), indent=1)
PY

echo "busybox /bin/true with all namespaces, default caps + seccomp, $RUNS runs each"
hyperfine --style basic --warmup 3 --runs "$RUNS" -N \
  --export-json "$WORK/result.json" \
  -n ccrun "$BIN/ccrun --root $WORK/ccrun-state run --bundle $WORK/bundle ccbench" \
  -n runc "$RUNC --root $WORK/runc-state run --bundle $WORK/bundle runcbench" >/dev/null

python3 - "$WORK/result.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
cc, rc = r["ccrun"]["median"] * 1000, r["runc"]["median"] * 1000
print(f"ccrun run: median {cc:6.2f} ms  (min {r['ccrun']['min']*1000:.2f})")
print(f"runc  run: median {rc:6.2f} ms  (min {r['runc']['min']*1000:.2f})")
print(f"ratio ccrun/runc: {cc/rc:.2f}x  (goal <= 0.30x)")
PY
rmdir /sys/fs/cgroup/*/cc-bench/run /sys/fs/cgroup/*/cc-bench 2>/dev/null || true
