# Shared by the integration and fault tests: start real daemons on
# 127.0.0.1 in a temporary directory, wait for them, query them, and kill
# exactly what was started (by PID) when the test exits.
#
# Each test script: . "$(dirname "$0")/lib.sh"; then calls the helpers.
# MSOSYNC_BIN is the build dir (ctest sets it). Assertions fail the test
# with a message; nothing here sleeps for a fixed time where it can wait
# for a condition instead.

set -euo pipefail

B=${MSOSYNC_BIN:?set MSOSYNC_BIN to the build directory}
MSOCTL=$B/client/msoctl
AGENT=$B/daemon/msosync-agent
HUB=$B/daemon/msosync-hub
T=$(mktemp -d /tmp/msosync-it.XXXXXX)
PIDS=()

cleanup() {
	local rc=$?
	for p in "${PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ $rc -eq 0 ] && [ -z "${KEEP:-}" ]; then
		rm -rf "$T"
	else
		echo "test state kept in $T" >&2
		for f in "$T"/*.log; do
			[ -f "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }
		done
	fi
	exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "== $*"; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
	echo "ok: $1 = $3"
}

# A free TCP port on 127.0.0.1 (the kernel picks; racy only in theory).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# json_get FILE_OR_- PYTHON_EXPR: evaluate EXPR with the JSON as 'd'.
json_get() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]) if sys.argv[1]!="-" else sys.stdin); print(eval(sys.argv[2]))' "$1" "$2"
}

# wait_until SECONDS COMMAND...: poll until COMMAND succeeds.
wait_until() {
	local limit=$1 i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt $((limit * 20)) ] && fail "timed out after ${limit}s: $*"
		sleep 0.05
	done
}

http_ok() { curl -sf -o /dev/null "$1"; }

# make_hub: keys, sites file for sites given as "ID" args, token; sets
# HUB_PORT HUB_HTTP HUB_URL TOKEN. Site keys are $T/site<ID>.{key,pub}.
make_hub() {
	"$MSOCTL" keygen "$T/hub" >/dev/null
	: > "$T/sites.conf"
	for id in "$@"; do
		[ -f "$T/site$id.key" ] || "$MSOCTL" keygen "$T/site$id" >/dev/null
		cat >> "$T/sites.conf" <<SITE
[site $id]
name = Clinic $id
public_key = $(cat "$T/site$id.pub")
tax_id = 74-100000$((id % 2))
fee_model = percent
fee_percent_bp = 600
SITE
	done
	TOKEN=$("$MSOCTL" token new tests --tokens-file "$T/tokens" 2>/dev/null)
	HUB_PORT=$(free_port)
	HUB_HTTP=$(free_port)
	HUB_URL=http://127.0.0.1:$HUB_HTTP
	export MSOSYNC_TOKEN=$TOKEN
}

# start_hub [EXTRA FLAGS...]: sets HUB_PID.
start_hub() {
	"$HUB" --data-dir "$T/hub.d" --listen "tcp://127.0.0.1:$HUB_PORT" \
	    --http-listen "127.0.0.1:$HUB_HTTP" --secret-key-file "$T/hub.key" \
	    --sites-file "$T/sites.conf" --tokens-file "$T/tokens" "$@" \
	    >>"$T/hub.log" 2>&1 &
	HUB_PID=$!
	PIDS+=("$HUB_PID")
	wait_until 10 http_ok "$HUB_URL/healthz"
}

# start_agent ID [EXTRA FLAGS...]: an agent for site ID replicating to the
# hub made by make_hub (or not, with NOHUB=1); sets AGENT_PID[ID] and
# AGENT_URL[ID]. Reuses the site's port across restarts.
declare -A AGENT_PID AGENT_URL AGENT_PORT
start_agent() {
	local id=$1
	shift
	[ -n "${AGENT_PORT[$id]:-}" ] || AGENT_PORT[$id]=$(free_port)
	AGENT_URL[$id]=http://127.0.0.1:${AGENT_PORT[$id]}
	local hubflags=()
	if [ -z "${NOHUB:-}" ]; then
		hubflags=(--hub-endpoint "tcp://127.0.0.1:$HUB_PORT"
		    --hub-public-key "$(cat "$T/hub.pub")"
		    --secret-key-file "$T/site$id.key")
	fi
	"$AGENT" --site-id "$id" --data-dir "$T/agent$id" \
	    --http-listen "127.0.0.1:${AGENT_PORT[$id]}" --timezone UTC \
	    "${hubflags[@]}" "$@" >>"$T/agent$id.log" 2>&1 &
	AGENT_PID[$id]=$!
	PIDS+=("${AGENT_PID[$id]}")
	wait_until 10 http_ok "${AGENT_URL[$id]}/healthz"
}

# kill9 PID: kill -9 and reap it.
kill9() {
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# agent_status ID EXPR: a field of the agent's /v1/status.
agent_status() {
	curl -sf "${AGENT_URL[$1]}/v1/status" | json_get - "$2"
}

# hub_site ID EXPR: a field of the site's entry in the hub's /v1/sites
# ('s' is the site's object).
hub_site() {
	curl -sf -H "Authorization: Bearer $TOKEN" "$HUB_URL/v1/sites" |
	    python3 -c 'import json,sys; d=json.load(sys.stdin); s=[x for x in d["sites"] if x["site_id"]==int(sys.argv[1])][0]; print(eval(sys.argv[2]))' "$1" "$2"
}

# caught_up ID: the hub's hwm equals the agent's head, and the agent knows.
caught_up() {
	local head hwm acked
	head=$(agent_status "$1" 'd["head_seq"]')
	hwm=$(hub_site "$1" 's["hwm"]')
	acked=$(agent_status "$1" 'd["acked_seq"]')
	[ "$head" = "$hwm" ] && [ "$head" = "$acked" ]
}
