#!/usr/bin/env bash
# Durable ack under kill -9 (DESIGN §4.1, §4.2): three clients post
# distinct chunks of 100 simulated events at once and keep every answer;
# the agent is killed with SIGKILL once some hundreds are journaled, then
# restarted on the same data dir. Every event answered "accepted" before
# the kill must come back "duplicate" with the seq it was first given; a
# chunk whose request failed is either wholly in or wholly out (all
# duplicate or all accepted, never an error); and in the end the seqs are
# exactly 1..N over the N distinct events, none lost or given twice.
. "$(dirname "$0")/lib.sh"

NOHUB=1 start_agent 1
URL=${AGENT_URL[1]}
CLIENTS=3

head_seq() {
	curl -sf "$URL/v1/status" | grep -o '"head_seq":[0-9]*' | cut -d: -f2
}
head_at_least() { [ "$(head_seq)" -ge "$1" ]; }

say "simulate and split into chunks of 100"
"$MSOCTL" simulate --days 10 --rate 1500 --seed 21 \
    --end "$(date -u -d yesterday +%F)" > "$T/events.ndjson"
TOTAL=$(wc -l < "$T/events.ndjson")
mkdir "$T/chunks"
split -l 100 -d -a 4 "$T/events.ndjson" "$T/chunks/c"
chunks=("$T"/chunks/c????)
NCHUNKS=${#chunks[@]}
echo "$TOTAL events in $NCHUNKS chunks, $CLIENTS clients"

# client K posts chunks K, K+CLIENTS, ...; for chunk F it leaves F.res
# ("CURL_EXIT HTTP_CODE") and the body in F.resp
client() {
	local k=$1 i=0 f rc code
	for f in "$T"/chunks/c????; do
		if [ $((i % CLIENTS)) -eq "$k" ]; then
			rc=0
			code=$(curl -s -o "$f.resp" -w '%{http_code}' --max-time 20 \
			    --data-binary @"$f" "$URL/v1/events") || rc=$?
			echo "$rc $code" > "$f.res"
			sleep 0.01
		fi
		i=$((i + 1))
	done
}

say "three clients, then kill -9 mid-way"
CPIDS=()
for k in $(seq 0 $((CLIENTS - 1))); do
	client "$k" &
	CPIDS+=($!)
	PIDS+=($!)
done
wait_until 30 head_at_least 300
kill9 "${AGENT_PID[1]}"
echo "killed the agent"
for p in "${CPIDS[@]}"; do
	wait "$p" || fail "client $p exited $?"
done
results=("$T"/chunks/c????.res)
assert_eq "chunks with a recorded outcome" "$NCHUNKS" "${#results[@]}"

say "restart on the same data dir"
NOHUB=1 start_agent 1
HEAD_RESTART=$(head_seq)
echo "head_seq after restart: $HEAD_RESTART"

say "resubmit every chunk"
for f in "$T"/chunks/c????; do
	rc=0
	code=$(curl -s -o "$f.resp2" -w '%{http_code}' --max-time 20 \
	    --data-binary @"$f" "$URL/v1/events") || rc=$?
	echo "$rc $code" > "$f.res2"
done
HEAD_END=$(head_seq)

python3 - "$T/chunks" "$HEAD_RESTART" "$HEAD_END" "$TOTAL" <<'PY'
import glob, json, os, sys

d, head_restart, head_end, total = sys.argv[1], *map(int, sys.argv[2:])
errors = []
def bad(msg):
    errors.append(msg)

ok_chunks = failed = failed_in = failed_out = accepted_before = 0
final = {}		# event_id -> seq, from the answers after the restart
for f in sorted(glob.glob(os.path.join(d, "c????"))):
    name = os.path.basename(f)
    ids = [json.loads(l)["event_id"] for l in open(f)]
    rc, code = open(f + ".res").read().split()
    rc2, code2 = open(f + ".res2").read().split()
    if rc2 != "0" or code2 != "200":
        bad("%s: resubmission got curl %s HTTP %s" % (name, rc2, code2))
        continue
    after = json.load(open(f + ".resp2"))["results"]
    if [r["event_id"] for r in after] != ids:
        bad("%s: resubmission answered other event_ids" % name)
        continue
    for r in after:
        if final.setdefault(r["event_id"], r["seq"]) != r["seq"]:
            bad("%s: %s has two seqs" % (name, r["event_id"]))
    first = None
    if rc == "0" and code == "200":
        first = json.load(open(f + ".resp"))["results"]
    if first is not None:
        ok_chunks += 1
        if [r["event_id"] for r in first] != ids:
            bad("%s: first answer names other event_ids" % name)
            continue
        for a, b in zip(first, after):
            accepted_before += a["status"] == "accepted"
            if a["status"] != "accepted":
                bad("%s: %s first answered %s" % (name, a["event_id"], a["status"]))
            if b["status"] != "duplicate" or b["seq"] != a["seq"]:
                bad("%s: %s acked as seq %d, after kill -9: %s seq %d" %
                    (name, a["event_id"], a["seq"], b["status"], b["seq"]))
            if a["seq"] > head_restart:
                bad("%s: acked seq %d beyond head %d after restart" %
                    (name, a["seq"], head_restart))
    else:
        failed += 1
        st = {r["status"] for r in after}
        if st == {"duplicate"}:
            failed_in += 1
            if max(r["seq"] for r in after) > head_restart:
                bad("%s: duplicate beyond the head at restart" % name)
        elif st == {"accepted"}:
            failed_out += 1
            if min(r["seq"] for r in after) <= head_restart:
                bad("%s: new events got seqs at or below the restart head" % name)
        else:
            bad("%s: a failed request is half in: %s" % (name, sorted(st)))

print("chunks answered 200 before the kill: %d (%d events accepted)" %
      (ok_chunks, accepted_before))
print("chunks whose request failed: %d (%d had been journaled, %d had not)" %
      (failed, failed_in, failed_out))
print("head_seq after restart %d, at the end %d, events %d" %
      (head_restart, head_end, total))
if ok_chunks == 0 or failed == 0:
    bad("the kill did not land mid-way (%d answered, %d failed)" % (ok_chunks, failed))
if head_restart < accepted_before:
    bad("head_seq %d after restart < %d events acked" % (head_restart, accepted_before))
if len(final) != total or head_end != total:
    bad("%d distinct events answered, head %d, expected %d" %
        (len(final), head_end, total))
if sorted(final.values()) != list(range(1, total + 1)):
    bad("the seqs are not exactly 1..%d" % total)
for e in errors[:20]:
    print("FAIL:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
http_ok "$URL/healthz" || fail "agent stopped answering"
say "PASS"
