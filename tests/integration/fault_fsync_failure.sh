#!/usr/bin/env bash
# Storage failures under the daemons (DESIGN §4.1, §4.3, §8a): the fault
# shim (tests/fault/shim.c, LD_PRELOAD) makes every fsync/fdatasync, or
# every write, of the LMDB file fail with EIO from the N-th on, N drawn
# from the seed. Four runs:
#   agent, fsync and write (sites 1 and 2, no hub): chunks go in one by
#     one until one is not answered 200 (500, or the connection drops);
#     the agent exits 1 saying "storage failure". Restarted without the
#     shim it still holds every event it answered accepted: each chunk
#     answered before comes back all duplicates, same seqs.
#   hub, fsync then write (sites 3 and 4 streaming): the hub exits 1
#     saying "storage failure". With the agents held still (SIGSTOP), the
#     hub restarted without the shim holds at least every seq an agent
#     had seen acknowledged: the failing commit was never acked. Then the
#     agents go on and catch up: every acknowledged event at the hub once,
#     chains and aggregates verified.
#
# Knobs: FAULT_SEED, FAULT_CHUNK (most lines a request), FAULT_PACE;
# FAULT_AGENT_FSYNC_AFTER, FAULT_AGENT_WRITE_AFTER, FAULT_HUB_FSYNC_AFTER,
# FAULT_HUB_WRITE_AFTER (N of each run, instead of drawn).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../fault/lib.sh"

CHUNK=${FAULT_CHUNK:-300}
PACE=${FAULT_PACE:-0.03}
FAILURES=0

fault_seed fsync_failure
[ -f "$SHIM" ] || fail "no fault shim at $SHIM (build target msosync_fault_shim)"

hwm_above() { [ "$(hub_site "$1" 's["hwm"]')" -gt "$2" ]; }

# storage_failed WHO LOG FROM: the daemon's log, from line FROM on, names
# the failure, and the shim's line says it did inject one.
storage_failed() {
	tail -n "+$3" "$2" >"$T/run.log"
	grep -q "fault shim: .* fails with EIO" "$T/run.log" ||
	    fail "$1: the shim injected nothing (see $2)"
	grep -q "storage failure" "$T/run.log" ||
	    fail "$1: no 'storage failure' in $2"
	echo "ok: $1 logged: $(grep -m1 'error: .*storage failure' "$T/run.log")"
	FAILURES=$((FAILURES + 1))
}

# agent_run ID VAR N: an agent of site ID, without hub, under the shim
# with VAR=N, until a chunk fails; then the checks above.
agent_run() {
	local id=$1 var=$2 n=$3 c code failed='' taken=0
	say "agent $id under the shim, $var=$n"
	make_chunks "$id" 5000 "$CHUNK"
	shim_wrap "agent$id-shim" "$AGENT" "$var=$n"
	AGENT=$T/agent$id-shim NOHUB=1 start_agent "$id"
	for c in "$T/chunks$id"/c*; do
		c=${c##*/}
		echo "$c" >>"$T/sent$id"
		code=$(post "${AGENT_URL[$id]}" "$T/chunks$id/$c" "$T/resp$id/.tmp")
		if [ "$code" != 200 ]; then
			failed=$c
			break
		fi
		mv "$T/resp$id/.tmp" "$T/resp$id/$c.0"
		taken=$((taken + 1))
	done
	[ -n "$failed" ] || fail "agent $id: every chunk taken under the shim"
	[ "$taken" -ge 1 ] || fail "agent $id: failed before any chunk ($var=$n)"
	case $code in
	500|000) echo "ok: chunk $failed answered $code after $taken chunks taken" ;;
	*) fail "chunk $failed: HTTP $code $(head -c 300 "$T/resp$id/.tmp")" ;;
	esac
	exited "${AGENT_PID[$id]}"
	assert_eq "agent $id exit status" 1 "$EXIT_RC"
	storage_failed "agent $id" "$T/agent$id.log" 1

	NOHUB=1 start_agent "$id"
	local answered=("$T/resp$id"/c*.0) f
	for f in "${answered[@]}"; do
		c=${f##*/}
		c=${c%.0}
		code=$(post "${AGENT_URL[$id]}" "$T/chunks$id/$c" "$T/resp$id/$c.again")
		[ "$code" = 200 ] || fail "agent $id: chunk $c again: HTTP $code"
	done
	python3 - "$T/resp$id" <<'PY' || fail "agent $id: an acknowledged event was not kept"
import glob, json, sys
for f in glob.glob(sys.argv[1] + "/*.again"):
    for r in json.load(open(f))["results"]:
        if r["status"] != "duplicate":
            sys.exit("%s: %s is %s after the restart" % (f, r["event_id"], r["status"]))
PY
	echo "ok: ${#answered[@]} chunks answered before the failure: all duplicates after the restart"
	code=$(post "${AGENT_URL[$id]}" "$T/chunks$id/$failed" "$T/resp$id/$failed.0")
	assert_eq "agent $id: the failed chunk, sent again" 200 "$code"
	echo "the failed chunk, sent again: $(json_get "$T/resp$id/$failed.0" \
	    '", ".join(sorted({r["status"] for r in d["results"]}))')"
	NOHUB=1 check_site "$id" --complete
}

# hub_run VAR N: the hub under the shim with VAR=N while sites 3 and 4
# stream; then the checks above. Leaves a hub without the shim running.
hub_run() {
	local var=$1 n=$2 id from
	declare -A acked
	say "hub under the shim, $var=$n"
	from=$(($(wc -l <"$T/hub.log") + 1))
	shim_wrap hub-shim "$HUB" "$var=$n"
	# it may fail at its first commit: let it answer /healthz first
	for id in 3 4; do
		kill -STOP "${AGENT_PID[$id]}"
	done
	HUB=$T/hub-shim start_hub
	for id in 3 4; do
		kill -CONT "${AGENT_PID[$id]}"
	done
	exited "$HUB_PID"
	assert_eq "hub exit status" 1 "$EXIT_RC"
	storage_failed hub "$T/hub.log" "$from"
	# the agents save the hub's last ack within a tick
	sleep 1.5
	for id in 3 4; do
		acked[$id]=$(agent_status "$id" 'd["acked_seq"]')
		kill -STOP "${AGENT_PID[$id]}"
	done
	start_hub
	for id in 3 4; do
		local hwm
		hwm=$(hub_site "$id" 's["hwm"]')
		[ "$hwm" -ge "${acked[$id]}" ] ||
		    fail "site $id: the hub acked seq ${acked[$id]} but holds only $hwm"
		echo "ok: site $id: acked ${acked[$id]} <= hwm $hwm after the restart"
		kill -CONT "${AGENT_PID[$id]}"
	done
}

# N for each run: drawn, or given
# (a new journal takes 1 fsync and 3 writes to create; a hub opening its
# store takes none, and its first commit is that of the agents' hellos)
n_agent_fsync=$(rnd 3 12)
n_agent_write=$(rnd 10 40)
n_hub_fsync=$(rnd 1 20)
n_hub_write=$(rnd 1 60)
n_agent_fsync=${FAULT_AGENT_FSYNC_AFTER:-$n_agent_fsync}
n_agent_write=${FAULT_AGENT_WRITE_AFTER:-$n_agent_write}
n_hub_fsync=${FAULT_HUB_FSYNC_AFTER:-$n_hub_fsync}
n_hub_write=${FAULT_HUB_WRITE_AFTER:-$n_hub_write}

agent_run 1 MSOSYNC_FAULT_FSYNC_AFTER "$n_agent_fsync"
agent_run 2 MSOSYNC_FAULT_WRITE_AFTER "$n_agent_write"

make_hub 3 4
start_hub
start_agent 3
start_agent 4
make_chunks 3 60000 "$CHUNK"
make_chunks 4 60000 "$CHUNK"
start_clients "$PACE" 3 4
wait_until 30 hwm_above 3 0
kill -TERM "$HUB_PID"
exited "$HUB_PID"
assert_eq "hub exit status on SIGTERM" 0 "$EXIT_RC"
hub_run MSOSYNC_FAULT_FSYNC_AFTER "$n_hub_fsync"
wait_until 60 hwm_above 3 "$(hub_site 3 's["hwm"]')"
kill -TERM "$HUB_PID"
exited "$HUB_PID"
assert_eq "hub exit status on SIGTERM" 0 "$EXIT_RC"
hub_run MSOSYNC_FAULT_WRITE_AFTER "$n_hub_write"
sleep 2
touch "$T/stop"
wait_clients 3 4
wait_until 90 caught_up 3
wait_until 90 caught_up 4
for id in 3 4; do
	check_hub_site "$id"
done
dump_hub_ids
check_site 3 --complete
check_site 4 --complete
check_verify $(($(hub_site 3 's["events"]') + $(hub_site 4 's["events"]')))
figures "seed $SEED; $FAILURES storage failures injected, each reported" \
    "with exit 1 and none acknowledged"
