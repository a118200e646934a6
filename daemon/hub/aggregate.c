/*
 * The hub's running aggregates (aggregate.h): the store's apply hook that
 * turns each stored event into counter deltas, first-seen marks and
 * contract versions, in the transaction that stores the event; and the
 * check that rebuilds all of it from the stored events into a scratch
 * store and compares. Owns the key layout of the "rollups", "contracts"
 * and "clients" dbs (aggregate.h). Event-loop thread only.
 *
 * Every event is applied with a sign: +1 when it is stored, -1 when a
 * void takes it back. One function per body computes what the event adds,
 * so a void takes back exactly that and nothing else. What depends on the
 * order of events (a ticket's first date, a contract's latest version) is
 * kept so that replaying the same events in the same per-site order gives
 * the same bytes: that is what aggregate_verify relies on.
 *
 * The hook works one event at a time, even though every event of a batch
 * bumps the same day and month keys and most sales look up a ticket and a
 * client: the store's write-back cache (store.h) sums and keeps those
 * keys in memory and writes each once a transaction, in key order.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "msosync/error.h"
#include "aggregate.h"
#include "xmalloc.h"

#define ROLLUPS		"rollups"
#define CONTRACTS	"contracts"
#define CLIENTS		"clients"
#define CHUNK_EVENTS	50000		/* events per rebuild transaction */
#define REPORT_MAX	1024

/* How a void finds the event it takes back. */
struct finder {
	int	(*find)(void *arg, struct store_txn *t, uint32_t site,
		    const char *event_id, Msosync__Event **out);
	void	*arg;
};

const char *const aggregate_category_names[AGG_NCATEGORIES] = {
	"injectables", "dermal_fillers", "laser", "body_contouring",
	"skincare", "iv_wellness", "retail", "membership", "package",
	"gift_card", "other",
};
const char *const aggregate_method_names[AGG_NMETHODS] = {
	"card", "cash", "financing", "gift_card", "membership_credit", "other",
};
const char *const aggregate_expense_names[AGG_NEXPENSES] = {
	"rent", "utilities", "payroll", "marketing", "supplies", "equipment",
	"software", "insurance", "other",
};
const char *const aggregate_source_names[AGG_NSOURCES] = {
	"web", "social", "referral", "walk_in", "paid_search", "email",
	"event", "other",
};
const char *const aggregate_role_names[AGG_NROLES] = {
	"md", "np", "pa", "rn", "aesthetician", "front_desk", "manager",
};
const char *const aggregate_area_names[AGG_NAREAS] = {
	"hipaa_risk_assessment", "osha_inspection", "device_maintenance",
	"consent_audit", "other",
};
const char *const aggregate_result_names[AGG_NRESULTS] = {
	"pass", "findings", "fail",
};
const char *const aggregate_course_names[AGG_NCOURSES] = {
	"hipaa", "osha_bloodborne", "osha_hazcom", "laser_safety", "product",
};
const char *const aggregate_body_names[AGG_NBODIES] = {
	"sale", "payment", "refund", "expense", "purchase_order",
	"inventory_usage", "vendor_contract", "lead", "appointment",
	"staff_shift", "training", "license", "compliance_check", "void",
};
static const char *const plain_names[] = {
	[AGG_GROSS_SALES] = "gross_sales",
	[AGG_STORED_VALUE_SOLD] = "stored_value_sold",
	[AGG_RETAIL_SALES] = "retail_sales",
	[AGG_REFUNDS] = "refunds",
	[AGG_COLLECTIONS] = "collections",
	[AGG_DISCOUNTS] = "discounts",
	[AGG_TAX] = "tax",
	[AGG_TICKETS_NEW] = "tickets_new",
	[AGG_NEW_CLIENTS] = "new_clients",
	[AGG_APPT_BOOKED] = "appointments_booked",
	[AGG_APPT_COMPLETED] = "appointments_completed",
	[AGG_APPT_CANCELLED] = "appointments_cancelled",
	[AGG_APPT_NO_SHOW] = "appointments_no_show",
	[AGG_COMPLETED_REBOOKED] = "completed_rebooked",
	[AGG_COMPLETED_CONSENT] = "completed_consent",
	[AGG_SUPPLY_SPEND] = "supply_spend",
	[AGG_PO_UNITS] = "po_units",
	[AGG_INVENTORY_UNITS_USED] = "inventory_units_used",
	[AGG_SALE_UNITS] = "sale_units",
	[AGG_CHECK_FINDINGS] = "check_findings",
	[AGG_NCOUNTERS] = NULL,
};

const char *
aggregate_counter_name(enum agg_counter c, char *buf, size_t size)
{
	static const struct {
		int			 first, n;
		const char		*what;
		const char *const	*names;
	} ranges[] = {
		{ AGG_SALES_BY_CATEGORY, AGG_NCATEGORIES, "sales_by_category",
		    aggregate_category_names },
		{ AGG_PAYMENTS_BY_METHOD, AGG_NMETHODS, "payments_by_method",
		    aggregate_method_names },
		{ AGG_EXPENSES_BY_CATEGORY, AGG_NEXPENSES,
		    "expenses_by_category", aggregate_expense_names },
		{ AGG_LEADS_NEW, AGG_NSOURCES, "leads_new",
		    aggregate_source_names },
		{ AGG_LEADS_CONVERTED, AGG_NSOURCES, "leads_converted",
		    aggregate_source_names },
		{ AGG_SHIFT_MINUTES, AGG_NROLES, "shift_minutes",
		    aggregate_role_names },
		{ AGG_EVENTS, AGG_NBODIES, "events", aggregate_body_names },
	};
	int	i = (int)c;

	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
		if (i >= ranges[r].first && i < ranges[r].first + ranges[r].n) {
			snprintf(buf, size, "%s.%s", ranges[r].what,
			    ranges[r].names[i - ranges[r].first]);
			return buf;
		}
	if (i >= AGG_CHECKS && i < AGG_CHECKS + AGG_NAREAS * AGG_NRESULTS) {
		snprintf(buf, size, "checks.%s.%s",
		    aggregate_area_names[(i - AGG_CHECKS) / AGG_NRESULTS],
		    aggregate_result_names[(i - AGG_CHECKS) % AGG_NRESULTS]);
		return buf;
	}
	if (i >= 0 && i < AGG_NCOUNTERS && plain_names[i] != NULL)
		snprintf(buf, size, "%s", plain_names[i]);
	else
		snprintf(buf, size, "counter %d", i);
	return buf;
}

size_t
aggregate_key(uint8_t *key, int type, uint32_t site, uint32_t when)
{
	key[0] = (uint8_t)type;
	put32(key + 1, site);
	if (when == 0)
		return 5;
	put32(key + 5, when);
	return 9;
}

size_t
aggregate_key_str(uint8_t *key, size_t len, const char *s, int last)
{
	static const char	digits[] = "0123456789abcdef";
	uint8_t			h[16];
	size_t			n = s != NULL ? strlen(s) : 0;

	if (n <= AGG_STR_MAX) {
		if (n > 0)
			memcpy(key + len, s, n);
		len += n;
	} else {
		/* Cut, yet distinct: three such strings still fit a key. */
		crypto_generichash(h, sizeof(h), (const uint8_t *)s, n, NULL,
		    0);
		key[len++] = '~';
		for (size_t i = 0; i < sizeof(h); i++) {
			key[len++] = (uint8_t)digits[h[i] >> 4];
			key[len++] = (uint8_t)digits[h[i] & 0xf];
		}
	}
	if (!last)
		key[len++] = 0;
	return len;
}

/* Wrapping arithmetic, as the store's counters wrap. */
static int64_t
sgn(int64_t v, int sign)
{
	return sign > 0 ? v : (int64_t)(0 - (uint64_t)v);
}

static int64_t
mul(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a * (uint64_t)b);
}

static void
add(int64_t *c, int64_t v)
{
	*c = (int64_t)((uint64_t)*c + (uint64_t)v);
}

/* An enum value as an index 0..n-1; unknown values are the last, "other". */
static int
idx(int v, int n)
{
	return v >= 1 && v <= n ? v - 1 : n - 1;
}

static int
put_i64(struct store_txn *t, const char *db, const uint8_t *key, size_t klen,
    const int64_t *v, size_t n)
{
	uint8_t	buf[8 * 8];

	for (size_t i = 0; i < n; i++)
		put64(buf + 8 * i, (uint64_t)v[i]);
	return store_txn_put(t, db, key, klen, buf, 8 * n);
}

/*
 * Add delta[0..n) to a small counter array, deleting the key when every
 * counter comes back to 0: what a void leaves is what was there before.
 */
static int
add_or_drop(struct store_txn *t, const uint8_t *key, size_t klen,
    const int64_t *delta, size_t n)
{
	int64_t	v[8];
	int	rc, zero = 1;

	rc = store_txn_get_i64(t, ROLLUPS, key, klen, v, n);
	if (rc != 0 && rc != MSOSYNC_ENOTFOUND)
		return rc;
	for (size_t i = 0; i < n; i++) {
		add(&v[i], delta[i]);
		if (v[i] != 0)
			zero = 0;
	}
	if (!zero)
		return put_i64(t, ROLLUPS, key, klen, v, n);
	if (rc == MSOSYNC_ENOTFOUND)
		return 0;
	return store_txn_del(t, ROLLUPS, key, klen);
}

/* Add the counters of one business date to its D and M keys. */
static int
add_day(struct store_txn *t, uint32_t site, uint32_t date, const int64_t *d)
{
	uint8_t	key[9];
	int	rc;

	rc = store_txn_add_i64(t, ROLLUPS, key, aggregate_key(key,
	    AGG_KEY_DAY, site, date), d, AGG_NCOUNTERS);
	if (rc == 0)
		rc = store_txn_add_i64(t, ROLLUPS, key, aggregate_key(key,
		    AGG_KEY_MONTH, site, date / 100), d, AGG_NCOUNTERS);
	return rc;
}

/* One counter of another date (a first-seen mark taken back). */
static int
add_one(struct store_txn *t, uint32_t site, uint32_t date, int counter,
    int64_t v)
{
	int64_t	d[AGG_NCOUNTERS];

	memset(d, 0, sizeof(d));
	d[counter] = v;
	return add_day(t, site, date, d);
}

/*
 * A ticket or client seen in a sale: the first sale counts it on its
 * date, later ones only count as live; when a void takes the last live
 * sale back, so goes the mark and the count on the first date. A void of
 * the first line of a ticket that keeps other lines leaves the ticket on
 * that first date: the ticket existed then.
 */
static int
first_seen(struct store_txn *t, int type, uint32_t site, const char *id,
    uint32_t date, int sign, int counter, int64_t *d)
{
	uint8_t	key[AGG_KEY_MAX];
	size_t	klen;
	int64_t	v[2];
	int	rc;

	klen = aggregate_key(key, type, site, 0);
	klen = aggregate_key_str(key, klen, id, 1);
	rc = store_txn_get_i64(t, CLIENTS, key, klen, v, 2);
	if (rc == MSOSYNC_ENOTFOUND) {
		if (sign < 0)
			return 0;	/* never counted: nothing to take */
		v[0] = date;
		v[1] = 1;
		add(&d[counter], 1);
		return put_i64(t, CLIENTS, key, klen, v, 2);
	}
	if (rc != 0)
		return rc;
	v[1] += sign;
	if (v[1] > 0)
		return put_i64(t, CLIENTS, key, klen, v, 2);
	if ((rc = store_txn_del(t, CLIENTS, key, klen)) != 0)
		return rc;
	if ((uint32_t)v[0] == date) {
		add(&d[counter], -1);
		return 0;
	}
	return add_one(t, site, (uint32_t)v[0], counter, -1);
}

static int
sale(struct store_txn *t, uint32_t site, const Msosync__Event *ev, int sign,
    int64_t *d)
{
	const Msosync__Sale	*s = ev->sale;
	int64_t			 amount = sgn(s->amount_cents, sign);
	int			 cat = idx(s->category, AGG_NCATEGORIES);
	int			 rc;

	add(&d[AGG_SALES_BY_CATEGORY + cat], amount);
	switch (s->category) {
	case MSOSYNC__SALE__CATEGORY__GIFT_CARD:
	case MSOSYNC__SALE__CATEGORY__PACKAGE:
	case MSOSYNC__SALE__CATEGORY__MEMBERSHIP:
		/* A liability, not revenue (DESIGN §5). */
		add(&d[AGG_STORED_VALUE_SOLD], amount);
		break;
	case MSOSYNC__SALE__CATEGORY__RETAIL:
		add(&d[AGG_RETAIL_SALES], amount);
		add(&d[AGG_GROSS_SALES], amount);
		break;
	default:
		add(&d[AGG_GROSS_SALES], amount);
		break;
	}
	add(&d[AGG_DISCOUNTS], sgn(s->discount_cents, sign));
	add(&d[AGG_TAX], sgn(s->tax_cents, sign));
	add(&d[AGG_SALE_UNITS], sgn(s->units, sign));
	rc = first_seen(t, AGG_KEY_TICKET, site, s->ticket_id,
	    ev->business_date, sign, AGG_TICKETS_NEW, d);
	if (rc == 0 && s->client_ref != NULL && s->client_ref[0] != '\0')
		rc = first_seen(t, AGG_KEY_CLIENT, site, s->client_ref,
		    ev->business_date, sign, AGG_NEW_CLIENTS, d);
	return rc;
}

static void
payment(const Msosync__Payment *p, int sign, int64_t *d)
{
	int64_t	amount = sgn(p->amount_cents, sign);

	add(&d[AGG_PAYMENTS_BY_METHOD + idx(p->method, AGG_NMETHODS)], amount);
	/* Spending stored value brings no new cash (DESIGN §5). */
	if (p->method != MSOSYNC__PAYMENT__METHOD__GIFT_CARD &&
	    p->method != MSOSYNC__PAYMENT__METHOD__MEMBERSHIP_CREDIT)
		add(&d[AGG_COLLECTIONS], amount);
}

static int
purchase(struct store_txn *t, uint32_t site, const Msosync__Event *ev,
    int sign, int64_t *d)
{
	const Msosync__PurchaseOrder	*po = ev->purchase_order;
	uint8_t				 key[AGG_KEY_MAX];
	int64_t				 v[AGG_PO_N];
	size_t				 klen;
	int				 rc;

	v[AGG_PO_QUANTITY] = sgn(po->quantity, sign);
	v[AGG_PO_SPEND] = sgn(mul(po->quantity, po->unit_price_cents), sign);
	add(&d[AGG_SUPPLY_SPEND], v[AGG_PO_SPEND]);
	add(&d[AGG_PO_UNITS], v[AGG_PO_QUANTITY]);
	/*
	 * By unit price too, so a row's price is exact and the variance
	 * against a contract that arrives later is computed at query time.
	 */
	for (int by = 0; by < 2; by++) {
		klen = by == 0 ? aggregate_key(key, AGG_KEY_PO_DAY, site,
		    ev->business_date) : aggregate_key(key, AGG_KEY_PO_MONTH,
		    site, ev->business_date / 100);
		klen = aggregate_key_str(key, klen, po->vendor_id, 0);
		klen = aggregate_key_str(key, klen, po->contract_id, 0);
		klen = aggregate_key_str(key, klen, po->sku, 0);
		put64(key + klen, (uint64_t)po->unit_price_cents);
		klen += 8;
		if ((rc = add_or_drop(t, key, klen, v, AGG_PO_N)) != 0)
			return rc;
	}
	return 0;
}

static int
shift(struct store_txn *t, uint32_t site, const Msosync__Event *ev, int sign,
    int64_t *d)
{
	const Msosync__StaffShift	*sh = ev->staff_shift;
	uint8_t				 key[AGG_KEY_MAX];
	int64_t				 v[AGG_STAFF_N];
	size_t				 klen;
	int				 clinical, rc;

	switch (sh->role) {
	case MSOSYNC__STAFF_SHIFT__ROLE__MD:
	case MSOSYNC__STAFF_SHIFT__ROLE__NP:
	case MSOSYNC__STAFF_SHIFT__ROLE__PA:
	case MSOSYNC__STAFF_SHIFT__ROLE__RN:
	case MSOSYNC__STAFF_SHIFT__ROLE__AESTHETICIAN:
		clinical = 1;
		break;
	default:
		clinical = 0;
		break;
	}
	if (sh->role >= 1 && sh->role <= AGG_NROLES)
		add(&d[AGG_SHIFT_MINUTES + sh->role - 1],
		    sgn(sh->minutes, sign));
	v[AGG_STAFF_MINUTES] = sgn(sh->minutes, sign);
	v[AGG_STAFF_CLINICAL] = clinical ? v[AGG_STAFF_MINUTES] : 0;
	v[AGG_STAFF_SHIFTS] = sign;
	for (int by = 0; by < 2; by++) {
		klen = by == 0 ?
		    aggregate_key(key, AGG_KEY_STAFF_DAY, site,
		    ev->business_date) :
		    aggregate_key(key, AGG_KEY_STAFF_MONTH, site,
		    ev->business_date / 100);
		klen = aggregate_key_str(key, klen, sh->staff_ref, 1);
		if ((rc = add_or_drop(t, key, klen, v, AGG_STAFF_N)) != 0)
			return rc;
	}
	return 0;
}

static int
training(struct store_txn *t, uint32_t site, const Msosync__Training *tr,
    int sign)
{
	uint8_t	key[AGG_KEY_MAX];
	size_t	klen;
	int64_t	one = sign;

	klen = aggregate_key(key, AGG_KEY_TRAINING, site, 0);
	klen = aggregate_key_str(key, klen, tr->staff_ref, 0);
	key[klen++] = (uint8_t)(tr->course >= 1 && tr->course <= 255 ?
	    tr->course : 0);
	put32(key + klen, tr->expires_on);
	klen += 4;
	return add_or_drop(t, key, klen, &one, 1);
}

static int
license(struct store_txn *t, uint32_t site, const Msosync__License *li,
    int sign)
{
	uint8_t	key[AGG_KEY_MAX];
	size_t	klen;
	int64_t	one = sign;

	klen = aggregate_key(key, AGG_KEY_LICENSE, site, 0);
	klen = aggregate_key_str(key, klen, li->staff_ref, 0);
	klen = aggregate_key_str(key, klen, li->license_type, 0);
	put32(key + klen, li->expires_on);
	klen += 4;
	return add_or_drop(t, key, klen, &one, 1);
}

static size_t
contract_key(uint8_t *key, uint32_t site, const char *contract_id,
    uint64_t ord)
{
	size_t	klen;

	klen = aggregate_key(key, AGG_KEY_CONTRACT, site, 0);
	klen = aggregate_key_str(key, klen, contract_id, 0);
	put64(key + klen, ord);
	return klen + 8;
}

/*
 * Each contract event is a whole version of its contract, numbered in the
 * site's apply order; a void deletes the version its event wrote, so the
 * contract's state falls back to the version before.
 */
static int
contract(struct store_txn *t, uint32_t site, const Msosync__Event *ev,
    int sign)
{
	const Msosync__VendorContract	*vc = ev->vendor_contract;
	uint8_t				 key[AGG_KEY_MAX], ekey[AGG_KEY_MAX];
	uint8_t				 nkey[5], *packed = NULL;
	size_t				 klen, eklen, len;
	int64_t				 ord;
	int				 rc;

	eklen = aggregate_key(ekey, AGG_KEY_CONTRACT_EVENT, site, 0);
	eklen = aggregate_key_str(ekey, eklen, ev->event_id, 1);
	if (sign < 0) {
		rc = store_txn_get_i64(t, CONTRACTS, ekey, eklen, &ord, 1);
		if (rc == MSOSYNC_ENOTFOUND)
			return 0;
		if (rc != 0)
			return rc;
		klen = contract_key(key, site, vc->contract_id,
		    (uint64_t)ord);
		rc = store_txn_del(t, CONTRACTS, key, klen);
		if (rc != 0 && rc != MSOSYNC_ENOTFOUND)
			return rc;
		return store_txn_del(t, CONTRACTS, ekey, eklen);
	}
	aggregate_key(nkey, AGG_KEY_CONTRACT_ORD, site, 0);
	rc = store_txn_get_i64(t, CONTRACTS, nkey, sizeof(nkey), &ord, 1);
	if (rc != 0 && rc != MSOSYNC_ENOTFOUND)
		return rc;
	ord++;
	if ((rc = put_i64(t, CONTRACTS, nkey, sizeof(nkey), &ord, 1)) != 0 ||
	    (rc = put_i64(t, CONTRACTS, ekey, eklen, &ord, 1)) != 0)
		return rc;
	len = msosync__vendor_contract__get_packed_size(vc);
	packed = xmalloc(len > 0 ? len : 1);
	msosync__vendor_contract__pack(vc, packed);
	klen = contract_key(key, site, vc->contract_id, (uint64_t)ord);
	rc = store_txn_put(t, CONTRACTS, key, klen, packed, len);
	free(packed);
	return rc;
}

static void
appointment(const Msosync__Appointment *a, int sign, int64_t *d)
{
	switch (a->status) {
	case MSOSYNC__APPOINTMENT__STATUS__BOOKED:
		add(&d[AGG_APPT_BOOKED], sign);
		break;
	case MSOSYNC__APPOINTMENT__STATUS__COMPLETED:
		add(&d[AGG_APPT_COMPLETED], sign);
		if (a->rebooked)
			add(&d[AGG_COMPLETED_REBOOKED], sign);
		if (a->consent_documented)
			add(&d[AGG_COMPLETED_CONSENT], sign);
		break;
	case MSOSYNC__APPOINTMENT__STATUS__CANCELLED:
		add(&d[AGG_APPT_CANCELLED], sign);
		break;
	case MSOSYNC__APPOINTMENT__STATUS__NO_SHOW:
		add(&d[AGG_APPT_NO_SHOW], sign);
		break;
	default:
		break;
	}
}

static void
lead(const Msosync__Lead *l, int sign, int64_t *d)
{
	int	src = idx(l->source, AGG_NSOURCES);

	if (l->status == MSOSYNC__LEAD__STATUS__NEW)
		add(&d[AGG_LEADS_NEW + src], sign);
	else if (l->status == MSOSYNC__LEAD__STATUS__CONVERTED)
		add(&d[AGG_LEADS_CONVERTED + src], sign);
}

static void
check(const Msosync__ComplianceCheck *c, int sign, int64_t *d)
{
	int	area = idx(c->area, AGG_NAREAS);

	if (c->result >= 1 && c->result <= AGG_NRESULTS)
		add(&d[AGG_CHECKS + area * AGG_NRESULTS + c->result - 1],
		    sign);
	add(&d[AGG_CHECK_FINDINGS], sgn(c->findings, sign));
}

/* Everything one event adds (sign +1) or takes back (-1), but a void's. */
static int
apply_event(struct store_txn *t, uint32_t site, const Msosync__Event *ev,
    int sign)
{
	int64_t	d[AGG_NCOUNTERS];
	int	rc = 0, body = (int)ev->body_case - AGG_FIRST_BODY;

	if (body < 0 || body >= AGG_NBODIES)
		return 0;	/* a body this build does not know */
	memset(d, 0, sizeof(d));
	d[AGG_EVENTS + body] = sign;
	switch (ev->body_case) {
	case MSOSYNC__EVENT__BODY_SALE:
		rc = sale(t, site, ev, sign, d);
		break;
	case MSOSYNC__EVENT__BODY_PAYMENT:
		payment(ev->payment, sign, d);
		break;
	case MSOSYNC__EVENT__BODY_REFUND:
		add(&d[AGG_REFUNDS], sgn(ev->refund->amount_cents, sign));
		break;
	case MSOSYNC__EVENT__BODY_EXPENSE:
		add(&d[AGG_EXPENSES_BY_CATEGORY + idx(ev->expense->category,
		    AGG_NEXPENSES)], sgn(ev->expense->amount_cents, sign));
		break;
	case MSOSYNC__EVENT__BODY_PURCHASE_ORDER:
		rc = purchase(t, site, ev, sign, d);
		break;
	case MSOSYNC__EVENT__BODY_INVENTORY_USAGE:
		add(&d[AGG_INVENTORY_UNITS_USED],
		    sgn(ev->inventory_usage->quantity, sign));
		break;
	case MSOSYNC__EVENT__BODY_VENDOR_CONTRACT:
		rc = contract(t, site, ev, sign);
		break;
	case MSOSYNC__EVENT__BODY_LEAD:
		lead(ev->lead, sign, d);
		break;
	case MSOSYNC__EVENT__BODY_APPOINTMENT:
		appointment(ev->appointment, sign, d);
		break;
	case MSOSYNC__EVENT__BODY_STAFF_SHIFT:
		rc = shift(t, site, ev, sign, d);
		break;
	case MSOSYNC__EVENT__BODY_TRAINING:
		rc = training(t, site, ev->training, sign);
		break;
	case MSOSYNC__EVENT__BODY_LICENSE:
		rc = license(t, site, ev->license, sign);
		break;
	case MSOSYNC__EVENT__BODY_COMPLIANCE_CHECK:
		check(ev->compliance_check, sign, d);
		break;
	default:
		break;	/* a void counts itself; apply_void does the rest */
	}
	if (rc != 0)
		return rc;
	return add_day(t, site, ev->business_date, d);
}

static int
find_stored(void *arg, struct store_txn *t, uint32_t site,
    const char *event_id, Msosync__Event **out)
{
	(void)arg;
	return store_txn_find_event(t, site, event_id, out);
}

/*
 * Take back what the voided event added, once. A void of an event the
 * site does not hold (the agent refuses those) or of a void takes nothing.
 */
static int
apply_void(const struct finder *f, struct store_txn *t, uint32_t site,
    const Msosync__Void *v)
{
	Msosync__Event	*old = NULL;
	const void	*val;
	uint8_t		 key[AGG_KEY_MAX];
	size_t		 klen, vlen;
	int		 rc;

	if (v == NULL || v->voided_event_id == NULL ||
	    v->voided_event_id[0] == '\0')
		return 0;
	klen = aggregate_key(key, AGG_KEY_VOIDED, site, 0);
	klen = aggregate_key_str(key, klen, v->voided_event_id, 1);
	rc = store_txn_get(t, CLIENTS, key, klen, &val, &vlen);
	if (rc != MSOSYNC_ENOTFOUND)
		return rc;	/* 0: voided already */
	rc = f->find(f->arg, t, site, v->voided_event_id, &old);
	if (rc == MSOSYNC_ENOTFOUND)
		return 0;
	if (rc != 0)
		goto done;
	if (old->body_case == MSOSYNC__EVENT__BODY_VOID)
		goto done;
	if ((rc = apply_event(t, site, old, -1)) == 0)
		rc = store_txn_put(t, CLIENTS, key, klen, "", 0);
done:
	if (old != NULL)
		msosync__event__free_unpacked(old, NULL);
	return rc;
}

int
aggregate_apply(void *arg, struct store_txn *t, uint32_t site_id,
    const Msosync__Event *ev)
{
	static const struct finder	stored = { find_stored, NULL };
	const struct finder		*f = arg != NULL ? arg : &stored;
	int				 rc;

	if ((rc = apply_event(t, site_id, ev, 1)) != 0)
		return rc;
	if (ev->body_case == MSOSYNC__EVENT__BODY_VOID)
		rc = apply_void(f, t, site_id, ev->void_);
	return rc;
}

void
aggregate_attach(struct store *st)
{
	store_set_hook(st, aggregate_apply, NULL);
}

/*
 * The rebuild. Pass one collects the ids that voids name; pass two keeps a
 * copy of each such event when it goes by (it always comes before its
 * void) and applies every event, in the stored order, to the scratch
 * store in transactions of CHUNK_EVENTS events.
 */
struct held {
	uint8_t		*key;		/* site || event_id */
	size_t		 klen;
	uint8_t		*ev;		/* the event's bytes once seen */
	size_t		 len;
};

struct item {
	uint32_t	 site;
	size_t		 off, len;
};

struct rebuild {
	struct store	*scratch;
	struct held	*held;
	size_t		 nheld, capheld;
	struct item	*items;
	size_t		 nitems, capitems;
	uint8_t		*bytes;
	size_t		 nbytes, capbytes;
	struct finder	 finder;
};

static size_t
held_key(uint8_t *key, uint32_t site, const char *id)
{
	size_t	n = strlen(id);

	put32(key, site);
	memcpy(key + 4, id, n);
	return 4 + n;
}

static int
held_cmp(const void *a, const void *b)
{
	const struct held	*x = a, *y = b;
	size_t			 n = x->klen < y->klen ? x->klen : y->klen;
	int			 c = memcmp(x->key, y->key, n);

	if (c != 0)
		return c;
	return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static struct held *
held_find(struct rebuild *rb, uint32_t site, const char *id)
{
	struct held	k;
	uint8_t		key[4 + STORE_EVENT_ID_MAX + 1];

	if (strlen(id) > STORE_EVENT_ID_MAX || rb->nheld == 0)
		return NULL;
	k.key = key;
	k.klen = held_key(key, site, id);
	return bsearch(&k, rb->held, rb->nheld, sizeof(k), held_cmp);
}

static int
collect_voids(void *arg, uint32_t site, uint32_t ord, uint64_t seq,
    const void *event, size_t len)
{
	struct rebuild	*rb = arg;
	Msosync__Event	*ev;
	const char	*id;
	uint8_t		 key[4 + STORE_EVENT_ID_MAX];

	(void)ord;
	(void)seq;
	if ((ev = msosync__event__unpack(NULL, len, event)) == NULL)
		return 0;
	if (ev->body_case == MSOSYNC__EVENT__BODY_VOID &&
	    ev->void_->voided_event_id != NULL &&
	    (id = ev->void_->voided_event_id)[0] != '\0' &&
	    strlen(id) <= STORE_EVENT_ID_MAX) {
		if (rb->nheld == rb->capheld) {
			rb->capheld = rb->capheld ? 2 * rb->capheld : 64;
			rb->held = xrealloc(rb->held,
			    rb->capheld * sizeof(*rb->held));
		}
		rb->held[rb->nheld].klen = held_key(key, site, id);
		rb->held[rb->nheld].key = xmalloc(rb->held[rb->nheld].klen);
		memcpy(rb->held[rb->nheld].key, key, rb->held[rb->nheld].klen);
		rb->held[rb->nheld].ev = NULL;
		rb->held[rb->nheld].len = 0;
		rb->nheld++;
	}
	msosync__event__free_unpacked(ev, NULL);
	return 0;
}

/* Two voids of one event (refused by the agent, yet): one entry. */
static void
held_unique(struct rebuild *rb)
{
	size_t	n = 0;

	for (size_t i = 0; i < rb->nheld; i++) {
		if (n > 0 && held_cmp(&rb->held[n - 1], &rb->held[i]) == 0) {
			free(rb->held[i].key);
			continue;
		}
		rb->held[n++] = rb->held[i];
	}
	rb->nheld = n;
}

static int
find_held(void *arg, struct store_txn *t, uint32_t site, const char *event_id,
    Msosync__Event **out)
{
	struct held	*h = held_find(arg, site, event_id);

	(void)t;
	*out = NULL;
	if (h == NULL || h->ev == NULL)
		return MSOSYNC_ENOTFOUND;
	*out = msosync__event__unpack(NULL, h->len, h->ev);
	return *out != NULL ? 0 : MSOSYNC_ECORRUPT;
}

/* One rebuild transaction; may run again after the map grows. */
static int
apply_chunk(void *arg, struct store_txn *t)
{
	struct rebuild	*rb = arg;
	Msosync__Event	*ev;
	int		 rc = 0;

	for (size_t i = 0; i < rb->nitems && rc == 0; i++) {
		ev = msosync__event__unpack(NULL, rb->items[i].len,
		    rb->bytes + rb->items[i].off);
		if (ev == NULL)
			continue;	/* the store never applied it either */
		rc = aggregate_apply(&rb->finder, t, rb->items[i].site, ev);
		msosync__event__free_unpacked(ev, NULL);
	}
	return rc;
}

static int
flush_chunk(struct rebuild *rb)
{
	int	rc = 0;

	if (rb->nitems > 0)
		rc = store_write(rb->scratch, apply_chunk, rb);
	rb->nitems = 0;
	rb->nbytes = 0;
	return rc;
}

static int
collect_event(void *arg, uint32_t site, uint32_t ord, uint64_t seq,
    const void *event, size_t len)
{
	struct rebuild	*rb = arg;
	Msosync__Event	*ev;
	struct held	*h;

	(void)ord;
	(void)seq;
	if (rb->nheld > 0 &&
	    (ev = msosync__event__unpack(NULL, len, event)) != NULL) {
		if ((h = held_find(rb, site, ev->event_id)) != NULL &&
		    h->ev == NULL) {
			h->ev = xmalloc(len > 0 ? len : 1);
			memcpy(h->ev, event, len);
			h->len = len;
		}
		msosync__event__free_unpacked(ev, NULL);
	}
	if (rb->nitems == rb->capitems) {
		rb->capitems = rb->capitems ? 2 * rb->capitems : 1024;
		rb->items = xrealloc(rb->items, rb->capitems *
		    sizeof(*rb->items));
	}
	if (rb->nbytes + len > rb->capbytes) {
		while (rb->nbytes + len > rb->capbytes)
			rb->capbytes = rb->capbytes ? 2 * rb->capbytes : 65536;
		rb->bytes = xrealloc(rb->bytes, rb->capbytes);
	}
	rb->items[rb->nitems].site = site;
	rb->items[rb->nitems].off = rb->nbytes;
	rb->items[rb->nitems].len = len;
	memcpy(rb->bytes + rb->nbytes, event, len);
	rb->nbytes += len;
	if (++rb->nitems < CHUNK_EVENTS)
		return 0;
	return flush_chunk(rb);
}

/*
 * The comparison: every key of the running dbs looked up in the rebuilt
 * ones, then every rebuilt key looked up in the running ones; both read
 * in one snapshot each.
 */
struct compare {
	struct store_txn	*run, *reb;
	const char		*db;
	int			 second;	/* walking the rebuilt keys */
	void			(*report)(void *, const char *);
	void			*arg;
	uint64_t		 keys;
	uint64_t		 diffs;
};

static void
put_str(char *out, size_t size, size_t *n, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len && *n + 5 < size; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '/')
			out[(*n)++] = (char)p[i];
		else
			*n += (size_t)snprintf(out + *n, size - *n, "\\x%02x",
			    p[i]);
	}
	out[*n] = '\0';
}

/*
 * A key for people: "D/7/2026-11-20", "P/7/2026-11/v-1/c-1/sku/5000".
 * Shapes: d date, m month, s string with its NUL, r the rest as a string,
 * b a byte, q 8 bytes.
 */
static void
key_text(const uint8_t *k, size_t klen, char *out, size_t size)
{
	static const struct {
		char		 type;
		const char	*shape;
	} shapes[] = {
		{ AGG_KEY_DAY, "d" }, { AGG_KEY_MONTH, "m" },
		{ AGG_KEY_PO_DAY, "dsssq" }, { AGG_KEY_PO_MONTH, "msssq" },
		{ AGG_KEY_STAFF_DAY, "dr" }, { AGG_KEY_STAFF_MONTH, "mr" },
		{ AGG_KEY_TRAINING, "sbd" }, { AGG_KEY_LICENSE, "ssd" },
		{ AGG_KEY_CONTRACT, "sq" }, { AGG_KEY_CONTRACT_EVENT, "r" },
		{ AGG_KEY_CONTRACT_ORD, "" }, { AGG_KEY_TICKET, "r" },
		{ AGG_KEY_CLIENT, "r" }, { AGG_KEY_VOIDED, "r" },
	};
	const char	*shape = NULL;
	size_t		 n = 0, at = 5, end;
	uint32_t	 v;

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if (klen >= 5 && k[0] == (uint8_t)shapes[i].type)
			shape = shapes[i].shape;
	if (shape == NULL) {
		put_str(out, size, &n, k, klen);
		return;
	}
	n = (size_t)snprintf(out, size, "%c/%" PRIu32, k[0], get32(k + 1));
	for (; *shape != '\0' && at <= klen && n + 32 < size; shape++) {
		out[n++] = '/';
		switch (*shape) {
		case 'd':
		case 'm':
			if (at + 4 > klen)
				goto rest;
			v = get32(k + at);
			n += (size_t)(*shape == 'd' ?
			    snprintf(out + n, size - n, "%04u-%02u-%02u",
			    v / 10000, v / 100 % 100, v % 100) :
			    snprintf(out + n, size - n, "%04u-%02u", v / 100,
			    v % 100));
			at += 4;
			break;
		case 'b':
			if (at + 1 > klen)
				goto rest;
			n += (size_t)snprintf(out + n, size - n, "%u", k[at]);
			at++;
			break;
		case 'q':
			if (at + 8 > klen)
				goto rest;
			n += (size_t)snprintf(out + n, size - n, "%" PRIu64,
			    get64(k + at));
			at += 8;
			break;
		case 's':
			end = at;
			while (end < klen && k[end] != 0)
				end++;
			put_str(out, size, &n, k + at, end - at);
			at = end + 1;
			break;
		default:
			put_str(out, size, &n, k + at, klen - at);
			at = klen;
			break;
		}
	}
	out[n] = '\0';
	return;
rest:
	put_str(out, size, &n, k + at, klen - at);
}

/* Is this a value of int64 counters (every type but K and X)? */
static int
is_counters(const uint8_t *k)
{
	return k[0] != AGG_KEY_CONTRACT && k[0] != AGG_KEY_VOIDED;
}

static void
say_diff(struct compare *c, const uint8_t *k, size_t klen, const void *a,
    size_t alen, const void *b, size_t blen)
{
	const char	*sep;
	char		 msg[REPORT_MAX], name[64];
	size_t		 n, na, nb;

	n = (size_t)snprintf(msg, sizeof(msg), "%s ", c->db);
	key_text(k, klen, msg + n, sizeof(msg) - n);
	n = strlen(msg);
	if (a == NULL || b == NULL)
		snprintf(msg + n, sizeof(msg) - n, ": only in the %s "
		    "aggregates", a != NULL ? "running" : "rebuilt");
	else if (is_counters(k) && alen % 8 == 0 && blen % 8 == 0) {
		na = alen / 8;
		nb = blen / 8;
		sep = ": ";
		for (size_t i = 0; i < (na > nb ? na : nb) &&
		    n + 96 < sizeof(msg); i++) {
			int64_t	x = agg_counter(a, alen, i);
			int64_t	y = agg_counter(b, blen, i);

			if (x == y)
				continue;
			if (k[0] == AGG_KEY_DAY || k[0] == AGG_KEY_MONTH)
				aggregate_counter_name((enum agg_counter)i,
				    name, sizeof(name));
			else
				snprintf(name, sizeof(name), "counter %zu", i);
			n += (size_t)snprintf(msg + n, sizeof(msg) - n,
			    "%s%s running %" PRId64 " rebuilt %" PRId64, sep,
			    name, x, y);
			sep = "; ";
		}
	} else
		snprintf(msg + n, sizeof(msg) - n, ": value differs (%zu bytes "
		    "running, %zu rebuilt)", alen, blen);
	c->diffs++;
	if (c->report != NULL)
		c->report(c->arg, msg);
}

static int
compare_key(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct compare	*c = arg;
	const void	*other;
	size_t		 olen;
	int		 rc;

	rc = store_txn_get(c->second ? c->run : c->reb, c->db, key, klen,
	    &other, &olen);
	if (rc == MSOSYNC_ENOTFOUND) {
		c->keys++;
		if (c->second)
			say_diff(c, key, klen, NULL, 0, val, vlen);
		else
			say_diff(c, key, klen, val, vlen, NULL, 0);
		return 0;
	}
	if (rc != 0)
		return rc;
	if (c->second)
		return 0;	/* in both: compared in the first walk */
	c->keys++;
	if (vlen != olen || (vlen > 0 && memcmp(val, other, vlen) != 0))
		say_diff(c, key, klen, val, vlen, other, olen);
	return 0;
}

static int
compare_rebuilt(void *arg, struct store_txn *reb)
{
	static const char *const	dbs[] = { ROLLUPS, CONTRACTS, CLIENTS };
	struct compare			*c = arg;
	int				 rc = 0;

	c->reb = reb;
	for (size_t i = 0; i < 3 && rc == 0; i++) {
		c->db = dbs[i];
		c->second = 0;
		rc = store_txn_scan(c->run, c->db, NULL, 0, compare_key, c);
		if (rc != 0)
			break;
		c->second = 1;
		rc = store_txn_scan(reb, c->db, NULL, 0, compare_key, c);
	}
	return rc;
}

struct compare_arg {
	struct compare	*c;
	struct store	*scratch;
};

static int
compare_running(void *arg, struct store_txn *run)
{
	struct compare_arg	*ca = arg;

	ca->c->run = run;
	return store_read(ca->scratch, compare_rebuilt, ca->c);
}

/* Remove the scratch store's files and its directory. */
static void
remove_dir(const char *dir)
{
	struct dirent	*de;
	char		 path[4096];
	DIR		*d;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

int
aggregate_verify(struct store *st, const char *tmpdir,
    void (*report)(void *arg, const char *what), void *arg,
    uint64_t *keys_checked)
{
	struct rebuild		 rb;
	struct compare		 c;
	struct compare_arg	 ca;
	size_t			 budget;
	char			*dir = NULL;
	int			 rc;

	memset(&rb, 0, sizeof(rb));
	memset(&c, 0, sizeof(c));
	if (keys_checked != NULL)
		*keys_checked = 0;
	dir = xasprintf("%s/msosync-aggverify-XXXXXX",
	    tmpdir != NULL ? tmpdir : "/tmp");
	if (mkdtemp(dir) == NULL) {
		rc = -errno;
		free(dir);
		return rc;
	}
	/* Only aggregates go there: never more than the store's budget. */
	budget = store_max_bytes(st);
	if (budget < ((size_t)64 << 20))
		budget = (size_t)64 << 20;
	if ((rc = store_open(dir, budget, &rb.scratch)) != 0)
		goto done;
	rb.finder.find = find_held;
	rb.finder.arg = &rb;
	if ((rc = store_scan_events(st, 0, collect_voids, &rb)) != 0)
		goto done;
	if (rb.nheld > 1)
		qsort(rb.held, rb.nheld, sizeof(*rb.held), held_cmp);
	held_unique(&rb);
	if ((rc = store_scan_events(st, 0, collect_event, &rb)) != 0 ||
	    (rc = flush_chunk(&rb)) != 0)
		goto done;
	c.report = report;
	c.arg = arg;
	ca.c = &c;
	ca.scratch = rb.scratch;
	if ((rc = store_read(st, compare_running, &ca)) != 0)
		goto done;
	if (keys_checked != NULL)
		*keys_checked = c.keys;
	rc = c.diffs > 0 ? MSOSYNC_ECORRUPT : 0;
done:
	store_close(&rb.scratch);
	remove_dir(dir);
	free(dir);
	for (size_t i = 0; i < rb.nheld; i++) {
		free(rb.held[i].key);
		free(rb.held[i].ev);
	}
	free(rb.held);
	free(rb.items);
	free(rb.bytes);
	return rc;
}
