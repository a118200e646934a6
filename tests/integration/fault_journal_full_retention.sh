#!/usr/bin/env bash
# Journal full, then space freed by retention (DESIGN §4.7, §4.3): an agent
# with a 4 MiB journal and retention_days = 0 takes chunks of simulated
# events while its hub is down, until it answers 507 "journal full"
# (journaling nothing of that chunk). The hub comes up: the agent catches
# up, prunes every record the hub acknowledged, and takes new events
# again: the refused chunk, then as many events again as filled the
# journal (a client retries a 507 as it would any refusal). The journal
# stays within its budget; every acknowledged event is at the hub once.
#
# Knobs: FAULT_SEED, FAULT_CHUNK (most lines a request), FAULT_REFILL
# (events taken after the recovery, as a multiple of the first fill).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../fault/lib.sh"

CHUNK=${FAULT_CHUNK:-500}
REFILL=${FAULT_REFILL:-1.5}
BUDGET=$((4 << 20))
command -v mdb_stat >/dev/null || fail "mdb_stat (lmdb-utils) is needed to look into the journal"

records_kept() {
	mdb_stat -s records "$T/agent1/journal" | awk '$1 == "Entries:" { print $2 }'
}
kept_is() { [ "$(records_kept)" = "$1" ]; }
check_size() {
	local size
	size=$(stat -c %s "$T/agent1/journal/data.mdb")
	[ "$size" -le $BUDGET ] || fail "$1: data.mdb is $size bytes, budget $BUDGET"
	echo "ok: $1: data.mdb $size bytes <= $BUDGET"
}
head_seq() { agent_status 1 'd["head_seq"]'; }

fault_seed journal_full_retention
make_chunks 1 60000 "$CHUNK"
mapfile -t CHUNKS < <(ls "$T/chunks1")
make_hub 1
start_agent 1 --journal-max-mb 4 --retention-days 0
URL=${AGENT_URL[1]}

say "hub down: fill the journal"
i=0 FULL_AT=
while [ $i -lt ${#CHUNKS[@]} ]; do
	c=${CHUNKS[$i]}
	echo "$c" >>"$T/sent1"
	code=$(post "$URL" "$T/chunks1/$c" "$T/resp1/.tmp")
	if [ "$code" = 507 ]; then
		FULL_AT=$c
		mv "$T/resp1/.tmp" "$T/full.json"
		break
	fi
	[ "$code" = 200 ] || fail "chunk $c: HTTP $code $(head -c 300 "$T/resp1/.tmp")"
	mv "$T/resp1/.tmp" "$T/resp1/$c.0"
	i=$((i + 1))
done
[ -n "$FULL_AT" ] || fail "no 507 after ${#CHUNKS[@]} chunks"
FILLED=$(head_seq)
echo "507 at chunk $FULL_AT after $i chunks, $FILLED events"
grep -q -F '"error":"journal full' "$T/full.json" ||
    fail "507 without 'journal full': $(head -c 300 "$T/full.json")"
[ "$i" -ge 5 ] || fail "only $i chunks fit in 4 MiB"
assert_eq "backlog with the hub down" "$FILLED" "$(agent_status 1 'd["backlog"]')"
assert_eq "acked_seq with the hub down" 0 "$(agent_status 1 'd["acked_seq"]')"
assert_eq "records kept with the hub down" "$FILLED" "$(records_kept)"
code=$(post "$URL" "$T/chunks1/$FULL_AT" "$T/resp1/.tmp")
assert_eq "the refused chunk again, hub down" 507 "$code"
assert_eq "head_seq after the second 507" "$FILLED" "$(head_seq)"
check_size "full"

say "hub up: catch up, prune, take new events"
start_hub
wait_until 90 caught_up 1
wait_until 10 kept_is 0
echo "ok: every acknowledged record pruned (0 kept)"
check_size "after the catch-up"
code=$(post "$URL" "$T/chunks1/$FULL_AT" "$T/resp1/.tmp")
[ "$code" = 200 ] || fail "the refused chunk after the pruning: HTTP $code $(head -c 300 "$T/resp1/.tmp")"
mv "$T/resp1/.tmp" "$T/resp1/$FULL_AT.0"
assert_eq "the refused chunk: all accepted" True \
    "$(json_get "$T/resp1/$FULL_AT.0" 'all(r["status"] == "accepted" for r in d["results"])')"
assert_eq "the refused chunk: first seq" $((FILLED + 1)) \
    "$(json_get "$T/resp1/$FULL_AT.0" 'd["results"][0]["seq"]')"

want=$(python3 -c 'import sys; print(int(float(sys.argv[1]) * int(sys.argv[2])))' "$REFILL" "$FILLED")
say "refill: $want events more, retrying any 507"
i=$((i + 1)) more=0 refused=0
while [ $more -lt "$want" ]; do
	[ $i -lt ${#CHUNKS[@]} ] || fail "out of chunks after $more events"
	c=${CHUNKS[$i]}
	echo "$c" >>"$T/sent1"
	tries=0
	while :; do
		code=$(post "$URL" "$T/chunks1/$c" "$T/resp1/.tmp")
		[ "$code" != 200 ] || break
		[ "$code" = 507 ] || fail "chunk $c: HTTP $code $(head -c 300 "$T/resp1/.tmp")"
		refused=$((refused + 1))
		tries=$((tries + 1))
		[ $tries -le 300 ] || fail "chunk $c: still 507 after 60 s"
		sleep 0.2
	done
	mv "$T/resp1/.tmp" "$T/resp1/$c.0"
	more=$((more + $(wc -l <"$T/chunks1/$c")))
	i=$((i + 1))
done
echo "took $more events more ($refused requests answered 507 on the way)"
wait_until 90 caught_up 1
wait_until 10 kept_is 0
check_size "at the end"
check_hub_site 1
dump_hub_ids
check_site 1 --complete
check_verify "$CHECKED"
figures "seed $SEED; filled at $FILLED events, then $more more; 507s while refilling: $refused"
