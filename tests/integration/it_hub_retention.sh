#!/usr/bin/env bash
# Retention (DESIGN §4.7): with retention_days = 0 an agent prunes every
# record the hub has acknowledged, yet still knows their event_ids (a
# retry is a duplicate, not a new event). What the hub has not
# acknowledged is never pruned: with the hub down, new records survive
# the agent's pruning (at every restart, as well as after acks) until the
# hub is back and has them all.
#
# Knobs: IT_PRE (events acked then pruned), IT_OFFLINE (events journaled
# while the hub is down).
. "$(dirname "$0")/lib.sh"

PRE=${IT_PRE:-1000}
OFFLINE=${IT_OFFLINE:-500}
command -v mdb_stat >/dev/null || fail "mdb_stat (lmdb-utils) is needed to look into the journal"

# records_kept: the number of records in agent 7's journal.
records_kept() {
	mdb_stat -s records "$T/agent7/journal" | awk '$1 == "Entries:" { print $2 }'
}
kept_is() { [ "$(records_kept)" = "$1" ]; }

make_hub 7
start_hub
start_agent 7 --retention-days 0

"$MSOCTL" simulate --days 30 --rate $(( (PRE + OFFLINE) / 30 + 20 )) --seed 7 \
    --end 2026-02-28 >"$T/all.ndjson"
[ "$(wc -l <"$T/all.ndjson")" -ge $((PRE + OFFLINE)) ] || fail "simulator gave too few events"
head -n "$PRE" "$T/all.ndjson" >"$T/pre.ndjson"
sed -n "$((PRE + 1)),$((PRE + OFFLINE))p" "$T/all.ndjson" >"$T/offline.ndjson"

assert_eq "submit" "accepted $PRE, duplicate 0, errors 0" \
    "$("$MSOCTL" submit "$T/pre.ndjson" --agent "${AGENT_URL[7]}")"
wait_until 30 caught_up 7
assert_eq "hub events" "$PRE" "$(hub_site 7 's["events"]')"
# the acked mark is saved within a second, and pruning follows it
wait_until 10 kept_is 0
echo "ok: every acknowledged record pruned from the journal (0 kept)"
assert_eq "agent head_seq after pruning" "$PRE" "$(agent_status 7 'd["head_seq"]')"

say "pruned events keep their ids: a retry is a duplicate"
head -n 100 "$T/pre.ndjson" >"$T/retry.ndjson"
assert_eq "re-submit of pruned events" "accepted 0, duplicate 100, errors 0" \
    "$("$MSOCTL" submit "$T/retry.ndjson" --agent "${AGENT_URL[7]}")"
assert_eq "agent head_seq after the retry" "$PRE" "$(agent_status 7 'd["head_seq"]')"
assert_eq "hub events after the retry" "$PRE" "$(hub_site 7 's["events"]')"

say "hub down: $OFFLINE new events must survive pruning"
kill9 "$HUB_PID"
assert_eq "submit with the hub down" "accepted $OFFLINE, duplicate 0, errors 0" \
    "$("$MSOCTL" submit "$T/offline.ndjson" --agent "${AGENT_URL[7]}")"
assert_eq "records kept, hub down" "$OFFLINE" "$(records_kept)"
# a restart prunes at once: it must stop at the acked mark
kill9 "${AGENT_PID[7]}"
start_agent 7 --retention-days 0
assert_eq "records kept after an agent restart, hub down" "$OFFLINE" "$(records_kept)"
assert_eq "agent backlog, hub down" "$OFFLINE" "$(agent_status 7 'd["backlog"]')"
assert_eq "agent acked_seq, hub down" "$PRE" "$(agent_status 7 'd["acked_seq"]')"

say "hub back: it gets every one of them"
start_hub
wait_until 60 caught_up 7
assert_eq "hub hwm" $((PRE + OFFLINE)) "$(hub_site 7 's["hwm"]')"
assert_eq "hub events" $((PRE + OFFLINE)) "$(hub_site 7 's["events"]')"
assert_eq "hub duplicates" 0 "$(hub_site 7 's["duplicates"]')"
wait_until 10 kept_is 0
echo "ok: pruned again once acknowledged"
curl -s -H "Authorization: Bearer $TOKEN" -o "$T/verify.json" \
    -w '%{http_code}' "$HUB_URL/v1/verify" >"$T/verify.code"
assert_eq "GET /v1/verify status" 200 "$(cat "$T/verify.code")"
assert_eq "verify events_checked" $((PRE + OFFLINE)) "$(json_get "$T/verify.json" 'd["events_checked"]')"
say "pass"
