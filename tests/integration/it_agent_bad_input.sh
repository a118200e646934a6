#!/usr/bin/env bash
# Bad input gets a clear error and changes nothing (DESIGN §4.8): replay
# every case of tests/data/bad/ against one agent and check the exact
# status, the reason, that head_seq did not move and that the agent still
# answers. The batch cases then resubmit their valid events alone, which
# must all be new: proof that the refused request journaled none of them.
# Then the voids that depend on what is journaled (a second void, a void
# of a void), and two cases too large to commit, generated here: a 40 MiB
# body (over the 16 MiB default limit, refused by evhttp itself with
# "413 Request Entity Too Large", whichever way the client sends it) and
# a request of more events than INGEST_MAX_EVENTS.
. "$(dirname "$0")/lib.sh"

DATA=${MSOSYNC_TEST_DATA:-$(cd "$(dirname "$0")/../data" && pwd)}/bad
NOHUB=1 start_agent 1
URL=${AGENT_URL[1]}

# head_seq from /v1/status without a python start per call (cases are many)
head_seq() {
	curl -sf "$URL/v1/status" | grep -o '"head_seq":[0-9]*' | cut -d: -f2
}

# post FILE: sets CODE, response body in $T/resp, status line in $T/line.
post() {
	CODE=$(curl -s -D "$T/hdr" -o "$T/resp" -w '%{http_code}' \
	    --data-binary @"$1" "$URL/v1/events") || true
	head -n 1 "$T/hdr" | tr -d '\r' > "$T/line"
}

[ -d "$DATA" ] || fail "no catalogue at $DATA"
ncases=0 n400=0
head=$(head_seq)
assert_eq "head_seq at start" 0 "$head"
for body in "$DATA"/*.body; do
	name=$(basename "$body" .body)
	expect=$DATA/$name.expect
	[ -f "$expect" ] || fail "$name: no $name.expect"
	want_code=$(sed -n 1p "$expect")
	want_text=$(sed -n 2p "$expect")
	[ -n "$want_code" ] && [ -n "$want_text" ] ||
	    fail "$name.expect: need a status on line 1 and a substring on line 2"

	post "$body"
	[ "$CODE" = "$want_code" ] ||
	    fail "$name: status $CODE, expected $want_code: $(head -c 400 "$T/resp")"
	grep -a -F -q -- "$want_text" "$T/resp" ||
	    fail "$name: response lacks '$want_text': $(head -c 400 "$T/resp")"
	after=$(head_seq)
	[ "$after" = "$head" ] ||
	    fail "$name: head_seq moved from $head to $after"
	http_ok "$URL/healthz" || fail "$name: agent stopped answering /healthz"
	echo "ok: $name -> $CODE '$want_text', head_seq $after"
	ncases=$((ncases + 1))
	[ "$CODE" = 400 ] && n400=$((n400 + 1))

	case $name in
	*-batch-*)
		# the request minus its refused values, posted alone
		python3 - "$body" "$T/resp" "$T/rest" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read().decode()
bad = {e["index"] for e in json.load(open(sys.argv[2]))["errors"]}
s = raw.lstrip()
vals = json.loads(s) if s.startswith("[") else \
    [json.loads(l) for l in raw.splitlines() if l.strip()]
keep = [v for i, v in enumerate(vals) if i not in bad]
assert 0 < len(keep) < len(vals), (len(keep), len(vals))
open(sys.argv[3], "w").write("".join(json.dumps(v) + "\n" for v in keep))
PY
		nrest=$(wc -l < "$T/rest")
		post "$T/rest"
		assert_eq "$name: valid rest status" 200 "$CODE"
		assert_eq "$name: valid rest all accepted" \
		    "$(printf 'accepted %.0s' $(seq "$nrest"))" \
		    "$(json_get "$T/resp" '"".join(r["status"] + " " for r in d["results"])')"
		assert_eq "$name: seqs follow head" \
		    "$(seq -s ' ' $((head + 1)) $((head + nrest)))" \
		    "$(json_get "$T/resp" '" ".join(str(r["seq"]) for r in d["results"])')"
		head=$((head + nrest))
		assert_eq "$name: head_seq after the valid rest" "$head" "$(head_seq)"
		;;
	esac
done
[ $ncases -ge 25 ] || fail "only $ncases cases in $DATA"

say "voids that depend on the journal"
# post_case WHAT BODY CODE SUBSTRING: a request and its exact outcome
post_case() {
	printf '%s\n' "$2" > "$T/case.body"
	post "$T/case.body"
	[ "$CODE" = "$3" ] || fail "$1: status $CODE, expected $3: $(cat "$T/resp")"
	grep -a -F -q -- "$4" "$T/resp" || fail "$1: no '$4' in $(cat "$T/resp")"
	echo "ok: $1 -> $CODE '$4'"
}
ev='"occurred_at":"2026-01-02T03:04:05Z"'
post_case "a sale" "{\"event_id\":\"vs-1\",$ev,\"sale\":{\"ticket_id\":\"T-vs\",\"category\":\"laser\",\"amount_cents\":30000}}" \
    200 "{\"event_id\":\"vs-1\",\"seq\":$((head + 1)),\"status\":\"accepted\"}"
post_case "its void" "{\"event_id\":\"vv-1\",$ev,\"void\":{\"voided_event_id\":\"vs-1\"}}" \
    200 "{\"event_id\":\"vv-1\",\"seq\":$((head + 2)),\"status\":\"accepted\"}"
head=$((head + 2))
post_case "a second void of the sale" "{\"event_id\":\"vv-2\",$ev,\"void\":{\"voided_event_id\":\"vs-1\"}}" \
    400 '"event_id":"vv-2","error":"void.voided_event_id: event already voided"'
post_case "a void of the void" "{\"event_id\":\"vv-3\",$ev,\"void\":{\"voided_event_id\":\"vv-1\"}}" \
    400 '"event_id":"vv-3","error":"void.voided_event_id: cannot void a void"'
post_case "sale + void + second void in one request" \
    "{\"event_id\":\"vs-2\",$ev,\"sale\":{\"ticket_id\":\"T-vs2\",\"category\":\"laser\",\"amount_cents\":100}}
{\"event_id\":\"vv-4\",$ev,\"void\":{\"voided_event_id\":\"vs-2\"}}
{\"event_id\":\"vv-5\",$ev,\"void\":{\"voided_event_id\":\"vs-2\"}}" \
    400 '"index":2,"event_id":"vv-5","error":"void.voided_event_id: event already voided"'
assert_eq "head_seq after the refused voids" "$head" "$(head_seq)"
post_case "that sale alone: it was not journaled" \
    "{\"event_id\":\"vs-2\",$ev,\"sale\":{\"ticket_id\":\"T-vs2\",\"category\":\"laser\",\"amount_cents\":100}}" \
    200 "{\"event_id\":\"vs-2\",\"seq\":$((head + 1)),\"status\":\"accepted\"}"
head=$((head + 1))
n400=$((n400 + 3))

say "40 MiB body (limit 16 MiB)"
python3 -c 'import sys; sys.stdout.write(" " * (40 << 20))' > "$T/big.body"
post "$T/big.body"
assert_eq "oversize body: status" 413 "$CODE"
assert_eq "oversize body: status line" "HTTP/1.1 413 Request Entity Too Large" \
    "$(cat "$T/line")"
grep -q -F "Request Entity Too Large" "$T/resp" ||
    fail "oversize body: reason missing from the body: $(head -c 300 "$T/resp")"
# Clients that send the body at once (no "Expect: 100-continue", or
# chunked without a length) must read the same 413, not a connection
# reset: the agent may not close on a body it has not drained. Several
# tries, since a reset depends on timing.
for i in 1 2 3 4 5; do
	rc=0
	CODE=$(curl -s -H 'Expect:' -o "$T/resp" -w '%{http_code}' \
	    --data-binary @"$T/big.body" "$URL/v1/events") || rc=$?
	assert_eq "oversize body without Expect, try $i" "413 0" "$CODE $rc"
	grep -q -F "Request Entity Too Large" "$T/resp" || fail "try $i: no reason"
done
for i in 1 2 3; do
	rc=0
	CODE=$(curl -s -H 'Transfer-Encoding: chunked' -o "$T/resp" -w '%{http_code}' \
	    --data-binary @"$T/big.body" "$URL/v1/events") || rc=$?
	assert_eq "oversize chunked body, try $i" "413 0" "$CODE $rc"
done
rm -f "$T/big.body"
assert_eq "oversize body: head_seq" "$head" "$(head_seq)"
http_ok "$URL/healthz" || fail "agent down after the oversize body"

say "more events than one request may hold"
python3 -c 'import sys; sys.stdout.write("{}\n" * 100001)' > "$T/many.body"
post "$T/many.body"
assert_eq "too many events: status" 413 "$CODE"
grep -q -F '"error":"too many events in one request"' "$T/resp" ||
    fail "too many events: reason missing: $(head -c 300 "$T/resp")"
assert_eq "too many events: head_seq" "$head" "$(head_seq)"
http_ok "$URL/healthz" || fail "agent down after too many events"

say "agent still ingests"
printf '{"event_id":"after-bad","occurred_at":"2026-01-02T03:04:05Z","sale":{"ticket_id":"T-ok","category":"laser","amount_cents":30000}}\n' > "$T/ok.body"
post "$T/ok.body"
assert_eq "good event after the catalogue" 200 "$CODE"
assert_eq "its seq" $((head + 1)) "$(json_get "$T/resp" 'd["results"][0]["seq"]')"
invalid=$(curl -sf "$URL/metrics" | awk '$1 == "msosync_agent_requests_invalid_total" { print $2 }')
assert_eq "requests_invalid_total (one per 400 case)" "$n400" "$invalid"
say "PASS: $ncases catalogue cases + 2 generated"
