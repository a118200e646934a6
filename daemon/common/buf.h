/*
 * A growable byte buffer. The caller owns 'data' (free with buf_free).
 * Appends never fail: out of memory aborts (xmalloc).
 */
#ifndef MSOSYNC_BUF_H
#define MSOSYNC_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	char	*data;	/* NUL-terminated after any append, for convenience */
	size_t	 len;
	size_t	 cap;
};

void	buf_reserve(struct buf *b, size_t extra);
void	buf_append(struct buf *b, const void *p, size_t n);
void	buf_putc(struct buf *b, char c);
void	buf_puts(struct buf *b, const char *s);
void	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Append v in decimal, without printf (hot reply paths). */
void	buf_put_u64(struct buf *b, uint64_t v);
/* Append v as a protobuf varint (varint.h). */
void	buf_put_varint(struct buf *b, uint64_t v);
/* Append 's' (n bytes) as a JSON string literal, quotes included. */
void	buf_json_string(struct buf *b, const char *s, size_t n);
void	buf_reset(struct buf *b);	/* len = 0, keeps the memory */
void	buf_free(struct buf *b);	/* frees and zeroes */

#endif
