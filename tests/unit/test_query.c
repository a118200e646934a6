/*
 * Tests for query.c and fees.c over aggregates made by aggregate_apply
 * (run in store_write transactions, without stored events: the reports
 * read only aggregates). A seeded generator writes three clinics over
 * ten weeks that start and end mid-month; the reports must add up: by=day
 * and by=month rows to the range's total, by=site rows to the franchise
 * row; ratios come from the summed parts; empty groups give null ratios;
 * every day and month of the range has its row; bad ranges are refused
 * with a reason; money per unit (avg_ticket, revenue_per_provider_hour)
 * is integer cents rounded half up, checked on hand-made lines; the fee
 * statement has the common report shape. The last case measures a franchise-year KPI report
 * (MSOSYNC_BENCH_SITES sites × 365 days; 200 for the figure in the notes).
 */
#include <sys/stat.h>

#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <zmq.h>

#include "msosync/error.h"
#include "aggregate.h"
#include "keys.h"
#include "query.h"
#include "sites.h"
#include "store.h"
#include "report_head.h"
#include "testutil.h"

#define MIB		((size_t)1 << 20)
#define FIRST_DAY	20260915	/* the data: 2026-09-15 .. 11-23 */
#define NDAYS		70

struct fx {
	char		 root[64];
	char		 dir[128];
	char		 sites_path[128];
	struct store	*s;
	struct sites	*sites;
};

/* What one store_write applies: a site's events over some days. */
struct gen {
	uint32_t	site;
	uint32_t	first;		/* YYYYMMDD */
	int		ndays;
	int		per_day;	/* sales a day */
	uint64_t	seed;		/* the same rng on a rerun */
	uint64_t	rng;
	uint64_t	events;
	char		buf[8][64];
};


/* A sites file of n sites; every third without a tax_id. */
static void
write_sites(struct fx *fx, int n)
{
	struct config_errors	errs;
	char			pub[KEYS_Z85_LEN + 1], sec[KEYS_Z85_LEN + 1];
	FILE			*f = fopen(fx->sites_path, "w");

	assert_non_null(f);
	for (int i = 1; i <= n; i++) {
		assert_int_equal(zmq_curve_keypair(pub, sec), 0);
		fprintf(f, "[site %d]\npublic_key = %s\n", i, pub);
		if (i % 3 != 0)
			fprintf(f, "tax_id = TX-%d\n", i % 2);
		if (i % 2 == 0)
			fprintf(f, "fee_model = fixed_plus_percent\n"
			    "fee_fixed_cents = 10000\nfee_percent_bp = 450\n"
			    "fee_base = net_revenue\n"
			    "fee_floor_cents = 20000\n");
		else
			fprintf(f, "fee_model = percent\nfee_percent_bp = 725\n"
			    "fee_cap_cents = 900000\n");
	}
	assert_int_equal(fclose(f), 0);
	memset(&errs, 0, sizeof(errs));
	sites_free(&fx->sites);
	assert_int_equal(sites_load(fx->sites_path, &fx->sites, &errs), 0);
	config_errors_free(&errs);
}

static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->root, sizeof(fx->root), "/tmp/test_query.XXXXXX");
	if (mkdtemp(fx->root) == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/hub", fx->root);
	snprintf(fx->sites_path, sizeof(fx->sites_path), "%s/sites.conf",
	    fx->root);
	if (store_open(fx->dir, 4096 * MIB, &fx->s) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	store_close(&fx->s);
	sites_free(&fx->sites);
	testutil_rm_rf(fx->root);
	free(fx);
	return 0;
}

static uint32_t
rnd(struct gen *g, uint32_t n)
{
	g->rng = g->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(g->rng >> 33) % n;
}

static uint32_t
next_day(uint32_t d)
{
	static const int	mdays[13] = {
		0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	uint32_t		y = d / 10000, m = d / 100 % 100;
	int			len = mdays[m];

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		len = 29;
	if ((int)(d % 100) < len)
		return d + 1;
	return m == 12 ? (y + 1) * 10000 + 101 : y * 10000 + (m + 1) * 100 + 1;
}

static int
apply(struct store_txn *t, struct gen *g, Msosync__Event *ev, uint32_t date)
{
	ev->site_id = g->site;
	ev->business_date = date;
	g->events++;
	return aggregate_apply(NULL, t, g->site, ev);
}

/*
 * A clinic's days: sales (every category, clients coming back), payments
 * of every method, refunds, shifts, appointments, leads, orders under a
 * contract without tiers (so rebates add up across rows: every spend is a
 * multiple of 100 at 1 %) and without.
 */
static int
gen_days(void *arg, struct store_txn *t)
{
	struct gen		*g = arg;
	Msosync__Event		 ev;
	Msosync__Sale		 sale;
	Msosync__Payment	 pay;
	Msosync__Refund		 ref;
	Msosync__StaffShift	 sh;
	Msosync__Appointment	 ap;
	Msosync__Lead		 ld;
	Msosync__PurchaseOrder	 po;
	Msosync__Training	 tr;
	Msosync__VendorContract	 vc;
	Msosync__ContractPrice	 cp, *cps[1] = { &cp };
	uint32_t		 d = g->first;
	int			 rc;

	g->rng = g->seed;
	g->events = 0;
	msosync__event__init(&ev);
	msosync__vendor_contract__init(&vc);
	msosync__contract_price__init(&cp);
	vc.contract_id = "C-1";
	vc.vendor_id = "V-1";
	vc.status = MSOSYNC__VENDOR_CONTRACT__STATUS__SIGNED;
	vc.start_date = 20260101;
	vc.end_date = 20271231;
	vc.rebate_bp = 100;
	cp.sku = "SKU-1";
	cp.unit_price_cents = 3000;
	vc.n_prices = 1;
	vc.prices = cps;
	ev.body_case = MSOSYNC__EVENT__BODY_VENDOR_CONTRACT;
	ev.vendor_contract = &vc;
	ev.event_id = "contract";
	if ((rc = apply(t, g, &ev, d)) != 0)
		return rc;
	for (int i = 0; i < 4; i++) {
		msosync__training__init(&tr);
		snprintf(g->buf[0], sizeof(g->buf[0]), "st-%d", i);
		tr.staff_ref = g->buf[0];
		tr.course = i % 2 == 0 ? MSOSYNC__TRAINING__COURSE__HIPAA :
		    MSOSYNC__TRAINING__COURSE__OSHA_BLOODBORNE;
		tr.expires_on = 20261101 + (uint32_t)i * 100;
		ev.body_case = MSOSYNC__EVENT__BODY_TRAINING;
		ev.training = &tr;
		if ((rc = apply(t, g, &ev, d)) != 0)
			return rc;
	}
	for (int day = 0; day < g->ndays; day++, d = next_day(d)) {
		int	nsales = g->per_day / 2 +
			    (int)rnd(g, (uint32_t)g->per_day);

		for (int i = 0; i < nsales; i++) {
			msosync__sale__init(&sale);
			snprintf(g->buf[1], sizeof(g->buf[1]), "T-%u-%d", d,
			    i / 2);
			snprintf(g->buf[2], sizeof(g->buf[2]), "c-%u",
			    rnd(g, 400));
			sale.ticket_id = g->buf[1];
			sale.client_ref = rnd(g, 4) != 0 ? g->buf[2] : "";
			sale.category = (Msosync__Sale__Category)(1 +
			    rnd(g, AGG_NCATEGORIES));
			sale.amount_cents = 1000 + rnd(g, 90000);
			sale.discount_cents = rnd(g, 3) == 0 ? 500 : 0;
			sale.tax_cents = rnd(g, 800);
			ev.body_case = MSOSYNC__EVENT__BODY_SALE;
			ev.sale = &sale;
			if ((rc = apply(t, g, &ev, d)) != 0)
				return rc;
			msosync__payment__init(&pay);
			pay.ticket_id = g->buf[1];
			pay.method = (Msosync__Payment__Method)(1 +
			    rnd(g, AGG_NMETHODS));
			pay.amount_cents = sale.amount_cents;
			ev.body_case = MSOSYNC__EVENT__BODY_PAYMENT;
			ev.payment = &pay;
			if ((rc = apply(t, g, &ev, d)) != 0)
				return rc;
		}
		if (rnd(g, 4) == 0) {
			msosync__refund__init(&ref);
			ref.ticket_id = "T-0";
			ref.amount_cents = 100 + rnd(g, 20000);
			ev.body_case = MSOSYNC__EVENT__BODY_REFUND;
			ev.refund = &ref;
			if ((rc = apply(t, g, &ev, d)) != 0)
				return rc;
		}
		for (int i = 0; i < 4; i++) {
			if (rnd(g, 7) == 0)
				continue;	/* a day off */
			msosync__staff_shift__init(&sh);
			snprintf(g->buf[3], sizeof(g->buf[3]), "st-%d", i);
			sh.staff_ref = g->buf[3];
			sh.role = (Msosync__StaffShift__Role)(1 + rnd(g,
			    AGG_NROLES));
			sh.minutes = 240 + rnd(g, 300);
			ev.body_case = MSOSYNC__EVENT__BODY_STAFF_SHIFT;
			ev.staff_shift = &sh;
			if ((rc = apply(t, g, &ev, d)) != 0)
				return rc;
		}
		for (int i = 0; i < nsales / 2; i++) {
			msosync__appointment__init(&ap);
			ap.status = (Msosync__Appointment__Status)(1 + rnd(g,
			    4));
			ap.rebooked = rnd(g, 2);
			ap.consent_documented = rnd(g, 5) != 0;
			ev.body_case = MSOSYNC__EVENT__BODY_APPOINTMENT;
			ev.appointment = &ap;
			if ((rc = apply(t, g, &ev, d)) != 0)
				return rc;
		}
		for (int i = 0; i < 3; i++) {
			msosync__lead__init(&ld);
			ld.source = (Msosync__Lead__Source)(1 + rnd(g,
			    AGG_NSOURCES));
			ld.status = rnd(g, 3) == 0 ?
			    MSOSYNC__LEAD__STATUS__CONVERTED :
			    MSOSYNC__LEAD__STATUS__NEW;
			ev.body_case = MSOSYNC__EVENT__BODY_LEAD;
			ev.lead = &ld;
			if ((rc = apply(t, g, &ev, d)) != 0)
				return rc;
		}
		if (rnd(g, 3) == 0) {
			msosync__purchase_order__init(&po);
			po.vendor_id = rnd(g, 2) == 0 ? "V-1" : "V-2";
			po.contract_id = po.vendor_id[2] == '1' ? "C-1" : "";
			po.sku = "SKU-1";
			po.quantity = 1 + rnd(g, 20);
			po.unit_price_cents = 2800 + 100 * rnd(g, 5);
			ev.body_case = MSOSYNC__EVENT__BODY_PURCHASE_ORDER;
			ev.purchase_order = &po;
			if ((rc = apply(t, g, &ev, d)) != 0)
				return rc;
		}
	}
	return 0;
}

static void
populate(struct fx *fx, uint32_t sites, uint32_t first, int ndays,
    int per_day, uint64_t *events)
{
	struct gen	g;

	for (uint32_t s = 1; s <= sites; s++) {
		memset(&g, 0, sizeof(g));
		g.site = s;
		g.first = first;
		g.ndays = ndays;
		g.per_day = per_day;
		g.seed = 0x9e3779b97f4a7c15ULL * s;
		assert_int_equal(store_write(fx->s, gen_days, &g), 0);
		if (events != NULL)
			*events += g.events;
	}
}

static json_t *
report(struct fx *fx, enum query_kind kind, uint32_t from, uint32_t to,
    uint32_t site, enum query_by by)
{
	struct query_params	 p = { from, to, site, by };
	json_t			*doc = NULL;
	char			 err[256] = "";
	int			 rc;

	rc = query_report(fx->s, fx->sites, kind, &p, &doc, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "query_report: %s\n", err);
	assert_int_equal(rc, 0);
	return doc;
}

static int64_t
ival(const json_t *o, const char *key)
{
	const json_t	*v = json_object_get(o, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static size_t
nrows(const json_t *doc)
{
	return json_array_size(json_object_get(doc, "rows"));
}

static const json_t *
row_at(const json_t *doc, size_t i)
{
	return json_array_get(json_object_get(doc, "rows"), i);
}

/* Keys that are sums, so rows add up to the range (DESIGN §6). */
static const char *const sums[] = {
	"gross_sales", "stored_value_sold", "refunds", "net_revenue",
	"collections", "tickets", "service_revenue", "new_clients",
	"supply_spend", "contract_variance", "rebate_accrued",
};

static void
expect_sums(const json_t *parts, const json_t *total)
{
	double	hours = 0;

	assert_true(nrows(parts) > 1);
	for (size_t k = 0; k < sizeof(sums) / sizeof(sums[0]); k++) {
		int64_t	sum = 0;

		for (size_t i = 0; i < nrows(parts); i++)
			sum += ival(row_at(parts, i), sums[k]);
		if (sum != ival(row_at(total, 0), sums[k]))
			fprintf(stderr, "%s: rows %" PRId64 ", total %" PRId64
			    "\n", sums[k], sum, ival(row_at(total, 0),
			    sums[k]));
		assert_int_equal(sum, ival(row_at(total, 0), sums[k]));
	}
	for (size_t i = 0; i < nrows(parts); i++)
		hours += json_real_value(json_object_get(row_at(parts, i),
		    "provider_hours"));
	assert_true(fabs(hours - json_real_value(json_object_get(
	    row_at(total, 0), "provider_hours"))) < 1e-6);
}

/* Ratios from each row's own sums, never averaged. */
static void
expect_ratios(const json_t *doc)
{
	for (size_t i = 0; i < nrows(doc); i++) {
		const json_t	*r = row_at(doc, i);
		int64_t		 gross = ival(r, "gross_sales");
		int64_t		 tickets = ival(r, "tickets");
		int64_t		 retail = ival(json_object_get(r,
				    "sales_by_category"), "retail");
		const json_t	*avg = json_object_get(r, "avg_ticket");
		const json_t	*pct = json_object_get(r, "retail_pct");

		assert_int_equal(ival(r, "service_revenue"), gross - retail);
		/* money per unit: integer cents, half up */
		if (tickets == 0)
			assert_true(json_is_null(avg));
		else {
			assert_true(json_is_integer(avg));
			assert_int_equal(json_integer_value(avg),
			    (2 * gross + tickets) / (2 * tickets));
		}
		if (gross == 0)
			assert_true(json_is_null(pct));
		else
			assert_true(fabs(json_real_value(pct) -
			    (double)retail / (double)gross) < 1e-12);
	}
}

static void
test_rows_add_up(void **state)
{
	struct fx	*fx = *state;
	json_t		*total, *days, *months, *sites;
	uint32_t	 from = 20260920, to = 20261120;

	write_sites(fx, 3);
	populate(fx, 3, FIRST_DAY, NDAYS, 12, NULL);
	total = report(fx, QUERY_FINANCIALS, from, to, 0, QUERY_BY_FRANCHISE);
	assert_int_equal(nrows(total), 1);
	assert_true(ival(row_at(total, 0), "gross_sales") > 1000000);
	assert_true(ival(row_at(total, 0), "rebate_accrued") > 0);
	assert_true(ival(row_at(total, 0), "contract_variance") != 0);

	/* Every day of the range has its row, in order. */
	days = report(fx, QUERY_FINANCIALS, from, to, 0, QUERY_BY_DAY);
	assert_int_equal(nrows(days), 62);
	assert_string_equal(json_string_value(json_object_get(row_at(days, 0),
	    "date")), "2026-09-20");
	assert_string_equal(json_string_value(json_object_get(row_at(days,
	    61), "date")), "2026-11-20");
	assert_true(json_is_null(json_object_get(row_at(days, 3),
	    "mso_fee")));
	expect_sums(days, total);
	expect_ratios(days);

	months = report(fx, QUERY_FINANCIALS, from, to, 0, QUERY_BY_MONTH);
	assert_int_equal(nrows(months), 3);
	assert_string_equal(json_string_value(json_object_get(row_at(months,
	    0), "month")), "2026-09");
	assert_string_equal(json_string_value(json_object_get(row_at(months,
	    2), "month")), "2026-11");
	expect_sums(months, total);
	expect_ratios(months);
	/* Only October lies wholly inside: the only month billed. */
	assert_true(json_is_null(json_object_get(row_at(months, 0),
	    "mso_fee")));
	assert_true(json_is_null(json_object_get(row_at(months, 2),
	    "mso_fee")));
	assert_int_equal(ival(row_at(months, 1), "mso_fee"),
	    ival(row_at(total, 0), "mso_fee"));
	assert_true(ival(row_at(total, 0), "mso_fee") > 0);

	sites = report(fx, QUERY_FINANCIALS, from, to, 0, QUERY_BY_SITE);
	assert_int_equal(nrows(sites), 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(ival(row_at(sites, i), "site_id"),
		    (int64_t)i + 1);
	expect_sums(sites, total);
	expect_ratios(sites);
	expect_ratios(total);
	{
		int64_t	fee = 0;

		for (size_t i = 0; i < 3; i++)
			fee += ival(row_at(sites, i), "mso_fee");
		assert_int_equal(fee, ival(row_at(total, 0), "mso_fee"));
	}
	json_decref(total);
	json_decref(days);
	json_decref(months);
	json_decref(sites);
}

/*
 * A report of one site holds that site's row of the by=site report, and
 * the vendors breakdown adds up to the row's totals.
 */
static void
test_site_filter_and_vendors(void **state)
{
	struct fx	*fx = *state;
	json_t		*one, *all;
	const json_t	*r, *a;
	int64_t		 spend = 0, var = 0, rebate = 0;

	write_sites(fx, 3);
	populate(fx, 3, FIRST_DAY, NDAYS, 8, NULL);
	one = report(fx, QUERY_VENDORS, 20261001, 20261031, 2,
	    QUERY_BY_FRANCHISE);
	all = report(fx, QUERY_VENDORS, 20261001, 20261031, 0, QUERY_BY_SITE);
	for (size_t k = 0; k < sizeof(sums) / sizeof(sums[0]); k++)
		assert_int_equal(ival(row_at(one, 0), sums[k]),
		    ival(row_at(all, 1), sums[k]));
	r = row_at(one, 0);
	a = json_object_get(r, "by_vendor");
	assert_int_equal(json_array_size(a), 2);
	for (size_t i = 0; i < json_array_size(a); i++) {
		spend += ival(json_array_get(a, i), "supply_spend");
		var += ival(json_array_get(a, i), "contract_variance");
		rebate += ival(json_array_get(a, i), "rebate_accrued");
	}
	assert_int_equal(spend, ival(r, "supply_spend"));
	assert_int_equal(var, ival(r, "contract_variance"));
	assert_int_equal(rebate, ival(r, "rebate_accrued"));
	/* C-1 has no tiers: its own 1 %, exactly (spends are whole $1s) */
	a = json_array_get(json_object_get(r, "by_contract"), 0);
	assert_int_equal(ival(a, "rebate_bp_applied"), 100);
	assert_int_equal(ival(a, "rebate_accrued"),
	    ival(a, "supply_spend") / 100);
	json_decref(one);
	json_decref(all);
}

static void
expect_all_null(const json_t *r)
{
	static const char *const	ratios[] = {
		"avg_ticket", "retail_pct", "revenue_per_provider_hour",
		"no_show_rate", "cancellation_rate", "rebooking_rate",
		"consent_rate", "lead_conversion", "supply_cost_pct",
		"training_current_pct",
	};
	const json_t			*by;
	const char			*k;
	json_t				*v;

	for (size_t i = 0; i < sizeof(ratios) / sizeof(ratios[0]); i++)
		assert_true(json_is_null(json_object_get(r, ratios[i])));
	by = json_object_get(r, "lead_conversion_by_source");
	assert_int_equal(json_object_size(by), 8);
	json_object_foreach((json_t *)by, k, v)
		assert_true(json_is_null(v));
	assert_int_equal(ival(r, "gross_sales"), 0);
	assert_int_equal(ival(r, "tickets"), 0);
	assert_true(json_is_real(json_object_get(r, "provider_hours")));
}

/* Groups without data: zeros and null ratios, never a division by 0. */
static void
test_null_ratios(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc;

	write_sites(fx, 4);
	populate(fx, 3, FIRST_DAY, NDAYS, 6, NULL);	/* site 4: none */
	doc = report(fx, QUERY_KPIS, 20250101, 20250110, 0, QUERY_BY_DAY);
	assert_int_equal(nrows(doc), 10);
	for (size_t i = 0; i < nrows(doc); i++)
		expect_all_null(row_at(doc, i));
	json_decref(doc);
	doc = report(fx, QUERY_KPIS, 20261001, 20261031, 0, QUERY_BY_SITE);
	assert_int_equal(nrows(doc), 4);
	expect_all_null(row_at(doc, 3));
	/* nothing in October before its first data: not billed */
	assert_int_equal(ival(row_at(doc, 3), "mso_fee"), 0);
	assert_true(json_is_integer(json_object_get(row_at(doc, 0),
	    "avg_ticket")));
	assert_true(json_is_integer(json_object_get(row_at(doc, 0),
	    "revenue_per_provider_hour")));
	json_decref(doc);
}

static void
expect_refused(struct fx *fx, uint32_t from, uint32_t to, uint32_t site,
    const char *why)
{
	struct query_params	 p = { from, to, site, QUERY_BY_DAY };
	json_t			*doc = (json_t *)1;
	char			 err[256] = "";

	assert_int_equal(query_report(fx->s, fx->sites, QUERY_KPIS, &p, &doc,
	    err, sizeof(err)), MSOSYNC_EINVAL);
	assert_null(doc);
	assert_string_equal(err, why);
}

static void
test_validation(void **state)
{
	struct fx		*fx = *state;
	struct query_params	 p = { 20160101, 20251107, 0,
				    QUERY_BY_FRANCHISE };
	enum query_kind		 k;
	enum query_by		 by;
	json_t			*doc = NULL;
	char			 err[256] = "";

	write_sites(fx, 2);
	expect_refused(fx, 20261102, 20261101, 0,
	    "from: must not be after to");
	expect_refused(fx, 20261131, 20261201, 0, "from: not a date: 20261131");
	expect_refused(fx, 20261101, 20260229, 0, "to: not a date: 20260229");
	expect_refused(fx, 0, 20261101, 0, "from: not a date: 0");
	/* 2016-01-01 .. 2026-01-08 is 3661 days */
	expect_refused(fx, 20160101, 20260108, 0,
	    "the range spans more than 3660 days");
	expect_refused(fx, 20261101, 20261130, 9,
	    "site: unknown site 9");
	/* 3660 days is fine, and one day too */
	p.to = 20260107;
	assert_int_equal(query_report(fx->s, fx->sites, QUERY_KPIS, &p, &doc,
	    err, sizeof(err)), 0);
	json_decref(doc);
	p.from = p.to = 20240229;
	p.by = QUERY_BY_DAY;
	assert_int_equal(query_report(fx->s, fx->sites, QUERY_COMPLIANCE, &p,
	    &doc, err, sizeof(err)), 0);
	assert_int_equal(nrows(doc), 1);
	json_decref(doc);

	assert_int_equal(query_kind_parse("vendors", &k), 0);
	assert_int_equal(k, QUERY_VENDORS);
	assert_int_equal(query_kind_parse("fees", &k), MSOSYNC_EINVAL);
	assert_int_equal(query_kind_parse("", &k), MSOSYNC_EINVAL);
	assert_int_equal(query_by_parse("month", &by), 0);
	assert_int_equal(by, QUERY_BY_MONTH);
	assert_int_equal(query_by_parse("week", &by), MSOSYNC_EINVAL);

	assert_int_equal(query_fees(fx->s, fx->sites, 202613, 0, &doc, err,
	    sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err, "period: not a month: 202613");
	assert_int_equal(query_fees(fx->s, fx->sites, 202611, 5, &doc, err,
	    sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err, "site: unknown site 5");
	assert_int_equal(query_contracts(fx->s, fx->sites, 10, 20261340, &doc,
	    err, sizeof(err)), MSOSYNC_EINVAL);
	assert_int_equal(query_contracts(fx->s, fx->sites, 10, 20261120, &doc,
	    err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "contracts")), 0);
	json_decref(doc);
}

/*
 * The fee of each whole month in a report is the fee statement's for that
 * month, site by site.
 */
static void
test_fees_match_reports(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc, *fees;
	char		 err[256];
	int64_t		 sum = 0;

	write_sites(fx, 3);
	populate(fx, 3, FIRST_DAY, NDAYS, 10, NULL);
	doc = report(fx, QUERY_KPIS, 20261001, 20261031, 0, QUERY_BY_SITE);
	assert_int_equal(query_fees(fx->s, fx->sites, 202610, 0, &fees, err,
	    sizeof(err)), 0);
	for (size_t i = 0; i < 3; i++) {
		const json_t	*f = row_at(fees, i);

		assert_int_equal(ival(f, "site_id"), (int64_t)i + 1);
		assert_int_equal(ival(f, "fee_cents"),
		    ival(row_at(doc, i), "mso_fee"));
		/* site 2's base is net revenue, the others' gross sales */
		assert_int_equal(ival(f, "base_cents"), ival(row_at(doc, i),
		    i == 1 ? "net_revenue" : "gross_sales"));
		sum += ival(f, "fee_cents");
	}
	assert_true(sum > 0);
	json_decref(fees);
	json_decref(doc);
}

/* Hand-made lines: a sale (ticket set) or an np's shift (minutes). */
struct hline {
	uint32_t	 date;
	const char	*ticket;	/* NULL: a shift */
	int		 retail;
	int64_t		 amount;
	uint32_t	 minutes;
};

struct hlines {
	uint32_t		 site;
	const struct hline	*v;
	size_t			 n;
};

static int
apply_lines(void *arg, struct store_txn *t)
{
	const struct hlines	*l = arg;
	struct gen		 g;
	Msosync__Event		 ev;
	Msosync__Sale		 sale;
	Msosync__StaffShift	 sh;
	int			 rc;

	memset(&g, 0, sizeof(g));
	g.site = l->site;
	for (size_t i = 0; i < l->n; i++) {
		msosync__event__init(&ev);
		ev.event_id = "hand";
		if (l->v[i].ticket != NULL) {
			msosync__sale__init(&sale);
			sale.ticket_id = (char *)l->v[i].ticket;
			sale.category = l->v[i].retail ?
			    MSOSYNC__SALE__CATEGORY__RETAIL :
			    MSOSYNC__SALE__CATEGORY__INJECTABLES;
			sale.amount_cents = l->v[i].amount;
			ev.body_case = MSOSYNC__EVENT__BODY_SALE;
			ev.sale = &sale;
		} else {
			msosync__staff_shift__init(&sh);
			sh.staff_ref = "np-1";
			sh.role = MSOSYNC__STAFF_SHIFT__ROLE__NP;
			sh.minutes = l->v[i].minutes;
			ev.body_case = MSOSYNC__EVENT__BODY_STAFF_SHIFT;
			ev.staff_shift = &sh;
		}
		if ((rc = apply(t, &g, &ev, l->v[i].date)) != 0)
			return rc;
	}
	return 0;
}

/* Money per unit of row i: its integer cents, or -1 for null. */
static int64_t
cents(const json_t *doc, size_t i, const char *key)
{
	const json_t	*v = json_object_get(row_at(doc, i), key);

	if (json_is_null(v))
		return -1;
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/*
 * avg_ticket and revenue_per_provider_hour are money (DESIGN §6): integer
 * cents, the quotient rounded half up, null on a zero denominator; in the
 * JSON text too, and in every report that carries them.
 */
static void
test_money_per_unit(void **state)
{
	static const struct hline	lines[] = {
		/* 11-02: 100 over 3 tickets = 33.3; 100 over 3 h = 33.3 */
		{ 20261102, "T-1", 0, 40, 0 },
		{ 20261102, "T-2", 0, 30, 0 },
		{ 20261102, "T-3", 0, 30, 0 },
		{ 20261102, NULL, 0, 0, 180 },
		/* 11-03: 200 over 3 = 66.7; service 100 over 2 h = 50 */
		{ 20261103, "T-4", 1, 100, 0 },
		{ 20261103, "T-5", 0, 50, 0 },
		{ 20261103, "T-6", 0, 50, 0 },
		{ 20261103, NULL, 0, 0, 120 },
		/* 11-04, halves: 3 over 2 = 1.5; 3 over 1.2 h = 2.5 */
		{ 20261104, "T-7", 0, 1, 0 },
		{ 20261104, "T-8", 0, 2, 0 },
		{ 20261104, NULL, 0, 0, 72 },
		/* 11-05: nothing */
	};
	static const enum query_kind	kinds[] = {
		QUERY_KPIS, QUERY_FINANCIALS, QUERY_VENDORS, QUERY_COMPLIANCE
	};
	struct fx			*fx = *state;
	struct hlines			 hl = { 1, lines,
					    sizeof(lines) / sizeof(lines[0]) };
	json_t				*doc;
	char				*text;

	write_sites(fx, 1);
	assert_int_equal(store_write(fx->s, apply_lines, &hl), 0);

	doc = report(fx, QUERY_KPIS, 20261102, 20261105, 0, QUERY_BY_DAY);
	assert_int_equal(nrows(doc), 4);
	assert_int_equal(ival(row_at(doc, 0), "gross_sales"), 100);
	assert_int_equal(ival(row_at(doc, 0), "tickets"), 3);
	assert_int_equal(cents(doc, 0, "avg_ticket"), 33);
	assert_int_equal(cents(doc, 0, "revenue_per_provider_hour"), 33);
	assert_int_equal(ival(row_at(doc, 1), "gross_sales"), 200);
	assert_int_equal(ival(row_at(doc, 1), "tickets"), 3);
	assert_int_equal(cents(doc, 1, "avg_ticket"), 67);
	assert_int_equal(ival(row_at(doc, 1), "service_revenue"), 100);
	assert_int_equal(cents(doc, 1, "revenue_per_provider_hour"), 50);
	assert_int_equal(cents(doc, 2, "avg_ticket"), 2);
	assert_int_equal(cents(doc, 2, "revenue_per_provider_hour"), 3);
	assert_int_equal(cents(doc, 3, "avg_ticket"), -1);
	assert_int_equal(cents(doc, 3, "revenue_per_provider_hour"), -1);
	/* in the text: a JSON integer, no fraction */
	text = json_dumps(row_at(doc, 1), JSON_COMPACT);
	assert_non_null(strstr(text, "\"avg_ticket\":67,"));
	assert_non_null(strstr(text, "\"revenue_per_provider_hour\":50,"));
	free(text);
	json_decref(doc);

	/* The range, from its sums: 303 / 8 = 37.9; 203 × 60 / 372 = 32.7 */
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		doc = report(fx, kinds[k], 20261102, 20261105, 0,
		    QUERY_BY_FRANCHISE);
		assert_int_equal(ival(row_at(doc, 0), "gross_sales"), 303);
		assert_int_equal(ival(row_at(doc, 0), "tickets"), 8);
		assert_int_equal(cents(doc, 0, "avg_ticket"), 38);
		assert_int_equal(cents(doc, 0, "revenue_per_provider_hour"),
		    33);
		assert_true(json_is_real(json_object_get(row_at(doc, 0),
		    "provider_hours")));
		json_decref(doc);
	}
	doc = report(fx, QUERY_KPIS, 20261102, 20261105, 0, QUERY_BY_MONTH);
	assert_int_equal(cents(doc, 0, "avg_ticket"), 38);
	json_decref(doc);
	doc = report(fx, QUERY_KPIS, 20261102, 20261105, 0, QUERY_BY_SITE);
	assert_int_equal(cents(doc, 0, "revenue_per_provider_hour"), 33);
	json_decref(doc);
}

/*
 * The fee statement has the common report shape (DESIGN §6): from the
 * period's first day to its last, by site, and keeps its period; rows
 * hold site_id, fee_model, base_cents and fee_cents as integers or text.
 */
static void
test_fees_shape(void **state)
{
	static const char *const	keys[] = {
		"from", "to", "by", "period", "rows"
	};
	static const struct {
		uint32_t	 month;
		const char	*from, *to, *period;
	}				 months[] = {
		{ 202611, "2026-11-01", "2026-11-30", "2026-11" },
		{ 202612, "2026-12-01", "2026-12-31", "2026-12" },
		{ 202802, "2028-02-01", "2028-02-29", "2028-02" },
		{ 202702, "2027-02-01", "2027-02-28", "2027-02" },
	};
	struct fx			*fx = *state;
	json_t				*doc;
	const char			*k;
	json_t				*v;
	char				 err[256];
	size_t				 i = 0;

	write_sites(fx, 2);
	populate(fx, 2, FIRST_DAY, NDAYS, 4, NULL);
	for (size_t m = 0; m < sizeof(months) / sizeof(months[0]); m++) {
		assert_int_equal(query_fees(fx->s, fx->sites, months[m].month,
		    0, &doc, err, sizeof(err)), 0);
		assert_int_equal(json_object_size(doc), 5);
		i = 0;
		json_object_foreach(doc, k, v)
			assert_string_equal(k, keys[i++]);
		assert_report_head(doc, months[m].from, months[m].to, "site");
		assert_string_equal(json_string_value(json_object_get(doc,
		    "period")), months[m].period);
		assert_int_equal(nrows(doc), 2);
		for (size_t r = 0; r < 2; r++) {
			const json_t	*row = row_at(doc, r);

			assert_int_equal(ival(row, "site_id"), (int64_t)r + 1);
			assert_true(json_is_string(json_object_get(row,
			    "fee_model")));
			(void)ival(row, "base_cents");
			(void)ival(row, "fee_cents");
		}
		json_decref(doc);
	}
	/* one site: the same shape */
	assert_int_equal(query_fees(fx->s, fx->sites, 202610, 2, &doc, err,
	    sizeof(err)), 0);
	assert_report_head(doc, "2026-10-01", "2026-10-31", "site");
	assert_int_equal(nrows(doc), 1);
	assert_int_equal(ival(row_at(doc, 0), "site_id"), 2);
	assert_true(ival(row_at(doc, 0), "fee_cents") > 0);
	json_decref(doc);
}

/*
 * A franchise-year KPI report over MSOSYNC_BENCH_SITES sites (default 12)
 * × 365 days, from aggregates: the figure DESIGN asks for is under 50 ms
 * at 200 sites.
 */
static void
test_bench_year(void **state)
{
	struct fx	*fx = *state;
	struct timespec	 a, b;
	const char	*env = getenv("MSOSYNC_BENCH_SITES");
	uint32_t	 n = env != NULL ? (uint32_t)atoi(env) : 12;
	uint64_t	 events = 0;
	double		 fill, ms[3];
	json_t		*doc;

	if (n < 1)
		n = 1;
	write_sites(fx, (int)n);
	clock_gettime(CLOCK_MONOTONIC, &a);
	populate(fx, n, 20260101, 365, 14, &events);
	clock_gettime(CLOCK_MONOTONIC, &b);
	fill = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec -
	    a.tv_nsec) / 1e9;
	for (int i = 0; i < 3; i++) {
		enum query_by	by = i == 2 ? QUERY_BY_MONTH :
				    i == 1 ? QUERY_BY_SITE : QUERY_BY_FRANCHISE;

		clock_gettime(CLOCK_MONOTONIC, &a);
		doc = report(fx, QUERY_KPIS, 20260101, 20261231, 0, by);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		assert_true(ival(row_at(doc, 0), "gross_sales") > 0);
		json_decref(doc);
	}
	fprintf(stderr, "bench: %u sites x 365 days, %" PRIu64 " events "
	    "aggregated in %.1f s (%.0f/s); franchise-year kpis %.2f ms, "
	    "by site %.2f ms, by month %.2f ms; store %zu MiB\n", n, events,
	    fill, (double)events / fill, ms[0], ms[1], ms[2],
	    store_bytes(fx->s) >> 20);
	/* Generous: a loaded CI machine, yet never a scan of events. */
	assert_true(ms[0] < 50.0 * (n > 200 ? n / 200.0 : 1.0) * 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows_add_up, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_site_filter_and_vendors,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_ratios, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_validation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fees_match_reports, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_money_per_unit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fees_shape, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bench_year, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
