#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: install what is
# missing, then
#   1. build with gcc (-Werror) and run the unit, integration and fault
#      tests (every label but slow and fuzz);
#   2. build once more with clang, AddressSanitizer + UndefinedBehavior-
#      Sanitizer and the libFuzzer harnesses (MSOSYNC_FUZZ), and run the
#      unit and integration tests under the sanitizers plus each fuzzer for
#      MSOSYNC_FUZZ_SECONDS (default 15; tests/fuzz/README.md has the long
#      run). The fault tests, which inject failures with LD_PRELOAD shims
#      and long kill loops, run in stage 1 only. The valgrind smoke test
#      runs in stage 1 and skips itself in 2.
# Prints each stage's time, ctest's time per label, and a summary.
# Knobs (environment): MSOSYNC_FUZZ_SECONDS; the tests' own size knobs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/deploy/install-deps.sh"

times=()
stage() {	# stage NAME COMMAND...
	local name=$1 t0=$SECONDS
	shift
	echo "== $name"
	"$@"
	echo "== $name: $((SECONDS - t0)) s"
	times+=("$(printf '%6d s  %s' $((SECONDS - t0)) "$name")")
}

run_ctest() {	# run_ctest BUILD_DIR LABELS_TO_EXCLUDE [VAR=VALUE...]
	local dir=$1 exclude=$2
	shift 2
	(cd "$dir" && env "$@" ctest --output-on-failure -j2 -LE "$exclude")
}

t_all=$SECONDS
stage "build (gcc)" env BUILD_DIR="$top/build" "$top/deploy/build.sh"
stage "tests (gcc)" run_ctest "$top/build" '^(slow|fuzz)$'
echo "== fault figures"
cat "$top/build/tests/fault/figures/"*.txt 2>/dev/null || true
# A build dir that another compiler configured starts afresh: CMake would
# drop the options given along with the change of compiler.
if [ -f "$top/build-asan/CMakeCache.txt" ] &&
    ! grep -Eq '^CMAKE_C_COMPILER:[A-Z]*=(.*/)?clang[^/]*$' "$top/build-asan/CMakeCache.txt"; then
	rm -rf "$top/build-asan"
fi
stage "build (clang asan+ubsan+fuzz)" env BUILD_DIR="$top/build-asan" \
	"$top/deploy/build.sh" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	-DMSOSYNC_ASAN=ON -DMSOSYNC_UBSAN=ON -DMSOSYNC_FUZZ=ON \
	-DMSOSYNC_FUZZ_SECONDS="${MSOSYNC_FUZZ_SECONDS:-15}"
stage "tests (asan+ubsan) and fuzzers" run_ctest "$top/build-asan" \
	'^(slow|fault)$' ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== summary"
printf '%s\n' "${times[@]}"
printf '%6d s  total\n' $((SECONDS - t_all))
