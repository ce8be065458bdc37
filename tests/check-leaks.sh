#!/usr/bin/env bash
# Run by `make test` after the suites: nothing the tests made may outlive them —
# no container processes or monitors, no mounts of test bundles or agents, no
# test cgroups with tasks. Empty parent cgroups the tests created are removed.
#
# `check-leaks.sh --baseline DIR` records the host's links, network namespaces and netfilter tables before the suites;
# `check-leaks.sh DIR` then also requires them to be as they were.
set -uo pipefail
fail=0

network_state() {
  ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort > "$1/links"
  ip netns list 2>/dev/null | awk '{print $1}' | sort > "$1/netns"
  nft list tables 2>/dev/null | sort > "$1/nft-tables"
}

if [ "${1:-}" = "--baseline" ]; then
  mkdir -p "$2" && network_state "$2"
  exit 0
fi
baseline="${1:-}"

leaked_mounts=$(grep -E '/(cc-bundle-|cc-agent-|cc-state-|cc-bench|cc-dockerd-)' /proc/self/mountinfo || true)
if [ -n "$leaked_mounts" ]; then
  echo "LEAK: mounts left by the tests:"; echo "$leaked_mounts"; fail=1
fi

for dir in /sys/fs/cgroup/*/containerconsole-test /sys/fs/cgroup/*/cc-bench /sys/fs/cgroup/*/cc-dockerd-test-*; do
  [ -d "$dir" ] || continue
  tasks=$(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null | wc -l)
  if [ "$tasks" -ne 0 ]; then
    echo "LEAK: $dir still has $tasks processes"; fail=1
  fi
  children=$(find "$dir" -mindepth 1 -type d | wc -l)
  if [ "$children" -ne 0 ]; then
    echo "LEAK: $dir still has $children container cgroups"; find "$dir" -mindepth 1 -type d; fail=1
  fi
  rmdir "$dir" 2>/dev/null || true
done

# Monitors or inits of test containers: their command lines name the test directories.
for p in /proc/[0-9]*; do
  cmd=$(tr '\0' ' ' 2>/dev/null < "$p/cmdline") || continue
  case "$cmd" in
    *ccshim*cc-agent-*|*ccinit*|*ccrun*cc-state-*) echo "LEAK: process ${p#/proc/}: $cmd"; fail=1 ;;
  esac
done

if [ -n "$baseline" ]; then
  now=$(mktemp -d)
  network_state "$now"
  for what in links netns nft-tables; do
    added=$(comm -13 "$baseline/$what" "$now/$what")
    if [ -n "$added" ]; then
      echo "LEAK: $what made by the tests and left behind:"; echo "$added"; fail=1
    fi
  done
  rm -rf "$now"
fi

if [ "$fail" -eq 0 ]; then
  echo "leak check: no mounts, cgroups, processes, links, network namespaces or netfilter tables left behind"
fi
exit $fail
