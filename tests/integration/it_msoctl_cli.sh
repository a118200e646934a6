#!/usr/bin/env bash
# msoctl's common options (DESIGN §9) against a real hub and agent:
# CMD --help prints usage and exits 0 wherever it stands; --agent, --hub,
# --token and --config are taken by every command that talks HTTP; the
# [msoctl] section of --config FILE gives agent, hub and token, a flag
# beats MSOSYNC_TOKEN which beats the file, and a bad file is reported as
# file:line (exit 2); a hub's refusal is printed, never swallowed.
. "$(dirname "$0")/lib.sh"

# run ARGS...: msoctl ARGS; sets RC, OUT and ERR.
run() {
	set +e
	"$MSOCTL" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	set -e
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

say "CMD --help: usage on stdout, exit 0"
for cmd in keygen token sites verify site report contracts simulate submit \
    status validate; do
	run $cmd --help
	assert_eq "$cmd --help exit" 0 "$RC"
	assert_eq "$cmd --help usage" "usage: msoctl $cmd" \
	    "$(head -n 1 "$T/out" | cut -d' ' -f1-3)"
	assert_eq "$cmd --help stderr" "" "$ERR"
done
run site resume 1 --help
assert_eq "site resume 1 --help exit" 0 "$RC"
run report kpis --from 2026-01-01 -h
assert_eq "report kpis -h exit" 0 "$RC"
run sites --help
grep -q -- '--config FILE' "$T/out" || fail "sites --help names no --config"
grep -q 'A flag beats MSOSYNC_TOKEN' "$T/out" ||
    fail "sites --help does not say which source wins"

make_hub 1
start_hub
start_agent 1
# The hub answers resume with 409 only for a site it holds events of.
"$MSOCTL" simulate --days 1 --rate 5 --seed 3 > "$T/day.ndjson"
"$MSOCTL" submit "$T/day.ndjson" --agent "${AGENT_URL[1]}" >/dev/null
wait_until 20 caught_up 1
DEAD=http://127.0.0.1:$(free_port)	# nothing listens there

say "--agent, --hub, --token on every command that talks HTTP"
run status --agent "${AGENT_URL[1]}" --hub "$DEAD" --token x
assert_eq "status with --hub --token exit" 0 "$RC"
run submit /dev/null --agent "${AGENT_URL[1]}" --hub "$DEAD" --token x
assert_eq "submit with --hub --token exit" 0 "$RC"
run sites --agent "$DEAD" --hub "$HUB_URL" --token "$TOKEN"
assert_eq "sites with --agent exit" 0 "$RC"
run verify --agent "$DEAD" --hub "$HUB_URL" --token "$TOKEN"
assert_eq "verify with --agent exit" 0 "$RC"
run contracts --agent "$DEAD" --hub="$HUB_URL" --token="$TOKEN"
assert_eq "contracts with --agent exit" 0 "$RC"
run report fees --period 2026-01 --agent "$DEAD" --hub "$HUB_URL"
assert_eq "report fees with --agent exit" 0 "$RC"
run keygen "$T/k" --hub "$HUB_URL"
assert_eq "keygen (no HTTP) with --hub exit" 2 "$RC"
assert_eq "keygen (no HTTP) with --hub stderr" \
    "msoctl keygen: unknown option --hub" "$(head -n 1 "$T/err")"

say "a hub's refusal is printed"
run site resume 1 --reason "x" --hub "$HUB_URL"
assert_eq "resume of an unbroken chain exit" 1 "$RC"
assert_eq "resume of an unbroken chain stderr" \
    "msoctl site resume: hub answered 409: the site's chain is not broken: nothing to resume" \
    "$ERR"
assert_eq "resume of an unbroken chain stdout" "" "$OUT"
run site resume 99 --reason "x" --hub "$HUB_URL"
assert_eq "resume of an unknown site exit" 1 "$RC"
assert_eq "resume of an unknown site stderr" \
    "msoctl site resume: hub answered 404: no such site" "$ERR"
for args in "sites" "verify" "contracts" "report fees --period 2026-01" \
    "report kpis --from 2026-01-01 --to 2026-01-31" \
    "site resume 1 --reason x"; do
	# shellcheck disable=SC2086
	run $args --hub "$HUB_URL" --token wrong
	assert_eq "$args with a wrong token exit" 1 "$RC"
	assert_eq "$args with a wrong token stderr" \
	    "hub answered 401: a valid bearer token is required" \
	    "${ERR#msoctl *: }"
done

say "--config FILE: [msoctl] agent, hub, token"
unset MSOSYNC_TOKEN
printf '[msoctl]\nagent = %s\nhub = %s\ntoken = %s\n' \
    "${AGENT_URL[1]}" "$HUB_URL" "$TOKEN" > "$T/good.conf"
run sites --config "$T/good.conf" --format json
assert_eq "sites from the file exit" 0 "$RC"
assert_eq "sites from the file: site 1" 1 \
    "$(json_get "$T/out" 'd["sites"][0]["site_id"]')"
run status --config="$T/good.conf"
assert_eq "status from the file exit" 0 "$RC"
run site resume 1 --config "$T/good.conf" --reason x
assert_eq "--config between the arguments: exit" 1 "$RC"
assert_eq "--config between the arguments: the hub's answer" \
    "msoctl site resume: hub answered 409: the site's chain is not broken: nothing to resume" \
    "$ERR"

say "a flag beats MSOSYNC_TOKEN, which beats the file"
run sites --config "$T/good.conf" --hub "$DEAD"
assert_eq "--hub beats the file: exit" 1 "$RC"
assert_eq "--hub beats the file: stderr" \
    "msoctl sites: $DEAD: no answer (is it running?)" "$ERR"
run status --config "$T/good.conf" --agent "$DEAD"
assert_eq "--agent beats the file: exit" 1 "$RC"
assert_eq "--agent beats the file: stderr" \
    "msoctl status: $DEAD: no answer (is it running?)" "$ERR"
run sites --config "$T/good.conf" --token wrong
assert_eq "--token beats the file: exit" 1 "$RC"
assert_eq "--token beats the file: stderr" \
    "msoctl sites: hub answered 401: a valid bearer token is required" "$ERR"
set +e
MSOSYNC_TOKEN=wrong "$MSOCTL" sites --config "$T/good.conf" >/dev/null 2>&1
assert_eq "MSOSYNC_TOKEN beats the file" 1 "$?"
MSOSYNC_TOKEN=wrong "$MSOCTL" sites --config "$T/good.conf" \
    --token "$TOKEN" >/dev/null 2>&1
assert_eq "--token beats MSOSYNC_TOKEN" 0 "$?"
printf '[msoctl]\nhub = %s\ntoken = wrong\n' "$HUB_URL" > "$T/badtok.conf"
MSOSYNC_TOKEN=$TOKEN "$MSOCTL" sites --config "$T/badtok.conf" >/dev/null 2>&1
assert_eq "MSOSYNC_TOKEN over the file's wrong token" 0 "$?"
set -e

say "a bad --config file: file:line: message, exit 2"
printf '[msoctl]\nhub = %s\nbogus = 1\n[agent]\ndata_dir = x\n' \
    "$HUB_URL" > "$T/bad.conf"
run sites --config "$T/bad.conf"
assert_eq "bad file exit" 2 "$RC"
assert_eq "bad file stderr" \
    "$T/bad.conf:3: unknown key 'bogus' in [msoctl]
$T/bad.conf:4: unknown section [agent]" "$ERR"
assert_eq "bad file stdout" "" "$OUT"
run status --config "$T/none.conf"
assert_eq "missing file exit" 2 "$RC"
assert_eq "missing file stderr" \
    "$T/none.conf: No such file or directory" "$ERR"
run sites --config
assert_eq "--config without FILE exit" 2 "$RC"

say "ok"
