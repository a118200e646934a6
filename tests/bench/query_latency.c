/*
 * bench_query: how long the hub takes to answer a franchise-year KPI
 * report (DESIGN §10: one hub, thousands of clinics). Builds a real store
 * in a temporary directory, 200 sites x 365 days by default, by applying
 * simulated events through store_apply with the aggregates' hook, stamped
 * and chained as an agent would; then times query_report(QUERY_KPIS) over
 * the whole year by franchise and by site: the median of 20 runs each,
 * against a target of 50 ms for the franchise.
 *
 * Run by hand (about half a minute and half a GB of /tmp):
 *   cmake --build build --target bench_query &&
 *       build/tests/bench/bench_query [SITES [DAYS [RATE]]]
 * RATE is simulated events a site a day (default 20: the events only have
 * to fill the rollups). Exits 0 when the franchise query's median is
 * within the target, 1 when it is not or the bench failed.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "aggregate.h"
#include "chain.h"
#include "config.h"
#include "msosync/error.h"
#include "query.h"
#include "simulate.h"
#include "sites.h"
#include "store.h"
#include "validate.h"
#include "wire.pb-c.h"
#include "xmalloc.h"

#define RUNS		20
#define TARGET_MS	50.0
#define END_DATE	20251231u
#define BATCH_RECORDS	4000		/* records a store_apply */
#define STORE_BUDGET	((size_t)16 << 30)

/* One site's records waiting for store_apply, chained as journaled. */
struct feed {
	struct store	*st;
	uint32_t	 site;
	uint8_t		 epoch[STORE_EPOCH_LEN];
	uint8_t		 pepper[32];
	uint64_t	 seq;
	uint8_t		 head[CHAIN_HASH_LEN];
	Msosync__Record	*rec;
	uint8_t		(*hash)[CHAIN_HASH_LEN];
	size_t		 n;
	uint64_t	 applied;
};

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
flush(struct feed *f)
{
	const Msosync__Record	**p;
	struct store_batch	  b;
	int			  rc;

	if (f->n == 0)
		return 0;
	p = xcalloc(f->n, sizeof(*p));
	for (size_t i = 0; i < f->n; i++)
		p[i] = &f->rec[i];
	memset(&b, 0, sizeof(b));
	b.site_id = f->site;
	b.epoch = f->epoch;
	b.rec = p;
	b.nrec = f->n;
	rc = store_apply(f->st, &b, 1);
	if (rc == 0 && b.result != 0)
		rc = b.result;
	if (rc != 0)
		fprintf(stderr, "bench_query: site %u: store_apply: %s %s\n",
		    f->site, msosync_strerror(rc), b.message);
	f->applied += b.applied;
	for (size_t i = 0; i < f->n; i++)
		free(f->rec[i].event.data);
	f->n = 0;
	free(p);
	return rc;
}

/*
 * The simulator's event as the agent would journal it: stamped (site,
 * business date in UTC, client_ref), numbered, packed, chained.
 */
static int
emit(const Msosync__Event *ev, void *arg)
{
	struct feed	*f = arg;
	Msosync__Event	*e;
	Msosync__Record	*r;
	size_t		 len = msosync__event__get_packed_size(ev);
	uint8_t		*raw = xmalloc(len ? len : 1);

	msosync__event__pack(ev, raw);
	e = msosync__event__unpack(NULL, len, raw);
	free(raw);
	if (e == NULL)
		return MSOSYNC_EPROTO;
	/* recorded_at as if the agent took it when it happened */
	validate_stamp(e, f->site, e->occurred_at, f->pepper, NULL);
	e->seq = ++f->seq;
	r = &f->rec[f->n];
	msosync__record__init(r);
	r->seq = e->seq;
	r->event.len = msosync__event__get_packed_size(e);
	r->event.data = xmalloc(r->event.len ? r->event.len : 1);
	msosync__event__pack(e, r->event.data);
	msosync__event__free_unpacked(e, NULL);
	chain_hash(f->head, r->seq, r->event.data, r->event.len, f->hash[f->n]);
	memcpy(f->head, f->hash[f->n], CHAIN_HASH_LEN);
	r->hash.data = f->hash[f->n];
	r->hash.len = CHAIN_HASH_LEN;
	if (++f->n == BATCH_RECORDS)
		return flush(f);
	return 0;
}

/* A sites file of n sites with fresh CURVE keys, fee 6% of gross sales. */
static int
write_sites(const char *path, unsigned n)
{
	FILE	*fp = fopen(path, "w");
	char	 pub[41], sec[41];

	if (fp == NULL)
		return -errno;
	for (unsigned i = 1; i <= n; i++) {
		if (zmq_curve_keypair(pub, sec) != 0) {
			fclose(fp);
			return -EINVAL;
		}
		fprintf(fp, "[site %u]\nname = Clinic %u\npublic_key = %s\n"
		    "tax_id = 74-10000%u\nfee_model = percent\n"
		    "fee_percent_bp = 600\n\n", i, i, pub, i % 7);
	}
	return fclose(fp) == 0 ? 0 : -errno;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, min and max of RUNS runs of one report, in ms. */
static int
time_report(struct store *st, const struct sites *sites,
    const struct query_params *p, double out[3], size_t *nrows,
    long long *gross)
{
	double	ms[RUNS];
	char	err[256] = "";

	for (int i = 0; i < RUNS; i++) {
		json_t	*doc = NULL;
		double	 t0 = now_s();
		int	 rc = query_report(st, sites, QUERY_KPIS, p, &doc, err,
			     sizeof(err));

		ms[i] = (now_s() - t0) * 1000.0;
		if (rc != 0) {
			fprintf(stderr, "bench_query: query_report: %s %s\n",
			    msosync_strerror(rc), err);
			return rc;
		}
		*nrows = json_array_size(json_object_get(doc, "rows"));
		*gross = 0;
		for (size_t r = 0; r < *nrows; r++)
			*gross += json_integer_value(json_object_get(
			    json_array_get(json_object_get(doc, "rows"), r),
			    "gross_sales"));
		json_decref(doc);
	}
	qsort(ms, RUNS, sizeof(ms[0]), cmp_double);
	out[0] = (ms[RUNS / 2 - 1] + ms[RUNS / 2]) / 2;
	out[1] = ms[0];
	out[2] = ms[RUNS - 1];
	return 0;
}

static unsigned
arg_or(int argc, char **argv, int i, unsigned def, unsigned max)
{
	long	v;

	if (argc <= i)
		return def;
	v = strtol(argv[i], NULL, 10);
	if (v < 1 || (unsigned long)v > max) {
		fprintf(stderr, "usage: bench_query [SITES [DAYS [RATE]]]\n");
		exit(2);
	}
	return (unsigned)v;
}

int
main(int argc, char **argv)
{
	unsigned		 nsites = arg_or(argc, argv, 1, 200, SIM_SITES_MAX);
	unsigned		 days = arg_or(argc, argv, 2, 365, SIM_DAYS_MAX);
	unsigned		 rate = arg_or(argc, argv, 3, 20, SIM_RATE_MAX);
	struct sim_params	 sp = { days, rate, 2026, END_DATE };
	struct config_errors	 errs;
	struct store		*st = NULL;
	struct sites		*sites = NULL;
	struct feed		 f;
	struct query_params	 qp;
	char			 dir[] = "/tmp/msosync-bench.XXXXXX";
	char			 path[64], err[256];
	double			 t0, build_s, fr[3], by_site[3];
	uint64_t		 events = 0;
	size_t			 nrows = 0;
	long long		 gross = 0;
	int			 rc = 1, made = 0;
	time_t			 first;
	struct tm		 tm = { 0 };

	setenv("TZ", "UTC", 1);		/* business dates as the agent's */
	tzset();
	memset(&f, 0, sizeof(f));
	memset(&errs, 0, sizeof(errs));
	if (sodium_init() < 0 || sim_check(&sp, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_query: %s\n", err);
		return 1;
	}
	if (mkdtemp(dir) == NULL) {
		perror("bench_query: mkdtemp");
		return 1;
	}
	made = 1;
	snprintf(path, sizeof(path), "%s/sites.conf", dir);
	if (write_sites(path, nsites) != 0 ||
	    sites_load(path, &sites, &errs) != 0) {
		fprintf(stderr, "bench_query: cannot make the sites file\n");
		goto done;
	}
	snprintf(path, sizeof(path), "%s/hub", dir);
	if ((rc = store_open(path, STORE_BUDGET, &st)) != 0) {
		fprintf(stderr, "bench_query: store_open: %s\n",
		    msosync_strerror(rc));
		goto done;
	}
	aggregate_attach(st);

	printf("building: %u sites x %u days at ~%u events a day in %s\n",
	    nsites, days, rate, dir);
	fflush(stdout);
	f.st = st;
	f.rec = xcalloc(BATCH_RECORDS, sizeof(*f.rec));
	f.hash = xcalloc(BATCH_RECORDS, sizeof(*f.hash));
	memset(f.pepper, 0x5a, sizeof(f.pepper));
	t0 = now_s();
	for (unsigned s = 1; s <= nsites; s++) {
		uint64_t	acked;
		uint8_t		acked_hash[CHAIN_HASH_LEN];
		int		changed;

		f.site = s;
		f.seq = 0;
		memcpy(f.head, chain_genesis, CHAIN_HASH_LEN);
		randombytes_buf(f.epoch, sizeof(f.epoch));
		if ((rc = store_hello(st, s, f.epoch, &acked, acked_hash,
		    &changed)) != 0) {
			fprintf(stderr, "bench_query: store_hello: %s\n",
			    msosync_strerror(rc));
			goto done;
		}
		if ((rc = sim_generate(&sp, s, emit, &f, NULL)) != 0 ||
		    (rc = flush(&f)) != 0)
			goto done;
		events += f.seq;
	}
	build_s = now_s() - t0;
	if (f.applied != events) {
		fprintf(stderr, "bench_query: %llu events generated, %llu "
		    "applied\n", (unsigned long long)events,
		    (unsigned long long)f.applied);
		rc = 1;
		goto done;
	}
	printf("store: %llu events applied in %.1f s (%.0f events/s), "
	    "%.0f MB\n", (unsigned long long)events, build_s,
	    (double)events / build_s, (double)store_bytes(st) / 1048576.0);

	/* the simulated range: the year (or DAYS) ending on END_DATE */
	tm.tm_year = END_DATE / 10000 - 1900;
	tm.tm_mon = END_DATE / 100 % 100 - 1;
	tm.tm_mday = END_DATE % 100 - (int)(days - 1);
	tm.tm_hour = 12;
	first = timegm(&tm);
	gmtime_r(&first, &tm);
	qp.from = (uint32_t)((tm.tm_year + 1900) * 10000 +
	    (tm.tm_mon + 1) * 100 + tm.tm_mday);
	qp.to = END_DATE;
	qp.site = 0;
	qp.by = QUERY_BY_FRANCHISE;
	if ((rc = time_report(st, sites, &qp, fr, &nrows, &gross)) != 0)
		goto done;
	/* a report of zeros would time nothing: say what it found */
	printf("kpis by franchise, %u days: median %.2f ms (min %.2f, max "
	    "%.2f) over %d runs, %zu row, gross_sales %lld cents; target < "
	    "%.0f ms: %s\n", days, fr[0], fr[1], fr[2], RUNS, nrows, gross,
	    TARGET_MS, fr[0] < TARGET_MS ? "ok" : "OVER");
	qp.by = QUERY_BY_SITE;
	if ((rc = time_report(st, sites, &qp, by_site, &nrows, &gross)) != 0)
		goto done;
	printf("kpis by site,      %u days: median %.2f ms (min %.2f, max "
	    "%.2f) over %d runs, %zu rows\n", days, by_site[0], by_site[1],
	    by_site[2], RUNS, nrows);
	rc = fr[0] < TARGET_MS ? 0 : 1;
done:
	if (f.rec) {
		for (size_t i = 0; i < f.n; i++)
			free(f.rec[i].event.data);
		free(f.rec);
		free(f.hash);
	}
	store_close(&st);
	sites_free(&sites);
	config_errors_free(&errs);
	if (made)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc == 0 ? 0 : 1;
}
