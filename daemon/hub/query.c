/*
 * Reports from the aggregates (query.h, DESIGN §6): KPIs, financials,
 * vendors and compliance over any date range, by day, month, site or for
 * the franchise. Everything is read in one read transaction and summed
 * from parts: each KPI ratio divides two sums of its group, never an
 * average of ratios.
 *
 * A range is walked site by site in chunks: a calendar month that lies
 * wholly inside the range (and inside one group) is read from its month
 * keys, every other day from its day keys, so a franchise-year report
 * reads about 12 keys of each kind a site. What cannot be summed is
 * computed per group at the end: staff with a shift (training currency),
 * contract price variance against each contract's latest version, and
 * rebates at the tier that the pooled spend of the sites sharing a tax_id
 * reached by the range's last day.
 *
 * Decisions where DESIGN §6 is silent:
 * - rebate_accrued: per (site, contract), floor(spend naming the contract
 *   × rate / 10000), never more than earned; the rate is the highest tier
 *   whose min_spend_cents the pooled spend with the contract's vendor (all
 *   sites of the tax_id, business dates from the contract's start to
 *   min(its end, the range's last day)) reached, else the contract's
 *   rebate_bp. Every row of a range has the range's rate, and by day or
 *   month a row accrues floor(spend up to and with it) less floor(spend
 *   before it), so the rows add up to the range's rebate exactly (§6:
 *   sums add up across by=day rows).
 * - mso_fee: the sum of the monthly fees of the calendar months lying
 *   wholly inside the group (null when there is none: a partial month is
 *   not billed), each site billed from the month of its first business
 *   day at the hub.
 * - training_current_pct and by_course: staff (site, staff_ref) with a
 *   shift in the group, current when the latest expires_on of a course is
 *   on or after the group's last day.
 * - licenses_expiring: the latest licence per (staff, type) of any staff
 *   of the site expiring within LICENSE_DAYS from the group's last day.
 * - avg_ticket and revenue_per_provider_hour are money: integer cents,
 *   the quotient rounded half up (money_per), null on a zero denominator.
 *   provider_hours is hours, not money: a number (minutes / 60).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "msosync/error.h"
#include "aggregate.h"
#include "pbjson.h"
#include "query.h"
#include "query_impl.h"
#include "xmalloc.h"

#define LICENSE_DAYS	60		/* licences_expiring looks this far */
#define NONE		((size_t)-1)

/* Spend under one contract of one site, in one group. */
struct crow {
	uint32_t	 site;
	char		*contract_id;	/* keyed */
	char		*vendor_id;	/* keyed: the contract's, or the PO's */
	size_t		 k;		/* into q->k, NONE: no contract (yet) */
	int64_t		 spend, variance, rebate;
	uint32_t	 bp;
	uint32_t	 end;		/* pooled spend up to; 0: none */
};

struct vrow {
	char		*vendor_id;	/* keyed */
	int64_t		 spend, variance, rebate;
};

struct lic {
	uint32_t	 site;
	char		*staff, *type;
	uint32_t	 expires;
};

struct group {
	uint32_t	 first, last;	/* dates, inside the range */
	uint32_t	 site;		/* by=site */
	int		 whole_month;	/* covers a whole calendar month */
	int64_t		 c[AGG_NCOUNTERS];
	int64_t		 variance, rebate, fee;
	uint64_t	 staff, staff_current;
	uint64_t	 course_current[AGG_NCOURSES];
	struct crow	*crows;
	size_t		 ncrows, capcrows, crow_base;
	struct vrow	*vrows;
	size_t		 nvrows, capvrows;
	struct lic	*lics;
	size_t		 nlics, caplics;
};

/* Pooled spend with one vendor of the sites sharing a tax_id. */
struct pool {
	const char	*tax;		/* NULL: 'site' alone */
	uint32_t	 site;
	char		*vendor;	/* keyed */
	uint32_t	 start;
	uint32_t	*ends;		/* requested "up to" dates */
	int64_t		*spend;		/* pooled spend up to each */
	size_t		 nends, capends;
	size_t		 canon;		/* the pool this one merged into */
};

struct taxsite {
	const char	*tax;
	uint32_t	 id;
};

struct staffref {
	size_t		 group;
	char		*staff;
};

struct training {
	char		*staff;
	uint32_t	 expires[AGG_NCOURSES];	/* latest; 0: never */
};

struct q {
	const struct sites	*sites;
	enum query_kind		 kind;
	struct query_params	 p;
	struct store_txn	*t;
	const struct site	**scope;
	size_t			 nscope;
	struct group		*g;
	size_t			 ng;
	int32_t			 day0;
	uint32_t		 month0;	/* year * 12 + month - 1 */
	struct query_contract	*k;
	size_t			 nk, capk;
	struct pool		*pools;
	size_t			 npools, cappools;
	struct taxsite		*tax;		/* sites with a tax_id, by it */
	size_t			 ntax;
	/* The site being walked. */
	const struct site	*site;
	size_t			 site_idx;
	size_t			 k_first, k_n;
	uint32_t		 first_date;
	struct staffref		*sr;
	size_t			 nsr, capsr;
	struct training		*tr;
	size_t			 ntr, captr;
	struct lic		*lic;
	size_t			 nlic, caplic;
};

#define GROW(v, n, cap) do {						\
	if ((n) == (cap)) {						\
		(cap) = (cap) ? 2 * (cap) : 16;				\
		(v) = xrealloc((v), (cap) * sizeof(*(v)));		\
	}								\
} while (0)

int
query_kind_parse(const char *s, enum query_kind *out)
{
	static const char *const	names[] = {
		"kpis", "financials", "vendors", "compliance"
	};
	static const enum query_kind	kinds[] = {
		QUERY_KPIS, QUERY_FINANCIALS, QUERY_VENDORS, QUERY_COMPLIANCE
	};

	for (size_t i = 0; s != NULL && i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = kinds[i];
			return 0;
		}
	return MSOSYNC_EINVAL;
}

int
query_by_parse(const char *s, enum query_by *out)
{
	static const char *const	names[] = {
		"franchise", "site", "month", "day"
	};
	static const enum query_by	bys[] = {
		QUERY_BY_FRANCHISE, QUERY_BY_SITE, QUERY_BY_MONTH, QUERY_BY_DAY
	};

	for (size_t i = 0; s != NULL && i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = bys[i];
			return 0;
		}
	return MSOSYNC_EINVAL;
}

static const char *
by_name(enum query_by by)
{
	switch (by) {
	case QUERY_BY_SITE:
		return "site";
	case QUERY_BY_MONTH:
		return "month";
	case QUERY_BY_DAY:
		return "day";
	default:
		return "franchise";
	}
}

/* qsort and bsearch want a real array even when it is empty. */
static void
sort(void *base, size_t n, size_t size, int (*cmp)(const void *,
    const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static void *
find(const void *key, const void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	return n > 0 ? bsearch(key, base, n, size, cmp) : NULL;
}

static void
add(int64_t *a, int64_t v)
{
	*a = (int64_t)((uint64_t)*a + (uint64_t)v);
}

static uint32_t
month_index(uint32_t yyyymm)
{
	return yyyymm / 100 * 12 + yyyymm % 100 - 1;
}

/* floor(n × bp / 10000), the rebate's rounding: never more than earned. */
static int64_t
bp_floor(int64_t n, uint32_t bp)
{
	__int128	x = (__int128)n * bp;
	__int128	qt = x / 10000;

	if (x % 10000 != 0 && x < 0)
		qt--;
	return (int64_t)qt;
}

/* A string as the keys hold it (cut when long): equal to keyed[0..len)? */
static int
keyed_eq(const char *full, const char *keyed)
{
	uint8_t	buf[AGG_KEY_MAX];
	size_t	n = aggregate_key_str(buf, 0, full, 1);

	return strlen(keyed) == n && memcmp(buf, keyed, n) == 0;
}

static char *
keyed_dup(const char *full)
{
	uint8_t	buf[AGG_KEY_MAX];
	size_t	n = aggregate_key_str(buf, 0, full, 1);

	return xstrndup((const char *)buf, n);
}

/* The next NUL-terminated string of a key, from *at; NULL past the end. */
static const char *
key_str(const uint8_t *k, size_t klen, size_t *at, size_t *len)
{
	size_t	s = *at, e = s;

	while (e < klen && k[e] != 0)
		e++;
	if (e >= klen)
		return NULL;
	*len = e - s;
	*at = e + 1;
	return (const char *)k + s;
}

/* Groups and their dates. */
static void
group_init(struct group *g, uint32_t first, uint32_t last)
{
	uint32_t	m;

	memset(g, 0, sizeof(*g));
	g->first = first;
	g->last = last;
	/* The first calendar month starting on or after 'first'. */
	m = first % 100 == 1 ? first / 100 :
	    query_next_day(query_month_last(first / 100)) / 100;
	g->whole_month = query_month_last(m) <= last;
}

static void
make_groups(struct q *q)
{
	uint32_t	from = q->p.from, to = q->p.to, m, a, b;
	int32_t		days = query_days(to) - q->day0 + 1;

	switch (q->p.by) {
	case QUERY_BY_FRANCHISE:
		q->ng = 1;
		q->g = xcalloc(1, sizeof(*q->g));
		group_init(&q->g[0], from, to);
		break;
	case QUERY_BY_SITE:
		q->ng = q->nscope;
		q->g = xcalloc(q->ng > 0 ? q->ng : 1, sizeof(*q->g));
		for (size_t i = 0; i < q->ng; i++) {
			group_init(&q->g[i], from, to);
			q->g[i].site = q->scope[i]->id;
		}
		break;
	case QUERY_BY_MONTH:
		q->ng = month_index(to / 100) - q->month0 + 1;
		q->g = xcalloc(q->ng, sizeof(*q->g));
		m = from / 100;
		for (size_t i = 0; i < q->ng; i++) {
			a = i == 0 ? from : m * 100 + 1;
			b = query_month_last(m);
			group_init(&q->g[i], a, b < to ? b : to);
			m = query_next_day(b) / 100;
		}
		break;
	case QUERY_BY_DAY:
		q->ng = (size_t)days;
		q->g = xcalloc(q->ng, sizeof(*q->g));
		for (size_t i = 0; i < q->ng; i++) {
			a = query_date(q->day0 + (int32_t)i);
			group_init(&q->g[i], a, a);
		}
		break;
	}
}

static size_t
group_of(const struct q *q, int month, uint32_t when)
{
	switch (q->p.by) {
	case QUERY_BY_SITE:
		return q->site_idx;
	case QUERY_BY_MONTH:
		return month_index(month ? when : when / 100) - q->month0;
	case QUERY_BY_DAY:
		return (size_t)(query_days(when) - q->day0);
	default:
		return 0;
	}
}

/*
 * Call fn for [a, b]: each calendar month wholly inside as one chunk
 * (month = 1, when = YYYYMM) when 'months', every other day alone.
 */
typedef int (*chunk_fn)(void *arg, int month, uint32_t when);

static int
walk(uint32_t a, uint32_t b, int months, chunk_fn fn, void *arg)
{
	uint32_t	d = a, last, end;
	int		rc;

	while (d <= b) {
		last = query_month_last(d / 100);
		if (months && d % 100 == 1 && last <= b) {
			if ((rc = fn(arg, 1, d / 100)) != 0)
				return rc;
			d = query_next_day(last);
			continue;
		}
		end = last < b ? last : b;
		for (;;) {
			if ((rc = fn(arg, 0, d)) != 0)
				return rc;
			if (d == end)
				break;
			d = query_next_day(d);
		}
		d = query_next_day(d);
	}
	return 0;
}

/*
 * Pools: one per tiered contract during the walk, holding the dates its
 * groups need the pooled spend up to; after the walk, the pools of one
 * tax_id (or lone site), vendor and start date merge into the first of
 * them (canon), which reads its members' spend once over time.
 */
static size_t
pool_new(struct q *q, const struct site *s, const Msosync__VendorContract *vc)
{
	struct pool	*p;

	GROW(q->pools, q->npools, q->cappools);
	p = &q->pools[q->npools];
	memset(p, 0, sizeof(*p));
	p->tax = s->tax_id != NULL && s->tax_id[0] != '\0' ? s->tax_id : NULL;
	p->site = s->id;
	p->vendor = keyed_dup(vc->vendor_id);
	p->start = vc->start_date;
	p->canon = q->npools;
	return q->npools++;
}

static void
pool_request(struct pool *p, uint32_t end)
{
	GROW(p->ends, p->nends, p->capends);
	p->ends[p->nends++] = end;
}

static int
pool_cmp(const struct pool *x, const struct pool *y)
{
	int	c;

	if ((x->tax == NULL) != (y->tax == NULL))
		return x->tax == NULL ? -1 : 1;
	if (x->tax != NULL && (c = strcmp(x->tax, y->tax)) != 0)
		return c;
	if (x->tax == NULL && x->site != y->site)
		return x->site < y->site ? -1 : 1;
	if ((c = strcmp(x->vendor, y->vendor)) != 0)
		return c;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

static int
cmp_pool_ptr(const void *a, const void *b)
{
	const struct pool	*x = *(struct pool *const *)a;
	const struct pool	*y = *(struct pool *const *)b;
	int			 c = pool_cmp(x, y);

	return c != 0 ? c : (x < y ? -1 : x > y);
}

static void
pools_merge(struct q *q)
{
	struct pool	**v, *c;

	if (q->npools < 2)
		return;
	v = xcalloc(q->npools, sizeof(*v));
	for (size_t i = 0; i < q->npools; i++)
		v[i] = &q->pools[i];
	sort(v, q->npools, sizeof(*v), cmp_pool_ptr);
	for (size_t i = 1; i < q->npools; i++) {
		if (pool_cmp(v[i - 1], v[i]) != 0)
			continue;
		v[i]->canon = v[i - 1]->canon;
		c = &q->pools[v[i]->canon];
		for (size_t j = 0; j < v[i]->nends; j++)
			pool_request(c, v[i]->ends[j]);
		v[i]->nends = 0;
	}
	free(v);
}

static int
cmp_taxsite(const void *a, const void *b)
{
	const struct taxsite	*x = a, *y = b;
	int			 c = strcmp(x->tax, y->tax);

	if (c != 0)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The sites of the file by tax_id, to find a pool's members fast. */
static void
tax_index(struct q *q)
{
	const struct site	*s;

	q->tax = xcalloc(sites_count(q->sites) + 1, sizeof(*q->tax));
	for (size_t i = 0; i < sites_count(q->sites); i++) {
		s = sites_at(q->sites, i);
		if (s->tax_id == NULL || s->tax_id[0] == '\0')
			continue;
		q->tax[q->ntax].tax = s->tax_id;
		q->tax[q->ntax++].id = s->id;
	}
	sort(q->tax, q->ntax, sizeof(*q->tax), cmp_taxsite);
}

/* The members of a pool: ids into out (room for every site). */
static size_t
pool_members(const struct q *q, const struct pool *p, uint32_t *out)
{
	size_t	lo = 0, hi = q->ntax, n = 0;

	if (p->tax == NULL) {
		out[0] = p->site;
		return 1;
	}
	while (lo < hi) {
		size_t	mid = lo + (hi - lo) / 2;

		if (strcmp(q->tax[mid].tax, p->tax) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < q->ntax && strcmp(q->tax[lo].tax, p->tax) == 0; lo++)
		out[n++] = q->tax[lo].id;
	return n;
}

struct spend {
	struct store_txn	*t;
	uint32_t		 site;
	const char		*vendor;
	int64_t			 sum;
};

static int
sum_spend(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct spend	*sp = arg;

	(void)key;
	(void)klen;
	add(&sp->sum, agg_counter(val, vlen, AGG_PO_SPEND));
	return 0;
}

static int
spend_chunk(void *arg, int month, uint32_t when)
{
	struct spend	*sp = arg;
	uint8_t		 prefix[AGG_KEY_MAX];
	size_t		 plen;

	plen = aggregate_key(prefix, month ? AGG_KEY_PO_MONTH : AGG_KEY_PO_DAY,
	    sp->site, when);
	memcpy(prefix + plen, sp->vendor, strlen(sp->vendor) + 1);
	plen += strlen(sp->vendor) + 1;
	return store_txn_scan(sp->t, "rollups", prefix, plen, sum_spend, sp);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Each pool's spend up to each requested date, in one pass over time. */
static int
pool_compute(struct q *q, struct pool *p)
{
	struct spend	 sp;
	uint32_t	*members, from = p->start;
	int64_t		 sum = 0;
	size_t		 n = 0, nm;
	int		 rc = 0;

	sort(p->ends, p->nends, sizeof(*p->ends), cmp_u32);
	for (size_t i = 0; i < p->nends; i++)
		if (n == 0 || p->ends[n - 1] != p->ends[i])
			p->ends[n++] = p->ends[i];
	p->nends = n;
	p->spend = xcalloc(n > 0 ? n : 1, sizeof(*p->spend));
	members = xcalloc(sites_count(q->sites) + 1, sizeof(*members));
	nm = pool_members(q, p, members);
	sp.t = q->t;
	sp.vendor = p->vendor;
	for (size_t i = 0; i < n && rc == 0; i++) {
		for (size_t j = 0; j < nm && from <= p->ends[i]; j++) {
			sp.site = members[j];
			sp.sum = 0;
			rc = walk(from, p->ends[i], 1, spend_chunk, &sp);
			if (rc != 0)
				break;
			add(&sum, sp.sum);
		}
		p->spend[i] = sum;
		if (from <= p->ends[i])
			from = query_next_day(p->ends[i]);
	}
	free(members);
	return rc;
}

static int64_t
pool_spend(const struct pool *p, uint32_t end)
{
	const uint32_t	*e = find(&end, p->ends, p->nends, sizeof(*p->ends),
			    cmp_u32);

	return e != NULL ? p->spend[e - p->ends] : 0;
}

/* The contracts of the site being walked: by keyed id. */
static size_t
site_contract(const struct q *q, const char *id, size_t len)
{
	for (size_t i = q->k_first; i < q->k_first + q->k_n; i++)
		if (strlen(q->k[i].key_id) == len &&
		    memcmp(q->k[i].key_id, id, len) == 0)
			return i;
	return NONE;
}

static struct vrow *
vendor_row(struct group *g, const char *vendor, size_t len)
{
	struct vrow	*v;

	for (size_t i = 0; i < g->nvrows; i++)
		if (strlen(g->vrows[i].vendor_id) == len &&
		    memcmp(g->vrows[i].vendor_id, vendor, len) == 0)
			return &g->vrows[i];
	GROW(g->vrows, g->nvrows, g->capvrows);
	v = &g->vrows[g->nvrows++];
	memset(v, 0, sizeof(*v));
	v->vendor_id = xstrndup(vendor, len);
	return v;
}

static struct crow *
contract_row(struct q *q, struct group *g, const char *id, size_t idlen,
    const char *vendor, size_t vlen)
{
	const Msosync__VendorContract	*vc;
	struct crow			*c;

	for (size_t i = g->crow_base; i < g->ncrows; i++)
		if (strlen(g->crows[i].contract_id) == idlen &&
		    memcmp(g->crows[i].contract_id, id, idlen) == 0)
			return &g->crows[i];
	GROW(g->crows, g->ncrows, g->capcrows);
	c = &g->crows[g->ncrows++];
	memset(c, 0, sizeof(*c));
	c->site = q->site->id;
	c->contract_id = xstrndup(id, idlen);
	c->k = site_contract(q, id, idlen);
	if (c->k == NONE) {
		c->vendor_id = xstrndup(vendor, vlen);
		return c;
	}
	vc = q->k[c->k].vc;
	c->vendor_id = keyed_dup(vc->vendor_id);
	if (vc->n_rebate_tiers > 0) {
		/* the range's last day, for every row (§6) */
		c->end = vc->end_date < q->p.to ? vc->end_date : q->p.to;
		if (c->end >= vc->start_date)
			pool_request(&q->pools[q->k[c->k].pool], c->end);
		else
			c->end = 0;
	}
	return c;
}

/* The contract price of a sku; 0 with *found 0 when it has none. */
static int64_t
contract_price(const Msosync__VendorContract *vc, const char *sku, int *found)
{
	for (size_t i = 0; i < vc->n_prices; i++)
		if (keyed_eq(vc->prices[i]->sku, sku)) {
			*found = 1;
			return vc->prices[i]->unit_price_cents;
		}
	*found = 0;
	return 0;
}

struct po_arg {
	struct q	*q;
	struct group	*g;
};

/* P site when vendor contract sku price -> {quantity, spend} */
static int
po_row(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct po_arg	*pa = arg;
	const uint8_t	*k = key;
	const char	*vendor, *cid, *sku;
	struct crow	*c;
	struct vrow	*v = NULL;
	char		 skubuf[AGG_KEY_MAX];
	size_t		 at = 9, vl, cl, sl;
	int64_t		 qty, spend, price, variance = 0, cp;
	int		 found;

	if ((vendor = key_str(k, klen, &at, &vl)) == NULL ||
	    (cid = key_str(k, klen, &at, &cl)) == NULL ||
	    (sku = key_str(k, klen, &at, &sl)) == NULL || at + 8 != klen)
		return MSOSYNC_ECORRUPT;
	price = (int64_t)get64(k + at);
	qty = agg_counter(val, vlen, AGG_PO_QUANTITY);
	spend = agg_counter(val, vlen, AGG_PO_SPEND);
	if (pa->q->kind == QUERY_VENDORS) {
		v = vendor_row(pa->g, vendor, vl);
		add(&v->spend, spend);
	}
	if (cl == 0)
		return 0;
	c = contract_row(pa->q, pa->g, cid, cl, vendor, vl);
	add(&c->spend, spend);
	if (c->k != NONE) {
		memcpy(skubuf, sku, sl);
		skubuf[sl] = '\0';
		cp = contract_price(pa->q->k[c->k].vc, skubuf, &found);
		/* A sku the price list leaves out has no contract price. */
		if (found)
			variance = (int64_t)(((uint64_t)price -
			    (uint64_t)cp) * (uint64_t)qty);
	}
	add(&c->variance, variance);
	add(&pa->g->variance, variance);
	if (v != NULL)
		add(&v->variance, variance);
	return 0;
}

static int
staff_key(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct po_arg	*pa = arg;
	struct q	*q = pa->q;

	if (klen < 9 || agg_counter(val, vlen, AGG_STAFF_SHIFTS) <= 0)
		return 0;
	GROW(q->sr, q->nsr, q->capsr);
	q->sr[q->nsr].group = (size_t)(pa->g - q->g);
	q->sr[q->nsr].staff = xstrndup((const char *)key + 9, klen - 9);
	q->nsr++;
	return 0;
}

static int
site_chunk(void *arg, int month, uint32_t when)
{
	struct q		*q = arg;
	struct group		*g = &q->g[group_of(q, month, when)];
	struct po_arg		 pa = { q, g };
	struct query_fee	 f;
	int64_t			 c[AGG_NCOUNTERS];
	uint8_t			 key[9];
	size_t			 klen;
	int			 rc;

	klen = aggregate_key(key, month ? AGG_KEY_MONTH : AGG_KEY_DAY,
	    q->site->id, when);
	rc = store_txn_get_i64(q->t, "rollups", key, klen, c, AGG_NCOUNTERS);
	if (rc != 0 && rc != MSOSYNC_ENOTFOUND)
		return rc;
	for (size_t i = 0; rc == 0 && i < AGG_NCOUNTERS; i++)
		add(&g->c[i], c[i]);
	/* Months before the site's first business day are not billed. */
	if (month && q->first_date != 0 && q->first_date / 100 <= when) {
		query_fee_compute(q->site, c, &f);
		add(&g->fee, f.fee);
	}
	klen = aggregate_key(key, month ? AGG_KEY_STAFF_MONTH :
	    AGG_KEY_STAFF_DAY, q->site->id, when);
	if ((rc = store_txn_scan(q->t, "rollups", key, klen, staff_key,
	    &pa)) != 0)
		return rc;
	klen = aggregate_key(key, month ? AGG_KEY_PO_MONTH : AGG_KEY_PO_DAY,
	    q->site->id, when);
	return store_txn_scan(q->t, "rollups", key, klen, po_row, &pa);
}

/* R site staff course expires -> {count}: the latest per course. */
static int
training_key(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct q	*q = arg;
	const uint8_t	*k = key;
	const char	*staff;
	size_t		 at = 5, sl;
	unsigned	 course;
	uint32_t	 exp;

	if ((staff = key_str(k, klen, &at, &sl)) == NULL || at + 5 != klen)
		return MSOSYNC_ECORRUPT;
	course = k[at];
	exp = get32(k + at + 1);
	if (course < 1 || course > AGG_NCOURSES ||
	    agg_counter(val, vlen, 0) <= 0)
		return 0;
	if (q->ntr == 0 || strlen(q->tr[q->ntr - 1].staff) != sl ||
	    memcmp(q->tr[q->ntr - 1].staff, staff, sl) != 0) {
		GROW(q->tr, q->ntr, q->captr);
		memset(&q->tr[q->ntr], 0, sizeof(q->tr[q->ntr]));
		q->tr[q->ntr++].staff = xstrndup(staff, sl);
	}
	if (exp > q->tr[q->ntr - 1].expires[course - 1])
		q->tr[q->ntr - 1].expires[course - 1] = exp;
	return 0;
}

/* L site staff type expires -> {count}: the latest per (staff, type). */
static int
license_key(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct q	*q = arg;
	const uint8_t	*k = key;
	const char	*staff, *type;
	struct lic	*l;
	size_t		 at = 5, sl, tl;

	if ((staff = key_str(k, klen, &at, &sl)) == NULL ||
	    (type = key_str(k, klen, &at, &tl)) == NULL || at + 4 != klen)
		return MSOSYNC_ECORRUPT;
	if (agg_counter(val, vlen, 0) <= 0)
		return 0;
	l = q->nlic > 0 ? &q->lic[q->nlic - 1] : NULL;
	if (l == NULL || strlen(l->staff) != sl ||
	    memcmp(l->staff, staff, sl) != 0 || strlen(l->type) != tl ||
	    memcmp(l->type, type, tl) != 0) {
		GROW(q->lic, q->nlic, q->caplic);
		l = &q->lic[q->nlic++];
		l->site = q->site->id;
		l->staff = xstrndup(staff, sl);
		l->type = xstrndup(type, tl);
	}
	l->expires = get32(k + at);	/* keys go up by expiry */
	return 0;
}

static int
cmp_staffref(const void *a, const void *b)
{
	const struct staffref	*x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return strcmp(x->staff, y->staff);
}

static int
cmp_training(const void *a, const void *b)
{
	return strcmp(((const struct training *)a)->staff,
	    ((const struct training *)b)->staff);
}

/* Staff with a shift in each group, and whether their trainings hold. */
static void
site_staff(struct q *q)
{
	struct training	 key, *tr;
	struct group	*g;
	int		 current;

	sort(q->sr, q->nsr, sizeof(*q->sr), cmp_staffref);
	for (size_t i = 0; i < q->nsr; i++) {
		if (i > 0 && cmp_staffref(&q->sr[i - 1], &q->sr[i]) == 0)
			continue;
		g = &q->g[q->sr[i].group];
		g->staff++;
		key.staff = q->sr[i].staff;
		tr = find(&key, q->tr, q->ntr, sizeof(*q->tr),
		    cmp_training);
		if (tr == NULL)
			continue;
		/* Required: hipaa and osha_bloodborne (DESIGN §6). */
		current = tr->expires[MSOSYNC__TRAINING__COURSE__HIPAA - 1] >=
		    g->last && tr->expires[
		    MSOSYNC__TRAINING__COURSE__OSHA_BLOODBORNE - 1] >= g->last;
		if (current)
			g->staff_current++;
		for (size_t c = 0; c < AGG_NCOURSES; c++)
			if (tr->expires[c] >= g->last)
				g->course_current[c]++;
	}
}

static void
site_licenses(struct q *q)
{
	struct group	*g;
	int32_t		 last, *exp;

	exp = xcalloc(q->nlic + 1, sizeof(*exp));
	for (size_t i = 0; i < q->nlic; i++)
		exp[i] = query_is_date(q->lic[i].expires) ?
		    query_days(q->lic[i].expires) : INT32_MIN;
	for (size_t gi = 0; gi < q->ng; gi++) {
		g = &q->g[gi];
		if (q->p.by == QUERY_BY_SITE && g->site != q->site->id)
			continue;
		last = query_days(g->last);
		for (size_t i = 0; i < q->nlic; i++) {
			if (exp[i] < last || exp[i] > last + LICENSE_DAYS)
				continue;
			GROW(g->lics, g->nlics, g->caplics);
			g->lics[g->nlics].site = q->site->id;
			g->lics[g->nlics].staff = xstrdup(q->lic[i].staff);
			g->lics[g->nlics].type = xstrdup(q->lic[i].type);
			g->lics[g->nlics].expires = q->lic[i].expires;
			g->nlics++;
		}
	}
	free(exp);
}

static void
site_done(struct q *q)
{
	for (size_t i = 0; i < q->nsr; i++)
		free(q->sr[i].staff);
	for (size_t i = 0; i < q->ntr; i++)
		free(q->tr[i].staff);
	for (size_t i = 0; i < q->nlic; i++) {
		free(q->lic[i].staff);
		free(q->lic[i].type);
	}
	q->nsr = q->ntr = q->nlic = 0;
}

static int
walk_site(struct q *q, size_t si)
{
	const Msosync__VendorContract	*vc;
	uint8_t				 prefix[5];
	int				 rc;

	q->site = q->scope[si];
	q->site_idx = si;
	q->k_first = q->nk;
	if ((rc = query_contracts_load(q->t, q->site->id, &q->k, &q->nk,
	    &q->capk)) != 0)
		return rc;
	q->k_n = q->nk - q->k_first;
	for (size_t i = q->k_first; i < q->nk; i++) {
		vc = q->k[i].vc;
		q->k[i].pool = vc->n_rebate_tiers > 0 ?
		    pool_new(q, q->site, vc) : NONE;
		q->k[i].spend_before = 0;
	}
	if ((rc = store_txn_scan(q->t, "rollups", prefix, aggregate_key(prefix,
	    AGG_KEY_TRAINING, q->site->id, 0), training_key, q)) != 0)
		return rc;
	if (q->kind == QUERY_COMPLIANCE && (rc = store_txn_scan(q->t,
	    "rollups", prefix, aggregate_key(prefix, AGG_KEY_LICENSE,
	    q->site->id, 0), license_key, q)) != 0)
		return rc;
	if ((rc = query_first_date(q->t, q->site->id, &q->first_date)) != 0)
		return rc;
	for (size_t i = 0; i < q->ng; i++)
		q->g[i].crow_base = q->g[i].ncrows;
	rc = walk(q->p.from, q->p.to, q->p.by != QUERY_BY_DAY, site_chunk, q);
	if (rc != 0)
		return rc;
	site_staff(q);
	if (q->kind == QUERY_COMPLIANCE)
		site_licenses(q);
	return 0;
}

/* Rebates, once every pool knows its spend. */
static void
rebates(struct q *q)
{
	const Msosync__VendorContract	*vc;
	struct group			*g;
	struct crow			*c;
	struct vrow			*v;
	int64_t				 pooled, best, before;

	for (size_t gi = 0; gi < q->ng; gi++) {
		g = &q->g[gi];
		for (size_t i = 0; i < g->ncrows; i++) {
			c = &g->crows[i];
			if (c->k == NONE)
				continue;
			vc = q->k[c->k].vc;
			c->bp = vc->rebate_bp;
			/*
			 * The highest tier the pooled spend reached by the
			 * group's last day; below every tier, the base rate.
			 */
			pooled = c->end != 0 ? pool_spend(&q->pools[
			    q->pools[q->k[c->k].pool].canon], c->end) : 0;
			best = -1;
			for (size_t t = 0; t < vc->n_rebate_tiers; t++)
				if (vc->rebate_tiers[t]->min_spend_cents <=
				    pooled && vc->rebate_tiers[t]->
				    min_spend_cents > best) {
					best = vc->rebate_tiers[t]->
					    min_spend_cents;
					c->bp = vc->rebate_tiers[t]->rebate_bp;
				}
			/* the groups are in date order: each takes what its
			 * spend adds to the floor of the running total */
			before = q->k[c->k].spend_before;
			q->k[c->k].spend_before += c->spend;
			c->rebate = bp_floor(before + c->spend, c->bp) -
			    bp_floor(before, c->bp);
			add(&g->rebate, c->rebate);
			if (q->kind == QUERY_VENDORS) {
				v = vendor_row(g, c->vendor_id,
				    strlen(c->vendor_id));
				add(&v->rebate, c->rebate);
			}
		}
	}
}

static json_t *
ratio(int64_t num, int64_t den)
{
	return den != 0 ? json_real((double)num / (double)den) : json_null();
}

/*
 * Money per unit (avg_ticket, revenue_per_provider_hour): num / den in
 * integer cents, halves away from zero like mso_fee's half_up (so half
 * up for the sums of the KPIs, which do not go negative), exact in 128
 * bits; null when den is 0. A quotient past int64 (never from real sums)
 * is held at its bound.
 */
static json_t *
money_per(__int128 num, __int128 den)
{
	__int128	q, r;

	if (den == 0)
		return json_null();
	if (den < 0) {
		num = -num;
		den = -den;
	}
	q = num / den;
	r = num % den;
	if (2 * r >= den)
		q++;
	else if (2 * r <= -den)
		q--;
	if (q > INT64_MAX)
		q = INT64_MAX;
	else if (q < INT64_MIN)
		q = INT64_MIN;
	return json_integer((json_int_t)q);
}

static void
set_int(json_t *o, const char *k, int64_t v)
{
	json_object_set_new(o, k, json_integer(v));
}

static int
cmp_vrow(const void *a, const void *b)
{
	return strcmp(((const struct vrow *)a)->vendor_id,
	    ((const struct vrow *)b)->vendor_id);
}

static int
cmp_crow(const void *a, const void *b)
{
	const struct crow	*x = a, *y = b;

	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	return strcmp(x->contract_id, y->contract_id);
}

static int
cmp_lic(const void *a, const void *b)
{
	const struct lic	*x = a, *y = b;
	int			 c;

	if (x->expires != y->expires)
		return x->expires < y->expires ? -1 : 1;
	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	if ((c = strcmp(x->staff, y->staff)) != 0)
		return c;
	return strcmp(x->type, y->type);
}

static void
add_financials(json_t *r, const struct group *g)
{
	const int64_t	*c = g->c;
	json_t		*o;
	int64_t		 costs = 0;

	o = json_object();
	for (size_t i = 0; i < AGG_NCATEGORIES; i++)
		set_int(o, aggregate_category_names[i],
		    c[AGG_SALES_BY_CATEGORY + i]);
	json_object_set_new(r, "sales_by_category", o);
	o = json_object();
	for (size_t i = 0; i < AGG_NMETHODS; i++)
		set_int(o, aggregate_method_names[i],
		    c[AGG_PAYMENTS_BY_METHOD + i]);
	json_object_set_new(r, "collections_by_method", o);
	o = json_object();
	for (size_t i = 0; i < AGG_NEXPENSES; i++) {
		set_int(o, aggregate_expense_names[i],
		    c[AGG_EXPENSES_BY_CATEGORY + i]);
		add(&costs, c[AGG_EXPENSES_BY_CATEGORY + i]);
	}
	json_object_set_new(r, "expenses_by_category", o);
	set_int(r, "operating_costs", costs);
	set_int(r, "discounts", c[AGG_DISCOUNTS]);
	set_int(r, "tax", c[AGG_TAX]);
}

static void
add_vendors(json_t *r, struct group *g, const struct q *q)
{
	json_t	*a, *o;

	sort(g->vrows, g->nvrows, sizeof(*g->vrows), cmp_vrow);
	a = json_array();
	for (size_t i = 0; i < g->nvrows; i++) {
		o = json_object();
		json_object_set_new(o, "vendor_id",
		    json_string(g->vrows[i].vendor_id));
		set_int(o, "supply_spend", g->vrows[i].spend);
		set_int(o, "contract_variance", g->vrows[i].variance);
		set_int(o, "rebate_accrued", g->vrows[i].rebate);
		json_array_append_new(a, o);
	}
	json_object_set_new(r, "by_vendor", a);
	sort(g->crows, g->ncrows, sizeof(*g->crows), cmp_crow);
	a = json_array();
	for (size_t i = 0; i < g->ncrows; i++) {
		const struct crow	*c = &g->crows[i];

		o = json_object();
		set_int(o, "site_id", c->site);
		json_object_set_new(o, "contract_id", json_string(
		    c->k != NONE ? q->k[c->k].vc->contract_id :
		    c->contract_id));
		json_object_set_new(o, "vendor_id",
		    json_string(c->vendor_id));
		set_int(o, "supply_spend", c->spend);
		set_int(o, "contract_variance", c->variance);
		set_int(o, "rebate_accrued", c->rebate);
		json_object_set_new(o, "rebate_bp_applied", c->k != NONE ?
		    json_integer(c->bp) : json_null());
		json_array_append_new(a, o);
	}
	json_object_set_new(r, "by_contract", a);
}

static void
add_compliance(json_t *r, struct group *g)
{
	const int64_t	*c = g->c;
	json_t		*o, *x, *a;
	char		 buf[16];

	o = json_object();
	for (size_t i = 0; i < AGG_NCOURSES; i++) {
		x = json_object();
		set_int(x, "staff_current", (int64_t)g->course_current[i]);
		set_int(x, "staff_total", (int64_t)g->staff);
		json_object_set_new(o, aggregate_course_names[i], x);
	}
	json_object_set_new(r, "by_course", o);
	o = json_object();
	for (size_t i = 0; i < AGG_NAREAS; i++) {
		x = json_object();
		for (size_t j = 0; j < AGG_NRESULTS; j++)
			set_int(x, aggregate_result_names[j],
			    c[AGG_CHECKS + i * AGG_NRESULTS + j]);
		json_object_set_new(o, aggregate_area_names[i], x);
	}
	json_object_set_new(r, "checks", o);
	set_int(r, "check_findings", c[AGG_CHECK_FINDINGS]);
	sort(g->lics, g->nlics, sizeof(*g->lics), cmp_lic);
	a = json_array();
	for (size_t i = 0; i < g->nlics; i++) {
		x = json_object();
		set_int(x, "site_id", g->lics[i].site);
		json_object_set_new(x, "staff_ref",
		    json_string(g->lics[i].staff));
		json_object_set_new(x, "license_type",
		    json_string(g->lics[i].type));
		pbjson_format_date(g->lics[i].expires, buf);
		json_object_set_new(x, "expires_on", json_string(buf));
		json_array_append_new(a, x);
	}
	json_object_set_new(r, "licenses_expiring", a);
}

static json_t *
row_json(struct q *q, struct group *g)
{
	const int64_t	*c = g->c;
	json_t		*r = json_object(), *o;
	int64_t		 gross = c[AGG_GROSS_SALES];
	int64_t		 retail = c[AGG_RETAIL_SALES];
	int64_t		 done = c[AGG_APPT_COMPLETED];
	int64_t		 noshow = c[AGG_APPT_NO_SHOW];
	int64_t		 net, service, minutes = 0, leads = 0, conv = 0;
	char		 buf[16];

	switch (q->p.by) {
	case QUERY_BY_SITE:
		set_int(r, "site_id", g->site);
		break;
	case QUERY_BY_MONTH:
		snprintf(buf, sizeof(buf), "%04" PRIu32 "-%02" PRIu32,
		    g->first / 10000, g->first / 100 % 100);
		json_object_set_new(r, "month", json_string(buf));
		break;
	case QUERY_BY_DAY:
		pbjson_format_date(g->first, buf);
		json_object_set_new(r, "date", json_string(buf));
		break;
	default:
		break;
	}
	net = (int64_t)((uint64_t)gross - (uint64_t)c[AGG_REFUNDS]);
	service = (int64_t)((uint64_t)gross - (uint64_t)retail);
	for (int role = MSOSYNC__STAFF_SHIFT__ROLE__MD;
	    role <= MSOSYNC__STAFF_SHIFT__ROLE__AESTHETICIAN; role++)
		add(&minutes, c[AGG_SHIFT_MINUTES + role - 1]);
	set_int(r, "gross_sales", gross);
	set_int(r, "stored_value_sold", c[AGG_STORED_VALUE_SOLD]);
	set_int(r, "refunds", c[AGG_REFUNDS]);
	set_int(r, "net_revenue", net);
	set_int(r, "collections", c[AGG_COLLECTIONS]);
	set_int(r, "tickets", c[AGG_TICKETS_NEW]);
	json_object_set_new(r, "avg_ticket", money_per(gross,
	    c[AGG_TICKETS_NEW]));
	json_object_set_new(r, "retail_pct", ratio(retail, gross));
	set_int(r, "service_revenue", service);
	json_object_set_new(r, "provider_hours",
	    json_real((double)minutes / 60.0));
	/* service / (minutes / 60), kept exact as 60 × service / minutes */
	json_object_set_new(r, "revenue_per_provider_hour",
	    money_per((__int128)service * 60, minutes));
	json_object_set_new(r, "no_show_rate", ratio(noshow, done + noshow));
	json_object_set_new(r, "cancellation_rate",
	    ratio(c[AGG_APPT_CANCELLED], done + noshow +
	    c[AGG_APPT_CANCELLED]));
	json_object_set_new(r, "rebooking_rate",
	    ratio(c[AGG_COMPLETED_REBOOKED], done));
	json_object_set_new(r, "consent_rate",
	    ratio(c[AGG_COMPLETED_CONSENT], done));
	o = json_object();
	for (size_t i = 0; i < AGG_NSOURCES; i++) {
		add(&leads, c[AGG_LEADS_NEW + i]);
		add(&conv, c[AGG_LEADS_CONVERTED + i]);
		json_object_set_new(o, aggregate_source_names[i],
		    ratio(c[AGG_LEADS_CONVERTED + i], c[AGG_LEADS_NEW + i]));
	}
	json_object_set_new(r, "lead_conversion", ratio(conv, leads));
	json_object_set_new(r, "lead_conversion_by_source", o);
	set_int(r, "new_clients", c[AGG_NEW_CLIENTS]);
	set_int(r, "supply_spend", c[AGG_SUPPLY_SPEND]);
	json_object_set_new(r, "supply_cost_pct",
	    ratio(c[AGG_SUPPLY_SPEND], service));
	set_int(r, "contract_variance", g->variance);
	set_int(r, "rebate_accrued", g->rebate);
	json_object_set_new(r, "training_current_pct",
	    ratio((int64_t)g->staff_current, (int64_t)g->staff));
	json_object_set_new(r, "mso_fee", g->whole_month ?
	    json_integer(g->fee) : json_null());
	switch (q->kind) {
	case QUERY_FINANCIALS:
		add_financials(r, g);
		break;
	case QUERY_VENDORS:
		add_vendors(r, g, q);
		break;
	case QUERY_COMPLIANCE:
		add_compliance(r, g);
		break;
	default:
		break;
	}
	return r;
}

static int
report_txn(void *arg, struct store_txn *t)
{
	struct q	*q = arg;
	int		 rc;

	q->t = t;
	for (size_t i = 0; i < q->nscope; i++) {
		rc = walk_site(q, i);
		site_done(q);
		if (rc != 0)
			return rc;
	}
	pools_merge(q);
	if (q->npools > 0)
		tax_index(q);
	for (size_t i = 0; i < q->npools; i++)
		if (q->pools[i].canon == i &&
		    (rc = pool_compute(q, &q->pools[i])) != 0)
			return rc;
	rebates(q);
	return 0;
}

static void
q_free(struct q *q)
{
	struct group	*g;

	for (size_t i = 0; i < q->ng; i++) {
		g = &q->g[i];
		for (size_t j = 0; j < g->ncrows; j++) {
			free(g->crows[j].contract_id);
			free(g->crows[j].vendor_id);
		}
		for (size_t j = 0; j < g->nvrows; j++)
			free(g->vrows[j].vendor_id);
		for (size_t j = 0; j < g->nlics; j++) {
			free(g->lics[j].staff);
			free(g->lics[j].type);
		}
		free(g->crows);
		free(g->vrows);
		free(g->lics);
	}
	free(q->g);
	for (size_t i = 0; i < q->npools; i++) {
		free(q->pools[i].vendor);
		free(q->pools[i].ends);
		free(q->pools[i].spend);
	}
	free(q->pools);
	free(q->tax);
	query_contracts_free(q->k, q->nk);
	site_done(q);
	free(q->sr);
	free(q->tr);
	free(q->lic);
	free(q->scope);
}

static int
check_params(const struct sites *sites, enum query_kind kind,
    const struct query_params *p, char *err, size_t errlen)
{
	if (kind > QUERY_COMPLIANCE || p->by > QUERY_BY_DAY) {
		snprintf(err, errlen, "unknown report or grouping");
		return MSOSYNC_EINVAL;
	}
	if (!query_is_date(p->from)) {
		snprintf(err, errlen, "from: not a date: %" PRIu32, p->from);
		return MSOSYNC_EINVAL;
	}
	if (!query_is_date(p->to)) {
		snprintf(err, errlen, "to: not a date: %" PRIu32, p->to);
		return MSOSYNC_EINVAL;
	}
	if (p->from > p->to) {
		snprintf(err, errlen, "from: must not be after to");
		return MSOSYNC_EINVAL;
	}
	if (query_days(p->to) - query_days(p->from) + 1 > QUERY_RANGE_MAX) {
		snprintf(err, errlen, "the range spans more than %d days",
		    QUERY_RANGE_MAX);
		return MSOSYNC_EINVAL;
	}
	if (p->site != 0 && sites_get(sites, p->site) == NULL) {
		snprintf(err, errlen, "site: unknown site %" PRIu32, p->site);
		return MSOSYNC_EINVAL;
	}
	return 0;
}

int
query_report(struct store *st, const struct sites *sites,
    enum query_kind kind, const struct query_params *p, json_t **out,
    char *err, size_t errlen)
{
	struct q	 q;
	json_t		*doc, *rows;
	char		 buf[16];
	int		 rc;

	*out = NULL;
	if ((rc = check_params(sites, kind, p, err, errlen)) != 0)
		return rc;
	memset(&q, 0, sizeof(q));
	q.sites = sites;
	q.kind = kind;
	q.p = *p;
	q.day0 = query_days(p->from);
	q.month0 = month_index(p->from / 100);
	q.scope = xcalloc(sites_count(sites) + 1, sizeof(*q.scope));
	for (size_t i = 0; i < sites_count(sites); i++)
		if (p->site == 0 || sites_at(sites, i)->id == p->site)
			q.scope[q.nscope++] = sites_at(sites, i);
	make_groups(&q);
	if ((rc = store_read(st, report_txn, &q)) != 0) {
		snprintf(err, errlen, "store: %s", msosync_strerror(rc));
		q_free(&q);
		return rc;
	}
	doc = json_object();
	pbjson_format_date(p->from, buf);
	json_object_set_new(doc, "from", json_string(buf));
	pbjson_format_date(p->to, buf);
	json_object_set_new(doc, "to", json_string(buf));
	json_object_set_new(doc, "by", json_string(by_name(p->by)));
	rows = json_array();
	for (size_t i = 0; i < q.ng; i++)
		json_array_append_new(rows, row_json(&q, &q.g[i]));
	json_object_set_new(doc, "rows", rows);
	q_free(&q);
	*out = doc;
	return 0;
}
