#!/usr/bin/env bash
# Side by side, driven by the same docker CLI: `docker load` of one docker-save archive, then `docker pull` of the
# same image from a local registry (Debian's docker-registry on loopback), into Debian's dockerd (overlay2) and into
# ccagent. The image is removed before every run, so each run stores and unpacks every layer.
# Prints medians, throughput (archive MiB/s) and the ratios ccagent/dockerd (lower is better) with their inverse,
# ccagent's throughput as a multiple of dockerd's.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
BIN=${BIN:-$PWD/bin}
command -v hyperfine >/dev/null || { echo "hyperfine not found (apt-get install hyperfine)"; exit 1; }
command -v dockerd >/dev/null || { echo "dockerd not found (apt-get install docker.io)"; exit 1; }
command -v docker-registry >/dev/null || { echo "docker-registry not found (apt-get install docker-registry)"; exit 1; }
[ -x /bin/busybox ] || { echo "/bin/busybox not found (apt-get install busybox-static)"; exit 1; }

WORK=$(mktemp -d /var/tmp/cc-bench-load.XXXXXX)
BRIDGE=ccbl$$ # the agent's own bridge and nft table, apart from any other agent on the host
DOCKERD_PID=""; AGENT_PID=""; REGISTRY_PID=""
cleanup() {
  [ -n "$REGISTRY_PID" ] && kill "$REGISTRY_PID" 2>/dev/null && wait "$REGISTRY_PID" 2>/dev/null || true
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null || true
  [ -n "$DOCKERD_PID" ] && kill "$DOCKERD_PID" 2>/dev/null && wait "$DOCKERD_PID" 2>/dev/null || true
  rmdir /sys/fs/cgroup/*/cc-bench-dockerd 2>/dev/null || true
  ip link del "$BRIDGE" 2>/dev/null || true
  nft delete table ip "containerconsole_$BRIDGE" 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$WORK" 2>/dev/null || { sleep 2; rm -rf "$WORK"; }
}
trap cleanup EXIT

# The image: five layers of real files (many small, some large), as an application image has, about 100 MB.
/usr/bin/python3 - "$WORK" <<'PY'
import hashlib, io, json, os, sys, tarfile
work = sys.argv[1]
def layer(name, sources, skip=()):
    path = os.path.join(work, name)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        for src, arc in sources:
            if os.path.exists(src):
                t.add(src, arcname=arc, filter=lambda i: None if any(s in i.name for s in skip) else i)
    return path
layers = [
    layer("l1.tar", [("/bin/busybox", "bin/busybox"), ("/usr/share/zoneinfo", "usr/share/zoneinfo"), ("/usr/share/i18n", "usr/share/i18n")]),
    layer("l2.tar", [("/usr/share/perl", "usr/share/perl")]),
    layer("l3.tar", [("/usr/lib/python3.11", "usr/lib/python3.11")], skip=("config-3.11", "__pycache__")),
    layer("l4.tar", [("/usr/lib/x86_64-linux-gnu/libz3.so.4", "usr/lib/libz3.so.4"), ("/usr/share/mime", "usr/share/mime")]),
    layer("l5.tar", [("/usr/lib/x86_64-linux-gnu/libx265.so.199", "usr/lib/libx265.so.199"), ("/usr/share/vim/vim90/doc", "usr/share/vim/doc")]),
]
diff_ids = []
for p in layers:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    diff_ids.append("sha256:" + h.hexdigest())
config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2026-11-29T00:00:00Z",
                     "config": {"Cmd": ["/bin/busybox", "true"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids},
                     "history": [{"created": "2026-11-29T00:00:00Z", "created_by": f"layer {i}"} for i in range(len(layers))]}).encode()
chex = hashlib.sha256(config).hexdigest()
with tarfile.open(os.path.join(work, "image.tar"), "w", format=tarfile.PAX_FORMAT) as t:
    def add(name, data):
        info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
    add(f"{chex}.json", config)
    names = []
    for p, d in zip(layers, diff_ids):
        n = f"{d[7:]}/layer.tar"; names.append(n); t.add(p, arcname=n)
    add("manifest.json", json.dumps([{"Config": f"{chex}.json", "RepoTags": ["bench/load:1"], "Layers": names}]).encode())
for p in layers:
    os.remove(p)
PY
SIZE=$(stat -c %s "$WORK/image.tar")

echo '{}' > "$WORK/daemon.json"
dockerd --config-file "$WORK/daemon.json" --data-root "$WORK/docker" --exec-root "$WORK/docker-run" \
  --pidfile "$WORK/docker.pid" -H "unix://$WORK/docker.sock" --bridge=none --iptables=false --ip6tables=false \
  --ip-forward=false --ip-masq=false --storage-driver=overlay2 --cgroup-parent /cc-bench-dockerd >"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
"$BIN/ccagent" --data-root "$WORK/cc" --exec-root "$WORK/cc-run" --bridge "$BRIDGE" >"$WORK/ccagent.log" 2>&1 &
AGENT_PID=$!
for i in $(seq 100); do
  docker -H "unix://$WORK/docker.sock" version >/dev/null 2>&1 && docker -H "unix://$WORK/cc-run/agent.sock" version >/dev/null 2>&1 && break
  sleep 0.3
done

# Runs are noisy on ext4 without a journal: a file created within a minute of the prepare step's rmi scans past every
# inode that rmi freed in its block group (ext4's recently_deleted), for both engines alike.
echo "docker load of a $((SIZE / 1048576)) MiB docker-save archive (5 layers, $(tar -xOf "$WORK/image.tar" --wildcards '*/layer.tar' | tar -ti | wc -l) entries), $RUNS runs each"
hyperfine ${HYPERFINE_STYLE:---style basic} --runs "$RUNS" ${HYPERFINE_OPTS:-} --export-json "$WORK/result.json" \
  -n dockerd --prepare "docker -H unix://$WORK/docker.sock rmi -f bench/load:1 >/dev/null 2>&1 || true" \
  "docker -H unix://$WORK/docker.sock load -q -i $WORK/image.tar" \
  -n ccagent --prepare "docker -H unix://$WORK/cc-run/agent.sock rmi -f bench/load:1 >/dev/null 2>&1 || true" \
  "docker -H unix://$WORK/cc-run/agent.sock load -q -i $WORK/image.tar" >/dev/null

# The same image in a registry on loopback (both engines treat 127.0.0.0/8 as insecure: plain http).
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/registry.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $WORK/registry}}
http: {addr: 127.0.0.1:$PORT}
YML
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
REGISTRY_PID=$!
sleep 1
CC="docker -H unix://$WORK/cc-run/agent.sock"
DK="docker -H unix://$WORK/docker.sock"
REF=127.0.0.1:$PORT/bench/load:1
$CC load -q -i "$WORK/image.tar" >/dev/null
$CC tag bench/load:1 "$REF"
$CC push "$REF" >/dev/null
$CC rmi -f "$REF" bench/load:1 >/dev/null

echo "docker pull of the same image from the local registry, $RUNS runs each"
hyperfine ${HYPERFINE_STYLE:---style basic} --runs "$RUNS" ${HYPERFINE_OPTS:-} --export-json "$WORK/pull.json" \
  -n dockerd --prepare "$DK rmi -f $REF bench/load:1 >/dev/null 2>&1 || true" "$DK pull -q $REF" \
  -n ccagent --prepare "$CC rmi -f $REF bench/load:1 >/dev/null 2>&1 || true" "$CC pull -q $REF" >/dev/null

/usr/bin/python3 - "$WORK/result.json" "$WORK/pull.json" "$SIZE" <<'PY'
import json, sys
mib = int(sys.argv[3]) / 1048576
for what, path in (("load", sys.argv[1]), ("pull", sys.argv[2])):
    r = {x["command"]: x for x in json.load(open(path))["results"]}
    for n in ("dockerd", "ccagent"):
        m = r[n]["median"]
        print(f"{n:8} {what}: median {m*1000:7.0f} ms  {mib/m:6.1f} MiB/s  (min {r[n]['min']*1000:.0f} ms)")
    ratio = r['ccagent']['median'] / r['dockerd']['median']
    print(f"{what} ratio ccagent/dockerd: {ratio:.2f}x  (lower is better; ccagent's MiB/s = {1 / ratio:.2f}x dockerd's)")
PY
