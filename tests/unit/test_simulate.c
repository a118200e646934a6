/*
 * Tests for simulate.c: the same parameters give the same bytes, another
 * seed or site other bytes and other event_ids; 90 days of one site all
 * decode with the mapper and pass validate_event, in time order, with the
 * KPI bands of DESIGN §6 where a busy med spa has them, tickets paid in
 * full, refunds and voids pointing back at what they reverse; and
 * `msoctl simulate`'s options, stdout and --out DIR. Cases that write
 * files use their own mkdtemp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cmds.h"
#include "events.pb-c.h"
#include "msosync/error.h"
#include "pbjson.h"
#include "simulate.h"
#include "validate.h"
#include "testutil.h"

#define DAY_MS		86400000LL

static const struct sim_params week = {
	.days = 7, .rate = 400, .seed = 1, .end_date = 20260310,
};

/* Unix ms of midnight UTC starting YYYYMMDD. */
static int64_t
day_ms(uint32_t ymd)
{
	struct tm	tm = { 0 };

	tm.tm_year = (int)(ymd / 10000) - 1900;
	tm.tm_mon = (int)(ymd / 100 % 100) - 1;
	tm.tm_mday = (int)(ymd % 100);
	return (int64_t)timegm(&tm) * 1000;
}

static uint64_t
gen(const struct sim_params *p, unsigned site, struct buf *b)
{
	uint64_t	n = 0;

	assert_int_equal(sim_write_buf(p, site, b, &n), 0);
	assert_true(n > 0);
	return n;
}

struct evs {
	Msosync__Event	**v;
	size_t		  n;
};

/* Every line of 'b' through the mapper and validate_event, as the agent
 * would at 'now'. */
static void
decode_all(const struct buf *b, int64_t now, struct evs *out)
{
	const char	*p = b->data, *end = b->data + b->len;
	char		 err[PBJSON_ERR_MAX];
	size_t		 cap = 0;

	out->v = NULL;
	out->n = 0;
	while (p < end) {
		const char		*nl;
		ProtobufCMessage	*m = NULL;

		nl = memchr(p, '\n', (size_t)(end - p));

		assert_non_null(nl);
		if (pbjson_decode_text(&msosync__event__descriptor, p,
		    (size_t)(nl - p), NULL, &m, err, sizeof(err)) != 0)
			fail_msg("line %zu: %s: %.*s", out->n + 1, err,
			    (int)(nl - p), p);
		if (validate_event((Msosync__Event *)m, now, err,
		    sizeof(err)) != 0)
			fail_msg("line %zu: %s: %.*s", out->n + 1, err,
			    (int)(nl - p), p);
		if (out->n == cap) {
			cap = cap ? cap * 2 : 1024;
			out->v = realloc(out->v, cap * sizeof(*out->v));
			assert_non_null(out->v);
		}
		out->v[out->n++] = (Msosync__Event *)m;
		p = nl + 1;
	}
}

static void
free_all(struct evs *e)
{
	for (size_t i = 0; i < e->n; i++)
		protobuf_c_message_free_unpacked(&e->v[i]->base, NULL);
	free(e->v);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The event_ids of 'e', sorted; the caller frees the array. */
static char **
sorted_ids(const struct evs *e)
{
	char	**ids = calloc(e->n, sizeof(*ids));

	assert_non_null(ids);
	for (size_t i = 0; i < e->n; i++)
		ids[i] = e->v[i]->event_id;
	qsort(ids, e->n, sizeof(*ids), cmp_str);
	return ids;
}

static void
test_same_params_same_bytes(void **state)
{
	struct buf	a = { 0 }, b = { 0 };
	char		dir[] = "/tmp/msosync-sim-XXXXXX", path[64];
	uint64_t	na, nb, nf = 0;
	FILE		*f;

	(void)state;
	na = gen(&week, 1, &a);
	nb = gen(&week, 1, &b);
	assert_int_equal(na, nb);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);

	/* and through a FILE, as msoctl writes it */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.ndjson", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(sim_write(&week, 1, f, &nf), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(nf, na);
	buf_reset(&b);
	assert_non_null(f = fopen(path, "r"));
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	assert_int_equal(b.len, a.len);
	assert_memory_equal(a.data, b.data, a.len);
	unlink(path);
	rmdir(dir);
	buf_free(&a);
	buf_free(&b);
}

/* No id in common between two sorted lists. */
static size_t
common_ids(char **x, size_t nx, char **y, size_t ny)
{
	size_t	i = 0, j = 0, same = 0;

	while (i < nx && j < ny) {
		int c = strcmp(x[i], y[j]);

		if (c == 0)
			same++;
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return same;
}

static void
test_other_seed_or_site_differs(void **state)
{
	struct sim_params	seed2 = week;
	struct buf		a = { 0 }, b = { 0 }, c = { 0 };
	struct evs		ea, eb, ec;
	int64_t			now = day_ms(week.end_date) + DAY_MS;

	(void)state;
	seed2.seed = 2;
	gen(&week, 1, &a);
	gen(&seed2, 1, &b);
	gen(&week, 2, &c);
	assert_true(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
	assert_true(a.len != c.len || memcmp(a.data, c.data, a.len) != 0);
	decode_all(&a, now, &ea);
	decode_all(&b, now, &eb);
	decode_all(&c, now, &ec);
	char **ia = sorted_ids(&ea), **ib = sorted_ids(&eb),
	    **ic = sorted_ids(&ec);
	assert_int_equal(common_ids(ia, ea.n, ib, eb.n), 0);
	assert_int_equal(common_ids(ia, ea.n, ic, ec.n), 0);
	assert_string_equal(ea.v[0]->event_id, "p1-1-1");
	assert_string_equal(eb.v[0]->event_id, "p2-1-1");
	assert_string_equal(ec.v[0]->event_id, "p1-2-1");
	free(ia);
	free(ib);
	free(ic);
	free_all(&ea);
	free_all(&eb);
	free_all(&ec);
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
}

struct money {
	const char	*ticket;
	size_t		 at;		/* line index */
	int64_t		 cents;		/* sales +, payments - */
};

static int
cmp_money(const void *a, const void *b)
{
	const struct money	*x = a, *y = b;
	int			 c = strcmp(x->ticket, y->ticket);

	if (c != 0)
		return c;
	return (x->at > y->at) - (x->at < y->at);
}

struct idx {
	const char	*id;
	size_t		 at;
};

static int
cmp_idx(const void *a, const void *b)
{
	return strcmp(((const struct idx *)a)->id, ((const struct idx *)b)->id);
}

static int
is_stored_value(Msosync__Sale__Category c)
{
	return c == MSOSYNC__SALE__CATEGORY__GIFT_CARD ||
	    c == MSOSYNC__SALE__CATEGORY__PACKAGE ||
	    c == MSOSYNC__SALE__CATEGORY__MEMBERSHIP;
}

static void
test_ninety_days(void **state)
{
	const struct sim_params	p = {
		.days = 90, .rate = 400, .seed = 7, .end_date = 20260331,
	};
	int64_t		 first = day_ms(p.end_date) - 89 * DAY_MS;
	int64_t		 now = day_ms(p.end_date) + DAY_MS;
	struct buf	 b = { 0 };
	struct evs	 e;
	uint64_t	 n;
	size_t		 per_body[MSOSYNC__EVENT__BODY_VOID + 1] = { 0 };
	size_t		 lines = 0, ndays = 0, nmoney = 0, nvoid = 0;
	int64_t		 gross = 0, retail = 0, refunds = 0;
	int64_t		 last_day = -1;
	size_t		 completed = 0, no_show = 0;

	(void)state;
	n = gen(&p, 1, &b);
	for (size_t i = 0; i < b.len; i++)
		lines += b.data[i] == '\n';
	assert_int_equal(lines, n);
	decode_all(&b, now, &e);
	assert_int_equal(e.n, n);

	/* unique ids; an index by id for the voids */
	char **ids = sorted_ids(&e);
	for (size_t i = 1; i < e.n; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0)
			fail_msg("event_id %s twice", ids[i]);
	free(ids);
	struct idx *byid = calloc(e.n, sizeof(*byid));
	struct money *money = calloc(2 * e.n, sizeof(*money));
	const char **voided = calloc(e.n, sizeof(*voided));
	assert_non_null(byid);
	assert_non_null(money);
	assert_non_null(voided);
	for (size_t i = 0; i < e.n; i++) {
		byid[i].id = e.v[i]->event_id;
		byid[i].at = i;
	}
	qsort(byid, e.n, sizeof(*byid), cmp_idx);

	/* time order, business hours, every day of the range */
	for (size_t i = 0; i < e.n; i++) {
		const Msosync__Event *ev = e.v[i];
		int64_t t = ev->occurred_at, day = (t - first) / DAY_MS;
		int64_t sec = (t - first) % DAY_MS / 1000;

		assert_true(t >= first);
		assert_in_range(day, 0, 89);
		assert_in_range(sec, 14 * 3600, 23 * 3600 + 1800);
		if (i > 0)
			assert_true(t >= e.v[i - 1]->occurred_at);
		if (day != last_day) {
			ndays++;
			last_day = day;
		}
		per_body[ev->body_case]++;
		assert_int_equal(ev->site_id, 0);
	}
	assert_int_equal(ndays, 90);
	for (size_t k = MSOSYNC__EVENT__BODY_SALE;
	    k <= MSOSYNC__EVENT__BODY_VOID; k++)
		if (per_body[k] == 0)
			fail_msg("no event with body %zu", k);

	/* voids: an earlier sale line, each voided once, never a void */
	for (size_t i = 0; i < e.n; i++) {
		const Msosync__Event *ev = e.v[i];

		if (ev->body_case != MSOSYNC__EVENT__BODY_VOID)
			continue;
		struct idx key = { ev->void_->voided_event_id, 0 }, *hit;
		hit = bsearch(&key, byid, e.n, sizeof(*byid), cmp_idx);
		assert_non_null(hit);
		assert_true(hit->at < i);
		assert_int_equal(e.v[hit->at]->body_case,
		    MSOSYNC__EVENT__BODY_SALE);
		voided[nvoid++] = key.id;
	}
	qsort(voided, nvoid, sizeof(*voided), cmp_str);
	for (size_t i = 1; i < nvoid; i++)
		if (strcmp(voided[i - 1], voided[i]) == 0)
			fail_msg("%s voided twice", voided[i]);

	/* sums as DESIGN §6 has them, voided lines left out */
	for (size_t i = 0; i < e.n; i++) {
		const Msosync__Event *ev = e.v[i];

		switch (ev->body_case) {
		case MSOSYNC__EVENT__BODY_SALE: {
			const Msosync__Sale *s = ev->sale;
			const char *id = ev->event_id;

			if (bsearch(&id, voided, nvoid, sizeof(*voided),
			    cmp_str) != NULL)
				break;
			money[nmoney++] = (struct money){ s->ticket_id, i,
			    s->amount_cents + s->tax_cents };
			if (is_stored_value(s->category))
				break;
			gross += s->amount_cents;
			if (s->category == MSOSYNC__SALE__CATEGORY__RETAIL)
				retail += s->amount_cents;
			break;
		}
		case MSOSYNC__EVENT__BODY_PAYMENT:
			money[nmoney++] = (struct money){
			    ev->payment->ticket_id, i,
			    -ev->payment->amount_cents };
			break;
		case MSOSYNC__EVENT__BODY_REFUND:
			refunds += ev->refund->amount_cents;
			break;
		case MSOSYNC__EVENT__BODY_APPOINTMENT:
			if (ev->appointment->status ==
			    MSOSYNC__APPOINTMENT__STATUS__COMPLETED)
				completed++;
			else if (ev->appointment->status ==
			    MSOSYNC__APPOINTMENT__STATUS__NO_SHOW)
				no_show++;
			break;
		default:
			break;
		}
	}

	/* every ticket paid in full, its lines before its payments */
	qsort(money, nmoney, sizeof(*money), cmp_money);
	for (size_t i = 0; i < nmoney;) {
		size_t j = i;
		int64_t due = 0;

		assert_true(money[i].cents >= 0);
		for (; j < nmoney && strcmp(money[j].ticket,
		    money[i].ticket) == 0; j++)
			due += money[j].cents;
		if (due != 0)
			fail_msg("ticket %s: %lld cents unpaid",
			    money[i].ticket, (long long)due);
		i = j;
	}
	/* refunds name a ticket rung up earlier: the first entry at or
	 * after (ticket, 0) is that ticket's first line */
	for (size_t i = 0; i < e.n; i++) {
		if (e.v[i]->body_case != MSOSYNC__EVENT__BODY_REFUND)
			continue;
		struct money key = { e.v[i]->refund->ticket_id, 0, 0 };
		size_t lo = 0, hi = nmoney;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (cmp_money(&money[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		assert_true(lo < nmoney);
		assert_string_equal(money[lo].ticket, key.ticket);
		assert_true(money[lo].at < i);
	}

	double retail_pct = (double)retail / (double)gross;
	double no_show_rate = (double)no_show / (double)(completed + no_show);
	double refund_pct = (double)refunds / (double)gross;
	double per_day = (double)e.n / 90.0;

	print_message("90 days, rate 400: %zu events (%.1f a day), "
	    "retail_pct %.4f, no_show_rate %.4f, refunds/gross %.4f, "
	    "%zu voids\n", e.n, per_day, retail_pct, no_show_rate,
	    refund_pct, nvoid);
	assert_true(retail_pct >= 0.06 && retail_pct <= 0.14);
	assert_true(no_show_rate >= 0.03 && no_show_rate <= 0.12);
	assert_true(refund_pct >= 0.005 && refund_pct <= 0.04);
	assert_true(per_day >= 400 * 0.85 && per_day <= 400 * 1.15);

	free(voided);
	free(money);
	free(byid);
	free_all(&e);
	buf_free(&b);
}

static void
test_rate_is_followed(void **state)
{
	static const unsigned	rates[] = { 50, 2000 };

	(void)state;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct sim_params	p = { .days = 28, .rate = rates[i],
		    .seed = 3, .end_date = 20251130 };
		struct buf		b = { 0 };
		uint64_t		n = gen(&p, 4, &b);
		double			per_day = (double)n / 28.0;

		print_message("rate %u: %.1f events a day\n", rates[i],
		    per_day);
		assert_true(per_day >= rates[i] * 0.85 &&
		    per_day <= rates[i] * 1.15);
		buf_free(&b);
	}
}

struct stopper {
	uint64_t	seen;
};

static int
stop_at_ten(const Msosync__Event *ev, void *arg)
{
	struct stopper	*s = arg;

	(void)ev;
	return ++s->seen == 10 ? 7 : 0;
}

static void
test_params_and_stop(void **state)
{
	struct sim_params	p = week;
	struct stopper		st = { 0 };
	struct buf		b = { 0 };
	uint64_t		n = 99;
	char			err[128];

	(void)state;
	assert_int_equal(sim_check(&week, err, sizeof(err)), 0);
	p.days = 0;
	assert_int_equal(sim_check(&p, err, sizeof(err)), MSOSYNC_EINVAL);
	p = week;
	p.rate = 0;
	assert_int_equal(sim_check(&p, err, sizeof(err)), MSOSYNC_EINVAL);
	p = week;
	p.end_date = 20261301;
	assert_int_equal(sim_check(&p, err, sizeof(err)), MSOSYNC_EINVAL);
	p.end_date = 20250229;
	assert_int_equal(sim_check(&p, err, sizeof(err)), MSOSYNC_EINVAL);
	p.end_date = 20000105;		/* starts in 1999 */
	assert_int_equal(sim_check(&p, err, sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err, "the first day (end date - days + 1) would "
	    "be before 2000-01-01");
	p.days = 5;
	assert_int_equal(sim_check(&p, err, sizeof(err)), 0);

	assert_int_equal(sim_generate(&week, 0, stop_at_ten, &st, &n),
	    MSOSYNC_EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(sim_write_buf(&p, SIM_SITES_MAX + 1, &b, &n),
	    MSOSYNC_EINVAL);
	assert_int_equal(b.len, 0);
	assert_int_equal(sim_generate(&week, 1, stop_at_ten, &st, &n), 7);
	assert_int_equal(n, 10);
	assert_int_equal(st.seen, 10);
	buf_free(&b);
}

static void
test_write_error(void **state)
{
	FILE		*f = fopen("/dev/full", "w");
	uint64_t	 n = 0;

	(void)state;
	if (f == NULL)
		skip();
	assert_int_equal(sim_write(&week, 1, f, &n), -ENOSPC);
	fclose(f);
}

/* cmd_simulate on the words of 'line' (split at spaces). */
static int
run(const char *line)
{
	char	*copy = strdup(line), *argv[32], *save = NULL;
	int	 argc = 0, rc;

	assert_non_null(copy);
	for (char *w = strtok_r(copy, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	rc = cmd_simulate(argc, argv);
	free(copy);
	return rc;
}

static void
test_cmd_usage_errors(void **state)
{
	(void)state;
	assert_int_equal(run("--sites 2"), EXIT_USAGE);
	assert_int_equal(run("--days 0"), EXIT_USAGE);
	assert_int_equal(run("--days 3661"), EXIT_USAGE);
	assert_int_equal(run("--end 2026-13-01"), EXIT_USAGE);
	assert_int_equal(run("--end 2026-02-30"), EXIT_USAGE);
	assert_int_equal(run("--end yesterday"), EXIT_USAGE);
	assert_int_equal(run("--end 2000-01-03 --days 7"), EXIT_USAGE);
	assert_int_equal(run("--rate 0"), EXIT_USAGE);
	assert_int_equal(run("--rate lots"), EXIT_USAGE);
	assert_int_equal(run("--seed -1"), EXIT_USAGE);
	assert_int_equal(run("--seed 18446744073709551616"), EXIT_USAGE);
	assert_int_equal(run("--sites 0 --out /tmp"), EXIT_USAGE);
	assert_int_equal(run("--out"), EXIT_USAGE);
	assert_int_equal(run("--out="), EXIT_USAGE);
	assert_int_equal(run("--colour red"), EXIT_USAGE);
	assert_int_equal(run("extra"), EXIT_USAGE);
}


static void
slurp(const char *path, struct buf *b)
{
	FILE	*f = fopen(path, "r");
	char	 chunk[65536];
	size_t	 n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	fclose(f);
}

static void
test_cmd_out_dir(void **state)
{
	const struct sim_params	p = { .days = 3, .rate = 200,
	    .seed = 42, .end_date = 20260115 };
	char		root[] = "/tmp/msosync-sim-XXXXXX";
	char		cmd[256], path[128];
	struct buf	s1 = { 0 }, s2 = { 0 }, want = { 0 };
	struct stat	st;

	(void)state;
	assert_non_null(mkdtemp(root));
	/* DIR is created when missing */
	snprintf(cmd, sizeof(cmd), "--sites=2 --days 3 --rate 200 --seed 42 "
	    "--end 2026-01-15 --out %s/sims", root);
	assert_int_equal(run(cmd), 0);
	snprintf(path, sizeof(path), "%s/sims/site-1.ndjson", root);
	slurp(path, &s1);
	snprintf(path, sizeof(path), "%s/sims/site-2.ndjson", root);
	slurp(path, &s2);
	snprintf(path, sizeof(path), "%s/sims/site-3.ndjson", root);
	assert_int_equal(stat(path, &st), -1);
	assert_true(s1.len > 0 && s2.len > 0);
	assert_true(s1.len != s2.len || memcmp(s1.data, s2.data, s1.len) != 0);
	gen(&p, 1, &want);
	assert_int_equal(s1.len, want.len);
	assert_memory_equal(s1.data, want.data, want.len);
	buf_reset(&want);
	gen(&p, 2, &want);
	assert_int_equal(s2.len, want.len);
	assert_memory_equal(s2.data, want.data, want.len);

	/* again into the existing directory: same files */
	assert_int_equal(run(cmd), 0);
	buf_reset(&s2);
	snprintf(path, sizeof(path), "%s/sims/site-2.ndjson", root);
	slurp(path, &s2);
	assert_int_equal(s2.len, want.len);

	/* --out naming a file is a runtime failure */
	snprintf(cmd, sizeof(cmd), "--days 1 --end 2026-01-15 --out %s", path);
	assert_int_equal(run(cmd), 1);

	testutil_rm_rf(root);
	buf_free(&s1);
	buf_free(&s2);
	buf_free(&want);
}

/* cmd_simulate with stdout going to 'path'. */
static int
run_to_file(const char *line, const char *path)
{
	int	saved, fd, rc;

	fflush(stdout);
	saved = dup(1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 1);
	close(fd);
	rc = run(line);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return rc;
}

static void
test_cmd_stdout(void **state)
{
	const struct sim_params	p = { .days = 2, .rate = 300,
	    .seed = 5, .end_date = 20251231 };
	char		dir[] = "/tmp/msosync-sim-XXXXXX", path[64];
	struct buf	got = { 0 }, want = { 0 };
	char		date[16], before[11], after[11];
	time_t		t0, t1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/stdout", dir);
	assert_int_equal(run_to_file("--days=2 --rate=300 --seed=5 "
	    "--end=2025-12-31", path), 0);
	slurp(path, &got);
	gen(&p, 1, &want);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);

	/* defaults: one site, seven days ending today (UTC) */
	t0 = time(NULL);
	assert_int_equal(run_to_file("", path), 0);
	t1 = time(NULL);
	strftime(before, sizeof(before), "%Y-%m-%d", gmtime(&t0));
	strftime(after, sizeof(after), "%Y-%m-%d", gmtime(&t1));
	buf_reset(&got);
	slurp(path, &got);
	assert_true(got.len > 0);
	const char *last = got.data + got.len - 1;	/* the final '\n' */
	while (last > got.data && last[-1] != '\n')
		last--;
	const char *at = strstr(last, "\"occurred_at\":\"");
	assert_non_null(at);
	snprintf(date, sizeof(date), "%.10s", at + 15);
	if (strcmp(date, before) != 0)
		assert_string_equal(date, after);
	assert_non_null(strstr(got.data, "\"event_id\":\"p1-1-1\""));

	unlink(path);
	rmdir(dir);
	buf_free(&got);
	buf_free(&want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_params_same_bytes),
		cmocka_unit_test(test_other_seed_or_site_differs),
		cmocka_unit_test(test_ninety_days),
		cmocka_unit_test(test_rate_is_followed),
		cmocka_unit_test(test_params_and_stop),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_cmd_usage_errors),
		cmocka_unit_test(test_cmd_out_dir),
		cmocka_unit_test(test_cmd_stdout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
