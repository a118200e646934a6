/*
 * The hub's store (store.h): the LMDB environment of DATA_DIR/hub, the
 * exactly-once apply of the sites' records (mark, chain, dedupe) and the
 * recheck of everything stored. This file owns that environment, its map
 * size policy, the sites' persistent state (proto/store.proto) and the
 * translation of LMDB's codes into msosync ones. Only the hub's event
 * loop thread calls it.
 *
 * Group commit: store_apply runs every batch it is given in one write
 * transaction. Each site's state is read once per call into a small
 * cache, changed there, and written once before the commit, so the
 * transaction can be thrown away and redone from the caller's inputs
 * whenever the map has to grow.
 *
 * The aggregate dbs are written the same way: a write transaction's
 * store_txn accessors go through a write-back cache (struct wcache) that
 * sums counter deltas and keeps every value read or written, and the
 * touched keys are written once each, in key order, just before the
 * commit. The hook bumps the same day and month keys for every event of
 * a batch; without the cache each bump is a get, a copy and a put.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include "msosync/error.h"
#include "clock.h"
#include "log.h"
#include "arena.h"
#include "be.h"
#include "store.h"
#include "wcache.h"
#include "store.pb-c.h"
#include "xmalloc.h"

#define FORMAT		1
#define KEY_LEN		16			/* site || ordinal || seq */
#define IDV_LEN		12			/* ordinal || seq */
#define MAXDBS		16			/* room for later aggregates */
#define MAP_START_MAX	((size_t)64 << 20)
#define MAP_START_MIN_PAGES	16
#define RESERVE_MAX	((size_t)8 << 20)
#define RESERVE_PAGES	16
#define CHUNK		100000			/* records per read txn */
#define NAGG		3
#define MAXKEY		512			/* LMDB: keys up to 511 bytes */

/* Replication invariants stay checked in release builds. */
#define INVARIANT(c)	((c) ? (void)0 : invariant(#c, __func__, __LINE__))

static const char *const agg_names[NAGG] = {
	"rollups", "contracts", "clients"
};

struct store {
	MDB_env		*env;
	MDB_dbi		 events;
	MDB_dbi		 ids;
	MDB_dbi		 dups;
	MDB_dbi		 sites;
	MDB_dbi		 meta;
	MDB_dbi		 agg[NAGG];
	size_t		 max_bytes;	/* the budget, whole pages */
	size_t		 apply_max;	/* the budget less the reserve */
	size_t		 mapsize;
	unsigned	 snapshots;	/* our read txns open now */
	/*
	 * Held by every write transaction, and around every change of the
	 * map's size: store_apply_run's transaction runs on a thread of
	 * its own, the other writes on the caller's.
	 */
	pthread_mutex_t	 wmu;
	int		 broken;	/* a write failed: refuse all writes */
	store_hook_fn	 hook;
	void		*hook_arg;
	struct wcache	 wc;
	struct arena	 evmem;		/* batches store_apply prepares */
	ProtobufCAllocator pb;		/* allocates from evmem */
};

struct store_txn {
	struct store	*s;
	MDB_txn		*txn;
	struct wcache	*wc;		/* NULL: straight to LMDB */
	int		 rdonly;
	int		 mdb_rc;	/* first hard LMDB failure: dead txn */
};

struct anchor {
	uint32_t	 epoch;
	uint64_t	 seq;
};

struct alert {
	int64_t		 at_ms;
	char		*kind;
	char		*message;
};

/* A site's state, decoded: what store.proto's SiteState says. */
struct site {
	uint32_t	 id;
	int		 found;		/* the db held a state */
	int		 bad;		/* it held one that does not decode */
	int		 dirty;
	uint32_t	 epoch;		/* == nepochs once found */
	uint8_t		(*epochs)[STORE_EPOCH_LEN];
	size_t		 nepochs;
	uint64_t	 hwm;
	uint8_t		 head[CHAIN_HASH_LEN];
	uint64_t	 events;
	uint64_t	 dups;
	int		 chain_broken;
	uint64_t	 broken_seq;
	int		 resync;
	struct anchor	*anchors;
	size_t		 nanchors;
	int64_t		 last_seen;
	struct alert	*alerts;	/* oldest first */
	size_t		 nalerts;
};

typedef int (*txn_fn)(struct store *, MDB_txn *, void *);

static void	invariant(const char *, const char *, int)
		    __attribute__((noreturn));

static void
invariant(const char *what, const char *func, int line)
{
	log_error("store: invariant failed in %s:%d: %s", func, line, what);
	abort();
}

static MDB_val
val(const void *p, size_t len)
{
	MDB_val	v = { .mv_size = len, .mv_data = (void *)p };

	return v;
}

static void
mkkey(uint8_t k[KEY_LEN], uint32_t site, uint32_t ord, uint64_t seq)
{
	put32(k, site);
	put32(k + 4, ord);
	put64(k + 8, seq);
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	static const char	digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/*
 * The module boundary: LMDB's codes become msosync ones here, and only
 * here. Values that are already -errno or MSOSYNC_E* pass unchanged.
 */
static int
xlate(int rc)
{
	if (rc < 0 && (rc < MDB_KEYEXIST || rc > MDB_LAST_ERRCODE))
		return rc;
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return MSOSYNC_ENOTFOUND;
	case MDB_MAP_FULL:
		return MSOSYNC_EFULL;
	case MDB_TXN_FULL:
		return MSOSYNC_ETOOBIG;
	case MDB_KEYEXIST:
	case MDB_BAD_VALSIZE:
		return MSOSYNC_EINVAL;
	case MDB_CORRUPTED:
	case MDB_INVALID:
	case MDB_PAGE_NOTFOUND:
	case MDB_PAGE_FULL:
	case MDB_VERSION_MISMATCH:
	case MDB_INCOMPATIBLE:
		return MSOSYNC_ECORRUPT;
	case MDB_READERS_FULL:
	case MDB_TLS_FULL:
		return -EAGAIN;
	case MDB_MAP_RESIZED:
		return -EBUSY;
	case MDB_PANIC:
	case EIO:
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return MSOSYNC_EPANIC;
	default:
		break;
	}
	/* An errno of LMDB's, or a code (MDB_BAD_TXN ...) of a dead env. */
	return rc > 0 ? -rc : MSOSYNC_EPANIC;
}

static int
refresh_mapsize(struct store *s)
{
	MDB_envinfo	info;
	int		rc;

	if ((rc = mdb_env_info(s->env, &info)) != 0)
		return rc;
	s->mapsize = info.me_mapsize;
	return 0;
}

/*
 * Double the map, or take what is left up to 'limit'. A remap moves every
 * pointer into the map, so not while one of our read txns is open.
 */
static int
grow(struct store *s, size_t limit)
{
	size_t	next;
	int	rc;

	if (s->mapsize >= limit || s->snapshots > 0)
		return MDB_MAP_FULL;
	next = s->mapsize > limit / 2 ? limit : s->mapsize * 2;
	if ((rc = mdb_env_set_mapsize(s->env, next)) != 0)
		return rc;
	return refresh_mapsize(s);
}

/*
 * A store_apply may find the map grown into the reserve by a hello or a
 * resume: bring it back to apply_max first (never below what is in use).
 */
static int
fit_map(struct store *s, size_t limit)
{
	size_t	used;
	int	rc;

	if (s->mapsize <= limit || s->snapshots > 0)
		return 0;
	used = store_bytes(s);
	if (used < limit)
		used = limit;
	if (used >= s->mapsize)
		return 0;
	if ((rc = mdb_env_set_mapsize(s->env, used)) != 0)
		return rc;
	return refresh_mapsize(s);
}

/* fn in one write transaction, and its commit: 0 or an LMDB code. */
static int
txn_once(struct store *s, txn_fn fn, void *arg)
{
	MDB_txn	*txn = NULL;
	int	 rc;

	if (s->broken)
		return MDB_PANIC;
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) == 0 &&
	    (rc = fn(s, txn, arg)) == 0) {
		rc = mdb_txn_commit(txn);	/* frees txn, always */
		txn = NULL;
	}
	mdb_txn_abort(txn);
	return rc;
}

/*
 * A write's outcome in msosync terms. A system error is a failed write
 * or fsync: the kernel may not report lost pages twice, so this file is
 * not to be trusted again. Under wmu.
 */
static int
txn_result(struct store *s, int rc)
{
	if (rc > 0 && rc != ENOMEM)
		rc = MDB_PANIC;
	rc = xlate(rc);
	if (rc == MSOSYNC_EPANIC)
		s->broken = 1;
	return rc;
}

/*
 * Run fn in a write transaction and commit it. On MDB_MAP_FULL, from a
 * put or the commit, the transaction is dropped, the map grows (up to
 * 'limit') and fn runs again from the start; fn therefore recomputes
 * everything it outputs, and its caller publishes it only after 0.
 * With 'fit', the map is first brought back to apply_max (fit_map).
 */
static int
write_txn(struct store *s, size_t limit, int fit, txn_fn fn, void *arg)
{
	int	rc;

	pthread_mutex_lock(&s->wmu);
	if (fit && (rc = fit_map(s, s->apply_max)) != 0)
		rc = xlate(rc);		/* no write was tried */
	else {
		while ((rc = txn_once(s, fn, arg)) == MDB_MAP_FULL &&
		    (rc = grow(s, limit)) == 0)
			;
		rc = txn_result(s, rc);
	}
	pthread_mutex_unlock(&s->wmu);
	return rc;
}

/* A delta entry: read the key once, add, write it back in place. */
static int
flush_delta(struct wcache *wc, MDB_cursor *c, const struct wentry *e)
{
	MDB_val	k = val(e->key, e->klen), d, v;
	size_t	have = 0, m;
	int	rc;

	rc = mdb_cursor_get(c, &k, &d, MDB_SET);
	if (rc == 0) {
		if (d.mv_size % 8 != 0)
			return MSOSYNC_ECORRUPT;
		have = d.mv_size / 8;
	} else if (rc != MDB_NOTFOUND)
		return rc;
	m = have > e->len ? have : e->len;
	if (m * 8 > wc->bufcap) {
		wc->bufcap = m * 8 > 4096 ? m * 8 : 4096;
		free(wc->buf);
		wc->buf = xmalloc(wc->bufcap);
	}
	/* d points into the map: summed into buf before the put. */
	wc_sum(wc->buf, have > 0 ? d.mv_data : NULL, have,
	    (const int64_t *)(const void *)e->val, e->len);
	v = val(wc->buf, m * 8);
	k = val(e->key, e->klen);
	return mdb_cursor_put(c, &k, &v, rc == 0 && have == m ?
	    MDB_CURRENT : 0);
}

static int
flush_value(MDB_cursor *c, const struct wentry *e)
{
	MDB_val	k = val(e->key, e->klen), d;
	int	rc;

	if (e->present) {
		d = val(e->len > 0 ? e->val : (const void *)"", e->len);
		return mdb_cursor_put(c, &k, &d, 0);
	}
	if ((rc = mdb_cursor_get(c, &k, &d, MDB_SET)) == 0)
		rc = mdb_cursor_del(c, 0);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/*
 * Write every changed key, in (db, key) order, one cursor per db: LMDB
 * finds a key next to the last one without a search from the root. The
 * cache is empty afterwards, whatever happened. Returns 0, an LMDB code,
 * or MSOSYNC_ECORRUPT (a delta for a value that is not counters).
 */
static int
wc_flush(struct store *s, MDB_txn *txn, struct wcache *wc)
{
	MDB_cursor	*c = NULL;
	struct wentry	*e;
	size_t		 m = 0;
	int		 db = -1, rc = 0;

	for (size_t i = 0; i < wc->n; i++)
		if (wc->e[i].kind == WC_DELTA || wc->e[i].dirty)
			wc->order[m++] = &wc->e[i];
	if (m > 1)
		qsort(wc->order, m, sizeof(*wc->order), wc_cmp);
	for (size_t i = 0; i < m && rc == 0; i++) {
		e = wc->order[i];
		if (e->db != db) {
			mdb_cursor_close(c);
			c = NULL;
			db = e->db;
			if ((rc = mdb_cursor_open(txn, s->agg[db], &c)) != 0)
				break;
		}
		rc = e->kind == WC_DELTA ? flush_delta(wc, c, e) :
		    flush_value(c, e);
	}
	mdb_cursor_close(c);
	if (wc->n > 0)
		wc->flushes++;
	wc_reset(wc);
	return rc;
}

static void
site_clear(struct site *st)
{
	free(st->epochs);
	free(st->anchors);
	for (size_t i = 0; i < st->nalerts; i++) {
		free(st->alerts[i].kind);
		free(st->alerts[i].message);
	}
	free(st->alerts);
	memset(st, 0, sizeof(*st));
}

/* Copy a decoded SiteState into st; 0 or -1 when it does not hold. */
static int
site_from(struct site *st, const Msosync__SiteState *ss)
{
	size_t	skip;

	if (ss->epoch == 0 || ss->n_epochs != ss->epoch ||
	    ss->head_hash.len != CHAIN_HASH_LEN)
		return -1;
	st->epoch = ss->epoch;
	st->nepochs = ss->n_epochs;
	st->epochs = xcalloc(st->nepochs, STORE_EPOCH_LEN);
	for (size_t i = 0; i < ss->n_epochs; i++) {
		if (ss->epochs[i].len != STORE_EPOCH_LEN)
			return -1;
		memcpy(st->epochs[i], ss->epochs[i].data, STORE_EPOCH_LEN);
	}
	st->hwm = ss->hwm;
	memcpy(st->head, ss->head_hash.data, CHAIN_HASH_LEN);
	st->events = ss->events;
	st->dups = ss->duplicates_skipped;
	st->chain_broken = ss->chain_broken;
	st->broken_seq = ss->broken_seq;
	st->resync = ss->resync;
	if (ss->n_anchors > 0)
		st->anchors = xcalloc(ss->n_anchors, sizeof(*st->anchors));
	for (size_t i = 0; i < ss->n_anchors; i++) {
		st->anchors[i].epoch = ss->anchors[i]->epoch;
		st->anchors[i].seq = ss->anchors[i]->seq;
	}
	st->nanchors = ss->n_anchors;
	st->last_seen = ss->last_seen_ms;
	if (ss->n_alerts > 0)
		st->alerts = xcalloc(STORE_ALERTS_MAX, sizeof(*st->alerts));
	/* A build that kept more alerts wrote this: keep the newest. */
	skip = ss->n_alerts > STORE_ALERTS_MAX ?
	    ss->n_alerts - STORE_ALERTS_MAX : 0;
	for (size_t i = skip; i < ss->n_alerts; i++) {
		st->alerts[st->nalerts].at_ms = ss->alerts[i]->at_ms;
		st->alerts[st->nalerts].kind = xstrdup(ss->alerts[i]->kind);
		st->alerts[st->nalerts].message =
		    xstrdup(ss->alerts[i]->message);
		st->nalerts++;
	}
	return 0;
}

/*
 * Read a site's state into st (cleared first). A state that does not
 * decode sets st->bad rather than failing, so that the caller decides
 * what it means; only LMDB errors are returned.
 */
static int
site_load(struct store *s, MDB_txn *txn, uint32_t id, struct site *st)
{
	Msosync__SiteState	*ss;
	MDB_val			 k, v;
	uint8_t			 kb[4];
	int			 rc;

	memset(st, 0, sizeof(*st));
	st->id = id;
	put32(kb, id);
	k = val(kb, sizeof(kb));
	if ((rc = mdb_get(txn, s->sites, &k, &v)) != 0)
		return rc == MDB_NOTFOUND ? 0 : rc;
	st->found = 1;
	ss = msosync__site_state__unpack(NULL, v.mv_size, v.mv_data);
	if (ss == NULL || site_from(st, ss) != 0) {
		site_clear(st);
		st->id = id;
		st->found = 1;
		st->bad = 1;
	}
	if (ss != NULL)
		msosync__site_state__free_unpacked(ss, NULL);
	return 0;
}

static int
site_save(struct store *s, MDB_txn *txn, const struct site *st)
{
	Msosync__SiteState		 ss = MSOSYNC__SITE_STATE__INIT;
	Msosync__SiteState__Anchor	*an = NULL, **anp = NULL;
	Msosync__SiteState__Alert	*al = NULL, **alp = NULL;
	ProtobufCBinaryData		*ep;
	MDB_val				 k, v;
	uint8_t				 kb[4];
	int				 rc;

	INVARIANT(st->found && !st->bad && st->epoch == st->nepochs);
	ep = xcalloc(st->nepochs, sizeof(*ep));
	for (size_t i = 0; i < st->nepochs; i++) {
		ep[i].data = (uint8_t *)st->epochs[i];
		ep[i].len = STORE_EPOCH_LEN;
	}
	if (st->nanchors > 0) {
		an = xcalloc(st->nanchors, sizeof(*an));
		anp = xcalloc(st->nanchors, sizeof(*anp));
	}
	for (size_t i = 0; i < st->nanchors; i++) {
		msosync__site_state__anchor__init(&an[i]);
		an[i].epoch = st->anchors[i].epoch;
		an[i].seq = st->anchors[i].seq;
		anp[i] = &an[i];
	}
	if (st->nalerts > 0) {
		al = xcalloc(st->nalerts, sizeof(*al));
		alp = xcalloc(st->nalerts, sizeof(*alp));
	}
	for (size_t i = 0; i < st->nalerts; i++) {
		msosync__site_state__alert__init(&al[i]);
		al[i].at_ms = st->alerts[i].at_ms;
		al[i].kind = st->alerts[i].kind;
		al[i].message = st->alerts[i].message;
		alp[i] = &al[i];
	}
	ss.epoch = st->epoch;
	ss.n_epochs = st->nepochs;
	ss.epochs = ep;
	ss.hwm = st->hwm;
	ss.head_hash.data = (uint8_t *)st->head;
	ss.head_hash.len = CHAIN_HASH_LEN;
	ss.events = st->events;
	ss.duplicates_skipped = st->dups;
	ss.chain_broken = st->chain_broken;
	ss.broken_seq = st->broken_seq;
	ss.resync = st->resync;
	ss.n_anchors = st->nanchors;
	ss.anchors = anp;
	ss.last_seen_ms = st->last_seen;
	ss.n_alerts = st->nalerts;
	ss.alerts = alp;

	put32(kb, st->id);
	k = val(kb, sizeof(kb));
	v = val(NULL, msosync__site_state__get_packed_size(&ss));
	if ((rc = mdb_put(txn, s->sites, &k, &v, MDB_RESERVE)) == 0)
		msosync__site_state__pack(&ss, v.mv_data);
	free(ep);
	free(an);
	free(anp);
	free(al);
	free(alp);
	return rc;
}

static void
add_epoch(struct site *st, const uint8_t epoch[STORE_EPOCH_LEN])
{
	st->epochs = xrealloc(st->epochs, (st->nepochs + 1) * STORE_EPOCH_LEN);
	memcpy(st->epochs[st->nepochs], epoch, STORE_EPOCH_LEN);
	st->nepochs++;
	st->epoch = (uint32_t)st->nepochs;
}

static void
add_anchor(struct site *st, uint32_t epoch, uint64_t seq)
{
	st->anchors = xrealloc(st->anchors,
	    (st->nanchors + 1) * sizeof(*st->anchors));
	st->anchors[st->nanchors].epoch = epoch;
	st->anchors[st->nanchors].seq = seq;
	st->nanchors++;
}

static int
is_anchor(const struct site *st, uint32_t epoch, uint64_t seq)
{
	for (size_t i = 0; i < st->nanchors; i++)
		if (st->anchors[i].epoch == epoch && st->anchors[i].seq == seq)
			return 1;
	return 0;
}

static void	add_alert(struct site *, int64_t, const char *, const char *,
		    ...) __attribute__((format(printf, 4, 5)));

/* Keep the newest STORE_ALERTS_MAX: the oldest goes first. */
static void
add_alert(struct site *st, int64_t at_ms, const char *kind,
    const char *fmt, ...)
{
	char	msg[STORE_ALERT_MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (st->alerts == NULL)
		st->alerts = xcalloc(STORE_ALERTS_MAX, sizeof(*st->alerts));
	if (st->nalerts == STORE_ALERTS_MAX) {
		free(st->alerts[0].kind);
		free(st->alerts[0].message);
		memmove(st->alerts, st->alerts + 1,
		    (STORE_ALERTS_MAX - 1) * sizeof(*st->alerts));
		st->nalerts--;
	}
	st->alerts[st->nalerts].at_ms = at_ms;
	st->alerts[st->nalerts].kind = xstrdup(kind);
	st->alerts[st->nalerts].message = xstrdup(msg);
	st->nalerts++;
	st->dirty = 1;
}

/*
 * A store made by an older build has a "format"; one without it must be
 * empty, or it is not a store (a journal's directory given by mistake).
 */
static int
check_format(struct store *s, MDB_txn *txn)
{
	MDB_stat	st;
	MDB_val		k = val("format", 6), v;
	MDB_dbi		dbs[3] = { s->events, s->ids, s->sites };
	uint8_t		fb[4];
	int		rc;

	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == 0) {
		if (v.mv_size != sizeof(fb))
			return MDB_CORRUPTED;
		return get32(v.mv_data) == FORMAT ? 0 : MSOSYNC_ECONFIG;
	}
	if (rc != MDB_NOTFOUND)
		return rc;
	for (size_t i = 0; i < 3; i++) {
		if ((rc = mdb_stat(txn, dbs[i], &st)) != 0)
			return rc;
		if (st.ms_entries != 0)
			return MDB_CORRUPTED;
	}
	put32(fb, FORMAT);
	v = val(fb, sizeof(fb));
	return mdb_put(txn, s->meta, &k, &v, 0);
}

static int
open_dbs(struct store *s, MDB_txn *txn, void *arg)
{
	int	rc;

	(void)arg;
	if ((rc = mdb_dbi_open(txn, "events", MDB_CREATE, &s->events)) != 0 ||
	    (rc = mdb_dbi_open(txn, "ids", MDB_CREATE, &s->ids)) != 0 ||
	    (rc = mdb_dbi_open(txn, "dups", MDB_CREATE, &s->dups)) != 0 ||
	    (rc = mdb_dbi_open(txn, "sites", MDB_CREATE, &s->sites)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) != 0)
		return rc;
	for (size_t i = 0; i < NAGG; i++)
		if ((rc = mdb_dbi_open(txn, agg_names[i], MDB_CREATE,
		    &s->agg[i])) != 0)
			return rc;
	return check_format(s, txn);
}

static size_t
clamp(size_t v, size_t lo, size_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int
store_open(const char *dir, size_t max_bytes, struct store **out)
{
	struct store	*s = NULL;
	struct stat	 sb;
	char		*path = NULL;
	size_t		 pg, fsize = 0, reserve, start;
	int		 rc, dead;

	*out = NULL;
	pg = (size_t)sysconf(_SC_PAGESIZE);
	if (max_bytes / pg < 2 * MAP_START_MIN_PAGES) {
		rc = MSOSYNC_EINVAL;
		goto fail;
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	path = xasprintf("%s/data.mdb", dir);
	if (stat(path, &sb) == 0)
		fsize = (size_t)sb.st_size;
	else if (errno != ENOENT) {
		rc = -errno;
		goto fail;
	}

	s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->wmu, NULL);
	s->wc.max_keys = STORE_CACHE_KEYS;
	arena_pb_allocator(&s->evmem, &s->pb);	/* reset after each apply */
	s->max_bytes = max_bytes / pg * pg;
	if (fsize > s->max_bytes) {
		rc = MSOSYNC_EFULL;
		goto fail;
	}
	reserve = clamp(s->max_bytes / 32, RESERVE_PAGES * pg, RESERVE_MAX);
	if (reserve > s->max_bytes / 2)
		reserve = s->max_bytes / 2 / pg * pg;
	s->apply_max = s->max_bytes - reserve;
	/* Small first, so a small budget still grows in steps. */
	start = clamp(s->max_bytes / 8 / pg * pg, MAP_START_MIN_PAGES * pg,
	    MAP_START_MAX);
	if (start > s->apply_max)
		start = s->apply_max;
	if (start < (fsize + pg - 1) / pg * pg)
		start = (fsize + pg - 1) / pg * pg;

	if ((rc = mdb_env_create(&s->env)) != 0)
		goto fail;
	/* The walks copy keys into MAXKEY buffers. */
	if (mdb_env_get_maxkeysize(s->env) >= MAXKEY) {
		rc = MSOSYNC_ECONFIG;
		goto fail;
	}
	if ((rc = mdb_env_set_maxdbs(s->env, MAXDBS)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, start)) != 0)
		goto fail;
	/*
	 * Default sync, no WRITEMAP (a full disk would be SIGBUS). NOTLS
	 * ties reader slots to txns, so a callback under one of our read
	 * txns may open another (store_site from a verify report).
	 */
	if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600)) != 0)
		goto fail;
	if ((rc = mdb_reader_check(s->env, &dead)) != 0)
		goto fail;
	if ((rc = refresh_mapsize(s)) != 0)
		goto fail;
	if ((rc = write_txn(s, s->max_bytes, 0, open_dbs, NULL)) != 0)
		goto fail;
	free(path);
	*out = s;
	return 0;
fail:
	free(path);
	if (s != NULL) {
		if (s->env != NULL)
			mdb_env_close(s->env);
		pthread_mutex_destroy(&s->wmu);
		free(s);
	}
	return xlate(rc);
}

void
store_close(struct store **sp)
{
	struct store	*s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	INVARIANT(s->snapshots == 0);
	mdb_env_close(s->env);
	pthread_mutex_destroy(&s->wmu);
	wc_free(&s->wc);
	arena_free(&s->evmem);
	free(s);
	*sp = NULL;
}

struct hello_arg {
	uint32_t	 site;
	const uint8_t	*epoch;
	int64_t		 now;
	uint64_t	 acked;
	uint8_t		 hash[CHAIN_HASH_LEN];
	int		 changed;
};

static int
hello_txn(struct store *s, MDB_txn *txn, void *arg)
{
	struct hello_arg	*h = arg;
	struct site		 st;
	char			 from[2 * STORE_EPOCH_LEN + 1];
	char			 to[2 * STORE_EPOCH_LEN + 1];
	size_t			 i;
	int			 rc;

	h->changed = 0;
	if ((rc = site_load(s, txn, h->site, &st)) != 0)
		goto done;
	if (st.bad) {
		rc = MSOSYNC_ECORRUPT;
		goto done;
	}
	if (!st.found) {
		st.found = 1;
		add_epoch(&st, h->epoch);
		memcpy(st.head, chain_genesis, CHAIN_HASH_LEN);
	} else {
		for (i = 0; i < st.nepochs; i++)
			if (memcmp(st.epochs[i], h->epoch,
			    STORE_EPOCH_LEN) == 0)
				break;
		if (i + 1 < st.nepochs) {
			/* A journal the site gave up: never take it back. */
			rc = MSOSYNC_EREFUSED;
			goto done;
		}
		if (i == st.nepochs) {
			hex(st.epochs[st.nepochs - 1], STORE_EPOCH_LEN, from);
			hex(h->epoch, STORE_EPOCH_LEN, to);
			add_epoch(&st, h->epoch);
			st.hwm = 0;
			memcpy(st.head, chain_genesis, CHAIN_HASH_LEN);
			/* A new journal chains from genesis: no anchor. */
			st.resync = 0;
			add_alert(&st, h->now, "epoch_changed",
			    "epoch changed from %s to %s (ordinal %" PRIu32 ")",
			    from, to, st.epoch);
			h->changed = 1;
		}
	}
	st.last_seen = h->now;
	if ((rc = site_save(s, txn, &st)) != 0)
		goto done;
	h->acked = st.hwm;
	memcpy(h->hash, st.head, CHAIN_HASH_LEN);
done:
	site_clear(&st);
	return rc;
}

int
store_hello(struct store *s, uint32_t site_id,
    const uint8_t epoch[STORE_EPOCH_LEN], uint64_t *acked_seq,
    uint8_t acked_hash[CHAIN_HASH_LEN], int *epoch_changed)
{
	struct hello_arg	h;
	int			rc;

	memset(&h, 0, sizeof(h));
	h.site = site_id;
	h.epoch = epoch;
	h.now = clock_now_ms();
	/* Hello may use the reserve: a full store still answers. */
	if ((rc = write_txn(s, s->max_bytes, 0, hello_txn, &h)) != 0)
		return rc;
	*acked_seq = h.acked;
	memcpy(acked_hash, h.hash, CHAIN_HASH_LEN);
	*epoch_changed = h.changed;
	return 0;
}

struct apply_arg {
	struct store_batch	*b;
	size_t			 n;
	struct site		*sites;		/* this call's cache, <= n */
	size_t			 nsites;
	int64_t			 now;
	/*
	 * One cursor per db for the whole transaction: a site's records go
	 * in seq order, and LMDB puts a key next to the cursor's without a
	 * search from the root.
	 */
	MDB_cursor		*events;
	MDB_cursor		*ids;
	MDB_cursor		*dups;
};

static void	say(struct store_batch *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
say(struct store_batch *b, int result, const char *fmt, ...)
{
	va_list	ap;

	b->result = result;
	va_start(ap, fmt);
	vsnprintf(b->message, sizeof(b->message), fmt, ap);
	va_end(ap);
}

static void
reset(struct store_batch *b)
{
	b->result = 0;
	b->acked_seq = 0;
	memcpy(b->acked_hash, chain_genesis, CHAIN_HASH_LEN);
	b->applied = 0;
	b->retransmits = 0;
	b->duplicates = 0;
	b->message[0] = '\0';
}

static void
drop_cache(struct apply_arg *a)
{
	for (size_t i = 0; i < a->nsites; i++)
		site_clear(&a->sites[i]);
	a->nsites = 0;
}

static int
cached_site(struct store *s, MDB_txn *txn, struct apply_arg *a, uint32_t id,
    struct site **out)
{
	int	rc;

	for (size_t i = 0; i < a->nsites; i++)
		if (a->sites[i].id == id) {
			*out = &a->sites[i];
			return 0;
		}
	INVARIANT(a->nsites < a->n);
	if ((rc = site_load(s, txn, id, &a->sites[a->nsites])) != 0)
		return rc;
	*out = &a->sites[a->nsites++];
	return 0;
}

/* hash || event under key, in events or dups; MDB_KEYEXIST if there. */
static int
put_record(MDB_cursor *c, const uint8_t key[KEY_LEN],
    const Msosync__Record *r)
{
	MDB_val	k = val(key, KEY_LEN);
	MDB_val	v = val(NULL, CHAIN_HASH_LEN + r->event.len);
	int	rc;

	rc = mdb_cursor_put(c, &k, &v, MDB_NOOVERWRITE | MDB_RESERVE);
	if (rc != 0)
		return rc;
	memcpy(v.mv_data, r->hash.data, CHAIN_HASH_LEN);
	if (r->event.len > 0)
		memcpy((uint8_t *)v.mv_data + CHAIN_HASH_LEN, r->event.data,
		    r->event.len);
	return 0;
}

/*
 * Store the event (or note the duplicate) and run the hook. Returns an
 * LMDB code or the hook's error, which abort the transaction; a problem
 * of this record alone is said in b and *stop set.
 */
static int
keep_event(struct store *s, MDB_txn *txn, struct apply_arg *a,
    struct site *st, struct store_batch *b, const Msosync__Record *r,
    const Msosync__Event *ev, int *stop)
{
	struct store_txn	t;
	MDB_val			k, v;
	uint8_t			key[KEY_LEN], idk[4 + STORE_EVENT_ID_MAX];
	uint8_t			idv[IDV_LEN];
	size_t			idlen = strlen(ev->event_id);
	int			rc;

	mkkey(key, b->site_id, st->epoch, r->seq);
	put32(idk, b->site_id);
	memcpy(idk + 4, ev->event_id, idlen);
	put32(idv, st->epoch);
	put64(idv + 4, r->seq);
	k = val(idk, 4 + idlen);
	v = val(idv, sizeof(idv));
	rc = mdb_cursor_put(a->ids, &k, &v, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		/*
		 * Held already (a POS replayed it into a new journal): not an
		 * event twice, but its record keeps this epoch's chain whole.
		 */
		if ((rc = put_record(a->dups, key, r)) == MDB_KEYEXIST)
			goto clash;
		if (rc != 0)
			return rc;
		st->dups++;
		b->duplicates++;
		return 0;
	}
	if (rc != 0)
		return rc;
	if ((rc = put_record(a->events, key, r)) == MDB_KEYEXIST) {
		/* Keep ids and events in step: take the id back. */
		if ((rc = mdb_cursor_del(a->ids, 0)) != 0)
			return rc;
		goto clash;
	}
	if (rc != 0)
		return rc;
	st->events++;
	b->applied++;
	if (s->hook == NULL)
		return 0;
	t.s = s;
	t.txn = txn;
	t.wc = &s->wc;
	t.rdonly = 0;
	t.mdb_rc = 0;
	rc = s->hook(s->hook_arg, &t, b->site_id, ev);
	/* A failed put kills the txn, whatever the hook made of it. */
	return t.mdb_rc != 0 ? t.mdb_rc : rc;
clash:
	say(b, MSOSYNC_ECORRUPT, "seq %" PRIu64 " of epoch %" PRIu32
	    " is stored already above the mark", r->seq, st->epoch);
	*stop = 1;
	return 0;
}

/*
 * The hash record i of b must have: its link, made by store_prepare, when
 * the record before it in the batch is the site's head, as it is but for
 * retransmits. In 'h' otherwise.
 */
static const uint8_t *
expected_hash(const struct site *st, const struct store_batch *b, size_t i,
    uint8_t h[CHAIN_HASH_LEN])
{
	const Msosync__Record	*prev = i > 0 ? b->rec[i - 1] : NULL;
	const Msosync__Record	*r = b->rec[i];

	if (prev != NULL && prev->hash.len == CHAIN_HASH_LEN &&
	    memcmp(prev->hash.data, st->head, CHAIN_HASH_LEN) == 0)
		return b->link[i];
	chain_hash(st->head, r->seq, r->event.data, r->event.len, h);
	return h;
}

static int
apply_record(struct store *s, MDB_txn *txn, struct apply_arg *a,
    struct site *st, struct store_batch *b, size_t i, int *stop)
{
	const Msosync__Record	*r = b->rec[i];
	Msosync__Event		*ev = b->ev[i];
	uint8_t			 h[CHAIN_HASH_LEN];
	size_t			 idlen;
	int			 rc = 0;

	*stop = 1;
	if (r == NULL || r->seq == 0) {
		say(b, MSOSYNC_EPROTO, "a record without a seq");
		return 0;
	}
	if (r->seq <= st->hwm) {
		b->retransmits++;
		*stop = 0;
		return 0;
	}
	if (r->seq != st->hwm + 1) {
		say(b, MSOSYNC_EGAP, "gap: expected seq %" PRIu64 ", got %"
		    PRIu64, st->hwm + 1, r->seq);
		return 0;
	}
	if (r->hash.len != CHAIN_HASH_LEN) {
		say(b, MSOSYNC_EPROTO, "seq %" PRIu64 ": a hash of %zu bytes",
		    r->seq, r->hash.len);
		return 0;
	}
	if (!st->resync) {
		if (memcmp(expected_hash(st, b, i, h), r->hash.data,
		    CHAIN_HASH_LEN) != 0) {
			st->chain_broken = 1;
			st->broken_seq = r->seq;
			add_alert(st, a->now, "chain_mismatch",
			    "seq %" PRIu64 ": hash mismatch", r->seq);
			say(b, MSOSYNC_ECHAIN, "seq %" PRIu64 ": hash mismatch",
			    r->seq);
			return 0;
		}
	}
	if (ev == NULL) {
		say(b, MSOSYNC_EPROTO, "seq %" PRIu64 ": the event does not "
		    "decode", r->seq);
		return 0;
	}
	if (ev->site_id != b->site_id) {
		say(b, MSOSYNC_EINVAL, "event seq %" PRIu64 " names site %"
		    PRIu32, r->seq, ev->site_id);
		return 0;
	}
	if (ev->seq != r->seq) {
		say(b, MSOSYNC_EPROTO, "seq %" PRIu64 ": the event says seq %"
		    PRIu64, r->seq, ev->seq);
		return 0;
	}
	idlen = ev->event_id != NULL ? strlen(ev->event_id) : 0;
	if (idlen == 0 || idlen > STORE_EVENT_ID_MAX) {
		say(b, MSOSYNC_EPROTO, "seq %" PRIu64 ": an event_id of %zu "
		    "bytes", r->seq, idlen);
		return 0;
	}
	*stop = 0;
	if ((rc = keep_event(s, txn, a, st, b, r, ev, stop)) != 0 || *stop)
		return rc;
	if (st->resync) {
		/* The operator's decision: the chain goes on from here. */
		add_anchor(st, st->epoch, r->seq);
		st->resync = 0;
	}
	st->hwm = r->seq;
	memcpy(st->head, r->hash.data, CHAIN_HASH_LEN);
	return 0;
}

static int
apply_batch(struct store *s, MDB_txn *txn, struct apply_arg *a,
    struct store_batch *b)
{
	struct site	*st;
	int		 rc, stop = 0;

	if ((rc = cached_site(s, txn, a, b->site_id, &st)) != 0)
		return rc;
	if (st->bad) {
		say(b, MSOSYNC_ECORRUPT, "site %" PRIu32 ": its stored state "
		    "does not decode", b->site_id);
		return 0;
	}
	if (!st->found) {
		say(b, MSOSYNC_EPROTO, "unknown site: send hello");
		return 0;
	}
	st->last_seen = a->now;
	st->dirty = 1;
	if (b->epoch == NULL || memcmp(b->epoch, st->epochs[st->epoch - 1],
	    STORE_EPOCH_LEN) != 0) {
		say(b, MSOSYNC_EPROTO, "stale epoch: send hello");
		return 0;
	}
	if (st->chain_broken)
		say(b, MSOSYNC_EREFUSED, "chain broken at seq %" PRIu64
		    ": waiting for an operator (msoctl site resume)",
		    st->broken_seq);
	else
		for (size_t i = 0; i < b->nrec && !stop; i++)
			if ((rc = apply_record(s, txn, a, st, b, i,
			    &stop)) != 0)
				return rc;
	b->acked_seq = st->hwm;
	memcpy(b->acked_hash, st->head, CHAIN_HASH_LEN);
	return 0;
}

static int
apply_all(struct store *s, MDB_txn *txn, void *arg)
{
	struct apply_arg	*a = arg;
	int			 rc;

	/* Maybe a second run after the map grew: start from scratch. */
	drop_cache(a);
	wc_reset(&s->wc);
	for (size_t i = 0; i < a->n; i++)
		reset(&a->b[i]);
	a->events = a->ids = a->dups = NULL;
	if ((rc = mdb_cursor_open(txn, s->events, &a->events)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->ids, &a->ids)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->dups, &a->dups)) != 0)
		goto done;
	for (size_t i = 0; i < a->n; i++)
		if ((rc = apply_batch(s, txn, a, &a->b[i])) != 0)
			goto done;
	/* The aggregates, each key written once. */
	if ((rc = wc_flush(s, txn, &s->wc)) != 0)
		goto done;
	for (size_t i = 0; i < a->nsites; i++)
		if (a->sites[i].dirty &&
		    (rc = site_save(s, txn, &a->sites[i])) != 0)
			goto done;
done:
	mdb_cursor_close(a->events);
	mdb_cursor_close(a->ids);
	mdb_cursor_close(a->dups);
	a->events = a->ids = a->dups = NULL;
	return rc;
}

void
store_prepare(struct store_batch *b, ProtobufCAllocator *alloc)
{
	size_t	n = b->nrec > 0 ? b->nrec : 1;

	b->ev = alloc->alloc(alloc->allocator_data, n * sizeof(*b->ev));
	b->link = alloc->alloc(alloc->allocator_data, n * sizeof(*b->link));
	for (size_t i = 0; i < b->nrec; i++) {
		const Msosync__Record	*r = b->rec[i];
		const Msosync__Record	*prev = i > 0 ? b->rec[i - 1] : NULL;

		/* Lenient: unknown fields are kept, so newer agents get in. */
		b->ev[i] = r == NULL ? NULL :
		    msosync__event__unpack(alloc, r->event.len, r->event.data);
		if (r != NULL && prev != NULL &&
		    prev->hash.len == CHAIN_HASH_LEN)
			chain_hash(prev->hash.data, r->seq, r->event.data,
			    r->event.len, b->link[i]);
	}
}

/* Everything an apply leaves but the batches' results. */
static int
apply_release(struct store *s, struct apply_arg *a, int rc)
{
	drop_cache(a);
	free(a->sites);
	/* what was prepared here goes: the caller's batches keep no trace */
	for (size_t i = 0; i < a->n; i++)
		if (arena_owns(&s->evmem, a->b[i].ev)) {
			a->b[i].ev = NULL;
			a->b[i].link = NULL;
		}
	arena_reset(&s->evmem);
	if (rc != 0)
		for (size_t i = 0; i < a->n; i++) {
			reset(&a->b[i]);
			say(&a->b[i], rc, "store: %s", msosync_strerror(rc));
		}
	free(a);
	return rc;
}

int
store_apply_start(struct store *s, struct store_apply_op *op,
    struct store_batch *b, size_t n)
{
	struct apply_arg	*a = xcalloc(1, sizeof(*a));
	int			 rc;

	memset(op, 0, sizeof(*op));
	for (size_t i = 0; i < n; i++)
		if (b[i].ev == NULL)
			store_prepare(&b[i], &s->pb);
	a->b = b;
	a->n = n;
	a->sites = xcalloc(n ? n : 1, sizeof(*a->sites));
	a->now = clock_now_ms();
	pthread_mutex_lock(&s->wmu);
	rc = s->broken ? MSOSYNC_EPANIC : xlate(fit_map(s, s->apply_max));
	pthread_mutex_unlock(&s->wmu);
	if (rc != 0)
		return apply_release(s, a, rc);
	op->arg = a;
	return 0;
}

void
store_apply_run(struct store *s, struct store_apply_op *op)
{
	struct apply_arg	*a = op->arg;

	pthread_mutex_lock(&s->wmu);
	op->rc = a->n > 0 ? txn_once(s, apply_all, a) : 0;
	pthread_mutex_unlock(&s->wmu);
}

int
store_apply_finish(struct store *s, struct store_apply_op *op)
{
	struct apply_arg	*a = op->arg;
	int			 rc = op->rc;

	pthread_mutex_lock(&s->wmu);
	if (rc == MDB_MAP_FULL && (rc = grow(s, s->apply_max)) == 0) {
		pthread_mutex_unlock(&s->wmu);
		return STORE_AGAIN;	/* a->b as they were: run again */
	}
	rc = txn_result(s, rc);
	pthread_mutex_unlock(&s->wmu);
	op->arg = NULL;
	return apply_release(s, a, rc);
}

int
store_apply(struct store *s, struct store_batch *b, size_t n)
{
	struct store_apply_op	op;
	int			rc;

	if (n == 0)
		return 0;
	if ((rc = store_apply_start(s, &op, b, n)) != 0)
		return rc;
	do
		store_apply_run(s, &op);
	while ((rc = store_apply_finish(s, &op)) == STORE_AGAIN);
	return rc;
}

void
store_set_hook(struct store *s, store_hook_fn fn, void *arg)
{
	s->hook = fn;
	s->hook_arg = fn != NULL ? arg : NULL;
}

struct resume_arg {
	uint32_t	 site;
	const char	*reason;
	int64_t		 now;
};

static int
resume_txn(struct store *s, MDB_txn *txn, void *arg)
{
	struct resume_arg	*r = arg;
	struct site		 st;
	int			 rc;

	if ((rc = site_load(s, txn, r->site, &st)) != 0)
		goto done;
	if (st.bad)
		rc = MSOSYNC_ECORRUPT;
	else if (!st.found)
		rc = MSOSYNC_ENOTFOUND;
	else if (!st.chain_broken)
		rc = MSOSYNC_EINVAL;
	if (rc != 0)
		goto done;
	st.chain_broken = 0;
	st.resync = 1;
	add_alert(&st, r->now, "resumed", "chain broken at seq %" PRIu64
	    " accepted: %s", st.broken_seq, r->reason);
	rc = site_save(s, txn, &st);
done:
	site_clear(&st);
	return rc;
}

int
store_resume(struct store *s, uint32_t site_id, const char *reason)
{
	struct resume_arg	r;

	if (reason == NULL || reason[0] == '\0')
		return MSOSYNC_EINVAL;
	r.site = site_id;
	r.reason = reason;
	r.now = clock_now_ms();
	return write_txn(s, s->max_bytes, 0, resume_txn, &r);
}

static void
copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

int
store_site(struct store *s, uint32_t site_id, struct store_site_info *out)
{
	MDB_txn		*txn = NULL;
	struct site	 st;
	int		 rc;

	memset(&st, 0, sizeof(st));
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		goto done;
	if ((rc = site_load(s, txn, site_id, &st)) != 0)
		goto done;
	if (st.bad) {
		rc = MSOSYNC_ECORRUPT;
		goto done;
	}
	if (!st.found) {
		rc = MSOSYNC_ENOTFOUND;
		goto done;
	}
	memset(out, 0, sizeof(*out));
	out->site_id = site_id;
	out->epoch_ord = st.epoch;
	memcpy(out->epoch, st.epochs[st.epoch - 1], STORE_EPOCH_LEN);
	hex(out->epoch, STORE_EPOCH_LEN, out->epoch_hex);
	out->hwm = st.hwm;
	memcpy(out->head_hash, st.head, CHAIN_HASH_LEN);
	out->events = st.events;
	out->duplicates = st.dups;
	out->chain_broken = st.chain_broken;
	out->broken_seq = st.broken_seq;
	out->resync = st.resync;
	out->last_seen_ms = st.last_seen;
	out->nalerts = st.nalerts;
	for (size_t i = 0; i < st.nalerts; i++) {
		out->alerts[i].at_ms = st.alerts[i].at_ms;
		copy_str(out->alerts[i].kind, sizeof(out->alerts[i].kind),
		    st.alerts[i].kind);
		copy_str(out->alerts[i].message,
		    sizeof(out->alerts[i].message), st.alerts[i].message);
	}
done:
	site_clear(&st);
	mdb_txn_abort(txn);
	return xlate(rc);
}

/*
 * The accessors' common entry: the db by name (*db its index), the key's
 * size, and a transaction a failed put has not killed already.
 */
static int
agg_dbi(struct store_txn *t, const char *name, size_t klen, unsigned *db)
{
	if (t->mdb_rc != 0)
		return xlate(t->mdb_rc);
	if (name == NULL || klen == 0 ||
	    klen > (size_t)mdb_env_get_maxkeysize(t->s->env))
		return MSOSYNC_EINVAL;
	/* Called for every counter: one strcmp, not three. */
	for (unsigned i = 0; i < NAGG; i++)
		if (name[0] == agg_names[i][0] && name[1] == agg_names[i][1] &&
		    strcmp(name, agg_names[i]) == 0) {
			*db = i;
			return 0;
		}
	return MSOSYNC_EINVAL;
}

/* agg_dbi for the writers: -EROFS in a read-only transaction. */
static int
agg_dbi_writable(struct store_txn *t, const char *name, size_t klen,
    unsigned *db)
{
	int	rc;

	if ((rc = agg_dbi(t, name, klen, db)) != 0)
		return rc;
	return t->rdonly ? -EROFS : 0;
}

/* Remember the first failure that leaves the txn unusable. */
static int
txn_rc(struct store_txn *t, int rc)
{
	if (rc != 0 && rc != MDB_NOTFOUND && t->mdb_rc == 0)
		t->mdb_rc = rc;
	return xlate(rc);
}

/*
 * Make room for one more key: at the bound, write out what the cache
 * holds (only from a write: the pointers store_txn_get gave stay valid
 * until then).
 */
static int
wc_make_room(struct store_txn *t)
{
	int	rc;

	if (!wc_full(t->wc))
		return 0;
	t->wc->early++;
	if ((rc = wc_flush(t->s, t->txn, t->wc)) != 0)
		return txn_rc(t, rc);
	return 0;
}

/* Cache what the db holds for a key the cache does not hold. */
static int
wc_load(struct store_txn *t, unsigned db, const void *key, size_t klen,
    uint64_t h, struct wentry **out)
{
	struct wentry	*e;
	MDB_val		 k = val(key, klen), v;
	int		 rc;

	rc = mdb_get(t->txn, t->s->agg[db], &k, &v);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return txn_rc(t, rc);
	e = wc_add(t->wc, db, key, klen, h);
	e->kind = WC_VALUE;
	if (rc == 0) {
		e->present = 1;
		wc_room(t->wc, e, v.mv_size);
		if (v.mv_size > 0)
			memcpy(e->val, v.mv_data, v.mv_size);
		e->len = v.mv_size;
	}
	*out = e;
	return 0;
}

/*
 * The int64s stored at k: *have of them at v (0 when the key is absent).
 * Returns 0, MSOSYNC_ECORRUPT (not a whole number of them) or as txn_rc.
 */
static int
get_i64s(struct store_txn *t, MDB_dbi dbi, MDB_val *k, MDB_val *v,
    size_t *have)
{
	int	rc = mdb_get(t->txn, dbi, k, v);

	*have = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return txn_rc(t, rc);
	if (v->mv_size % 8 != 0)
		return MSOSYNC_ECORRUPT;
	*have = v->mv_size / 8;
	return 0;
}

/* Turn a delta entry into a value: read the key, add the deltas. */
static int
wc_resolve(struct store_txn *t, struct wentry *e)
{
	const int64_t	*d = (const int64_t *)(const void *)e->val;
	uint8_t		*p;
	MDB_val		 k = val(e->key, e->klen), v;
	size_t		 have = 0, m;
	int		 rc;

	if ((rc = get_i64s(t, t->s->agg[e->db], &k, &v, &have)) != 0)
		return rc;
	m = have > e->len ? have : e->len;
	p = arena_alloc(&t->wc->mem, m * 8);
	wc_sum(p, have > 0 ? v.mv_data : NULL, have, d, e->len);
	e->val = p;
	e->cap = m * 8;
	e->len = m * 8;
	e->kind = WC_VALUE;
	e->present = 1;
	e->dirty = 1;
	return 0;
}

/* Add deltas to a value entry, as store_txn_add_i64 says. */
static int
wc_add_value(struct wcache *wc, struct wentry *e, const int64_t *delta,
    size_t n)
{
	size_t	have, m;

	if (e->present && e->len % 8 != 0)
		return MSOSYNC_ECORRUPT;
	have = e->present ? e->len / 8 : 0;
	m = have > n ? have : n;
	if (m == 0)
		return MSOSYNC_EINVAL;
	wc_room(wc, e, m * 8);
	wc_sum(e->val, e->val, have, delta, n);
	e->len = m * 8;
	e->present = 1;
	e->dirty = 1;
	return 0;
}

int
store_txn_get(struct store_txn *t, const char *db, const void *key,
    size_t klen, const void **valp, size_t *vlen)
{
	struct wentry	*e = NULL;
	MDB_val		 k, v;
	uint64_t	 h = 0;
	unsigned	 i;
	int		 rc;

	if ((rc = agg_dbi(t, db, klen, &i)) != 0)
		return rc;
	if (t->wc != NULL) {
		h = wc_hash(i, key, klen);
		e = wc_find(t->wc, i, key, klen, h);
	}
	if (e == NULL && (t->wc == NULL || wc_full(t->wc))) {
		/* Nothing pending for it: the db says. */
		k = val(key, klen);
		if ((rc = mdb_get(t->txn, t->s->agg[i], &k, &v)) != 0)
			return txn_rc(t, rc);
		*valp = v.mv_data;
		*vlen = v.mv_size;
		return 0;
	}
	if (e == NULL)
		rc = wc_load(t, i, key, klen, h, &e);
	else if (e->kind == WC_DELTA)
		rc = wc_resolve(t, e);
	if (rc != 0)
		return rc;
	if (!e->present)
		return MSOSYNC_ENOTFOUND;
	*valp = e->len > 0 ? e->val : (const void *)"";
	*vlen = e->len;
	return 0;
}

int
store_txn_put(struct store_txn *t, const char *db, const void *key,
    size_t klen, const void *value, size_t vlen)
{
	struct wentry	*e;
	MDB_val		 k, v;
	uint64_t	 h;
	unsigned	 i;
	void		*copy = NULL;
	int		 rc;

	if ((rc = agg_dbi_writable(t, db, klen, &i)) != 0)
		return rc;
	if (t->wc == NULL) {
		k = val(key, klen);
		v = val(value, vlen);
		return txn_rc(t, mdb_put(t->txn, t->s->agg[i], &k, &v, 0));
	}
	h = wc_hash(i, key, klen);
	if ((e = wc_find(t->wc, i, key, klen, h)) == NULL) {
		if (wc_full(t->wc) && vlen > 0 &&
		    arena_owns(&t->wc->mem, value)) {
			/* What store_txn_get gave: the flush frees it. */
			copy = xmalloc(vlen);
			value = memcpy(copy, value, vlen);
		}
		if ((rc = wc_make_room(t)) != 0) {
			free(copy);
			return rc;
		}
		e = wc_add(t->wc, i, key, klen, h);
	}
	/* value may be what store_txn_get gave for this very key */
	wc_room(t->wc, e, vlen);
	if (vlen > 0)
		memmove(e->val, value, vlen);
	free(copy);
	e->len = vlen;
	e->kind = WC_VALUE;
	e->present = 1;
	e->dirty = 1;
	return 0;
}

int
store_txn_del(struct store_txn *t, const char *db, const void *key,
    size_t klen)
{
	struct wentry	*e = NULL;
	MDB_val		 k;
	unsigned	 i;
	int		 rc;

	if ((rc = agg_dbi_writable(t, db, klen, &i)) != 0)
		return rc;
	if (t->wc != NULL)
		e = wc_find(t->wc, i, key, klen, wc_hash(i, key, klen));
	if (e == NULL) {
		/* Nothing pending for it: straight to the db. */
		k = val(key, klen);
		return txn_rc(t, mdb_del(t->txn, t->s->agg[i], &k, NULL));
	}
	if (e->kind == WC_DELTA && (rc = wc_resolve(t, e)) != 0)
		return rc;
	if (!e->present)
		return MSOSYNC_ENOTFOUND;
	e->present = 0;
	e->len = 0;
	e->dirty = 1;
	return 0;
}

/* The immediate form, for a transaction without the cache. */
static int
add_now(struct store_txn *t, MDB_dbi dbi, const void *key, size_t klen,
    const int64_t *delta, size_t n)
{
	MDB_val	 k, v;
	uint8_t	 small[32 * 8], *buf;
	size_t	 have = 0, m;
	int	 rc;

	k = val(key, klen);
	if ((rc = get_i64s(t, dbi, &k, &v, &have)) != 0)
		return rc;
	m = have > n ? have : n;
	if (m == 0)
		return MSOSYNC_EINVAL;
	buf = m <= sizeof(small) / 8 ? small : xmalloc(m * 8);
	/* v points into the map: summed into buf before the put. */
	wc_sum(buf, have > 0 ? v.mv_data : NULL, have, delta, n);
	v = val(buf, m * 8);
	rc = txn_rc(t, mdb_put(t->txn, dbi, &k, &v, 0));
	if (buf != small)
		free(buf);
	return rc;
}

int
store_txn_add_i64(struct store_txn *t, const char *db, const void *key,
    size_t klen, const int64_t *delta, size_t n)
{
	struct wentry	*e;
	uint64_t	 h;
	unsigned	 i;
	int		 rc;

	if ((rc = agg_dbi_writable(t, db, klen, &i)) != 0)
		return rc;
	if (t->wc == NULL)
		return add_now(t, t->s->agg[i], key, klen, delta, n);
	h = wc_hash(i, key, klen);
	if ((e = wc_find(t->wc, i, key, klen, h)) == NULL) {
		if ((rc = wc_make_room(t)) != 0)
			return rc;
		if (n == 0) {
			/* Nothing to add: only what the db holds decides. */
			if ((rc = wc_load(t, i, key, klen, h, &e)) != 0)
				return rc;
			return wc_add_value(t->wc, e, delta, n);
		}
		e = wc_add(t->wc, i, key, klen, h);
		e->kind = WC_DELTA;
		wc_room(t->wc, e, n * 8);
		memcpy(e->val, delta, n * 8);
		e->len = n;
		return 0;
	}
	if (e->kind == WC_VALUE)
		return wc_add_value(t->wc, e, delta, n);
	if (n > e->len) {
		wc_room(t->wc, e, n * 8);
		memset(e->val + e->len * 8, 0, (n - e->len) * 8);
		e->len = n;
	}
	wc_add_deltas((uint64_t *)(void *)e->val, delta, n);
	return 0;
}

void
store_set_cache_max(struct store *s, size_t keys)
{
	s->wc.max_keys = keys > 0 ? keys : STORE_CACHE_KEYS;
}

void
store_cache_stats(const struct store *s, struct store_cache_stats *out)
{
	out->flushes = s->wc.flushes;
	out->early = s->wc.early;
}

int
store_txn_get_i64(struct store_txn *t, const char *db, const void *key,
    size_t klen, int64_t *out, size_t n)
{
	const uint8_t	*p;
	const void	*vp;
	size_t		 vlen;
	int		 rc;

	for (size_t i = 0; i < n; i++)
		out[i] = 0;
	if ((rc = store_txn_get(t, db, key, klen, &vp, &vlen)) != 0)
		return rc;
	if (vlen % 8 != 0)
		return MSOSYNC_ECORRUPT;
	p = vp;
	for (size_t i = 0; i < n && i < vlen / 8; i++)
		out[i] = (int64_t)get64(p + 8 * i);
	return 0;
}

int
store_txn_scan(struct store_txn *t, const char *db, const void *prefix,
    size_t plen, store_scan_fn fn, void *arg)
{
	MDB_cursor	*c = NULL;
	MDB_val		 k, v;
	unsigned	 i;
	int		 rc, ret = 0;

	/* An empty prefix is every key: check the db name alone. */
	if ((rc = agg_dbi(t, db, plen > 0 ? plen : 1, &i)) != 0)
		return rc;
	/* The walk reads the db itself: what is pending goes there first. */
	if (t->wc != NULL && t->wc->n > 0 &&
	    (rc = wc_flush(t->s, t->txn, t->wc)) != 0)
		return txn_rc(t, rc);
	if ((rc = mdb_cursor_open(t->txn, t->s->agg[i], &c)) != 0)
		goto done;
	k = val(prefix, plen);
	rc = mdb_cursor_get(c, &k, &v, plen > 0 ? MDB_SET_RANGE : MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (plen > 0 && (k.mv_size < plen ||
		    memcmp(k.mv_data, prefix, plen) != 0))
			break;
		if ((ret = fn(arg, k.mv_data, k.mv_size, v.mv_data,
		    v.mv_size)) != 0)
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
done:
	mdb_cursor_close(c);
	if (ret != 0)
		return ret;
	return txn_rc(t, rc);
}

int
store_read(struct store *s, int (*fn)(void *arg, struct store_txn *t),
    void *arg)
{
	struct store_txn	t;
	MDB_txn			*txn = NULL;
	int			 rc;

	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return xlate(rc);
	t.s = s;
	t.txn = txn;
	t.wc = NULL;
	t.rdonly = 1;
	t.mdb_rc = 0;
	s->snapshots++;
	rc = fn(arg, &t);
	s->snapshots--;
	mdb_txn_abort(txn);
	return rc;
}

/*
 * Let a long walk breathe: drop the read snapshot and take a fresh one,
 * so a reader never pins old pages for long. The walks that use this
 * read append-only data, and reposition by key afterwards.
 */
static int
renew(MDB_txn *txn, MDB_cursor **c, size_t n)
{
	int	rc;

	mdb_txn_reset(txn);
	if ((rc = mdb_txn_renew(txn)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = mdb_cursor_renew(txn, c[i])) != 0)
			return rc;
	return 0;
}

/* Put cursor c back at the first key >= key (a saved copy). */
static int
seek(MDB_cursor *c, const uint8_t *key, size_t klen, MDB_val *k, MDB_val *v)
{
	*k = val(key, klen);
	return mdb_cursor_get(c, k, v, MDB_SET_RANGE);
}

static int
keycmp(const MDB_val *a, const MDB_val *b)
{
	size_t	n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
	int	c = memcmp(a->mv_data, b->mv_data, n);

	if (c != 0)
		return c;
	return a->mv_size < b->mv_size ? -1 : a->mv_size > b->mv_size;
}

static int
count_one(void *arg, uint32_t site, uint32_t epoch_ord, uint64_t seq,
    const void *event, size_t len)
{
	(void)site;
	(void)epoch_ord;
	(void)seq;
	(void)event;
	(void)len;
	(*(uint64_t *)arg)++;
	return 0;
}

int
store_count_site_events(struct store *s, uint32_t site_id, uint64_t *n)
{
	uint64_t	count = 0;
	int		rc;

	*n = 0;
	if (site_id == 0)	/* 0 would mean every site to the walk */
		return 0;
	if ((rc = store_scan_events(s, site_id, count_one, &count)) == 0)
		*n = count;
	return rc;
}

int
store_scan_events(struct store *s, uint32_t site_id, store_event_fn fn,
    void *arg)
{
	MDB_txn		*txn = NULL;
	MDB_cursor	*c = NULL;
	MDB_val		 k, v;
	const uint8_t	*kp;
	uint8_t		 key[MAXKEY];
	size_t		 klen, since = 0;
	int		 rc, ret = 0;

	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		goto done;
	s->snapshots++;
	if ((rc = mdb_cursor_open(txn, s->events, &c)) != 0)
		goto done;
	mkkey(key, site_id, 0, 0);
	rc = seek(c, key, KEY_LEN, &k, &v);
	while (rc == 0) {
		kp = k.mv_data;
		if (k.mv_size != KEY_LEN || v.mv_size < CHAIN_HASH_LEN) {
			rc = MDB_CORRUPTED;
			break;
		}
		if (site_id != 0 && get32(kp) != site_id)
			break;
		if ((ret = fn(arg, get32(kp), get32(kp + 4), get64(kp + 8),
		    (const uint8_t *)v.mv_data + CHAIN_HASH_LEN,
		    v.mv_size - CHAIN_HASH_LEN)) != 0)
			break;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		if (rc != 0 || ++since < CHUNK)
			continue;
		klen = k.mv_size;
		memcpy(key, k.mv_data, klen);
		if ((rc = renew(txn, &c, 1)) != 0)
			goto done;
		since = 0;
		rc = seek(c, key, klen, &k, &v);
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
done:
	mdb_cursor_close(c);
	if (txn != NULL) {
		mdb_txn_abort(txn);
		s->snapshots--;
	}
	return ret != 0 ? ret : xlate(rc);
}

/* What store_verify carries from one record to the next. */
struct verify {
	struct store	*s;
	MDB_txn		*txn;
	store_report_fn	 report;
	void		*arg;
	uint64_t	 checked;
	uint64_t	 problems;
	int		 in_site;
	struct site	 st;		/* the site walked, as of this txn */
	uint64_t	 nevents;
	uint64_t	 ndups;
	uint32_t	 ord;		/* epoch walked, 0 before the first */
	uint64_t	 next;		/* the seq expected next */
	int		 lost;		/* the chain cannot be followed: trust
					   the next stored hash */
	int		 cur_seen;	/* walked the site's current epoch */
	uint8_t		 prev[CHAIN_HASH_LEN];
	uint32_t	*seen;		/* sites with records, ascending */
	size_t		 nseen;
	size_t		 capseen;
};

static void	problem(struct verify *, uint32_t, uint32_t, uint64_t,
		    const char *, ...) __attribute__((format(printf, 5, 6)));

static void
problem(struct verify *v, uint32_t site, uint32_t ord, uint64_t seq,
    const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->problems++;
	if (v->report != NULL)
		v->report(v->arg, site, ord, seq, msg);
}

static int
state_usable(const struct site *st)
{
	return st->found && !st->bad;
}

static int
verify_start_site(struct verify *v, uint32_t site)
{
	int	rc;

	site_clear(&v->st);
	if ((rc = site_load(v->s, v->txn, site, &v->st)) != 0)
		return rc;
	if (v->st.bad)
		problem(v, site, 0, 0, "the site's state does not decode");
	else if (!v->st.found)
		problem(v, site, 0, 0, "records but no state for the site");
	v->in_site = 1;
	v->nevents = 0;
	v->ndups = 0;
	v->ord = 0;
	v->cur_seen = 0;
	if (v->nseen == v->capseen) {
		v->capseen = v->capseen == 0 ? 64 : v->capseen * 2;
		v->seen = xrealloc(v->seen, v->capseen * sizeof(*v->seen));
	}
	v->seen[v->nseen++] = site;
	return 0;
}

static void
verify_end_epoch(struct verify *v)
{
	const struct site	*st = &v->st;

	if (v->ord == 0 || !state_usable(st) || v->ord != st->epoch)
		return;
	v->cur_seen = 1;
	if (v->next - 1 != st->hwm)
		problem(v, st->id, v->ord, v->next - 1, "the epoch ends at "
		    "seq %" PRIu64 " but the site's mark is %" PRIu64,
		    v->next - 1, st->hwm);
	else if (memcmp(v->prev, st->head, CHAIN_HASH_LEN) != 0)
		problem(v, st->id, v->ord, st->hwm, "the chain does not end "
		    "in the site's head hash");
}

static void
verify_end_site(struct verify *v)
{
	const struct site	*st = &v->st;

	verify_end_epoch(v);
	if (state_usable(st)) {
		if (!v->cur_seen && (st->hwm != 0 ||
		    memcmp(st->head, chain_genesis, CHAIN_HASH_LEN) != 0))
			problem(v, st->id, st->epoch, st->hwm, "no records in "
			    "the current epoch but the mark is at seq %" PRIu64,
			    st->hwm);
		if (v->nevents != st->events)
			problem(v, st->id, 0, 0, "holds %" PRIu64 " events, "
			    "the state counts %" PRIu64, v->nevents,
			    st->events);
		if (v->ndups != st->dups)
			problem(v, st->id, 0, 0, "holds %" PRIu64
			    " duplicates, the state counts %" PRIu64,
			    v->ndups, st->dups);
	}
	site_clear(&v->st);
	v->in_site = 0;
}

/* A duplicate's event_id must be held, by another record. */
static int
verify_dup(struct verify *v, uint32_t site, uint32_t ord, uint64_t seq,
    const uint8_t *event, size_t len)
{
	Msosync__Event	*ev;
	MDB_val		 k, d;
	uint8_t		 idk[4 + STORE_EVENT_ID_MAX];
	size_t		 idlen;
	int		 rc = 0;

	ev = msosync__event__unpack(NULL, len, event);
	idlen = ev != NULL && ev->event_id != NULL ? strlen(ev->event_id) : 0;
	if (idlen == 0 || idlen > STORE_EVENT_ID_MAX) {
		problem(v, site, ord, seq, "a duplicate whose event does not "
		    "decode");
		goto done;
	}
	put32(idk, site);
	memcpy(idk + 4, ev->event_id, idlen);
	k = val(idk, 4 + idlen);
	rc = mdb_get(v->txn, v->s->ids, &k, &d);
	if (rc == MDB_NOTFOUND) {
		problem(v, site, ord, seq, "a duplicate of an event_id not "
		    "held");
		rc = 0;
	} else if (rc == 0 && (d.mv_size != IDV_LEN ||
	    (get32(d.mv_data) == ord &&
	    get64((const uint8_t *)d.mv_data + 4) == seq)))
		problem(v, site, ord, seq, "a duplicate indexed as an event");
done:
	if (ev != NULL)
		msosync__event__free_unpacked(ev, NULL);
	return rc;
}

static int
verify_record(struct verify *v, const MDB_val *k, const MDB_val *d, int dup)
{
	const uint8_t	*kp = k->mv_data, *rec = d->mv_data;
	uint8_t		 h[CHAIN_HASH_LEN];
	uint32_t	 site, ord;
	uint64_t	 seq;
	int		 rc;

	v->checked++;
	if (k->mv_size != KEY_LEN) {
		problem(v, 0, 0, 0, "%s: a key of %zu bytes",
		    dup ? "dups" : "events", k->mv_size);
		return 0;
	}
	site = get32(kp);
	ord = get32(kp + 4);
	seq = get64(kp + 8);
	if (!v->in_site || site != v->st.id) {
		if (v->in_site)
			verify_end_site(v);
		if ((rc = verify_start_site(v, site)) != 0)
			return rc;
	}
	if (ord != v->ord) {
		verify_end_epoch(v);
		v->ord = ord;
		v->next = 1;
		v->lost = 0;
		memcpy(v->prev, chain_genesis, CHAIN_HASH_LEN);
		if (state_usable(&v->st) && (ord == 0 || ord > v->st.epoch))
			problem(v, site, ord, seq, "records under an epoch "
			    "ordinal the site does not have");
	}
	if (dup)
		v->ndups++;
	else
		v->nevents++;
	if (seq < v->next) {
		problem(v, site, ord, seq, "seq stored twice");
		v->lost = 1;
	} else if (seq > v->next) {
		problem(v, site, ord, seq, "seqs %" PRIu64 " to %" PRIu64
		    " are missing", v->next, seq - 1);
		v->lost = 1;
	}
	v->next = seq + 1;
	if (d->mv_size < CHAIN_HASH_LEN) {
		problem(v, site, ord, seq, "a record of %zu bytes", d->mv_size);
		v->lost = 1;
		return 0;
	}
	/* An anchor is where an operator accepted the site's chain. */
	if (!v->lost && !is_anchor(&v->st, ord, seq)) {
		chain_hash(v->prev, seq, rec + CHAIN_HASH_LEN,
		    d->mv_size - CHAIN_HASH_LEN, h);
		if (memcmp(h, rec, CHAIN_HASH_LEN) != 0)
			problem(v, site, ord, seq, "hash mismatch");
	}
	/* Go on from the stored hash: one bad record, one report. */
	memcpy(v->prev, rec, CHAIN_HASH_LEN);
	v->lost = 0;
	if (dup)
		return verify_dup(v, site, ord, seq, rec + CHAIN_HASH_LEN,
		    d->mv_size - CHAIN_HASH_LEN);
	return 0;
}

/* Records of events and dups, merged in key order (the chain's order). */
static int
verify_records(struct verify *v)
{
	MDB_cursor	*c[2] = { NULL, NULL };
	MDB_val		 k[2], d[2];
	uint8_t		 saved[2][MAXKEY];
	size_t		 slen[2] = { 0, 0 }, since = 0;
	int		 r[2], rc, i;

	if ((rc = mdb_cursor_open(v->txn, v->s->events, &c[0])) != 0 ||
	    (rc = mdb_cursor_open(v->txn, v->s->dups, &c[1])) != 0)
		goto done;
	for (i = 0; i < 2; i++)
		r[i] = mdb_cursor_get(c[i], &k[i], &d[i], MDB_FIRST);
	for (;;) {
		for (i = 0; i < 2; i++)
			if (r[i] != 0 && r[i] != MDB_NOTFOUND) {
				rc = r[i];
				goto done;
			}
		if (r[0] == MDB_NOTFOUND && r[1] == MDB_NOTFOUND)
			break;
		if (since == CHUNK) {
			for (i = 0; i < 2; i++)
				if (r[i] == 0) {
					slen[i] = k[i].mv_size;
					memcpy(saved[i], k[i].mv_data, slen[i]);
				}
			if ((rc = renew(v->txn, c, 2)) != 0)
				goto done;
			for (i = 0; i < 2; i++)
				if (r[i] == 0)
					r[i] = seek(c[i], saved[i], slen[i],
					    &k[i], &d[i]);
			/* The walked site's anchors, as of this snapshot. */
			if (v->in_site) {
				uint32_t id = v->st.id;

				site_clear(&v->st);
				if ((rc = site_load(v->s, v->txn, id,
				    &v->st)) != 0)
					goto done;
			}
			since = 0;
			continue;
		}
		i = r[0] == 0 && (r[1] != 0 || keycmp(&k[0], &k[1]) <= 0) ?
		    0 : 1;
		if ((rc = verify_record(v, &k[i], &d[i], i == 1)) != 0)
			goto done;
		r[i] = mdb_cursor_get(c[i], &k[i], &d[i], MDB_NEXT);
		since++;
	}
	if (v->in_site)
		verify_end_site(v);
done:
	mdb_cursor_close(c[0]);
	mdb_cursor_close(c[1]);
	return rc;
}

static int
cmp32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sites that hold no record: their state must say so. */
static int
verify_empty_sites(struct verify *v)
{
	MDB_cursor	*c = NULL;
	MDB_val		 k, d;
	struct site	 st;
	uint8_t		 saved[MAXKEY];
	size_t		 slen, since = 0;
	uint32_t	 id;
	int		 rc;

	memset(&st, 0, sizeof(st));
	if ((rc = mdb_cursor_open(v->txn, v->s->sites, &c)) != 0)
		goto done;
	for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (++since == CHUNK) {
			slen = k.mv_size;
			memcpy(saved, k.mv_data, slen);
			if ((rc = renew(v->txn, &c, 1)) != 0)
				goto done;
			since = 0;
			if ((rc = seek(c, saved, slen, &k, &d)) != 0)
				break;
		}
		if (k.mv_size != 4) {
			problem(v, 0, 0, 0, "sites: a key of %zu bytes",
			    k.mv_size);
			continue;
		}
		id = get32(k.mv_data);
		if (v->nseen > 0 && bsearch(&id, v->seen, v->nseen,
		    sizeof(*v->seen), cmp32) != NULL)
			continue;
		if ((rc = site_load(v->s, v->txn, id, &st)) != 0)
			goto done;
		if (st.bad)
			problem(v, id, 0, 0, "the site's state does not "
			    "decode");
		else if (st.events != 0 || st.dups != 0 || st.hwm != 0)
			problem(v, id, st.epoch, st.hwm, "no records, but the "
			    "state counts %" PRIu64 " events, %" PRIu64
			    " duplicates, mark %" PRIu64, st.events, st.dups,
			    st.hwm);
		else if (memcmp(st.head, chain_genesis, CHAIN_HASH_LEN) != 0)
			problem(v, id, st.epoch, 0, "no records, but the head "
			    "hash is not genesis");
		site_clear(&st);
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
done:
	site_clear(&st);
	mdb_cursor_close(c);
	return rc;
}

int
store_verify(struct store *s, store_report_fn report, void *arg,
    uint64_t *checked)
{
	struct verify	v;
	int		rc;

	memset(&v, 0, sizeof(v));
	v.s = s;
	v.report = report;
	v.arg = arg;
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &v.txn)) != 0)
		goto done;
	s->snapshots++;
	if ((rc = verify_records(&v)) != 0)
		goto done;
	rc = verify_empty_sites(&v);
done:
	if (v.txn != NULL) {
		mdb_txn_abort(v.txn);
		s->snapshots--;
	}
	site_clear(&v.st);
	free(v.seen);
	if (checked != NULL)
		*checked = v.checked;
	if (rc == 0 && v.problems > 0)
		rc = MSOSYNC_ECHAIN;
	return xlate(rc);
}

int
store_reader_check(struct store *s, int *dead)
{
	int	n = 0, rc;

	rc = mdb_reader_check(s->env, &n);
	if (dead != NULL)
		*dead = n;
	return xlate(rc);
}

size_t
store_bytes(const struct store *s)
{
	MDB_envinfo	info;
	MDB_stat	st;

	if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &st) != 0)
		return 0;
	return (info.me_last_pgno + 1) * (size_t)st.ms_psize;
}

size_t
store_max_bytes(const struct store *s)
{
	return s->max_bytes;
}

/*
 * The aggregates' view of stored events: a void names the event it takes
 * back by event_id, so the hook needs to read that event in its own
 * transaction.
 */
int
store_txn_find_event(struct store_txn *t, uint32_t site_id,
    const char *event_id, Msosync__Event **out)
{
	uint8_t	 idk[4 + STORE_EVENT_ID_MAX], key[KEY_LEN];
	size_t	 idlen = strlen(event_id);
	MDB_val	 k, v;
	int	 rc;

	*out = NULL;
	if (idlen == 0 || idlen > STORE_EVENT_ID_MAX)
		return MSOSYNC_ENOTFOUND;
	put32(idk, site_id);
	memcpy(idk + 4, event_id, idlen);
	k = val(idk, 4 + idlen);
	if ((rc = mdb_get(t->txn, t->s->ids, &k, &v)) != 0)
		return txn_rc(t, rc);
	if (v.mv_size != IDV_LEN)
		return MSOSYNC_ECORRUPT;
	mkkey(key, site_id, get32(v.mv_data), get64((uint8_t *)v.mv_data + 4));
	k = val(key, KEY_LEN);
	if ((rc = mdb_get(t->txn, t->s->events, &k, &v)) != 0)
		return txn_rc(t, rc);
	if (v.mv_size < CHAIN_HASH_LEN)
		return MSOSYNC_ECORRUPT;
	*out = msosync__event__unpack(NULL, v.mv_size - CHAIN_HASH_LEN,
	    (const uint8_t *)v.mv_data + CHAIN_HASH_LEN);
	return *out ? 0 : MSOSYNC_ECORRUPT;
}

struct user_write {
	int	(*fn)(void *arg, struct store_txn *t);
	void	*arg;
};

static int
user_write_txn(struct store *s, MDB_txn *txn, void *arg)
{
	struct user_write	*w = arg;
	struct store_txn	 t = { s, txn, &s->wc, 0, 0 };
	int			 rc;

	wc_reset(&s->wc);
	rc = w->fn(w->arg, &t);
	/* a failed put kills the txn, whatever fn made of it */
	if (t.mdb_rc != 0)
		return t.mdb_rc;
	if (rc == 0)
		rc = wc_flush(s, txn, &s->wc);
	return rc;
}

int
store_write(struct store *s, int (*fn)(void *arg, struct store_txn *t),
    void *arg)
{
	struct user_write	w = { fn, arg };

	return write_txn(s, s->apply_max, 1, user_write_txn, &w);
}
