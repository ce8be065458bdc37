#!/usr/bin/env bash
# `make run`: the agent as root and the server as an unprivileged user, both in the
# foreground of this terminal; Ctrl-C stops both (containers keep running: their
# monitors outlive the agent, and the next start re-adopts them).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-$PWD/.data}
URL=${CONTAINERCONSOLE_URL:-http://127.0.0.1:5080}
SOCK=/run/containerconsole/agent.sock
SERVICE_USER=containerconsole

if [ "$(id -u)" -ne 0 ]; then
  echo "make run starts the agent, which needs root: run it as root (sudo make run)." >&2
  exit 1
fi
# The server never runs as root: a system user in a group that may use the agent socket.
if ! getent passwd "$SERVICE_USER" >/dev/null; then
  useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi
mkdir -p "$DATA/agent" "$DATA/server"
chown "$SERVICE_USER:$SERVICE_USER" "$DATA/server"
chmod 0755 "$DATA"

pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

bin/ccagent --data-root "$DATA/agent" --exec-root /run/containerconsole --group "$SERVICE_USER" &
pids+=($!)
for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "the agent did not start" >&2; exit 1; }

runuser -u "$SERVICE_USER" -- env CONTAINERCONSOLE_ADMIN_PASSWORD="${CONTAINERCONSOLE_ADMIN_PASSWORD:-}" \
  bin/ccserver --urls "$URL" --data-dir "$DATA/server" --agent "unix://$SOCK" &
pids+=($!)

cat <<MSG

  ContainerConsole is starting.
    web console + REST API:  $URL   (API reference: $URL/openapi/v1.json)
    sign in as:              admin, password from CONTAINERCONSOLE_ADMIN_PASSWORD if you set it,
                             otherwise the one the server prints once on first start
    docker CLI:              DOCKER_HOST=unix://$SOCK docker ps
  Ctrl-C stops agent and server.

MSG
wait -n "${pids[@]}"
