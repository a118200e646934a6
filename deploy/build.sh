#!/usr/bin/env bash
# Configure and build into BUILD_DIR (default build/). Extra arguments go
# to cmake's configure step, e.g. -DMSOSYNC_ASAN=ON. Quiet unless it fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
mkdir -p "$build"
if ! { cmake -S "$top" -B "$build" -DMSOSYNC_WERROR=ON "$@" &&
       cmake --build "$build" -j"$(nproc)"; } >"$build/build.log" 2>&1; then
	tail -n 60 "$build/build.log" >&2
	echo "build: failed; full log in $build/build.log" >&2
	exit 1
fi
