#!/usr/bin/env bash
# The agent's command line and configuration (DESIGN §9): -n passes a good
# file and reports every error of a bad one as file:line: message with
# exit 2, the agent's own checks (addresses, key file, time zone) with
# the rest; a bad flag is named as the flag; an address that parses but
# cannot be bound is a runtime failure (exit 1); --help, --version, unknown flags and missing keys give the
# documented exit codes; a flag beats the file; and a secret key file
# readable by others keeps the agent from starting.
. "$(dirname "$0")/lib.sh"

# run_agent OUT ARGS...: run the agent to completion (10 s at most),
# stdout and stderr in OUT.out / OUT.err; sets RC
run_agent() {
	local out=$1
	shift
	RC=0
	timeout 10 "$AGENT" "$@" > "$out.out" 2> "$out.err" || RC=$?
}

"$MSOCTL" keygen "$T/hub" > /dev/null
"$MSOCTL" keygen "$T/site" > /dev/null
assert_eq "keygen secret key mode" 600 "$(stat -c %a "$T/site.key")"

say "a good file"
cat > "$T/good.conf" <<EOF
# a clinic agent
[agent]
site_id = 7
data_dir = $T/good.d
http_listen = 127.0.0.1:$(free_port)
hub_endpoint = tcp://127.0.0.1:$(free_port)
hub_public_key = $(cat "$T/hub.pub")
secret_key_file = $T/site.key
timezone = America/Chicago
currency = USD
journal_max_mb = 64
retention_days = 30
batch_max_events = 2000
window = 8
http_max_body_mb = 16
EOF
run_agent "$T/good" -n --config "$T/good.conf"
assert_eq "-n good file: exit" 0 "$RC"
assert_eq "-n good file: stdout" "configuration ok" "$(cat "$T/good.out")"
assert_eq "-n good file: stderr" "" "$(cat "$T/good.err")"
[ ! -e "$T/good.d" ] || fail "-n created the data dir"
run_agent "$T/good2" --check --config "$T/good.conf"
assert_eq "--check good file: exit" 0 "$RC"

say "a file with three errors"
cat > "$T/bad.conf" <<EOF
[agent]
site_id = zero
data_dir = $T/bad.d
journal_max_mb = -5
colour = blue
EOF
run_agent "$T/bad" -n --config "$T/bad.conf"
assert_eq "-n bad file: exit" 2 "$RC"
grep -q -F "$T/bad.conf:2: site_id: " "$T/bad.err" ||
    fail "no '$T/bad.conf:2: site_id:' in: $(cat "$T/bad.err")"
grep -q -F "$T/bad.conf:4: journal_max_mb: " "$T/bad.err" ||
    fail "no '$T/bad.conf:4: journal_max_mb:' in: $(cat "$T/bad.err")"
grep -q -E "^$T/bad.conf:5: .*colour" "$T/bad.err" ||
    fail "no '$T/bad.conf:5: ... colour' in: $(cat "$T/bad.err")"
assert_eq "-n bad file: error lines" 3 "$(grep -c -E "^$T/bad.conf:[0-9]+: " "$T/bad.err")"
assert_eq "-n bad file: nothing else on stderr" 3 "$(wc -l < "$T/bad.err")"
assert_eq "-n bad file: stdout" "" "$(cat "$T/bad.out")"
# the same file without -n does not start either
run_agent "$T/bad3" --config "$T/bad.conf"
assert_eq "bad file without -n: exit" 2 "$RC"
[ ! -e "$T/bad.d" ] || fail "a refused configuration created the data dir"

say "a file with errors of every kind: all of them at once, each at its line"
# one error on each of lines 4 to 12; lines 2, 3 and 5 are good
cat > "$T/many.conf" <<EOF
[agent]
site_id = 7
data_dir = $T/many.d
timezone = Mars/Olympus
hub_endpoint = tcp://127.0.0.1:7470
hub_public_key = notakey
secret_key_file = $T/nonexist.key
window = 0
debug = yes
http_listen = notanaddress
ipc_endpoint = garbage
colour = blue
EOF
# the loader's errors in file order, then the agent's own checks in the
# order of its keys
cat > "$T/many.want" <<EOF
$T/many.conf:8: window: expected an integer from 1 to 1024
$T/many.conf:9: debug: expected true or false
$T/many.conf:12: unknown key 'colour' in [agent]
$T/many.conf:10: http_listen: expected HOST:PORT, not 'notanaddress'
$T/many.conf:11: ipc_endpoint: expected ipc://PATH, not 'garbage'
$T/many.conf:6: hub_public_key: expected a 40-character Z85 public key
$T/many.conf:7: secret_key_file: $T/nonexist.key: No such file or directory
$T/many.conf:4: timezone: unknown time zone 'Mars/Olympus'
EOF
run_agent "$T/many" -n --config "$T/many.conf"
assert_eq "-n many errors: exit" 2 "$RC"
assert_eq "-n many errors: stderr" "$(cat "$T/many.want")" "$(cat "$T/many.err")"
assert_eq "-n many errors: stdout" "" "$(cat "$T/many.out")"
run_agent "$T/many-start" --config "$T/many.conf"
assert_eq "many errors at start: exit" 2 "$RC"
assert_eq "many errors at start: stderr" "$(cat "$T/many.want")" "$(cat "$T/many-start.err")"
[ ! -e "$T/many.d" ] || fail "a refused configuration created the data dir"

say "bad addresses as flags"
run_agent "$T/addr" -n --site-id 1 --data-dir "$T/addr.d" \
    --http-listen 127.0.0.1:70000 --ipc-endpoint garbage \
    --hub-endpoint garbage
assert_eq "-n bad address flags: exit" 2 "$RC"
assert_eq "-n bad address flags: stderr" \
"--http-listen: port '70000' is not a number from 1 to 65535
--ipc-endpoint: expected ipc://PATH, not 'garbage'
--hub-endpoint: expected tcp://HOST:PORT, not 'garbage'
--hub-endpoint: needs hub_public_key
--hub-endpoint: needs secret_key_file" "$(cat "$T/addr.err")"
run_agent "$T/addr-start" --site-id 1 --data-dir "$T/addr.d" \
    --http-listen notanaddress --timezone UTC
assert_eq "bad http_listen flag at start: exit" 2 "$RC"
assert_eq "bad http_listen flag at start: stderr" \
    "--http-listen: expected HOST:PORT, not 'notanaddress'" \
    "$(cat "$T/addr-start.err")"
[ ! -e "$T/addr.d" ] || fail "a refused configuration created the data dir"
run_agent "$T/cur" -n --site-id 1 --data-dir "$T/addr.d" --currency dollars
assert_eq "-n bad currency: exit" 2 "$RC"
assert_eq "-n bad currency: stderr" \
    "--currency: expected a three-letter ISO 4217 code such as USD, not 'dollars'" \
    "$(cat "$T/cur.err")"
run_agent "$T/cur-ok" -n --site-id 1 --data-dir "$T/addr.d" --currency EUR
assert_eq "-n currency EUR: exit" 0 "$RC"
# the flag is blamed for its value even where the file has the key too
cat > "$T/addr.conf" <<EOF
[agent]
site_id = 9
data_dir = $T/addr.d
http_listen = 127.0.0.1:7460
hub_endpoint = tcp://[::1]:7470
EOF
run_agent "$T/addr-both" -n --config "$T/addr.conf" \
    --http-listen nothing --hub-public-key "$(cat "$T/hub.pub")" \
    --secret-key-file "$T/site.key"
assert_eq "file and flag: exit" 2 "$RC"
assert_eq "file and flag: stderr" \
"--http-listen: expected HOST:PORT, not 'nothing'
$T/addr.conf:5: hub_endpoint: IPv6 addresses are not supported" \
    "$(cat "$T/addr-both.err")"

say "flags"
run_agent "$T/help" --help
assert_eq "--help: exit" 0 "$RC"
grep -q -- "--data-dir" "$T/help.out" || fail "--help does not list --data-dir"
grep -q -- "--journal-max-mb" "$T/help.out" || fail "--help does not list --journal-max-mb"
run_agent "$T/version" --version
assert_eq "--version: exit" 0 "$RC"
grep -q "^msosync-agent [0-9]" "$T/version.out" ||
    fail "--version printed: $(cat "$T/version.out")"
run_agent "$T/unknown" --site-id 1 --data-dir "$T/u.d" --no-such-flag=1
assert_eq "unknown flag: exit" 2 "$RC"
grep -q -F -- "--no-such-flag" "$T/unknown.err" ||
    fail "unknown flag not named: $(cat "$T/unknown.err")"
run_agent "$T/missing"
assert_eq "no site_id, no data_dir: exit" 2 "$RC"
grep -q "site_id" "$T/missing.err" && grep -q "data_dir" "$T/missing.err" ||
    fail "missing keys not both named: $(cat "$T/missing.err")"
run_agent "$T/range" -n --site-id 0 --data-dir "$T/r.d"
assert_eq "site_id 0: exit" 2 "$RC"
grep -q -F -- "--site-id" "$T/range.err" || fail "bad flag not named: $(cat "$T/range.err")"
run_agent "$T/tz" -n --site-id 1 --data-dir "$T/r.d" --timezone Mars/Olympus_Mons
assert_eq "unknown time zone: exit" 2 "$RC"
grep -q "Mars/Olympus_Mons" "$T/tz.err" || fail "bad zone not named: $(cat "$T/tz.err")"
run_agent "$T/nokey" -n --site-id 1 --data-dir "$T/r.d" \
    --hub-endpoint "tcp://127.0.0.1:1" --hub-public-key "$(cat "$T/hub.pub")"
assert_eq "hub_endpoint without secret_key_file: exit" 2 "$RC"
grep -q "secret_key_file" "$T/nokey.err" || fail "missing key file not named: $(cat "$T/nokey.err")"

say "a flag beats the file"
FILE_PORT=$(free_port)
FLAG_PORT=$(free_port)
cat > "$T/nohub.conf" <<EOF
[agent]
site_id = 9
data_dir = $T/file.d
http_listen = 127.0.0.1:$FILE_PORT
timezone = UTC
EOF
"$AGENT" --config "$T/nohub.conf" --http-listen "127.0.0.1:$FLAG_PORT" \
    --data-dir="$T/flag.d" >> "$T/flag.log" 2>&1 &
FLAG_PID=$!
PIDS+=("$FLAG_PID")
wait_until 10 http_ok "http://127.0.0.1:$FLAG_PORT/healthz"
assert_eq "site_id from the file" 9 \
    "$(curl -sf "http://127.0.0.1:$FLAG_PORT/v1/status" | json_get - 'd["site_id"]')"
http_ok "http://127.0.0.1:$FILE_PORT/healthz" && fail "also listening on the file's port"
[ -f "$T/flag.d/pepper" ] || fail "the flag's data dir was not used"
[ ! -e "$T/file.d" ] || fail "the file's data dir was used"
kill -TERM "$FLAG_PID"
rc=0
wait "$FLAG_PID" || rc=$?
assert_eq "exit status on SIGTERM" 0 "$rc"

say "a secret key file readable by others"
cp "$T/site.key" "$T/open.key"
chmod 0644 "$T/open.key"
PORT=$(free_port)
run_agent "$T/open" --site-id 7 --data-dir "$T/open.d" --timezone UTC \
    --http-listen "127.0.0.1:$PORT" --hub-endpoint "tcp://127.0.0.1:$(free_port)" \
    --hub-public-key "$(cat "$T/hub.pub")" --secret-key-file "$T/open.key"
assert_eq "exit of an agent with a 0644 secret key (a config error)" 2 "$RC"
run_agent "$T/open-check" -n --site-id 7 --data-dir "$T/open.d" \
    --hub-endpoint "tcp://127.0.0.1:7470" --hub-public-key "$(cat "$T/hub.pub")" \
    --secret-key-file "$T/open.key"
assert_eq "-n with a 0644 secret key" 2 "$RC"
grep -q "0644" "$T/open.err" || fail "the message does not name the mode: $(cat "$T/open.err")"
grep -q -F "$T/open.key" "$T/open.err" || fail "the message does not name the file: $(cat "$T/open.err")"
http_ok "http://127.0.0.1:$PORT/healthz" && fail "something answers on its port"
# the same key at 0600 starts
chmod 0600 "$T/open.key"
"$AGENT" --site-id 7 --data-dir "$T/open.d" --timezone UTC \
    --http-listen "127.0.0.1:$PORT" --hub-endpoint "tcp://127.0.0.1:$(free_port)" \
    --hub-public-key "$(cat "$T/hub.pub")" --secret-key-file "$T/open.key" \
    >> "$T/open600.log" 2>&1 &
OPEN_PID=$!
PIDS+=("$OPEN_PID")
wait_until 10 http_ok "http://127.0.0.1:$PORT/healthz"
echo "ok: the same key at mode 0600 starts"

say "an address that parses but cannot be bound: a runtime failure"
run_agent "$T/busy-check" -n --site-id 8 --data-dir "$T/busy.d" \
    --http-listen "127.0.0.1:$PORT"
assert_eq "-n with a busy port: exit" 0 "$RC"
run_agent "$T/busy" --site-id 8 --data-dir "$T/busy.d" --timezone UTC \
    --http-listen "127.0.0.1:$PORT"
assert_eq "start on a busy port: exit" 1 "$RC"
grep -q -F "http 127.0.0.1:$PORT" "$T/busy.err" ||
    fail "the bind failure does not name the address: $(cat "$T/busy.err")"
say "PASS"
