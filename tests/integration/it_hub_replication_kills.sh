#!/usr/bin/env bash
# Exactly-once replication under crashes (DESIGN §4.1, §4.3, §7): two
# clinics (sites 7 and 8) feed their agents a month of simulated events in
# paced chunks, retrying each chunk until the agent takes it, as a POS
# does; meanwhile the hub is killed -9 twice and restarted, and agent 8
# once. At the end every event is at the hub exactly once, in an unbroken
# chain: hwm = agent head = distinct events submitted = stored events.
#
# Knobs: IT_EVENTS (events per site, at least), IT_CHUNK (lines a
# request), IT_PACE (seconds between requests).
. "$(dirname "$0")/lib.sh"

N=${IT_EVENTS:-30000}
CHUNK=${IT_CHUNK:-500}
PACE=${IT_PACE:-0.05}

# head_at_least ID K: the agent has journaled K events or more.
head_at_least() {
	[ "$(agent_status "$1" 'd["head_seq"]')" -ge "$2" ]
}

# feed ID FILE: submit FILE in chunks, each retried until the agent takes
# it (the agent may be down); ids make a retry harmless.
feed() {
	local id=$1 url=${AGENT_URL[$1]} dir=$T/chunks$1 c tries
	mkdir -p "$dir"
	split -l "$CHUNK" -d -a 5 "$2" "$dir/c"
	for c in "$dir"/c*; do
		tries=0
		until "$MSOCTL" submit "$c" --agent "$url" --chunk "$CHUNK" \
		    >>"$T/submit$id.out" 2>&1; do
			tries=$((tries + 1))
			[ $tries -le 400 ] || { echo "feed $id: $c refused" >&2; return 1; }
			sleep 0.1
		done
		sleep "$PACE"
	done
}

make_hub 7 8
start_hub
start_agent 7
start_agent 8

say "simulating at least $N events per site"
days=30
rate=$(( (N + days - 1) / days + 50 ))
for id in 7 8; do
	"$MSOCTL" simulate --days $days --rate $rate --seed "$id" \
	    --end 2026-06-30 >"$T/site$id.ndjson"
	n=$(wc -l <"$T/site$id.ndjson")
	[ "$n" -ge "$N" ] || fail "simulator gave $n events for site $id, wanted >= $N"
	ids=$(python3 -c 'import json,sys; print(len({json.loads(l)["event_id"] for l in open(sys.argv[1])}))' "$T/site$id.ndjson")
	assert_eq "distinct event_ids for site $id" "$n" "$ids"
done
N7=$(wc -l <"$T/site7.ndjson")
N8=$(wc -l <"$T/site8.ndjson")

say "feeding both agents in the background"
feed 7 "$T/site7.ndjson" &
F7=$!
feed 8 "$T/site8.ndjson" &
F8=$!
PIDS+=("$F7" "$F8")	# a failed test stops them too

wait_until 60 head_at_least 7 $((N7 / 4))
say "kill -9 the hub (1st) at agent 7 head $(agent_status 7 'd["head_seq"]')"
kill9 "$HUB_PID"
sleep 0.5
start_hub

wait_until 60 head_at_least 7 $((N7 / 2))
say "kill -9 the hub (2nd) at agent 7 head $(agent_status 7 'd["head_seq"]'), hub hwm $(hub_site 7 's["hwm"]')"
kill9 "$HUB_PID"
sleep 0.5
start_hub

wait_until 60 head_at_least 8 $((3 * N8 / 4))
say "kill -9 agent 8 at head $(agent_status 8 'd["head_seq"]')"
kill9 "${AGENT_PID[8]}"
sleep 0.3
start_agent 8

wait "$F7" || fail "feeding site 7 failed"
wait "$F8" || fail "feeding site 8 failed"
say "all submitted; waiting for the hub to catch up"
wait_until 60 caught_up 7
wait_until 60 caught_up 8

for id in 7 8; do
	n=$(wc -l <"$T/site$id.ndjson")
	assert_eq "agent $id head_seq" "$n" "$(agent_status "$id" 'd["head_seq"]')"
	assert_eq "agent $id acked_seq" "$n" "$(agent_status "$id" 'd["acked_seq"]')"
	assert_eq "agent $id backlog" 0 "$(agent_status "$id" 'd["backlog"]')"
	assert_eq "hub hwm of site $id" "$n" "$(hub_site "$id" 's["hwm"]')"
	assert_eq "hub events of site $id" "$n" "$(hub_site "$id" 's["events"]')"
	assert_eq "hub duplicates of site $id" 0 "$(hub_site "$id" 's["duplicates"]')"
	assert_eq "hub epoch_ordinal of site $id" 1 "$(hub_site "$id" 's["epoch_ordinal"]')"
	assert_eq "hub chain of site $id" ok "$(hub_site "$id" 's["chain"]')"
	assert_eq "hub state of site $id" active "$(hub_site "$id" 's["state"]')"
done

"$MSOCTL" verify --hub "$HUB_URL" >"$T/verify.out" 2>&1 ||
    fail "msoctl verify exited non-zero: $(cat "$T/verify.out")"
curl -s -H "Authorization: Bearer $TOKEN" -o "$T/verify.json" \
    -w '%{http_code}' "$HUB_URL/v1/verify" >"$T/verify.code"
assert_eq "GET /v1/verify status" 200 "$(cat "$T/verify.code")"
assert_eq "verify ok" True "$(json_get "$T/verify.json" 'd["ok"]')"
assert_eq "verify events_checked" $((N7 + N8)) "$(json_get "$T/verify.json" 'd["events_checked"]')"
say "pass: $N7 + $N8 events, each once, after 2 hub and 1 agent kill -9"
