#!/usr/bin/env bash
# msosync side by side with NATS JetStream, on this machine, on loopback.
#
# Starts everything it measures on 127.0.0.1 with temporary state (hubs,
# agents, nats-servers with JetStream and their config files, a throwaway
# TLS CA for the NATS leaf link), runs the scenarios with
# tests/bench/bench_driver, stops exactly what it started (by PID), then
# prints a table and writes results.json (and every raw measurement) to
# the output directory. Not a ctest test: it measures the machine.
#
#   1 durable ingest at the site: agent ipc (libmsosync, 4 clients x 100
#     events a request, each with BENCH_WINDOW requests in flight, and
#     again one at a time) and HTTP NDJSON (2 clients x 5,000) vs
#     JetStream async publish with acks and Nats-Msg-Id, file storage (up
#     to 4,000 publishes in flight); the single event round trip; the
#     fsync cost of this disk.
#   2 end to end, site -> hub committed: agent + hub over CurveZMQ vs a
#     site nats-server as a TLS leaf node of a hub nats-server whose
#     stream sources the site's stream.
#   3 catch-up of a backlog journaled while the hub was down.
#   4 steady rate: latency from submit to hub commit vs publish -> hub
#     consumer.
#   5 fan-in: hundreds of sites with distinct CURVE keys at once.
#
# Prerequisites: MSOSYNC_BENCH_DEPS=1 ./deploy/install-deps.sh (nats-server,
# libnats-dev, openssl). Knobs (environment):
#   BENCH_EVENTS=200000        events of scenarios 1 and 2
#   BENCH_RUNS=3               runs of scenarios 1 and 2 (the median counts)
#   BENCH_CATCHUP_EVENTS=300000  backlog of scenario 3 (the issue's 1,000,000:
#                              BENCH_CATCHUP_EVENTS=1000000)
#   BENCH_RATE=5000 BENCH_SECONDS=10   scenario 4
#   BENCH_FANIN_SITES=500 BENCH_FANIN_EVENTS=400 BENCH_FANIN_BATCH=100
#   BENCH_RTT=1000             single-event round trips
#   BENCH_WINDOW=8             ipc requests in flight per client (s1, s2)
#   BENCH_SCENARIOS="1 2 3 4 5"
#   BENCH_OUT=DIR              default build/bench/<time>
#   BENCH_PERF_HZ=499          perf's sampling frequency
#   BENCH_PERF=1               perf record -g the agent and hub of scenarios
#                              1-3 into DIR/perf, with a summary per run
#                              (needs perf; the figures then include its cost)
#   BENCH_KEEP=1               keep the temporary state
#   MSOSYNC_BIN=DIR            a build dir with bench_driver (default:
#                              build/, built here with deploy/build.sh)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
EVENTS=${BENCH_EVENTS:-200000}
RUNS=${BENCH_RUNS:-3}
CATCHUP=${BENCH_CATCHUP_EVENTS:-300000}
RATE=${BENCH_RATE:-5000}
SECONDS_STEADY=${BENCH_SECONDS:-10}
FANIN_SITES=${BENCH_FANIN_SITES:-500}
FANIN_EVENTS=${BENCH_FANIN_EVENTS:-400}
FANIN_BATCH=${BENCH_FANIN_BATCH:-100}
RTT=${BENCH_RTT:-1000}
WINDOW=${BENCH_WINDOW:-8}
SCENARIOS=${BENCH_SCENARIOS:-1 2 3 4 5}

for tool in nats-server openssl curl python3; do
	command -v "$tool" >/dev/null ||
	    { echo "run.sh: $tool is missing: MSOSYNC_BENCH_DEPS=1 ./deploy/install-deps.sh" >&2; exit 2; }
done
if [ -n "${MSOSYNC_BIN:-}" ]; then
	B=$MSOSYNC_BIN
else
	B=$top/build
	BUILD_DIR=$B "$top/deploy/build.sh"
fi
DRIVER=$B/tests/bench/bench_driver
MSOCTL=$B/client/msoctl
AGENT=$B/daemon/msosync-agent
HUB=$B/daemon/msosync-hub
[ -x "$DRIVER" ] || { echo "run.sh: $DRIVER not built (is libnats-dev installed?)" >&2; exit 2; }

OUT=${BENCH_OUT:-$B/bench/$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/raw"
RAW=$OUT/raw
T=$(mktemp -d /tmp/msosync-bench.XXXXXX)
PERF_PID=

stop_pid() {
	local p=$1 i
	kill -TERM "$p" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

# Only children not yet reaped (jobs -p): a PID stopped and reaped before
# may belong to someone else's process by now.
cleanup() {
	local rc=$? p
	for p in $(jobs -p); do
		stop_pid "$p"
	done
	if [ $rc -ne 0 ]; then
		for f in "$T"/*.log; do
			[ -f "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
		done
	fi
	if [ -n "${BENCH_KEEP:-}" ] || [ $rc -ne 0 ]; then
		echo "state kept in $T" >&2
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '== %s\n' "$*" >&2; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
	local i
	for i in $(seq 400); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.05
	done
	echo "run.sh: no answer from $1" >&2
	exit 1
}
# json_field FILE EXPR: EXPR over the JSON as d
json_field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# record ROLE PID SCENARIO [RUN]: the process's peak RSS (VmHWM) and CPU
# time (user + system) into procs.tsv, and for our daemons /metrics into
# raw/RUN-ROLE.metrics
TICK=$(getconf CLK_TCK)
record_rss() {
	local kb cpu url
	kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$2/status" 2>/dev/null || echo 0)
	cpu=$(awk -v t="$TICK" '{printf "%.2f", ($14 + $15) / t}' "/proc/$2/stat" 2>/dev/null || echo 0)
	printf '%s\t%s\t%s\t%s\t%s\n' "$3" "$1" "${kb:-0}" "${cpu:-0}" "${4:--}" >> "$RAW/procs.tsv"
	case $1 in
	agent) url=$AGENT_URL ;;
	hub) url=$HUB_URL ;;
	*) return 0 ;;
	esac
	[ -n "${4:-}" ] && curl -sf -H "Authorization: Bearer $TOKEN" "$url/metrics" \
	    > "$RAW/$4-$1.metrics" 2>/dev/null || true
}

# run_driver NAME ARGS...: the driver's JSON into raw/NAME.json
# A run is charged its own disk writes only: what the run before it left
# in the page cache (nats-server does not fsync) is written out first, or
# it would be flushed during the next run, behind that run's fsyncs.
settle() {
	sync
}

run_driver() {
	local name=$1
	shift
	"$DRIVER" "$@" > "$RAW/$name.json" 2> "$T/driver-$name.log" || {
		echo "run.sh: bench_driver $1 ($name) failed:" >&2
		cat "$T/driver-$name.log" >&2
		exit 1
	}
	say "$name: $(cat "$RAW/$name.json")"
}

perf_start() {
	[ "${BENCH_PERF:-0}" = 1 ] || return 0
	mkdir -p "$OUT/perf"
	perf record --call-graph dwarf,16384 -F "${BENCH_PERF_HZ:-499}" -o "$OUT/perf/$2.data" -p "$1" >/dev/null 2>&1 &
	PERF_PID=$!
	sleep 0.2
}

perf_stop() {
	[ -n "$PERF_PID" ] || return 0
	kill -INT "$PERF_PID" 2>/dev/null || true
	wait "$PERF_PID" 2>/dev/null || true
	PERF_PID=
	local f
	f=$(ls -t "$OUT"/perf/*.data | head -1)
	perf report -i "$f" --no-children --sort comm,dso,symbol --stdio 2>/dev/null |
	    grep -E '^ +[0-9]' | head -60 > "${f%.data}.txt" || true
}

# --- keys, sites, tokens; the events -------------------------------------

say "state in $T, results in $OUT"
"$MSOCTL" keygen "$T/hub" >/dev/null
"$MSOCTL" keygen "$T/site1" >/dev/null
cat > "$T/sites.conf" <<SITE
[site 1]
name = Bench clinic
public_key = $(cat "$T/site1.pub")
fee_model = percent
fee_percent_bp = 600
SITE
TOKEN=$("$MSOCTL" token new bench --tokens-file "$T/tokens" 2>/dev/null)

need=$EVENTS
[ "$CATCHUP" -gt "$need" ] && need=$CATCHUP
[ $((RATE * SECONDS_STEADY + 1)) -gt "$need" ] && need=$((RATE * SECONDS_STEADY + 1))
[ "$RTT" -gt "$need" ] && need=$RTT
# One clinic's simulated history, ~200 bytes an event. Voids are left out:
# concurrent clients could deliver a void before the event it takes back,
# which the agent rightly refuses.
days=$(( need / 1900 + 2 ))
"$MSOCTL" simulate --days "$days" --rate 2000 --seed 7 |
    grep -v '"void":{' | head -n "$need" > "$T/events.ndjson" || true
[ "$(wc -l < "$T/events.ndjson")" -eq "$need" ] ||
    { echo "run.sh: the simulator made too few events" >&2; exit 1; }
EV=$T/events.ndjson
say "$(wc -l < "$EV") events, $(( $(wc -c < "$EV") / need )) bytes each on average"

# --- daemons -------------------------------------------------------------

# agent_start NAME [EXTRA FLAGS...]: AGENT_PID AGENT_URL AGENT_IPC
agent_start() {
	local name=$1 p
	shift
	p=$(port)
	"$AGENT" --site-id 1 --data-dir "$T/$name" --http-listen "127.0.0.1:$p" \
	    --timezone UTC "$@" >> "$T/$name.log" 2>&1 &
	AGENT_PID=$!
	AGENT_URL=http://127.0.0.1:$p
	AGENT_IPC=ipc://$T/$name/ingest.sock
	wait_http "$AGENT_URL/healthz"
}

# hub_start NAME [SITES_FILE [PORT HTTP_PORT]]: HUB_PID HUB_URL HUB_EP
hub_start() {
	local name=$1 sites=${2:-$T/sites.conf}
	HUB_PORT=${3:-$(port)}
	HUB_HTTP=${4:-$(port)}
	"$HUB" --data-dir "$T/$name" --listen "tcp://127.0.0.1:$HUB_PORT" \
	    --http-listen "127.0.0.1:$HUB_HTTP" --secret-key-file "$T/hub.key" \
	    --sites-file "$sites" --tokens-file "$T/tokens" >> "$T/$name.log" 2>&1 &
	HUB_PID=$!
	HUB_URL=http://127.0.0.1:$HUB_HTTP
	HUB_EP=tcp://127.0.0.1:$HUB_PORT
}

hub_flags() {
	echo --hub-endpoint "$HUB_EP" --hub-public-key "$(cat "$T/hub.pub")" \
	    --secret-key-file "$T/site1.key"
}

agent_connected() {
	curl -sf "$AGENT_URL/v1/status" |
	    python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["hub"]["connected"] else 1)'
}

wait_connected() {
	local i
	for i in $(seq 400); do
		agent_connected && return 0
		sleep 0.05
	done
	echo "run.sh: the agent did not connect to the hub" >&2
	exit 1
}

# A throwaway CA and a certificate for 127.0.0.1, for the leaf link's TLS.
mkdir -p "$T/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$T/tls/ca.key" -out "$T/tls/ca.pem" -days 2 \
    -subj "/CN=msosync bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$T/tls/hub.key" -out "$T/tls/hub.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$T/tls/san.ext"
openssl x509 -req -in "$T/tls/hub.csr" -CA "$T/tls/ca.pem" -CAkey "$T/tls/ca.key" \
    -CAcreateserial -out "$T/tls/hub.pem" -days 2 -extfile "$T/tls/san.ext" 2>/dev/null

# nats_start NAME ROLE: ROLE solo (no leaf), hub (leaf listener) or site
# (leaf remote to the hub made before). Sets NATS_PID NATS_URL NATS_MON.
LEAF_PORT=$(port)
nats_start() {
	local name=$1 role=$2 conf=$T/$1.conf p m
	p=${NATS_PORT_OF[$name]:-$(port)}
	m=${NATS_MON_OF[$name]:-$(port)}
	NATS_PORT_OF[$name]=$p
	NATS_MON_OF[$name]=$m
	{
		echo "server_name: bench_$name"
		echo "listen: 127.0.0.1:$p"
		echo "http: 127.0.0.1:$m"
		echo "jetstream {"
		echo "  store_dir: \"$T/$name.js\""
		case $role in
		hub) echo "  domain: hub" ;;
		*) echo "  domain: site" ;;
		esac
		echo "}"
		case $role in
		hub)
			echo "leafnodes {"
			echo "  listen: \"127.0.0.1:$LEAF_PORT\""
			echo "  tls { cert_file: \"$T/tls/hub.pem\", key_file: \"$T/tls/hub.key\", timeout: 5 }"
			echo "}"
			;;
		site)
			echo "leafnodes {"
			echo "  remotes: [ { url: \"tls://127.0.0.1:$LEAF_PORT\", tls { ca_file: \"$T/tls/ca.pem\" } } ]"
			echo "}"
			;;
		esac
	} > "$conf"
	nats-server -c "$conf" >> "$T/$name.log" 2>&1 &
	NATS_PID=$!
	NATS_URL=nats://127.0.0.1:$p
	NATS_MON=http://127.0.0.1:$m
	wait_http "$NATS_MON/healthz"
}
declare -A NATS_PORT_OF NATS_MON_OF

# The hub server counts the site's leaf connection.
leaf_up() {
	curl -sf "$1/leafz" |
	    python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("leafnodes",0) > 0 else 1)'
}
wait_leaf() {
	local i
	for i in $(seq 400); do
		leaf_up "$1" && return 0
		sleep 0.05
	done
	echo "run.sh: the leaf link did not come up" >&2
	exit 1
}

# --- the scenarios --------------------------------------------------------

# Scenarios 1 and 2 alternate msosync and NATS run by run, so that both
# meet the same machine: other work on it moves every figure.
scenario_1() {
	local r
	say "scenario 1: durable ingest at the site"
	run_driver s1-fsync fsync --dir "$T" --count 500
	nats_start s1-nats solo
	local nats_url=$NATS_URL nats_pid=$NATS_PID
	for r in $(seq "$RUNS"); do
		settle
		agent_start "s1-ipc-$r"
		perf_start "$AGENT_PID" "s1-ipc-$r"
		run_driver "s1-ipc-$r" ingest --mode ipc --target "$AGENT_IPC" \
		    --file "$EV" --count "$EVENTS" --clients 4 --batch 100 \
		    --window "$WINDOW"
		perf_stop
		record_rss agent "$AGENT_PID" 1 "s1-ipc-$r"
		stop_pid "$AGENT_PID"
		rm -rf "$T/s1-ipc-$r"

		settle
		agent_start "s1-ipcsync-$r"
		run_driver "s1-ipcsync-$r" ingest --mode ipc --target "$AGENT_IPC" \
		    --file "$EV" --count "$EVENTS" --clients 4 --batch 100
		stop_pid "$AGENT_PID"
		rm -rf "$T/s1-ipcsync-$r"

		settle
		agent_start "s1-http-$r"
		perf_start "$AGENT_PID" "s1-http-$r"
		run_driver "s1-http-$r" ingest --mode http --target "$AGENT_URL" \
		    --file "$EV" --count "$EVENTS" --clients 2 --batch 5000
		perf_stop
		record_rss agent "$AGENT_PID" 1 "s1-http-$r"
		stop_pid "$AGENT_PID"
		rm -rf "$T/s1-http-$r"

		settle
		run_driver "s1-nats-$r" nats-ingest --url "$nats_url" --file "$EV" \
		    --count "$EVENTS" --stream "S1R$r"
	done
	settle
	agent_start s1-rtt
	run_driver s1-rtt rtt --target "$AGENT_IPC" --file "$EV" --count "$RTT"
	record_rss agent "$AGENT_PID" 1 s1-rtt
	stop_pid "$AGENT_PID"
	rm -rf "$T/s1-rtt"
	settle
	run_driver s1-nats-rtt nats-rtt --url "$nats_url" --file "$EV" \
	    --count "$RTT" --stream S1RTT
	record_rss nats-server "$nats_pid" 1 s1-nats
	stop_pid "$nats_pid"
	rm -rf "$T/s1-nats.js"
}

scenario_2() {
	local r mode
	say "scenario 2: end to end, site -> hub"
	nats_start s2-nhub hub
	local hub_url=$NATS_URL hub_mon=$NATS_MON hub_pid=$NATS_PID
	nats_start s2-nsite site
	local site_url=$NATS_URL site_pid=$NATS_PID
	wait_leaf "$hub_mon"
	for r in $(seq "$RUNS"); do
		for mode in ipc http; do
			hub_start "s2-hub-$mode-$r"
			wait_http "$HUB_URL/healthz"
			# shellcheck disable=SC2046
			agent_start "s2-agent-$mode-$r" $(hub_flags)
			wait_connected
			settle
			perf_start "$AGENT_PID,$HUB_PID" "s2-$mode-$r"
			if [ "$mode" = ipc ]; then
				run_driver "s2-$mode-$r" e2e --mode ipc --target "$AGENT_IPC" \
				    --hub "$HUB_URL" --token "$TOKEN" --site 1 --file "$EV" \
				    --count "$EVENTS" --clients 4 --batch 100 --window "$WINDOW"
			else
				run_driver "s2-$mode-$r" e2e --mode http --target "$AGENT_URL" \
				    --hub "$HUB_URL" --token "$TOKEN" --site 1 --file "$EV" \
				    --count "$EVENTS" --clients 2 --batch 5000
			fi
			perf_stop
			record_rss agent "$AGENT_PID" 2 "s2-$mode-$r"
			record_rss hub "$HUB_PID" 2 "s2-$mode-$r"
			stop_pid "$AGENT_PID"
			stop_pid "$HUB_PID"
			rm -rf "$T/s2-hub-$mode-$r" "$T/s2-agent-$mode-$r"
		done
		settle
		run_driver "s2-nats-$r" nats-e2e --site-url "$site_url" \
		    --hub-url "$hub_url" --file "$EV" --count "$EVENTS" --stream "E$r"
	done
	record_rss nats-hub "$hub_pid" 2 s2-nats
	record_rss nats-site "$site_pid" 2 s2-nats
	stop_pid "$site_pid"
	stop_pid "$hub_pid"
	rm -rf "$T/s2-nhub.js" "$T/s2-nsite.js"
}

scenario_3() {
	local t0 hp hh
	say "scenario 3: catch-up of $CATCHUP events after a hub outage"
	hub_start s3-hub
	hp=$HUB_PORT
	hh=$HUB_HTTP
	wait_http "$HUB_URL/healthz"
	# shellcheck disable=SC2046
	agent_start s3-agent $(hub_flags)
	wait_connected
	stop_pid "$HUB_PID"
	run_driver s3-fill ingest --mode http --target "$AGENT_URL" --file "$EV" \
	    --count "$CATCHUP" --clients 2 --batch 5000
	settle
	t0=$(date +%s%N)
	hub_start s3-hub "$T/sites.conf" "$hp" "$hh"
	perf_start "$AGENT_PID,$HUB_PID" s3
	run_driver s3-msosync wait-hwm --hub "$HUB_URL" --token "$TOKEN" --site 1 \
	    --target "$CATCHUP" --t0-ns "$t0"
	perf_stop
	record_rss agent "$AGENT_PID" 3 s3-msosync
	record_rss hub "$HUB_PID" 3 s3-msosync
	stop_pid "$AGENT_PID"
	stop_pid "$HUB_PID"
	rm -rf "$T/s3-hub" "$T/s3-agent"

	nats_start s3-nhub hub
	local hub_url=$NATS_URL hub_mon=$NATS_MON hub_pid=$NATS_PID
	nats_start s3-nsite site
	local site_url=$NATS_URL site_pid=$NATS_PID
	wait_leaf "$hub_mon"
	run_driver s3-nats-streams nats-source --site-url "$site_url" \
	    --hub-url "$hub_url" --stream C
	stop_pid "$hub_pid"
	run_driver s3-nats-fill nats-ingest --url "$site_url" --file "$EV" \
	    --count "$CATCHUP" --stream SITE_C --subject-of C
	settle
	t0=$(date +%s%N)
	nats_start s3-nhub hub
	hub_pid=$NATS_PID
	run_driver s3-nats nats-wait --url "$hub_url" --stream HUB_C \
	    --target "$CATCHUP" --t0-ns "$t0"
	record_rss nats-hub "$hub_pid" 3 s3-nats
	record_rss nats-site "$site_pid" 3 s3-nats
	stop_pid "$site_pid"
	stop_pid "$hub_pid"
	rm -rf "$T/s3-nhub.js" "$T/s3-nsite.js"
}

scenario_4() {
	say "scenario 4: steady $RATE events/s for ${SECONDS_STEADY}s"
	hub_start s4-hub
	wait_http "$HUB_URL/healthz"
	# shellcheck disable=SC2046
	agent_start s4-agent $(hub_flags)
	wait_connected
	settle
	run_driver s4-msosync steady --target "$AGENT_IPC" --hub "$HUB_URL" \
	    --hub-dir "$T/s4-hub/hub" --token "$TOKEN" --site 1 --file "$EV" --rate "$RATE" \
	    --seconds "$SECONDS_STEADY" --clients 4
	record_rss agent "$AGENT_PID" 4 s4-msosync
	record_rss hub "$HUB_PID" 4 s4-msosync
	stop_pid "$AGENT_PID"
	stop_pid "$HUB_PID"
	rm -rf "$T/s4-hub" "$T/s4-agent"

	nats_start s4-nhub hub
	local hub_url=$NATS_URL hub_mon=$NATS_MON hub_pid=$NATS_PID
	nats_start s4-nsite site
	local site_url=$NATS_URL site_pid=$NATS_PID
	wait_leaf "$hub_mon"
	settle
	run_driver s4-nats nats-steady --site-url "$site_url" --hub-url "$hub_url" \
	    --file "$EV" --stream ST --rate "$RATE" --seconds "$SECONDS_STEADY"
	record_rss nats-hub "$hub_pid" 4 s4-nats
	record_rss nats-site "$site_pid" 4 s4-nats
	stop_pid "$site_pid"
	stop_pid "$hub_pid"
	rm -rf "$T/s4-nhub.js" "$T/s4-nsite.js"
}

scenario_5() {
	say "scenario 5: fan-in of $FANIN_SITES sites"
	mkdir -p "$T/fanin"
	run_driver s5-keys fanin-keys --sites "$FANIN_SITES" --out "$T/fanin"
	# a socket and a connection per site
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	hub_start s5-hub "$T/fanin/fanin-sites.conf"
	wait_http "$HUB_URL/healthz"
	settle
	run_driver s5-msosync fanin --endpoint "$HUB_EP" \
	    --hub-public-key "$(cat "$T/hub.pub")" --keys "$T/fanin/fanin.keys" \
	    --hub "$HUB_URL" --token "$TOKEN" --events-per-site "$FANIN_EVENTS" \
	    --batch "$FANIN_BATCH"
	record_rss hub "$HUB_PID" 5 s5-msosync
	stop_pid "$HUB_PID"
	rm -rf "$T/s5-hub"
}

: > "$RAW/procs.tsv"
for s in $SCENARIOS; do
	"scenario_$s"
done

# --- the machine, the table, results.json ---------------------------------

{
	echo "nproc=$(nproc)"
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "mem_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)"
	echo "kernel=$(uname -r)"
	echo "nats_server=$(nats-server --version 2>&1 | head -1)"
	echo "libnats=$(pkg-config --modversion libnats 2>/dev/null || echo unknown)"
	echo "fs=$(df -T /tmp | awk 'NR==2 {print $2}')"
	echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "events=$EVENTS runs=$RUNS catchup=$CATCHUP rate=$RATE seconds=$SECONDS_STEADY"
	echo "fanin_sites=$FANIN_SITES fanin_events=$FANIN_EVENTS fanin_batch=$FANIN_BATCH"
} > "$RAW/machine.txt"
python3 "$top/tests/bench/report.py" "$OUT"
