/*
 * The MSO's fee per each site's Management Services Agreement (DESIGN §6,
 * §9), the fee statements of query_fees, the contracts list of
 * query_contracts, and what query.c shares with them (query_impl.h):
 * calendar arithmetic and the contracts' latest state. Reads the
 * aggregates aggregate.c keeps, in one read transaction per call.
 * Event-loop thread only.
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

static int
is_leap(uint32_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static uint32_t
month_len(uint32_t y, uint32_t m)
{
	static const uint8_t	mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

int
query_is_date(uint32_t d)
{
	uint32_t	y = d / 10000, m = d / 100 % 100, day = d % 100;

	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && day >= 1 &&
	    day <= month_len(y, m);
}

/* Howard Hinnant's days-from-civil, on the proleptic Gregorian calendar. */
int32_t
query_days(uint32_t d)
{
	int32_t		y = (int32_t)(d / 10000);
	uint32_t	m = d / 100 % 100, day = d % 100;
	int32_t		era;
	uint32_t	yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (uint32_t)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int32_t)doe - 719468;
}

uint32_t
query_date(int32_t days)
{
	int32_t		z = days + 719468, era, y;
	uint32_t	doe, yoe, doy, mp, d, m;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (uint32_t)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int32_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	return (uint32_t)y * 10000 + m * 100 + d;
}

uint32_t
query_next_day(uint32_t d)
{
	uint32_t	y = d / 10000, m = d / 100 % 100;

	if (d % 100 < month_len(y, m))
		return d + 1;
	if (m < 12)
		return y * 10000 + (m + 1) * 100 + 1;
	return (y + 1) * 10000 + 101;
}

uint32_t
query_month_last(uint32_t yyyymm)
{
	return yyyymm * 100 + month_len(yyyymm / 100, yyyymm % 100);
}

/* fixed + bp × base / 10000 with halves away from zero, in 128 bits. */
static int64_t
half_up(uint32_t bp, int64_t base)
{
	__int128	n = (__int128)bp * base;
	__int128	q = n / 10000, r = n % 10000;

	if (2 * r >= 10000)
		q++;
	else if (2 * r <= -10000)
		q--;
	return (int64_t)q;
}

void
query_fee_compute(const struct site *s, const int64_t *c, struct query_fee *f)
{
	int64_t	gross = c[AGG_GROSS_SALES];

	memset(f, 0, sizeof(*f));
	switch (s->fee_base) {
	case SITE_FEE_NET_REVENUE:
		f->base = (int64_t)((uint64_t)gross - (uint64_t)c[AGG_REFUNDS]);
		break;
	case SITE_FEE_COLLECTIONS:
		f->base = c[AGG_COLLECTIONS];
		break;
	default:
		f->base = gross;
		break;
	}
	if (s->fee_model != SITE_FEE_PERCENT)
		f->fixed = s->fee_fixed_cents;
	if (s->fee_model != SITE_FEE_FIXED) {
		f->bp = s->fee_percent_bp;
		f->percent = half_up(f->bp, f->base);
	}
	f->floor = s->fee_floor_cents;
	f->cap = s->fee_cap_cents;
	f->fee = f->fixed + f->percent;
	if (f->floor > 0 && f->fee < f->floor) {
		f->fee = f->floor;
		f->floor_applied = 1;
	}
	if (f->cap > 0 && f->fee > f->cap) {
		f->fee = f->cap;
		f->cap_applied = 1;
	}
}

static int
first_key(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	(void)val;
	(void)vlen;
	if (klen >= 9)
		*(uint32_t *)arg = get32((const uint8_t *)key + 5);
	return 1;
}

int
query_first_date(struct store_txn *t, uint32_t site, uint32_t *date)
{
	uint8_t	key[5];
	int	rc;

	*date = 0;
	rc = store_txn_scan(t, "rollups", key, aggregate_key(key, AGG_KEY_DAY,
	    site, 0), first_key, date);
	return rc == 1 ? 0 : rc;
}

struct load {
	struct query_contract	**v;
	size_t			 *n, *cap, first;
	uint32_t		  site;
	uint8_t			**packed;	/* parallel to v[first..] */
	size_t			 *plen;
	size_t			  npacked, cappacked;
};

/* Keys come by contract, then version: keep each contract's last. */
static int
load_version(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct load		*l = arg;
	struct query_contract	*qc;
	const uint8_t		*k = key;
	size_t			 idlen;

	if (klen < 5 + 1 + 8)
		return MSOSYNC_ECORRUPT;
	idlen = klen - 5 - 1 - 8;
	if (*l->n > l->first) {
		qc = &(*l->v)[*l->n - 1];
		if (strlen(qc->key_id) == idlen &&
		    memcmp(qc->key_id, k + 5, idlen) == 0) {
			free(l->packed[l->npacked - 1]);
			goto keep;
		}
	}
	if (*l->n == *l->cap) {
		*l->cap = *l->cap ? 2 * *l->cap : 16;
		*l->v = xrealloc(*l->v, *l->cap * sizeof(**l->v));
	}
	if (l->npacked == l->cappacked) {
		l->cappacked = l->cappacked ? 2 * l->cappacked : 16;
		l->packed = xrealloc(l->packed, l->cappacked *
		    sizeof(*l->packed));
		l->plen = xrealloc(l->plen, l->cappacked * sizeof(*l->plen));
	}
	qc = &(*l->v)[(*l->n)++];
	qc->site = l->site;
	qc->key_id = xstrndup((const char *)k + 5, idlen);
	qc->vc = NULL;
	qc->pool = 0;
	l->npacked++;
keep:
	l->packed[l->npacked - 1] = xmalloc(vlen > 0 ? vlen : 1);
	memcpy(l->packed[l->npacked - 1], val, vlen);
	l->plen[l->npacked - 1] = vlen;
	return 0;
}

int
query_contracts_load(struct store_txn *t, uint32_t site,
    struct query_contract **v, size_t *n, size_t *cap)
{
	struct load	l;
	uint8_t		prefix[5];
	int		rc;

	memset(&l, 0, sizeof(l));
	l.v = v;
	l.n = n;
	l.cap = cap;
	l.first = *n;
	l.site = site;
	rc = store_txn_scan(t, "contracts", prefix, aggregate_key(prefix,
	    AGG_KEY_CONTRACT, site, 0), load_version, &l);
	for (size_t i = 0; i < l.npacked; i++) {
		struct query_contract	*qc = &(*v)[l.first + i];

		if (rc == 0 && (qc->vc = msosync__vendor_contract__unpack(NULL,
		    l.plen[i], l.packed[i])) == NULL)
			rc = MSOSYNC_ECORRUPT;
		free(l.packed[i]);
	}
	free(l.packed);
	free(l.plen);
	return rc;
}

void
query_contracts_free(struct query_contract *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key_id);
		if (v[i].vc != NULL)
			msosync__vendor_contract__free_unpacked(v[i].vc, NULL);
	}
	free(v);
}

const char *
query_status_name(int status)
{
	switch (status) {
	case MSOSYNC__VENDOR_CONTRACT__STATUS__SIGNED:
		return "signed";
	case MSOSYNC__VENDOR_CONTRACT__STATUS__AMENDED:
		return "amended";
	case MSOSYNC__VENDOR_CONTRACT__STATUS__TERMINATED:
		return "terminated";
	default:
		return "unknown";
	}
}

static void
set_date(json_t *o, const char *key, uint32_t d)
{
	char	buf[16];

	if (!query_is_date(d)) {
		json_object_set_new(o, key, json_null());
		return;
	}
	pbjson_format_date(d, buf);
	json_object_set_new(o, key, json_string(buf));
}

struct fees {
	const struct sites	*sites;
	uint32_t		 month, site;
	json_t			*rows;
};

static json_t *
fee_row(const struct site *s, const struct query_fee *f, int billed)
{
	json_t	*r = json_object();

	json_object_set_new(r, "site_id", json_integer(s->id));
	json_object_set_new(r, "fee_model", json_string(
	    sites_fee_model_name(s->fee_model)));
	json_object_set_new(r, "fee_base", json_string(
	    sites_fee_base_name(s->fee_base)));
	json_object_set_new(r, "base_cents", json_integer(f->base));
	json_object_set_new(r, "fixed_cents", json_integer(f->fixed));
	json_object_set_new(r, "percent_bp", json_integer(f->bp));
	json_object_set_new(r, "percent_cents", json_integer(f->percent));
	json_object_set_new(r, "floor_cents", json_integer(f->floor));
	json_object_set_new(r, "cap_cents", json_integer(f->cap));
	json_object_set_new(r, "floor_applied", json_boolean(
	    billed && f->floor_applied));
	json_object_set_new(r, "cap_applied", json_boolean(
	    billed && f->cap_applied));
	json_object_set_new(r, "fee_cents", json_integer(billed ? f->fee : 0));
	json_object_set_new(r, "billed", json_boolean(billed));
	return r;
}

static int
fees_txn(void *arg, struct store_txn *t)
{
	struct fees		*fs = arg;
	const struct site	*s;
	struct query_fee	 f;
	int64_t			 c[AGG_NCOUNTERS];
	uint8_t			 key[9];
	uint32_t		 first;
	int			 rc;

	for (size_t i = 0; i < sites_count(fs->sites); i++) {
		s = sites_at(fs->sites, i);
		if (fs->site != 0 && s->id != fs->site)
			continue;
		rc = store_txn_get_i64(t, "rollups", key, aggregate_key(key,
		    AGG_KEY_MONTH, s->id, fs->month), c, AGG_NCOUNTERS);
		if (rc != 0 && rc != MSOSYNC_ENOTFOUND)
			return rc;
		if ((rc = query_first_date(t, s->id, &first)) != 0)
			return rc;
		query_fee_compute(s, c, &f);
		/* Billed from the month of the site's first business day. */
		json_array_append_new(fs->rows, fee_row(s, &f,
		    first != 0 && first / 100 <= fs->month));
	}
	return 0;
}

int
query_fees(struct store *st, const struct sites *sites, uint32_t yyyymm,
    uint32_t site, json_t **out, char *err, size_t errlen)
{
	struct fees	fs;
	char		buf[16];
	int		rc;

	*out = NULL;
	if (!query_is_date(yyyymm * 100 + 1)) {
		snprintf(err, errlen, "period: not a month: %" PRIu32, yyyymm);
		return MSOSYNC_EINVAL;
	}
	if (site != 0 && sites_get(sites, site) == NULL) {
		snprintf(err, errlen, "site: unknown site %" PRIu32, site);
		return MSOSYNC_EINVAL;
	}
	fs.sites = sites;
	fs.month = yyyymm;
	fs.site = site;
	fs.rows = json_array();
	if ((rc = store_read(st, fees_txn, &fs)) != 0) {
		json_decref(fs.rows);
		snprintf(err, errlen, "store: %s", msosync_strerror(rc));
		return rc;
	}
	/* The common report shape (DESIGN §6): the month as from..to. */
	*out = json_object();
	pbjson_format_date(yyyymm * 100 + 1, buf);
	json_object_set_new(*out, "from", json_string(buf));
	pbjson_format_date(query_month_last(yyyymm), buf);
	json_object_set_new(*out, "to", json_string(buf));
	json_object_set_new(*out, "by", json_string("site"));
	snprintf(buf, sizeof(buf), "%04" PRIu32 "-%02" PRIu32, yyyymm / 100,
	    yyyymm % 100);
	json_object_set_new(*out, "period", json_string(buf));
	json_object_set_new(*out, "rows", fs.rows);
	return 0;
}

struct clist {
	const struct sites	*sites;
	struct query_contract	*v;
	size_t			 n, cap;
};

static int
clist_txn(void *arg, struct store_txn *t)
{
	struct clist	*cl = arg;
	int		 rc;

	for (size_t i = 0; i < sites_count(cl->sites); i++)
		if ((rc = query_contracts_load(t, sites_at(cl->sites, i)->id,
		    &cl->v, &cl->n, &cl->cap)) != 0)
			return rc;
	return 0;
}

static int
by_end(const void *a, const void *b)
{
	const struct query_contract	*x = a, *y = b;

	if (x->vc->end_date != y->vc->end_date)
		return x->vc->end_date < y->vc->end_date ? -1 : 1;
	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	return strcmp(x->key_id, y->key_id);
}

static json_t *
contract_json(const struct query_contract *qc, uint32_t today)
{
	const Msosync__VendorContract	*vc = qc->vc;
	json_t				*o = json_object(), *tiers;
	int32_t				 end;

	json_object_set_new(o, "site_id", json_integer(qc->site));
	json_object_set_new(o, "contract_id", json_string(vc->contract_id));
	json_object_set_new(o, "vendor_id", json_string(vc->vendor_id));
	json_object_set_new(o, "vendor_name", json_string(vc->vendor_name));
	json_object_set_new(o, "status", json_string(
	    query_status_name(vc->status)));
	set_date(o, "start_date", vc->start_date);
	set_date(o, "end_date", vc->end_date);
	json_object_set_new(o, "notice_days", json_integer(vc->notice_days));
	json_object_set_new(o, "auto_renew", json_boolean(vc->auto_renew));
	json_object_set_new(o, "rebate_bp", json_integer(vc->rebate_bp));
	tiers = json_array();
	for (size_t i = 0; i < vc->n_rebate_tiers; i++) {
		json_t	*tier = json_object();

		json_object_set_new(tier, "min_spend_cents", json_integer(
		    vc->rebate_tiers[i]->min_spend_cents));
		json_object_set_new(tier, "rebate_bp", json_integer(
		    vc->rebate_tiers[i]->rebate_bp));
		json_array_append_new(tiers, tier);
	}
	json_object_set_new(o, "rebate_tiers", tiers);
	json_object_set_new(o, "min_annual_commit_cents", json_integer(
	    vc->min_annual_commit_cents));
	if (query_is_date(vc->end_date) && query_is_date(today)) {
		end = query_days(vc->end_date);
		json_object_set_new(o, "days_to_end", json_integer(end -
		    query_days(today)));
		set_date(o, "notice_by", query_date(end -
		    (int32_t)vc->notice_days));
	} else {
		json_object_set_new(o, "days_to_end", json_null());
		json_object_set_new(o, "notice_by", json_null());
	}
	return o;
}

int
query_contracts(struct store *st, const struct sites *sites,
    int expiring_within, uint32_t today, json_t **out, char *err,
    size_t errlen)
{
	struct clist	 cl;
	json_t		*list;
	int32_t		 from = 0, end;
	int		 rc;

	*out = NULL;
	if (!query_is_date(today)) {
		snprintf(err, errlen, "today: not a date: %" PRIu32, today);
		return MSOSYNC_EINVAL;
	}
	memset(&cl, 0, sizeof(cl));
	cl.sites = sites;
	if ((rc = store_read(st, clist_txn, &cl)) != 0) {
		query_contracts_free(cl.v, cl.n);
		snprintf(err, errlen, "store: %s", msosync_strerror(rc));
		return rc;
	}
	if (cl.n > 1)
		qsort(cl.v, cl.n, sizeof(*cl.v), by_end);
	from = query_days(today);
	list = json_array();
	for (size_t i = 0; i < cl.n; i++) {
		const Msosync__VendorContract	*vc = cl.v[i].vc;

		/* A terminated contract has nothing left to expire. */
		if (expiring_within >= 0) {
			if (!query_is_date(vc->end_date) || vc->status ==
			    MSOSYNC__VENDOR_CONTRACT__STATUS__TERMINATED)
				continue;
			end = query_days(vc->end_date);
			if (end < from || (int64_t)end > (int64_t)from +
			    expiring_within)
				continue;
		}
		json_array_append_new(list, contract_json(&cl.v[i], today));
	}
	query_contracts_free(cl.v, cl.n);
	*out = json_object();
	json_object_set_new(*out, "contracts", list);
	return 0;
}
