/*
 * Tests for aggregate.c (and the reports of query.c over it), each case in
 * its own mkdtemp directory with a real store, events applied through
 * store_apply with their chain hashes as an agent would send them.
 *
 * The golden day: two clinics sharing a tax_id and a third without data,
 * a small November 2026 written out by hand below (sales of every kind,
 * stored value sold and spent, a refund, two voids, tickets of several
 * lines, appointments, shifts, a lead funnel, trainings and licences, a
 * vendor contract that arrives after an order and is then amended, and
 * purchases whose pooled spend reaches the second rebate tier only when
 * both clinics count). Every KPI of DESIGN §6 is asserted with the value
 * worked out in the comments, then the fee statements of each fee model,
 * and the rebuild of aggregate_verify against the running aggregates.
 * Then the edges: voids that must take nothing (a second void, a void of
 * a void, of an unknown id), ids too long for a key, and a contract
 * amended in a new epoch whose seqs start again at 1.
 *
 * Last, the store's write-back cache under the hook: events held back and
 * applied in ONE store_apply (one transaction) must leave every key and
 * value exactly as applying them one transaction each does, with the
 * cache bound at its default and at 2 keys (written out early again and
 * again); with exact values for a day key hit hundreds of times, keys
 * whose counters come back to 0 and go, and voids of events of the same
 * transaction.
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
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <zmq.h>

#include "msosync/error.h"
#include "aggregate.h"
#include "chain.h"
#include "keys.h"
#include "query.h"
#include "sites.h"
#include "store.h"
#include "report_head.h"
#include "testutil.h"

#define MIB		((size_t)1 << 20)
#define NSITES		3
#define NUL		(-1e300)	/* a ratio that must be null */
#define MNUL		INT64_MIN	/* money per unit that must be null */
#define NOV		20261120
#define NOV21		20261121
#define NOV22		20261122

struct stream {
	uint8_t		epoch[STORE_EPOCH_LEN];
	uint64_t	seq;
	uint8_t		head[CHAIN_HASH_LEN];
	int		hello;
};

/* A record emit held back, for apply_held. */
struct held {
	uint32_t	 site;
	uint64_t	 seq;
	uint8_t		*buf;
	size_t		 len;
	uint8_t		 hash[CHAIN_HASH_LEN];
};

struct fx {
	char		 root[64];
	char		 dir[128];
	char		 sites_path[128];
	struct store	*s;
	struct sites	*sites;
	char		 pub[NSITES][KEYS_Z85_LEN + 1];
	struct stream	 st[NSITES + 1];
	int		 hold;		/* emit holds records back */
	struct held	*held;
	size_t		 nheld, capheld;
};


static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	char		 sec[KEYS_Z85_LEN + 1];

	if (fx == NULL)
		return -1;
	snprintf(fx->root, sizeof(fx->root), "/tmp/test_aggregate.XXXXXX");
	if (mkdtemp(fx->root) == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/hub", fx->root);
	snprintf(fx->sites_path, sizeof(fx->sites_path), "%s/sites.conf",
	    fx->root);
	if (store_open(fx->dir, 64 * MIB, &fx->s) != 0)
		return -1;
	aggregate_attach(fx->s);
	for (int i = 0; i < NSITES; i++)
		if (zmq_curve_keypair(fx->pub[i], sec) != 0)
			return -1;
	for (int i = 1; i <= NSITES; i++) {
		memset(fx->st[i].epoch, 0xa0 + i, STORE_EPOCH_LEN);
		memcpy(fx->st[i].head, chain_genesis, CHAIN_HASH_LEN);
	}
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
	for (size_t i = 0; i < fx->nheld; i++)
		free(fx->held[i].buf);
	free(fx->held);
	free(fx);
	return 0;
}

/*
 * The sites file: three sites, fee keys per site given as text. Sites 1
 * and 2 share a tax_id unless a test says otherwise.
 */
static void
load_sites(struct fx *fx, const char *tax2, const char *fee1,
    const char *fee2, const char *fee3)
{
	struct config_errors	errs;
	FILE			*f = fopen(fx->sites_path, "w");

	assert_non_null(f);
	fprintf(f, "[site 1]\npublic_key = %s\ntax_id = TX-1\n%s\n"
	    "[site 2]\npublic_key = %s\ntax_id = %s\n%s\n"
	    "[site 3]\npublic_key = %s\n%s\n",
	    fx->pub[0], fee1, fx->pub[1], tax2, fee2, fx->pub[2], fee3);
	assert_int_equal(fclose(f), 0);
	memset(&errs, 0, sizeof(errs));
	sites_free(&fx->sites);
	assert_int_equal(sites_load(fx->sites_path, &fx->sites, &errs), 0);
	config_errors_free(&errs);
}

static void
load_golden_sites(struct fx *fx)
{
	load_sites(fx, "TX-1",
	    "fee_model = percent\nfee_percent_bp = 1001",
	    "fee_model = fixed\nfee_fixed_cents = 100000",
	    "fee_model = fixed\nfee_fixed_cents = 50000");
}

/* Stamp, pack, chain and apply one event as the next of its site. */
static void
emit(struct fx *fx, uint32_t site, const char *id, uint32_t date,
    Msosync__Event *ev)
{
	struct stream		*st = &fx->st[site];
	struct store_batch	 b;
	Msosync__Record		 r = MSOSYNC__RECORD__INIT;
	const Msosync__Record	*rp = &r;
	uint8_t			 hash[CHAIN_HASH_LEN], *buf;
	uint64_t		 acked;
	int			 changed;

	if (!st->hello) {
		assert_int_equal(store_hello(fx->s, site, st->epoch, &acked,
		    hash, &changed), 0);
		st->hello = 1;
	}
	st->seq++;
	ev->schema_version = 1;
	ev->event_id = (char *)id;
	ev->site_id = site;
	ev->seq = st->seq;
	ev->occurred_at = 1795000000000LL + (int64_t)st->seq * 1000;
	ev->recorded_at = ev->occurred_at + 5;
	ev->business_date = date;
	r.seq = st->seq;
	r.event.len = msosync__event__get_packed_size(ev);
	buf = malloc(r.event.len);
	assert_non_null(buf);
	msosync__event__pack(ev, buf);
	r.event.data = buf;
	chain_hash(st->head, r.seq, buf, r.event.len, hash);
	if (fx->hold) {
		struct held	*h;

		if (fx->nheld == fx->capheld) {
			fx->capheld = fx->capheld ? 2 * fx->capheld : 64;
			fx->held = realloc(fx->held,
			    fx->capheld * sizeof(*fx->held));
			assert_non_null(fx->held);
		}
		h = &fx->held[fx->nheld++];
		h->site = site;
		h->seq = r.seq;
		h->buf = buf;
		h->len = r.event.len;
		memcpy(h->hash, hash, CHAIN_HASH_LEN);
		memcpy(st->head, hash, CHAIN_HASH_LEN);
		return;
	}
	r.hash.data = hash;
	r.hash.len = CHAIN_HASH_LEN;
	memset(&b, 0, sizeof(b));
	b.site_id = site;
	b.epoch = st->epoch;
	b.rec = &rp;
	b.nrec = 1;
	assert_int_equal(store_apply(fx->s, &b, 1), 0);
	if (b.result != 0)
		fprintf(stderr, "apply %s: %s\n", id, b.message);
	assert_int_equal(b.result, 0);
	assert_int_equal(b.applied, 1);
	memcpy(st->head, hash, CHAIN_HASH_LEN);
	free(buf);
}

static void
sale(struct fx *fx, uint32_t site, const char *id, uint32_t date,
    const char *ticket, Msosync__Sale__Category cat, int64_t amount,
    int64_t discount, int64_t tax, const char *client)
{
	Msosync__Event	ev = MSOSYNC__EVENT__INIT;
	Msosync__Sale	s = MSOSYNC__SALE__INIT;

	s.ticket_id = (char *)ticket;
	s.category = cat;
	s.amount_cents = amount;
	s.discount_cents = discount;
	s.tax_cents = tax;
	s.units = 1;
	s.client_ref = (char *)client;
	ev.body_case = MSOSYNC__EVENT__BODY_SALE;
	ev.sale = &s;
	emit(fx, site, id, date, &ev);
}

static void
pay(struct fx *fx, uint32_t site, const char *id, uint32_t date,
    const char *ticket, Msosync__Payment__Method m, int64_t amount)
{
	Msosync__Event		ev = MSOSYNC__EVENT__INIT;
	Msosync__Payment	p = MSOSYNC__PAYMENT__INIT;

	p.ticket_id = (char *)ticket;
	p.method = m;
	p.amount_cents = amount;
	ev.body_case = MSOSYNC__EVENT__BODY_PAYMENT;
	ev.payment = &p;
	emit(fx, site, id, date, &ev);
}

static void
refund(struct fx *fx, uint32_t site, const char *id, uint32_t date,
    const char *ticket, int64_t amount)
{
	Msosync__Event	ev = MSOSYNC__EVENT__INIT;
	Msosync__Refund	r = MSOSYNC__REFUND__INIT;

	r.ticket_id = (char *)ticket;
	r.amount_cents = amount;
	ev.body_case = MSOSYNC__EVENT__BODY_REFUND;
	ev.refund = &r;
	emit(fx, site, id, date, &ev);
}

static void
expense(struct fx *fx, uint32_t site, const char *id, uint32_t date,
    Msosync__Expense__Category cat, int64_t amount)
{
	Msosync__Event		ev = MSOSYNC__EVENT__INIT;
	Msosync__Expense	e = MSOSYNC__EXPENSE__INIT;

	e.category = cat;
	e.amount_cents = amount;
	ev.body_case = MSOSYNC__EVENT__BODY_EXPENSE;
	ev.expense = &e;
	emit(fx, site, id, date, &ev);
}

static void
po(struct fx *fx, uint32_t site, const char *id, uint32_t date,
    const char *vendor, const char *contract, const char *sku, uint32_t qty,
    int64_t price)
{
	Msosync__Event		ev = MSOSYNC__EVENT__INIT;
	Msosync__PurchaseOrder	p = MSOSYNC__PURCHASE_ORDER__INIT;

	p.po_id = (char *)id;
	p.vendor_id = (char *)vendor;
	p.contract_id = (char *)contract;
	p.sku = (char *)sku;
	p.quantity = qty;
	p.unit_price_cents = price;
	ev.body_case = MSOSYNC__EVENT__BODY_PURCHASE_ORDER;
	ev.purchase_order = &p;
	emit(fx, site, id, date, &ev);
}

static void
usage(struct fx *fx, uint32_t site, const char *id, uint32_t date,
    const char *sku, uint32_t qty)
{
	Msosync__Event		ev = MSOSYNC__EVENT__INIT;
	Msosync__InventoryUsage	u = MSOSYNC__INVENTORY_USAGE__INIT;

	u.sku = (char *)sku;
	u.quantity = qty;
	ev.body_case = MSOSYNC__EVENT__BODY_INVENTORY_USAGE;
	ev.inventory_usage = &u;
	emit(fx, site, id, date, &ev);
}

/*
 * Contract C-100 with vendor V-A for 2026: base rebate 1 %, tiers 2 % from
 * $2,000 and 3 % from $4,000 of pooled spend; BOTOX-100 at 'botox',
 * FILLER-1 at $250.
 */
static void
contract(struct fx *fx, uint32_t site, const char *id, uint32_t date,
    Msosync__VendorContract__Status status, uint32_t notice, int renew,
    int64_t botox)
{
	Msosync__Event			ev = MSOSYNC__EVENT__INIT;
	Msosync__VendorContract		c = MSOSYNC__VENDOR_CONTRACT__INIT;
	Msosync__RebateTier		t1 = MSOSYNC__REBATE_TIER__INIT;
	Msosync__RebateTier		t2 = MSOSYNC__REBATE_TIER__INIT;
	Msosync__ContractPrice		p1 = MSOSYNC__CONTRACT_PRICE__INIT;
	Msosync__ContractPrice		p2 = MSOSYNC__CONTRACT_PRICE__INIT;
	Msosync__RebateTier		*tiers[2] = { &t2, &t1 };
	Msosync__ContractPrice		*prices[2] = { &p1, &p2 };

	c.contract_id = "C-100";
	c.vendor_id = "V-A";
	c.vendor_name = "Vendor A";
	c.status = status;
	c.start_date = 20260101;
	c.end_date = 20261231;
	c.notice_days = notice;
	c.auto_renew = renew;
	c.rebate_bp = 100;
	t1.min_spend_cents = 200000;
	t1.rebate_bp = 200;
	t2.min_spend_cents = 400000;	/* listed first: order is not rank */
	t2.rebate_bp = 300;
	c.n_rebate_tiers = 2;
	c.rebate_tiers = tiers;
	p1.sku = "BOTOX-100";
	p1.unit_price_cents = botox;
	p2.sku = "FILLER-1";
	p2.unit_price_cents = 25000;
	c.n_prices = 2;
	c.prices = prices;
	c.min_annual_commit_cents = 1000000;
	ev.body_case = MSOSYNC__EVENT__BODY_VENDOR_CONTRACT;
	ev.vendor_contract = &c;
	emit(fx, site, id, date, &ev);
}

static void
lead(struct fx *fx, uint32_t site, const char *id, uint32_t date,
    const char *lead_id, Msosync__Lead__Source src, Msosync__Lead__Status st)
{
	Msosync__Event	ev = MSOSYNC__EVENT__INIT;
	Msosync__Lead	l = MSOSYNC__LEAD__INIT;

	l.lead_id = (char *)lead_id;
	l.source = src;
	l.status = st;
	ev.body_case = MSOSYNC__EVENT__BODY_LEAD;
	ev.lead = &l;
	emit(fx, site, id, date, &ev);
}

static void
appt(struct fx *fx, uint32_t site, const char *id, uint32_t date,
    Msosync__Appointment__Status st, int rebooked, int consent)
{
	Msosync__Event		ev = MSOSYNC__EVENT__INIT;
	Msosync__Appointment	a = MSOSYNC__APPOINTMENT__INIT;

	a.appointment_id = (char *)id;
	a.status = st;
	a.rebooked = rebooked;
	a.consent_documented = consent;
	ev.body_case = MSOSYNC__EVENT__BODY_APPOINTMENT;
	ev.appointment = &a;
	emit(fx, site, id, date, &ev);
}

static void
shift(struct fx *fx, uint32_t site, const char *id, uint32_t date,
    const char *staff, Msosync__StaffShift__Role role, uint32_t minutes)
{
	Msosync__Event		ev = MSOSYNC__EVENT__INIT;
	Msosync__StaffShift	s = MSOSYNC__STAFF_SHIFT__INIT;

	s.staff_ref = (char *)staff;
	s.role = role;
	s.minutes = minutes;
	ev.body_case = MSOSYNC__EVENT__BODY_STAFF_SHIFT;
	ev.staff_shift = &s;
	emit(fx, site, id, date, &ev);
}

static void
training(struct fx *fx, uint32_t site, const char *id, const char *staff,
    Msosync__Training__Course course, uint32_t expires)
{
	Msosync__Event		ev = MSOSYNC__EVENT__INIT;
	Msosync__Training	t = MSOSYNC__TRAINING__INIT;

	t.staff_ref = (char *)staff;
	t.course = course;
	t.completed_on = 20251101;
	t.expires_on = expires;
	ev.body_case = MSOSYNC__EVENT__BODY_TRAINING;
	ev.training = &t;
	emit(fx, site, id, NOV, &ev);
}

static void
license(struct fx *fx, uint32_t site, const char *id, const char *staff,
    const char *type, uint32_t expires)
{
	Msosync__Event		ev = MSOSYNC__EVENT__INIT;
	Msosync__License	l = MSOSYNC__LICENSE__INIT;

	l.staff_ref = (char *)staff;
	l.license_type = (char *)type;
	l.expires_on = expires;
	ev.body_case = MSOSYNC__EVENT__BODY_LICENSE;
	ev.license = &l;
	emit(fx, site, id, NOV, &ev);
}

static void
check(struct fx *fx, uint32_t site, const char *id,
    Msosync__ComplianceCheck__Area area,
    Msosync__ComplianceCheck__Result result, uint32_t findings)
{
	Msosync__Event			ev = MSOSYNC__EVENT__INIT;
	Msosync__ComplianceCheck	c = MSOSYNC__COMPLIANCE_CHECK__INIT;

	c.area = area;
	c.result = result;
	c.findings = findings;
	ev.body_case = MSOSYNC__EVENT__BODY_COMPLIANCE_CHECK;
	ev.compliance_check = &c;
	emit(fx, site, id, NOV, &ev);
}

static void
void_of(struct fx *fx, uint32_t site, const char *id, uint32_t date,
    const char *voided)
{
	Msosync__Event	ev = MSOSYNC__EVENT__INIT;
	Msosync__Void	v = MSOSYNC__VOID__INIT;

	v.voided_event_id = (char *)voided;
	v.reason = "pos mistake";
	ev.body_case = MSOSYNC__EVENT__BODY_VOID;
	ev.void_ = &v;
	emit(fx, site, id, date, &ev);
}

#define CAT(x)	MSOSYNC__SALE__CATEGORY__##x
#define PAY(x)	MSOSYNC__PAYMENT__METHOD__##x
#define APPT(x)	MSOSYNC__APPOINTMENT__STATUS__##x
#define ROLE(x)	MSOSYNC__STAFF_SHIFT__ROLE__##x
#define SRC(x)	MSOSYNC__LEAD__SOURCE__##x
#define LST(x)	MSOSYNC__LEAD__STATUS__##x
#define CRS(x)	MSOSYNC__TRAINING__COURSE__##x
#define AREA(x)	MSOSYNC__COMPLIANCE_CHECK__AREA__##x
#define RES(x)	MSOSYNC__COMPLIANCE_CHECK__RESULT__##x

/*
 * The golden month. Site 1 (dates 2026-11-20 unless said):
 *   2026-10-15  T-0 injectables 20000 for c-a, paid card 20000: c-a's first
 *               sale is in October, so c-a is no new client in November.
 *   an order of 5 BOTOX-100 at 42000 under C-100 BEFORE C-100 exists
 *   T-1: injectables 45000 (discount 5000) + retail 8000 (tax 660), c-a;
 *        paid card 53660
 *   T-2: laser 30000 + skincare 12000 (discount 1000), c-b; paid cash 42000;
 *        on 11-21 iv_wellness 5000 more (voided on 11-22) and a refund 5000
 *   T-3: gift_card 10000, c-c, paid card 10000          (stored value)
 *   T-4: package 60000, c-a, paid financing 60000       (stored value)
 *   T-5: membership 15000, c-d, paid card 15000         (stored value)
 *   T-6: dermal_fillers 70000, c-e, voided the same day: no ticket, no
 *        client, no sale
 *   T-7: injectables 20000, c-c, paid gift_card 10000 + membership_credit
 *        10000 (stored value spent: revenue, but no new cash)
 *   11-21 T-8: laser 10000, c-b (not new), paid card 10000
 *   C-100 signed with BOTOX-100 at 41000, an order of 4 FILLER-1 at 25000,
 *   C-100 amended with BOTOX-100 at 40000 (its latest state), 10 NEEDLES at
 *   500 under C-100 (not in the price list), 20 GLOVES at 1500 from V-B
 *   without a contract
 *   appointments: completed+rebooked+consent, completed+consent, completed,
 *   no_show, cancelled, booked
 *   shifts: np-3 np 480, rn-1 rn 360, fd-1 front_desk 480, mgr-1 manager 240
 *   leads: web L-1, L-2, L-3 new and L-1 converted; referral L-4, L-5 new
 *   and L-4 converted
 *   trainings: np-3 hipaa 2027-06-30, osha_bloodborne 2027-01-31; rn-1
 *   hipaa 2027-03-01, osha_bloodborne 2026-10-31 and (renewed) 2026-11-25;
 *   fd-1 both 2027-12-31; mgr-1 hipaa 2027-05-01, osha_bloodborne
 *   2027-12-31 voided
 *   licences: np-3 NP 2026-12-15; rn-1 RN 2026-12-01 and (renewed)
 *   2027-06-01
 *   checks: hipaa_risk_assessment pass, osha_inspection findings (3),
 *   device_maintenance fail; expenses rent 300000, supplies 12000; 2 units
 *   of BOTOX-100 used
 * Site 2 (same tax_id TX-1), 2026-11-20: C-100 signed (BOTOX-100 40000),
 *   2 BOTOX-100 at 40000 and 1 FILLER-1 at 20000 (5000 under the contract),
 *   T-1 injectables 10000 for its own c-a paid card 10000, np-9 np 300
 *   minutes (no trainings), one completed appointment without flags.
 * Site 3: nothing.
 */
static void
golden(struct fx *fx)
{
	sale(fx, 1, "s0", 20261015, "T-0", CAT(INJECTABLES), 20000, 0, 0,
	    "c-a");
	pay(fx, 1, "p0", 20261015, "T-0", PAY(CARD), 20000);
	po(fx, 1, "po1", NOV, "V-A", "C-100", "BOTOX-100", 5, 42000);
	sale(fx, 1, "s1", NOV, "T-1", CAT(INJECTABLES), 45000, 5000, 0, "c-a");
	sale(fx, 1, "s2", NOV, "T-1", CAT(RETAIL), 8000, 0, 660, "c-a");
	pay(fx, 1, "p1", NOV, "T-1", PAY(CARD), 53660);
	sale(fx, 1, "s3", NOV, "T-2", CAT(LASER), 30000, 0, 0, "c-b");
	sale(fx, 1, "s4", NOV, "T-2", CAT(SKINCARE), 12000, 1000, 0, "c-b");
	pay(fx, 1, "p2", NOV, "T-2", PAY(CASH), 42000);
	sale(fx, 1, "s5", NOV, "T-3", CAT(GIFT_CARD), 10000, 0, 0, "c-c");
	pay(fx, 1, "p3", NOV, "T-3", PAY(CARD), 10000);
	sale(fx, 1, "s6", NOV, "T-4", CAT(PACKAGE), 60000, 0, 0, "c-a");
	pay(fx, 1, "p4", NOV, "T-4", PAY(FINANCING), 60000);
	sale(fx, 1, "s7", NOV, "T-5", CAT(MEMBERSHIP), 15000, 0, 0, "c-d");
	pay(fx, 1, "p5", NOV, "T-5", PAY(CARD), 15000);
	sale(fx, 1, "s8", NOV, "T-6", CAT(DERMAL_FILLERS), 70000, 0, 0, "c-e");
	void_of(fx, 1, "v1", NOV, "s8");
	sale(fx, 1, "s11", NOV, "T-7", CAT(INJECTABLES), 20000, 0, 0, "c-c");
	pay(fx, 1, "p6", NOV, "T-7", PAY(GIFT_CARD), 10000);
	pay(fx, 1, "p7", NOV, "T-7", PAY(MEMBERSHIP_CREDIT), 10000);
	contract(fx, 1, "k1", NOV, MSOSYNC__VENDOR_CONTRACT__STATUS__SIGNED, 90,
	    1, 41000);
	po(fx, 1, "po2", NOV, "V-A", "C-100", "FILLER-1", 4, 25000);
	contract(fx, 1, "k2", NOV, MSOSYNC__VENDOR_CONTRACT__STATUS__AMENDED,
	    90, 1, 40000);
	po(fx, 1, "po3", NOV, "V-A", "C-100", "NEEDLES", 10, 500);
	po(fx, 1, "po4", NOV, "V-B", "", "GLOVES", 20, 1500);
	appt(fx, 1, "a1", NOV, APPT(COMPLETED), 1, 1);
	appt(fx, 1, "a2", NOV, APPT(COMPLETED), 0, 1);
	appt(fx, 1, "a3", NOV, APPT(COMPLETED), 0, 0);
	appt(fx, 1, "a4", NOV, APPT(NO_SHOW), 0, 0);
	appt(fx, 1, "a5", NOV, APPT(CANCELLED), 0, 0);
	appt(fx, 1, "a6", NOV, APPT(BOOKED), 0, 0);
	shift(fx, 1, "sh1", NOV, "np-3", ROLE(NP), 480);
	shift(fx, 1, "sh2", NOV, "rn-1", ROLE(RN), 360);
	shift(fx, 1, "sh3", NOV, "fd-1", ROLE(FRONT_DESK), 480);
	shift(fx, 1, "sh4", NOV, "mgr-1", ROLE(MANAGER), 240);
	lead(fx, 1, "l1", NOV, "L-1", SRC(WEB), LST(NEW));
	lead(fx, 1, "l2", NOV, "L-2", SRC(WEB), LST(NEW));
	lead(fx, 1, "l3", NOV, "L-3", SRC(WEB), LST(NEW));
	lead(fx, 1, "l4", NOV, "L-1", SRC(WEB), LST(CONVERTED));
	lead(fx, 1, "l5", NOV, "L-4", SRC(REFERRAL), LST(NEW));
	lead(fx, 1, "l6", NOV, "L-5", SRC(REFERRAL), LST(NEW));
	lead(fx, 1, "l7", NOV, "L-4", SRC(REFERRAL), LST(CONVERTED));
	training(fx, 1, "t1", "np-3", CRS(HIPAA), 20270630);
	training(fx, 1, "t2", "np-3", CRS(OSHA_BLOODBORNE), 20270131);
	training(fx, 1, "t3", "rn-1", CRS(HIPAA), 20270301);
	training(fx, 1, "t4", "rn-1", CRS(OSHA_BLOODBORNE), 20261031);
	training(fx, 1, "t5", "rn-1", CRS(OSHA_BLOODBORNE), 20261125);
	training(fx, 1, "t6", "fd-1", CRS(HIPAA), 20271231);
	training(fx, 1, "t7", "fd-1", CRS(OSHA_BLOODBORNE), 20271231);
	training(fx, 1, "t8", "mgr-1", CRS(HIPAA), 20270501);
	training(fx, 1, "t9", "mgr-1", CRS(OSHA_BLOODBORNE), 20271231);
	void_of(fx, 1, "v3", NOV, "t9");
	license(fx, 1, "li1", "np-3", "NP", 20261215);
	license(fx, 1, "li2", "rn-1", "RN", 20261201);
	license(fx, 1, "li3", "rn-1", "RN", 20270601);
	check(fx, 1, "c1", AREA(HIPAA_RISK_ASSESSMENT), RES(PASS), 0);
	check(fx, 1, "c2", AREA(OSHA_INSPECTION), RES(FINDINGS), 3);
	check(fx, 1, "c3", AREA(DEVICE_MAINTENANCE), RES(FAIL), 1);
	expense(fx, 1, "x1", NOV, MSOSYNC__EXPENSE__CATEGORY__RENT, 300000);
	expense(fx, 1, "x2", NOV, MSOSYNC__EXPENSE__CATEGORY__SUPPLIES, 12000);
	usage(fx, 1, "u1", NOV, "BOTOX-100", 2);
	sale(fx, 1, "s9", NOV21, "T-2", CAT(IV_WELLNESS), 5000, 0, 0, "c-b");
	sale(fx, 1, "s10", NOV21, "T-8", CAT(LASER), 10000, 0, 0, "c-b");
	pay(fx, 1, "p8", NOV21, "T-8", PAY(CARD), 10000);
	refund(fx, 1, "r1", NOV21, "T-2", 5000);
	void_of(fx, 1, "v2", NOV22, "s9");

	contract(fx, 2, "k21", NOV, MSOSYNC__VENDOR_CONTRACT__STATUS__SIGNED,
	    60, 0, 40000);
	po(fx, 2, "po21", NOV, "V-A", "C-100", "BOTOX-100", 2, 40000);
	po(fx, 2, "po22", NOV, "V-A", "C-100", "FILLER-1", 1, 20000);
	sale(fx, 2, "s21", NOV, "T-1", CAT(INJECTABLES), 10000, 0, 0, "c-a");
	pay(fx, 2, "p21", NOV, "T-1", PAY(CARD), 10000);
	shift(fx, 2, "sh21", NOV, "np-9", ROLE(NP), 300);
	appt(fx, 2, "a21", NOV, APPT(COMPLETED), 0, 0);
}

/* What a row must hold: every KPI of DESIGN §6. */
struct want {
	int64_t	gross, sv, refunds, net, collections, tickets;
	int64_t	avg_ticket;		/* cents, half up; MNUL: null */
	double	retail_pct;
	int64_t	service;
	double	hours;
	int64_t	per_hour;		/* cents, half up; MNUL: null */
	double	no_show, cancel, rebook, consent, leads;
	double	by_source[8];		/* web, social, referral, ... */
	int64_t	new_clients, supply;
	double	supply_pct;
	int64_t	variance, rebate;
	double	training;
	int64_t	fee;			/* INT64_MIN: null */
};

static const char *const kpi_keys[] = {
	"gross_sales", "stored_value_sold", "refunds", "net_revenue",
	"collections", "tickets", "avg_ticket", "retail_pct",
	"service_revenue", "provider_hours", "revenue_per_provider_hour",
	"no_show_rate", "cancellation_rate", "rebooking_rate", "consent_rate",
	"lead_conversion", "lead_conversion_by_source", "new_clients",
	"supply_spend", "supply_cost_pct", "contract_variance",
	"rebate_accrued", "training_current_pct", "mso_fee",
};

static int64_t
ival(const json_t *o, const char *key)
{
	const json_t	*v = json_object_get(o, key);

	if (!json_is_integer(v))
		fprintf(stderr, "%s: not an integer\n", key);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void
real_is(const json_t *o, const char *key, double want)
{
	const json_t	*v = json_object_get(o, key);

	assert_non_null(v);
	if (want == NUL) {
		if (!json_is_null(v))
			fprintf(stderr, "%s: %g, want null\n", key,
			    json_real_value(v));
		assert_true(json_is_null(v));
		return;
	}
	if (!json_is_real(v) || fabs(json_real_value(v) - want) > 1e-9)
		fprintf(stderr, "%s: %.12g, want %.12g\n", key,
		    json_real_value(v), want);
	assert_true(json_is_real(v));
	assert_true(fabs(json_real_value(v) - want) <= 1e-9);
}

/* Money per unit: integer cents (DESIGN §6), or null. */
static void
money_is(const json_t *o, const char *key, int64_t want)
{
	const json_t	*v = json_object_get(o, key);

	assert_non_null(v);
	if (want == MNUL) {
		assert_true(json_is_null(v));
		return;
	}
	if (!json_is_integer(v))
		fprintf(stderr, "%s: not integer cents\n", key);
	assert_true(json_is_integer(v));
	assert_int_equal(json_integer_value(v), want);
}

static void
expect_kpis(const json_t *row, const struct want *w)
{
	static const char *const	src[8] = {
		"web", "social", "referral", "walk_in", "paid_search", "email",
		"event", "other"
	};
	const json_t			*by;

	for (size_t i = 0; i < sizeof(kpi_keys) / sizeof(kpi_keys[0]); i++)
		assert_non_null(json_object_get(row, kpi_keys[i]));
	assert_int_equal(ival(row, "gross_sales"), w->gross);
	assert_int_equal(ival(row, "stored_value_sold"), w->sv);
	assert_int_equal(ival(row, "refunds"), w->refunds);
	assert_int_equal(ival(row, "net_revenue"), w->net);
	assert_int_equal(ival(row, "collections"), w->collections);
	assert_int_equal(ival(row, "tickets"), w->tickets);
	money_is(row, "avg_ticket", w->avg_ticket);
	real_is(row, "retail_pct", w->retail_pct);
	assert_int_equal(ival(row, "service_revenue"), w->service);
	real_is(row, "provider_hours", w->hours);
	money_is(row, "revenue_per_provider_hour", w->per_hour);
	real_is(row, "no_show_rate", w->no_show);
	real_is(row, "cancellation_rate", w->cancel);
	real_is(row, "rebooking_rate", w->rebook);
	real_is(row, "consent_rate", w->consent);
	real_is(row, "lead_conversion", w->leads);
	by = json_object_get(row, "lead_conversion_by_source");
	assert_true(json_is_object(by));
	assert_int_equal(json_object_size(by), 8);
	for (size_t i = 0; i < 8; i++)
		real_is(by, src[i], w->by_source[i]);
	assert_int_equal(ival(row, "new_clients"), w->new_clients);
	assert_int_equal(ival(row, "supply_spend"), w->supply);
	real_is(row, "supply_cost_pct", w->supply_pct);
	assert_int_equal(ival(row, "contract_variance"), w->variance);
	assert_int_equal(ival(row, "rebate_accrued"), w->rebate);
	real_is(row, "training_current_pct", w->training);
	if (w->fee == INT64_MIN)
		assert_true(json_is_null(json_object_get(row, "mso_fee")));
	else
		assert_int_equal(ival(row, "mso_fee"), w->fee);
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
	assert_non_null(doc);
	return doc;
}

static const json_t *
row_at(const json_t *doc, size_t i)
{
	const json_t	*rows = json_object_get(doc, "rows");

	assert_true(json_is_array(rows));
	assert_true(i < json_array_size(rows));
	return json_array_get(rows, i);
}

/*
 * Site 1, November 2026.
 * gross_sales: T-1 45000 + 8000, T-2 30000 + 12000, T-7 20000, T-8 10000
 *   = 125000 (s8 and s9 voided; gift card, package, membership out)
 * stored_value_sold: 10000 + 60000 + 15000 = 85000
 * refunds 5000, net_revenue 120000
 * collections: card 53660 + 10000 + 15000 + 10000, cash 42000, financing
 *   60000 = 190660 (gift_card 10000 and membership_credit 10000 out)
 * tickets: T-1, T-2, T-3, T-4, T-5, T-7 (11-20), T-8 (11-21) = 7 (T-6 void)
 * avg_ticket 125000 / 7 = 17857.14, half up 17857; retail_pct 8000 /
 *   125000 = 0.064
 * service_revenue 125000 - 8000 = 117000
 * provider_hours (480 + 360) / 60 = 14; per hour 117000 / 14 = 8357.14,
 *   half up 8357
 * no_show 1 / (3 + 1); cancellation 1 / (3 + 1 + 1); rebooking 1 / 3;
 *   consent 2 / 3
 * leads: 2 converted / 5 new; web 1 / 3, referral 1 / 2, others null
 * new_clients: c-b, c-c, c-d = 3 (c-a first bought in October, c-e void)
 * supply_spend 5 × 42000 + 4 × 25000 + 10 × 500 + 20 × 1500 = 345000;
 *   supply_cost_pct 345000 / 117000
 * contract_variance: (42000 - 40000) × 5 against the amended price list
 *   that arrived after the order; FILLER-1 at the contract price and
 *   NEEDLES without one add 0 = 10000
 * rebate_accrued: pooled V-A spend of TX-1 in 2026 = 315000 (site 1) +
 *   100000 (site 2) = 415000 >= 400000: 3 %; floor(315000 × 300 / 10000)
 *   = 9450 (site 1 alone, 315000, would reach only 2 %)
 * training_current_pct as of 11-30: np-3 and fd-1 current; rn-1's
 *   osha_bloodborne ran out on 11-25; mgr-1 has none (voided) = 2 / 4
 * mso_fee: percent 1001 bp of gross 125000 = 12512.5, half up 12513
 */
static const struct want site1_nov = {
	125000, 85000, 5000, 120000, 190660, 7,
	17857, 0.064,
	117000,
	14.0, 8357, 0.25, 0.2, 1.0 / 3, 2.0 / 3, 0.4,
	{ 1.0 / 3, NUL, 0.5, NUL, NUL, NUL, NUL, NUL },
	3, 345000,
	345000.0 / 117000,
	10000, 9450,
	0.5,
	12513,
};

/*
 * Site 2, November: gross 10000, collections 10000, 1 ticket, 1 new
 * client (its own c-a); np-9 300 minutes = 5 h, 10000 / 5 = 2000 an hour;
 * one completed appointment: no_show 0 / 1, cancellation 0 / 1, rebooking
 * and consent 0 / 1; no leads (null); supply 2 × 40000 + 20000 = 100000,
 * 100000 / 10000 = 10; variance (20000 - 25000) × 1 = -5000; rebate at the
 * pooled 3 %: 3000; np-9 has no trainings: 0 / 1; fee fixed 100000.
 */
static const struct want site2_nov = {
	10000, 0, 0, 10000, 10000, 1,
	10000, 0.0,
	10000,
	5.0, 2000, 0.0, 0.0, 0.0, 0.0, NUL,
	{ NUL, NUL, NUL, NUL, NUL, NUL, NUL, NUL },
	1, 100000,
	10.0,
	-5000, 3000,
	0.0,
	100000,
};

/* Site 3: nothing at all; every ratio null; not billed before any data. */
static const struct want site3_nov = {
	0, 0, 0, 0, 0, 0,
	MNUL, NUL,
	0,
	0.0, MNUL, NUL, NUL, NUL, NUL, NUL,
	{ NUL, NUL, NUL, NUL, NUL, NUL, NUL, NUL },
	0, 0,
	NUL,
	0, 0,
	NUL,
	0,
};

/*
 * The franchise, November: sums of the sites, ratios from the sums:
 * gross 135000, service 127000, tickets 8 (avg 16875 exactly), provider
 * minutes 1140 (19 h: 127000 / 19 = 6684.21 an hour, half up 6684);
 * appointments completed 4, no_show 1, cancelled 1: no_show 1 / 5,
 * cancellation 1 / 6, rebooking 1 / 4, consent 2 / 4; supply 445000;
 * variance 10000 - 5000; rebate 9450 + 3000; staff np-3, rn-1, fd-1, mgr-1,
 * np-9 of whom np-3 and fd-1 are current: 2 / 5; fee 12513 + 100000 + 0.
 */
static const struct want franchise_nov = {
	135000, 85000, 5000, 130000, 200660, 8,
	16875, 8000.0 / 135000,
	127000,
	19.0, 6684, 0.2, 1.0 / 6, 0.25, 0.5, 0.4,
	{ 1.0 / 3, NUL, 0.5, NUL, NUL, NUL, NUL, NUL },
	4, 445000,
	445000.0 / 127000,
	5000, 12450,
	0.4,
	112513,
};

static void
test_golden_kpis(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc;
	const json_t	*row;

	load_golden_sites(fx);
	golden(fx);

	/* One site. */
	doc = report(fx, QUERY_KPIS, 20261101, 20261130, 1,
	    QUERY_BY_FRANCHISE);
	assert_report_head(doc, "2026-11-01", "2026-11-30", "franchise");
	assert_int_equal(json_array_size(json_object_get(doc, "rows")), 1);
	row = row_at(doc, 0);
	/* a franchise row has no group key: exactly the KPIs */
	assert_int_equal(json_object_size(row),
	    sizeof(kpi_keys) / sizeof(kpi_keys[0]));
	expect_kpis(row, &site1_nov);
	json_decref(doc);

	/* By site, then the franchise. */
	doc = report(fx, QUERY_KPIS, 20261101, 20261130, 0, QUERY_BY_SITE);
	assert_int_equal(json_array_size(json_object_get(doc, "rows")), 3);
	assert_int_equal(ival(row_at(doc, 0), "site_id"), 1);
	expect_kpis(row_at(doc, 0), &site1_nov);
	assert_int_equal(ival(row_at(doc, 1), "site_id"), 2);
	expect_kpis(row_at(doc, 1), &site2_nov);
	assert_int_equal(ival(row_at(doc, 2), "site_id"), 3);
	expect_kpis(row_at(doc, 2), &site3_nov);
	json_decref(doc);
	doc = report(fx, QUERY_KPIS, 20261101, 20261130, 0,
	    QUERY_BY_FRANCHISE);
	expect_kpis(row_at(doc, 0), &franchise_nov);
	json_decref(doc);
}

/*
 * Site 1 by day, 11-20 to 11-22:
 * 11-20: gross 45000 + 8000 + 30000 + 12000 + 20000 = 115000, sv 85000,
 *   collections 53660 + 42000 + 10000 + 60000 + 15000 = 180660, 6 tickets,
 *   3 new clients, every order and shift; trainings as of 11-20: rn-1's
 *   osha_bloodborne (to 11-25) still holds: 3 / 4. No whole month: fee null.
 * 11-21: T-8 laser 10000 (s9 was voided on 11-22 but counts where it
 *   was: gone from 11-21), refund 5000, card 10000, 1 ticket (T-8), no new
 *   client; no shifts: training null; no appointments, no leads.
 * 11-22: only the void: zeros.
 */
static void
test_golden_by_day(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc;
	const json_t	*row;
	struct want	 d20 = {
		115000, 85000, 0, 115000, 180660, 6,
		19167, 8000.0 / 115000,		/* 19166.67 */
		107000,
		14.0, 7643, 0.25,			/* 7642.86 */ 0.2, 1.0 / 3, 2.0 / 3, 0.4,
		{ 1.0 / 3, NUL, 0.5, NUL, NUL, NUL, NUL, NUL },
		3, 345000,
		345000.0 / 107000,
		10000, 9450,
		0.75,
		INT64_MIN,
	};
	struct want	 d21 = {
		10000, 0, 5000, 5000, 10000, 1,
		10000, 0.0,
		10000,
		0.0, MNUL, NUL, NUL, NUL, NUL, NUL,
		{ NUL, NUL, NUL, NUL, NUL, NUL, NUL, NUL },
		0, 0,
		0.0,
		0, 0,
		NUL,
		INT64_MIN,
	};
	struct want	 d22 = site3_nov;

	d22.fee = INT64_MIN;
	load_golden_sites(fx);
	golden(fx);
	doc = report(fx, QUERY_KPIS, NOV, NOV22, 1, QUERY_BY_DAY);
	assert_int_equal(json_array_size(json_object_get(doc, "rows")), 3);
	row = row_at(doc, 0);
	assert_string_equal(json_string_value(json_object_get(row, "date")),
	    "2026-11-20");
	expect_kpis(row, &d20);
	row = row_at(doc, 1);
	assert_string_equal(json_string_value(json_object_get(row, "date")),
	    "2026-11-21");
	expect_kpis(row, &d21);
	row = row_at(doc, 2);
	assert_string_equal(json_string_value(json_object_get(row, "date")),
	    "2026-11-22");
	expect_kpis(row, &d22);
	json_decref(doc);
}

/*
 * Rebates by day add up to the range's (DESIGN §6): C-100's orders of site
 * 1 reach its 2 % tier on 11-21 and its 3 % tier on 11-22, and every row
 * of 11-20..11-22 accrues at the range's 3 %. The pooled spend runs
 * 166665, 266664, 499995; floor of 3 % of each is 4999, 7999, 14999, so
 * the rows take 4999, 3000 and 7000. Rows at their own day's tier (1 %,
 * 2 %, 3 %) would have summed to 10664.
 */
static void
test_rebate_rows_add_up(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc;
	const int64_t	 want[3] = { 4999, 3000, 7000 };

	load_golden_sites(fx);
	contract(fx, 1, "k1", NOV, MSOSYNC__VENDOR_CONTRACT__STATUS__SIGNED, 90,
	    1, 40000);
	po(fx, 1, "po1", NOV, "V-A", "C-100", "BOTOX-100", 5, 33333);
	po(fx, 1, "po2", NOV21, "V-A", "C-100", "BOTOX-100", 3, 33333);
	po(fx, 1, "po3", NOV22, "V-A", "C-100", "BOTOX-100", 7, 33333);
	doc = report(fx, QUERY_KPIS, NOV, NOV22, 1, QUERY_BY_DAY);
	assert_int_equal(json_array_size(json_object_get(doc, "rows")), 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(ival(row_at(doc, i), "rebate_accrued"),
		    want[i]);
	json_decref(doc);
	doc = report(fx, QUERY_KPIS, NOV, NOV22, 1, QUERY_BY_FRANCHISE);
	assert_int_equal(ival(row_at(doc, 0), "rebate_accrued"), 14999);
	json_decref(doc);
	/* a range ending 11-21 has reached only the 2 % tier */
	doc = report(fx, QUERY_KPIS, NOV, NOV21, 1, QUERY_BY_DAY);
	assert_int_equal(ival(row_at(doc, 0), "rebate_accrued"), 3333);
	assert_int_equal(ival(row_at(doc, 1), "rebate_accrued"), 5333 - 3333);
	json_decref(doc);
}

/*
 * By month, site 1, October and November: October holds T-0 (20000, one
 * ticket, c-a new) and is billed 1001 bp of 20000 = 2002; November as
 * above. A range from 10-15 bills November only (October is partial).
 */
static void
test_golden_by_month(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc;
	const json_t	*row;
	struct want	 oct = {
		20000, 0, 0, 20000, 20000, 1,
		20000, 0.0,
		20000,
		0.0, MNUL, NUL, NUL, NUL, NUL, NUL,
		{ NUL, NUL, NUL, NUL, NUL, NUL, NUL, NUL },
		1, 0,
		0.0,
		0, 0,
		NUL,
		2002,
	};

	load_golden_sites(fx);
	golden(fx);
	doc = report(fx, QUERY_KPIS, 20261001, 20261130, 1, QUERY_BY_MONTH);
	assert_int_equal(json_array_size(json_object_get(doc, "rows")), 2);
	row = row_at(doc, 0);
	assert_string_equal(json_string_value(json_object_get(row, "month")),
	    "2026-10");
	expect_kpis(row, &oct);
	row = row_at(doc, 1);
	assert_string_equal(json_string_value(json_object_get(row, "month")),
	    "2026-11");
	expect_kpis(row, &site1_nov);
	json_decref(doc);

	doc = report(fx, QUERY_KPIS, 20261015, 20261130, 0,
	    QUERY_BY_FRANCHISE);
	row = row_at(doc, 0);
	assert_int_equal(ival(row, "gross_sales"), 155000);
	assert_int_equal(ival(row, "new_clients"), 5);	/* c-a from October */
	assert_int_equal(ival(row, "tickets"), 9);
	assert_int_equal(ival(row, "mso_fee"), 112513);
	json_decref(doc);

	/* A range inside one month bills nothing: null. */
	doc = report(fx, QUERY_KPIS, 20261101, 20261129, 0,
	    QUERY_BY_FRANCHISE);
	assert_true(json_is_null(json_object_get(row_at(doc, 0), "mso_fee")));
	json_decref(doc);
}

static int64_t
sub(const json_t *row, const char *obj, const char *key)
{
	return ival(json_object_get(row, obj), key);
}

/*
 * Financials of site 1 in November: by category (stored value included,
 * voided lines not), by method (gift_card and membership_credit shown,
 * outside collections), expenses, discounts 5000 + 1000, tax 660.
 */
static void
test_golden_financials(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc;
	const json_t	*row;

	load_golden_sites(fx);
	golden(fx);
	doc = report(fx, QUERY_FINANCIALS, 20261101, 20261130, 1,
	    QUERY_BY_SITE);
	row = row_at(doc, 0);
	assert_int_equal(ival(row, "site_id"), 1);
	expect_kpis(row, &site1_nov);
	assert_int_equal(sub(row, "sales_by_category", "injectables"), 65000);
	assert_int_equal(sub(row, "sales_by_category", "dermal_fillers"), 0);
	assert_int_equal(sub(row, "sales_by_category", "laser"), 40000);
	assert_int_equal(sub(row, "sales_by_category", "body_contouring"), 0);
	assert_int_equal(sub(row, "sales_by_category", "skincare"), 12000);
	assert_int_equal(sub(row, "sales_by_category", "iv_wellness"), 0);
	assert_int_equal(sub(row, "sales_by_category", "retail"), 8000);
	assert_int_equal(sub(row, "sales_by_category", "membership"), 15000);
	assert_int_equal(sub(row, "sales_by_category", "package"), 60000);
	assert_int_equal(sub(row, "sales_by_category", "gift_card"), 10000);
	assert_int_equal(sub(row, "sales_by_category", "other"), 0);
	assert_int_equal(sub(row, "collections_by_method", "card"), 88660);
	assert_int_equal(sub(row, "collections_by_method", "cash"), 42000);
	assert_int_equal(sub(row, "collections_by_method", "financing"),
	    60000);
	assert_int_equal(sub(row, "collections_by_method", "gift_card"), 10000);
	assert_int_equal(sub(row, "collections_by_method",
	    "membership_credit"), 10000);
	assert_int_equal(sub(row, "collections_by_method", "other"), 0);
	assert_int_equal(sub(row, "expenses_by_category", "rent"), 300000);
	assert_int_equal(sub(row, "expenses_by_category", "supplies"), 12000);
	assert_int_equal(sub(row, "expenses_by_category", "payroll"), 0);
	assert_int_equal(json_object_size(json_object_get(row,
	    "expenses_by_category")), 9);
	assert_int_equal(ival(row, "operating_costs"), 312000);
	assert_int_equal(ival(row, "discounts"), 6000);
	assert_int_equal(ival(row, "tax"), 660);
	json_decref(doc);
}

static void
expect_vendor(const json_t *v, const char *id, int64_t spend, int64_t var,
    int64_t rebate)
{
	assert_string_equal(json_string_value(json_object_get(v, "vendor_id")),
	    id);
	assert_int_equal(ival(v, "supply_spend"), spend);
	assert_int_equal(ival(v, "contract_variance"), var);
	assert_int_equal(ival(v, "rebate_accrued"), rebate);
}

static void
expect_contract(const json_t *c, uint32_t site, int64_t spend, int64_t var,
    int64_t rebate, int64_t bp)
{
	assert_int_equal(ival(c, "site_id"), site);
	assert_string_equal(json_string_value(json_object_get(c,
	    "contract_id")), "C-100");
	assert_string_equal(json_string_value(json_object_get(c, "vendor_id")),
	    "V-A");
	assert_int_equal(ival(c, "supply_spend"), spend);
	assert_int_equal(ival(c, "contract_variance"), var);
	assert_int_equal(ival(c, "rebate_accrued"), rebate);
	assert_int_equal(ival(c, "rebate_bp_applied"), bp);
}

/*
 * Vendors, franchise, November: V-A 315000 + 100000 = 415000, variance
 * 10000 - 5000, rebates 9450 + 3000; V-B 30000 with nothing else. Each
 * site's C-100 apart (contract ids are per site), both at 3 %.
 */
static void
test_golden_vendors(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc;
	const json_t	*row, *a;

	load_golden_sites(fx);
	golden(fx);
	doc = report(fx, QUERY_VENDORS, 20261101, 20261130, 0,
	    QUERY_BY_FRANCHISE);
	row = row_at(doc, 0);
	expect_kpis(row, &franchise_nov);
	a = json_object_get(row, "by_vendor");
	assert_int_equal(json_array_size(a), 2);
	expect_vendor(json_array_get(a, 0), "V-A", 415000, 5000, 12450);
	expect_vendor(json_array_get(a, 1), "V-B", 30000, 0, 0);
	a = json_object_get(row, "by_contract");
	assert_int_equal(json_array_size(a), 2);
	expect_contract(json_array_get(a, 0), 1, 315000, 10000, 9450, 300);
	expect_contract(json_array_get(a, 1), 2, 100000, -5000, 3000, 300);
	json_decref(doc);

	/*
	 * A query of site 1 alone still pools with site 2: the tier is the
	 * franchise's business, not the report's.
	 */
	doc = report(fx, QUERY_VENDORS, 20261101, 20261130, 1,
	    QUERY_BY_FRANCHISE);
	a = json_object_get(row_at(doc, 0), "by_contract");
	assert_int_equal(json_array_size(a), 1);
	expect_contract(json_array_get(a, 0), 1, 315000, 10000, 9450, 300);
	json_decref(doc);

	/*
	 * Site 2 under another tax_id: no pooling. Site 1 alone, 315000,
	 * reaches 2 % (6300); site 2, 100000, no tier: the base 1 % (1000).
	 */
	load_sites(fx, "TX-2",
	    "fee_model = percent\nfee_percent_bp = 1001",
	    "fee_model = fixed\nfee_fixed_cents = 100000",
	    "fee_model = fixed\nfee_fixed_cents = 50000");
	doc = report(fx, QUERY_VENDORS, 20261101, 20261130, 0,
	    QUERY_BY_FRANCHISE);
	row = row_at(doc, 0);
	assert_int_equal(ival(row, "rebate_accrued"), 7300);
	a = json_object_get(row, "by_contract");
	expect_contract(json_array_get(a, 0), 1, 315000, 10000, 6300, 200);
	expect_contract(json_array_get(a, 1), 2, 100000, -5000, 1000, 100);
	json_decref(doc);
}

/*
 * Compliance, site 1, November (as of 11-30), 4 staff with a shift:
 * hipaa: all 4 current; osha_bloodborne: np-3 and fd-1 (rn-1's ran out
 * 11-25, mgr-1's was voided); nobody has the other courses. Checks as
 * sent, 3 + 1 findings. Licences within 60 days after 11-30: np-3's NP of
 * 2026-12-15; rn-1's RN of 2026-12-01 was renewed to 2027-06-01.
 */
static void
test_golden_compliance(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc;
	const json_t	*row, *o, *l;

	load_golden_sites(fx);
	golden(fx);
	doc = report(fx, QUERY_COMPLIANCE, 20261101, 20261130, 1,
	    QUERY_BY_FRANCHISE);
	row = row_at(doc, 0);
	expect_kpis(row, &site1_nov);
	o = json_object_get(row, "by_course");
	assert_int_equal(json_object_size(o), 5);
	assert_int_equal(sub(o, "hipaa", "staff_current"), 4);
	assert_int_equal(sub(o, "hipaa", "staff_total"), 4);
	assert_int_equal(sub(o, "osha_bloodborne", "staff_current"), 2);
	assert_int_equal(sub(o, "osha_bloodborne", "staff_total"), 4);
	assert_int_equal(sub(o, "osha_hazcom", "staff_current"), 0);
	assert_int_equal(sub(o, "laser_safety", "staff_current"), 0);
	assert_int_equal(sub(o, "product", "staff_total"), 4);
	o = json_object_get(row, "checks");
	assert_int_equal(sub(o, "hipaa_risk_assessment", "pass"), 1);
	assert_int_equal(sub(o, "hipaa_risk_assessment", "fail"), 0);
	assert_int_equal(sub(o, "osha_inspection", "findings"), 1);
	assert_int_equal(sub(o, "device_maintenance", "fail"), 1);
	assert_int_equal(sub(o, "consent_audit", "pass"), 0);
	assert_int_equal(ival(row, "check_findings"), 4);
	l = json_object_get(row, "licenses_expiring");
	assert_int_equal(json_array_size(l), 1);
	l = json_array_get(l, 0);
	assert_int_equal(ival(l, "site_id"), 1);
	assert_string_equal(json_string_value(json_object_get(l, "staff_ref")),
	    "np-3");
	assert_string_equal(json_string_value(json_object_get(l,
	    "license_type")), "NP");
	assert_string_equal(json_string_value(json_object_get(l,
	    "expires_on")), "2026-12-15");
	json_decref(doc);
}

static const json_t *
fee_row(struct fx *fx, json_t **doc, uint32_t site)
{
	char	err[256] = "";

	assert_int_equal(query_fees(fx->s, fx->sites, 202611, site, doc, err,
	    sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(*doc,
	    "period")), "2026-11");
	/* the common report shape too (DESIGN §6) */
	assert_report_head(*doc, "2026-11-01", "2026-11-30", "site");
	assert_int_equal(json_array_size(json_object_get(*doc, "rows")),
	    site != 0 ? 1 : 3);
	return row_at(*doc, 0);
}

static void
expect_fee(const json_t *r, const char *model, const char *base_name,
    int64_t base, int64_t fixed, int64_t bp, int64_t pct, int floor_hit,
    int cap_hit, int64_t fee)
{
	assert_string_equal(json_string_value(json_object_get(r, "fee_model")),
	    model);
	assert_string_equal(json_string_value(json_object_get(r, "fee_base")),
	    base_name);
	assert_int_equal(ival(r, "base_cents"), base);
	assert_int_equal(ival(r, "fixed_cents"), fixed);
	assert_int_equal(ival(r, "percent_bp"), bp);
	assert_int_equal(ival(r, "percent_cents"), pct);
	assert_int_equal(json_is_true(json_object_get(r, "floor_applied")),
	    floor_hit);
	assert_int_equal(json_is_true(json_object_get(r, "cap_applied")),
	    cap_hit);
	assert_int_equal(ival(r, "fee_cents"), fee);
	assert_true(json_is_true(json_object_get(r, "billed")));
}

/*
 * Fee statements of site 1 for November (gross 125000, net 120000,
 * collections 190660) under each model:
 *   fixed 250000: 250000
 *   percent 1001 bp of gross: 12512.5 -> 12513 (half up)
 *   percent 800 bp of net_revenue = 9600, floor 20000 bites: 20000
 *   fixed_plus_percent 5000 + 500 bp of collections (9533) = 14533, cap
 *   12000 bites: 12000
 *   fixed_plus_percent 1000 + 250 bp of net (3000) = 4000, floor 3000 and
 *   cap 5000 both hold back: 4000
 */
static void
test_golden_fees(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc = NULL;
	const json_t	*r;

	load_golden_sites(fx);
	golden(fx);
	r = fee_row(fx, &doc, 0);
	assert_int_equal(ival(r, "site_id"), 1);
	expect_fee(r, "percent", "gross_sales", 125000, 0, 1001, 12513, 0, 0,
	    12513);
	r = row_at(doc, 1);
	assert_int_equal(ival(r, "site_id"), 2);
	expect_fee(r, "fixed", "gross_sales", 10000, 100000, 0, 0, 0, 0,
	    100000);
	/* No data at site 3 yet: not billed. */
	r = row_at(doc, 2);
	assert_int_equal(ival(r, "site_id"), 3);
	assert_true(json_is_false(json_object_get(r, "billed")));
	assert_int_equal(ival(r, "fee_cents"), 0);
	json_decref(doc);

	load_sites(fx, "TX-1", "fee_model = fixed\nfee_fixed_cents = 250000",
	    "fee_model = fixed\nfee_fixed_cents = 1", "fee_model = fixed\n"
	    "fee_fixed_cents = 1");
	r = fee_row(fx, &doc, 1);
	expect_fee(r, "fixed", "gross_sales", 125000, 250000, 0, 0, 0, 0,
	    250000);
	json_decref(doc);

	load_sites(fx, "TX-1", "fee_model = percent\nfee_percent_bp = 800\n"
	    "fee_base = net_revenue\nfee_floor_cents = 20000",
	    "fee_model = fixed\nfee_fixed_cents = 1", "fee_model = fixed\n"
	    "fee_fixed_cents = 1");
	r = fee_row(fx, &doc, 1);
	expect_fee(r, "percent", "net_revenue", 120000, 0, 800, 9600, 1, 0,
	    20000);
	json_decref(doc);

	load_sites(fx, "TX-1", "fee_model = fixed_plus_percent\n"
	    "fee_fixed_cents = 5000\nfee_percent_bp = 500\n"
	    "fee_base = collections\nfee_cap_cents = 12000",
	    "fee_model = fixed\nfee_fixed_cents = 1", "fee_model = fixed\n"
	    "fee_fixed_cents = 1");
	r = fee_row(fx, &doc, 1);
	expect_fee(r, "fixed_plus_percent", "collections", 190660, 5000, 500,
	    9533, 0, 1, 12000);
	json_decref(doc);

	load_sites(fx, "TX-1", "fee_model = fixed_plus_percent\n"
	    "fee_fixed_cents = 1000\nfee_percent_bp = 250\n"
	    "fee_base = net_revenue\nfee_floor_cents = 3000\n"
	    "fee_cap_cents = 5000",
	    "fee_model = fixed\nfee_fixed_cents = 1", "fee_model = fixed\n"
	    "fee_fixed_cents = 1");
	r = fee_row(fx, &doc, 1);
	expect_fee(r, "fixed_plus_percent", "net_revenue", 120000, 1000, 250,
	    3000, 0, 0, 4000);
	json_decref(doc);

	/* The report's mso_fee is the same formula, month by month. */
	doc = report(fx, QUERY_KPIS, 20261001, 20261130, 1, QUERY_BY_FRANCHISE);
	/* October: 1000 + 250 bp of 20000 = 1500, floor 3000; November 4000 */
	assert_int_equal(ival(row_at(doc, 0), "mso_fee"), 7000);
	json_decref(doc);
}

/*
 * A month with refunds above sales: net_revenue 1000 - 13345 = -12345;
 * 1000 bp of it is -1234.5, rounded half away from zero to -1235. Without
 * a floor the statement is a credit of 1235; a floor of 100 holds it.
 */
static void
test_fee_negative_base(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc = NULL;
	const json_t	*r;

	sale(fx, 1, "n1", NOV, "T-1", CAT(LASER), 1000, 0, 0, "c-1");
	refund(fx, 1, "n2", NOV, "T-0", 13345);
	load_sites(fx, "TX-1", "fee_model = percent\nfee_percent_bp = 1000\n"
	    "fee_base = net_revenue", "fee_model = fixed\nfee_fixed_cents = 1",
	    "fee_model = fixed\nfee_fixed_cents = 1");
	r = fee_row(fx, &doc, 1);
	expect_fee(r, "percent", "net_revenue", -12345, 0, 1000, -1235, 0, 0,
	    -1235);
	json_decref(doc);
	load_sites(fx, "TX-1", "fee_model = percent\nfee_percent_bp = 1000\n"
	    "fee_base = net_revenue\nfee_floor_cents = 100",
	    "fee_model = fixed\nfee_fixed_cents = 1",
	    "fee_model = fixed\nfee_fixed_cents = 1");
	r = fee_row(fx, &doc, 1);
	expect_fee(r, "percent", "net_revenue", -12345, 0, 1000, -1235, 1, 0,
	    100);
	json_decref(doc);
	/* +12345 rounds the other way: 1234.5 -> 1235 */
	sale(fx, 1, "n3", NOV, "T-2", CAT(LASER), 24690, 0, 0, "c-1");
	r = fee_row(fx, &doc, 1);
	expect_fee(r, "percent", "net_revenue", 12345, 0, 1000, 1235, 0, 0,
	    1235);
	json_decref(doc);
}

/*
 * Contracts in their latest state, by end date: site 1's C-100 amended
 * (notice 90 days: notice by 2026-10-02), site 2's signed (60 days:
 * 2026-11-01); both end 2026-12-31, 41 days after 2026-11-20.
 */
static void
test_golden_contracts(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc = NULL;
	const json_t	*a, *c;
	char		 err[256];

	load_golden_sites(fx);
	golden(fx);
	assert_int_equal(query_contracts(fx->s, fx->sites, -1, NOV, &doc, err,
	    sizeof(err)), 0);
	a = json_object_get(doc, "contracts");
	assert_int_equal(json_array_size(a), 2);
	c = json_array_get(a, 0);
	assert_int_equal(ival(c, "site_id"), 1);
	assert_string_equal(json_string_value(json_object_get(c,
	    "contract_id")), "C-100");
	assert_string_equal(json_string_value(json_object_get(c, "vendor_id")),
	    "V-A");
	assert_string_equal(json_string_value(json_object_get(c,
	    "vendor_name")), "Vendor A");
	assert_string_equal(json_string_value(json_object_get(c, "status")),
	    "amended");
	assert_string_equal(json_string_value(json_object_get(c,
	    "start_date")), "2026-01-01");
	assert_string_equal(json_string_value(json_object_get(c, "end_date")),
	    "2026-12-31");
	assert_int_equal(ival(c, "notice_days"), 90);
	assert_true(json_is_true(json_object_get(c, "auto_renew")));
	assert_int_equal(ival(c, "rebate_bp"), 100);
	assert_int_equal(ival(c, "min_annual_commit_cents"), 1000000);
	assert_int_equal(ival(c, "days_to_end"), 41);
	assert_string_equal(json_string_value(json_object_get(c, "notice_by")),
	    "2026-10-02");
	assert_int_equal(json_array_size(json_object_get(c, "rebate_tiers")),
	    2);
	c = json_array_get(a, 1);
	assert_int_equal(ival(c, "site_id"), 2);
	assert_string_equal(json_string_value(json_object_get(c, "status")),
	    "signed");
	assert_true(json_is_false(json_object_get(c, "auto_renew")));
	assert_string_equal(json_string_value(json_object_get(c, "notice_by")),
	    "2026-11-01");
	json_decref(doc);

	assert_int_equal(query_contracts(fx->s, fx->sites, 40, NOV, &doc, err,
	    sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "contracts")),
	    0);
	json_decref(doc);
	assert_int_equal(query_contracts(fx->s, fx->sites, 41, NOV, &doc, err,
	    sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "contracts")),
	    2);
	json_decref(doc);
}

/*
 * A void of the amending event takes the contract back to its signed
 * version (BOTOX-100 at 41000): variance (42000 - 41000) × 5 = 5000.
 */
static void
test_void_contract_version(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc = NULL;
	char		 err[256];

	load_golden_sites(fx);
	golden(fx);
	void_of(fx, 1, "v4", NOV22, "k2");
	doc = report(fx, QUERY_KPIS, 20261101, 20261130, 1,
	    QUERY_BY_FRANCHISE);
	assert_int_equal(ival(row_at(doc, 0), "contract_variance"), 5000);
	json_decref(doc);
	assert_int_equal(query_contracts(fx->s, fx->sites, -1, NOV, &doc, err,
	    sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(doc, "contracts"), 0), "status")), "signed");
	json_decref(doc);
}

struct said {
	unsigned	n;
	char		first[512];
};

static void
say(void *arg, const char *what)
{
	struct said	*s = arg;

	if (s->n++ == 0)
		snprintf(s->first, sizeof(s->first), "%s", what);
}

static int
corrupt(void *arg, struct store_txn *t)
{
	uint8_t	key[9];
	int64_t	d[AGG_NCOUNTERS];

	(void)arg;
	memset(d, 0, sizeof(d));
	d[AGG_GROSS_SALES] = 1;
	return store_txn_add_i64(t, "rollups", key, aggregate_key(key,
	    AGG_KEY_DAY, 1, NOV), d, AGG_NCOUNTERS);
}

/* Rebuilt from the stored events, the aggregates are the running ones. */
static void
test_verify(void **state)
{
	struct fx	*fx = *state;
	struct said	 said;
	uint64_t	 keys = 0;
	int		 rc;

	load_golden_sites(fx);
	golden(fx);
	memset(&said, 0, sizeof(said));
	rc = aggregate_verify(fx->s, fx->root, say, &said, &keys);
	if (rc != 0)
		fprintf(stderr, "verify: %u: %s\n", said.n, said.first);
	assert_int_equal(rc, 0);
	assert_int_equal(said.n, 0);
	assert_true(keys > 50);

	assert_int_equal(store_write(fx->s, corrupt, NULL), 0);
	memset(&said, 0, sizeof(said));
	rc = aggregate_verify(fx->s, fx->root, say, &said, &keys);
	assert_int_equal(rc, MSOSYNC_ECORRUPT);
	assert_int_equal(said.n, 1);
	assert_string_equal(said.first, "rollups D/1/2026-11-20: gross_sales "
	    "running 115001 rebuilt 115000");
}

/* A new journal for the site: seq 1 again, from genesis. */
static void
new_epoch(struct fx *fx, uint32_t site)
{
	struct stream	*st = &fx->st[site];

	memset(st->epoch, 0x50 + st->epoch[0], STORE_EPOCH_LEN);
	st->seq = 0;
	memcpy(st->head, chain_genesis, CHAIN_HASH_LEN);
	st->hello = 0;
}

/*
 * Voids the agent refuses, should one reach the hub anyway, take nothing:
 * a second void of s1, a void of that void, a void of an unknown id.
 * Only the first void of s1 takes back its 45000 (and T-1, c-a go with it).
 */
static void
test_voids_take_once(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc;
	const json_t	*row;
	uint64_t	 keys;

	load_golden_sites(fx);
	sale(fx, 1, "s1", NOV, "T-1", CAT(INJECTABLES), 45000, 0, 0, "c-a");
	sale(fx, 1, "s2", NOV, "T-2", CAT(LASER), 30000, 0, 0, "c-b");
	void_of(fx, 1, "v1", NOV, "s1");
	void_of(fx, 1, "v2", NOV21, "s1");
	void_of(fx, 1, "v3", NOV21, "v1");
	void_of(fx, 1, "v4", NOV21, "nothing-here");
	doc = report(fx, QUERY_KPIS, NOV, NOV21, 1, QUERY_BY_FRANCHISE);
	row = row_at(doc, 0);
	assert_int_equal(ival(row, "gross_sales"), 30000);
	assert_int_equal(ival(row, "tickets"), 1);
	assert_int_equal(ival(row, "new_clients"), 1);
	json_decref(doc);
	assert_int_equal(aggregate_verify(fx->s, fx->root, NULL, NULL, &keys),
	    0);
}

/*
 * Ids longer than the keys can hold are cut to a hash, distinct and the
 * same every time: a 300-byte vendor, contract and sku still make their
 * own rows.
 */
static void
test_long_ids(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc;
	const json_t	*a;
	char		 v1[301], v2[301];

	load_golden_sites(fx);
	memset(v1, 'v', 300);
	v1[300] = '\0';
	memcpy(v2, v1, sizeof(v2));
	v2[299] = 'w';
	po(fx, 1, "po1", NOV, v1, v1, v1, 2, 1000);
	po(fx, 1, "po2", NOV, v2, v2, v2, 3, 1000);
	po(fx, 1, "po3", NOV, v1, v1, v1, 1, 1000);
	shift(fx, 1, "sh1", NOV, v1, ROLE(MD), 60);
	doc = report(fx, QUERY_VENDORS, NOV, NOV, 1, QUERY_BY_FRANCHISE);
	a = json_object_get(row_at(doc, 0), "by_vendor");
	assert_int_equal(json_array_size(a), 2);
	assert_int_equal(ival(json_array_get(a, 0), "supply_spend") +
	    ival(json_array_get(a, 1), "supply_spend"), 6000);
	assert_int_equal(json_string_value(json_object_get(json_array_get(a,
	    0), "vendor_id"))[0], '~');
	assert_int_equal(json_array_size(json_object_get(row_at(doc, 0),
	    "by_contract")), 2);
	real_is(row_at(doc, 0), "provider_hours", 1.0);
	json_decref(doc);
	assert_int_equal(aggregate_verify(fx->s, fx->root, NULL, NULL, NULL),
	    0);
}

/*
 * A contract amended in a new journal (its seq starts at 1 again) is still
 * the latest version: versions are numbered in apply order. An old event
 * replayed into the new journal is a duplicate and counts once.
 */
static void
test_new_epoch(void **state)
{
	struct fx	*fx = *state;
	json_t		*doc;
	const json_t	*row;
	struct said	 said;
	int		 rc;

	load_golden_sites(fx);
	sale(fx, 1, "s0", NOV, "T-0", CAT(LASER), 1000, 0, 0, "c-0");
	sale(fx, 1, "s1", NOV, "T-1", CAT(LASER), 1000, 0, 0, "c-0");
	contract(fx, 1, "k1", NOV, MSOSYNC__VENDOR_CONTRACT__STATUS__SIGNED, 90,
	    1, 41000);
	po(fx, 1, "po1", NOV, "V-A", "C-100", "BOTOX-100", 5, 42000);
	new_epoch(fx, 1);
	contract(fx, 1, "k2", NOV21, MSOSYNC__VENDOR_CONTRACT__STATUS__AMENDED,
	    90, 1, 40000);
	{
		/* s1 again, replayed by the POS: skipped as a duplicate */
		struct stream		*st = &fx->st[1];
		struct store_batch	 b;
		Msosync__Event		 ev = MSOSYNC__EVENT__INIT;
		Msosync__Sale		 sl = MSOSYNC__SALE__INIT;
		Msosync__Record		 r = MSOSYNC__RECORD__INIT;
		const Msosync__Record	*rp = &r;
		uint8_t			 hash[CHAIN_HASH_LEN], buf[256];

		sl.ticket_id = "T-1";
		sl.category = CAT(LASER);
		sl.amount_cents = 1000;
		ev.body_case = MSOSYNC__EVENT__BODY_SALE;
		ev.sale = &sl;
		ev.event_id = "s1";
		ev.site_id = 1;
		ev.seq = ++st->seq;
		ev.business_date = NOV21;
		r.seq = st->seq;
		r.event.len = msosync__event__pack(&ev, buf);
		r.event.data = buf;
		chain_hash(st->head, r.seq, buf, r.event.len, hash);
		r.hash.data = hash;
		r.hash.len = CHAIN_HASH_LEN;
		memset(&b, 0, sizeof(b));
		b.site_id = 1;
		b.epoch = st->epoch;
		b.rec = &rp;
		b.nrec = 1;
		assert_int_equal(store_apply(fx->s, &b, 1), 0);
		assert_int_equal(b.result, 0);
		assert_int_equal(b.duplicates, 1);
		memcpy(st->head, hash, CHAIN_HASH_LEN);
	}
	doc = report(fx, QUERY_KPIS, NOV, NOV21, 1, QUERY_BY_FRANCHISE);
	row = row_at(doc, 0);
	assert_int_equal(ival(row, "contract_variance"), 10000);
	assert_int_equal(ival(row, "gross_sales"), 2000);
	assert_int_equal(ival(row, "tickets"), 2);
	json_decref(doc);
	memset(&said, 0, sizeof(said));
	rc = aggregate_verify(fx->s, fx->root, say, &said, NULL);
	if (rc != 0)
		fprintf(stderr, "verify: %s\n", said.first);
	assert_int_equal(rc, 0);
}

/*
 * Apply every held record in one store_apply: one transaction, a batch
 * for each run of one site's records.
 */
static void
apply_held(struct fx *fx)
{
	Msosync__Record		 *r;
	const Msosync__Record	**rp;
	struct store_batch	 *b;
	size_t			  nb = 0;

	r = calloc(fx->nheld, sizeof(*r));
	rp = calloc(fx->nheld, sizeof(*rp));
	b = calloc(fx->nheld, sizeof(*b));
	assert_true(r != NULL && rp != NULL && b != NULL);
	for (size_t i = 0; i < fx->nheld; i++) {
		msosync__record__init(&r[i]);
		r[i].seq = fx->held[i].seq;
		r[i].event.data = fx->held[i].buf;
		r[i].event.len = fx->held[i].len;
		r[i].hash.data = fx->held[i].hash;
		r[i].hash.len = CHAIN_HASH_LEN;
		rp[i] = &r[i];
		if (nb == 0 || b[nb - 1].site_id != fx->held[i].site) {
			b[nb].site_id = fx->held[i].site;
			b[nb].epoch = fx->st[fx->held[i].site].epoch;
			b[nb].rec = &rp[i];
			nb++;
		}
		b[nb - 1].nrec++;
	}
	assert_int_equal(store_apply(fx->s, b, nb), 0);
	for (size_t i = 0; i < nb; i++) {
		if (b[i].result != 0)
			fprintf(stderr, "apply_held: %s\n", b[i].message);
		assert_int_equal(b[i].result, 0);
		assert_int_equal(b[i].applied, b[i].nrec);
	}
	for (size_t i = 0; i < fx->nheld; i++)
		free(fx->held[i].buf);
	fx->nheld = 0;
	free(r);
	free(rp);
	free(b);
}

/* Start over in a new, empty store under the same root. */
static void
fresh_store(struct fx *fx, const char *name)
{
	store_close(&fx->s);
	snprintf(fx->dir, sizeof(fx->dir), "%s/%s", fx->root, name);
	assert_int_equal(store_open(fx->dir, 64 * MIB, &fx->s), 0);
	aggregate_attach(fx->s);
	for (int i = 1; i <= NSITES; i++) {
		fx->st[i].seq = 0;
		fx->st[i].hello = 0;
		memcpy(fx->st[i].head, chain_genesis, CHAIN_HASH_LEN);
	}
}

/* Every aggregate key and value of a store, in key order, as bytes. */
struct dump {
	uint8_t	*p;
	size_t	 n, cap;
	size_t	 keys;
};

static void
dump_bytes(struct dump *d, const void *p, size_t n)
{
	if (d->n + n > d->cap) {
		while (d->n + n > d->cap)
			d->cap = d->cap ? 2 * d->cap : 4096;
		d->p = realloc(d->p, d->cap);
		assert_non_null(d->p);
	}
	if (n > 0)
		memcpy(d->p + d->n, p, n);
	d->n += n;
}

static int
dump_key(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct dump	*d = arg;

	dump_bytes(d, &klen, sizeof(klen));
	dump_bytes(d, key, klen);
	dump_bytes(d, &vlen, sizeof(vlen));
	dump_bytes(d, val, vlen);
	d->keys++;
	return 0;
}

static int
dump_dbs(void *arg, struct store_txn *t)
{
	static const char *const	dbs[] = {
		"rollups", "contracts", "clients"
	};
	int				rc;

	for (size_t i = 0; i < 3; i++) {
		dump_bytes(arg, dbs[i], strlen(dbs[i]) + 1);
		if ((rc = store_txn_scan(t, dbs[i], NULL, 0, dump_key,
		    arg)) != 0)
			return rc;
	}
	return 0;
}

static void
dump_store(struct store *s, struct dump *d)
{
	memset(d, 0, sizeof(*d));
	assert_int_equal(store_read(s, dump_dbs, d), 0);
}

/*
 * Run gen one event a transaction into a store, then again held back into
 * a fresh one and applied in one transaction with the cache bound at
 * 'cache_max' (0: the default): the two stores' aggregates must be the
 * same bytes. fx->s is the one-transaction store afterwards.
 */
static void
one_txn_same(struct fx *fx, void (*gen)(struct fx *), size_t cache_max,
    struct store_cache_stats *stats)
{
	struct dump	a, b;
	uint64_t	keys = 0;

	gen(fx);
	dump_store(fx->s, &a);
	fresh_store(fx, "one-txn");
	store_set_cache_max(fx->s, cache_max);
	fx->hold = 1;
	gen(fx);
	fx->hold = 0;
	apply_held(fx);
	store_cache_stats(fx->s, stats);
	dump_store(fx->s, &b);
	assert_true(a.keys > 0);
	assert_int_equal(b.keys, a.keys);
	assert_int_equal(b.n, a.n);
	assert_memory_equal(b.p, a.p, a.n);
	free(a.p);
	free(b.p);
	assert_int_equal(aggregate_verify(fx->s, fx->root, NULL, NULL, &keys),
	    0);
	assert_int_equal(keys, a.keys);
}

/* Counter 'c' of a D or M key (0 when the key is not there). */
struct counter_arg {
	uint8_t	key[AGG_KEY_MAX];
	size_t	klen;
	int64_t	v[AGG_NCOUNTERS];
	int	rc;
};

static int
read_key(void *arg, struct store_txn *t)
{
	struct counter_arg	*c = arg;

	c->rc = store_txn_get_i64(t, c->key[0] == AGG_KEY_TICKET ||
	    c->key[0] == AGG_KEY_CLIENT ? "clients" : "rollups", c->key,
	    c->klen, c->v, AGG_NCOUNTERS);
	return 0;
}

static int64_t
counter(struct fx *fx, int type, uint32_t site, uint32_t when, int c)
{
	struct counter_arg	a;

	memset(&a, 0, sizeof(a));
	a.klen = aggregate_key(a.key, type, site, when);
	assert_int_equal(store_read(fx->s, read_key, &a), 0);
	return a.v[c];
}

/* A T or C key's {first date, live sales}; rc MSOSYNC_ENOTFOUND if gone. */
static int
first_seen_of(struct fx *fx, int type, uint32_t site, const char *id,
    int64_t v[2])
{
	struct counter_arg	a;

	memset(&a, 0, sizeof(a));
	a.klen = aggregate_key(a.key, type, site, 0);
	a.klen = aggregate_key_str(a.key, a.klen, id, 1);
	assert_int_equal(store_read(fx->s, read_key, &a), 0);
	v[0] = a.v[0];
	v[1] = a.v[1];
	return a.rc;
}

static int
count_one(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	(void)key;
	(void)klen;
	(void)val;
	(void)vlen;
	(*(size_t *)arg)++;
	return 0;
}

struct prefix_arg {
	uint8_t	prefix[5];
	size_t	n;
};

static int
count_prefix(void *arg, struct store_txn *t)
{
	struct prefix_arg	*p = arg;

	return store_txn_scan(t, "rollups", p->prefix, sizeof(p->prefix),
	    count_one, &p->n);
}

/* How many rollup keys of this type the site has. */
static size_t
keys_of(struct fx *fx, int type, uint32_t site)
{
	struct prefix_arg	p;

	memset(&p, 0, sizeof(p));
	aggregate_key(p.prefix, type, site, 0);
	assert_int_equal(store_read(fx->s, count_prefix, &p), 0);
	return p.n;
}

static void
golden_sites(struct fx *fx)
{
	load_golden_sites(fx);
	golden(fx);
}

/* The golden month in one transaction is the golden month. */
static void
test_one_txn_golden(void **state)
{
	struct fx			*fx = *state;
	struct store_cache_stats	 st;
	json_t				*doc;

	one_txn_same(fx, golden_sites, 0, &st);
	assert_int_equal(st.flushes, 1);
	assert_int_equal(st.early, 0);
	doc = report(fx, QUERY_KPIS, 20261101, 20261130, 0, QUERY_BY_SITE);
	expect_kpis(row_at(doc, 0), &site1_nov);
	expect_kpis(row_at(doc, 1), &site2_nov);
	json_decref(doc);
}

/* And so it is with a cache of 2 keys, written out early all along. */
static void
test_one_txn_tiny_cache(void **state)
{
	struct fx			*fx = *state;
	struct store_cache_stats	 st;
	json_t				*doc;

	one_txn_same(fx, golden_sites, 2, &st);
	assert_true(st.early > 40);
	assert_int_equal(st.flushes, st.early + 1);
	doc = report(fx, QUERY_KPIS, 20261101, 20261130, 0,
	    QUERY_BY_FRANCHISE);
	expect_kpis(row_at(doc, 0), &franchise_nov);
	json_decref(doc);
}

#define MANY	600

/*
 * One day key hit MANY times in one transaction, on top of what an
 * earlier one left: sale i (i = 0 .. MANY-1) is 100 + i cents of
 * injectables on ticket T-(i / 2) (two lines each) for client c-(i % 40).
 */
static void
many_sales(struct fx *fx)
{
	char	id[32], ticket[32], client[32];

	load_golden_sites(fx);
	if (fx->hold) {
		/* the earlier transaction */
		fx->hold = 0;
		sale(fx, 1, "s-base", NOV, "T-base", CAT(LASER), 7000, 0, 0,
		    "c-0");
		fx->hold = 1;
	} else
		sale(fx, 1, "s-base", NOV, "T-base", CAT(LASER), 7000, 0, 0,
		    "c-0");
	for (int i = 0; i < MANY; i++) {
		snprintf(id, sizeof(id), "s-%d", i);
		snprintf(ticket, sizeof(ticket), "T-%d", i / 2);
		snprintf(client, sizeof(client), "c-%d", i % 40);
		sale(fx, 1, id, NOV, ticket, CAT(INJECTABLES), 100 + i, 0, 1,
		    client);
	}
}

static void
test_same_key_many(void **state)
{
	struct fx			*fx = *state;
	struct store_cache_stats	 st;
	int64_t				 v[2];
	const int			 keys[] = { AGG_KEY_DAY,
					    AGG_KEY_MONTH };

	one_txn_same(fx, many_sales, 0, &st);
	for (size_t k = 0; k < 2; k++) {
		uint32_t	when = keys[k] == AGG_KEY_DAY ? NOV :
				    NOV / 100;

		/* 7000 + sum of 100 + i over i < MANY */
		assert_int_equal(counter(fx, keys[k], 1, when,
		    AGG_GROSS_SALES), 7000 + 100 * MANY +
		    MANY * (MANY - 1) / 2);
		assert_int_equal(counter(fx, keys[k], 1, when,
		    AGG_SALES_BY_CATEGORY + CAT(LASER) - 1), 7000);
		assert_int_equal(counter(fx, keys[k], 1, when, AGG_TAX), MANY);
		assert_int_equal(counter(fx, keys[k], 1, when,
		    AGG_TICKETS_NEW), 1 + MANY / 2);
		/* c-0 was no new client in the big transaction */
		assert_int_equal(counter(fx, keys[k], 1, when,
		    AGG_NEW_CLIENTS), 40);
		assert_int_equal(counter(fx, keys[k], 1, when,
		    AGG_EVENTS + MSOSYNC__EVENT__BODY_SALE - AGG_FIRST_BODY),
		    1 + MANY);
		assert_int_equal(counter(fx, keys[k], 1, when,
		    AGG_SALE_UNITS), 1 + MANY);
	}
	assert_int_equal(first_seen_of(fx, AGG_KEY_CLIENT, 1, "c-0", v), 0);
	assert_int_equal(v[0], NOV);
	assert_int_equal(v[1], 1 + MANY / 40);
	assert_int_equal(first_seen_of(fx, AGG_KEY_TICKET, 1, "T-7", v), 0);
	assert_int_equal(v[0], NOV);
	assert_int_equal(v[1], 2);
}

/*
 * Keys whose counters all come back to 0 in the transaction that made
 * them: an order, a shift, a training and a licence, each voided.
 */
static void
made_and_voided(struct fx *fx)
{
	load_golden_sites(fx);
	po(fx, 1, "po1", NOV, "V-A", "C-100", "BOTOX-100", 5, 42000);
	shift(fx, 1, "sh1", NOV, "np-3", ROLE(NP), 480);
	training(fx, 1, "t1", "np-3", CRS(HIPAA), 20270630);
	license(fx, 1, "li1", "np-3", "NP", 20261215);
	po(fx, 1, "po2", NOV21, "V-A", "C-100", "BOTOX-100", 1, 42000);
	void_of(fx, 1, "v1", NOV, "po1");
	void_of(fx, 1, "v2", NOV, "sh1");
	void_of(fx, 1, "v3", NOV, "t1");
	void_of(fx, 1, "v4", NOV, "li1");
}

static void
test_drop_in_txn(void **state)
{
	struct fx			*fx = *state;
	struct store_cache_stats	 st;

	one_txn_same(fx, made_and_voided, 0, &st);
	assert_int_equal(keys_of(fx, AGG_KEY_PO_DAY, 1), 1);	/* po2 */
	assert_int_equal(keys_of(fx, AGG_KEY_PO_MONTH, 1), 1);
	assert_int_equal(keys_of(fx, AGG_KEY_STAFF_DAY, 1), 0);
	assert_int_equal(keys_of(fx, AGG_KEY_STAFF_MONTH, 1), 0);
	assert_int_equal(keys_of(fx, AGG_KEY_TRAINING, 1), 0);
	assert_int_equal(keys_of(fx, AGG_KEY_LICENSE, 1), 0);
	assert_int_equal(counter(fx, AGG_KEY_DAY, 1, NOV, AGG_SUPPLY_SPEND),
	    0);
	assert_int_equal(counter(fx, AGG_KEY_DAY, 1, NOV21, AGG_SUPPLY_SPEND),
	    42000);
	assert_int_equal(counter(fx, AGG_KEY_MONTH, 1, NOV / 100,
	    AGG_SUPPLY_SPEND), 42000);
	assert_int_equal(counter(fx, AGG_KEY_DAY, 1, NOV,
	    AGG_SHIFT_MINUTES + ROLE(NP) - 1), 0);
	assert_int_equal(counter(fx, AGG_KEY_DAY, 1, NOV,
	    AGG_EVENTS + MSOSYNC__EVENT__BODY_VOID - AGG_FIRST_BODY), 4);
}

/*
 * Voids of events of the same transaction: both lines of T-1 (for c-a)
 * go, and with them the ticket and the client; T-1 for c-a again after
 * that is new again.
 */
static void
sold_voided_sold(struct fx *fx)
{
	load_golden_sites(fx);
	sale(fx, 1, "s1", NOV, "T-1", CAT(INJECTABLES), 1000, 0, 0, "c-a");
	sale(fx, 1, "s2", NOV, "T-1", CAT(RETAIL), 2000, 0, 0, "c-a");
	sale(fx, 1, "s3", NOV, "T-2", CAT(LASER), 4000, 0, 0, "c-b");
	void_of(fx, 1, "v1", NOV, "s1");
	void_of(fx, 1, "v2", NOV, "s2");
	void_of(fx, 1, "v3", NOV, "s2");	/* takes nothing */
	sale(fx, 1, "s4", NOV21, "T-1", CAT(LASER), 500, 0, 0, "c-a");
}

static void
test_void_same_txn(void **state)
{
	struct fx			*fx = *state;
	struct store_cache_stats	 st;
	int64_t				 v[2];

	one_txn_same(fx, sold_voided_sold, 0, &st);
	assert_int_equal(counter(fx, AGG_KEY_DAY, 1, NOV, AGG_GROSS_SALES),
	    4000);
	assert_int_equal(counter(fx, AGG_KEY_DAY, 1, NOV, AGG_RETAIL_SALES),
	    0);
	assert_int_equal(counter(fx, AGG_KEY_DAY, 1, NOV, AGG_TICKETS_NEW),
	    1);
	assert_int_equal(counter(fx, AGG_KEY_DAY, 1, NOV, AGG_NEW_CLIENTS),
	    1);
	assert_int_equal(counter(fx, AGG_KEY_DAY, 1, NOV21, AGG_GROSS_SALES),
	    500);
	assert_int_equal(counter(fx, AGG_KEY_DAY, 1, NOV21, AGG_TICKETS_NEW),
	    1);
	assert_int_equal(counter(fx, AGG_KEY_DAY, 1, NOV21, AGG_NEW_CLIENTS),
	    1);
	assert_int_equal(counter(fx, AGG_KEY_MONTH, 1, NOV / 100,
	    AGG_TICKETS_NEW), 2);
	assert_int_equal(first_seen_of(fx, AGG_KEY_TICKET, 1, "T-1", v), 0);
	assert_int_equal(v[0], NOV21);
	assert_int_equal(v[1], 1);
	assert_int_equal(first_seen_of(fx, AGG_KEY_CLIENT, 1, "c-a", v), 0);
	assert_int_equal(v[0], NOV21);
	assert_int_equal(v[1], 1);
	assert_int_equal(first_seen_of(fx, AGG_KEY_CLIENT, 1, "c-b", v), 0);
	assert_int_equal(v[0], NOV);
	assert_int_equal(v[1], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_golden_kpis, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_golden_by_day, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rebate_rows_add_up, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_golden_by_month, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_golden_financials, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_golden_vendors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_golden_compliance, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_golden_fees, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fee_negative_base, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_golden_contracts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_void_contract_version,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_voids_take_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_epoch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_one_txn_golden, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_one_txn_tiny_cache, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_same_key_many, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_drop_in_txn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_void_same_txn, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
