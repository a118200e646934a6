#!/usr/bin/env python3
"""The exact end check of a fault scenario, for one site (tests/fault/lib.sh).

Inputs: the chunks the clients sent (SENT names them), every 200 answer
the agent gave (RESP/<chunk>.<n>), the agent's head_seq, the hub's
counters for the site and, when there is a hub, its event_id index as
mdb_dump prints it.

An event is acknowledged once a 200 answer names it. It is
  lost     when the agent's answers say a seq the agent does not hold, or
           the hub does not hold its event_id under that same seq;
  doubled  when the agent gave it two seqs or accepted it twice, gave one
           seq to two events, journaled more events than were sent, or the
           hub holds more events than event_ids, or skipped any as a
           duplicate.
Other disagreements (an answer that is not about its chunk, an event at
the hub that nobody sent) are problems too. With --complete every chunk
sent must have been answered, and the agent's head must be the number of
distinct events sent. Prints one line per site and, last, "CHECKED LOST
DOUBLED"; exits 1 on any loss, double or problem.
"""
import argparse
import collections
import json
import os
import sys


def read_dump(path, site):
    """event_id -> (epoch ordinal, seq) for one site, from mdb_dump."""
    held = {}
    rows = []
    with open(path) as f:
        in_data = False
        for line in f:
            line = line.rstrip("\n")
            if line == "HEADER=END":
                in_data = True
            elif line == "DATA=END":
                break
            elif in_data and line.startswith(" "):
                rows.append(bytes.fromhex(line[1:]))
    if len(rows) % 2:
        sys.exit("%s: a key without a value" % path)
    for k, v in zip(rows[0::2], rows[1::2]):
        if int.from_bytes(k[:4], "big") != site:
            continue
        if len(v) != 12:
            sys.exit("%s: an ids value of %d bytes" % (path, len(v)))
        held[k[4:].decode()] = (int.from_bytes(v[:4], "big"),
                                int.from_bytes(v[4:], "big"))
    return held


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", type=int, required=True)
    ap.add_argument("--chunks", required=True)
    ap.add_argument("--sent", required=True,
                    help="a file naming the chunks sent, one a line")
    ap.add_argument("--resp", required=True)
    ap.add_argument("--head", type=int, required=True)
    ap.add_argument("--hub-events", type=int)
    ap.add_argument("--hub-dups", type=int, default=0)
    ap.add_argument("--ids-dump")
    ap.add_argument("--complete", action="store_true",
                    help="every chunk sent must have been answered")
    ap.add_argument("--pending", nargs="*", default=[],
                    help="chunks sent but never answered 200")
    a = ap.parse_args()

    problems = []
    sent = {}
    with open(a.sent) as names:
        for name in names.read().split():
            with open(os.path.join(a.chunks, name)) as f:
                sent[name] = [json.loads(l)["event_id"] for l in f]
    all_ids = {i for ids in sent.values() for i in ids}
    pending = {i for c in a.pending for i in sent[os.path.basename(c)]}

    seqs = collections.defaultdict(set)	# event_id -> seqs answered
    owners = collections.defaultdict(set)	# seq -> event_ids
    accepted = collections.Counter()
    answers = 0
    answered_chunks = set()
    for name in sorted(os.listdir(a.resp)):
        if name.startswith("."):
            continue
        chunk = name.split(".")[0]
        if chunk not in sent:
            problems.append("answer %s to a chunk never sent" % name)
            continue
        with open(os.path.join(a.resp, name)) as f:
            res = json.load(f)["results"]
        answers += 1
        answered_chunks.add(chunk)
        if [r["event_id"] for r in res] != sent[chunk]:
            problems.append("answer %s is not about chunk %s" % (name, chunk))
            continue
        for r in res:
            seqs[r["event_id"]].add(r["seq"])
            owners[r["seq"]].add(r["event_id"])
            if r["status"] == "accepted":
                accepted[r["event_id"]] += 1
            elif r["status"] != "duplicate":
                problems.append("%s: status %r" % (name, r["status"]))
    acked = set(seqs)

    lost = 0
    doubled = sum(len(s) - 1 for s in seqs.values())
    doubled += sum(n - 1 for n in accepted.values() if n > 1)
    doubled += sum(len(e) - 1 for e in owners.values())
    beyond = [s for s in owners if s < 1 or s > a.head]
    lost += len(beyond)
    if beyond:
        problems.append("seqs answered but not held by the agent (head %d): "
                        "%s" % (a.head, sorted(beyond)[:5]))
    if a.complete:
        missing = sorted(set(sent) - answered_chunks)
        if missing:
            problems.append("%d chunks never answered 200: %s" %
                            (len(missing), missing[:5]))
        if a.head > len(all_ids):
            doubled += a.head - len(all_ids)
            problems.append("agent head %d > %d distinct events sent" %
                            (a.head, len(all_ids)))
    elif a.head > len(acked | pending):
        doubled += a.head - len(acked | pending)
        problems.append("agent head %d > %d events acked or pending" %
                        (a.head, len(acked | pending)))

    hub = ""
    if a.ids_dump:
        held = read_dump(a.ids_dump, a.site)
        for i in acked:
            want = (1, min(seqs[i]))
            if held.get(i) != want:
                lost += 1
                if len(problems) < 20:
                    problems.append("event %s acked as seq %d; the hub holds "
                                    "%s" % (i, want[1], held.get(i)))
        foreign = set(held) - acked - pending
        if foreign:
            problems.append("%d event_ids at the hub that were never acked "
                            "or pending: %s" % (len(foreign),
                                                sorted(foreign)[:5]))
        if a.hub_events is None:
            sys.exit("--hub-events is needed with --ids-dump")
        if a.hub_events > len(held):
            doubled += a.hub_events - len(held)
        elif a.hub_events < len(held):
            problems.append("hub events %d < %d event_ids it indexes" %
                            (a.hub_events, len(held)))
        if a.hub_events != a.head:
            problems.append("hub events %d != agent head %d" %
                            (a.hub_events, a.head))
        doubled += a.hub_dups
        hub = ", hub events %d, hub event_ids %d" % (a.hub_events, len(held))

    print("site %d: %d answers 200, acked event_ids %d, agent head %d%s, "
          "lost %d, doubled %d" % (a.site, answers, len(acked), a.head, hub,
                                   lost, doubled))
    for p in problems:
        print("  problem: " + p)
    print(len(acked), lost, doubled)
    sys.exit(1 if problems or lost or doubled else 0)


if __name__ == "__main__":
    main()
