#!/usr/bin/env bash
# Bounded disk (DESIGN §4.7): an agent with a 4 MiB journal budget and no
# hub takes chunks of 500 simulated events until it answers 507 "journal
# full", having journaled nothing of that chunk. Everything accepted before
# is still there (resubmitted: all duplicates, same seqs, still 200), new
# events keep getting 507, the file stays within the budget, and all of
# this holds again after a restart on the same data dir and budget.
. "$(dirname "$0")/lib.sh"

NOHUB=1 start_agent 1 --journal-max-mb 4
URL=${AGENT_URL[1]}
D=$T/agent1

head_seq() {
	curl -sf "$URL/v1/status" | grep -o '"head_seq":[0-9]*' | cut -d: -f2
}
# post FILE TAG: sets CODE, body in $T/resp.TAG
post() {
	CODE=$(curl -s -o "$T/resp.$2" -w '%{http_code}' --max-time 30 \
	    --data-binary @"$1" "$URL/v1/events") || CODE="curl-failed"
}
# check_dups CHUNK...: each chunk, resubmitted, is all duplicates with
# the seqs of its first answer (one python for all: it starts slowly)
check_dups() {
	local c
	for c in "$@"; do
		post "$T/chunks/$c" "dup.$c"
		[ "$CODE" = 200 ] ||
		    fail "resubmitting $c: HTTP $CODE $(head -c 300 "$T/resp.dup.$c")"
	done
	python3 - "$T" "$@" <<'PY' || fail "resubmitted chunks answered differently"
import json, sys
t = sys.argv[1]
for c in sys.argv[2:]:
    a = json.load(open("%s/resp.%s" % (t, c)))["results"]
    b = json.load(open("%s/resp.dup.%s" % (t, c)))["results"]
    if [(r["event_id"], r["seq"]) for r in a] != \
            [(r["event_id"], r["seq"]) for r in b] or \
            any(r["status"] != "duplicate" for r in b):
        sys.exit("%s: answers differ after the journal filled" % c)
PY
	echo "ok: $# chunks resubmitted: all duplicates with their first seqs"
}
check_full() {	# FILE WHAT
	local before
	before=$(head_seq)
	post "$1" full
	assert_eq "$2: status" 507 "$CODE"
	grep -q -F "journal full" "$T/resp.full" ||
	    fail "$2: no 'journal full' in $(head -c 300 "$T/resp.full")"
	assert_eq "$2: head_seq unchanged" "$before" "$(head_seq)"
}
check_size() {
	local size
	size=$(stat -c %s "$D/journal/data.mdb")
	[ "$size" -le $((4 << 20)) ] || fail "data.mdb is $size bytes, budget 4 MiB"
	echo "ok: data.mdb $size bytes <= 4 MiB"
	assert_eq "status journal_max_bytes" $((4 << 20)) \
	    "$(agent_status 1 'd["journal_max_bytes"]')"
	[ "$(agent_status 1 'int(d["journal_bytes"] <= d["journal_max_bytes"])')" = 1 ] ||
	    fail "journal_bytes over journal_max_bytes"
}

say "simulate and split into chunks of 500"
"$MSOCTL" simulate --days 20 --rate 2000 --seed 31 \
    --end "$(date -u -d yesterday +%F)" > "$T/events.ndjson"
mkdir "$T/chunks"
split -l 500 -d -a 3 "$T/events.ndjson" "$T/chunks/c"
mapfile -t CHUNKS < <(ls "$T/chunks")
echo "$(wc -l < "$T/events.ndjson") events in ${#CHUNKS[@]} chunks"

say "fill the journal"
ACCEPTED=() FULL_AT=
for c in "${CHUNKS[@]}"; do
	post "$T/chunks/$c" "$c"
	if [ "$CODE" = 507 ]; then
		FULL_AT=$c
		cp "$T/resp.$c" "$T/resp.full"
		break
	fi
	[ "$CODE" = 200 ] || fail "chunk $c: HTTP $CODE $(head -c 300 "$T/resp.$c")"
	ACCEPTED+=("$c")
done
# every accepted chunk: its lines, all accepted, as seqs 1, 2, 3 ... in order
expect=$(python3 - "$T" "${ACCEPTED[@]}" <<'PY'
import json, sys
t, seq = sys.argv[1], 1
for c in sys.argv[2:]:
    ids = [json.loads(l)["event_id"] for l in open("%s/chunks/%s" % (t, c))]
    got = json.load(open("%s/resp.%s" % (t, c)))["results"]
    want = [(i, seq + k, "accepted") for k, i in enumerate(ids)]
    if [(r["event_id"], r["seq"], r["status"]) for r in got] != want:
        sys.exit("chunk %s: not accepted as seqs %d.." % (c, seq))
    seq += len(ids)
print(seq)
PY
) || fail "accepted chunks answered wrongly"
[ -n "$FULL_AT" ] || fail "no 507 after all ${#CHUNKS[@]} chunks"
HEAD=$(head_seq)
echo "507 at chunk $FULL_AT after ${#ACCEPTED[@]} chunks; head_seq $HEAD"
grep -q -F '"error":"journal full' "$T/resp.full" ||
    fail "507 without 'journal full': $(head -c 300 "$T/resp.full")"
assert_eq "head_seq = events accepted" $((expect - 1)) "$HEAD"
[ "${#ACCEPTED[@]}" -ge 10 ] || fail "only ${#ACCEPTED[@]} chunks fit in 4 MiB"
http_ok "$URL/healthz" || fail "agent down after 507"
check_size

say "full: old events still answered, new ones refused"
check_dups "${ACCEPTED[@]}"
check_full "$T/chunks/$FULL_AT" "the refused chunk again"
NEXT=${CHUNKS[${#ACCEPTED[@]} + 1]}
check_full "$T/chunks/$NEXT" "the next chunk"
assert_eq "metric requests_full_total" 3 \
    "$(curl -sf "$URL/metrics" | awk '$1 == "msosync_agent_requests_full_total" { print $2 }')"
http_ok "$URL/healthz" || fail "agent down"

say "restart with the same budget"
kill -TERM "${AGENT_PID[1]}"
rc=0
wait "${AGENT_PID[1]}" || rc=$?
assert_eq "agent exit status on SIGTERM" 0 "$rc"
NOHUB=1 start_agent 1 --journal-max-mb 4
assert_eq "head_seq after restart" "$HEAD" "$(head_seq)"
check_full "$T/chunks/$FULL_AT" "refused chunk after restart"
check_dups "${ACCEPTED[@]}"
check_full "$T/chunks/$NEXT" "next chunk after restart"
check_size
assert_eq "head_seq at the end" "$HEAD" "$(head_seq)"
say "PASS: $HEAD events fit in 4 MiB"
