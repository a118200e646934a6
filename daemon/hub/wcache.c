/*
 * The write-back cache's table; see wcache.h.
 */
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "wcache.h"
#include "xmalloc.h"

uint64_t
wc_hash(unsigned db, const uint8_t *k, size_t n)
{
	uint64_t	h = (db + 1) * 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; k += 8, n -= 8) {
		memcpy(&w, k, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, k, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ h >> 29;
}

void
wc_reset(struct wcache *wc)
{
	if (wc->n > 0 && wc->nslot > 0)
		memset(wc->slot, 0, wc->nslot * sizeof(*wc->slot));
	wc->n = 0;
	arena_reset(&wc->mem);
}

void
wc_free(struct wcache *wc)
{
	arena_free(&wc->mem);
	free(wc->e);
	free(wc->slot);
	free(wc->order);
	free(wc->buf);
	memset(wc, 0, sizeof(*wc));
}

struct wentry *
wc_find(struct wcache *wc, unsigned db, const void *key, size_t klen,
    uint64_t h)
{
	struct wentry	*e;
	size_t		 i;

	if (wc->n == 0)
		return NULL;
	for (i = h & (wc->nslot - 1); wc->slot[i] != 0;
	    i = (i + 1) & (wc->nslot - 1)) {
		e = &wc->e[wc->slot[i] - 1];
		if (e->hash == h && e->db == db && e->klen == klen &&
		    memcmp(e->key, key, klen) == 0)
			return e;
	}
	return NULL;
}

static void
wc_place(struct wcache *wc, size_t idx)
{
	size_t	i;

	for (i = wc->e[idx].hash & (wc->nslot - 1); wc->slot[i] != 0;
	    i = (i + 1) & (wc->nslot - 1))
		;
	wc->slot[i] = (uint32_t)idx + 1;
}

/* A new entry for a key the cache does not hold; fields left to set. */
struct wentry *
wc_add(struct wcache *wc, unsigned db, const void *key, size_t klen,
    uint64_t h)
{
	struct wentry	*e;

	if (wc->n == wc->cap) {
		wc->cap = wc->cap ? 2 * wc->cap : 1024;
		wc->e = xrealloc(wc->e, wc->cap * sizeof(*wc->e));
		wc->order = xrealloc(wc->order, wc->cap *
		    sizeof(*wc->order));
		free(wc->slot);
		wc->nslot = 2 * wc->cap;
		wc->slot = xcalloc(wc->nslot, sizeof(*wc->slot));
		for (size_t i = 0; i < wc->n; i++)
			wc_place(wc, i);
	}
	e = &wc->e[wc->n];
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->db = (uint8_t)db;
	e->klen = (uint16_t)klen;
	e->key = arena_alloc(&wc->mem, klen);
	memcpy(e->key, key, klen);
	for (size_t i = 0; i < 8; i++)
		e->head = e->head << 8 | (i < klen ? e->key[i] : 0);
	wc_place(wc, wc->n++);
	return e;
}

int
wc_full(const struct wcache *wc)
{
	return wc->n >= wc->max_keys || wc->mem.used >= WC_BYTES;
}

/* Room for 'len' bytes at e->val; what was there is kept. */
void
wc_room(struct wcache *wc, struct wentry *e, size_t len)
{
	uint8_t	*p;

	if (len <= e->cap)
		return;
	p = arena_alloc(&wc->mem, len);
	if (e->cap > 0)
		memcpy(p, e->val, e->cap);
	e->val = p;
	e->cap = len;
}

/*
 * out = counters base[0..have) (8 bytes BE each; base may be out itself)
 * plus deltas d[0..n) in host order, as many counters as the longer of
 * the two. Sums wrap, as the store's counters do.
 */
void
wc_sum(uint8_t *out, const void *base, size_t have, const int64_t *d,
    size_t n)
{
	size_t	m = have > n ? have : n;

	if (have > 0 && out != base)
		memcpy(out, base, have * 8);
	memset(out + have * 8, 0, (m - have) * 8);
	for (size_t i = 0; i < n; i++)
		put64(out + 8 * i, get64(out + 8 * i) + (uint64_t)d[i]);
}

int
wc_cmp(const void *a, const void *b)
{
	const struct wentry	*x = *(struct wentry *const *)a;
	const struct wentry	*y = *(struct wentry *const *)b;
	size_t			 n;
	int			 c;

	if (x->db != y->db)
		return x->db < y->db ? -1 : 1;
	/* A short key reads as padded with zeros, which memcmp agrees with. */
	if (x->head != y->head)
		return x->head < y->head ? -1 : 1;
	n = x->klen < y->klen ? x->klen : y->klen;
	if ((c = memcmp(x->key, y->key, n)) != 0)
		return c;
	return x->klen < y->klen ? -1 : x->klen > y->klen;
}

/*
 * d[0..n) += delta[0..n), wrapping. Every event adds a whole day's vector
 * twice: four at a time, which the compiler turns into vector adds.
 */
void
wc_add_deltas(uint64_t *restrict d, const int64_t *restrict delta, size_t n)
{
	size_t	j = 0;

	for (; j + 4 <= n; j += 4) {
		d[j] += (uint64_t)delta[j];
		d[j + 1] += (uint64_t)delta[j + 1];
		d[j + 2] += (uint64_t)delta[j + 2];
		d[j + 3] += (uint64_t)delta[j + 3];
	}
	for (; j < n; j++)
		d[j] += (uint64_t)delta[j];
}
