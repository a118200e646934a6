/*
 * The hub store's write-back cache of its aggregate dbs (rollups,
 * contracts, clients) for the one write transaction open at a time: every
 * key the transaction touches, held in memory, so each is read from LMDB
 * at most once and written once, in key order, when the transaction ends
 * (store.c does the reading and writing; this is the table). Open
 * addressing over entries; keys and values in an arena. Loop thread only.
 */
#ifndef MSOSYNC_WCACHE_H
#define MSOSYNC_WCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

#define WC_BYTES	((size_t)32 << 20)	/* keys and values held */

enum { WC_DELTA, WC_VALUE };

/*
 * One aggregate key touched by the write transaction. A WC_DELTA holds
 * counter deltas for a key not read yet (its stored value is unknown);
 * a WC_VALUE holds what the key holds as of now, present or not.
 */
struct wentry {
	uint64_t	 hash;
	uint64_t	 head;		/* the key's first 8 bytes, BE, padded
					   with zeros: most compares end here */
	uint8_t		*key;		/* in the arena */
	uint8_t		*val;		/* delta: len int64 in host order;
					   value: len bytes */
	size_t		 len;
	size_t		 cap;		/* bytes at val */
	uint16_t	 klen;
	uint8_t		 db;		/* index into agg[] */
	uint8_t		 kind;
	uint8_t		 present;	/* value: the key exists */
	uint8_t		 dirty;		/* value: differs from the db */
};

/*
 * The cache. Emptied when a transaction starts and after each flush;
 * flushed before the commit, and early when it reaches max_keys keys or
 * WC_BYTES bytes (wc_full).
 */
struct wcache {
	struct wentry	 *e;
	size_t		  n, cap;
	uint32_t	 *slot;		/* entry index + 1, 0 when free */
	size_t		  nslot;	/* a power of two, >= 2 * cap */
	struct arena	  mem;
	struct wentry	**order;	/* the flush's sort */
	uint8_t		 *buf;		/* the flush's sums */
	size_t		  bufcap;
	size_t		  max_keys;
	uint64_t	  flushes;
	uint64_t	  early;
};

/* The hash a key is found by, in db 'db' (an index into the store's). */
uint64_t	 wc_hash(unsigned db, const uint8_t *k, size_t n);
/* Empty the table, keeping its memory. */
void		 wc_reset(struct wcache *wc);
/* Free everything; the cache is zeroed. */
void		 wc_free(struct wcache *wc);
/* The entry of (db, key) with hash h, or NULL. */
struct wentry	*wc_find(struct wcache *wc, unsigned db, const void *key,
		    size_t klen, uint64_t h);
/* A new, zeroed entry for a key the cache does not hold (hash, key set). */
struct wentry	*wc_add(struct wcache *wc, unsigned db, const void *key,
		    size_t klen, uint64_t h);
/* At its bound: the caller writes it out before adding more. */
int		 wc_full(const struct wcache *wc);
/* Room for 'len' bytes at e->val; what was there is kept. */
void		 wc_room(struct wcache *wc, struct wentry *e, size_t len);
/*
 * out = counters base[0..have) (8 bytes BE each; base may be out itself)
 * plus deltas d[0..n) in host order, as many counters as the longer of
 * the two. Sums wrap, as the store's counters do.
 */
void		 wc_sum(uint8_t *out, const void *base, size_t have,
		    const int64_t *d, size_t n);
/* qsort order of struct wentry *: by db, then key bytes as LMDB does. */
int		 wc_cmp(const void *a, const void *b);
/* d[0..n) += delta[0..n), wrapping. */
void		 wc_add_deltas(uint64_t *restrict d,
		    const int64_t *restrict delta, size_t n);

#endif
