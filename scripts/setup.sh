#!/bin/sh
# Installs what zeval needs on Debian 12 and skips what is already there. Idempotent.
# As root it installs missing Debian packages; otherwise it names them and stops.
set -eu

PACKAGES="python3-ipykernel xpython jupyter-client python3-jupyter-client python3-jupyter-kernel-test bubblewrap prometheus"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing Debian packages:$missing" >&2
		echo "setup: install them as root: apt-get install -y$missing" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if ! command -v go >/dev/null 2>&1; then
	echo "setup: Go is not on PATH (expected /usr/local/go/bin/go, Go 1.26)" >&2
	exit 1
fi
go mod download
