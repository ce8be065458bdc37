# ContainerConsole: `make run` starts the agent (root) and the server; `make test` runs every test.
SHELL := /bin/bash
CC ?= gcc
DOTNET ?= dotnet
CFLAGS_NATIVE := -O2 -Wall -Wextra -Werror -static
NATIVE_DIR := src/Agent/Native
OUT := out
DATA ?= $(CURDIR)/.data

.PHONY: build native ccrun agent server test test-deps run-deps bench bench-deps bench-micro bench-load run clean

build: native ccrun agent server

# The clone->exec window and the per-container monitor are static C (ARCHITECTURE.md, rule 1 and 2).
native: bin/ccinit bin/ccshim

bin/ccinit: $(NATIVE_DIR)/ccinit.c $(NATIVE_DIR)/plan.c $(NATIVE_DIR)/plan.h
	@mkdir -p bin
	$(CC) $(CFLAGS_NATIVE) -o $@ $(NATIVE_DIR)/ccinit.c $(NATIVE_DIR)/plan.c

bin/ccshim: $(NATIVE_DIR)/ccshim.c
	@mkdir -p bin
	$(CC) $(CFLAGS_NATIVE) -o $@ $(NATIVE_DIR)/ccshim.c

ccrun: native
	$(DOTNET) publish src/Agent/Ccrun -c Release -r linux-x64 -o $(OUT)/ccrun --nologo -v quiet
	cp --remove-destination $(OUT)/ccrun/ccrun bin/ccrun

# cp --remove-destination: running monitors keep the old binaries busy (ETXTBSY); they keep their inode.
agent: native ccrun
	$(DOTNET) publish src/Agent/Daemon -c Release -o $(OUT)/agent --nologo -v quiet
	cp --remove-destination bin/ccinit bin/ccshim bin/ccrun $(OUT)/agent/
	ln -sfn ../$(OUT)/agent/ccagent bin/ccagent

server:
	$(DOTNET) publish src/Server -c Release -o $(OUT)/server --nologo -v quiet
	ln -sfn ../$(OUT)/server/ccserver bin/ccserver

# Installs the Debian packages named in $(1) that are missing.
define apt_need
	@need=""; \
	for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || need="$$need $$p"; done; \
	if [ -n "$$need" ]; then \
	  echo "installing:$$need"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; \
	fi
endef

# What the agent itself needs from Debian: libnftables1, through which it writes its netfilter rules (a fresh
# Debian 12 does not have it, and the agent cannot start without it).
run-deps:
	$(call apt_need,libnftables1)

# What the tests need from Debian: busybox-static for test images, runc and dockerd (docker.io) as peers, a registry (docker-registry),
# skopeo for interop, htpasswd (apache2-utils) and openssl for the registry's auth and TLS tests, python3-docker (docker-py) as an SDK client,
# postgresql for the server's model on PostgreSQL (the test starts its own throwaway cluster), chromium for the web console's
# end-to-end tests (Playwright's NuGet driver runs Debian's /usr/bin/chromium; no browser is downloaded), nftables (the nft
# command) for the leak check's list of tables.
test-deps: run-deps
	$(call apt_need,busybox-static runc docker.io docker-registry skopeo apache2-utils openssl python3-docker postgresql chromium nftables)

test: test-deps build
	@rc=0; baseline=$$(mktemp -d); tests/check-leaks.sh --baseline $$baseline; \
	CONTAINERCONSOLE_BIN=$(CURDIR)/bin $(DOTNET) test ContainerConsole.sln -c Release --nologo -v quiet --logger "console;verbosity=normal" || rc=$$?; \
	tests/check-leaks.sh $$baseline || rc=1; rm -rf $$baseline; \
	exit $$rc

# The peers and tools of the side-by-side benchmarks: dockerd and containerd (docker.io), runc, hyperfine, wrk.
bench-deps: test-deps
	$(call apt_need,docker.io containerd runc hyperfine wrk)

# Every figure on ccagent and on dockerd/runc in one run, printed as a markdown table and kept in bench/results/latest.md.
bench: bench-deps build
	$(DOTNET) run --project bench/Runner -c Release -- --bin $(CURDIR)/bin --out bench/results/latest.md $(BENCH_ARGS)

# docker load and docker pull (from a registry on loopback) of a 109 MiB archive, ccagent beside dockerd, in detail.
bench-load: bench-deps build
	bench/load-vs-docker.sh

# BenchmarkDotNet micro-benchmarks of the agent's hot paths (bench/Micro/README.md), a few minutes on 2 cores; root for
# the layer unpack (lchown). BENCH_FILTER picks benchmarks (BenchmarkDotNet's --filter glob); the tables are printed at the end.
BENCH_FILTER ?= *
bench-micro:
	@rm -rf $(OUT)/bench-micro
	$(DOTNET) run -c Release --project bench/Micro -- --filter '$(BENCH_FILTER)' --artifacts $(OUT)/bench-micro
	@for f in $(OUT)/bench-micro/results/*-report-github.md; do echo; cat "$$f"; done

run: run-deps build
	@deploy/run-local.sh "$(DATA)"

clean:
	rm -rf bin $(OUT)
	$(DOTNET) clean ContainerConsole.sln -v quiet >/dev/null || true
