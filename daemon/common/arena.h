/*
 * A bump allocator: everything it handed out goes at once on reset, and
 * its blocks are kept for the next round, so a steady load allocates
 * nothing. The hub's store unpacks each event into one, and keeps its
 * write-back cache's keys and values in another. One thread at a time.
 */
#ifndef MSOSYNC_ARENA_H
#define MSOSYNC_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define ARENA_BLOCK	((size_t)64 << 10)
#define ARENA_KEEP	16			/* blocks kept across resets */

struct arena {
	uint8_t		**blk;
	size_t		 *size;
	size_t		  nblk, capblk;
	size_t		  cur;		/* block being filled */
	size_t		  off;		/* into blk[cur] */
	size_t		  used;		/* bytes handed out since the reset */
};

/* n bytes, 16-byte aligned, valid until the next reset. Never NULL. */
void	*arena_alloc(struct arena *a, size_t n);
/* Hand everything back; keep the first ARENA_KEEP ordinary blocks. */
void	 arena_reset(struct arena *a);
/* Does p lie in memory the arena handed out? */
int	 arena_owns(const struct arena *a, const void *p);
/* Free everything; the arena is empty (zeroed) after. */
void	 arena_free(struct arena *a);
/*
 * A protobuf-c allocator over 'a' (which must outlive it): unpacking into
 * it costs no malloc per field, and its free does nothing, so a message
 * unpacked with it is simply dropped and goes with the next reset.
 */
void	 arena_pb_allocator(struct arena *a, ProtobufCAllocator *out);

#endif
