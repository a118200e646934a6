#!/usr/bin/env bash
# A clinic whose disk died (DESIGN §4.3): site 7 sends 300 events, then its
# agent's data directory is lost. Re-provisioned with its pepper restored
# from backup, the agent starts a new journal (a new epoch, seq from 1) and
# the POS replays 200 of the old events with their ids plus 100 new ones.
# The hub opens epoch 2 with an alert, skips the 200 as duplicates (the
# mark still passes them) and holds 300 + 100 events, each once.
#
# Knobs: IT_OLD (events of the first journal), IT_REPLAYED (of them sent
# again), IT_NEW (new events after the loss).
. "$(dirname "$0")/lib.sh"

OLD=${IT_OLD:-300}
REPLAYED=${IT_REPLAYED:-200}
NEW=${IT_NEW:-100}

make_hub 7
start_hub
PEPPER=$T/pepper7		# outside the data dir, as a backup would be
start_agent 7 --pepper-file "$PEPPER"
[ -f "$PEPPER" ] || fail "the agent did not make its pepper file at $PEPPER"
cp -p "$PEPPER" "$T/pepper7.backup"

# voids refer to earlier events that a new journal may not hold: leave
# them out so that every line stands alone
"$MSOCTL" simulate --days 10 --rate 100 --seed 7 --end 2026-05-31 >"$T/sim.ndjson"
grep -v '"void"' "$T/sim.ndjson" >"$T/pool.ndjson"
[ "$(wc -l <"$T/pool.ndjson")" -ge $((OLD + NEW)) ] || fail "simulator gave too few events"
head -n "$OLD" "$T/pool.ndjson" >"$T/old.ndjson"
{ head -n "$REPLAYED" "$T/old.ndjson"
  sed -n "$((OLD + 1)),$((OLD + NEW))p" "$T/pool.ndjson"; } >"$T/again.ndjson"

assert_eq "first journal submit" "accepted $OLD, duplicate 0, errors 0" \
    "$("$MSOCTL" submit "$T/old.ndjson" --agent "${AGENT_URL[7]}")"
wait_until 30 caught_up 7
OLD_EPOCH=$(agent_status 7 'd["epoch"]')
assert_eq "hub events, epoch 1" "$OLD" "$(hub_site 7 's["events"]')"
assert_eq "hub epoch_ordinal, epoch 1" 1 "$(hub_site 7 's["epoch_ordinal"]')"
assert_eq "hub epoch, epoch 1" "$OLD_EPOCH" "$(hub_site 7 's["epoch"]')"

say "the clinic's disk dies; re-provisioned with its pepper from backup"
kill9 "${AGENT_PID[7]}"
rm -rf "$T/agent7" "$PEPPER"
cp -p "$T/pepper7.backup" "$PEPPER"
start_agent 7 --pepper-file "$PEPPER"
NEW_EPOCH=$(agent_status 7 'd["epoch"]')
[ "$NEW_EPOCH" != "$OLD_EPOCH" ] || fail "a fresh journal kept epoch $OLD_EPOCH"
echo "ok: new journal epoch $NEW_EPOCH (was $OLD_EPOCH)"
cmp -s "$PEPPER" "$T/pepper7.backup" || fail "the agent replaced the restored pepper"
echo "ok: the restored pepper is the one in use"
linked() { [ "$(agent_status 7 'd["hub"]["connected"]')" = True ]; }
wait_until 30 linked
assert_eq "last_ack_at after the welcome, before any new event" True \
    "$(agent_status 7 'd["hub"]["last_ack_at"] is not None')"

assert_eq "new journal submit (its own ids are new to it)" \
    "accepted $((REPLAYED + NEW)), duplicate 0, errors 0" \
    "$("$MSOCTL" submit "$T/again.ndjson" --agent "${AGENT_URL[7]}")"
wait_until 30 caught_up 7

assert_eq "agent head_seq, epoch 2" $((REPLAYED + NEW)) "$(agent_status 7 'd["head_seq"]')"
assert_eq "hub epoch, epoch 2" "$NEW_EPOCH" "$(hub_site 7 's["epoch"]')"
assert_eq "hub epoch_ordinal" 2 "$(hub_site 7 's["epoch_ordinal"]')"
assert_eq "hub hwm (the new epoch's last seq)" $((REPLAYED + NEW)) "$(hub_site 7 's["hwm"]')"
assert_eq "hub events (every event once)" $((OLD + NEW)) "$(hub_site 7 's["events"]')"
assert_eq "hub duplicates" "$REPLAYED" "$(hub_site 7 's["duplicates"]')"
assert_eq "epoch_changed alerts" 1 "$(hub_site 7 'sum(a["kind"] == "epoch_changed" for a in s["alerts"])')"
assert_eq "hub state" active "$(hub_site 7 's["state"]')"
assert_eq "hub chain" ok "$(hub_site 7 's["chain"]')"
dups=$(curl -sf "$HUB_URL/metrics" | awk '$1 == "msosync_hub_duplicates_total" { print $2 }')
assert_eq "hub metric duplicates_total" "$REPLAYED" "$dups"

curl -s -H "Authorization: Bearer $TOKEN" -o "$T/verify.json" \
    -w '%{http_code}' "$HUB_URL/v1/verify" >"$T/verify.code"
assert_eq "GET /v1/verify status" 200 "$(cat "$T/verify.code")"
assert_eq "verify ok" True "$(json_get "$T/verify.json" 'd["ok"]')"
# both chains end to end: the old epoch's records, and the new one's,
# skipped duplicates included
assert_eq "verify events_checked" $((OLD + REPLAYED + NEW)) "$(json_get "$T/verify.json" 'd["events_checked"]')"
"$MSOCTL" verify --hub "$HUB_URL" >/dev/null || fail "msoctl verify exited non-zero"

say "the old disk brought back (a retired epoch) is refused"
set +e
"$B/tests/integration/wire_probe" hello --endpoint "tcp://127.0.0.1:$HUB_PORT" \
    --hub-public-key "$(cat "$T/hub.pub")" --secret-key-file "$T/site7.key" \
    --site 7 --epoch "$OLD_EPOCH" >"$T/probe.out" 2>&1
rc=$?
set -e
cat "$T/probe.out"
assert_eq "probe exit status (1: not welcomed)" 1 "$rc"
grep -q '^reject code=' "$T/probe.out" || fail "no reject for the retired epoch"
assert_eq "hub epoch after the retired hello" "$NEW_EPOCH" "$(hub_site 7 's["epoch"]')"
assert_eq "hub epoch_ordinal after the retired hello" 2 "$(hub_site 7 's["epoch_ordinal"]')"
wait_until 30 caught_up 7

say "the same events replayed once more into the new journal change nothing"
assert_eq "re-submit to the new journal" \
    "accepted 0, duplicate $((REPLAYED + NEW)), errors 0" \
    "$("$MSOCTL" submit "$T/again.ndjson" --agent "${AGENT_URL[7]}")"
assert_eq "hub events unchanged" $((OLD + NEW)) "$(hub_site 7 's["events"]')"
say "pass"
