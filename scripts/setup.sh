#!/bin/sh
# Installs what zeval needs on Debian 12 and skips what is already there. Idempotent.
# As root it installs missing Debian packages; otherwise it names them and stops.
set -eu

PACKAGES="python3-ipykernel xpython jupyter-client python3-jupyter-client python3-jupyter-kernel-test bubblewrap prometheus redis-server curl ca-certificates"

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

# Deno, for its Jupyter kernel (a JavaScript kernelspec "deno"; zeval's embedded engine needs no
# install). Fetched from the npm registry, pinned and checked, once.
DENO_VERSION=2.9.6
DENO_SHA512=de67784ca2c2bb3b0b0e67cea02e4a37b34065ac525643209bae2f83a7e80f4d090400c2a584b6ff942a5dfce09cfe59433de22cff6f05026d120735d7a380a1
if [ "$(id -u)" -eq 0 ]; then
	DENO_HOME=/opt/zeval/deno-$DENO_VERSION
	KERNELS=/usr/local/share/jupyter/kernels
else
	DENO_HOME="${XDG_DATA_HOME:-$HOME/.local/share}/zeval/deno-$DENO_VERSION"
	KERNELS="${XDG_DATA_HOME:-$HOME/.local/share}/jupyter/kernels"
fi
if [ ! -x "$DENO_HOME/deno" ]; then
	echo "setup: installing deno $DENO_VERSION in $DENO_HOME"
	tmp=$(mktemp -d)
	curl -fsSL --retry 3 -o "$tmp/deno.tgz" \
		"https://registry.npmjs.org/@deno/linux-x64-glibc/-/linux-x64-glibc-$DENO_VERSION.tgz"
	echo "$DENO_SHA512  $tmp/deno.tgz" | sha512sum -c --quiet -
	tar -xzf "$tmp/deno.tgz" -C "$tmp" package/deno
	mkdir -p "$DENO_HOME"
	mv "$tmp/package/deno" "$DENO_HOME/deno.part"
	mv "$DENO_HOME/deno.part" "$DENO_HOME/deno"
	rm -rf "$tmp"
fi
if [ ! -f "$KERNELS/deno/kernel.json" ] || ! grep -q "$DENO_HOME/deno" "$KERNELS/deno/kernel.json"; then
	mkdir -p "$KERNELS/deno"
	cat >"$KERNELS/deno/kernel.json.part" <<JSON
{
  "argv": ["$DENO_HOME/deno", "jupyter", "--kernel", "--conn", "{connection_file}"],
  "display_name": "Deno",
  "language": "typescript",
  "env": {"DENO_NO_UPDATE_CHECK": "1", "NO_COLOR": "1"}
}
JSON
	mv "$KERNELS/deno/kernel.json.part" "$KERNELS/deno/kernel.json"
fi
