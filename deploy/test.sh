#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: install what is
# missing, build, run every ctest label (unit, integration, fault, fuzz),
# then build again with AddressSanitizer + UndefinedBehaviorSanitizer and
# run the suite under them. Prints each stage's time.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/deploy/install-deps.sh"

stage() {	# stage NAME COMMAND...
	local name=$1 t0=$SECONDS
	shift
	echo "== $name"
	"$@"
	echo "== $name: $((SECONDS - t0)) s"
}

run_ctest() {	# run_ctest BUILD_DIR
	(cd "$1" && ctest --output-on-failure -j2 -LE slow)
}

stage "build" env BUILD_DIR="$top/build" "$top/deploy/build.sh"
stage "tests" run_ctest "$top/build"
stage "build (asan+ubsan)" env BUILD_DIR="$top/build-asan" "$top/deploy/build.sh" \
	-DCMAKE_BUILD_TYPE=Debug -DMSOSYNC_ASAN=ON -DMSOSYNC_UBSAN=ON
stage "tests (asan+ubsan)" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_ctest "$top/build-asan"
