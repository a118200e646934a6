# Shared by the fault scenarios (tests/integration/fault_*.sh), sourced
# after tests/integration/lib.sh: a seed that replays a run, simulated
# events cut into chunks of random sizes, clients that submit them as a
# POS does (each chunk again and again until a 200 answers it), and the
# exact final check of what the agents and the hub hold (check.py).
#
# Every 200 answer is kept as $T/resp<ID>/<chunk>.<n>: an event counts as
# acknowledged once one of them names it, and every answer, first or
# repeated, must give it the same seq.

FAULT_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHIM=$B/tests/fault/libmsosync_fault_shim.so
KILLS_DONE=0

# fault_seed SCENARIO: SEED is FAULT_SEED or a fresh one; printed so that
# a failing run can be replayed.
fault_seed() {
	SCENARIO=$1
	SEED=${FAULT_SEED:-$(($(od -An -N4 -tu4 /dev/urandom) % 1000000000))}
	echo "fault: $SCENARIO: seed $SEED (replay with FAULT_SEED=$SEED)"
}

# rnd LO HI: a number drawn from the seeded stream, LO <= x <= HI (floats
# when either has a dot). The stream is python's, keyed by SEED and by how
# many draws came before in this shell, so a replay draws the same.
RND_N=0
rnd() {
	RND_N=$((RND_N + 1))
	python3 -c 'import random,sys
r = random.Random("%s/%s" % (sys.argv[1], sys.argv[2]))
lo, hi = sys.argv[3], sys.argv[4]
print("%.2f" % r.uniform(float(lo), float(hi)) if "." in lo + hi
    else r.randint(int(lo), int(hi)))' "$SEED" "$RND_N" "$1" "$2"
}

# make_chunks ID N MAXLINES: N simulated events for site ID (the seed's)
# in $T/site<ID>.ndjson, cut into $T/chunks<ID>/c00000 ... of 1 to
# MAXLINES lines each, sizes drawn from the seed. Sets NCHUNKS.
make_chunks() {
	local id=$1 n=$2 max=$3 days=30
	# a tenth more than needed: a day's count varies around the rate
	"$MSOCTL" simulate --days $days --rate $(((n + days - 1) / days * 11 / 10 + 50)) \
	    --seed $((SEED % 100000 * 10 + id)) \
	    --end "$(date -u -d yesterday +%F)" >"$T/sim$id.ndjson"
	head -n "$n" "$T/sim$id.ndjson" >"$T/site$id.ndjson"
	[ "$(wc -l <"$T/site$id.ndjson")" = "$n" ] ||
	    fail "the simulator gave fewer than $n events for site $id"
	mkdir -p "$T/chunks$id" "$T/resp$id"
	NCHUNKS=$(python3 - "$T/site$id.ndjson" "$T/chunks$id" "$max" \
	    "$SEED/$id" <<'PY'
import random, sys
src, out, most, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
r = random.Random(key)
lines = open(src).readlines()
i = k = 0
while i < len(lines):
    n = r.randint(1, most)
    with open("%s/c%05d" % (out, k), "w") as f:
        f.writelines(lines[i:i + n])
    i += n
    k += 1
print(k)
PY
)
}

# post URL FILE OUT: one request; prints the HTTP code (000 when the
# connection failed or dropped), the body in OUT.
post() {
	local code
	code=$(curl -s -o "$3" -w '%{http_code}' --max-time 15 \
	    --data-binary @"$2" "$1/v1/events" 2>/dev/null) || true
	echo "${code:-000}"
}

# hold ID WHO: a client's pause between two requests: while $T/pause
# exists, say so in $T/held<ID>.<WHO> (with the pause's number) and wait.
hold() {
	local n
	while [ -e "$T/pause" ]; do
		n=$(cat "$T/pause" 2>/dev/null) || continue
		echo "$n" >"$T/held$1.$2"
		sleep 0.05
	done
}

# feed ID PACE: the POS of site ID. Submits its chunks in order, each until
# a 200 answers it (the agent may be down, restarting or full), then
# sleeps PACE seconds; holds between chunks during a pause, and stops
# there once $T/stop exists. Each chunk's name goes to $T/sent<ID> before
# it is first sent; non-200 answers are tallied in $T/refused<ID>.
# Touches $T/fed<ID> at the end.
feed() {
	local id=$1 pace=$2 c name code tries
	for c in "$T/chunks$id"/c*; do
		hold "$id" f
		[ ! -e "$T/stop" ] || break
		name=${c##*/}
		echo "$name" >>"$T/sent$id"
		tries=0
		while :; do
			code=$(post "${AGENT_URL[$id]}" "$c" "$T/resp$id/.tmp.f")
			if [ "$code" = 200 ]; then
				mv "$T/resp$id/.tmp.f" "$T/resp$id/$name.0"
				break
			fi
			echo "$name $code" >>"$T/refused$id"
			tries=$((tries + 1))
			[ $tries -le 1200 ] ||
			    { echo "feed $id: $name never taken" >&2; return 1; }
			sleep 0.1
		done
		sleep "$pace"
	done
	touch "$T/fed$id"
}

# resubmit ID: a second client of site ID that, until the feed is done,
# sends again a chunk already answered (a POS that retries after a
# timeout): its answers must be all duplicates with the first seqs.
resubmit() {
	local id=$1 n=0 done_chunks pick code
	RANDOM=$((SEED + id))
	while [ ! -e "$T/fed$id" ]; do
		hold "$id" r
		done_chunks=("$T/resp$id"/c*.0)
		if [ -e "${done_chunks[0]}" ]; then
			pick=${done_chunks[RANDOM % ${#done_chunks[@]}]}
			pick=${pick##*/}
			pick=${pick%.0}
			code=$(post "${AGENT_URL[$id]}" "$T/chunks$id/$pick" \
			    "$T/resp$id/.tmp.r")
			if [ "$code" = 200 ]; then
				n=$((n + 1))
				mv "$T/resp$id/.tmp.r" "$T/resp$id/$pick.r$n"
			fi
		fi
		sleep 0.2
	done
}

# start_clients PACE ID...: feed and resubmit for each site, in the
# background.
declare -A FEEDER RESUBMITTER
start_clients() {
	local pace=$1 id
	shift
	for id in "$@"; do
		feed "$id" "$pace" &
		FEEDER[$id]=$!
		PIDS+=("$!")
		resubmit "$id" &
		RESUBMITTER[$id]=$!
		PIDS+=("$!")
	done
}

# pause_clients ID...: every client of these sites between two requests
# and holding there (or done), until resume_clients.
PAUSES=0
held() {
	local id who
	for id in "$@"; do
		[ ! -e "$T/fed$id" ] || continue
		for who in f r; do
			[ "$(cat "$T/held$id.$who" 2>/dev/null)" = "$PAUSES" ] || return 1
		done
	done
}
pause_clients() {
	PAUSES=$((PAUSES + 1))
	echo "$PAUSES" >"$T/pause"
	wait_until 60 held "$@"
}
resume_clients() {
	rm -f "$T/pause"
}

# wait_clients ID...: every chunk of these sites taken.
wait_clients() {
	local id
	for id in "$@"; do
		wait "${FEEDER[$id]}" || fail "feeding site $id failed"
		wait "${RESUBMITTER[$id]}" || true
	done
}

# dump_hub_ids: the hub's event_id index, as mdb_dump prints it.
dump_hub_ids() {
	mdb_dump -s ids "$T/hub.d/hub" >"$T/hub-ids.dump" ||
	    fail "mdb_dump of the hub's ids failed"
}

# check_site ID [CHECK.PY FLAGS]: check.py over site ID: every acknowledged
# event_id at the hub once, with its agent seq; nothing doubled at the
# agent or the hub. Needs dump_hub_ids first, or NOHUB=1 for an agent
# alone. Adds to CHECKED, LOST, DOUBLED.
CHECKED=0 LOST=0 DOUBLED=0
check_site() {
	local id=$1 out hub=() n lost doubled
	shift
	[ -e "$T/sent$id" ] || : >"$T/sent$id"
	if [ -z "${NOHUB:-}" ]; then
		hub=(--hub-events "$(hub_site "$id" 's["events"]')"
		    --hub-dups "$(hub_site "$id" 's["duplicates"]')"
		    --ids-dump "$T/hub-ids.dump")
	fi
	out=$(python3 "$FAULT_LIB/check.py" --site "$id" \
	    --chunks "$T/chunks$id" --sent "$T/sent$id" --resp "$T/resp$id" \
	    --head "$(agent_status "$id" 'd["head_seq"]')" "${hub[@]}" "$@") ||
	    fail "site $id: $out"
	echo "$out" | sed '$d'
	read -r n lost doubled <<<"$(echo "$out" | tail -n 1)"
	CHECKED=$((CHECKED + n))
	LOST=$((LOST + lost))
	DOUBLED=$((DOUBLED + doubled))
}

# check_hub_site ID: the hub's side of site ID equals its agent's head,
# the chain is whole and nothing was skipped as a duplicate; and the agent
# never found the hub's mark behind one the hub had acknowledged (an ack
# the hub then lost).
check_hub_site() {
	local id=$1 v
	! grep -h "behind the journal's acked mark" "$T/agent$id.log" ||
	    fail "site $id: the hub lost what it had acknowledged"
	curl -sf "${AGENT_URL[$id]}/v1/status" >"$T/status$id.json" ||
	    fail "site $id: no agent status"
	curl -sf -H "Authorization: Bearer $TOKEN" "$HUB_URL/v1/sites" \
	    >"$T/sites.json" || fail "no /v1/sites from the hub"
	mapfile -t v < <(python3 - "$T/status$id.json" "$T/sites.json" "$id" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
s = [x for x in json.load(open(sys.argv[2]))["sites"]
     if x["site_id"] == int(sys.argv[3])][0]
for x in (a["head_seq"], a["acked_seq"], a["backlog"], s["hwm"], s["events"],
          s["duplicates"], s["epoch_ordinal"], s["chain"], s["state"]):
    print(x)
PY
)
	[ "${#v[@]}" = 9 ] || fail "site $id: cannot read the status and sites"
	assert_eq "site $id: agent acked_seq = head_seq" "${v[0]}" "${v[1]}"
	assert_eq "site $id: agent backlog" 0 "${v[2]}"
	assert_eq "site $id: hub hwm = agent head_seq" "${v[0]}" "${v[3]}"
	assert_eq "site $id: hub events = agent head_seq" "${v[0]}" "${v[4]}"
	assert_eq "site $id: hub duplicates" 0 "${v[5]}"
	assert_eq "site $id: hub epoch_ordinal" 1 "${v[6]}"
	assert_eq "site $id: hub chain" ok "${v[7]}"
	assert_eq "site $id: hub state" active "${v[8]}"
}

# check_verify TOTAL: msoctl verify agrees (chains and aggregates rebuilt
# equal) and checked TOTAL events.
check_verify() {
	local v
	"$MSOCTL" verify --hub "$HUB_URL" --format json >"$T/verify.json" \
	    2>"$T/verify.err" || fail "msoctl verify exited non-zero:" \
	    "$(cat "$T/verify.err") $(head -c 2000 "$T/verify.json")"
	v=$(json_get "$T/verify.json" \
	    '"%s %d %d %d" % (d["ok"], d["events_checked"], d["chain_problems"], d["aggregate_differences"])')
	assert_eq "msoctl verify: exit 0, ok, events checked, chain problems, aggregate differences" \
	    "True $1 0 0" "$v"
}

# figures [NOTE...]: the scenario's one line of figures; lost and doubled
# must be 0 to get here, and are asserted once more. ctest shows a passing
# test's output only with -V, so the line is also left in
# $MSOSYNC_BIN/tests/fault/figures/<scenario>.txt for a runner to print.
figures() {
	local note="$*" line
	assert_eq "lost" 0 "$LOST"
	assert_eq "doubled" 0 "$DOUBLED"
	line="fault: $SCENARIO: kills survived $KILLS_DONE, events checked $CHECKED, lost $LOST, doubled $DOUBLED${note:+ ($note)}"
	echo "$line"
	mkdir -p "$B/tests/fault/figures"
	echo "$line" >"$B/tests/fault/figures/$SCENARIO.txt"
}

# shim_wrap NAME BIN VAR=VALUE...: an executable $T/NAME that runs BIN
# under the fault shim with these variables (exec: its PID is the
# daemon's). Under AddressSanitizer the preloaded shim comes before the
# sanitizer's runtime, which ASan refuses unless told.
shim_wrap() {
	local name=$1 bin=$2 asan=
	shift 2
	[ -f "$SHIM" ] || fail "no fault shim at $SHIM (build target msosync_fault_shim)"
	# (grep -q would quit early, and pipefail count ldd's SIGPIPE)
	if ldd "$bin" | grep 'libasan' >/dev/null; then
		asan="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	fi
	{
		echo '#!/bin/sh'
		echo "exec env LD_PRELOAD=$SHIM $asan $* $bin \"\$@\""
	} >"$T/$name"
	chmod +x "$T/$name"
}

# gone PID: the process has exited (a child not yet reaped is a zombie).
gone() {
	[ ! -e "/proc/$1/stat" ] ||
	    [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" = Z ]
}

# exited PID: waits (30 s at most) for a child that is exiting; its exit
# status in EXIT_RC. (Not in $(...): only this shell can reap its child.)
exited() {
	EXIT_RC=0
	wait_until 30 gone "$1"
	wait "$1" || EXIT_RC=$?
}
