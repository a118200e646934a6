/*
 * Tests for store.c, each case in its own mkdtemp directory with a real
 * LMDB: hello and epochs, the exactly-once apply (retransmits, gaps, the
 * chain, wrong sites, duplicates replayed into a new epoch), group commit
 * across sites and within one, the apply hook and its accessors,
 * persistence, the map budget, injected write failures, and verify on a
 * file whose bytes were changed behind LMDB's back; the write-back cache
 * of the aggregate dbs (reads that see the transaction's own pending
 * writes, deletes, a bad value found only at the end, the bound). The
 * last case measures durable apply throughput (MSOSYNC_BENCH_EVENTS sets
 * how many events; 1,000,000 for the figure in the notes).
 *
 * This file defines mdb_txn_commit itself: the store's calls bind to it
 * (the executable's definition wins over liblmdb's); it passes through to
 * LMDB via dlsym(RTLD_NEXT) and can fail the next commits on demand.
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
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
#include <lmdb.h>

#include "msosync/error.h"
#include "arena.h"
#include "chain.h"
#include "store.h"
#include "testutil.h"

#define MIB		((size_t)1 << 20)
#define ID_MAX		48

/* Fail the next 'times' commits with 'rc' (after aborting the txn). */
static struct {
	int		rc;
	unsigned	times;
	unsigned	commits;
} fault;

typedef int (*commit_fn)(MDB_txn *);

int
mdb_txn_commit(MDB_txn *txn)
{
	static commit_fn	real;

	if (real == NULL)
		real = (commit_fn)dlsym(RTLD_NEXT, "mdb_txn_commit");
	if (real == NULL)
		abort();
	fault.commits++;
	if (fault.times > 0) {
		fault.times--;
		mdb_txn_abort(txn);	/* a failed commit frees the txn */
		return fault.rc;
	}
	return real(txn);
}

/* One site's journal, as an agent would write it. */
struct stream {
	uint32_t	site;
	uint8_t		epoch[STORE_EPOCH_LEN];
	uint64_t	seq;		/* last written */
	uint8_t		head[CHAIN_HASH_LEN];
};

/* Records built by hand; the events are owned here. */
struct recs {
	Msosync__Record		 *r;
	const Msosync__Record	**p;
	size_t			  n;
};

struct fx {
	char		 root[64];
	char		 dir[128];
	struct store	*s;
};

/* What the test hook saw and did. */
static struct {
	unsigned	calls;
	int		fail_at;	/* return -EIO on this call (1-based) */
} hk;

static void
stream_init(struct stream *st, uint32_t site, uint8_t tag)
{
	memset(st, 0, sizeof(*st));
	st->site = site;
	memset(st->epoch, tag, sizeof(st->epoch));
	st->epoch[0] = (uint8_t)site;
	memcpy(st->head, chain_genesis, CHAIN_HASH_LEN);
}

/* A new journal for the same site: seq 1 again, from genesis. */
static void
stream_new_epoch(struct stream *st, uint8_t tag)
{
	stream_init(st, st->site, tag);
}

/*
 * Pack an Event for 'site' at 'seq', about 'size' bytes, whose sku holds
 * a pattern unique to (site, seq) so a test can find it in data.mdb.
 */
static uint8_t *
make_event(uint32_t site, uint64_t seq, const char *id, size_t size,
    size_t *len)
{
	Msosync__Event	ev = MSOSYNC__EVENT__INIT;
	Msosync__Sale	sale = MSOSYNC__SALE__INIT;
	char		sku[256], ticket[32];
	uint8_t		*buf;
	size_t		n;

	snprintf(ticket, sizeof(ticket), "T-%" PRIu64, seq);
	n = (size_t)snprintf(sku, sizeof(sku), "<sku-%u-%" PRIu64 ">",
	    (unsigned)site, seq);
	ev.schema_version = 1;
	ev.event_id = (char *)id;
	ev.site_id = site;
	ev.seq = seq;
	ev.occurred_at = 1780000000000LL + (int64_t)seq;
	ev.recorded_at = 1780000000500LL + (int64_t)seq;
	ev.business_date = 20260520;
	sale.ticket_id = ticket;
	sale.category = MSOSYNC__SALE__CATEGORY__INJECTABLES;
	sale.amount_cents = 1000 + (int64_t)(seq % 97);
	sale.units = 1;
	sale.sku = sku;
	ev.body_case = MSOSYNC__EVENT__BODY_SALE;
	ev.sale = &sale;
	/* Pad the sku until the event is about 'size' bytes. */
	while (msosync__event__get_packed_size(&ev) < size && n < 200) {
		sku[n++] = 'x';
		sku[n] = '\0';
	}
	*len = msosync__event__get_packed_size(&ev);
	buf = malloc(*len);
	assert_non_null(buf);
	msosync__event__pack(&ev, buf);
	return buf;
}

/*
 * n records continuing the stream; event ids "id-<idbase + i>" of the
 * stream's site, events naming 'ev_site' (the stream's site unless a test
 * wants a wrong one).
 */
static void
build_as(struct stream *st, struct recs *out, size_t n, uint64_t idbase,
    uint32_t ev_site, size_t size)
{
	char	id[ID_MAX];

	out->n = n;
	out->r = calloc(n, sizeof(*out->r));
	out->p = calloc(n, sizeof(*out->p));
	assert_true(n == 0 || (out->r != NULL && out->p != NULL));
	for (size_t i = 0; i < n; i++) {
		Msosync__Record	*r = &out->r[i];

		msosync__record__init(r);
		snprintf(id, sizeof(id), "id-%u-%" PRIu64, (unsigned)st->site,
		    idbase + i);
		st->seq++;
		r->seq = st->seq;
		r->event.data = make_event(ev_site, st->seq, id, size,
		    &r->event.len);
		r->hash.len = CHAIN_HASH_LEN;
		r->hash.data = malloc(CHAIN_HASH_LEN);
		assert_non_null(r->hash.data);
		chain_hash(st->head, r->seq, r->event.data, r->event.len,
		    r->hash.data);
		memcpy(st->head, r->hash.data, CHAIN_HASH_LEN);
		out->p[i] = r;
	}
}

static void
build(struct stream *st, struct recs *out, size_t n, uint64_t idbase)
{
	build_as(st, out, n, idbase, st->site, 120);
}

static void
recs_free(struct recs *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->r[i].event.data);
		free(rs->r[i].hash.data);
	}
	free(rs->r);
	free(rs->p);
	memset(rs, 0, sizeof(*rs));
}

static void
batch(struct store_batch *b, const struct stream *st, const struct recs *rs,
    size_t from, size_t n)
{
	memset(b, 0, sizeof(*b));
	b->site_id = st->site;
	b->epoch = st->epoch;
	b->rec = rs->p + from;
	b->nrec = n;
}

/* Apply rs[from, from + n) as one batch in its own call. */
static int
apply1(struct store *s, const struct stream *st, const struct recs *rs,
    size_t from, size_t n, struct store_batch *out)
{
	batch(out, st, rs, from, n);
	return store_apply(s, out, 1);
}

static void
hello_ok(struct store *s, const struct stream *st, uint64_t want_seq,
    int want_changed)
{
	uint8_t		hash[CHAIN_HASH_LEN];
	uint64_t	acked = 99;
	int		changed = -1;

	assert_int_equal(store_hello(s, st->site, st->epoch, &acked, hash,
	    &changed), 0);
	assert_int_equal(acked, want_seq);
	assert_int_equal(changed, want_changed);
}

static void
site_info(struct store *s, uint32_t site, struct store_site_info *si)
{
	assert_int_equal(store_site(s, site, si), 0);
	assert_int_equal(si->site_id, site);
}

static uint64_t
count_events(struct store *s, uint32_t site)
{
	uint64_t	n = 12345;

	assert_int_equal(store_count_site_events(s, site, &n), 0);
	return n;
}

static const struct store_alert *
find_alert(const struct store_site_info *si, const char *kind)
{
	for (size_t i = 0; i < si->nalerts; i++)
		if (strcmp(si->alerts[i].kind, kind) == 0)
			return &si->alerts[i];
	return NULL;
}

struct problems {
	unsigned	n;
	uint32_t	site;
	uint32_t	ord;
	uint64_t	seq;
	char		first[256];
};

static void
collect(void *arg, uint32_t site, uint32_t ord, uint64_t seq,
    const char *problem)
{
	struct problems	*p = arg;

	if (p->n++ == 0) {
		p->site = site;
		p->ord = ord;
		p->seq = seq;
		snprintf(p->first, sizeof(p->first), "%s", problem);
	}
}

static void
verify_clean(struct store *s, uint64_t want_checked)
{
	struct problems	p;
	uint64_t	checked = 0;
	int		rc;

	memset(&p, 0, sizeof(p));
	rc = store_verify(s, collect, &p, &checked);
	if (rc != 0)
		fprintf(stderr, "verify: site %u ord %u seq %" PRIu64 ": %s\n",
		    (unsigned)p.site, (unsigned)p.ord, p.seq, p.first);
	assert_int_equal(rc, 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(checked, want_checked);
}


static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->root, sizeof(fx->root), "/tmp/test_store.XXXXXX");
	if (mkdtemp(fx->root) == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/hub", fx->root);
	if (store_open(fx->dir, 64 * MIB, &fx->s) != 0)
		return -1;
	memset(&fault, 0, sizeof(fault));
	memset(&hk, 0, sizeof(hk));
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	store_close(&fx->s);
	testutil_rm_rf(fx->root);
	free(fx);
	return 0;
}

static void
test_hello_new_site(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct stream		 st;
	struct stat		 sb;
	uint8_t			 hash[CHAIN_HASH_LEN];
	uint64_t		 acked = 99;
	int			 changed = -1;

	assert_int_equal(stat(fx->dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(store_site(fx->s, 7, &si), MSOSYNC_ENOTFOUND);

	stream_init(&st, 7, 0xa1);
	memset(hash, 0xee, sizeof(hash));
	assert_int_equal(store_hello(fx->s, 7, st.epoch, &acked, hash,
	    &changed), 0);
	assert_int_equal(acked, 0);
	assert_memory_equal(hash, chain_genesis, CHAIN_HASH_LEN);
	assert_int_equal(changed, 0);

	site_info(fx->s, 7, &si);
	assert_int_equal(si.epoch_ord, 1);
	assert_memory_equal(si.epoch, st.epoch, STORE_EPOCH_LEN);
	assert_int_equal(strlen(si.epoch_hex), 32);
	assert_string_equal(si.epoch_hex + 2, "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1");
	assert_int_equal(si.hwm, 0);
	assert_int_equal(si.events, 0);
	assert_int_equal(si.chain_broken, 0);
	assert_int_equal(si.nalerts, 0);
	assert_true(si.last_seen_ms > 1600000000000LL);

	/* The same epoch again changes nothing. */
	hello_ok(fx->s, &st, 0, 0);
	verify_clean(fx->s, 0);
}

static void
test_apply_basic(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_batch	 b;
	struct stream		 st;
	struct recs		 rs;

	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 50, 1);

	assert_int_equal(apply1(fx->s, &st, &rs, 0, 30, &b), 0);
	assert_int_equal(b.result, 0);
	assert_string_equal(b.message, "");
	assert_int_equal(b.applied, 30);
	assert_int_equal(b.retransmits, 0);
	assert_int_equal(b.duplicates, 0);
	assert_int_equal(b.acked_seq, 30);
	assert_memory_equal(b.acked_hash, rs.r[29].hash.data, CHAIN_HASH_LEN);

	assert_int_equal(apply1(fx->s, &st, &rs, 30, 20, &b), 0);
	assert_int_equal(b.result, 0);
	assert_int_equal(b.applied, 20);
	assert_int_equal(b.acked_seq, 50);

	site_info(fx->s, 7, &si);
	assert_int_equal(si.hwm, 50);
	assert_int_equal(si.events, 50);
	assert_int_equal(si.duplicates, 0);
	assert_memory_equal(si.head_hash, st.head, CHAIN_HASH_LEN);
	assert_int_equal(count_events(fx->s, 7), 50);
	assert_int_equal(count_events(fx->s, 8), 0);

	/* hello after the batches resumes after them. */
	hello_ok(fx->s, &st, 50, 0);
	verify_clean(fx->s, 50);
	recs_free(&rs);
}

static void
test_retransmit(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_batch	 b;
	struct stream		 st;
	struct recs		 rs;

	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 20, 1);
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 10, &b), 0);
	assert_int_equal(b.applied, 10);

	/* All of it again: skipped, acked where the hub is. */
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 10, &b), 0);
	assert_int_equal(b.result, 0);
	assert_int_equal(b.applied, 0);
	assert_int_equal(b.retransmits, 10);
	assert_int_equal(b.acked_seq, 10);

	/* Overlapping: 5 old, 10 new. */
	assert_int_equal(apply1(fx->s, &st, &rs, 5, 15, &b), 0);
	assert_int_equal(b.result, 0);
	assert_int_equal(b.applied, 10);
	assert_int_equal(b.retransmits, 5);
	assert_int_equal(b.acked_seq, 20);

	site_info(fx->s, 7, &si);
	assert_int_equal(si.events, 20);
	assert_int_equal(count_events(fx->s, 7), 20);
	verify_clean(fx->s, 20);
	recs_free(&rs);
}

static void
test_gap(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_batch	 b;
	struct stream		 st;
	struct recs		 rs;

	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 20, 1);
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 5, &b), 0);

	/* 6..9 lost on the way: 10.. is refused with the hub's mark. */
	assert_int_equal(apply1(fx->s, &st, &rs, 9, 5, &b), 0);
	assert_int_equal(b.result, MSOSYNC_EGAP);
	assert_string_equal(b.message, "gap: expected seq 6, got 10");
	assert_int_equal(b.applied, 0);
	assert_int_equal(b.acked_seq, 5);
	assert_memory_equal(b.acked_hash, rs.r[4].hash.data, CHAIN_HASH_LEN);

	/* Good records before a gap in the same batch stay applied. */
	{
		const Msosync__Record	*mix[4] = { rs.p[5], rs.p[6], rs.p[8],
					    rs.p[9] };

		memset(&b, 0, sizeof(b));
		b.site_id = 7;
		b.epoch = st.epoch;
		b.rec = mix;
		b.nrec = 4;
		assert_int_equal(store_apply(fx->s, &b, 1), 0);
		assert_int_equal(b.result, MSOSYNC_EGAP);
		assert_int_equal(b.applied, 2);
		assert_int_equal(b.acked_seq, 7);
	}
	/* The agent rewinds to acked + 1. */
	assert_int_equal(apply1(fx->s, &st, &rs, 7, 13, &b), 0);
	assert_int_equal(b.result, 0);
	assert_int_equal(b.acked_seq, 20);
	site_info(fx->s, 7, &si);
	assert_int_equal(si.events, 20);
	verify_clean(fx->s, 20);
	recs_free(&rs);
}

static void
test_chain_mismatch_resume(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	const struct store_alert *al;
	struct store_batch	 b;
	struct stream		 st;
	struct recs		 rs, more;
	uint8_t			*ev;

	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 10, 1);
	/* Seq 5's event changed after it was hashed: a tampered record. */
	ev = rs.r[4].event.data;
	ev[rs.r[4].event.len - 1] ^= 0x01;

	assert_int_equal(apply1(fx->s, &st, &rs, 0, 10, &b), 0);
	assert_int_equal(b.result, MSOSYNC_ECHAIN);
	assert_string_equal(b.message, "seq 5: hash mismatch");
	assert_int_equal(b.applied, 4);
	assert_int_equal(b.acked_seq, 4);

	site_info(fx->s, 7, &si);
	assert_int_equal(si.chain_broken, 1);
	assert_int_equal(si.broken_seq, 5);
	assert_int_equal(si.hwm, 4);
	al = find_alert(&si, "chain_mismatch");
	assert_non_null(al);
	assert_string_equal(al->message, "seq 5: hash mismatch");
	assert_true(al->at_ms > 1600000000000LL);

	/* Refused, even good records, until an operator decides. */
	assert_int_equal(apply1(fx->s, &st, &rs, 4, 1, &b), 0);
	assert_int_equal(b.result, MSOSYNC_EREFUSED);
	assert_string_equal(b.message, "chain broken at seq 5: waiting for "
	    "an operator (msoctl site resume)");
	assert_int_equal(b.applied, 0);
	assert_int_equal(b.acked_seq, 4);

	assert_int_equal(store_resume(fx->s, 8, "no such site"),
	    MSOSYNC_ENOTFOUND);
	assert_int_equal(store_resume(fx->s, 7, ""), MSOSYNC_EINVAL);
	assert_int_equal(store_resume(fx->s, 7, "POS reinstalled, ticket 77"),
	    0);
	assert_int_equal(store_resume(fx->s, 7, "twice"), MSOSYNC_EINVAL);
	site_info(fx->s, 7, &si);
	assert_int_equal(si.chain_broken, 0);
	assert_int_equal(si.resync, 1);
	al = find_alert(&si, "resumed");
	assert_non_null(al);
	assert_string_equal(al->message, "chain broken at seq 5 accepted: "
	    "POS reinstalled, ticket 77");

	/* The site's seq 5 as it is now is taken as the new anchor. */
	assert_int_equal(apply1(fx->s, &st, &rs, 4, 6, &b), 0);
	assert_int_equal(b.result, 0);
	assert_int_equal(b.applied, 6);
	assert_int_equal(b.acked_seq, 10);
	build(&st, &more, 5, 11);
	assert_int_equal(apply1(fx->s, &st, &more, 0, 5, &b), 0);
	assert_int_equal(b.result, 0);
	assert_int_equal(b.acked_seq, 15);
	site_info(fx->s, 7, &si);
	assert_int_equal(si.resync, 0);
	assert_int_equal(si.events, 15);
	assert_int_equal(si.nalerts, 2);

	/* verify trusts the anchor and the rest of the chain holds. */
	verify_clean(fx->s, 15);
	recs_free(&rs);
	recs_free(&more);
}

struct prep {
	struct store_batch	*b;
	struct arena		 arena;
	ProtobufCAllocator	 pb;
};

static void *
prepare_thread(void *arg)
{
	struct prep	*p = arg;

	store_prepare(p->b, &p->pb);
	return NULL;
}

/* Prepare b on a thread of its own, as the receiver's workers do. */
static void
prepare_apart(struct prep *p, struct store_batch *b)
{
	pthread_t	t;

	p->b = b;
	arena_pb_allocator(&p->arena, &p->pb);
	assert_int_equal(pthread_create(&t, NULL, prepare_thread, p), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_non_null(b->ev);
	assert_non_null(b->link);
}

/*
 * A batch prepared apart applies as one store_apply prepares: events from
 * its ev, links from its link, but a link only where the record before
 * is the site's head. Here an agent's journal forked after seq 4: its
 * seq 5 is a retransmit with another hash, and its seq 6, whose link to
 * that seq 5 holds, must not be taken.
 */
static void
test_prepared_apart(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_batch	 b;
	struct stream		 st, fork;
	struct recs		 rs, five, forked;
	struct prep		 p1 = { 0 }, p2 = { 0 };

	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 4, 1);
	fork = st;
	build(&st, &five, 1, 5);

	/* prepared apart: applied whole, its links used */
	batch(&b, &st, &rs, 0, 4);
	prepare_apart(&p1, &b);
	for (size_t i = 1; i < 4; i++)
		assert_memory_equal(b.link[i], rs.r[i].hash.data,
		    CHAIN_HASH_LEN);
	assert_string_equal(b.ev[3]->event_id, "id-7-4");
	assert_int_equal(store_apply(fx->s, &b, 1), 0);
	assert_int_equal(b.result, 0);
	assert_int_equal(b.applied, 4);
	assert_int_equal(b.acked_seq, 4);
	/* the caller's preparation is left alone */
	assert_non_null(b.ev);

	/* prepared by store_apply: nothing of it is left in the batch */
	assert_int_equal(apply1(fx->s, &st, &five, 0, 1, &b), 0);
	assert_int_equal(b.applied, 1);
	assert_int_equal(b.acked_seq, 5);
	assert_null(b.ev);
	assert_null(b.link);

	build(&fork, &forked, 3, 105);
	batch(&b, &st, &forked, 0, 3);
	prepare_apart(&p2, &b);
	assert_memory_equal(b.link[1], forked.r[1].hash.data, CHAIN_HASH_LEN);
	assert_int_equal(store_apply(fx->s, &b, 1), 0);
	assert_int_equal(b.result, MSOSYNC_ECHAIN);
	assert_string_equal(b.message, "seq 6: hash mismatch");
	assert_int_equal(b.retransmits, 1);
	assert_int_equal(b.applied, 0);
	assert_int_equal(b.acked_seq, 5);
	assert_memory_equal(b.acked_hash, five.r[0].hash.data,
	    CHAIN_HASH_LEN);

	site_info(fx->s, 7, &si);
	assert_int_equal(si.events, 5);
	assert_int_equal(si.chain_broken, 1);
	assert_int_equal(si.broken_seq, 6);
	arena_free(&p1.arena);
	arena_free(&p2.arena);
	recs_free(&rs);
	recs_free(&five);
	recs_free(&forked);
}

struct runner {
	struct store		*s;
	struct store_apply_op	*op;
};

static void *
run_thread(void *arg)
{
	struct runner	*rn = arg;

	store_apply_run(rn->s, rn->op);
	return NULL;
}

/*
 * store_apply in its three steps, the transaction on a thread of its own
 * as the hub's receiver runs it, through map growths (STORE_AGAIN), with
 * a read and a hello on this thread while each transaction runs: the
 * hello waits for the commit, and sees the mark before or after it.
 */
static void
test_apply_on_thread(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_apply_op	 op;
	struct store_batch	 b;
	struct stream		 st;
	struct recs		 rs;
	struct runner		 rn = { NULL, &op };
	pthread_t		 t;
	uint8_t			 hash[CHAIN_HASH_LEN];
	uint64_t		 acked;
	unsigned		 agains = 0;
	int			 rc, changed;

	store_close(&fx->s);
	snprintf(fx->dir, sizeof(fx->dir), "%s/threaded", fx->root);
	assert_int_equal(store_open(fx->dir, 8 * MIB, &fx->s), 0);
	assert_true(store_bytes(fx->s) < MIB);
	rn.s = fx->s;
	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	for (uint64_t i = 0; i < 20; i++) {
		build_as(&st, &rs, 500, i * 500 + 1, 7, 200);
		batch(&b, &st, &rs, 0, 500);
		assert_int_equal(store_apply_start(fx->s, &op, &b, 1), 0);
		do {
			assert_int_equal(pthread_create(&t, NULL, run_thread,
			    &rn), 0);
			site_info(fx->s, 7, &si);
			assert_true(si.hwm == i * 500 || si.hwm == i * 500 + 500);
			assert_int_equal(store_hello(fx->s, 7, st.epoch, &acked,
			    hash, &changed), 0);
			assert_true(acked == i * 500 || acked == i * 500 + 500);
			assert_int_equal(pthread_join(t, NULL), 0);
		} while ((rc = store_apply_finish(fx->s, &op)) == STORE_AGAIN &&
		    ++agains < 100);
		assert_int_equal(rc, 0);
		assert_int_equal(b.result, 0);
		assert_int_equal(b.applied, 500);
		assert_int_equal(b.acked_seq, (i + 1) * 500);
		assert_null(b.ev);	/* prepared by start, let go by finish */
		recs_free(&rs);
	}
	assert_true(agains >= 1);	/* the map grew under a run */
	site_info(fx->s, 7, &si);
	assert_int_equal(si.events, 10000);
	assert_int_equal(count_events(fx->s, 7), 10000);
	verify_clean(fx->s, 10000);
}

static void
test_wrong_site(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_batch	 b;
	struct stream		 st, liar;
	struct recs		 rs;

	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	/* Site 7's key, events that say site 8. */
	liar = st;
	build_as(&liar, &rs, 3, 1, 8, 120);
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 3, &b), 0);
	assert_int_equal(b.result, MSOSYNC_EINVAL);
	assert_string_equal(b.message, "event seq 1 names site 8");
	assert_int_equal(b.applied, 0);
	assert_int_equal(b.acked_seq, 0);
	site_info(fx->s, 7, &si);
	assert_int_equal(si.hwm, 0);
	assert_int_equal(si.events, 0);
	assert_int_equal(si.chain_broken, 0);
	assert_int_equal(count_events(fx->s, 7), 0);
	assert_int_equal(count_events(fx->s, 8), 0);
	verify_clean(fx->s, 0);
	recs_free(&rs);
}

static void
test_bad_records(void **state)
{
	struct fx		*fx = *state;
	struct store_batch	 b;
	struct stream		 st, other;
	struct recs		 rs;
	Msosync__Record		 junk = MSOSYNC__RECORD__INIT;
	const Msosync__Record	*one[1] = { &junk };
	uint8_t			 garbage[5] = { 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t			 h[CHAIN_HASH_LEN];

	stream_init(&st, 7, 0xa1);
	build(&st, &rs, 3, 1);

	/* Before any hello: the hub does not know the site. */
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 3, &b), 0);
	assert_int_equal(b.result, MSOSYNC_EPROTO);
	assert_string_equal(b.message, "unknown site: send hello");
	hello_ok(fx->s, &st, 0, 0);

	/* A batch from another journal than the one said in hello. */
	other = st;
	memset(other.epoch, 0x55, STORE_EPOCH_LEN);
	assert_int_equal(apply1(fx->s, &other, &rs, 0, 3, &b), 0);
	assert_int_equal(b.result, MSOSYNC_EPROTO);
	assert_string_equal(b.message, "stale epoch: send hello");
	assert_int_equal(b.applied, 0);

	/* Correctly chained bytes that are no Event. */
	junk.seq = 1;
	junk.event.data = garbage;
	junk.event.len = sizeof(garbage);
	chain_hash(chain_genesis, 1, garbage, sizeof(garbage), h);
	junk.hash.data = h;
	junk.hash.len = CHAIN_HASH_LEN;
	memset(&b, 0, sizeof(b));
	b.site_id = 7;
	b.epoch = st.epoch;
	b.rec = one;
	b.nrec = 1;
	assert_int_equal(store_apply(fx->s, &b, 1), 0);
	assert_int_equal(b.result, MSOSYNC_EPROTO);
	assert_string_equal(b.message, "seq 1: the event does not decode");

	/* A short hash. */
	junk.event = rs.r[0].event;
	junk.hash.len = 31;
	assert_int_equal(store_apply(fx->s, &b, 1), 0);
	assert_int_equal(b.result, MSOSYNC_EPROTO);
	assert_string_equal(b.message, "seq 1: a hash of 31 bytes");

	/* seq 0 is no seq. */
	junk.seq = 0;
	junk.hash.len = CHAIN_HASH_LEN;
	assert_int_equal(store_apply(fx->s, &b, 1), 0);
	assert_int_equal(b.result, MSOSYNC_EPROTO);

	/* The record says seq 1, its event says 2 (hash over what it says). */
	{
		size_t	 len;
		uint8_t	*ev = make_event(7, 2, "id-x", 100, &len);

		junk.seq = 1;
		junk.event.data = ev;
		junk.event.len = len;
		chain_hash(chain_genesis, 1, ev, len, h);
		assert_int_equal(store_apply(fx->s, &b, 1), 0);
		assert_int_equal(b.result, MSOSYNC_EPROTO);
		assert_string_equal(b.message, "seq 1: the event says seq 2");
		free(ev);
	}

	/* None of it changed the site. */
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 3, &b), 0);
	assert_int_equal(b.result, 0);
	assert_int_equal(b.applied, 3);
	verify_clean(fx->s, 3);
	recs_free(&rs);
}

static void
test_new_epoch_replay(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	const struct store_alert *al;
	struct store_batch	 b;
	struct stream		 st, old;
	struct recs		 rs, replay;
	uint8_t			 hash[CHAIN_HASH_LEN];
	uint64_t		 acked = 99;
	int			 changed = -1;
	char			 want[160], oldhex[33];

	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 250, 1);
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 250, &b), 0);
	assert_int_equal(b.applied, 250);
	site_info(fx->s, 7, &si);
	memcpy(oldhex, si.epoch_hex, sizeof(oldhex));

	/* The clinic's disk died: a new journal, seq 1 again. */
	old = st;
	stream_new_epoch(&st, 0xb2);
	assert_int_equal(store_hello(fx->s, 7, st.epoch, &acked, hash,
	    &changed), 0);
	assert_int_equal(acked, 0);
	assert_memory_equal(hash, chain_genesis, CHAIN_HASH_LEN);
	assert_int_equal(changed, 1);
	site_info(fx->s, 7, &si);
	assert_int_equal(si.epoch_ord, 2);
	assert_int_equal(si.hwm, 0);
	assert_int_equal(si.events, 250);
	al = find_alert(&si, "epoch_changed");
	assert_non_null(al);
	snprintf(want, sizeof(want), "epoch changed from %s to %s (ordinal 2)",
	    oldhex, si.epoch_hex);
	assert_string_equal(al->message, want);

	/* The POS replays 200 events the hub holds, then 100 new ones. */
	build(&st, &replay, 200, 1);
	{
		struct recs	fresh;

		build(&st, &fresh, 100, 1000);
		assert_int_equal(apply1(fx->s, &st, &replay, 0, 200, &b), 0);
		assert_int_equal(b.result, 0);
		assert_int_equal(b.applied, 0);
		assert_int_equal(b.duplicates, 200);
		assert_int_equal(b.acked_seq, 200);
		assert_int_equal(apply1(fx->s, &st, &fresh, 0, 100, &b), 0);
		assert_int_equal(b.result, 0);
		assert_int_equal(b.applied, 100);
		assert_int_equal(b.duplicates, 0);
		assert_int_equal(b.acked_seq, 300);
		recs_free(&fresh);
	}
	site_info(fx->s, 7, &si);
	assert_int_equal(si.events, 350);
	assert_int_equal(si.duplicates, 200);
	assert_int_equal(si.hwm, 300);
	assert_memory_equal(si.head_hash, st.head, CHAIN_HASH_LEN);
	assert_int_equal(count_events(fx->s, 7), 350);

	/* The old journal is retired for good. */
	assert_int_equal(store_hello(fx->s, 7, old.epoch, &acked, hash,
	    &changed), MSOSYNC_EREFUSED);
	assert_int_equal(apply1(fx->s, &old, &rs, 0, 1, &b), 0);
	assert_int_equal(b.result, MSOSYNC_EPROTO);
	hello_ok(fx->s, &st, 300, 0);

	/* Both epochs' chains check, dups included. */
	verify_clean(fx->s, 550);
	recs_free(&rs);
	recs_free(&replay);
}

static void
test_two_sites_one_call(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_batch	 b[2];
	struct stream		 a, c;
	struct recs		 ra, rc;

	stream_init(&a, 7, 0xa1);
	stream_init(&c, 9, 0xc3);
	hello_ok(fx->s, &a, 0, 0);
	hello_ok(fx->s, &c, 0, 0);
	build(&a, &ra, 40, 1);
	build(&c, &rc, 25, 1);
	batch(&b[0], &a, &ra, 0, 40);
	batch(&b[1], &c, &rc, 5, 20);	/* a gap for site 9 only */
	fault.commits = 0;
	assert_int_equal(store_apply(fx->s, b, 2), 0);
	assert_int_equal(fault.commits, 1);	/* one durable commit */
	assert_int_equal(b[0].result, 0);
	assert_int_equal(b[0].applied, 40);
	assert_int_equal(b[0].acked_seq, 40);
	assert_int_equal(b[1].result, MSOSYNC_EGAP);
	assert_int_equal(b[1].acked_seq, 0);

	batch(&b[1], &c, &rc, 0, 25);
	batch(&b[0], &a, &ra, 0, 40);
	assert_int_equal(store_apply(fx->s, b, 2), 0);
	assert_int_equal(b[0].retransmits, 40);
	assert_int_equal(b[1].applied, 25);
	site_info(fx->s, 7, &si);
	assert_int_equal(si.events, 40);
	site_info(fx->s, 9, &si);
	assert_int_equal(si.events, 25);
	assert_int_equal(si.hwm, 25);
	assert_int_equal(count_events(fx->s, 7), 40);
	assert_int_equal(count_events(fx->s, 9), 25);
	verify_clean(fx->s, 65);
	recs_free(&ra);
	recs_free(&rc);
}

static void
test_same_site_batches(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_batch	 b[4];
	struct stream		 a, c;
	struct recs		 ra, rc;

	stream_init(&a, 7, 0xa1);
	stream_init(&c, 9, 0xc3);
	hello_ok(fx->s, &a, 0, 0);
	hello_ok(fx->s, &c, 0, 0);
	build(&a, &ra, 30, 1);
	build(&c, &rc, 10, 1);
	/* A window of three batches of site 7, site 9 between them. */
	batch(&b[0], &a, &ra, 0, 10);
	batch(&b[1], &c, &rc, 0, 10);
	batch(&b[2], &a, &ra, 10, 10);
	batch(&b[3], &a, &ra, 15, 15);	/* overlaps the one before */
	assert_int_equal(store_apply(fx->s, b, 4), 0);
	assert_int_equal(b[0].acked_seq, 10);
	assert_int_equal(b[2].result, 0);
	assert_int_equal(b[2].applied, 10);
	assert_int_equal(b[2].acked_seq, 20);
	assert_int_equal(b[3].result, 0);
	assert_int_equal(b[3].retransmits, 5);
	assert_int_equal(b[3].applied, 10);
	assert_int_equal(b[3].acked_seq, 30);
	assert_int_equal(b[1].acked_seq, 10);
	site_info(fx->s, 7, &si);
	assert_int_equal(si.hwm, 30);
	assert_int_equal(si.events, 30);
	assert_memory_equal(si.head_hash, a.head, CHAIN_HASH_LEN);
	verify_clean(fx->s, 40);
	recs_free(&ra);
	recs_free(&rc);
}

/* The hook counts events and amounts per site in "rollups". */
static int
hook(void *arg, struct store_txn *t, uint32_t site, const Msosync__Event *ev)
{
	uint8_t	key[4 + 6];
	int64_t	d[2];

	(void)arg;
	if (++hk.calls == (unsigned)hk.fail_at)
		return -EIO;
	key[0] = (uint8_t)(site >> 24);
	key[1] = (uint8_t)(site >> 16);
	key[2] = (uint8_t)(site >> 8);
	key[3] = (uint8_t)site;
	memcpy(key + 4, "events", 6);
	d[0] = 1;
	d[1] = ev->body_case == MSOSYNC__EVENT__BODY_SALE ?
	    ev->sale->amount_cents : 0;
	return store_txn_add_i64(t, "rollups", key, sizeof(key), d, 2);
}

struct counters {
	uint32_t	site;
	int64_t		v[3];
	int		rc;
};

static int
read_counters(void *arg, struct store_txn *t)
{
	struct counters	*c = arg;
	uint8_t		 key[10];

	key[0] = (uint8_t)(c->site >> 24);
	key[1] = (uint8_t)(c->site >> 16);
	key[2] = (uint8_t)(c->site >> 8);
	key[3] = (uint8_t)c->site;
	memcpy(key + 4, "events", 6);
	c->rc = store_txn_get_i64(t, "rollups", key, sizeof(key), c->v, 3);
	return store_txn_put(t, "rollups", key, sizeof(key), "x", 1);
}

static int64_t
amounts(const struct recs *rs, size_t from, size_t n)
{
	int64_t	sum = 0;

	for (size_t i = from; i < from + n; i++)
		sum += 1000 + (int64_t)(rs->r[i].seq % 97);
	return sum;
}

static void
test_hook(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_batch	 b;
	struct stream		 st;
	struct recs		 rs, replay;
	struct counters		 c;

	store_set_hook(fx->s, hook, NULL);
	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 30, 1);
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 20, &b), 0);
	assert_int_equal(hk.calls, 20);
	/* Retransmits do not reach the hook. */
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 20, &b), 0);
	assert_int_equal(hk.calls, 20);

	memset(&c, 0, sizeof(c));
	c.site = 7;
	assert_int_equal(store_read(fx->s, read_counters, &c), -EROFS);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.v[0], 20);
	assert_int_equal(c.v[1], amounts(&rs, 0, 20));
	assert_int_equal(c.v[2], 0);

	/* A hook error aborts the whole transaction, returned as is. */
	hk.fail_at = 25;
	assert_int_equal(apply1(fx->s, &st, &rs, 20, 10, &b), -EIO);
	assert_int_equal(b.result, -EIO);
	assert_int_equal(b.applied, 0);
	site_info(fx->s, 7, &si);
	assert_int_equal(si.hwm, 20);
	assert_int_equal(count_events(fx->s, 7), 20);
	hk.fail_at = 0;
	assert_int_equal(apply1(fx->s, &st, &rs, 20, 10, &b), 0);
	assert_int_equal(b.applied, 10);

	/* Duplicates in a new epoch do not reach it either. */
	stream_new_epoch(&st, 0xb2);
	hello_ok(fx->s, &st, 0, 1);
	build(&st, &replay, 10, 1);
	hk.calls = 0;
	assert_int_equal(apply1(fx->s, &st, &replay, 0, 10, &b), 0);
	assert_int_equal(b.duplicates, 10);
	assert_int_equal(hk.calls, 0);

	memset(&c, 0, sizeof(c));
	c.site = 7;
	assert_int_equal(store_read(fx->s, read_counters, &c), -EROFS);
	assert_int_equal(c.v[0], 30);
	assert_int_equal(c.v[1], amounts(&rs, 0, 30));
	store_set_hook(fx->s, NULL, NULL);
	verify_clean(fx->s, 40);
	recs_free(&rs);
	recs_free(&replay);
}

static int
scan_count(void *arg, const void *key, size_t klen, const void *v,
    size_t vlen)
{
	unsigned	*n = arg;

	(void)key;
	(void)v;
	(void)vlen;
	if (klen < 2)
		return -1;
	return ++*n == 3 ? 42 : 0;
}

struct acc_arg {
	int	step;
};

/* Exercise the accessors once, inside a real apply. */
static int
acc_hook(void *arg, struct store_txn *t, uint32_t site,
    const Msosync__Event *ev)
{
	const void	*v;
	size_t		 vlen;
	int64_t		 d[4] = { 5, -7, 1, 0 }, out[4];
	unsigned	 n = 0;

	(void)site;
	(void)arg;
	if (ev->seq != 1)
		return 0;
	assert_int_equal(store_txn_get(t, "clients", "k1", 2, &v, &vlen),
	    MSOSYNC_ENOTFOUND);
	assert_int_equal(store_txn_put(t, "clients", "k1", 2, "20260520", 8),
	    0);
	assert_int_equal(store_txn_get(t, "clients", "k1", 2, &v, &vlen), 0);
	assert_int_equal(vlen, 8);
	assert_memory_equal(v, "20260520", 8);
	assert_int_equal(store_txn_put(t, "events", "k1", 2, "x", 1),
	    MSOSYNC_EINVAL);
	assert_int_equal(store_txn_put(t, "nosuch", "k1", 2, "x", 1),
	    MSOSYNC_EINVAL);
	assert_int_equal(store_txn_put(t, "clients", "", 0, "x", 1),
	    MSOSYNC_EINVAL);

	/* Counters: created, extended, kept past n, and wrapping. */
	assert_int_equal(store_txn_add_i64(t, "rollups", "c", 1, d, 2), 0);
	assert_int_equal(store_txn_add_i64(t, "rollups", "c", 1, d, 3), 0);
	assert_int_equal(store_txn_add_i64(t, "rollups", "c", 1, d, 1), 0);
	assert_int_equal(store_txn_get_i64(t, "rollups", "c", 1, out, 4), 0);
	assert_int_equal(out[0], 15);
	assert_int_equal(out[1], -14);
	assert_int_equal(out[2], 1);
	assert_int_equal(out[3], 0);
	assert_int_equal(store_txn_get_i64(t, "rollups", "none", 4, out, 2),
	    MSOSYNC_ENOTFOUND);
	assert_int_equal(out[0], 0);
	assert_int_equal(store_txn_put(t, "rollups", "odd", 3, "abc", 3), 0);
	assert_int_equal(store_txn_add_i64(t, "rollups", "odd", 3, d, 1),
	    MSOSYNC_ECORRUPT);

	/* Scan by prefix, stopping where fn says. */
	assert_int_equal(store_txn_put(t, "contracts", "a1", 2, "", 0), 0);
	assert_int_equal(store_txn_put(t, "contracts", "b1", 2, "", 0), 0);
	assert_int_equal(store_txn_put(t, "contracts", "b2", 2, "", 0), 0);
	assert_int_equal(store_txn_put(t, "contracts", "c1", 2, "", 0), 0);
	assert_int_equal(store_txn_scan(t, "contracts", "b", 1, scan_count,
	    &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(store_txn_scan(t, "contracts", NULL, 0, scan_count,
	    &n), 42);
	assert_int_equal(store_txn_del(t, "contracts", "b2", 2), 0);
	assert_int_equal(store_txn_del(t, "contracts", "b2", 2),
	    MSOSYNC_ENOTFOUND);
	return 0;
}

static int
read_contracts(void *arg, struct store_txn *t)
{
	unsigned	*n = arg;

	return store_txn_scan(t, "contracts", "", 0, scan_count, n);
}

static void
test_accessors(void **state)
{
	struct fx		*fx = *state;
	struct store_batch	 b;
	struct stream		 st;
	struct recs		 rs;
	unsigned		 n = 0;

	store_set_hook(fx->s, acc_hook, NULL);
	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 2, 1);
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 2, &b), 0);
	assert_int_equal(b.applied, 2);
	/* a1 b1 c1, and scan_count's 42 at the third. */
	assert_int_equal(store_read(fx->s, read_contracts, &n), 42);
	assert_int_equal(n, 3);
	recs_free(&rs);
}

/*
 * The cache under a hook: every event adds {1, amount} to "sum" of its
 * site after reading it (so each read must see the adds before it), and
 * {1} or {1, 0, seq} to "blind", which nothing reads in the transaction.
 */
static struct {
	int64_t		seen[64];	/* "sum"[0] as read before event seq */
} sums;

static int
sum_hook(void *arg, struct store_txn *t, uint32_t site,
    const Msosync__Event *ev)
{
	int64_t	v[2], d[3];
	int	rc;

	(void)arg;
	(void)site;
	rc = store_txn_get_i64(t, "rollups", "sum", 3, v, 2);
	if (rc != 0 && rc != MSOSYNC_ENOTFOUND)
		return rc;
	if (ev->seq < 64)
		sums.seen[ev->seq] = v[0];
	d[0] = 1;
	d[1] = ev->sale->amount_cents;
	if ((rc = store_txn_add_i64(t, "rollups", "sum", 3, d, 2)) != 0)
		return rc;
	d[1] = 0;
	d[2] = (int64_t)ev->seq;
	return store_txn_add_i64(t, "rollups", "blind", 5, d,
	    ev->seq % 2 == 0 ? 3 : 1);
}

static int
read_sums(void *arg, struct store_txn *t)
{
	int64_t	*v = arg;

	v[5] = 0;
	if (store_txn_get_i64(t, "rollups", "sum", 3, v, 2) != 0 ||
	    store_txn_get_i64(t, "rollups", "blind", 5, v + 2, 3) != 0)
		v[5] = -1;
	return 0;
}

/*
 * 10 events in one transaction, then 40 more in another: reads inside a
 * transaction see its own adds, over what earlier ones committed, and a
 * key only added to is read and written once, at the end.
 */
static void
test_cache_reads_pending(void **state)
{
	struct fx			*fx = *state;
	struct store_cache_stats	 cs;
	struct store_batch		 b;
	struct stream			 st;
	struct recs			 rs;
	int64_t				 v[6], even = 0;

	store_set_hook(fx->s, sum_hook, NULL);
	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 50, 1);
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 10, &b), 0);
	assert_int_equal(b.applied, 10);
	store_cache_stats(fx->s, &cs);
	assert_int_equal(cs.flushes, 1);
	assert_int_equal(apply1(fx->s, &st, &rs, 10, 40, &b), 0);
	assert_int_equal(b.applied, 40);
	store_cache_stats(fx->s, &cs);
	assert_int_equal(cs.flushes, 2);
	assert_int_equal(cs.early, 0);
	for (uint64_t seq = 1; seq <= 50; seq++)
		assert_int_equal(sums.seen[seq], (int64_t)seq - 1);
	for (uint64_t seq = 2; seq <= 50; seq += 2)
		even += (int64_t)seq;
	assert_int_equal(store_read(fx->s, read_sums, v), 0);
	assert_int_equal(v[5], 0);
	assert_int_equal(v[0], 50);
	assert_int_equal(v[1], amounts(&rs, 0, 50));
	assert_int_equal(v[2], 50);
	assert_int_equal(v[3], 0);
	assert_int_equal(v[4], even);
	store_set_hook(fx->s, NULL, NULL);
	recs_free(&rs);
}

struct kv {
	const char	*key;
	const char	*val;	/* NULL: must be absent */
	size_t		 vlen;
};

static int
check_kv(void *arg, struct store_txn *t)
{
	const struct kv	*kv = arg;
	const void	*v;
	size_t		 vlen;
	int		 rc;

	for (; kv->key != NULL; kv++) {
		rc = store_txn_get(t, "rollups", kv->key, strlen(kv->key), &v,
		    &vlen);
		if (kv->val == NULL) {
			assert_int_equal(rc, MSOSYNC_ENOTFOUND);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(vlen, kv->vlen);
		assert_memory_equal(v, kv->val, vlen);
	}
	return 0;
}

static const uint8_t	be5[8] = { 0, 0, 0, 0, 0, 0, 0, 5 };

static int
cache_setup(void *arg, struct store_txn *t)
{
	int64_t	d[2] = { 1, 2 }, seven = 7;
	int	rc;

	(void)arg;
	if ((rc = store_txn_put(t, "rollups", "keep", 4, be5, 8)) != 0 ||
	    (rc = store_txn_add_i64(t, "rollups", "gone", 4, &seven, 1)) != 0)
		return rc;
	return store_txn_add_i64(t, "rollups", "grow", 4, d, 2);
}

static int
scan_keys(void *arg, const void *key, size_t klen, const void *v,
    size_t vlen)
{
	(void)key;
	(void)klen;
	(void)v;
	(void)vlen;
	(*(unsigned *)arg)++;
	return 0;
}

/* Everything in one write transaction, on top of cache_setup's. */
static int
cache_ops(void *arg, struct store_txn *t)
{
	const void	*v;
	size_t		 vlen;
	int64_t		 three = 3, four = 4, ten = 10, zero[2] = { 0, 0 };
	int64_t		 out[2];
	unsigned	 n = 0;

	(void)arg;
	/* added to blind, then deleted: the delete sees 7 + 3 there */
	assert_int_equal(store_txn_add_i64(t, "rollups", "gone", 4, &three,
	    1), 0);
	assert_int_equal(store_txn_get_i64(t, "rollups", "gone", 4, out, 1),
	    0);
	assert_int_equal(out[0], 10);
	assert_int_equal(store_txn_del(t, "rollups", "gone", 4), 0);
	assert_int_equal(store_txn_get(t, "rollups", "gone", 4, &v, &vlen),
	    MSOSYNC_ENOTFOUND);
	assert_int_equal(store_txn_del(t, "rollups", "gone", 4),
	    MSOSYNC_ENOTFOUND);
	/* and made again from nothing: one counter, 4 */
	assert_int_equal(store_txn_add_i64(t, "rollups", "gone", 4, &four,
	    1), 0);
	/* a key the cache never held, deleted, then put back */
	assert_int_equal(store_txn_del(t, "rollups", "keep", 4), 0);
	assert_int_equal(store_txn_put(t, "rollups", "keep", 4, "abc", 3),
	    0);
	/* a shorter delta keeps the counters past it */
	assert_int_equal(store_txn_add_i64(t, "rollups", "grow", 4, &ten, 1),
	    0);
	/* zeros still make the key, as they always did */
	assert_int_equal(store_txn_add_i64(t, "rollups", "zero", 4, zero, 2),
	    0);
	/* nothing to add to nothing */
	assert_int_equal(store_txn_add_i64(t, "rollups", "none", 4, zero, 0),
	    MSOSYNC_EINVAL);
	/* put and deleted within the transaction: never reaches the db */
	assert_int_equal(store_txn_put(t, "rollups", "temp", 4, "x", 1), 0);
	assert_int_equal(store_txn_del(t, "rollups", "temp", 4), 0);
	/* a put, then counters added to the value it holds */
	assert_int_equal(store_txn_put(t, "rollups", "five", 4, be5, 8), 0);
	assert_int_equal(store_txn_add_i64(t, "rollups", "five", 4, &ten, 1),
	    0);
	/* the cache written out for the walk: gone five grow keep zero */
	assert_int_equal(store_txn_scan(t, "rollups", NULL, 0, scan_keys, &n),
	    0);
	assert_int_equal(n, 5);
	/* and after it, the db answers */
	assert_int_equal(store_txn_get_i64(t, "rollups", "grow", 4, out, 2),
	    0);
	assert_int_equal(out[0], 11);
	assert_int_equal(out[1], 2);
	return 0;
}

static void
test_cache_put_del(void **state)
{
	struct fx	*fx = *state;
	static const uint8_t	four[8] = { 0, 0, 0, 0, 0, 0, 0, 4 };
	static const uint8_t	grow[16] = { 0, 0, 0, 0, 0, 0, 0, 11,
				    0, 0, 0, 0, 0, 0, 0, 2 };
	static const uint8_t	zero[16] = { 0 };
	static const uint8_t	fifteen[8] = { 0, 0, 0, 0, 0, 0, 0, 15 };
	const struct kv		after[] = {
		{ "gone", (const char *)four, 8 },
		{ "keep", "abc", 3 },
		{ "grow", (const char *)grow, 16 },
		{ "zero", (const char *)zero, 16 },
		{ "five", (const char *)fifteen, 8 },
		{ "none", NULL, 0 },
		{ "temp", NULL, 0 },
		{ NULL, NULL, 0 },
	};

	assert_int_equal(store_write(fx->s, cache_setup, NULL), 0);
	assert_int_equal(store_write(fx->s, cache_ops, NULL), 0);
	assert_int_equal(store_read(fx->s, check_kv, (void *)after), 0);
}

static int
add_to_odd(void *arg, struct store_txn *t, uint32_t site,
    const Msosync__Event *ev)
{
	int64_t	one = 1;

	(void)arg;
	(void)site;
	(void)ev;
	return store_txn_add_i64(t, "rollups", "odd", 3, &one, 1);
}

static int
put_odd(void *arg, struct store_txn *t)
{
	(void)arg;
	return store_txn_put(t, "rollups", "odd", 3, "abc", 3);
}

/*
 * Counters added to a value that is not counters, not read in the
 * transaction: found when the cache is written, and the whole apply is
 * refused with nothing committed.
 */
static void
test_cache_corrupt_at_end(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_batch	 b;
	struct stream		 st;
	struct recs		 rs;
	const struct kv		 odd[] = {
		{ "odd", "abc", 3 }, { NULL, NULL, 0 }
	};

	assert_int_equal(store_write(fx->s, put_odd, NULL), 0);
	store_set_hook(fx->s, add_to_odd, NULL);
	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 5, 1);
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 5, &b), MSOSYNC_ECORRUPT);
	assert_int_equal(b.result, MSOSYNC_ECORRUPT);
	assert_int_equal(b.applied, 0);
	site_info(fx->s, 7, &si);
	assert_int_equal(si.hwm, 0);
	assert_int_equal(count_events(fx->s, 7), 0);
	assert_int_equal(store_read(fx->s, check_kv, (void *)odd), 0);
	/* the store goes on */
	store_set_hook(fx->s, NULL, NULL);
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 5, &b), 0);
	assert_int_equal(b.applied, 5);
	verify_clean(fx->s, 5);
	recs_free(&rs);
}

#define BOUND_KEYS	100

static const char	long_key[] =
    "a key long enough to cover where the cache held what it gave";

static int
put_a(void *arg, struct store_txn *t)
{
	(void)arg;
	return store_txn_put(t, "rollups", "a", 1, "0123456789", 10);
}

/*
 * BOUND_KEYS keys, each added to twice, and "same" added to every time,
 * through a cache of 4 keys; a value store_txn_get gave, put under a new
 * key just as the cache is full, is copied before the cache is emptied
 * (and its memory reused for that key).
 */
static int
bound_ops(void *arg, struct store_txn *t)
{
	const void	*v;
	size_t		 vlen;
	char		 key[16];
	int64_t		 d[2], one = 1;
	int		 rc;

	(void)arg;
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < BOUND_KEYS; i++) {
			snprintf(key, sizeof(key), "k%03d", i);
			d[0] = i;
			d[1] = round + 1;
			if ((rc = store_txn_add_i64(t, "rollups", key,
			    strlen(key), d, 2)) != 0 ||
			    (rc = store_txn_add_i64(t, "rollups", "same", 4,
			    &one, 1)) != 0)
				return rc;
		}
	/* k098 same k099 held: "x" fills the cache, "y" empties it */
	assert_int_equal(store_txn_put(t, "rollups", "x", 1, "1", 1), 0);
	assert_int_equal(store_txn_put(t, "rollups", "y", 1, "2", 1), 0);
	assert_int_equal(store_txn_get(t, "rollups", "a", 1, &v, &vlen), 0);
	assert_int_equal(store_txn_put(t, "rollups", "z", 1, v, vlen), 0);
	assert_int_equal(store_txn_put(t, "rollups", "w", 1, "4", 1), 0);
	/* y a z w: the long key makes room, over where v was */
	assert_int_equal(store_txn_put(t, "rollups", long_key,
	    sizeof(long_key) - 1, v, vlen), 0);
	return 0;
}

static int
check_bound(void *arg, struct store_txn *t)
{
	char	key[16];
	int64_t	v[2];

	(void)arg;
	for (int i = 0; i < BOUND_KEYS; i++) {
		snprintf(key, sizeof(key), "k%03d", i);
		assert_int_equal(store_txn_get_i64(t, "rollups", key,
		    strlen(key), v, 2), 0);
		assert_int_equal(v[0], 2 * i);
		assert_int_equal(v[1], 3);
	}
	assert_int_equal(store_txn_get_i64(t, "rollups", "same", 4, v, 1), 0);
	assert_int_equal(v[0], 2 * BOUND_KEYS);
	return 0;
}

static void
test_cache_bound(void **state)
{
	struct fx			*fx = *state;
	struct store_cache_stats	 cs;
	const struct kv			 copies[] = {
		{ "z", "0123456789", 10 }, { long_key, "0123456789", 10 },
		{ NULL, NULL, 0 }
	};

	assert_int_equal(store_write(fx->s, put_a, NULL), 0);
	store_set_cache_max(fx->s, 4);
	assert_int_equal(store_write(fx->s, bound_ops, NULL), 0);
	store_cache_stats(fx->s, &cs);
	/*
	 * A write-out every third k key ("same" is the fourth): 33 a round,
	 * then one at "y" and one at the long key.
	 */
	assert_int_equal(cs.early, 68);
	assert_int_equal(cs.flushes, cs.early + 2);
	assert_int_equal(store_read(fx->s, check_bound, NULL), 0);
	assert_int_equal(store_read(fx->s, check_kv, (void *)copies), 0);
	/* the default again: the same work, one write-out */
	store_set_cache_max(fx->s, 0);
	assert_int_equal(store_write(fx->s, bound_ops, NULL), 0);
	store_cache_stats(fx->s, &cs);
	assert_int_equal(cs.early, 68);
	assert_int_equal(cs.flushes, cs.early + 3);
}

struct scan {
	uint64_t	n;
	uint64_t	last_seq;
	uint32_t	sites;		/* bit per site id < 32 */
	uint32_t	ords;		/* bit per epoch ordinal < 32 */
	int		bad;
	uint64_t	stop_at;
};

static int
scan_event(void *arg, uint32_t site, uint32_t ord, uint64_t seq,
    const void *event, size_t len)
{
	struct scan	*sc = arg;
	Msosync__Event	*ev;

	ev = msosync__event__unpack(NULL, len, event);
	if (ev == NULL || ev->site_id != site || ev->seq != seq)
		sc->bad++;
	if (ev != NULL)
		msosync__event__free_unpacked(ev, NULL);
	sc->n++;
	sc->last_seq = seq;
	sc->sites |= 1u << (site & 31);
	sc->ords |= 1u << (ord & 31);
	return sc->n == sc->stop_at ? 7 : 0;
}

static void
test_scan_events(void **state)
{
	struct fx		*fx = *state;
	struct store_batch	 b[2];
	struct stream		 a, c;
	struct recs		 ra, rc, replay;
	struct scan		 sc;

	stream_init(&a, 7, 0xa1);
	stream_init(&c, 9, 0xc3);
	hello_ok(fx->s, &a, 0, 0);
	hello_ok(fx->s, &c, 0, 0);
	build(&a, &ra, 30, 1);
	build(&c, &rc, 20, 1);
	batch(&b[0], &a, &ra, 0, 30);
	batch(&b[1], &c, &rc, 0, 20);
	assert_int_equal(store_apply(fx->s, b, 2), 0);
	/* Site 7 anew: 10 replayed (dups, not events), 5 new. */
	stream_new_epoch(&a, 0xb2);
	hello_ok(fx->s, &a, 0, 1);
	recs_free(&ra);
	build(&a, &replay, 10, 1);
	build(&a, &ra, 5, 100);
	assert_int_equal(apply1(fx->s, &a, &replay, 0, 10, &b[0]), 0);
	assert_int_equal(apply1(fx->s, &a, &ra, 0, 5, &b[0]), 0);

	memset(&sc, 0, sizeof(sc));
	assert_int_equal(store_scan_events(fx->s, 7, scan_event, &sc), 0);
	assert_int_equal(sc.n, 35);
	assert_int_equal(sc.bad, 0);
	assert_int_equal(sc.sites, 1u << 7);
	assert_int_equal(sc.ords, 1u << 1 | 1u << 2);
	assert_int_equal(sc.last_seq, 15);
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(store_scan_events(fx->s, 0, scan_event, &sc), 0);
	assert_int_equal(sc.n, 55);
	assert_int_equal(sc.sites, 1u << 7 | 1u << 9);
	memset(&sc, 0, sizeof(sc));
	sc.stop_at = 3;
	assert_int_equal(store_scan_events(fx->s, 9, scan_event, &sc), 7);
	assert_int_equal(sc.n, 3);
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(store_scan_events(fx->s, 8, scan_event, &sc), 0);
	assert_int_equal(sc.n, 0);
	recs_free(&ra);
	recs_free(&rc);
	recs_free(&replay);
}

static void
test_reopen_persists(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_batch	 b;
	struct stream		 st;
	struct recs		 rs, more;

	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 40, 1);
	rs.r[30].event.data[rs.r[30].event.len - 1] ^= 0x01;
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 40, &b), 0);
	assert_int_equal(b.result, MSOSYNC_ECHAIN);
	assert_int_equal(store_resume(fx->s, 7, "checked with the clinic"), 0);
	assert_int_equal(apply1(fx->s, &st, &rs, 30, 10, &b), 0);
	assert_int_equal(b.result, 0);
	stream_new_epoch(&st, 0xb2);
	hello_ok(fx->s, &st, 0, 1);
	build(&st, &more, 10, 5);	/* ids 5..14: 5..14 held already */
	assert_int_equal(apply1(fx->s, &st, &more, 0, 10, &b), 0);
	assert_int_equal(b.duplicates, 10);

	store_close(&fx->s);
	assert_null(fx->s);
	assert_int_equal(store_open(fx->dir, 64 * MIB, &fx->s), 0);

	site_info(fx->s, 7, &si);
	assert_int_equal(si.epoch_ord, 2);
	assert_memory_equal(si.epoch, st.epoch, STORE_EPOCH_LEN);
	assert_int_equal(si.hwm, 10);
	assert_memory_equal(si.head_hash, st.head, CHAIN_HASH_LEN);
	assert_int_equal(si.events, 40);
	assert_int_equal(si.duplicates, 10);
	assert_int_equal(si.chain_broken, 0);
	assert_int_equal(si.nalerts, 3);
	assert_string_equal(si.alerts[0].kind, "chain_mismatch");
	assert_string_equal(si.alerts[1].kind, "resumed");
	assert_string_equal(si.alerts[2].kind, "epoch_changed");
	assert_int_equal(count_events(fx->s, 7), 40);
	hello_ok(fx->s, &st, 10, 0);
	/* The anchor of the resume survived too. */
	verify_clean(fx->s, 50);
	recs_free(&rs);
	recs_free(&more);
}

static void
test_alerts_bounded(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct stream		 st;

	stream_init(&st, 7, 0);
	hello_ok(fx->s, &st, 0, 0);
	for (unsigned i = 1; i <= STORE_ALERTS_MAX + 5; i++) {
		stream_new_epoch(&st, (uint8_t)i);
		hello_ok(fx->s, &st, 0, 1);
	}
	site_info(fx->s, 7, &si);
	assert_int_equal(si.epoch_ord, STORE_ALERTS_MAX + 6);
	assert_int_equal(si.nalerts, STORE_ALERTS_MAX);
	/* The newest kept, oldest first. */
	assert_non_null(strstr(si.alerts[STORE_ALERTS_MAX - 1].message,
	    "(ordinal 26)"));
	assert_non_null(strstr(si.alerts[0].message, "(ordinal 7)"));
	verify_clean(fx->s, 0);
}

static void
test_full(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_batch	 b;
	struct stream		 st;
	struct recs		 rs;
	struct counters		 c;
	uint64_t		 applied = 0;
	int			 rc = 0;

	store_close(&fx->s);
	snprintf(fx->dir, sizeof(fx->dir), "%s/small", fx->root);
	assert_int_equal(store_open(fx->dir, 2 * MIB, &fx->s), 0);
	assert_int_equal(store_max_bytes(fx->s), 2 * MIB);
	assert_true(store_bytes(fx->s) < 256 * 1024);
	store_set_hook(fx->s, hook, NULL);
	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);

	/* 200-event batches of ~200 bytes until the budget says no. */
	for (int i = 0; i < 200 && rc == 0; i++) {
		struct stream	before = st;

		build_as(&st, &rs, 200, applied + 1, 7, 200);
		rc = apply1(fx->s, &st, &rs, 0, 200, &b);
		if (rc == 0) {
			assert_int_equal(b.result, 0);
			assert_int_equal(b.applied, 200);
			applied += 200;
		} else {
			assert_int_equal(b.result, MSOSYNC_EFULL);
			assert_int_equal(b.applied, 0);
			assert_int_equal(b.acked_seq, 0);
			st = before;	/* the agent sends it again */
		}
		recs_free(&rs);
	}
	assert_int_equal(rc, MSOSYNC_EFULL);
	assert_true(applied >= 2000);
	/*
	 * The map starts at an eighth of the budget (256 KiB here): pages in
	 * use past 1 MiB mean it grew, transaction redone each time.
	 */
	assert_true(store_bytes(fx->s) > MIB);
	assert_true(store_bytes(fx->s) <= 2 * MIB);

	/* Everything before is there, with its aggregates counted once. */
	site_info(fx->s, 7, &si);
	assert_int_equal(si.hwm, applied);
	assert_int_equal(si.events, applied);
	assert_int_equal(count_events(fx->s, 7), applied);
	memset(&c, 0, sizeof(c));
	c.site = 7;
	assert_int_equal(store_read(fx->s, read_counters, &c), -EROFS);
	assert_int_equal(c.v[0], (int64_t)applied);
	assert_true(hk.calls >= applied);
	verify_clean(fx->s, applied);

	/* A full store still answers hello and an operator. */
	hello_ok(fx->s, &st, applied, 0);

	/* And a bigger budget takes it further. */
	store_close(&fx->s);
	assert_int_equal(store_open(fx->dir, MIB, &fx->s), MSOSYNC_EFULL);
	assert_null(fx->s);
	assert_int_equal(store_open(fx->dir, 8 * MIB, &fx->s), 0);
	build_as(&st, &rs, 200, applied + 1, 7, 200);
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 200, &b), 0);
	assert_int_equal(b.applied, 200);
	recs_free(&rs);
	verify_clean(fx->s, applied + 200);
}

static void
test_commit_faults(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_batch	 b;
	struct stream		 st;
	struct recs		 rs;
	struct counters		 c;

	store_set_hook(fx->s, hook, NULL);
	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 30, 1);

	/* MDB_MAP_FULL from the commit: grow, redo the whole txn. */
	fault.rc = MDB_MAP_FULL;
	fault.times = 1;
	fault.commits = 0;
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 10, &b), 0);
	assert_int_equal(fault.commits, 2);
	assert_int_equal(b.applied, 10);
	assert_int_equal(hk.calls, 20);		/* ran twice ... */
	memset(&c, 0, sizeof(c));
	c.site = 7;
	assert_int_equal(store_read(fx->s, read_counters, &c), -EROFS);
	assert_int_equal(c.v[0], 10);		/* ... counted once */

	/* An fsync error: never acked, and the store stops writing. */
	fault.rc = EIO;
	fault.times = 1;
	assert_int_equal(apply1(fx->s, &st, &rs, 10, 10, &b), MSOSYNC_EPANIC);
	assert_int_equal(b.result, MSOSYNC_EPANIC);
	assert_int_equal(b.applied, 0);
	assert_int_equal(apply1(fx->s, &st, &rs, 10, 10, &b), MSOSYNC_EPANIC);
	assert_int_equal(store_resume(fx->s, 7, "x"), MSOSYNC_EPANIC);
	{
		uint8_t		hash[CHAIN_HASH_LEN];
		uint64_t	acked;
		int		changed;

		assert_int_equal(store_hello(fx->s, 7, st.epoch, &acked, hash,
		    &changed), MSOSYNC_EPANIC);
	}

	/* Restarted by its supervisor: what was acked is all there is. */
	store_close(&fx->s);
	assert_int_equal(store_open(fx->dir, 64 * MIB, &fx->s), 0);
	site_info(fx->s, 7, &si);
	assert_int_equal(si.hwm, 10);
	assert_int_equal(count_events(fx->s, 7), 10);
	assert_int_equal(apply1(fx->s, &st, &rs, 10, 20, &b), 0);
	assert_int_equal(b.applied, 20);
	verify_clean(fx->s, 30);

	/* MDB_PANIC from the commit: the same verdict. */
	assert_int_equal(store_resume(fx->s, 7, "x"), MSOSYNC_EINVAL);
	fault.rc = MDB_PANIC;
	fault.times = 1;
	{
		uint8_t		hash[CHAIN_HASH_LEN];
		uint64_t	acked;
		int		changed;

		assert_int_equal(store_hello(fx->s, 7, st.epoch, &acked, hash,
		    &changed), MSOSYNC_EPANIC);
	}
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 1, &b), MSOSYNC_EPANIC);
	recs_free(&rs);
}

/* Flip one byte in every copy of 'pat' in the file (COW keeps old ones). */
static int
corrupt_file(const char *path, const char *pat)
{
	struct stat	 sb;
	uint8_t		*buf, *p;
	size_t		 plen = strlen(pat);
	int		 fd, hits = 0;

	if ((fd = open(path, O_RDWR)) == -1 || fstat(fd, &sb) == -1)
		return -1;
	buf = malloc((size_t)sb.st_size);
	if (buf == NULL ||
	    pread(fd, buf, (size_t)sb.st_size, 0) != sb.st_size) {
		free(buf);
		close(fd);
		return -1;
	}
	for (p = buf; (p = memmem(p, (size_t)sb.st_size - (size_t)(p - buf),
	    pat, plen)) != NULL; p += plen) {
		uint8_t	c = p[1] ^ 0x20;

		if (pwrite(fd, &c, 1, (off_t)(p - buf) + 1) != 1)
			hits = -1000;
		hits++;
	}
	free(buf);
	close(fd);
	return hits;
}

static void
test_verify_corrupt(void **state)
{
	struct fx		*fx = *state;
	struct store_batch	 b;
	struct stream		 st;
	struct recs		 rs;
	struct problems		 p;
	uint64_t		 checked = 0;
	char			 path[256];

	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 60, 1);
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 60, &b), 0);
	verify_clean(fx->s, 60);
	store_close(&fx->s);

	/* Rot in seq 37's event bytes. */
	snprintf(path, sizeof(path), "%s/data.mdb", fx->dir);
	assert_true(corrupt_file(path, "<sku-7-37>") >= 1);
	assert_int_equal(store_open(fx->dir, 64 * MIB, &fx->s), 0);

	memset(&p, 0, sizeof(p));
	assert_int_equal(store_verify(fx->s, collect, &p, &checked),
	    MSOSYNC_ECHAIN);
	assert_int_equal(checked, 60);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.site, 7);
	assert_int_equal(p.ord, 1);
	assert_int_equal(p.seq, 37);
	assert_string_equal(p.first, "hash mismatch");
	/* Without a report function, the verdict alone. */
	assert_int_equal(store_verify(fx->s, NULL, NULL, NULL),
	    MSOSYNC_ECHAIN);
	recs_free(&rs);
}

/* Delete one record of the events db behind the store's back. */
static void
delete_record(const char *dir, uint32_t site, uint32_t ord, uint64_t seq)
{
	MDB_env	*env;
	MDB_txn	*txn;
	MDB_dbi	 dbi;
	MDB_val	 k;
	uint8_t	 key[16];

	for (int i = 0; i < 4; i++) {
		key[i] = (uint8_t)(site >> (24 - 8 * i));
		key[4 + i] = (uint8_t)(ord >> (24 - 8 * i));
	}
	for (int i = 0; i < 8; i++)
		key[8 + i] = (uint8_t)(seq >> (56 - 8 * i));
	k.mv_data = key;
	k.mv_size = sizeof(key);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "events", 0, &dbi), 0);
	assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void
report_all(void *arg, uint32_t site, uint32_t ord, uint64_t seq,
    const char *problem)
{
	char	*out = arg;
	size_t	 n = strlen(out);

	snprintf(out + n, 1024 - n, "%u/%u/%" PRIu64 " %s\n", (unsigned)site,
	    (unsigned)ord, seq, problem);
}

static void
test_verify_missing(void **state)
{
	struct fx		*fx = *state;
	struct store_batch	 b;
	struct stream		 st;
	struct recs		 rs;
	uint64_t		 checked = 0;
	char			 out[1024] = "";

	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	build(&st, &rs, 30, 1);
	assert_int_equal(apply1(fx->s, &st, &rs, 0, 30, &b), 0);
	store_close(&fx->s);
	delete_record(fx->dir, 7, 1, 12);
	delete_record(fx->dir, 7, 1, 30);
	assert_int_equal(store_open(fx->dir, 64 * MIB, &fx->s), 0);
	assert_int_equal(store_verify(fx->s, report_all, out, &checked),
	    MSOSYNC_ECHAIN);
	assert_int_equal(checked, 28);
	assert_string_equal(out,
	    "7/1/13 seqs 12 to 12 are missing\n"
	    "7/1/29 the epoch ends at seq 29 but the site's mark is 30\n"
	    "7/0/0 holds 28 events, the state counts 30\n");
	recs_free(&rs);
}

static void
test_open_errors(void **state)
{
	struct fx	*fx = *state;
	struct store	*s = (struct store *)&s;
	char		 path[256];

	assert_int_equal(store_open(fx->dir, 1024, &s), MSOSYNC_EINVAL);
	assert_null(s);
	snprintf(path, sizeof(path), "%s/no/such/dir", fx->root);
	assert_int_equal(store_open(path, 64 * MIB, &s), -ENOENT);
	assert_null(s);
	store_close(&s);	/* NULL-safe */
	store_close(NULL);

	/* Somebody else's LMDB (a journal's "ids"): not taken over. */
	{
		MDB_env	*env;
		MDB_txn	*txn;
		MDB_dbi	 dbi;
		MDB_val	 k = { .mv_size = 4, .mv_data = "pos1" };
		MDB_val	 v = { .mv_size = 1, .mv_data = "x" };

		snprintf(path, sizeof(path), "%s/journal", fx->root);
		assert_int_equal(mkdir(path, 0700), 0);
		assert_int_equal(mdb_env_create(&env), 0);
		assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
		assert_int_equal(mdb_env_open(env, path, 0, 0600), 0);
		assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
		assert_int_equal(mdb_dbi_open(txn, "ids", MDB_CREATE, &dbi), 0);
		assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
		assert_int_equal(mdb_txn_commit(txn), 0);
		mdb_env_close(env);
		assert_int_equal(store_open(path, 64 * MIB, &s),
		    MSOSYNC_ECORRUPT);
		assert_null(s);
	}
}

/*
 * Durable apply throughput: ~200-byte events in batches of 2000, 8
 * batches per call (one commit each), building excluded from the time.
 * The default count passes CHUNK, so verify and count renew their read
 * snapshots on the way.
 */
static void
test_throughput(void **state)
{
	struct fx		*fx = *state;
	struct store_site_info	 si;
	struct store_batch	 b[8];
	struct stream		 st;
	struct recs		 rs;
	const char		*env = getenv("MSOSYNC_BENCH_EVENTS");
	uint64_t		 total = 128000, checked = 0;
	double			 t, spent = 0, vt;
	size_t			 bytes = 0, nb, commits = 0;

	if (env != NULL && atoll(env) >= 2000)
		total = (uint64_t)atoll(env) / 2000 * 2000;
	store_close(&fx->s);
	assert_int_equal(store_open(fx->dir, (size_t)4096 * MIB, &fx->s), 0);
	stream_init(&st, 7, 0xa1);
	hello_ok(fx->s, &st, 0, 0);
	for (uint64_t done = 0; done < total; done += nb * 2000) {
		nb = total - done >= 16000 ? 8 : (size_t)(total - done) / 2000;
		build_as(&st, &rs, nb * 2000, done + 1, 7, 200);
		for (size_t i = 0; i < nb; i++)
			batch(&b[i], &st, &rs, i * 2000, 2000);
		if (done == 0)
			bytes = rs.r[0].event.len;
		t = testutil_now_s();
		assert_int_equal(store_apply(fx->s, b, nb), 0);
		spent += testutil_now_s() - t;
		commits++;
		for (size_t i = 0; i < nb; i++) {
			assert_int_equal(b[i].result, 0);
			assert_int_equal(b[i].applied, 2000);
		}
		recs_free(&rs);
	}
	site_info(fx->s, 7, &si);
	assert_int_equal(si.hwm, total);
	assert_int_equal(si.events, total);
	assert_int_equal(count_events(fx->s, 7), total);
	{
		struct scan	sc;

		memset(&sc, 0, sizeof(sc));
		assert_int_equal(store_scan_events(fx->s, 7, scan_event, &sc),
		    0);
		assert_int_equal(sc.n, total);
		assert_int_equal(sc.last_seq, total);
		assert_int_equal(sc.bad, 0);
	}
	t = testutil_now_s();
	assert_int_equal(store_verify(fx->s, NULL, NULL, &checked), 0);
	vt = testutil_now_s() - t;
	assert_int_equal(checked, total);
	fprintf(stderr, "store: applied %" PRIu64 " events of %zu bytes in "
	    "%.2f s: %.0f events/s durable (%.0f commits/s); store %zu MiB; "
	    "verify %.0f records/s\n", total, bytes, spent,
	    (double)total / spent, (double)commits / spent,
	    store_bytes(fx->s) / MIB, (double)total / vt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_new_site, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_apply_basic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retransmit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_mismatch_resume,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepared_apart, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_apply_on_thread, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wrong_site, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_records, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_new_epoch_replay, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_two_sites_one_call, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_same_site_batches, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accessors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cache_reads_pending, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cache_put_del, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cache_corrupt_at_end,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_bound, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_scan_events, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reopen_persists, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_alerts_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_faults, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_verify_corrupt, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_verify_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_throughput, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
