/*
 * The agent's journal: an LMDB environment in DATA_DIR/journal holding
 *   records  seq (8 bytes BE) -> hash (32) || recorded_at ms (8 BE) || event
 *   ids      event_id -> seq (8 BE) || flags (1: JOURNAL_F_VOID, JOURNAL_F_VOIDED)
 *   meta     "epoch" (16 random bytes, made when the journal is created),
 *            "site_id" (4 BE), "head" (seq 8 BE || hash 32),
 *            "acked" (seq 8 BE)
 * Records carry the hash chain of chain.h. ids are kept after their
 * records are pruned, so a replayed event_id is still recognised.
 *
 * Only this module includes lmdb.h. It is used from the agent's one event
 * loop thread, but for an append's transaction, which may run on another
 * (journal_append_run); the caller serialises appends (seqs are assigned
 * by the caller from journal_head_seq). Every append is one durable transaction
 * (default LMDB sync: fsync on commit; never WRITEMAP/NOSYNC/NOMETASYNC).
 * The map grows on MDB_MAP_FULL (from put or commit) in steps up to the
 * budget; past it, MSOSYNC_EFULL and nothing is appended. An fsync/write
 * error or MDB_PANIC returns MSOSYNC_EPANIC: the caller must not ack and
 * should exit so the supervisor restarts it on a consistent file.
 */
#ifndef MSOSYNC_JOURNAL_H
#define MSOSYNC_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "chain.h"

#define JOURNAL_EPOCH_LEN	16
#define JOURNAL_F_VOID		0x01	/* the event is a void */
#define JOURNAL_F_VOIDED	0x02	/* a later void took this event back */

struct journal;

struct journal_entry {
	const char	*event_id;	/* not NUL-terminated necessarily */
	size_t		 id_len;
	const void	*event;		/* packed Event, seq already set */
	size_t		 len;
	int64_t		 recorded_at;	/* ms */
	uint64_t	 seq;		/* append: must be head + 1 + i;
					   find: out, 0 when unknown */
	unsigned	 flags;		/* append: JOURNAL_F_VOID for a void;
					   find: out, the stored flags */
	const char	*voids_id;	/* append: event_id this void takes back */
	size_t		 voids_len;	/* (its flags gain JOURNAL_F_VOIDED) */
};

/*
 * Open or create the journal under 'dir' (created 0700 if absent) for
 * 'site_id', with a map budget of 'max_bytes'. A new journal gets a fresh
 * random epoch. Runs mdb_reader_check. Returns 0, MSOSYNC_ECONFIG (the
 * journal belongs to another site_id), MSOSYNC_ECORRUPT, MSOSYNC_EFULL
 * (budget smaller than the file), or -errno.
 */
int	journal_open(const char *dir, uint32_t site_id, size_t max_bytes,
	    struct journal **out) __attribute__((warn_unused_result));
void	journal_close(struct journal **j);	/* NULL-safe; sets *j = NULL */

/* For each entry, set seq and flags from the ids index (seq 0: unknown). */
int	journal_find(struct journal *j, struct journal_entry *e, size_t n)
	    __attribute__((warn_unused_result));

/*
 * Append n entries in one durable transaction: records, ids, chain head,
 * and the VOIDED flag of each voids_id. On any error nothing is appended.
 * Returns 0, MSOSYNC_EFULL, MSOSYNC_EPANIC, or -errno.
 */
int	journal_append(struct journal *j, const struct journal_entry *e,
	    size_t n) __attribute__((warn_unused_result));

/*
 * journal_append in three steps, so that its transaction and fsync can run
 * on a thread of their own while the loop goes on:
 *
 *   journal_append_start   (loop) checks the entries; 0 or an error as
 *                          journal_append, and then nothing is in flight
 *   journal_append_run     (any one thread) the durable transaction
 *   journal_append_finish  (loop) publishes the new head: 0 or an error as
 *                          journal_append, or JOURNAL_AGAIN when the map
 *                          had to grow: run and finish again
 *
 * From start to the final finish, the entries must stay put and the loop
 * must not append; it may find, scan, set the acked mark and prune (those
 * wait for the transaction, and do not grow the map meanwhile).
 */
#define JOURNAL_AGAIN	1

struct journal_append {
	const struct journal_entry	*e;
	size_t				 n;
	int				 rc;	/* run's LMDB code */
	uint8_t				 hash[CHAIN_HASH_LEN];
};

int	journal_append_start(struct journal *j, struct journal_append *op,
	    const struct journal_entry *e, size_t n)
	    __attribute__((warn_unused_result));
void	journal_append_run(struct journal *j, struct journal_append *op);
int	journal_append_finish(struct journal *j, struct journal_append *op)
	    __attribute__((warn_unused_result));

uint64_t	 journal_head_seq(const struct journal *j);
const uint8_t	*journal_head_hash(const struct journal *j);	/* 32 bytes */
const uint8_t	*journal_epoch(const struct journal *j);	/* 16 bytes */
uint64_t	 journal_acked_seq(const struct journal *j);
uint64_t	 journal_first_seq(const struct journal *j);	/* oldest kept, 0 if none */
size_t		 journal_bytes(const struct journal *j);	/* pages in use × page size */
size_t		 journal_max_bytes(const struct journal *j);

/*
 * Record that the hub holds everything up to 'seq' (durable). Never moves
 * the mark backwards or past the head. Returns 0 or an error as append.
 */
int	journal_set_acked(struct journal *j, uint64_t seq)
	    __attribute__((warn_unused_result));

/*
 * Call fn for records from 'from_seq' on, in order, until fn returns
 * nonzero or the head is reached. The pointers are valid only during the
 * call (they point into the map). Returns 0, fn's nonzero value, or an
 * error.
 */
typedef int (*journal_scan_fn)(void *arg, uint64_t seq,
    const uint8_t hash[CHAIN_HASH_LEN], int64_t recorded_at,
    const void *event, size_t len);
int	journal_scan(struct journal *j, uint64_t from_seq, journal_scan_fn fn,
	    void *arg);

/*
 * Delete records with seq <= min(acked, upto) and recorded_at < before_ms,
 * oldest first, at most 'max' of them in one transaction (so a big prune
 * never holds the writer long). *pruned gets the count.
 */
int	journal_prune(struct journal *j, uint64_t upto, int64_t before_ms,
	    size_t max, size_t *pruned) __attribute__((warn_unused_result));

/*
 * Recompute the hash chain over every kept record (from the first kept
 * one's stored hash). Returns 0 or MSOSYNC_ECHAIN with the first bad seq
 * in *bad_seq.
 */
int	journal_verify(struct journal *j, uint64_t *bad_seq);

#endif
