#!/usr/bin/env bash
# Installs a built tree (make build) under /usr/local and the systemd units.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
[ -x bin/ccrun ] || { echo "run make build first" >&2; exit 1; }
getent passwd containerconsole >/dev/null || useradd --system --user-group --no-create-home --shell /usr/sbin/nologin containerconsole
install -d "$PREFIX/lib/containerconsole"
cp -a out/agent "$PREFIX/lib/containerconsole/"
cp -a out/server "$PREFIX/lib/containerconsole/"
install -m 0755 bin/ccrun bin/ccinit bin/ccshim "$PREFIX/bin/"
ln -sfn "$PREFIX/lib/containerconsole/agent/ccagent" "$PREFIX/bin/ccagent"
ln -sfn "$PREFIX/lib/containerconsole/server/ccserver" "$PREFIX/bin/ccserver"
install -m 0644 deploy/ccagent.service deploy/ccserver.service /etc/systemd/system/
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  echo "installed; start with: systemctl enable --now ccagent ccserver"
else
  echo "installed; systemd is not running here: start bin/ccagent and bin/ccserver yourself"
fi
