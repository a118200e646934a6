#!/usr/bin/env bash
# The hub's reports against an independent computation (DESIGN §5, §6):
# three simulated clinics over 90 days go through their agents (time zone
# UTC, so a business date is the UTC date of occurred_at) to the hub; then
# the kpis and financials reports by site, franchise and day, and the fee
# statement of a whole month inside the range, must equal what a few
# lines of Python compute from the NDJSON that was submitted, voids taken
# into account: every sum exactly, the franchise row as the sum of the
# sites, the day rows adding up to the range, money (money per unit too:
# avg_ticket, revenue_per_provider_hour) as integer cents rounded half up,
# and the fee statement in the common report shape. CSV and table output, the
# exit codes and the routes' 400s are checked on the way.
#
# Knobs: IT_RATE (simulated events a clinic a day), IT_SEED.
. "$(dirname "$0")/lib.sh"

RATE=${IT_RATE:-400}
SEED=${IT_SEED:-41}
DAYS=90
# a few days back, so that no simulated event lies ahead of the agents' clock
END=$(date -u -d '3 days ago' +%F)
FROM=$(date -u -d "$END - $((DAYS - 1)) days" +%F)
# the first calendar month wholly inside [FROM, END]
MONTH=$(python3 -c '
import datetime, sys
f = datetime.date.fromisoformat(sys.argv[1])
m = f.replace(day=1) if f.day == 1 else (f.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
print(m.strftime("%Y-%m"))' "$FROM")

make_hub 1 2 3
start_hub
for id in 1 2 3; do
	start_agent "$id"
done

say "simulating 3 sites x $DAYS days ($FROM to $END), $RATE events a day"
"$MSOCTL" simulate --out "$T/sim" --sites 3 --days $DAYS --rate "$RATE" \
    --seed "$SEED" --end "$END" >/dev/null
for id in 1 2 3; do
	"$MSOCTL" submit "$T/sim/site-$id.ndjson" --agent "${AGENT_URL[$id]}" \
	    >"$T/submit$id.out" 2>&1 || fail "submit to agent $id failed"
done
for id in 1 2 3; do
	n=$(wc -l <"$T/sim/site-$id.ndjson")
	wait_until 300 caught_up "$id"
	assert_eq "site $id events at the hub" "$n" "$(hub_site "$id" 's["hwm"]')"
done

R() { "$MSOCTL" report "$@" --hub "$HUB_URL"; }

say "reports as JSON"
for kind in kpis financials; do
	for by in site franchise day; do
		R "$kind" --from "$FROM" --to "$END" --by $by --format json \
		    >"$T/$kind-$by.json" || fail "report $kind --by $by failed"
	done
done
R fees --period "$MONTH" --format json >"$T/fees.json" ||
    fail "report fees failed"

say "independent computation from the submitted NDJSON"
python3 - "$T" "$FROM" "$END" "$MONTH" <<'PY' || fail "reports differ from the NDJSON"
import datetime, json, sys
from collections import defaultdict

T, FROM, END, MONTH = sys.argv[1:5]
SITES = (1, 2, 3)
STORED_VALUE = {"gift_card", "package", "membership"}
NOT_CASH = {"gift_card", "membership_credit"}
PROVIDERS = {"md", "np", "pa", "rn", "aesthetician"}
SUMS = ("gross_sales", "stored_value_sold", "refunds", "net_revenue",
        "collections", "supply_spend")
bad = []

def business_date(v):
    if isinstance(v, int):
        t = datetime.datetime.fromtimestamp(v / 1000, datetime.timezone.utc)
    else:
        t = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
    return t.astimezone(datetime.timezone.utc).date().isoformat()

def zero():
    return {k: 0 for k in SUMS + ("minutes", "completed", "no_show")}

# per site, per business date: the parts every checked KPI is made of
days = {s: defaultdict(zero) for s in SITES}
for s in SITES:
    events = [json.loads(l) for l in open(f"{T}/sim/site-{s}.ndjson")]
    voided = {e["void"]["voided_event_id"] for e in events if "void" in e}
    for e in events:
        if e["event_id"] in voided or "void" in e:
            continue
        d = days[s][business_date(e["occurred_at"])]
        if "sale" in e:
            b = e["sale"]
            key = "stored_value_sold" if b["category"] in STORED_VALUE \
                else "gross_sales"
            d[key] += b.get("amount_cents", 0)
        elif "refund" in e:
            d["refunds"] += e["refund"].get("amount_cents", 0)
        elif "payment" in e:
            b = e["payment"]
            if b["method"] not in NOT_CASH:
                d["collections"] += b.get("amount_cents", 0)
        elif "purchase_order" in e:
            b = e["purchase_order"]
            d["supply_spend"] += b.get("quantity", 0) * \
                b.get("unit_price_cents", 0)
        elif "staff_shift" in e:
            b = e["staff_shift"]
            if b["role"] in PROVIDERS:
                d["minutes"] += b.get("minutes", 0)
        elif "appointment" in e:
            st = e["appointment"]["status"]
            if st in ("completed", "no_show"):
                d[st] += 1
    for d in days[s].values():
        d["net_revenue"] = d["gross_sales"] - d["refunds"]

def total(parts):
    t = zero()
    for p in parts:
        for k in t:
            t[k] += p[k]
    return t

def in_range(s, lo, hi):
    return [v for k, v in days[s].items() if lo <= k <= hi]

def kpi(parts, name):
    if name == "provider_hours":
        return parts["minutes"] / 60
    if name == "no_show_rate":
        n = parts["completed"] + parts["no_show"]
        return parts["no_show"] / n if n else None
    return parts[name]

def check(what, row, parts, names):
    for k in names:
        if k not in row:
            bad.append(f"{what}: no '{k}' in the row")
        elif row[k] != kpi(parts, k):
            bad.append(f"{what}: {k} = {row[k]!r}, expected {kpi(parts, k)!r}")

# money is integer cents (DESIGN §6), money per unit too: rounded half up
MONEY = SUMS + ("service_revenue", "contract_variance", "rebate_accrued",
                "avg_ticket", "revenue_per_provider_hour")

def half_up(n, d):
    return (2 * n + d) // (2 * d) if d else None

def check_money(what, row, parts):
    for k in MONEY:
        v = row.get(k)
        if v is not None and (type(v) is not int):
            bad.append(f"{what}: {k} = {v!r} is not integer cents")
    if "avg_ticket" in row and row["avg_ticket"] != half_up(
            row.get("gross_sales", 0), row.get("tickets", 0)):
        bad.append(f"{what}: avg_ticket = {row['avg_ticket']!r}, expected "
                   f"{half_up(row.get('gross_sales', 0), row.get('tickets', 0))!r}")
    if "revenue_per_provider_hour" in row:
        want = half_up(60 * row.get("service_revenue", 0), parts["minutes"])
        if row["revenue_per_provider_hour"] != want:
            bad.append(f"{what}: revenue_per_provider_hour = "
                       f"{row['revenue_per_provider_hour']!r}, expected {want!r}")

def load(name):
    d = json.load(open(f"{T}/{name}.json"))
    for k, v in (("from", FROM), ("to", END)):
        if d.get(k) != v:
            bad.append(f"{name}: {k} = {d.get(k)!r}, expected {v!r}")
    return d

site_tot = {s: total(in_range(s, FROM, END)) for s in SITES}
fr_tot = total(site_tot.values())
checked = 0
for kind in ("kpis", "financials"):
    names = list(SUMS) + ["provider_hours", "no_show_rate"]
    if kind == "financials":
        # the money figures are required; the others where carried
        first = load(f"{kind}-site")["rows"][:1]
        names = [k for k in names if k in SUMS or (first and k in first[0])]
    by_site = load(f"{kind}-site")
    rows = {r.get("site_id"): r for r in by_site["rows"]}
    if sorted(rows) != list(SITES):
        bad.append(f"{kind} by site: rows for {sorted(rows, key=str)}")
    for s in SITES:
        check(f"{kind} site {s}", rows.get(s, {}), site_tot[s], names)
        check_money(f"{kind} site {s}", rows.get(s, {}), site_tot[s])
        checked += len(names)

    fr = load(f"{kind}-franchise")["rows"]
    if len(fr) != 1:
        bad.append(f"{kind} by franchise: {len(fr)} rows")
    else:
        check(f"{kind} franchise", fr[0], fr_tot, names)
        check_money(f"{kind} franchise", fr[0], fr_tot)
        for k in SUMS:
            if fr[0].get(k) != sum(rows.get(s, {}).get(k, 0) for s in SITES):
                bad.append(f"{kind}: franchise {k} is not the sum of sites")
        checked += len(names)

    by_day = load(f"{kind}-day")["rows"]
    seen = set()
    for r in by_day:
        day = r.get("date")
        seen.add(day)
        parts = total(days[s][day] for s in SITES if day in days[s])
        check(f"{kind} day {day}", r, parts, SUMS)
        check_money(f"{kind} day {day}", r, parts)
        checked += len(SUMS)
    for k in SUMS:
        got = sum(r.get(k, 0) for r in by_day)
        if got != fr_tot[k]:
            bad.append(f"{kind}: day rows sum {k} to {got}, "
                       f"the range holds {fr_tot[k]}")
    busy = {k for s in SITES for k in days[s] if FROM <= k <= END}
    if not busy <= seen:
        bad.append(f"{kind} by day: no row for {sorted(busy - seen)[:5]}")

# the fee: percent of the month's gross sales, 600 bp, half up (make_hub)
y, m = map(int, MONTH.split("-"))
lo = f"{MONTH}-01"
hi = (datetime.date(y + m // 12, m % 12 + 1, 1) -
      datetime.timedelta(days=1)).isoformat()
fees = json.load(open(f"{T}/fees.json"))
frows = {r.get("site_id"): r for r in fees.get("rows", [])}
if fees.get("period") != MONTH:
    bad.append(f"fees: period {fees.get('period')!r}, expected {MONTH!r}")
# the common report shape too: the month as from..to, by site
for k, v in (("from", lo), ("to", hi), ("by", "site")):
    if fees.get(k) != v:
        bad.append(f"fees: {k} {fees.get(k)!r}, expected {v!r}")
for s in SITES:
    base = total(in_range(s, lo, hi))["gross_sales"]
    fee = (600 * base + 5000) // 10000
    r = frows.get(s, {})
    if r.get("fee_model") != "percent":
        bad.append(f"fees site {s}: fee_model {r.get('fee_model')!r}")
    if r.get("base_cents") != base:
        bad.append(f"fees site {s}: base_cents {r.get('base_cents')!r}, "
                   f"expected {base}")
    if r.get("fee_cents") != fee:
        bad.append(f"fees site {s}: fee_cents {r.get('fee_cents')!r}, "
                   f"expected {fee}")
    checked += 3

for b in bad[:40]:
    print("MISMATCH:", b, file=sys.stderr)
if bad:
    sys.exit(1)
print(f"ok: {checked} figures equal the independent computation "
      f"(franchise gross_sales {fr_tot['gross_sales']} cents, "
      f"fees for {MONTH})")
PY

say "CSV"
R kpis --from "$FROM" --to "$END" --by site --format csv >"$T/kpis-site.csv" ||
    fail "report kpis --format csv failed"
python3 - "$T/kpis-site.csv" "$T/kpis-site.json" <<'PY' || fail "CSV does not match the JSON"
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
doc = json.load(open(sys.argv[2]))
assert len(rows) == 4, f"{len(rows)} lines, expected a header and 3 rows"
head = rows[0]
assert head[0] == "site_id", f"first column {head[0]!r}"
assert len(set(head)) == len(head), "a column name repeats"
for line, want in zip(rows[1:], doc["rows"]):
    assert len(line) == len(head), f"{len(line)} cells for {len(head)} columns"
    got = dict(zip(head, line))
    assert int(got["site_id"]) == want["site_id"]
    for k in ("gross_sales", "net_revenue", "collections", "refunds",
              "avg_ticket", "revenue_per_provider_hour"):
        if want[k] is None:
            continue
        assert type(want[k]) is int, f"{k}: {want[k]!r} is not integer cents"
        assert int(got[k]) == want[k], f"{k}: {got[k]} vs {want[k]}"
    for k, v in want.items():
        if isinstance(v, dict):
            for c, x in v.items():
                assert f"{k}.{c}" in got, f"no column {k}.{c}"
        elif v is None:
            assert got[k] == "", f"{k}: null should be empty, got {got[k]!r}"
print(f"ok: CSV header of {len(head)} columns and 3 rows, as the JSON")
PY

say "tables"
for by in site franchise day month; do
	R kpis --from "$FROM" --to "$END" --by $by --format table \
	    >"$T/kpis-$by.txt" || fail "report kpis --by $by --format table failed"
	[ -s "$T/kpis-$by.txt" ] || fail "empty table for --by $by"
done
for kind in financials vendors compliance; do
	R $kind --from "$FROM" --to "$END" --by site >"$T/$kind.txt" ||
	    fail "report $kind (table) failed"
done
R fees --period "$MONTH" >"$T/fees.txt" || fail "report fees (table) failed"
"$MSOCTL" contracts --hub "$HUB_URL" >"$T/contracts.txt" ||
    fail "contracts (table) failed"
"$MSOCTL" contracts --hub "$HUB_URL" --expiring-within 365 --format json \
    >"$T/contracts.json" || fail "contracts --format json failed"
json_get "$T/contracts.json" 'type(d["contracts"]).__name__' >/dev/null
grep -q 'gross_sales' "$T/kpis-site.txt" || fail "no gross_sales in the table"
echo "ok: tables print"

say "exit codes"
rc=0; R kpis --to "$END" >/dev/null 2>&1 || rc=$?
assert_eq "missing --from" 2 "$rc"
rc=0; R kpis --from 2026-02-30 --to "$END" >/dev/null 2>&1 || rc=$?
assert_eq "bad date" 2 "$rc"
rc=0; R kpis --from "$FROM" --to "$END" --by week >/dev/null 2>&1 || rc=$?
assert_eq "bad --by" 2 "$rc"
rc=0; R fees --period 2026-13 >/dev/null 2>&1 || rc=$?
assert_eq "bad --period" 2 "$rc"
rc=0; R kpis --from "$FROM" --to "$END" --site 99 >/dev/null 2>"$T/err" || rc=$?
assert_eq "unknown site (the hub refuses)" 1 "$rc"
rc=0; R kpis --from "$FROM" --to "$END" --token wrong >/dev/null 2>&1 || rc=$?
assert_eq "bad token" 1 "$rc"

say "routes refuse bad parameters, naming them"
# status_of PATH: the HTTP status of GET PATH with the token
status_of() {
	curl -s -o "$T/body" -w '%{http_code}' \
	    -H "Authorization: Bearer $TOKEN" "$HUB_URL$1"
}
assert_eq "no from" 400 "$(status_of "/v1/report/kpis?to=$END")"
grep -q '"from' "$T/body" || fail "400 does not name from: $(cat "$T/body")"
assert_eq "bad by" 400 "$(status_of "/v1/report/kpis?from=$FROM&to=$END&by=week")"
grep -q 'by' "$T/body" || fail "400 does not name by: $(cat "$T/body")"
assert_eq "bad period" 400 "$(status_of "/v1/fees?period=2026-1")"
grep -q 'period' "$T/body" || fail "400 does not name period"
assert_eq "bad expiring_within" 400 "$(status_of "/v1/contracts?expiring_within=-1")"
grep -q 'expiring_within' "$T/body" || fail "400 does not name expiring_within"
assert_eq "no such report" 404 "$(status_of "/v1/report/nonsense?from=$FROM&to=$END")"
assert_eq "no token" 401 "$(curl -s -o /dev/null -w '%{http_code}' \
    "$HUB_URL/v1/report/kpis?from=$FROM&to=$END")"
assert_eq "site report" 200 "$(status_of "/v1/report/kpis?from=$FROM&to=$END&site=2&by=site")"
assert_eq "one row for site=2" "[2]" "$(json_get "$T/body" '[r["site_id"] for r in d["rows"]]')"
echo "PASS"
