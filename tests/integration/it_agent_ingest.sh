#!/usr/bin/env bash
# Ingest and idempotence at the agent (DESIGN §4.1, §4.2, §9): a simulated
# backlog of more than 20,000 events goes in through msoctl submit in
# chunks of 5000, all accepted and numbered 1..N; the same file again is
# all duplicates and journals nothing. The other request shapes of
# POST /v1/events (a JSON array, one object, NDJSON under a misleading
# Content-Type) answer per-event seq and status, and /metrics counts it all.
. "$(dirname "$0")/lib.sh"

NOHUB=1 start_agent 1
URL=${AGENT_URL[1]}
END=$(date -u -d yesterday +%F)

metric() {
	curl -sf "$URL/metrics" | awk -v m="msosync_agent_$1" '$1 == m { print $2 }'
}

say "simulate"
"$MSOCTL" simulate --days 10 --rate 2300 --seed 11 --end "$END" > "$T/events.ndjson"
N=$(wc -l < "$T/events.ndjson")
[ "$N" -ge 20000 ] || fail "simulate gave only $N events"
assert_eq "distinct event_ids in the file" "$N" \
    "$(python3 -c 'import json,sys; print(len({json.loads(l)["event_id"] for l in open(sys.argv[1])}))' "$T/events.ndjson")"

say "submit $N events in chunks of 5000"
out=$("$MSOCTL" submit "$T/events.ndjson" --agent "$URL" --chunk 5000)
assert_eq "first submit" "accepted $N, duplicate 0, errors 0" "$out"
assert_eq "head_seq" "$N" "$(agent_status 1 'd["head_seq"]')"
assert_eq "backlog (no hub)" "$N" "$(agent_status 1 'd["backlog"]')"
assert_eq "acked_seq (no hub)" 0 "$(agent_status 1 'd["acked_seq"]')"
assert_eq "status says it does not replicate" "None False" \
    "$(agent_status 1 'str(d["hub"]["endpoint"]) + " " + str(d["hub"].get("replicating"))')"

say "submit the same file again"
out=$("$MSOCTL" submit "$T/events.ndjson" --agent "$URL" --chunk 5000)
assert_eq "second submit" "accepted 0, duplicate $N, errors 0" "$out"
assert_eq "head_seq unchanged" "$N" "$(agent_status 1 'd["head_seq"]')"
assert_eq "metric events_accepted_total" "$N" "$(metric events_accepted_total)"
assert_eq "metric events_duplicate_total" "$N" "$(metric events_duplicate_total)"
assert_eq "metric head_seq" "$N" "$(metric head_seq)"
assert_eq "metric requests_invalid_total" 0 "$(metric requests_invalid_total)"

say "the seqs follow the file's order"
# a duplicate answers the original seq: line i of the file holds seq i
curl -s --data-binary @<(sed -n '1p;777p;20000p' "$T/events.ndjson") \
    "$URL/v1/events" > "$T/resp"
assert_eq "seqs of lines 1, 777, 20000" "1 777 20000 duplicate" \
    "$(json_get "$T/resp" '" ".join(str(r["seq"]) for r in d["results"]) + " " + "".join(sorted({r["status"] for r in d["results"]}))')"

say "a JSON array"
"$MSOCTL" simulate --days 1 --rate 40 --seed 12 --end "$END" > "$T/other.ndjson"
python3 -c 'import json,sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1]).readlines()[:3]]))' \
    "$T/other.ndjson" > "$T/array.json"
ids=$(json_get "$T/array.json" '" ".join(e["event_id"] for e in d)')
code=$(curl -s -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"$T/array.json" "$URL/v1/events")
assert_eq "array: status" 200 "$code"
assert_eq "array: results" "$(for i in $ids; do printf '%s ' "$i"; done)/$((N + 1)) $((N + 2)) $((N + 3))/accepted accepted accepted" \
    "$(json_get "$T/resp" '"".join(r["event_id"] + " " for r in d["results"]) + "/" + " ".join(str(r["seq"]) for r in d["results"]) + "/" + " ".join(r["status"] for r in d["results"])')"

say "one object"
sed -n 4p "$T/other.ndjson" | tr -d '\n' > "$T/one.json"
one_id=$(json_get "$T/one.json" 'd["event_id"]')
code=$(curl -s -o "$T/resp" -w '%{http_code}' --data-binary @"$T/one.json" "$URL/v1/events")
assert_eq "object: status" 200 "$code"
assert_eq "object: results" "1 $one_id $((N + 4)) accepted" \
    "$(json_get "$T/resp" 'str(len(d["results"])) + " " + " ".join(str(v) for v in d["results"][0].values())')"

say "NDJSON under text/plain, mixing old and new"
{ sed -n 5p "$T/other.ndjson"; cat "$T/one.json"; echo; sed -n 6p "$T/other.ndjson"; } > "$T/mixed.ndjson"
code=$(curl -s -o "$T/resp" -w '%{http_code}' -H 'Content-Type: text/plain' \
    --data-binary @"$T/mixed.ndjson" "$URL/v1/events")
assert_eq "ndjson: status" 200 "$code"
assert_eq "ndjson: seqs and statuses" "$((N + 5)):accepted $((N + 4)):duplicate $((N + 6)):accepted" \
    "$(json_get "$T/resp" '" ".join("%d:%s" % (r["seq"], r["status"]) for r in d["results"])')"

say "the array again: duplicates with the same seqs"
curl -s -o "$T/resp" --data-binary @"$T/array.json" "$URL/v1/events"
assert_eq "array again" "$((N + 1)):duplicate $((N + 2)):duplicate $((N + 3)):duplicate" \
    "$(json_get "$T/resp" '" ".join("%d:%s" % (r["seq"], r["status"]) for r in d["results"])')"

M=$((N + 6))
assert_eq "head_seq at the end" "$M" "$(agent_status 1 'd["head_seq"]')"
assert_eq "metric events_accepted_total at the end" "$M" "$(metric events_accepted_total)"
assert_eq "metric events_duplicate_total at the end" $((N + 3 + 1 + 3)) \
    "$(metric events_duplicate_total)"
http_ok "$URL/healthz" || fail "agent stopped answering"
say "PASS: $N simulated events + 6 by hand"
