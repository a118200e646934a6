#!/usr/bin/env bash
# A hub that hangs (DESIGN §4.3, §4.7, §7): while the agents of sites 1
# and 2 take a stream of simulated events, the hub is stopped (SIGSTOP)
# for a few seconds and then continued. During the stop the agents keep
# accepting, and their status says the hub is behind (backlog > 0,
# lag_seconds > 0); after it they catch up by themselves: every
# acknowledged event at the hub once, hwm = head, chains and aggregates
# verified.
#
# Knobs: FAULT_SEED, FAULT_STOP_SECONDS (default drawn in 4-6),
# FAULT_CHUNK, FAULT_PACE, FAULT_EVENTS (events a site on hand).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../fault/lib.sh"

CHUNK=${FAULT_CHUNK:-100}
PACE=${FAULT_PACE:-0.03}
EVENTS=${FAULT_EVENTS:-30000}

fault_seed hub_stop
STOP=${FAULT_STOP_SECONDS:-$(rnd 4.0 6.0)}
make_hub 1 2
start_hub
start_agent 1
start_agent 2
make_chunks 1 "$EVENTS" "$CHUNK"
make_chunks 2 "$EVENTS" "$CHUNK"

# status_above ID FIELD N: the agent's status FIELD is above N.
status_above() {
	[ "$(agent_status "$1" "d[\"$2\"]")" -gt "$3" ]
}

# behind ID: the agent's status shows a backlog and a lag; keeps the
# largest seen in $T/behind<ID>.
behind() {
	agent_status "$1" '"%d %.3f" % (d["backlog"], d["lag_seconds"])' >"$T/now$1"
	read -r backlog lag <"$T/now$1"
	python3 - "$T/behind$1" "$backlog" "$lag" <<'PY'
import os, sys
path, b, l = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
if os.path.exists(path):
    ob, ol = open(path).read().split()
    b, l = max(b, int(ob)), max(l, float(ol))
open(path, "w").write("%d %.3f\n" % (b, l))
PY
}

start_clients "$PACE" 1 2
wait_until 30 status_above 1 head_seq 2000
say "stopping the hub for $STOP s at hwm $(hub_site 1 's["hwm"]') and $(hub_site 2 's["hwm"]')"
kill -STOP "$HUB_PID"
t0=$(date +%s.%N)
before1=$(agent_status 1 'd["head_seq"]')
before2=$(agent_status 2 'd["head_seq"]')
while python3 -c 'import sys,time; sys.exit(time.time() - float(sys.argv[1]) >= float(sys.argv[2]))' "$t0" "$STOP"; do
	behind 1
	behind 2
	sleep 0.2
done
for id in 1 2; do
	read -r b l <"$T/behind$id"
	echo "site $id during the stop: largest backlog $b, largest lag_seconds $l"
	[ "$b" -gt 0 ] || fail "site $id: no backlog while the hub was stopped"
	python3 -c 'import sys; sys.exit(not float(sys.argv[1]) > 0)' "$l" ||
	    fail "site $id: lag_seconds stayed 0 while the hub was stopped"
done
[ "$(agent_status 1 'd["head_seq"]')" -gt "$before1" ] ||
    fail "agent 1 accepted nothing while the hub was stopped"
[ "$(agent_status 2 'd["head_seq"]')" -gt "$before2" ] ||
    fail "agent 2 accepted nothing while the hub was stopped"
echo "ok: both agents kept accepting while the hub was stopped"
kill -CONT "$HUB_PID"
say "hub continued"

# a little more of the stream after the stop, then the clients stop
wait_until 30 status_above 1 acked_seq "$before1"
sleep 2
touch "$T/stop"
wait_clients 1 2
wait_until 60 caught_up 1
wait_until 60 caught_up 2
for id in 1 2; do
	check_hub_site "$id"
	assert_eq "site $id: lag_seconds after catch-up" 0.0 \
	    "$(agent_status "$id" 'float(d["lag_seconds"])')"
done
dump_hub_ids
check_site 1 --complete
check_site 2 --complete
check_verify "$CHECKED"
figures "seed $SEED; hub stopped $STOP s; largest backlog $(cut -d' ' -f1 "$T/behind1")" \
    "and $(cut -d' ' -f1 "$T/behind2"), largest lag $(cut -d' ' -f2 "$T/behind1") s" \
    "and $(cut -d' ' -f2 "$T/behind2") s"
