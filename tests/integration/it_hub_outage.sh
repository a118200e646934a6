#!/usr/bin/env bash
# Offline first (DESIGN §4.7, §4.3): with the hub down the agents of
# sites 7 and 8 keep journaling; their status says how far behind the hub
# is (backlog, lag_seconds, the link down). When the hub comes back they
# catch up by themselves, and the hub holds every event once. The hub
# comes back with a 1 MiB receive queue, so the catch-up runs through its
# read pauses (the backpressure that bounds its memory) and still loses
# and doubles nothing.
#
# Knobs: IT_PRE (events per site before the outage), IT_OUTAGE_EVENTS
# (events per site journaled while the hub is down).
. "$(dirname "$0")/lib.sh"

PRE=${IT_PRE:-1000}
MORE=${IT_OUTAGE_EVENTS:-10000}

link_down() {
	[ "$(agent_status "$1" 'd["hub"]["connected"]')" = False ]
}
lagging() {
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' \
	    "$(agent_status "$1" 'd["lag_seconds"]')"
}

make_hub 7 8
start_hub
start_agent 7
start_agent 8

for id in 7 8; do
	"$MSOCTL" simulate --days 60 --rate $(( (PRE + MORE) / 60 + 50 )) \
	    --seed "$id" --end 2026-03-31 >"$T/all$id.ndjson"
	[ "$(wc -l <"$T/all$id.ndjson")" -ge $((PRE + MORE)) ] ||
	    fail "simulator gave too few events for site $id"
	head -n "$PRE" "$T/all$id.ndjson" >"$T/pre$id.ndjson"
	sed -n "$((PRE + 1)),$((PRE + MORE))p" "$T/all$id.ndjson" >"$T/more$id.ndjson"
	assert_eq "outage file lines, site $id" "$MORE" "$(wc -l <"$T/more$id.ndjson")"
	"$MSOCTL" submit "$T/pre$id.ndjson" --agent "${AGENT_URL[$id]}" >/dev/null
done
wait_until 30 caught_up 7
wait_until 30 caught_up 8
for id in 7 8; do
	assert_eq "hub events of site $id before the outage" "$PRE" "$(hub_site "$id" 's["events"]')"
done

say "hub down; $MORE more events per site"
kill9 "$HUB_PID"
for id in 7 8; do
	out=$("$MSOCTL" submit "$T/more$id.ndjson" --agent "${AGENT_URL[$id]}")
	assert_eq "submit with the hub down, site $id" \
	    "accepted $MORE, duplicate 0, errors 0" "$out"
done
for id in 7 8; do
	assert_eq "agent $id head_seq, hub down" $((PRE + MORE)) "$(agent_status "$id" 'd["head_seq"]')"
	assert_eq "agent $id acked_seq, hub down" "$PRE" "$(agent_status "$id" 'd["acked_seq"]')"
	assert_eq "agent $id backlog, hub down" "$MORE" "$(agent_status "$id" 'd["backlog"]')"
	wait_until 10 lagging "$id"
	echo "ok: agent $id lag_seconds = $(agent_status "$id" 'd["lag_seconds"]') > 0"
done
# an agent notices within its ack timeout that nobody answers
wait_until 30 link_down 7
wait_until 30 link_down 8
echo "ok: both agents report the hub link down"
"$MSOCTL" status --agent "${AGENT_URL[7]}" --format json >"$T/status7.json"
assert_eq "msoctl status backlog, site 7" "$MORE" "$(json_get "$T/status7.json" 'd["backlog"]')"
for id in 7 8; do
	assert_eq "agent $id backlog still" "$MORE" "$(agent_status "$id" 'd["backlog"]')"
done

say "hub back, with a 1 MiB receive queue"
start_hub --receive-queue-max-mb 1
wait_until 60 caught_up 7
wait_until 60 caught_up 8
for id in 7 8; do
	assert_eq "agent $id backlog after catch-up" 0 "$(agent_status "$id" 'd["backlog"]')"
	assert_eq "agent $id lag_seconds after catch-up" 0.0 "$(agent_status "$id" 'float(d["lag_seconds"])')"
	assert_eq "hub hwm of site $id" $((PRE + MORE)) "$(hub_site "$id" 's["hwm"]')"
	assert_eq "hub events of site $id (= head, nothing doubled)" \
	    "$(agent_status "$id" 'd["head_seq"]')" "$(hub_site "$id" 's["events"]')"
	assert_eq "hub events of site $id" $((PRE + MORE)) "$(hub_site "$id" 's["events"]')"
	assert_eq "hub duplicates of site $id" 0 "$(hub_site "$id" 's["duplicates"]')"
	assert_eq "hub chain of site $id" ok "$(hub_site "$id" 's["chain"]')"
done
curl -s -H "Authorization: Bearer $TOKEN" -o "$T/verify.json" \
    -w '%{http_code}' "$HUB_URL/v1/verify" >"$T/verify.code"
assert_eq "GET /v1/verify status" 200 "$(cat "$T/verify.code")"
assert_eq "verify events_checked" $((2 * (PRE + MORE))) "$(json_get "$T/verify.json" 'd["events_checked"]')"
pauses=$(curl -sf "$HUB_URL/metrics" | awk '$1 == "msosync_hub_read_pauses_total" { print $2 }')
[ "${pauses:-0}" -ge 1 ] || fail "the catch-up never paused reading (read_pauses_total '${pauses}')"
echo "ok: reading paused $pauses times at the 1 MiB bound"
say "pass"
