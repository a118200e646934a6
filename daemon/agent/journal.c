/*
 * The agent's journal (journal.h): one LMDB environment holding the
 * records, the event_id index and the chain head. This file owns that
 * environment, its map size policy and the translation of LMDB's codes
 * into msosync ones; nothing above it sees an MDB_* value. Only the
 * agent's event loop thread calls it.
 *
 * The map starts small and grows on MDB_MAP_FULL. Appends may grow it to
 * the budget less a small reserve; acks and prunes may use the reserve, so
 * a journal that filled up while the hub was away can still record the
 * hub's ack and free space (both need fresh pages: LMDB copies on write).
 * Growing remaps, so it waits while a scan holds a snapshot: a scan
 * callback may find and append, but an append there that needs a bigger
 * map gets MSOSYNC_EFULL.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "msosync/error.h"
#include "be.h"
#include "journal.h"
#include "log.h"
#include "xmalloc.h"

#define REC_HDR		(CHAIN_HASH_LEN + 8)	/* hash || recorded_at */
#define ID_VAL_LEN	9			/* seq || flags */
#define HEAD_LEN	(8 + CHAIN_HASH_LEN)	/* seq || hash */
#define MAP_START	((size_t)64 << 20)
#define RESERVE_MAX	((size_t)8 << 20)
#define RESERVE_PAGES	16
#define MIN_PAGES	64	/* a smaller budget holds no useful journal */

/* Journal and replication invariants stay checked in release builds. */
#define INVARIANT(c)	((c) ? (void)0 : invariant(#c, __func__, __LINE__))

struct journal {
	MDB_env		*env;
	MDB_dbi		 records;
	MDB_dbi		 ids;
	MDB_dbi		 meta;
	size_t		 max_bytes;	/* the budget, in whole pages */
	size_t		 append_max;	/* the budget less the reserve */
	size_t		 mapsize;
	unsigned	 snapshots;	/* our read txns open now (scan) */
	int		 appending;	/* an append is in flight */
	int		 broken;	/* a write failed: refuse all writes */
	uint64_t	 head_seq;
	uint64_t	 acked_seq;
	uint64_t	 first_seq;
	uint8_t		 head_hash[CHAIN_HASH_LEN];
	uint8_t		 epoch[JOURNAL_EPOCH_LEN];
};

typedef int (*txn_fn)(struct journal *, MDB_txn *, void *);

struct append_arg {
	const struct journal_entry	*e;
	size_t				 n;
	uint8_t				 hash[CHAIN_HASH_LEN];
};

struct prune_arg {
	uint64_t	 limit;
	int64_t		 before_ms;
	size_t		 max;
	size_t		 n;
	uint64_t	 first;
};

static void	invariant(const char *, const char *, int)
		    __attribute__((noreturn));

static void
invariant(const char *what, const char *func, int line)
{
	log_error("journal: invariant failed in %s:%d: %s", func, line, what);
	abort();
}

static MDB_val
mkval(const void *p, size_t len)
{
	MDB_val	v;

	v.mv_data = (void *)p;
	v.mv_size = len;
	return v;
}

/* The module boundary: no MDB_* code leaves this file. */
static int
xlate(int rc)
{
	/* -errno and MSOSYNC_E* pass: translating twice is harmless. */
	if (rc < 0 && (rc < MDB_KEYEXIST || rc > MDB_LAST_ERRCODE))
		return rc;
	switch (rc) {
	case 0:
		return 0;
	case MDB_MAP_FULL:
		return MSOSYNC_EFULL;
	case MDB_PANIC:
	case EIO:
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return MSOSYNC_EPANIC;
	case MDB_CORRUPTED:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_PAGE_NOTFOUND:
	case MDB_INCOMPATIBLE:
	case MDB_PAGE_FULL:
		return MSOSYNC_ECORRUPT;
	case MDB_NOTFOUND:
		return MSOSYNC_ENOTFOUND;
	case MDB_KEYEXIST:
	case MDB_BAD_VALSIZE:
		return MSOSYNC_EINVAL;
	case MDB_TXN_FULL:
		return MSOSYNC_ETOOBIG;
	case MDB_READERS_FULL:
	case MDB_TLS_FULL:
		return -EAGAIN;
	case MDB_MAP_RESIZED:
		return -EBUSY;
	}
	if (rc > 0)
		return -rc;
	/* MDB_BAD_TXN, MDB_BAD_DBI, ...: the environment is not usable. */
	return MSOSYNC_EPANIC;
}

static size_t
round_pages(size_t n, size_t pg)
{
	if (n % pg == 0)
		return n;
	return (n / pg + 1) * pg;
}

static int
refresh_mapsize(struct journal *j)
{
	MDB_envinfo	info;
	int		rc;

	if ((rc = mdb_env_info(j->env, &info)) != 0)
		return rc;
	j->mapsize = info.me_mapsize;
	return 0;
}

/*
 * Grow the map towards 'limit'. Remapping moves every pointer into the
 * map, so it is refused while a scan of ours holds a snapshot, and while
 * an append runs on another thread (LMDB remaps only with no transaction
 * open in the process).
 */
static int
grow(struct journal *j, size_t limit)
{
	size_t	size;
	int	rc;

	if (j->mapsize >= limit || j->snapshots > 0 || j->appending)
		return MDB_MAP_FULL;
	size = j->mapsize <= limit / 2 ? j->mapsize * 2 : limit;
	if ((rc = mdb_env_set_mapsize(j->env, size)) != 0)
		return rc;
	return refresh_mapsize(j);
}

/* Run fn in one write transaction and commit it: an LMDB code. */
static int
txn_once(struct journal *j, txn_fn fn, void *arg)
{
	MDB_txn	*txn = NULL;
	int	 rc;

	rc = mdb_txn_begin(j->env, NULL, 0, &txn);
	if (rc == 0 && (rc = fn(j, txn, arg)) == 0) {
		rc = mdb_txn_commit(txn);	/* frees txn, even on failure */
		txn = NULL;
	}
	mdb_txn_abort(txn);
	return rc;
}

/*
 * A write's outcome in msosync terms. A failed write or fsync may have
 * lost pages the kernel will not report again: the caller must not trust
 * this file any more.
 */
static int
txn_result(struct journal *j, int rc)
{
	if (rc > 0 && rc != ENOMEM)
		rc = MDB_PANIC;
	rc = xlate(rc);
	if (rc == MSOSYNC_EPANIC)
		j->broken = 1;
	return rc;
}

/*
 * Run fn in one write transaction and commit it. MDB_MAP_FULL, from a put
 * or from the commit, aborts the whole transaction; the map grows (up to
 * 'limit') and fn runs again from the start. The caller publishes what fn
 * computed only after this returns 0.
 */
static int
write_txn(struct journal *j, size_t limit, txn_fn fn, void *arg)
{
	int	rc;

	if (j->broken)
		return MSOSYNC_EPANIC;
	while ((rc = txn_once(j, fn, arg)) == MDB_MAP_FULL &&
	    (rc = grow(j, limit)) == 0)
		;
	return txn_result(j, rc);
}

static int
meta_get(struct journal *j, MDB_txn *txn, const char *key, MDB_val *v)
{
	MDB_val	k = mkval(key, strlen(key));

	return mdb_get(txn, j->meta, &k, v);
}

static int
meta_put(struct journal *j, MDB_txn *txn, const char *key, const void *p,
    size_t len)
{
	MDB_val	k = mkval(key, strlen(key));
	MDB_val	v = mkval(p, len);

	return mdb_put(txn, j->meta, &k, &v, 0);
}

static int
create(struct journal *j, MDB_txn *txn, uint32_t site_id)
{
	MDB_stat	st;
	MDB_val		v;
	uint8_t		sb[4];
	int		rc;

	/* No epoch but something else: not a journal we made. */
	if ((rc = mdb_stat(txn, j->records, &st)) != 0)
		return rc;
	if (st.ms_entries != 0)
		return MDB_CORRUPTED;
	if ((rc = meta_get(j, txn, "head", &v)) != MDB_NOTFOUND)
		return rc == 0 ? MDB_CORRUPTED : rc;
	randombytes_buf(j->epoch, sizeof(j->epoch));
	sb[0] = site_id >> 24;
	sb[1] = site_id >> 16;
	sb[2] = site_id >> 8;
	sb[3] = site_id;
	if ((rc = meta_put(j, txn, "epoch", j->epoch, sizeof(j->epoch))) != 0 ||
	    (rc = meta_put(j, txn, "site_id", sb, sizeof(sb))) != 0)
		return rc;
	j->head_seq = 0;
	memcpy(j->head_hash, chain_genesis, CHAIN_HASH_LEN);
	j->acked_seq = 0;
	j->first_seq = 0;
	return 0;
}

/* Check the kept records' ends against the head. */
static int
load_records(struct journal *j, MDB_txn *txn)
{
	MDB_cursor	*c = NULL;
	MDB_val		 k, v;
	int		 rc;

	if ((rc = mdb_cursor_open(txn, j->records, &c)) != 0)
		goto done;
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	if (rc == MDB_NOTFOUND) {
		j->first_seq = 0;
		rc = 0;
		goto done;
	}
	if (rc != 0)
		goto done;
	if (k.mv_size != 8) {
		rc = MDB_CORRUPTED;
		goto done;
	}
	j->first_seq = get64(k.mv_data);
	if ((rc = mdb_cursor_get(c, &k, &v, MDB_LAST)) != 0)
		goto done;
	if (k.mv_size != 8 || v.mv_size < REC_HDR ||
	    get64(k.mv_data) != j->head_seq ||
	    memcmp(v.mv_data, j->head_hash, CHAIN_HASH_LEN) != 0 ||
	    j->first_seq == 0 || j->first_seq > j->head_seq)
		rc = MDB_CORRUPTED;
done:
	mdb_cursor_close(c);
	return rc;
}

static int
load(struct journal *j, MDB_txn *txn, void *arg)
{
	uint32_t	site_id = *(const uint32_t *)arg;
	MDB_val		v;
	const uint8_t	*p;
	int		rc;

	if ((rc = mdb_dbi_open(txn, "records", MDB_CREATE, &j->records)) != 0 ||
	    (rc = mdb_dbi_open(txn, "ids", MDB_CREATE, &j->ids)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &j->meta)) != 0)
		return rc;

	rc = meta_get(j, txn, "epoch", &v);
	if (rc == MDB_NOTFOUND)
		return create(j, txn, site_id);
	if (rc != 0)
		return rc;
	if (v.mv_size != JOURNAL_EPOCH_LEN)
		return MDB_CORRUPTED;
	memcpy(j->epoch, v.mv_data, JOURNAL_EPOCH_LEN);

	if ((rc = meta_get(j, txn, "site_id", &v)) != 0)
		return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
	if (v.mv_size != 4)
		return MDB_CORRUPTED;
	p = v.mv_data;
	if (((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]) != site_id)
		return MSOSYNC_ECONFIG;

	rc = meta_get(j, txn, "head", &v);
	if (rc == MDB_NOTFOUND) {
		j->head_seq = 0;
		memcpy(j->head_hash, chain_genesis, CHAIN_HASH_LEN);
	} else if (rc != 0)
		return rc;
	else if (v.mv_size != HEAD_LEN)
		return MDB_CORRUPTED;
	else {
		j->head_seq = get64(v.mv_data);
		memcpy(j->head_hash, (const uint8_t *)v.mv_data + 8,
		    CHAIN_HASH_LEN);
	}

	rc = meta_get(j, txn, "acked", &v);
	if (rc == MDB_NOTFOUND)
		j->acked_seq = 0;
	else if (rc != 0)
		return rc;
	else if (v.mv_size != 8 || get64(v.mv_data) > j->head_seq)
		return MDB_CORRUPTED;
	else
		j->acked_seq = get64(v.mv_data);

	return load_records(j, txn);
}

int
journal_open(const char *dir, uint32_t site_id, size_t max_bytes,
    struct journal **out)
{
	struct journal	*j = NULL;
	struct stat	 st;
	char		*path = NULL;
	size_t		 pg, fsize = 0, reserve, start;
	int		 rc, dead;

	*out = NULL;
	pg = (size_t)sysconf(_SC_PAGESIZE);
	if (max_bytes / pg < MIN_PAGES) {
		rc = MSOSYNC_ECONFIG;
		goto fail;
	}
	if (sodium_init() < 0) {
		rc = -EIO;
		goto fail;
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	path = xasprintf("%s/data.mdb", dir);
	if (stat(path, &st) == 0)
		fsize = (size_t)st.st_size;
	else if (errno != ENOENT) {
		rc = -errno;
		goto fail;
	}

	j = xcalloc(1, sizeof(*j));
	j->max_bytes = max_bytes / pg * pg;
	reserve = j->max_bytes / 32 / pg * pg;
	if (reserve < RESERVE_PAGES * pg)
		reserve = RESERVE_PAGES * pg;
	if (reserve > RESERVE_MAX)
		reserve = RESERVE_MAX;
	j->append_max = j->max_bytes - reserve;
	if (fsize > j->max_bytes) {
		rc = MSOSYNC_EFULL;
		goto fail;
	}
	start = j->append_max < MAP_START ? j->append_max : MAP_START;
	if (start < round_pages(fsize, pg))
		start = round_pages(fsize, pg);

	if ((rc = mdb_env_create(&j->env)) != 0)
		goto fail;
	if ((rc = mdb_env_set_maxdbs(j->env, 4)) != 0 ||
	    (rc = mdb_env_set_mapsize(j->env, start)) != 0)
		goto fail;
	/*
	 * Default sync. MDB_NOTLS ties reader slots to transactions, so a
	 * scan callback may look things up (a second read txn) safely.
	 */
	if ((rc = mdb_env_open(j->env, dir, MDB_NOTLS, 0600)) != 0)
		goto fail;
	if ((rc = mdb_reader_check(j->env, &dead)) != 0)
		goto fail;
	if ((rc = refresh_mapsize(j)) != 0)
		goto fail;
	if ((rc = write_txn(j, j->max_bytes, load, &site_id)) != 0)
		goto fail;
	free(path);
	*out = j;
	return 0;
fail:
	free(path);
	if (j != NULL) {
		if (j->env != NULL)
			mdb_env_close(j->env);
		free(j);
	}
	return xlate(rc);
}

void
journal_close(struct journal **jp)
{
	struct journal	*j;

	if (jp == NULL || (j = *jp) == NULL)
		return;
	INVARIANT(j->snapshots == 0);
	mdb_env_close(j->env);	/* every commit already synced */
	free(j);
	*jp = NULL;
}

int
journal_find(struct journal *j, struct journal_entry *e, size_t n)
{
	MDB_txn		*txn = NULL;
	MDB_val		 k, v;
	size_t		 maxkey;
	int		 rc = 0;

	if (n == 0)
		return 0;
	maxkey = (size_t)mdb_env_get_maxkeysize(j->env);
	if ((rc = mdb_txn_begin(j->env, NULL, MDB_RDONLY, &txn)) != 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		e[i].seq = 0;
		e[i].flags = 0;
		/* An id LMDB cannot store was never appended. */
		if (e[i].id_len == 0 || e[i].id_len > maxkey)
			continue;
		k = mkval(e[i].event_id, e[i].id_len);
		rc = mdb_get(txn, j->ids, &k, &v);
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc != 0)
			goto done;
		if (v.mv_size != ID_VAL_LEN) {
			rc = MDB_CORRUPTED;
			goto done;
		}
		e[i].seq = get64(v.mv_data);
		e[i].flags = ((const uint8_t *)v.mv_data)[8];
	}
done:
	mdb_txn_abort(txn);
	return xlate(rc);
}

static int
mark_voided(struct journal *j, MDB_txn *txn, const struct journal_entry *e)
{
	MDB_val	k = mkval(e->voids_id, e->voids_len);
	MDB_val	v;
	uint8_t	b[ID_VAL_LEN];
	int	rc;

	if ((rc = mdb_get(txn, j->ids, &k, &v)) != 0)
		return rc == MDB_NOTFOUND ? MSOSYNC_ENOTFOUND : rc;
	if (v.mv_size != ID_VAL_LEN)
		return MDB_CORRUPTED;
	memcpy(b, v.mv_data, sizeof(b));	/* v points into the map */
	b[8] |= JOURNAL_F_VOIDED;
	v = mkval(b, sizeof(b));
	return mdb_put(txn, j->ids, &k, &v, 0);
}

/* An event_id and its ids value, to be put in key order. */
struct id_put {
	const char	*id;
	size_t		 len;
	uint8_t		 val[ID_VAL_LEN];
};

/* LMDB's default key order: the bytes, then the shorter first. */
static int
by_id(const void *a, const void *b)
{
	const struct id_put	*x = a, *y = b;
	int			 c = memcmp(x->id, y->id,
				    x->len < y->len ? x->len : y->len);

	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/*
 * The ids of an append, in key order through one cursor: LMDB then finds
 * most keys on the leaf page the cursor is on, with no descent from the
 * root. One mdb_put each was 40% of the writer's CPU.
 */
static int
put_ids(struct journal *j, MDB_txn *txn, struct id_put *ids, size_t n)
{
	MDB_cursor	*c;
	MDB_val		 k, v;
	int		 rc = 0;

	qsort(ids, n, sizeof(*ids), by_id);
	if ((rc = mdb_cursor_open(txn, j->ids, &c)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		k = mkval(ids[i].id, ids[i].len);
		v = mkval(ids[i].val, sizeof(ids[i].val));
		rc = mdb_cursor_put(c, &k, &v, MDB_NOOVERWRITE);
	}
	mdb_cursor_close(c);
	/* a known id here is the caller's bug */
	return rc == MDB_KEYEXIST ? MSOSYNC_EINVAL : rc;
}

static int
append_all(struct journal *j, MDB_txn *txn, void *arg)
{
	struct append_arg		*a = arg;
	const struct journal_entry	*e;
	struct id_put			*ids;
	MDB_val				 k, v;
	uint8_t				 prev[CHAIN_HASH_LEN];
	uint8_t				 kb[8], head[HEAD_LEN];
	uint8_t				*rec;
	uint64_t			 seq = j->head_seq;
	int				 rc = 0;

	memcpy(prev, j->head_hash, CHAIN_HASH_LEN);
	ids = xcalloc(a->n ? a->n : 1, sizeof(*ids));
	for (size_t i = 0; i < a->n; i++) {
		e = &a->e[i];
		seq = j->head_seq + 1 + i;
		put64(kb, seq);
		k = mkval(kb, sizeof(kb));
		v = mkval(NULL, REC_HDR + e->len);
		/* Keys ascend, so MDB_APPEND; a clash means a damaged db. */
		rc = mdb_put(txn, j->records, &k, &v, MDB_APPEND | MDB_RESERVE);
		if (rc != 0) {
			free(ids);
			return rc == MDB_KEYEXIST ? MDB_CORRUPTED : rc;
		}
		rec = v.mv_data;
		chain_hash(prev, seq, e->event, e->len, rec);
		put64(rec + CHAIN_HASH_LEN, (uint64_t)e->recorded_at);
		if (e->len > 0)
			memcpy(rec + REC_HDR, e->event, e->len);
		memcpy(prev, rec, CHAIN_HASH_LEN);

		ids[i].id = e->event_id;
		ids[i].len = e->id_len;
		put64(ids[i].val, seq);
		ids[i].val[8] = e->flags & JOURNAL_F_VOID;
	}
	rc = put_ids(j, txn, ids, a->n);
	free(ids);
	/* every id is in now, so a void finds a target of this append too */
	for (size_t i = 0; i < a->n && rc == 0; i++)
		if (a->e[i].flags & JOURNAL_F_VOID)
			rc = mark_voided(j, txn, &a->e[i]);
	if (rc != 0)
		return rc;
	put64(head, seq);
	memcpy(head + 8, prev, CHAIN_HASH_LEN);
	if ((rc = meta_put(j, txn, "head", head, sizeof(head))) != 0)
		return rc;
	memcpy(a->hash, prev, CHAIN_HASH_LEN);
	return 0;
}

/*
 * Appends run up to append_max only; if a prune lately grew the map into
 * the reserve, take it back first (LMDB keeps the map above what is used).
 */
static int
shrink_for_append(struct journal *j)
{
	size_t	size;
	int	rc;

	if (j->mapsize <= j->append_max || j->snapshots > 0)
		return 0;
	size = journal_bytes(j);
	if (size < j->append_max)
		size = j->append_max;
	if (size >= j->mapsize)
		return 0;
	if ((rc = mdb_env_set_mapsize(j->env, size)) != 0)
		return rc;
	return refresh_mapsize(j);
}

/*
 * An append in three steps, so that its transaction (and fsync) can run on
 * another thread: start and finish run on the loop, run anywhere between
 * them. While one is in flight the loop must not append, grow or shrink
 * the map (finish grows it, on the loop, when run found it full).
 */
int
journal_append_start(struct journal *j, struct journal_append *op,
    const struct journal_entry *e, size_t n)
{
	size_t	maxkey;
	int	rc;

	memset(op, 0, sizeof(*op));
	op->e = e;
	op->n = n;
	if (j->broken)
		return MSOSYNC_EPANIC;
	INVARIANT(!j->appending);
	maxkey = (size_t)mdb_env_get_maxkeysize(j->env);
	for (size_t i = 0; i < n; i++) {
		INVARIANT(e[i].seq == j->head_seq + 1 + i);
		if (e[i].id_len == 0 || e[i].id_len > maxkey ||
		    (e[i].event == NULL && e[i].len > 0) ||
		    (e[i].flags & ~(unsigned)JOURNAL_F_VOID) != 0)
			return MSOSYNC_EINVAL;
		if ((e[i].flags & JOURNAL_F_VOID) ?
		    e[i].voids_len == 0 || e[i].voids_len > maxkey :
		    e[i].voids_len != 0)
			return MSOSYNC_EINVAL;
	}
	if ((rc = shrink_for_append(j)) != 0)
		return xlate(rc);
	j->appending = 1;
	return 0;
}

/* Reads only what the loop leaves alone while an append is in flight. */
void
journal_append_run(struct journal *j, struct journal_append *op)
{
	struct append_arg	a = { .e = op->e, .n = op->n };

	op->rc = op->n > 0 ? txn_once(j, append_all, &a) : 0;
	memcpy(op->hash, a.hash, CHAIN_HASH_LEN);
}

int
journal_append_finish(struct journal *j, struct journal_append *op)
{
	int	rc = op->rc;

	j->appending = 0;
	if (rc == MDB_MAP_FULL) {
		if ((rc = grow(j, j->append_max)) == 0) {
			j->appending = 1;
			return JOURNAL_AGAIN;
		}
	}
	if ((rc = txn_result(j, rc)) != 0 || op->n == 0)
		return rc;
	/* Publish only after the commit. */
	if (j->first_seq == 0)
		j->first_seq = j->head_seq + 1;
	j->head_seq += op->n;
	memcpy(j->head_hash, op->hash, CHAIN_HASH_LEN);
	return 0;
}

int
journal_append(struct journal *j, const struct journal_entry *e, size_t n)
{
	struct journal_append	op;
	int			rc;

	if (n == 0)
		return 0;
	if ((rc = journal_append_start(j, &op, e, n)) != 0)
		return rc;
	do
		journal_append_run(j, &op);
	while ((rc = journal_append_finish(j, &op)) == JOURNAL_AGAIN);
	return rc;
}

uint64_t
journal_head_seq(const struct journal *j)
{
	return j->head_seq;
}

const uint8_t *
journal_head_hash(const struct journal *j)
{
	return j->head_hash;
}

const uint8_t *
journal_epoch(const struct journal *j)
{
	return j->epoch;
}

uint64_t
journal_acked_seq(const struct journal *j)
{
	return j->acked_seq;
}

uint64_t
journal_first_seq(const struct journal *j)
{
	return j->first_seq;
}

size_t
journal_bytes(const struct journal *j)
{
	MDB_envinfo	info;
	MDB_stat	st;

	if (mdb_env_info(j->env, &info) != 0 || mdb_env_stat(j->env, &st) != 0)
		return 0;
	return (info.me_last_pgno + 1) * (size_t)st.ms_psize;
}

size_t
journal_max_bytes(const struct journal *j)
{
	return j->max_bytes;
}

static int
put_acked(struct journal *j, MDB_txn *txn, void *arg)
{
	uint8_t	b[8];

	put64(b, *(const uint64_t *)arg);
	return meta_put(j, txn, "acked", b, sizeof(b));
}

int
journal_set_acked(struct journal *j, uint64_t seq)
{
	int	rc;

	if (seq <= j->acked_seq)
		return 0;
	if (seq > j->head_seq)
		return MSOSYNC_EINVAL;
	if ((rc = write_txn(j, j->max_bytes, put_acked, &seq)) != 0)
		return rc;
	j->acked_seq = seq;
	return 0;
}

int
journal_scan(struct journal *j, uint64_t from_seq, journal_scan_fn fn,
    void *arg)
{
	MDB_txn		*txn = NULL;
	MDB_cursor	*c = NULL;
	MDB_val		 k, v;
	const uint8_t	*rec;
	uint8_t		 kb[8];
	uint64_t	 seq;
	int		 rc, ret = 0;

	if ((rc = mdb_txn_begin(j->env, NULL, MDB_RDONLY, &txn)) != 0)
		goto done;
	if ((rc = mdb_cursor_open(txn, j->records, &c)) != 0)
		goto done;
	j->snapshots++;
	put64(kb, from_seq);
	k = mkval(kb, sizeof(kb));
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 || v.mv_size < REC_HDR) {
			rc = MDB_CORRUPTED;
			break;
		}
		seq = get64(k.mv_data);
		rec = v.mv_data;
		ret = fn(arg, seq, rec, (int64_t)get64(rec + CHAIN_HASH_LEN),
		    rec + REC_HDR, v.mv_size - REC_HDR);
		if (ret != 0)
			break;
	}
	j->snapshots--;
	if (rc == MDB_NOTFOUND)
		rc = 0;
done:
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return ret != 0 ? ret : xlate(rc);
}

static int
prune_some(struct journal *j, MDB_txn *txn, void *arg)
{
	struct prune_arg	*a = arg;
	MDB_cursor		*c = NULL;
	MDB_val			 k, v;
	int			 rc;

	a->n = 0;
	a->first = 0;
	if ((rc = mdb_cursor_open(txn, j->records, &c)) != 0)
		goto done;
	/* Oldest first and never past a younger one: no holes. */
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0) {
		if (k.mv_size != 8 || v.mv_size < REC_HDR) {
			rc = MDB_CORRUPTED;
			goto done;
		}
		if (a->n == a->max || get64(k.mv_data) > a->limit ||
		    (int64_t)get64((const uint8_t *)v.mv_data +
		    CHAIN_HASH_LEN) >= a->before_ms) {
			a->first = get64(k.mv_data);
			break;
		}
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			goto done;
		a->n++;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
done:
	mdb_cursor_close(c);
	return rc;
}

int
journal_prune(struct journal *j, uint64_t upto, int64_t before_ms,
    size_t max, size_t *pruned)
{
	struct prune_arg	a;
	int			rc, dead;

	if (pruned != NULL)
		*pruned = 0;
	/* Retention's tick is the periodic one: clear stale readers here. */
	if ((rc = mdb_reader_check(j->env, &dead)) != 0)
		return xlate(rc);
	a.limit = upto < j->acked_seq ? upto : j->acked_seq;
	a.before_ms = before_ms;
	a.max = max;
	if (max == 0 || a.limit == 0 || j->first_seq == 0 ||
	    j->first_seq > a.limit)
		return 0;
	if ((rc = write_txn(j, j->max_bytes, prune_some, &a)) != 0)
		return rc;
	j->first_seq = a.first;
	if (pruned != NULL)
		*pruned = a.n;
	/*
	 * LMDB reuses the pages a commit frees only from the second commit
	 * after it on, and a refused append commits nothing: a full journal
	 * would stay full after its prune. One more small commit (the same
	 * acked value again) makes the freed pages the next append's.
	 */
	if (a.n > 0 && (rc = write_txn(j, j->max_bytes, put_acked,
	    &j->acked_seq)) != 0 && rc != MSOSYNC_EFULL)
		return rc;
	return 0;
}

int
journal_verify(struct journal *j, uint64_t *bad_seq)
{
	MDB_txn		*txn = NULL;
	MDB_cursor	*c = NULL;
	MDB_val		 k, v;
	uint8_t		 prev[CHAIN_HASH_LEN], h[CHAIN_HASH_LEN];
	uint64_t	 seq, last = 0;
	int		 rc, first = 1;

	if (bad_seq != NULL)
		*bad_seq = 0;
	if ((rc = mdb_txn_begin(j->env, NULL, MDB_RDONLY, &txn)) != 0)
		goto done;
	if ((rc = mdb_cursor_open(txn, j->records, &c)) != 0)
		goto done;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8) {
			rc = MDB_CORRUPTED;
			goto done;
		}
		seq = get64(k.mv_data);
		if (v.mv_size < REC_HDR || (!first && seq != last + 1)) {
			if (bad_seq != NULL)
				*bad_seq = seq;
			rc = MSOSYNC_ECHAIN;
			goto done;
		}
		/*
		 * After a prune the first kept record's predecessor is gone:
		 * its stored hash is where the check starts.
		 */
		if (first && seq != 1)
			memcpy(prev, v.mv_data, CHAIN_HASH_LEN);
		else {
			if (first)
				memcpy(prev, chain_genesis, CHAIN_HASH_LEN);
			chain_hash(prev, seq, (const uint8_t *)v.mv_data +
			    REC_HDR, v.mv_size - REC_HDR, h);
			if (memcmp(h, v.mv_data, CHAIN_HASH_LEN) != 0) {
				if (bad_seq != NULL)
					*bad_seq = seq;
				rc = MSOSYNC_ECHAIN;
				goto done;
			}
			memcpy(prev, h, CHAIN_HASH_LEN);
		}
		first = 0;
		last = seq;
	}
	if (rc != MDB_NOTFOUND)
		goto done;
	rc = 0;
	/* The head must close the chain the records spell. */
	if (!first && (last != j->head_seq ||
	    memcmp(prev, j->head_hash, CHAIN_HASH_LEN) != 0)) {
		if (bad_seq != NULL)
			*bad_seq = last == j->head_seq ? last :
			    (last < j->head_seq ? last : j->head_seq) + 1;
		rc = MSOSYNC_ECHAIN;
	}
done:
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return xlate(rc);
}
