#!/usr/bin/env bash
# Randomised crashes (DESIGN §4.1, §4.3, §4.4, §4.6): a hub and the agents
# of sites 1 and 2 while two clients a site submit simulated events (one
# feeding chunks of random sizes in order, each until a 200, one sending
# answered chunks again); a seeded schedule kills -9 a random daemon at a
# random moment of the stream, FAULT_KILLS times, and restarts it. After
# each restart (or every FAULT_CHECK_EVERY kills; 0: at the end only) the
# clients pause between two requests for the full check: every
# acknowledged event_id at the hub exactly once under the seq its agent
# answered, every site's hwm = its agent's head = the distinct events
# sent, chains whole, aggregates equal to a rebuild (msoctl verify).
#
# Knobs: FAULT_SEED (replay a run's schedule, chunks and events),
# FAULT_KILLS, FAULT_CHECK_EVERY, FAULT_CHUNK (most lines a request),
# FAULT_PACE (seconds between a client's requests), FAULT_EVENTS (events
# a site on hand; the clients stop early when the kills are done).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../fault/lib.sh"

KILLS=${FAULT_KILLS:-12}
EVERY=${FAULT_CHECK_EVERY:-1}
CHUNK=${FAULT_CHUNK:-100}
PACE=${FAULT_PACE:-0.03}
EVENTS=${FAULT_EVENTS:-$((KILLS * 4000))}
[ "$KILLS" -ge 3 ] || fail "FAULT_KILLS must be 3 or more"

fault_seed random_kills
make_hub 1 2
start_hub
start_agent 1
start_agent 2

make_chunks 1 "$EVENTS" "$CHUNK"
make_chunks 2 "$EVENTS" "$CHUNK"

# The schedule: every daemon at least once, the rest drawn; a delay of
# 0.2-2 s before each kill and a pause of 0-0.5 s before the restart.
python3 - "$SEED" "$KILLS" >"$T/schedule" <<'PY'
import random, sys
r = random.Random("kills/" + sys.argv[1])
who = ["hub", "1", "2"]
who += [r.choice(["hub", "1", "2"]) for _ in range(int(sys.argv[2]) - 3)]
r.shuffle(who)
for w in who:
    print("%.2f %s %.2f" % (r.uniform(0.2, 2.0), w, r.uniform(0.0, 0.5)))
PY
echo "schedule (delay, daemon, pause): $(tr '\n' ';' <"$T/schedule")"

heads() {
	local id
	for id in 1 2; do
		echo -n "agent $id $(agent_status "$id" \
		    '"head %d acked %d" % (d["head_seq"], d["acked_seq"])' \
		    2>/dev/null || echo down); "
	done
}

# full_check: with the clients held, the hub caught up and all of it
# checked; CHECKED is the events acknowledged so far.
CHECKS=0
full_check() {
	wait_until 120 caught_up 1
	wait_until 120 caught_up 2
	for id in 1 2; do
		check_hub_site "$id"
	done
	dump_hub_ids
	CHECKED=0
	check_site 1 --complete
	check_site 2 --complete
	check_verify "$CHECKED"
	CHECKS=$((CHECKS + 1))
}

mapfile -t SCHEDULE <"$T/schedule"
start_clients "$PACE" 1 2
for line in "${SCHEDULE[@]}"; do
	read -r delay who pause <<<"$line"
	sleep "$delay"
	KILLS_DONE=$((KILLS_DONE + 1))
	say "kill -9 #$KILLS_DONE: $who; $(heads)"
	if [ "$who" = hub ]; then
		kill9 "$HUB_PID"
		sleep "$pause"
		start_hub
	else
		kill9 "${AGENT_PID[$who]}"
		sleep "$pause"
		start_agent "$who"
	fi
	if [ "$EVERY" -gt 0 ] && [ $((KILLS_DONE % EVERY)) = 0 ] &&
	    [ "$KILLS_DONE" -lt "$KILLS" ]; then
		say "full check after kill #$KILLS_DONE"
		pause_clients 1 2
		full_check
		resume_clients
	fi
done
say "$KILLS_DONE kills done; $(heads)"
touch "$T/stop"
wait_clients 1 2
for id in 1 2; do
	echo "site $id: $(wc -l <"$T/sent$id") of $(find "$T/chunks$id" -type f | wc -l)" \
	    "chunks sent; requests refused or dropped, by HTTP code:" \
	    "$(cut -d' ' -f2 "$T/refused$id" 2>/dev/null | sort | uniq -c | tr -s ' \n' ' ')"
done
say "all sent; the last full check"
full_check
figures "seed $SEED; $CHECKS full checks"
