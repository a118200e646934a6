#!/usr/bin/env bash
# The hub's store budget reached (DESIGN §4.3, §4.7, §8): a hub with a
# small store_max_mb takes the streams of sites 1 and 2 until its store is
# full. It then refuses to ack (reject{full}, counted in /metrics), stays
# up and keeps answering; the agents keep their backlog, and nothing moves
# while the space is gone. "Space returns": the hub restarts with a larger
# budget, the agents come back by themselves and catch up, and every
# acknowledged event is at the hub once, chains and aggregates verified.
#
# Knobs: FAULT_SEED, FAULT_STORE_MB (the small budget; at about 280 bytes
# an event at the hub, 8 MiB holds some 28,000), FAULT_EVENTS (per site;
# together more than the small budget holds), FAULT_CHUNK.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../fault/lib.sh"

SMALL=${FAULT_STORE_MB:-8}
LARGE=$((SMALL * 8))
EVENTS=${FAULT_EVENTS:-25000}
CHUNK=${FAULT_CHUNK:-500}

metric() {	# metric NAME: a sample of the hub's /metrics, 0 when absent
	curl -sf "$HUB_URL/metrics" | awk -v m="$1" '$1 == m { v = $2 } END { print v + 0 }'
}
full_rejects() { metric 'msosync_hub_rejects_total{code="full"}'; }
refusing() { [ "$(full_rejects)" -gt 0 ]; }
# marks: each site's hub hwm, agent acked_seq and backlog, on one line
marks() {
	local id
	for id in 1 2; do
		echo -n "$(hub_site "$id" 's["hwm"]') $(agent_status "$id" '"%d %d" % (d["acked_seq"], d["backlog"])') "
	done
}

fault_seed store_full
make_hub 1 2
start_hub --store-max-mb "$SMALL"
start_agent 1
start_agent 2
make_chunks 1 "$EVENTS" "$CHUNK"
make_chunks 2 "$EVENTS" "$CHUNK"

say "streaming $EVENTS events a site into a hub of $SMALL MiB"
start_clients 0 1 2
wait_clients 1 2
wait_until 60 refusing
echo "ok: the hub refuses to ack: rejects{code=\"full\"} = $(full_rejects)"
# A batch that one transaction with another could not hold may still fit
# alone, once: wait for the marks to hold still for 3 s (the agents try
# again every 10-30 s), then look.
m1=$(marks) tries=0
while :; do
	sleep 3
	m0=$m1
	m1=$(marks)
	[ "$m0" != "$m1" ] || break
	tries=$((tries + 1))
	[ $tries -lt 30 ] || fail "the marks keep moving with the store full: $m0 / $m1"
done
echo "ok: marks (hub hwm, agent acked, backlog) unchanged for 3 s while full: $m1"
read -r hwm1 acked1 backlog1 hwm2 acked2 backlog2 <<<"$m1"
echo "site 1: hub hwm $hwm1, agent acked $acked1, backlog $backlog1;" \
    "site 2: hub hwm $hwm2, agent acked $acked2, backlog $backlog2"
[ "$backlog1" -gt 0 ] || fail "agent 1 has no backlog while the hub is full"
[ "$backlog2" -gt 0 ] || fail "agent 2 has no backlog while the hub is full"
# The agent's acked mark is saved lazily and may lag the hub's last ack;
# it must never be ahead of what the hub holds.
[ "$acked1" -le "$hwm1" ] || fail "site 1: agent acked $acked1 > hub hwm $hwm1"
[ "$acked2" -le "$hwm2" ] || fail "site 2: agent acked $acked2 > hub hwm $hwm2"
echo "ok: no agent believes the hub holds more than it does"
for id in 1 2; do
	assert_eq "site $id: head = acked + backlog while full" \
	    "$(agent_status "$id" 'd["head_seq"]')" \
	    "$(agent_status "$id" 'd["acked_seq"] + d["backlog"]')"
	[ "$(hub_site "$id" 's["hwm"]')" -lt "$(agent_status "$id" 'd["head_seq"]')" ] ||
	    fail "site $id: the hub holds all of its events, yet refuses"
done
http_ok "$HUB_URL/healthz" || fail "the hub is down while full"
used=$(metric msosync_hub_store_bytes)
[ "$used" -le $((SMALL << 20)) ] || fail "store uses $used bytes, budget $((SMALL << 20))"
echo "ok: store $used bytes <= $((SMALL << 20)); hub still up"
HELD=$((hwm1 + hwm2))
check_verify "$HELD"
grep -q 'store is full\|store: .*full' "$T/hub.log" || fail "no word of the full store in the hub's log"

say "space returns: the hub restarts with $LARGE MiB"
kill -TERM "$HUB_PID"
exited "$HUB_PID"
assert_eq "hub exit status on SIGTERM" 0 "$EXIT_RC"
start_hub --store-max-mb "$LARGE"
wait_until 90 caught_up 1
wait_until 90 caught_up 2
for id in 1 2; do
	check_hub_site "$id"
done
assert_eq "rejects{code=\"full\"} after the restart" 0 "$(full_rejects)"
dump_hub_ids
check_site 1 --complete
check_site 2 --complete
check_verify "$CHECKED"
figures "seed $SEED; full at $HELD events in $SMALL MiB"
