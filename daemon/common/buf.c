/*
 * Growable byte buffer used for every text and wire encoding.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "varint.h"
#include "xmalloc.h"

void
buf_reserve(struct buf *b, size_t extra)
{
	size_t	need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_putc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_put_u64(struct buf *b, uint64_t v)
{
	char	tmp[20], *p = tmp + sizeof(tmp);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
buf_put_varint(struct buf *b, uint64_t v)
{
	uint8_t	t[10];

	buf_append(b, t, varint_put(t, v));
}

void
buf_json_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t		  run = 0;

	buf_reserve(b, n + 2);
	buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		/* the plain bytes before this one go in one copy */
		buf_append(b, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else {
			char esc[7] = { '\\', 'u', '0', '0', hex[c >> 4],
			    hex[c & 15], 0 };
			switch (c) {
			case '\n': buf_puts(b, "\\n"); break;
			case '\t': buf_puts(b, "\\t"); break;
			case '\r': buf_puts(b, "\\r"); break;
			default: buf_puts(b, esc); break;
			}
		}
	}
	buf_append(b, s + run, n - run);
	buf_putc(b, '"');
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	if (b->data)
		free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
