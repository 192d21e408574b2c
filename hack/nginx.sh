#!/usr/bin/env bash
# Prints the path of an nginx binary for the gateway load test (cmd/gatewaybench), the
# nginx-class reference the gateway's figures are compared with (docs/performance.md).
#
# nginx on PATH (or in /usr/sbin, where Debian puts it and where an unprivileged PATH
# often does not look) is used as it is, so the script works without privileges on a
# machine that has it. Otherwise, as root on a Debian-based system, it installs Debian's
# nginx package with apt-get, without letting the package start its system service: the
# load test starts its own nginx with a generated configuration on loopback. Anything
# else is an error that says what to do.
set -euo pipefail

find_nginx() {
	if command -v nginx 2>/dev/null; then
		return 0
	fi
	local p
	for p in /usr/sbin/nginx /usr/local/sbin/nginx /usr/local/nginx/sbin/nginx; do
		if [ -x "$p" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

if find_nginx; then
	exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "hack/nginx.sh: nginx is not installed and cannot be installed here (needs root and apt-get)." >&2
	echo "hack/nginx.sh: install Debian's nginx package (apt-get install nginx) or put an nginx binary on PATH, then run make bench again." >&2
	exit 1
fi

# The package's maintainer scripts would start nginx as a system service on port 80;
# policy-rc.d answering 101 forbids that. An existing policy (as in container images)
# is left alone.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi
cleanup() { if [ -n "$made_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

echo "hack/nginx.sh: installing Debian's nginx with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends nginx >&2; then
	# Package lists may be missing or stale (a fresh container): refresh once.
	apt-get update >&2
	apt-get install -y --no-install-recommends nginx >&2
fi

if ! find_nginx; then
	echo "hack/nginx.sh: apt-get finished but no nginx binary was found" >&2
	exit 1
fi
