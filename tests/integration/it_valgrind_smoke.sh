#!/usr/bin/env bash
# The agent under valgrind memcheck: no memory error and no definite leak
# over a short life (start, ~200 valid events in a few requests, the same
# again as duplicates, invalid requests from the bad-input catalogue, a
# status query, SIGTERM), and none in the agent's and the hub's -n either.
# valgrind exits 99 on any error or definite leak, else with the daemon's
# own status, which must be 0.
#
# Skipped (exit 0, a SKIP line) where valgrind cannot run: valgrind not
# installed, or a sanitizer build (ASan and valgrind do not mix; such a
# build checks memory its own way). VALGRIND_EVENTS sets how many events.
. "$(dirname "$0")/lib.sh"

DATA=${MSOSYNC_TEST_DATA:-$(cd "$(dirname "$0")/../data" && pwd)}
NEV=${VALGRIND_EVENTS:-200}

if ! command -v valgrind >/dev/null; then
	echo "SKIP: valgrind is not installed (deploy/install-deps.sh installs it)"
	exit 0
fi
# Read whole, not piped into grep -q: under pipefail, grep leaving early
# makes the writer die of SIGPIPE and the test look like "no ASan".
libs=$(ldd "$AGENT" 2>/dev/null || true)
syms=$(nm -D "$AGENT" 2>/dev/null || true)
if [[ $libs =~ lib(clang_rt\.)?asan || $syms == *" __asan_init"* ]]; then
	echo "SKIP: $AGENT is built with AddressSanitizer; valgrind cannot run it"
	exit 0
fi

VG=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --track-origins=yes --num-callers=30)

say "-n of the agent and of the hub under valgrind"
make_hub 1
"${VG[@]}" -q "$AGENT" -n --site-id 1 --data-dir "$T/agent1" \
    >"$T/agent-n.log" 2>&1 || fail "agent -n: $(cat "$T/agent-n.log")"
"${VG[@]}" -q "$HUB" -n --data-dir "$T/hub.d" --secret-key-file "$T/hub.key" \
    --sites-file "$T/sites.conf" --tokens-file "$T/tokens" \
    >"$T/hub-n.log" 2>&1 || fail "hub -n: $(cat "$T/hub-n.log")"
echo "ok: agent -n and hub -n: no errors, no definite leaks"

say "start the agent under valgrind"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
"${VG[@]}" --log-file="$T/valgrind.log" \
    "$AGENT" --site-id 1 --data-dir "$T/agent1" --http-listen "127.0.0.1:$PORT" \
    --timezone UTC >>"$T/agent1.log" 2>&1 &
VPID=$!
PIDS+=("$VPID")
wait_until 120 http_ok "$URL/healthz"

# post FILE: the HTTP status; the response body in $T/resp
post() {
	curl -s -o "$T/resp" -w '%{http_code}' --data-binary @"$1" "$URL/v1/events"
}

say "submit $NEV events in four requests, then again"
# whole days to a file, then the first NEV events (head on a pipe would
# stop simulate with SIGPIPE, which pipefail counts as a failure)
"$MSOCTL" simulate --days $((NEV / 80 + 1)) --rate 100 --seed 5 \
    --end 2026-11-20 > "$T/sim.ndjson"
head -n "$NEV" "$T/sim.ndjson" > "$T/events.ndjson"
assert_eq "events simulated" "$NEV" "$(wc -l < "$T/events.ndjson")"
q=$(( (NEV + 3) / 4 ))
for i in 0 1 2 3; do
	sed -n "$((i * q + 1)),$(((i + 1) * q))p" "$T/events.ndjson" > "$T/part$i"
	[ -s "$T/part$i" ] || continue
	assert_eq "request $i status" 200 "$(post "$T/part$i")"
done
assert_eq "head_seq" "$NEV" "$(curl -sf "$URL/v1/status" | json_get - 'd["head_seq"]')"
assert_eq "the same events again" 200 "$(post "$T/events.ndjson")"
assert_eq "all duplicates" "$NEV" \
    "$(json_get "$T/resp" 'sum(r["status"] == "duplicate" for r in d["results"])')"

say "invalid requests"
for c in 01-malformed-json 02-unknown-field-patient-name 03-negative-money \
    14-invalid-utf8 15-batch-one-bad-ndjson 29-nul-in-string; do
	assert_eq "$c status" "$(sed -n 1p "$DATA/bad/$c.expect")" \
	    "$(post "$DATA/bad/$c.body")"
done

say "status"
assert_eq "head_seq after it all" "$NEV" \
    "$(curl -sf "$URL/v1/status" | json_get - 'd["head_seq"]')"
http_ok "$URL/metrics" || fail "no /metrics"

say "SIGTERM"
kill -TERM "$VPID"
rc=0
wait "$VPID" || rc=$?
grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost' "$T/valgrind.log" || true
if [ "$rc" -ne 0 ]; then
	sed -n '1,200p' "$T/valgrind.log" >&2
	fail "valgrind: exit $rc (99: memory errors or definite leaks)"
fi
assert_eq "valgrind exit (errors and definite leaks)" 0 "$rc"
