#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install what is missing,
# build, then run a hub and three simulated clinics on loopback with
# temporary state. Each clinic's agent takes last month's simulated events;
# the agents replicate over CurveZMQ; the run ends with the hub's view of
# every site, a chain verification, and the franchise report.
# DEMO_SITES, DEMO_MONTH=YYYY-MM and DEMO_KEEP=1 (keep the state dir) are
# knobs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/deploy/install-deps.sh"
BUILD_DIR="$top/build" "$top/deploy/build.sh"

B=$top/build
MSOCTL=$B/client/msoctl
SITES=${DEMO_SITES:-3}
# a whole calendar month, so the report can bill it: last month by default
MONTH=${DEMO_MONTH:-$(date -u -d "$(date -u +%Y-%m-01) -1 day" +%Y-%m)}
FROM=$MONTH-01
END=$(date -u -d "$FROM +1 month -1 day" +%Y-%m-%d)
DAYS=$(( ($(date -u -d "$END" +%s) - $(date -u -d "$FROM" +%s)) / 86400 + 1 ))
T=$(mktemp -d /tmp/msosync-demo.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "${DEMO_KEEP:-}" ]; then echo "state kept in $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1" >&2; exit 1; }

echo "== keys and sites file for a hub and $SITES clinics (in $T)"
"$MSOCTL" keygen "$T/hub" >/dev/null
names=("Austin Domain" "Dallas Uptown" "Houston Heights" "San Antonio Pearl" "Plano Legacy" "Fort Worth Sundance")
fees=("fee_model = percent
fee_percent_bp = 600
fee_floor_cents = 500000" "fee_model = fixed
fee_fixed_cents = 1250000" "fee_model = fixed_plus_percent
fee_fixed_cents = 400000
fee_percent_bp = 300
fee_base = collections
fee_cap_cents = 2500000")
: > "$T/sites.conf"
for i in $(seq "$SITES"); do
	"$MSOCTL" keygen "$T/site$i" >/dev/null
	cat >> "$T/sites.conf" <<SITE
[site $i]
name = ${names[$(( (i - 1) % ${#names[@]} ))]}
public_key = $(cat "$T/site$i.pub")
state = TX
timezone = America/Chicago
tax_id = 74-2000$(( i % 2 ))
${fees[$(( (i - 1) % 3 ))]}

SITE
done
export MSOSYNC_TOKEN
MSOSYNC_TOKEN=$("$MSOCTL" token new demo --tokens-file "$T/tokens" 2>/dev/null)

HUB_PORT=$(port); HUB_HTTP=$(port)
HUB=http://127.0.0.1:$HUB_HTTP
"$B/daemon/msosync-hub" --data-dir "$T/hub" --listen "tcp://127.0.0.1:$HUB_PORT" \
	--http-listen "127.0.0.1:$HUB_HTTP" --secret-key-file "$T/hub.key" \
	--sites-file "$T/sites.conf" --tokens-file "$T/tokens" 2>"$T/hub.log" &
PIDS+=($!)
wait_http "$HUB/healthz"
echo "== hub up: replication tcp://127.0.0.1:$HUB_PORT, API $HUB"

for i in $(seq "$SITES"); do
	p=$(port)
	"$B/daemon/msosync-agent" --site-id "$i" --data-dir "$T/agent$i" \
		--http-listen "127.0.0.1:$p" --timezone America/Chicago \
		--hub-endpoint "tcp://127.0.0.1:$HUB_PORT" --hub-public-key "$(cat "$T/hub.pub")" \
		--secret-key-file "$T/site$i.key" 2>"$T/agent$i.log" &
	PIDS+=($!)
	echo "$p" > "$T/agent$i.port"
done
for i in $(seq "$SITES"); do
	p=$(cat "$T/agent$i.port")
	wait_http "http://127.0.0.1:$p/healthz"
	"$MSOCTL" simulate --days "$DAYS" --seed "$((1000 + i))" --end "$END" > "$T/site$i.ndjson"
	printf '== clinic %s: %s simulated events (%s) -> agent :%s: ' "$i" "$(wc -l < "$T/site$i.ndjson")" "$MONTH" "$p"
	"$MSOCTL" submit "$T/site$i.ndjson" --agent "http://127.0.0.1:$p"
done

echo "== waiting for the hub to hold every clinic's journal"
for i in $(seq "$SITES"); do
	p=$(cat "$T/agent$i.port")
	for _ in $(seq 600); do
		st=$(curl -sf "http://127.0.0.1:$p/v1/status")
		python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["backlog"]==0 and d["head_seq"]>0 else 1)' "$st" && break
		sleep 0.1
	done
done
"$MSOCTL" status --agent "http://127.0.0.1:$(cat "$T/agent1.port")"
echo
echo "== msoctl sites"
"$MSOCTL" sites --hub "$HUB"
echo
echo "== msoctl verify"
"$MSOCTL" verify --hub "$HUB"
echo
echo "== franchise KPIs by site, $FROM .. $END"
"$MSOCTL" report kpis --from "$FROM" --to "$END" --by site --hub "$HUB"
echo
echo "== the franchise's month"
"$MSOCTL" report financials --from "$FROM" --to "$END" --by franchise --hub "$HUB"
echo
echo "== MSA fee statements, $MONTH"
"$MSOCTL" report fees --period "$MONTH" --hub "$HUB"
