#!/usr/bin/env python3
# The last step of tests/bench/run.sh: fold the driver's raw measurements
# (OUT/raw/*.json, rss.tsv, machine.txt) into OUT/results.json and a
# Markdown table (OUT/table.md, also printed). Medians over the runs;
# ratios are msosync / peer for throughput and peer / msosync for
# latency and time, so that a ratio above 1 always favours msosync.
import glob
import json
import os
import statistics
import sys

out = sys.argv[1]
raw = os.path.join(out, "raw")


def load(name):
    path = os.path.join(raw, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def runs(prefix):
    found = []
    for path in sorted(glob.glob(os.path.join(raw, prefix + "-[0-9]*.json"))):
        with open(path) as f:
            found.append(json.load(f))
    return found


def median(rs, key):
    vals = [r[key] for r in rs if key in r]
    return statistics.median(vals) if vals else None


machine = {}
with open(os.path.join(raw, "machine.txt")) as f:
    for line in f:
        for part in line.split() if line.startswith(("events=", "fanin_")) else [line.strip()]:
            k, _, v = part.partition("=")
            machine[k] = v

rss = {}
cpu = {}    # run -> role -> CPU seconds over the process's life
if os.path.exists(os.path.join(raw, "procs.tsv")):
    with open(os.path.join(raw, "procs.tsv")) as f:
        for line in f:
            sc, role, kb, cpu_s, run = line.rstrip("\n").split("\t")
            key = "s%s.%s" % (sc, role)
            rss[key] = max(rss.get(key, 0), int(kb))
            cpu.setdefault(run, {})[role] = float(cpu_s)


def metric(run, role, name):
    path = os.path.join(raw, "%s-%s.metrics" % (run, role))
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None


def us_per_event(run, role, events):
    c = cpu.get(run, {}).get(role)
    return None if c is None or not events else round(c * 1e6 / events, 2)


def mib(sc, role):
    kb = rss.get("s%s.%s" % (sc, role))
    return None if kb is None else round(kb / 1024, 1)


rows = []
results = {"machine": machine, "peak_rss_mib": {k: round(v / 1024, 1) for k, v in rss.items()},
           "scenarios": {}}


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 2)


def row(scenario, metric, ours, peer, rat, target, note=""):
    rows.append((scenario, metric, ours, peer, rat, target, note))


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float) and v < 100:
        return "%.2f%s" % (v, unit)
    return "{:,}{}".format(int(round(v)), unit)


# 1: durable ingest at the site
ipc, http, nats = runs("s1-ipc"), runs("s1-http"), runs("s1-nats")
ipcsync = runs("s1-ipcsync")
if ipc or nats:
    m_ipc, m_http, m_nats = median(ipc, "eps"), median(http, "eps"), median(nats, "eps")
    m_sync = median(ipcsync, "eps")
    rtt, nrtt, fs = load("s1-rtt"), load("s1-nats-rtt"), load("s1-fsync")
    results["scenarios"]["1_ingest"] = {
        "msosync_ipc_eps_median": m_ipc, "msosync_ipc_runs": ipc,
        "msosync_ipc_sync_eps_median": m_sync, "msosync_ipc_sync_runs": ipcsync,
        "msosync_http_eps_median": m_http, "msosync_http_runs": http,
        "nats_eps_median": m_nats, "nats_runs": nats,
        "msosync_rtt": rtt, "nats_rtt": nrtt, "fsync": fs,
        "ratio_ipc": ratio(m_ipc, m_nats), "ratio_http": ratio(m_http, m_nats),
        "ratio_ipc_sync": ratio(m_sync, m_nats),
    }
    ipc_w = ipc[0].get("window", "?") if ipc else "?"
    row("1 ingest", "ipc 4x100, %s in flight each, vs JS async pub, events/s" % ipc_w,
        fmt(m_ipc), fmt(m_nats), ratio(m_ipc, m_nats), ">= 3x, >= 250,000/s")
    if ipcsync:
        row("1 ingest", "ipc 4x100, one at a time, vs JS async pub, events/s",
            fmt(m_sync), fmt(m_nats), ratio(m_sync, m_nats), "")
    row("1 ingest", "HTTP NDJSON 2x5000 vs JS async pub, events/s", fmt(m_http), fmt(m_nats),
        ratio(m_http, m_nats), ">= 3x, >= 250,000/s")
    if rtt and nrtt:
        row("1 ingest", "single event round trip p50 / p99, ms",
            "%.2f / %.2f" % (rtt["rtt_p50_ms"], rtt["rtt_p99_ms"]),
            "%.2f / %.2f" % (nrtt["rtt_p50_ms"], nrtt["rtt_p99_ms"]),
            ratio(nrtt["rtt_p50_ms"], rtt["rtt_p50_ms"]),
            "~ one LMDB commit", "JetStream acks before fsync")
    if fs:
        row("1 ingest", "fsync of a 4 KiB write p50 / p99, ms (an LMDB commit: fdatasync + O_DSYNC meta write)",
            "%.2f / %.2f" % (fs["fsync_p50_ms"], fs["fsync_p99_ms"]), "-", None, "")
    row("1 ingest", "peak RSS agent / nats-server, MiB", fmt(mib(1, "agent")),
        fmt(mib(1, "nats-server")), None, "")

# 2: end to end
e_ipc, e_http, e_nats = runs("s2-ipc"), runs("s2-http"), runs("s2-nats")
if e_ipc or e_nats:
    m_ipc, m_http, m_nats = median(e_ipc, "eps"), median(e_http, "eps"), median(e_nats, "eps")
    results["scenarios"]["2_end_to_end"] = {
        "msosync_ipc_eps_median": m_ipc, "msosync_ipc_runs": e_ipc,
        "msosync_http_eps_median": m_http, "msosync_http_runs": e_http,
        "nats_eps_median": m_nats, "nats_runs": e_nats,
        "ratio_ipc": ratio(m_ipc, m_nats), "ratio_http": ratio(m_http, m_nats),
    }
    row("2 site->hub", "ipc ingest -> hub commit vs leaf+source, events/s", fmt(m_ipc),
        fmt(m_nats), ratio(m_ipc, m_nats), ">= 3x")
    row("2 site->hub", "HTTP ingest -> hub commit vs leaf+source, events/s", fmt(m_http),
        fmt(m_nats), ratio(m_http, m_nats), ">= 3x")
    row("2 site->hub", "peak RSS agent+hub / site+hub servers, MiB",
        "%s + %s" % (fmt(mib(2, "agent")), fmt(mib(2, "hub"))),
        "%s + %s" % (fmt(mib(2, "nats-site")), fmt(mib(2, "nats-hub"))), None, "")

# 3: catch-up
c_m, c_n = load("s3-msosync"), load("s3-nats")
if c_m or c_n:
    results["scenarios"]["3_catchup"] = {"msosync": c_m, "nats": c_n,
                                         "fill_msosync": load("s3-fill"),
                                         "fill_nats": load("s3-nats-fill")}
    g = lambda d, k: d.get(k) if d else None
    row("3 catch-up", "%s events: hub back -> complete, s" % fmt(g(c_m, "events") or g(c_n, "events")),
        fmt(g(c_m, "seconds")), fmt(g(c_n, "seconds")),
        ratio(g(c_n, "seconds"), g(c_m, "seconds")), ">= 5x")
    row("3 catch-up", "catch-up rate after first progress, events/s",
        fmt(g(c_m, "catchup_eps")), fmt(g(c_n, "catchup_eps")),
        ratio(g(c_m, "catchup_eps"), g(c_n, "catchup_eps")), ">= 250,000/s")
    row("3 catch-up", "reconnect: hub back -> first progress, s",
        fmt(g(c_m, "first_progress_s")), fmt(g(c_n, "first_progress_s")), None, "")
    row("3 catch-up", "peak RSS agent / hub vs site / hub server, MiB",
        "%s / %s" % (fmt(mib(3, "agent")), fmt(mib(3, "hub"))),
        "%s / %s" % (fmt(mib(3, "nats-site")), fmt(mib(3, "nats-hub"))), None, "")

# 4: steady rate latency
s_m, s_n = load("s4-msosync"), load("s4-nats")
if s_m or s_n:
    results["scenarios"]["4_steady"] = {"msosync": s_m, "nats": s_n}
    g = lambda d, k: d.get(k) if d else None
    row("4 steady", "%s/s: submit -> hub commit vs publish -> hub consumer, p50 ms" %
        fmt(g(s_m, "rate") or g(s_n, "rate")),
        fmt(g(s_m, "hub_commit_p50_ms")), fmt(g(s_n, "hub_consume_p50_ms")),
        ratio(g(s_n, "hub_consume_p50_ms"), g(s_m, "hub_commit_p50_ms")), "")
    row("4 steady", "same, p99 ms", fmt(g(s_m, "hub_commit_p99_ms")),
        fmt(g(s_n, "hub_consume_p99_ms")),
        ratio(g(s_n, "hub_consume_p99_ms"), g(s_m, "hub_commit_p99_ms")),
        "p99 <= peer/5, < 10 ms")
    row("4 steady", "msosync submit -> durable at the agent, p50 / p99 ms",
        "%s / %s" % (fmt(g(s_m, "journal_p50_ms")), fmt(g(s_m, "journal_p99_ms"))), "-", None, "")
    row("4 steady", "msosync journaled -> hub commit, p50 / p99 ms",
        "%s / %s" % (fmt(g(s_m, "journal_to_hub_p50_ms")), fmt(g(s_m, "journal_to_hub_p99_ms"))),
        "-", None, "p99 < 10 ms")
    row("4 steady", "peak RSS agent / hub vs site / hub server, MiB",
        "%s / %s" % (fmt(mib(4, "agent")), fmt(mib(4, "hub"))),
        "%s / %s" % (fmt(mib(4, "nats-site")), fmt(mib(4, "nats-hub"))), None, "")

# 5: fan-in
f_m = load("s5-msosync")
if f_m:
    results["scenarios"]["5_fanin"] = {"msosync": f_m, "nats": "not run: 500 JetStream leaf "
                                       "servers (one per site) do not fit one 2-core machine"}
    row("5 fan-in", "%d sites, distinct keys: events/s into the hub" % f_m["sites"],
        fmt(f_m["eps"]), "n/a", None, "all sites lag 0")
    row("5 fan-in", "sites at lag 0 / connected at the end", "%d / %d" % (
        f_m["sites_lag0"], f_m["sites_connected"]), "n/a", None, "")
    row("5 fan-in", "all sites welcomed (CURVE handshakes), s", fmt(f_m["all_welcomed_s"]),
        "n/a", None, "")
    row("5 fan-in", "peak RSS hub, MiB", fmt(mib(5, "hub")), "n/a", None, "")

# Where the time goes: CPU per event of each process, events per commit.
cost = {}
for prefix, roles in (("s1-ipc", ("agent",)), ("s1-http", ("agent",)), ("s2-ipc", ("agent", "hub")),
                      ("s2-http", ("agent", "hub")), ("s3-msosync", ("agent", "hub")),
                      ("s1-nats", ()), ("s2-nats", ()), ("s3-nats", ())):
    for path in sorted(glob.glob(os.path.join(raw, prefix + "*.json"))):
        run = os.path.basename(path)[:-5]
        with open(path) as f:
            d = json.load(f)
        n = d.get("events")
        if not n:
            continue
        c = {"events": n, "driver_cpu_us_per_event": round(d["driver_cpu_s"] * 1e6 / n, 2)
             if "driver_cpu_s" in d else None}
        for role in roles:
            c[role + "_cpu_us_per_event"] = us_per_event(run, role, n)
        commits = metric(run, "agent", "msosync_agent_commits_total")
        if commits:
            c["agent_events_per_commit"] = round(n / commits, 1)
        commits = metric(run, "hub", "msosync_hub_commits_total")
        if commits:
            c["hub_events_per_commit"] = round(n / commits, 1)
        cost[run] = c
# a nats-server serves every run of its scenario: its CPU over all of them
for sc, prefixes in (("s1-nats", ("s1-nats-", "s1-nats-rtt")), ("s2-nats", ("s2-nats-",)),
                     ("s3-nats", ("s3-nats-fill", "s3-nats"))):
    total = 0
    for path in glob.glob(os.path.join(raw, "*.json")):
        name = os.path.basename(path)[:-5]
        if any(name == p or (p.endswith("-") and name.startswith(p) and name[len(p):].isdigit())
               for p in prefixes):
            with open(path) as f:
                total += json.load(f).get("events", 0)
    for role, c in cpu.get(sc, {}).items():
        if total:
            cost.setdefault(sc + "-server", {"events": total})[role + "_cpu_us_per_event"] = \
                round(c * 1e6 / total, 2)
results["cost"] = cost

results["notes"] = [
    "%s: JetStream file storage acknowledges a message once it is written to "
    "the OS and forces a sync only periodically (2.9 has no sync_interval option "
    "to sync every write). msosync acknowledges only after an fsync'd LMDB "
    "commit, at the agent and at the hub." % machine.get("nats_server", "nats-server"),
    "msosync journals protobuf (~120 bytes an event); NATS stores the JSON line "
    "(~190 bytes) with its headers.",
    "Scenario 4 msosync latency: submit time (scheduled) to the first hub "
    "/v1/sites poll (every 1 ms) showing hwm >= the event's seq: an upper bound.",
]
results["table"] = [dict(zip(("scenario", "metric", "msosync", "peer", "ratio", "target", "note"), r))
                    for r in rows]

loads = []
for path in glob.glob(os.path.join(raw, "*.json")):
    with open(path) as f:
        v = json.load(f).get("loadavg_1m")
    if v is not None:
        loads.append(v)
if loads:
    machine["loadavg_1m_during_runs"] = [min(loads), statistics.median(loads), max(loads)]

with open(os.path.join(out, "results.json"), "w") as f:
    json.dump(results, f, indent=1)

lines = ["| scenario | metric | msosync | NATS JetStream | ratio | target |",
         "| --- | --- | ---: | ---: | ---: | --- |"]
for sc, metric, ours, peer, rat, target, note in rows:
    lines.append("| %s | %s%s | %s | %s | %s | %s |" % (
        sc, metric, " (%s)" % note if note else "", ours, peer,
        "-" if rat is None else "%.2fx" % rat, target))
lines += ["", "| run | client CPU µs/event | agent | hub | nats-server(s) | events per commit agent / hub |",
          "| --- | ---: | ---: | ---: | ---: | ---: |"]
for run in sorted(cost):
    c = cost[run]
    nats_cpu = sum(v for k, v in c.items() if k.startswith("nats") and v is not None)
    lines.append("| %s | %s | %s | %s | %s | %s / %s |" % (
        run, fmt(c.get("driver_cpu_us_per_event")), fmt(c.get("agent_cpu_us_per_event")),
        fmt(c.get("hub_cpu_us_per_event")), fmt(nats_cpu) if nats_cpu else "-",
        fmt(c.get("agent_events_per_commit")), fmt(c.get("hub_events_per_commit"))))
table = "\n".join(lines)
with open(os.path.join(out, "table.md"), "w") as f:
    f.write(table + "\n")
print(table)
print()
print("machine: %s x %s, %.1f GiB RAM, %s; %s; 1-minute load average during the runs "
      "%s (min / median / max)" % (
          machine.get("nproc"), machine.get("cpu"), int(machine.get("mem_kb", 0)) / 1048576,
          machine.get("fs"), machine.get("nats_server"),
          " / ".join("%.2f" % x for x in machine.get("loadavg_1m_during_runs", []))))
print("results: %s" % os.path.join(out, "results.json"))
