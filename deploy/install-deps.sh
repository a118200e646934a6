#!/usr/bin/env bash
# Install the Debian 12 packages msosync needs to build, test and
# benchmark, but only those that are missing. Runs as root (or via sudo).
set -euo pipefail

PKGS=(
	build-essential cmake pkg-config
	libzmq3-dev liblmdb-dev lmdb-utils libprotobuf-c-dev protobuf-c-compiler
	libsodium-dev libevent-dev libjansson-dev libinih-dev libcmocka-dev
	clang libclang-rt-14-dev valgrind curl python3
)
if [ "${MSOSYNC_BENCH_DEPS:-0}" = 1 ]; then
	PKGS+=(nats-server libnats-dev openssl)
fi

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
