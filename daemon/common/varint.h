/*
 * Protocol Buffers varints, for the places that write protobuf bytes by
 * hand (the wire codec's batches, the ingest's seq splice) and must agree
 * with protobuf-c byte for byte.
 */
#ifndef MSOSYNC_VARINT_H
#define MSOSYNC_VARINT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes that v takes as a varint: 1 to 10. */
static inline size_t
varint_len(uint64_t v)
{
	size_t	n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Write v at p (room for varint_len(v) bytes); returns how many. */
static inline size_t
varint_put(uint8_t *p, uint64_t v)
{
	size_t	n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

#endif
