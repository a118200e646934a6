/*
 * Big-endian integers in byte buffers: the on-disk and key formats of the
 * journal and the store, so that keys sort as numbers.
 */
#ifndef MSOSYNC_BE_H
#define MSOSYNC_BE_H

#include <stdint.h>

static inline void
put32(void *p, uint32_t v)
{
	uint8_t	*b = p;

	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static inline uint32_t
get32(const void *p)
{
	const uint8_t	*b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

static inline void
put64(void *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32((uint8_t *)p + 4, (uint32_t)v);
}

static inline uint64_t
get64(const void *p)
{
	return (uint64_t)get32(p) << 32 | get32((const uint8_t *)p + 4);
}

#endif
