/*
 * Bump allocator; see arena.h.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "xmalloc.h"

void *
arena_alloc(struct arena *a, size_t n)
{
	uint8_t	*p;
	size_t	 size;

	n = (n + 15) & ~(size_t)15;
	while (a->cur < a->nblk && a->off + n > a->size[a->cur]) {
		a->cur++;
		a->off = 0;
	}
	if (a->cur == a->nblk) {
		if (a->nblk == a->capblk) {
			a->capblk = a->capblk ? 2 * a->capblk : 16;
			a->blk = xrealloc(a->blk, a->capblk *
			    sizeof(*a->blk));
			a->size = xrealloc(a->size, a->capblk *
			    sizeof(*a->size));
		}
		size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		a->blk[a->nblk] = xmalloc(size);
		a->size[a->nblk] = size;
		a->nblk++;
		a->off = 0;
	}
	p = a->blk[a->cur] + a->off;
	a->off += n;
	a->used += n;
	return p;
}

void
arena_reset(struct arena *a)
{
	size_t	kept = 0;

	for (size_t i = 0; i < a->nblk; i++) {
		if (kept < ARENA_KEEP && a->size[i] == ARENA_BLOCK) {
			a->blk[kept] = a->blk[i];
			a->size[kept++] = ARENA_BLOCK;
		} else
			free(a->blk[i]);
	}
	a->nblk = kept;
	a->cur = 0;
	a->off = 0;
	a->used = 0;
}

int
arena_owns(const struct arena *a, const void *p)
{
	const uint8_t	*b = p;

	for (size_t i = 0; i < a->nblk; i++)
		if (b >= a->blk[i] && b < a->blk[i] + a->size[i])
			return 1;
	return 0;
}

void
arena_free(struct arena *a)
{
	for (size_t i = 0; i < a->nblk; i++)
		free(a->blk[i]);
	free(a->blk);
	free(a->size);
	memset(a, 0, sizeof(*a));
}

static void *
pb_alloc(void *arg, size_t n)
{
	return arena_alloc(arg, n);
}

static void
pb_free(void *arg, void *p)
{
	(void)arg;
	(void)p;
}

void
arena_pb_allocator(struct arena *a, ProtobufCAllocator *out)
{
	out->alloc = pb_alloc;
	out->free = pb_free;
	out->allocator_data = a;
}
