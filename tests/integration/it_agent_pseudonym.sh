#!/usr/bin/env bash
# The raw client id never reaches the disk (DESIGN §2): events carrying
# distinctive client_id values are accepted, and not one byte sequence of
# those ids is found anywhere under the data dir (journal pages, free
# pages, pepper), in the agent's log or in any answer. The client_ref
# that is journaled instead is keyed BLAKE2b-128 of the id under the
# pepper (recomputed here in python), the pepper is 32 bytes of mode 0600,
# and after a restart the same id gets the same client_ref.
. "$(dirname "$0")/lib.sh"

NOHUB=1 start_agent 1
URL=${AGENT_URL[1]}
D=$T/agent1
RAW1=RAW-CLIENT-ID-7731
RAW2=RAW-CLIENT-ID-9046-QX
RAW3=RAW-CLIENT-ID-5512-INVALID

# occurrences of a byte string in every file under a path (0 if none)
count_in() {
	grep -r -a -c -D skip -F -- "$1" "$2" 2>/dev/null |
	    awk -F: '{ n += $NF } END { print n + 0 }'
}
# live journal records holding a string: mdb_dump sees committed pages
# only, where a raw grep of data.mdb also sees stale copies in free pages
count_records() {
	mdb_dump -p -s records "$D/journal" | grep -o -F -- "$1" | wc -l
}
expected_ref() {
	python3 -c 'import hashlib,sys; print(hashlib.blake2b(sys.argv[1].encode(), digest_size=16, key=open(sys.argv[2], "rb").read()).hexdigest())' "$1" "$D/pepper"
}
post() {
	curl -s -o "$T/resp.$2" -w '%{http_code}' --data-binary "$1" "$URL/v1/events"
}

say "events with raw client ids"
code=$(post "{\"event_id\":\"ps-1\",\"occurred_at\":\"2026-03-04T10:00:00Z\",\"sale\":{\"ticket_id\":\"T-ps-1\",\"category\":\"injectables\",\"amount_cents\":45000,\"units\":20,\"client_id\":\"$RAW1\"}}
{\"event_id\":\"ps-2\",\"occurred_at\":\"2026-03-04T11:00:00Z\",\"appointment\":{\"appointment_id\":\"A-ps-2\",\"status\":\"completed\",\"category\":\"injectables\",\"duration_min\":45,\"client_id\":\"$RAW1\",\"consent_documented\":true}}
{\"event_id\":\"ps-3\",\"occurred_at\":\"2026-03-04T12:00:00Z\",\"sale\":{\"ticket_id\":\"T-ps-3\",\"category\":\"skincare\",\"amount_cents\":12000,\"client_id\":\"$RAW2\"}}" 1)
assert_eq "submit status" 200 "$code"
assert_eq "results" "1:accepted 2:accepted 3:accepted" \
    "$(json_get "$T/resp.1" '" ".join("%d:%s" % (r["seq"], r["status"]) for r in d["results"])')"
# a refused request that carries a raw id must not leave it anywhere either
code=$(post "{\"event_id\":\"ps-4\",\"occurred_at\":\"2026-03-04T12:00:00Z\",\"sale\":{\"ticket_id\":\"T-ps-4\",\"category\":\"skincare\",\"amount_cents\":-1,\"client_id\":\"$RAW3\"}}" 2)
assert_eq "invalid submit status" 400 "$code"
curl -sf "$URL/v1/status" > "$T/resp.status"
curl -sf "$URL/metrics" > "$T/resp.metrics"

say "the pepper"
assert_eq "pepper mode" 600 "$(stat -c %a "$D/pepper")"
assert_eq "pepper size" 32 "$(stat -c %s "$D/pepper")"
pepper_sum=$(sha256sum < "$D/pepper")

say "no raw id on disk, in the log or in any answer"
[ -f "$D/journal/data.mdb" ] || fail "no journal at $D/journal"
# the same search does find what is journaled in clear (a ticket id)
[ "$(count_in T-ps-3 "$D")" -ge 1 ] || fail "grep finds nothing: the check is blind"
for raw in "$RAW1" "$RAW2" "$RAW3" RAW-CLIENT-ID; do
	assert_eq "'$raw' under the data dir" 0 "$(count_in "$raw" "$D")"
	assert_eq "'$raw' in the agent log" 0 "$(count_in "$raw" "$T/agent1.log")"
	assert_eq "'$raw' in the answers" 0 "$(cat "$T"/resp.* | grep -a -c -F -- "$raw" || true)"
done
assert_eq "client_id in journaled records" 0 "$(count_records client_id)"

say "client_ref = keyed BLAKE2b of the id"
REF1=$(expected_ref "$RAW1")
REF2=$(expected_ref "$RAW2")
echo "client_ref($RAW1) = $REF1"
[ ${#REF1} -eq 32 ] || fail "client_ref length ${#REF1}"
[ "$REF1" != "$REF2" ] || fail "two ids, one client_ref"
assert_eq "records with client_ref($RAW1) (sale + appointment)" 2 "$(count_records "$REF1")"
assert_eq "records with client_ref($RAW2)" 1 "$(count_records "$REF2")"
[ "$(count_in "$REF1" "$D/journal/data.mdb")" -ge 1 ] ||
    fail "client_ref not found in data.mdb by grep"
# the hash must be keyed: an unkeyed BLAKE2b of the id is not what is stored
unkeyed=$(python3 -c 'import hashlib,sys; print(hashlib.blake2b(sys.argv[1].encode(), digest_size=16).hexdigest())' "$RAW1")
assert_eq "records with the unkeyed hash" 0 "$(count_records "$unkeyed")"

say "restart: same pepper, same client_ref"
kill -TERM "${AGENT_PID[1]}"
rc=0
wait "${AGENT_PID[1]}" || rc=$?
assert_eq "agent exit status on SIGTERM" 0 "$rc"
NOHUB=1 start_agent 1
assert_eq "pepper unchanged across restart" "$pepper_sum" "$(sha256sum < "$D/pepper")"
assert_eq "pepper mode after restart" 600 "$(stat -c %a "$D/pepper")"
code=$(post "{\"event_id\":\"ps-5\",\"occurred_at\":\"2026-03-05T10:00:00Z\",\"sale\":{\"ticket_id\":\"T-ps-5\",\"category\":\"laser\",\"amount_cents\":30000,\"client_id\":\"$RAW1\"}}
{\"event_id\":\"ps-6\",\"occurred_at\":\"2026-03-05T11:00:00Z\",\"appointment\":{\"appointment_id\":\"A-ps-6\",\"status\":\"booked\",\"client_id\":\"$RAW2\"}}" 3)
assert_eq "submit after restart" 200 "$code"
assert_eq "results after restart" "4:accepted 5:accepted" \
    "$(json_get "$T/resp.3" '" ".join("%d:%s" % (r["seq"], r["status"]) for r in d["results"])')"
assert_eq "records with client_ref($RAW1) after restart" 3 "$(count_records "$REF1")"
assert_eq "records with client_ref($RAW2) after restart" 2 "$(count_records "$REF2")"
for raw in "$RAW1" "$RAW2" RAW-CLIENT-ID; do
	assert_eq "'$raw' under the data dir after restart" 0 "$(count_in "$raw" "$D")"
	assert_eq "'$raw' in the log after restart" 0 "$(count_in "$raw" "$T/agent1.log")"
done
assert_eq "'RAW-CLIENT-ID' in the answer after restart" 0 \
    "$(grep -a -c -F RAW-CLIENT-ID "$T/resp.3" || true)"
say "PASS"
