/*
 * The hub's store: one LMDB environment in DATA_DIR/hub that holds every
 * event each site sent, once, and the state that makes applying them
 * exactly-once (DESIGN §4.3, §4.6, §8):
 *   events  site_id 4 BE || epoch ordinal 4 BE || seq 8 BE
 *           -> chain hash (32) || event bytes, exactly as the site journaled
 *   ids     site_id 4 BE || event_id -> epoch ordinal 4 BE || seq 8 BE
 *           (permanent dedupe per site, across epochs)
 *   dups    same key as events -> hash || event of a record skipped as a
 *           duplicate: not an event the site holds here, kept only so the
 *           chain over that epoch stays verifiable end to end
 *   sites   site_id 4 BE -> SiteState (proto/store.proto)
 *   meta    "format" -> 4 BE
 *   rollups, contracts, clients: the aggregates' dbs, written only through
 *           the apply hook and the store_txn_* accessors below.
 * An epoch ordinal numbers a site's journals (1, 2, ...) in the order the
 * hub first heard of them in a hello.
 *
 * Only this module includes lmdb.h on the hub side; no MDB_* code leaves
 * it. Not thread-safe: one thread (the hub's event loop) makes every call,
 * and a callback (hook, report, store_read's fn) must not call back into
 * the same store except through the store_txn it is given. Every write is
 * one durable transaction (default LMDB sync: fsync on commit; never
 * WRITEMAP, NOSYNC or NOMETASYNC). The map starts small and grows on
 * MDB_MAP_FULL, from a put or from the commit, up to the budget: the
 * whole transaction is aborted and redone from the caller's inputs. Past
 * the budget a write returns MSOSYNC_EFULL and nothing is committed. A
 * small reserve of the budget is kept from store_apply so hello and
 * resume still work on a full store. A write or fsync error, or
 * MDB_PANIC, returns MSOSYNC_EPANIC and every later write is refused: the
 * caller must not ack and should exit so its supervisor restarts it on a
 * consistent file.
 */
#ifndef MSOSYNC_STORE_H
#define MSOSYNC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "events.pb-c.h"
#include "wire.pb-c.h"

#define STORE_EPOCH_LEN		16
#define STORE_EVENT_ID_MAX	64	/* bytes; DESIGN §4.2 */
#define STORE_MESSAGE_MAX	160
#define STORE_ALERTS_MAX	20	/* the newest kept per site */
#define STORE_ALERT_KIND_MAX	32
#define STORE_ALERT_MSG_MAX	256

struct store;
struct store_txn;

/*
 * Open or create the store in 'dir' (created 0700 if absent; its parent
 * must exist), with a map budget of 'max_bytes' (rounded down to whole
 * pages). Runs mdb_reader_check. *out is set only on success and is the
 * caller's, to be closed with store_close.
 * Returns 0, MSOSYNC_EINVAL (a budget under 32 pages), MSOSYNC_EFULL
 * (the file is already larger than the budget), MSOSYNC_ECONFIG (a store
 * of a format this build does not know), MSOSYNC_ECORRUPT (not a store:
 * unknown data without the store's format mark), MSOSYNC_EPANIC, or
 * -errno.
 */
int	store_open(const char *dir, size_t max_bytes, struct store **out)
	    __attribute__((warn_unused_result));
/* NULL-safe; sets *s = NULL. Every commit is already synced. */
void	store_close(struct store **s);

/*
 * A site says hello with the epoch of its journal. In one durable
 * transaction: an unknown site gets its state, epoch ordinal 1; the
 * site's current epoch changes nothing but last_seen; a new epoch becomes
 * ordinal n + 1 with hwm 0 and head chain_genesis, raises the alert
 * "epoch_changed" and sets *epoch_changed to 1 (else 0).
 * *acked_seq and acked_hash get the site's hwm and chain head in the
 * (possibly new) current epoch: what the site should resume after. A
 * broken chain stays broken across a new epoch: an operator decides.
 * Returns 0, MSOSYNC_EREFUSED (a retired epoch of this site: that disk
 * was replaced), MSOSYNC_EFULL, MSOSYNC_ECORRUPT (the site's state does
 * not decode), MSOSYNC_EPANIC, or -errno. Outputs are set only on 0.
 */
int	store_hello(struct store *s, uint32_t site_id,
	    const uint8_t epoch[STORE_EPOCH_LEN], uint64_t *acked_seq,
	    uint8_t acked_hash[CHAIN_HASH_LEN], int *epoch_changed)
	    __attribute__((warn_unused_result));

/*
 * One batch of one site's records for store_apply. The inputs are the
 * caller's and are only read during the call; site_id is the site the
 * session authenticated (ZAP User-Id), never one taken from the payload.
 */
struct store_batch {
	uint32_t			 site_id;
	const uint8_t			*epoch;		/* STORE_EPOCH_LEN */
	const Msosync__Record *const	*rec;		/* in the order sent */
	size_t				 nrec;
	/* store_prepare's, or NULL: store_apply then prepares the batch */
	Msosync__Event			**ev;		/* rec[i]'s event */
	uint8_t				(*link)[CHAIN_HASH_LEN];
	/* Outputs, set by store_apply. */
	int				 result;	/* see store_apply */
	uint64_t			 acked_seq;	/* hwm after */
	uint8_t				 acked_hash[CHAIN_HASH_LEN];
	size_t				 applied;	/* events stored */
	size_t				 retransmits;	/* seq <= hwm */
	size_t				 duplicates;	/* known event_id:
							   skipped, the mark
							   advanced */
	char				 message[STORE_MESSAGE_MAX];
					/* why, when result != 0 */
};

/*
 * Apply n batches in ONE write transaction and one durable commit (group
 * commit): events, ids, aggregates (the hook) and every site's mark.
 * Batches are applied in order; several batches of one site see each
 * other's effects. For each record of a batch, in order:
 *   seq <= hwm            skipped as a retransmit
 *   seq >  hwm + 1        stop: MSOSYNC_EGAP
 *   hash != chain_hash(head, seq, event)
 *                         stop: MSOSYNC_ECHAIN; the site's chain is marked
 *                         broken and the alert "chain_mismatch" raised
 *                         (after store_resume the next record's hash is
 *                         taken as a new anchor instead)
 *   event does not decode, its seq differs, its event_id is empty or
 *   over STORE_EVENT_ID_MAX
 *                         stop: MSOSYNC_EPROTO
 *   event names another site
 *                         stop: MSOSYNC_EINVAL ("wrong site")
 *   event_id already held for the site
 *                         a duplicate: not stored as an event, no hook,
 *                         but the mark advances past it
 *   otherwise             stored, the hook runs, the mark advances.
 * Records applied before a stop stay applied. A batch is refused whole
 * with MSOSYNC_EREFUSED while the site's chain is broken, and with
 * MSOSYNC_EPROTO when its epoch is not the site's current one or the site
 * never said hello. MSOSYNC_ECORRUPT: the site's state or a key it needs
 * is damaged. b->result is 0 or one of these; acked_seq/acked_hash are
 * the site's mark after the call (0 and genesis for a stale epoch).
 *
 * Returns 0 (then each batch's result says what happened, and all of it
 * is durable), or, with nothing committed and every b->result set to the
 * same code: MSOSYNC_EFULL (budget reached: retry later), MSOSYNC_ETOOBIG
 * (too much for one transaction: send fewer batches), MSOSYNC_EPANIC,
 * -errno, or the hook's own nonzero return.
 */
int	store_apply(struct store *s, struct store_batch *b, size_t n)
	    __attribute__((warn_unused_result));

/*
 * store_apply in three steps, for a caller that runs the transaction and
 * its fsync on a thread of its own: start and finish on the thread that
 * makes the store's other calls, run on any one thread between them. One
 * apply at a time. Meanwhile that thread may read the store, and its
 * writes (store_hello, store_resume, store_write) wait for the run's
 * commit; only start and finish, and those writes, resize the map.
 *
 * start: 0, or store_apply's error (nothing to run; the batches' results
 * are set). run: the transaction. finish: store_apply's return, or
 * STORE_AGAIN when the map was grown for a transaction that did not fit:
 * run and finish again.
 */
#define STORE_AGAIN	1

struct store_apply_op {
	int	 rc;		/* run's LMDB code */
	void	*arg;		/* the store's */
};

int	store_apply_start(struct store *s, struct store_apply_op *op,
	    struct store_batch *b, size_t n)
	    __attribute__((warn_unused_result));
void	store_apply_run(struct store *s, struct store_apply_op *op);
int	store_apply_finish(struct store *s, struct store_apply_op *op)
	    __attribute__((warn_unused_result));

/*
 * The share of applying a batch that needs no store, and so may run on
 * another thread while the store applies other batches: ev[i] is rec[i]'s
 * event unpacked (NULL when it does not decode), link[i] for i >= 1 is
 * chain_hash(rec[i-1]'s hash, rec[i]'s seq and event): the hash rec[i]
 * must have when rec[i-1] is the site's head. Both come from 'alloc',
 * which must not fail (an arena's), and must outlive the store_apply.
 */
void	store_prepare(struct store_batch *b, ProtobufCAllocator *alloc);

/*
 * The aggregates' apply hook: called inside store_apply's transaction for
 * every stored (not duplicate) event, in apply order, with 'ev' valid only
 * during the call. It reads and writes its dbs through t only. A nonzero
 * return aborts the whole transaction and store_apply returns it (so a
 * hook returns 0, -errno or MSOSYNC_E*). The transaction may be redone
 * from the start (map growth), so the hook may see the same events again:
 * it must keep no state outside the store between calls, or tolerate that.
 * fn NULL removes the hook.
 */
typedef int (*store_hook_fn)(void *arg, struct store_txn *t,
    uint32_t site_id, const Msosync__Event *ev);
void	store_set_hook(struct store *s, store_hook_fn fn, void *arg);

/*
 * Generic access to the aggregates' dbs, named "rollups", "contracts" or
 * "clients", inside the hook's transaction, store_write's or store_read's.
 * Keys are 1 to 511 bytes. Every function returns, besides what it lists,
 * MSOSYNC_EINVAL (unknown db, bad key size), MSOSYNC_ECORRUPT, or
 * MSOSYNC_EPANIC; MSOSYNC_EFULL from a write means the transaction will be
 * redone after the map grows. After any such failure the transaction is
 * dead: the hook should return the code it got, and store_apply aborts
 * the transaction whatever the hook returns.
 *
 * In a write transaction these go through the store's write-back cache:
 * a key is read from the db at most once, what is written stays in memory,
 * and every changed key is written once, in key order, when the
 * transaction ends (store_apply's and store_write's commit), or earlier
 * when the cache holds store_set_cache_max keys or 32 MiB. Every call
 * sees what earlier calls of the transaction did. A write that fails
 * there (MSOSYNC_EFULL, MSOSYNC_ECORRUPT, ...) is returned by store_apply
 * or store_write, with nothing committed, or by the call that made the
 * cache write early.
 */

/*
 * Look key up. On 0, *val and *vlen give the value; it points into the
 * map or the cache and stays valid only until the next write in this
 * transaction or its end. Returns 0 or MSOSYNC_ENOTFOUND.
 */
int	store_txn_get(struct store_txn *t, const char *db, const void *key,
	    size_t klen, const void **val, size_t *vlen)
	    __attribute__((warn_unused_result));
/* Set key to a copy of val (vlen may be 0). Returns 0, MSOSYNC_EFULL, or
 * -EROFS in a read-only transaction. */
int	store_txn_put(struct store_txn *t, const char *db, const void *key,
	    size_t klen, const void *val, size_t vlen)
	    __attribute__((warn_unused_result));
/* Remove key. Returns 0, MSOSYNC_ENOTFOUND, MSOSYNC_EFULL, or -EROFS. */
int	store_txn_del(struct store_txn *t, const char *db, const void *key,
	    size_t klen) __attribute__((warn_unused_result));
/*
 * A value that is an array of int64 counters (8 bytes BE each): add
 * delta[0..n) to it, creating it with zeros, or extending a shorter one
 * with zeros, first. Counters past n are kept as they are (so a later
 * version may add counters at the end). Sums wrap modulo 2^64.
 * In a write transaction the deltas of a key not read yet are only summed
 * in the cache: the key is read and written once, at the end.
 * Returns 0, MSOSYNC_EFULL, -EROFS, or MSOSYNC_ECORRUPT (a value that is
 * not a whole number of counters: from this call when the transaction
 * has read the key, else from the end of the transaction).
 */
int	store_txn_add_i64(struct store_txn *t, const char *db, const void *key,
	    size_t klen, const int64_t *delta, size_t n)
	    __attribute__((warn_unused_result));
/*
 * Read such an array into out[0..n): counters the value does not have
 * read as 0, counters past n are ignored. Returns 0, or
 * MSOSYNC_ENOTFOUND with out all zero.
 */
int	store_txn_get_i64(struct store_txn *t, const char *db, const void *key,
	    size_t klen, int64_t *out, size_t n)
	    __attribute__((warn_unused_result));
/*
 * Call fn for each key that starts with prefix[0..plen) (plen 0: every
 * key), in key order, until fn returns nonzero. The pointers are valid
 * only during that call; fn must not write the db being scanned. In a
 * write transaction the cache is written out first.
 * Returns 0, fn's nonzero value, or an error.
 */
typedef int (*store_scan_fn)(void *arg, const void *key, size_t klen,
    const void *val, size_t vlen);
int	store_txn_scan(struct store_txn *t, const char *db, const void *prefix,
	    size_t plen, store_scan_fn fn, void *arg);

/*
 * The write-back cache's bound: at most 'keys' keys (0: the default) are
 * held before they are written early. For tests and tuning; a smaller
 * bound only costs time.
 */
#define STORE_CACHE_KEYS	65536
void	store_set_cache_max(struct store *s, size_t keys);

/* What the cache did since store_open. */
struct store_cache_stats {
	uint64_t	flushes;	/* write-outs, the early ones too */
	uint64_t	early;		/* at the bound, before the commit */
};
void	store_cache_stats(const struct store *s,
	    struct store_cache_stats *out);

/*
 * Run fn in one read-only transaction (one consistent snapshot) for the
 * query side; writes through t return -EROFS. Keep fn short: a long read
 * transaction pins pages the writer cannot reuse.
 * Returns fn's value, or an error before fn ran.
 */
int	store_read(struct store *s, int (*fn)(void *arg, struct store_txn *t),
	    void *arg);

/*
 * Find the stored event 'event_id' of 'site_id' (not a dup) and unpack it
 * into *out, the caller's (msosync__event__free_unpacked(*out, NULL)).
 * Works in the hook's transaction (a void looks up what it takes back).
 * Returns 0, MSOSYNC_ENOTFOUND, MSOSYNC_ECORRUPT, or an error as above.
 */
int	store_txn_find_event(struct store_txn *t, uint32_t site_id,
	    const char *event_id, Msosync__Event **out)
	    __attribute__((warn_unused_result));

/*
 * Run fn in one durable write transaction on the aggregate dbs (a rebuild
 * writes through it). fn may run more than once: on MDB_MAP_FULL the
 * transaction is aborted, the map grows and fn runs again from scratch, so
 * fn must take its inputs from arg, not consume them.
 * Returns fn's nonzero value, 0 after the commit, MSOSYNC_EFULL,
 * MSOSYNC_EPANIC, or another store error.
 */
int	store_write(struct store *s, int (*fn)(void *arg, struct store_txn *t),
	    void *arg) __attribute__((warn_unused_result));

/*
 * An operator accepts a site's broken chain (msoctl site resume): clear
 * chain_broken, take the next applied record's hash as an anchor of the
 * chain, and raise the alert "resumed" with 'reason' (non-empty; cut to
 * STORE_ALERT_MSG_MAX). One durable transaction.
 * Returns 0, MSOSYNC_ENOTFOUND (no state for the site), MSOSYNC_EINVAL
 * (empty reason, or the chain is not broken), MSOSYNC_EFULL,
 * MSOSYNC_ECORRUPT, MSOSYNC_EPANIC, or -errno.
 */
int	store_resume(struct store *s, uint32_t site_id, const char *reason)
	    __attribute__((warn_unused_result));

struct store_alert {
	int64_t	 at_ms;
	char	 kind[STORE_ALERT_KIND_MAX];
	char	 message[STORE_ALERT_MSG_MAX];
};

/* A copy of a site's state; the caller's, no pointers inside. */
struct store_site_info {
	uint32_t		 site_id;
	uint32_t		 epoch_ord;	/* current epoch ordinal */
	uint8_t			 epoch[STORE_EPOCH_LEN];
	char			 epoch_hex[2 * STORE_EPOCH_LEN + 1];
	uint64_t		 hwm;		/* in the current epoch */
	uint8_t			 head_hash[CHAIN_HASH_LEN];
	uint64_t		 events;	/* over every epoch */
	uint64_t		 duplicates;	/* skipped, over every epoch */
	int			 chain_broken;
	uint64_t		 broken_seq;	/* when chain_broken */
	int			 resync;	/* resumed, no record since */
	int64_t			 last_seen_ms;	/* last hello or batch */
	size_t			 nalerts;
	struct store_alert	 alerts[STORE_ALERTS_MAX];	/* oldest 1st */
};

/* Returns 0, MSOSYNC_ENOTFOUND, MSOSYNC_ECORRUPT, or -errno. */
int	store_site(struct store *s, uint32_t site_id,
	    struct store_site_info *out) __attribute__((warn_unused_result));

/*
 * Recheck everything stored: each site's chain in each epoch from
 * chain_genesis over its records (events and dups, by seq), trusting the
 * stored hash only at the anchors of operators' resumes; that seqs run
 * 1, 2, ... without holes; that the current epoch ends at the state's hwm
 * and head; that each site holds as many events and dups as its state
 * counts; that each dup's event_id is held. Each problem is reported
 * through 'report' (may be NULL) with the site, epoch ordinal and seq it
 * concerns (0 where none applies); 'problem' is valid during the call.
 * Reads in read transactions of at most 100,000 records each. *checked
 * (may be NULL) gets the number of records read.
 * Returns 0 (all good), MSOSYNC_ECHAIN (something was reported), or an
 * error that stopped the check (-errno, MSOSYNC_EPANIC).
 */
typedef void (*store_report_fn)(void *arg, uint32_t site, uint32_t epoch_ord,
    uint64_t seq, const char *problem);
int	store_verify(struct store *s, store_report_fn report, void *arg,
	    uint64_t *checked);

/*
 * Call fn for every stored event (dups are not events) of 'site_id', or of
 * every site when it is 0, in key order (site, epoch ordinal, seq), until
 * fn returns nonzero: to recompute aggregates from what is stored. The
 * event bytes are valid only during the call. Reads in read transactions
 * of at most 100,000 records each; fn must not call into the store.
 * Returns 0, fn's nonzero value, or an error.
 */
typedef int (*store_event_fn)(void *arg, uint32_t site, uint32_t epoch_ord,
    uint64_t seq, const void *event, size_t len);
int	store_scan_events(struct store *s, uint32_t site_id, store_event_fn fn,
	    void *arg);

/* Count the site's stored events (over every epoch; dups not counted).
 * Returns 0 or an error. */
int	store_count_site_events(struct store *s, uint32_t site_id, uint64_t *n)
	    __attribute__((warn_unused_result));

/*
 * Clear reader slots left by dead processes (at open, and from the hub's
 * periodic tick). *dead (may be NULL) gets how many. Returns 0 or -errno.
 */
int	store_reader_check(struct store *s, int *dead);

size_t	store_bytes(const struct store *s);	/* pages in use × page size */
size_t	store_max_bytes(const struct store *s);	/* the budget */

#endif
