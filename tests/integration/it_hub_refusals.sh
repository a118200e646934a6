#!/usr/bin/env bash
# Identity, tamper evidence and bad input at the hub (DESIGN §4.5, §4.6,
# §4.8, §7). Sites 7 and 8 run real agents; site 9 is played by
# wire_probe, a real CURVE client that misbehaves on purpose. Every
# refusal must leave every site's counts as they were and the hub up:
# an unknown key, a key claiming another site, raw garbage on the port,
# an oversize frame, a gap, garbage frames, events naming another site,
# a record that is no event, a replayed batch, an altered record (which
# stops the site until an operator resumes it), and a key revoked by
# SIGHUP while its agent is connected (then restored).
#
# Knobs: IT_EVENTS (events per agent site at the start).
. "$(dirname "$0")/lib.sh"

EVENTS=${IT_EVENTS:-500}
PROBE=$B/tests/integration/wire_probe
[ -x "$PROBE" ] || fail "$PROBE not built"
E9=9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e	# site 9's journal epoch, every run

# counts: every site's "id:events:hwm:duplicates", the figures no
# refusal may move.
counts() {
	curl -sf -H "Authorization: Bearer $TOKEN" "$HUB_URL/v1/sites" |
	    python3 -c 'import json,sys; print(" ".join("%d:%d:%d:%d" % (s["site_id"], s["events"], s["hwm"], s["duplicates"]) for s in json.load(sys.stdin)["sites"]))'
}

# metric NAME: a hub metric's value, 0 when absent.
metric() {
	curl -sf "$HUB_URL/metrics" |
	    awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}
rejects() { metric "msosync_hub_rejects_total{code=\"$1\"}"; }
metric_above() { [ "$(metric "$1")" -gt "$2" ]; }

# sim N SEED FILE [FLAGS...]: the first N simulated events into FILE (via
# a file: head closing a pipe early would kill the simulator with SIGPIPE)
sim() {
	local n=$1 seed=$2 out=$3
	shift 3
	"$MSOCTL" simulate --seed "$seed" --end 2026-04-30 "$@" >"$out.all"
	head -n "$n" "$out.all" >"$out"
	assert_eq "simulated events in $(basename "$out")" "$n" "$(wc -l <"$out")"
}

# probe EXPECTED_RC SCENARIO KEY_SITE [ARGS...]: run wire_probe with site
# KEY_SITE's key, print what the hub said, check its exit status.
probe() {
	local want=$1 scenario=$2 keysite=$3 rc
	shift 3
	set +e
	"$PROBE" "$scenario" --endpoint "tcp://127.0.0.1:$HUB_PORT" \
	    --hub-public-key "$(cat "$T/hub.pub")" \
	    --secret-key-file "$T/$keysite.key" "$@" >"$T/probe.out" 2>&1
	rc=$?
	set -e
	sed 's/^/   hub: /' "$T/probe.out"
	assert_eq "wire_probe $scenario exit status" "$want" "$rc"
}

# unchanged WHAT: the counts are still $BEFORE and the hub answers.
unchanged() {
	assert_eq "every site's counts after $1" "$BEFORE" "$(counts)"
	http_ok "$HUB_URL/healthz" || fail "hub down after $1"
	kill -0 "$HUB_PID" 2>/dev/null || fail "hub process gone after $1"
}

site_state() { [ "$(hub_site "$1" 's["state"]')" = "$2" ]; }
link_down() { [ "$(agent_status "$1" 'd["hub"]["connected"]')" = False ]; }

make_hub 7 8 9
"$MSOCTL" keygen "$T/stranger" >/dev/null
start_hub
start_agent 7
start_agent 8
for id in 7 8; do
	sim "$EVENTS" "$id" "$T/site$id.ndjson" --days 10 --rate $((EVENTS / 10 + 20))
	"$MSOCTL" submit "$T/site$id.ndjson" --agent "${AGENT_URL[$id]}" >/dev/null
done
wait_until 30 caught_up 7
wait_until 30 caught_up 8

say "site 9 (the probe) sends 5 good events"
probe 0 batch site9 --site 9 --epoch $E9 --events 5
assert_eq "site 9 events" 5 "$(hub_site 9 's["events"]')"
BEFORE=$(counts)
echo "counts: $BEFORE"

say "an unknown key: refused at the handshake, no answer"
refused=$(metric msosync_hub_auth_refused_total)
probe 0 unknown stranger --site 7
wait_until 5 metric_above msosync_hub_auth_refused_total "$refused"
echo "ok: auth_refused_total $refused -> $(metric msosync_hub_auth_refused_total)"
unchanged "an unknown key"

say "site 8's key claiming site 7"
probe 0 wrong-site site8 --site 7
grep -q '^reject code=wrong_site ' "$T/probe.out" || fail "no reject wrong_site"
assert_eq "rejects{wrong_site}" 1 "$(rejects wrong_site)"
unchanged "a key claiming another site"

say "random bytes on the replication port"
python3 - "$HUB_PORT" <<'PY'
import os, socket, sys
port = int(sys.argv[1])
# plain noise; then a ZMTP 3.0 CURVE greeting followed by noise
greeting = (b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" +
    b"CURVE".ljust(20, b"\0") + b"\0" + b"\0" * 31)
for payload in (os.urandom(65536), greeting + os.urandom(4096), b"\0" * 10):
    s = socket.create_connection(("127.0.0.1", port), timeout=1)
    try:
        s.sendall(payload)
        s.recv(4096)
    except OSError:
        pass
    s.close()
PY
unchanged "random bytes on the port"

say "an oversize frame (ZMQ_MAXMSGSIZE + 1)"
probe 0 oversize site9 --site 9 --epoch $E9
unchanged "an oversize frame"

say "a batch with a gap"
probe 0 gap site9 --site 9 --epoch $E9
grep -q '^reject code=gap acked_seq=5 ' "$T/probe.out" || fail "no reject gap at 5"
unchanged "a batch with a gap"

say "garbage in a frame"
probe 0 garbage site9 --site 9
unchanged "a garbage frame"

say "a batch whose events name another site"
probe 0 foreign-events site9 --site 9 --epoch $E9 --event-site 7
grep -q '^reject code=wrong_site acked_seq=5 ' "$T/probe.out" || fail "no reject wrong_site at 5"
unchanged "events naming another site"

say "a record that is no event, correctly chained"
probe 0 bad-event site9 --site 9 --epoch $E9
grep -q '^reject code=malformed acked_seq=5 ' "$T/probe.out" || fail "no reject malformed at 5"
unchanged "a record that is no event"
assert_eq "site 9 chain after refusals" ok "$(hub_site 9 's["chain"]')"

say "other sites are unaffected: site 7 still replicates"
sim 20 77 "$T/more7.ndjson" --days 2 --rate 30
"$MSOCTL" submit "$T/more7.ndjson" --agent "${AGENT_URL[7]}" >/dev/null
wait_until 30 caught_up 7
assert_eq "site 7 events" $((EVENTS + 20)) "$(hub_site 7 's["events"]')"
BEFORE=$(counts)

say "a replayed batch: applied once, acked twice with the same mark"
retrans=$(metric msosync_hub_retransmits_total)
probe 0 replay site9 --site 9 --epoch $E9 --events 4
assert_eq "ack lines with acked_seq=9" 2 "$(grep -c '^ack acked_seq=9$' "$T/probe.out")"
assert_eq "site 9 events after a replay" 9 "$(hub_site 9 's["events"]')"
assert_eq "retransmits_total" $((retrans + 4)) "$(metric msosync_hub_retransmits_total)"
BEFORE=$(counts)
unchanged "a replayed batch"

say "an altered record: the chain breaks, the site stops"
probe 0 tamper site9 --site 9 --epoch $E9 --events 3
grep -q '^reject code=chain_mismatch acked_seq=9 ' "$T/probe.out" || fail "no reject chain_mismatch"
# the refusal ends the session, and the refused records are the lag
assert_eq "site 9 connected after the refusal" False "$(hub_site 9 's["connected"]')"
assert_eq "site 9 head_seq after the refusal" 12 "$(hub_site 9 's["head_seq"]')"
assert_eq "site 9 lag after the refusal" 3 "$(hub_site 9 's["lag"]')"
assert_eq "site 9 lag_seconds > 0 after the refusal" True "$(hub_site 9 's["lag_seconds"] > 0')"
unchanged "an altered record"
assert_eq "site 9 state" chain_broken "$(hub_site 9 's["state"]')"
assert_eq "site 9 chain" broken "$(hub_site 9 's["chain"]')"
assert_eq "site 9 chain_mismatch alerts" 1 "$(hub_site 9 'sum(a["kind"] == "chain_mismatch" for a in s["alerts"])')"
assert_eq "sites_chain_broken" 1 "$(metric msosync_hub_sites_chain_broken)"
"$MSOCTL" sites --hub "$HUB_URL" >"$T/sites.out"
grep -q 'chain_broken' "$T/sites.out" || fail "msoctl sites does not show the broken chain"

say "a valid batch is refused while the chain is broken"
probe 1 batch site9 --site 9 --epoch $E9 --events 2
grep -q '^reject code=chain_mismatch ' "$T/probe.out" || fail "a broken site took a batch"
unchanged "a batch to a broken site"

say "the operator resumes site 9; a fresh valid batch is acked"
"$MSOCTL" site resume 9 --reason "probe tamper test: record replaced on purpose" \
    --hub "$HUB_URL" >/dev/null || fail "msoctl site resume failed"
assert_eq "site 9 state after resume" active "$(hub_site 9 's["state"]')"
assert_eq "site 9 chain after resume" ok "$(hub_site 9 's["chain"]')"
assert_eq "site 9 resumed alerts" 1 "$(hub_site 9 'sum(a["kind"] == "resumed" for a in s["alerts"])')"
probe 0 batch site9 --site 9 --epoch $E9 --events 2
grep -q '^ack acked_seq=11$' "$T/probe.out" || fail "no ack at 11 after resume"
assert_eq "site 9 events after resume" 11 "$(hub_site 9 's["events"]')"
curl -s -H "Authorization: Bearer $TOKEN" -o "$T/verify.json" \
    -w '%{http_code}' "$HUB_URL/v1/verify" >"$T/verify.code"
assert_eq "GET /v1/verify after resume" 200 "$(cat "$T/verify.code")"
BEFORE=$(counts)

say "revoke site 8 by SIGHUP while its agent is connected"
assert_eq "site 8 connected" True "$(hub_site 8 's["connected"]')"
H8=$(hub_site 8 's["hwm"]')
cp "$T/sites.conf" "$T/sites.conf.orig"
sed -i '/^\[site 8\]$/a revoked = true' "$T/sites.conf"
kill -HUP "$HUB_PID"
wait_until 10 site_state 8 revoked
echo "ok: /v1/sites shows site 8 revoked"
sim 200 88 "$T/more8.ndjson" --days 3 --rate 100
assert_eq "agent 8 takes events while revoked" \
    "accepted 200, duplicate 0, errors 0" \
    "$("$MSOCTL" submit "$T/more8.ndjson" --agent "${AGENT_URL[8]}")"
wait_until 15 metric_above 'msosync_hub_rejects_total{code="revoked"}' 0
echo "ok: rejects{revoked} = $(rejects revoked)"
wait_until 15 link_down 8
echo "ok: agent 8 reports its link down"
assert_eq "agent 8 head_seq" $((EVENTS + 200)) "$(agent_status 8 'd["head_seq"]')"
assert_eq "agent 8 backlog" 200 "$(agent_status 8 'd["backlog"]')"
assert_eq "site 8 hwm frozen" "$H8" "$(hub_site 8 's["hwm"]')"
unchanged "revoking site 8"
refused=$(metric msosync_hub_auth_refused_total)
probe 0 unknown site8 --site 8
wait_until 5 metric_above msosync_hub_auth_refused_total "$refused"
echo "ok: the revoked key is refused at the handshake"
unchanged "a revoked key's new connection"

say "un-revoke site 8: its agent catches up by itself"
cp "$T/sites.conf.orig" "$T/sites.conf"
kill -HUP "$HUB_PID"
wait_until 10 site_state 8 active
wait_until 50 caught_up 8
assert_eq "site 8 hwm after un-revoke" $((EVENTS + 200)) "$(hub_site 8 's["hwm"]')"
assert_eq "site 8 events after un-revoke" $((EVENTS + 200)) "$(hub_site 8 's["events"]')"
assert_eq "site 8 duplicates" 0 "$(hub_site 8 's["duplicates"]')"
curl -s -H "Authorization: Bearer $TOKEN" -o "$T/verify.json" \
    -w '%{http_code}' "$HUB_URL/v1/verify" >"$T/verify.code"
assert_eq "GET /v1/verify at the end" 200 "$(cat "$T/verify.code")"
assert_eq "verify events_checked" $((EVENTS + 20 + EVENTS + 200 + 11)) \
    "$(json_get "$T/verify.json" 'd["events_checked"]')"
say "pass"
