#!/usr/bin/env bash
# The hub's configuration and its HTTP guard (DESIGN §9): -n checks the
# files and reports every error as file:line (exit 2), all in one run:
# the config file's, the hub's own checks (addresses, key file) at the
# line or flag of their key, and those inside the sites and tokens files;
# an endpoint that parses but cannot be bound is a runtime failure (exit
# 1); a secret key file readable by others is refused; every /v1 route wants a valid bearer
# token (stored hashed, so the hash itself is no token); SIGHUP reloads
# the tokens and sites files, and a broken reload keeps the old ones.
. "$(dirname "$0")/lib.sh"

ROUTES=(
	"GET /v1/sites"
	"GET /v1/verify"
	"GET /v1/report/kpis?from=2026-01-01&to=2026-01-31"
	"GET /v1/report/financials?from=2026-01-01&to=2026-01-31&by=site"
	"GET /v1/report/vendors?from=2026-01-01&to=2026-01-31"
	"GET /v1/report/compliance?from=2026-01-01&to=2026-01-31"
	"GET /v1/contracts?expiring_within=90"
	"GET /v1/fees?period=2026-01"
	"POST /v1/sites/7/resume"
	"GET /v1/no-such-route"
)

# hub_check [FLAGS...]: run msosync-hub -n on the test's files.
hub_check() {
	"$HUB" -n --data-dir "$T/hub.d" --listen "tcp://127.0.0.1:$HUB_PORT" \
	    --http-listen "127.0.0.1:$HUB_HTTP" --secret-key-file "$T/hub.key" \
	    --sites-file "$T/sites.conf" --tokens-file "$T/tokens" "$@"
}

# status METHOD PATH [CURL ARGS...]: the HTTP status of one request.
status() {
	local m=$1 p=$2
	shift 2
	curl -s -o /dev/null -w '%{http_code}' -X "$m" "$@" "$HUB_URL$p"
}

make_hub 7 8

say "-n with good files"
set +e
out=$(hub_check 2>&1)
rc=$?
set -e
assert_eq "hub -n exit status" 0 "$rc"
assert_eq "hub -n says" "configuration ok: 2 sites, 1 tokens" "$out"
[ ! -e "$T/hub.d" ] || fail "hub -n created its data directory"

say "-n with a sites file full of errors"
cat >"$T/bad.conf" <<BAD
[site 7]
name = Clinic 7
public_key = notakey
fee_model = percent
fee_percent_bp = 600

[site 8]
name = Clinic 8
public_key = $(cat "$T/site8.pub")
fee_model = weird
colour = blue

[site x]
name = Nobody

[site 9]
name = Clinic 9
fee_model = percent
fee_percent_bp = 600
[site 10]
name = Copycat
public_key = $(cat "$T/site8.pub")
fee_model = percent
fee_percent_bp = 600
BAD
set +e
hub_check --sites-file "$T/bad.conf" >"$T/bad.out" 2>&1
rc=$?
set -e
cat "$T/bad.out"
assert_eq "hub -n exit status, bad sites file" 2 "$rc"
for want in \
    "$T/bad.conf:3: site 7: public_key: " \
    "$T/bad.conf:10: site 8: fee_model: " \
    "$T/bad.conf:11: site 8: unknown key 'colour'" \
    "$T/bad.conf:13: bad section [site x]" \
    "$T/bad.conf:16: site 9: missing required key 'public_key'" \
    "$T/bad.conf:22: site 10: public_key is also the public_key of site 8"; do
	grep -qF -- "$want" "$T/bad.out" || fail "no error '$want'"
	echo "ok: reported: $want"
done
n=$(grep -cv "^$T/bad.conf:[0-9]*: " "$T/bad.out" || true)
assert_eq "lines that are not file:line errors" 0 "$n"
set +e
timeout 10 "$HUB" --data-dir "$T/hub.d" --listen "tcp://127.0.0.1:$HUB_PORT" \
    --http-listen "127.0.0.1:$HUB_HTTP" --secret-key-file "$T/hub.key" \
    --sites-file "$T/bad.conf" --tokens-file "$T/tokens" >/dev/null 2>&1
rc=$?
set -e
assert_eq "hub start exit status, bad sites file" 2 "$rc"

say "a secret key file readable by others"
chmod 0644 "$T/hub.key"
set +e
hub_check >"$T/key.out" 2>&1
rc=$?
set -e
cat "$T/key.out"
assert_eq "hub -n exit status, key mode 0644" 2 "$rc"
grep -qF "$T/hub.key" "$T/key.out" || fail "the error does not name the key file"
set +e
timeout 10 "$HUB" --data-dir "$T/hub.d" --listen "tcp://127.0.0.1:$HUB_PORT" \
    --http-listen "127.0.0.1:$HUB_HTTP" --secret-key-file "$T/hub.key" \
    --sites-file "$T/sites.conf" --tokens-file "$T/tokens" >/dev/null 2>&1
rc=$?
set -e
assert_eq "hub start exit status, key mode 0644" 2 "$rc"
http_ok "$HUB_URL/healthz" && fail "a hub is listening with a world-readable key"

say "a config file with errors in it and in every file it names: all at once"
printf '[site 7]\nname = Clinic 7\npublic_key = nope\nfee_model = percent\n' \
    >"$T/bad-sites.conf"
printf 'tests 1234\n' >"$T/bad-tokens"
cat >"$T/hub.conf" <<EOF
[hub]
data_dir = $T/hub.d
listen = garbage
http_listen = nothing
secret_key_file = $T/hub.key
sites_file = $T/bad-sites.conf
tokens_file = $T/bad-tokens
receive_queue_max_mb = 0
EOF
# the loader's errors, the hub's own checks in the order of its keys, then
# the errors inside the sites and tokens files at their own lines
cat >"$T/hub.want" <<EOF
$T/hub.conf:8: receive_queue_max_mb: expected an integer from 1 to 65536
$T/hub.conf:3: listen: expected tcp://HOST:PORT, not 'garbage'
$T/hub.conf:4: http_listen: expected HOST:PORT, not 'nothing'
$T/hub.conf:5: secret_key_file: $T/hub.key: secret key file must not be readable by group or others (mode 0644); chmod 600 it
$T/bad-sites.conf:3: site 7: public_key: expected a 40-character Z85 public key
$T/bad-sites.conf:4: site 7: fee_model percent needs fee_percent_bp
$T/bad-tokens:1: token 'tests': expected a hash of 64 hex digits
EOF
for mode in -n start; do
	set +e
	if [ "$mode" = -n ]; then
		"$HUB" -n --config "$T/hub.conf" >"$T/many.out" 2>"$T/many.err"
	else
		timeout 10 "$HUB" --config "$T/hub.conf" >"$T/many.out" 2>"$T/many.err"
	fi
	rc=$?
	set -e
	assert_eq "hub $mode, every error: exit status" 2 "$rc"
	assert_eq "hub $mode, every error: stderr" "$(cat "$T/hub.want")" "$(cat "$T/many.err")"
	assert_eq "hub $mode, every error: stdout" "" "$(cat "$T/many.out")"
done
[ ! -e "$T/hub.d" ] || fail "a refused configuration created the data dir"

say "a missing key file and bad addresses given as flags"
set +e
"$HUB" -n --config "$T/hub.conf" --secret-key-file "$T/absent.key" \
    --listen "tcp://localhost:$HUB_PORT" --http-listen "127.0.0.1:0" \
    --sites-file "$T/absent.conf" --tokens-file "$T/tokens" \
    --receive-queue-max-mb 256 >"$T/flags.out" 2>"$T/flags.err"
rc=$?
set -e
assert_eq "hub -n, bad flags: exit status" 2 "$rc"
# the file's bad value is reported even though the flag overrides it
assert_eq "hub -n, bad flags: stderr" \
"$T/hub.conf:8: receive_queue_max_mb: expected an integer from 1 to 65536
--listen: 'localhost' is not an IPv4 address, '*' or a network interface
--http-listen: port '0' is not a number from 1 to 65535
--secret-key-file: $T/absent.key: No such file or directory
--sites-file: $T/absent.conf: No such file or directory" "$(cat "$T/flags.err")"
chmod 0600 "$T/hub.key"

say "every /v1 route wants a valid bearer token"
start_hub
HASH=$(awk '{ print $2 }' "$T/tokens")
for r in "${ROUTES[@]}"; do
	m=${r%% *}
	p=${r#* }
	assert_eq "$r without a token" 401 "$(status "$m" "$p")"
	assert_eq "$r with a bad token" 401 "$(status "$m" "$p" -H "Authorization: Bearer x$TOKEN")"
	assert_eq "$r with the stored hash as token" 401 "$(status "$m" "$p" -H "Authorization: Bearer $HASH")"
	assert_eq "$r with an empty bearer" 401 "$(status "$m" "$p" -H "Authorization: Bearer ")"
	assert_eq "$r with Basic auth" 401 "$(status "$m" "$p" -u "tests:$TOKEN")"
done
curl -s -D "$T/headers" -o /dev/null "$HUB_URL/v1/sites"
grep -qi '^WWW-Authenticate: Bearer' "$T/headers" || fail "401 without WWW-Authenticate: Bearer"
echo "ok: 401 carries WWW-Authenticate: Bearer"
assert_eq "GET /v1/sites with the token" 200 "$(status GET /v1/sites -H "Authorization: Bearer $TOKEN")"
assert_eq "GET /v1/verify with the token" 200 "$(status GET /v1/verify -H "Authorization: Bearer $TOKEN")"
assert_eq "GET /healthz without a token" 200 "$(status GET /healthz)"
set +e
"$MSOCTL" sites --hub "$HUB_URL" --token "x$TOKEN" >/dev/null 2>&1
rc=$?
set -e
assert_eq "msoctl sites with a bad token exit status" 1 "$rc"

say "SIGHUP reloads the tokens: a removed token stops working at once"
NEW=$("$MSOCTL" token new second --tokens-file "$T/tokens" 2>/dev/null)
grep -v '^tests ' "$T/tokens" >"$T/tokens.new"
mv "$T/tokens.new" "$T/tokens"
kill -HUP "$HUB_PID"
new_works() { [ "$(status GET /v1/sites -H "Authorization: Bearer $NEW")" = 200 ]; }
wait_until 10 new_works
assert_eq "the removed token" 401 "$(status GET /v1/sites -H "Authorization: Bearer $TOKEN")"
assert_eq "the added token" 200 "$(status GET /v1/sites -H "Authorization: Bearer $NEW")"
TOKEN=$NEW

say "an endpoint that parses but cannot be bound: a runtime failure"
set +e
hub_check --data-dir "$T/hub2.d" >/dev/null 2>&1
rc=$?
timeout 10 "$HUB" --data-dir "$T/hub2.d" --listen "tcp://127.0.0.1:$HUB_PORT" \
    --http-listen "127.0.0.1:$(free_port)" --secret-key-file "$T/hub.key" \
    --sites-file "$T/sites.conf" --tokens-file "$T/tokens" \
    >"$T/busy.out" 2>"$T/busy.err"
rc2=$?
set -e
assert_eq "hub -n with a busy replication port: exit status" 0 "$rc"
assert_eq "hub start on a busy replication port: exit status" 1 "$rc2"
grep -qF "bind tcp://127.0.0.1:$HUB_PORT" "$T/busy.err" ||
    fail "the bind failure does not name the endpoint: $(cat "$T/busy.err")"

say "a broken sites file on SIGHUP keeps the previous registry"
cp "$T/bad.conf" "$T/sites.conf"
kill -HUP "$HUB_PID"
wait_until 10 grep -q 'reload refused' "$T/hub.log"
kill -0 "$HUB_PID" || fail "the hub died on a bad reload"
assert_eq "sites still served" "7 8" \
    "$(curl -sf -H "Authorization: Bearer $TOKEN" "$HUB_URL/v1/sites" | json_get - '" ".join(str(s["site_id"]) for s in d["sites"])')"
assert_eq "the token still works" 200 "$(status GET /v1/sites -H "Authorization: Bearer $TOKEN")"
say "pass"
