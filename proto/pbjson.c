/*
 * The one JSON <-> protobuf mapper (the mapping is described in pbjson.h).
 * Decoding reads the JSON text once, as a strict RFC 8259 reader guided by
 * the message descriptor: no tree, no allocation but what the message
 * keeps, because every event an agent takes goes through it. It builds a
 * message that protobuf_c_message_free_unpacked can free at any point, so
 * a failure half way just frees what was built.
 * Encoding walks the message and writes text straight into a struct buf:
 * no jansson objects and no allocation beyond the buffer's, because every
 * accepted event and every report row goes through it. pbjson_to_json
 * alone builds jansson objects, for callers that assemble bigger
 * documents.
 *
 * It owns no state; any thread may call it.
 */
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.pb-c.h"
#include "msosync/error.h"
#include "pbjson.h"
#include "xmalloc.h"

#define MS_PER_DAY	86400000LL
#define TIME_MIN_MS	(-2208988800000LL)	/* 1900-01-01T00:00:00Z */
#define TIME_MAX_MS	253402300799999LL	/* 9999-12-31T23:59:59.999Z */
#define ENUM_NAME_MAX	64
#define SHOWN_MAX	40	/* bytes of a bad value quoted in an error */

enum kind { PLAIN, TIME, DATE };

/*
 * The oneofs that are a message's body: exactly one member must be set.
 * protobuf-c's descriptors do not carry oneof names, so the body is named
 * here by its case member.
 */
static const struct {
	const ProtobufCMessageDescriptor	*desc;
	unsigned				 case_offset;
} bodies[] = {
	{ &msosync__event__descriptor, offsetof(Msosync__Event, body_case) },
};

/* The reader's state: where it is in the text and in the message. */
struct dec {
	const unsigned char	*text;		/* positions count from here */
	size_t			 line;		/* the line text begins on */
	const unsigned char	*p;		/* the next byte */
	const unsigned char	*end;
	const char		*prefix;	/* before a fault of the text */
	char			*err;
	size_t			 errlen;
	int			 syntax;	/* err holds a fault of the text */
	int			 depth;
	size_t			 plen;
	char			 path[PBJSON_ERR_MAX];
	ProtobufCAllocator	*alloc;		/* the message is made of */
};

/* Calendar arithmetic on the proleptic Gregorian calendar, days from 1970. */

static int
is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(long y, int m)
{
	static const unsigned char dm[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/*
 * Years are counted from March so that the leap day ends a year; a
 * 400-year era then always holds 146097 days.
 */
static long long
days_from_civil(long y, int m, int d)
{
	long long	era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long long z, long long *y, int *m, int *d)
{
	long long	era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
digits(const char *s, int n, int *out)
{
	int	v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

/* "YYYY-MM-DD" at s (not necessarily NUL-terminated there). */
static int
scan_date(const char *s, int *y, int *m, int *d)
{
	if (!digits(s, 4, y) || s[4] != '-' || !digits(s + 5, 2, m) ||
	    s[7] != '-' || !digits(s + 8, 2, d))
		return 0;
	return *m >= 1 && *m <= 12 && *d >= 1 && *d <= month_days(*y, *m);
}

int
pbjson_parse_date(const char *s, unsigned *yyyymmdd)
{
	int	y, m, d;

	if (s == NULL || strlen(s) != 10 || !scan_date(s, &y, &m, &d) ||
	    y < 1900)
		return MSOSYNC_EINVAL;
	*yyyymmdd = (unsigned)(y * 10000 + m * 100 + d);
	return 0;
}

void
pbjson_format_date(unsigned yyyymmdd, char *out)
{
	/* The year is cut to four digits so that 11 bytes always suffice. */
	unsigned	y = yyyymmdd / 10000 % 10000;
	unsigned	m = yyyymmdd / 100 % 100, d = yyyymmdd % 100;

	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

int
pbjson_parse_time(const char *s, long long *unix_ms)
{
	const char	*p;
	long long	 ms;
	int		 y, mo, d, h, mi, sec, frac = 0, off = 0;

	if (s == NULL || strnlen(s, 20) < 20 || !scan_date(s, &y, &mo, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec) || h > 23 || mi > 59 || sec > 59)
		return MSOSYNC_EINVAL;
	p = s + 19;
	if (*p == '.') {
		int	n = 0;

		/* Below a millisecond is cut, as a clock would show it. */
		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 3)
				frac = frac * 10 + (*p - '0');
		if (n == 0)
			return MSOSYNC_EINVAL;
		for (; n < 3; n++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		int	oh, om;

		if (!digits(p + 1, 2, &oh) || p[3] != ':' ||
		    !digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return MSOSYNC_EINVAL;
		off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 6;
	} else
		return MSOSYNC_EINVAL;
	if (*p != '\0')
		return MSOSYNC_EINVAL;
	ms = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL +
	    sec - off * 60LL;
	ms = ms * 1000 + frac;
	if (ms < TIME_MIN_MS || ms > TIME_MAX_MS)
		return MSOSYNC_EINVAL;
	*unix_ms = ms;
	return 0;
}

static void
two(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

void
pbjson_format_time(long long unix_ms, char *out)
{
	long long	 days, rem, y;
	int		 m, d, ms, n;
	char		*p;

	days = unix_ms / MS_PER_DAY;
	rem = unix_ms % MS_PER_DAY;
	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	ms = (int)(rem % 1000);
	rem /= 1000;
	if (y >= 0 && y <= 9999) {
		out[0] = (char)('0' + y / 1000);
		out[1] = (char)('0' + y / 100 % 10);
		two(out + 2, (int)(y % 100));
		n = 4;
	} else
		n = snprintf(out, 16, "%lld", y);
	p = out + n;
	p[0] = '-';
	two(p + 1, m);
	p[3] = '-';
	two(p + 4, d);
	p[6] = 'T';
	two(p + 7, (int)(rem / 3600));
	p[9] = ':';
	two(p + 10, (int)(rem / 60 % 60));
	p[12] = ':';
	two(p + 13, (int)(rem % 60));
	p += 15;
	if (ms != 0) {
		p[0] = '.';
		p[1] = (char)('0' + ms / 100);
		two(p + 2, ms % 100);
		p += 4;
	}
	p[0] = 'Z';
	p[1] = '\0';
}

/* Length of the valid UTF-8 sequence at s, or 0 if there is none. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;		/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;		/* above U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static int
utf8_valid(const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, k;

	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_seq(u + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* Encoding: text straight into the buffer. */

static char *
room(struct buf *b, size_t n)
{
	buf_reserve(b, n);
	return b->data + b->len;
}

static void
used(struct buf *b, size_t n)
{
	b->len += n;
	b->data[b->len] = '\0';
}

static void
put_u64(struct buf *b, unsigned long long v, int neg)
{
	char	tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (neg)
		*--p = '-';
	buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void
put_i64(struct buf *b, long long v)
{
	if (v < 0)
		put_u64(b, 0ULL - (unsigned long long)v, 1);
	else
		put_u64(b, (unsigned long long)v, 0);
}

/*
 * A JSON string literal. Stored strings passed strict decoding, or came
 * leniently off the wire; a byte that is not UTF-8 becomes U+FFFD so the
 * output is always valid JSON.
 */
static void
put_str(struct buf *b, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, run, k;
	char			*p;

	for (i = 0; i < n; i++)
		if (u[i] < 0x20 || u[i] == '"' || u[i] == '\\' || u[i] >= 0x80)
			break;
	if (i == n) {
		p = room(b, n + 2);
		p[0] = '"';
		memcpy(p + 1, s, n);
		p[n + 1] = '"';
		used(b, n + 2);
		return;
	}
	buf_putc(b, '"');
	run = 0;
	for (; i < n; i++) {
		unsigned char	c = u[i];

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80)
			continue;
		if (c >= 0x80 && (k = utf8_seq(u + i, n - i)) != 0) {
			i += k - 1;
			continue;
		}
		buf_append(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			buf_append(b, "\\\"", 2);
			break;
		case '\\':
			buf_append(b, "\\\\", 2);
			break;
		case '\n':
			buf_append(b, "\\n", 2);
			break;
		case '\r':
			buf_append(b, "\\r", 2);
			break;
		case '\t':
			buf_append(b, "\\t", 2);
			break;
		case '\b':
			buf_append(b, "\\b", 2);
			break;
		case '\f':
			buf_append(b, "\\f", 2);
			break;
		default:
			if (c >= 0x80) {
				buf_append(b, "\\ufffd", 6);
				break;
			}
			p = room(b, 6);
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 15];
			used(b, 6);
			break;
		}
	}
	buf_append(b, s + run, n - run);
	buf_putc(b, '"');
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t	n = strlen(s), k = strlen(suffix);

	return n > k && memcmp(s + n - k, suffix, k) == 0;
}

static enum kind
kind_of(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return ends_with(f->name, "_at") ? TIME : PLAIN;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return ends_with(f->name, "_date") || ends_with(f->name, "_on") ?
		    DATE : PLAIN;
	default:
		return PLAIN;
	}
}

static size_t
elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return sizeof(int64_t);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		return sizeof(int32_t);		/* 32-bit ints and enums */
	}
}

/* Whether a singular field is set, with proto3 defaults counting as unset. */
static int
is_set(const char *base, const ProtobufCFieldDescriptor *f)
{
	const void	*p = base + f->offset;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return 1;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
		if (f->type == PROTOBUF_C_TYPE_STRING) {
			const char *s = *(char *const *)p;
			return s != NULL && s != f->default_value;
		}
		if (f->type == PROTOBUF_C_TYPE_MESSAGE)
			return *(void *const *)p != NULL;
		return *(const protobuf_c_boolean *)(base +
		    f->quantifier_offset) != 0;
	}
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return *(const uint64_t *)p != 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)p != 0;
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)p != 0;
	case PROTOBUF_C_TYPE_BOOL:
		return *(const protobuf_c_boolean *)p != 0;
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return s != NULL && s[0] != '\0';
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len != 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(void *const *)p != NULL;
	default:
		return *(const uint32_t *)p != 0;
	}
}

static void	enc_message(struct buf *, const ProtobufCMessage *);

static void
enc_value(struct buf *b, const ProtobufCFieldDescriptor *f, enum kind k,
    const void *p)
{
	static const char		 hex[] = "0123456789abcdef";
	const ProtobufCEnumValue	*ev;
	const ProtobufCBinaryData	*bd;
	const char			*s;
	char				*o;
	char				 tmp[40];
	size_t				 n;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		put_i64(b, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (k == DATE) {
			o = room(b, 12);
			o[0] = '"';
			pbjson_format_date(*(const uint32_t *)p, o + 1);
			o[11] = '"';
			used(b, 12);
		} else
			put_u64(b, *(const uint32_t *)p, 0);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (k == TIME) {
			pbjson_format_time(*(const int64_t *)p, tmp + 1);
			tmp[0] = '"';
			n = strlen(tmp);
			tmp[n++] = '"';
			buf_append(b, tmp, n);
		} else
			put_i64(b, *(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		put_u64(b, *(const uint64_t *)p, 0);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		if (*(const protobuf_c_boolean *)p)
			buf_append(b, "true", 4);
		else
			buf_append(b, "false", 5);
		break;
	case PROTOBUF_C_TYPE_ENUM:
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor,
		    *(const int32_t *)p);
		if (ev == NULL) {
			/* Not in this schema (a newer peer's): keep the number. */
			put_i64(b, *(const int32_t *)p);
			break;
		}
		n = strlen(ev->name);
		o = room(b, n + 2);
		o[0] = '"';
		for (size_t i = 0; i < n; i++) {
			char c = ev->name[i];
			o[i + 1] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
		o[n + 1] = '"';
		used(b, n + 2);
		break;
	case PROTOBUF_C_TYPE_STRING:
		s = *(char *const *)p;
		if (s == NULL)
			s = "";
		put_str(b, s, strlen(s));
		break;
	case PROTOBUF_C_TYPE_BYTES:
		bd = p;
		o = room(b, bd->len * 2 + 2);
		o[0] = '"';
		for (size_t i = 0; i < bd->len; i++) {
			o[1 + 2 * i] = hex[bd->data[i] >> 4];
			o[2 + 2 * i] = hex[bd->data[i] & 15];
		}
		o[bd->len * 2 + 1] = '"';
		used(b, bd->len * 2 + 2);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE: {
		double	v = f->type == PROTOBUF_C_TYPE_FLOAT ?
		    *(const float *)p : *(const double *)p;

		if (isfinite(v))
			buf_printf(b, "%.17g", v);
		else
			buf_append(b, "null", 4);	/* JSON has no NaN */
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		if (*(ProtobufCMessage *const *)p == NULL)
			buf_append(b, "{}", 2);
		else
			enc_message(b, *(ProtobufCMessage *const *)p);
		break;
	}
}

static void
enc_message(struct buf *b, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*desc = m->descriptor;
	const char				*base = (const char *)m;
	char					*o;
	int					 first = 1;

	buf_putc(b, '{');
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor	*f = &desc->fields[i];
		size_t				 nvals = 1, n, k;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			nvals = *(const size_t *)(base + f->quantifier_offset);
			if (nvals == 0)
				continue;
		} else if (!is_set(base, f))
			continue;
		n = strlen(f->name);
		o = room(b, n + 4);
		k = 0;
		if (!first)
			o[k++] = ',';
		o[k++] = '"';
		memcpy(o + k, f->name, n);
		k += n;
		o[k++] = '"';
		o[k++] = ':';
		used(b, k);
		first = 0;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			const char	*arr = *(char *const *)(base + f->offset);
			size_t		 sz = elem_size(f->type);
			enum kind	 kind = kind_of(f);

			buf_putc(b, '[');
			for (size_t j = 0; j < nvals; j++) {
				if (j > 0)
					buf_putc(b, ',');
				enc_value(b, f, kind, arr + j * sz);
			}
			buf_putc(b, ']');
		} else
			enc_value(b, f, kind_of(f), base + f->offset);
	}
	buf_putc(b, '}');
}

void
pbjson_encode(const ProtobufCMessage *msg, struct buf *out)
{
	enc_message(out, msg);
}

/* Encoding to a jansson tree, for callers that assemble bigger documents. */

static json_t	*jv_message(const ProtobufCMessage *);

static json_t *
jv_string(const char *s, size_t n)
{
	struct buf	 b = { 0 };
	json_t		*j;
	size_t		 i = 0, k;

	if (utf8_valid(s, n))
		return json_stringn_nocheck(s, n);
	while (i < n) {
		k = utf8_seq((const unsigned char *)s + i, n - i);
		if (k == 0) {
			buf_append(&b, "\xef\xbf\xbd", 3);	/* U+FFFD */
			i++;
		} else {
			buf_append(&b, s + i, k);
			i += k;
		}
	}
	j = json_stringn_nocheck(b.data, b.len);
	buf_free(&b);
	return j;
}

static json_t *
jv_value(const ProtobufCFieldDescriptor *f, enum kind k, const void *p)
{
	static const char		 hex[] = "0123456789abcdef";
	const ProtobufCEnumValue	*ev;
	const ProtobufCBinaryData	*bd;
	const char			*s;
	char				 tmp[ENUM_NAME_MAX + 40];
	json_t				*j;
	char				*h;
	uint64_t			 u;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (k == DATE) {
			pbjson_format_date(*(const uint32_t *)p, tmp);
			return json_string_nocheck(tmp);
		}
		return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (k == TIME) {
			pbjson_format_time(*(const int64_t *)p, tmp);
			return json_string_nocheck(tmp);
		}
		return json_integer(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		u = *(const uint64_t *)p;
		/* json_int_t is signed: beyond it only a real can carry it. */
		if (u > (uint64_t)LLONG_MAX)
			return json_real((double)u);
		return json_integer((json_int_t)u);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM:
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor,
		    *(const int32_t *)p);
		if (ev == NULL)
			return json_integer(*(const int32_t *)p);
		snprintf(tmp, sizeof(tmp), "%s", ev->name);
		for (char *c = tmp; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c + 32);
		return json_string_nocheck(tmp);
	case PROTOBUF_C_TYPE_STRING:
		s = *(char *const *)p;
		if (s == NULL)
			s = "";
		return jv_string(s, strlen(s));
	case PROTOBUF_C_TYPE_BYTES:
		bd = p;
		h = xmalloc(bd->len * 2 + 1);
		for (size_t i = 0; i < bd->len; i++) {
			h[2 * i] = hex[bd->data[i] >> 4];
			h[2 * i + 1] = hex[bd->data[i] & 15];
		}
		j = json_stringn_nocheck(h, bd->len * 2);
		free(h);
		return j;
	case PROTOBUF_C_TYPE_FLOAT:
		return isfinite(*(const float *)p) ?
		    json_real(*(const float *)p) : json_null();
	case PROTOBUF_C_TYPE_DOUBLE:
		return isfinite(*(const double *)p) ?
		    json_real(*(const double *)p) : json_null();
	case PROTOBUF_C_TYPE_MESSAGE:
		if (*(ProtobufCMessage *const *)p == NULL)
			return json_object();
		return jv_message(*(ProtobufCMessage *const *)p);
	}
	return json_null();
}

static json_t *
jv_message(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*desc = m->descriptor;
	const char				*base = (const char *)m;
	json_t					*obj, *v;

	if ((obj = json_object()) == NULL)
		abort();
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor	*f = &desc->fields[i];
		enum kind			 k = kind_of(f);

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t		 n = *(const size_t *)(base +
			    f->quantifier_offset);
			const char	*arr = *(char *const *)(base + f->offset);
			size_t		 sz = elem_size(f->type);

			if (n == 0)
				continue;
			if ((v = json_array()) == NULL)
				abort();
			for (size_t j = 0; j < n; j++)
				if (json_array_append_new(v,
				    jv_value(f, k, arr + j * sz)) != 0)
					abort();
		} else if (is_set(base, f))
			v = jv_value(f, k, base + f->offset);
		else
			continue;
		if (json_object_set_new_nocheck(obj, f->name, v) != 0)
			abort();
	}
	return obj;
}

json_t *
pbjson_to_json(const ProtobufCMessage *msg)
{
	return jv_message(msg);
}

/*
 * Reading: strict JSON text straight into messages.
 *
 * One recursive descent serves the decoder, pbjson_scan and
 * pbjson_peek_string. The decoder stops at the first fault; a fault of a
 * field does not tell whether the text after it is JSON at all, so on that
 * path alone the whole text is scanned once more and a fault of the text,
 * which a client must fix first, wins. The success path reads each byte
 * once and allocates only what the message keeps.
 */

/* A user-supplied string made fit to quote in an error message. */
static const char *
shown(const char *s, char *out, size_t outlen)
{
	size_t	n = 0, max = outlen - 4;

	for (; s[n] != '\0' && n < max; n++) {
		unsigned char c = (unsigned char)s[n];
		out[n] = c < 0x20 || c == 0x7f || c == '\'' ? '?' : (char)c;
	}
	if (s[n] != '\0') {
		/* Never cut a UTF-8 sequence in two. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		memcpy(out + n, "...", 4);
	} else
		out[n] = '\0';
	return out;
}

static int
bad(struct dec *d, const char *fmt, ...)
{
	va_list	ap;
	int	n = 0;

	if (d->err == NULL || d->errlen == 0)
		return MSOSYNC_EINVAL;
	if (d->plen > 0)
		n = snprintf(d->err, d->errlen, "%s: ", d->path);
	if (n >= 0 && (size_t)n < d->errlen) {
		va_start(ap, fmt);
		vsnprintf(d->err + n, d->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return MSOSYNC_EINVAL;
}

/*
 * A fault of the text itself at d->p: no field path, but the line and
 * the column (in characters, from 1) where it is, counted from d->text.
 * Only a caller that wants the message pays for the counting.
 */
static int
syntax(struct dec *d, const char *fmt, ...)
{
	va_list	ap;
	char	reason[PBJSON_ERR_MAX];
	size_t	line = d->line, col = 1;

	d->syntax = 1;
	if (d->err == NULL || d->errlen == 0)
		return MSOSYNC_EINVAL;
	for (const unsigned char *q = d->text; q < d->p; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else if ((*q & 0xc0) != 0x80)
			col++;
	}
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(d->err, d->errlen, "%s%s at line %zu column %zu", d->prefix,
	    reason, line, col);
	return MSOSYNC_EINVAL;
}

static int
expected(struct dec *d, const char *what)
{
	char	found[24];

	if (d->p == d->end)
		snprintf(found, sizeof(found), "the end of the text");
	else if (*d->p == '\'')
		snprintf(found, sizeof(found), "\"'\"");
	else if (*d->p > 0x20 && *d->p < 0x7f)
		snprintf(found, sizeof(found), "'%c'", *d->p);
	else
		snprintf(found, sizeof(found), "byte 0x%02x", *d->p);
	return syntax(d, "expected %s, found %s", what, found);
}

/*
 * Runs once for every field decoded, error or not, so it copies instead
 * of formatting (snprintf here was 7 % of an agent's HTTP ingest). Cuts
 * the path at the buffer's end as snprintf would.
 */
static size_t
push(struct dec *d, const char *name)
{
	size_t	 old = d->plen, room = sizeof(d->path) - 1 - old;
	size_t	 n = strlen(name);
	char	*p = d->path + old;

	if (old > 0 && room > 0) {
		*p++ = '.';
		room--;
	}
	if (n > room)
		n = room;
	memcpy(p, name, n);
	p[n] = '\0';
	d->plen = (size_t)(p + n - d->path);
	return old;
}

static size_t
push_index(struct dec *d, size_t i)
{
	size_t	old = d->plen;
	int	n;

	n = snprintf(d->path + old, sizeof(d->path) - old, "[%zu]", i);
	if (n > 0)
		d->plen = strlen(d->path);
	return old;
}

static void
pop(struct dec *d, size_t old)
{
	d->plen = old;
	d->path[old] = '\0';
}

/* Lexing: each function starts at d->p and leaves it past what it read. */

static void
blanks(struct dec *d)
{
	const unsigned char	*p = d->p;

	while (p < d->end && (*p == ' ' || *p == '\n' || *p == '\r' ||
	    *p == '\t'))
		p++;
	d->p = p;
}

/* Whether the next byte is 'c'; taken if so. */
static int
take(struct dec *d, unsigned char c)
{
	if (d->p < d->end && *d->p == c) {
		d->p++;
		return 1;
	}
	return 0;
}

static int
at(const struct dec *d, unsigned char c)
{
	return d->p < d->end && *d->p == c;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The code unit of the \u escape at p (its 6 bytes there), or -1. */
static long
hex4(const unsigned char *p)
{
	long	v = 0;
	int	h;

	for (int i = 2; i < 6; i++) {
		if ((h = hexval(p[i])) < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/*
 * 1 for a byte that stands for itself in a string: not a quote, a
 * backslash, a control character or the start of a multibyte character.
 * Most string bytes are these, so a table beats four comparisons.
 */
static const unsigned char plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/*
 * Whether the 8 bytes at p are all plain, tested at once: (v - 1) & ~v
 * sets a byte's high bit where the byte of v is zero (so for x ^ '"' and
 * x ^ '\\'), x - 0x20 likewise where a byte is below 0x20, and x itself
 * has it where a byte is 0x80 or more.
 */
static int
plain8(const unsigned char *p)
{
	const uint64_t	ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t	x, q, b;

	memcpy(&x, p, 8);
	q = x ^ ones * '"';
	b = x ^ ones * '\\';
	return ((((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
	    ((b - ones) & ~b) | x) & high) == 0;
}

/*
 * A string, its opening quote at d->p: checked (escapes, surrogate pairs,
 * no \u0000, no raw control character, UTF-8), its raw bytes between the
 * quotes returned in *s and *n; *esc says whether they hold escapes.
 */
static int
lex_string(struct dec *d, const unsigned char **s, size_t *n, int *esc)
{
	const unsigned char	*start = d->p + 1, *p = start, *end = d->end;
	long			 u, lo;
	size_t			 k;
	int			 e = 0;

	for (;;) {
		while (end - p >= 8 && plain8(p))
			p += 8;
		while (p < end && plain[*p])
			p++;
		d->p = p;
		if (p == end)
			return expected(d, "'\"' to end the string");
		if (*p == '"')
			break;
		if (*p >= 0x80) {
			if ((k = utf8_seq(p, (size_t)(end - p))) == 0)
				return syntax(d, "invalid UTF-8 byte 0x%02x",
				    *p);
			p += k;
			continue;
		}
		if (*p < 0x20)
			return syntax(d, "control character 0x%02x in a string",
			    *p);
		e = 1;
		if (end - p < 2)
			return syntax(d, "unfinished escape");
		switch (p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			p += 2;
			continue;
		case 'u':
			break;
		default:
			if (p[1] > 0x20 && p[1] < 0x7f)
				return syntax(d, "invalid escape '\\%c'", p[1]);
			return syntax(d, "invalid escape");
		}
		if (end - p < 6 || (u = hex4(p)) < 0)
			return syntax(d, "\\u not followed by 4 hex digits");
		if (u == 0)
			return syntax(d, "\\u0000 in a string");
		if (u >= 0xdc00 && u <= 0xdfff)
			return syntax(d, "lone surrogate \\u%04lx", u);
		if (u < 0xd800 || u > 0xdbff) {
			p += 6;
			continue;
		}
		if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
		    (lo = hex4(p + 6)) < 0xdc00 || lo > 0xdfff)
			return syntax(d, "lone surrogate \\u%04lx", u);
		p += 12;
	}
	*s = start;
	*n = (size_t)(p - start);
	*esc = e;
	d->p = p + 1;
	return 0;
}

static size_t
put_utf8(unsigned char *o, unsigned long c)
{
	if (c < 0x80) {
		o[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (unsigned char)(0xc0 | c >> 6);
		o[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xe0 | c >> 12);
		o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | c >> 18);
	o[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * The raw bytes of a string lex_string passed, unescaped into 'out': at
 * most 'cap' bytes, never part of a character. An escape never grows, so
 * cap >= n always takes the whole string. Returns the bytes written and
 * sets *rest to the raw bytes left over (rest may be NULL).
 */
static size_t
unescape(const unsigned char *s, size_t n, char *out, size_t cap,
    size_t *rest)
{
	unsigned char	*o = (unsigned char *)out, tmp[4];
	size_t		 i = 0, k = 0, m, adv;
	unsigned long	 c;

	while (i < n) {
		if (s[i] != '\\') {
			m = s[i] < 0x80 ? 1 : utf8_seq(s + i, n - i);
			if (k + m > cap)
				break;
			memcpy(o + k, s + i, m);
			i += m;
			k += m;
			continue;
		}
		adv = 2;
		switch (s[i + 1]) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			c = (unsigned long)hex4(s + i);
			adv = 6;
			if (c >= 0xd800 && c <= 0xdbff) {
				c = 0x10000 + ((c - 0xd800) << 10) +
				    ((unsigned long)hex4(s + i + 6) - 0xdc00);
				adv = 12;
			}
			break;
		default: c = s[i + 1]; break;
		}
		m = put_utf8(tmp, c);
		if (k + m > cap)
			break;
		memcpy(o + k, tmp, m);
		k += m;
		i += adv;
	}
	if (rest != NULL)
		*rest = n - i;
	return k;
}

/*
 * A number, checked against -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
 * *isint says whether it has neither fraction nor exponent.
 */
static int
lex_number(struct dec *d, const unsigned char **s, size_t *n, int *isint)
{
	const unsigned char	*start = d->p, *end = d->end;
	int			 integer = 1;

	take(d, '-');
	if (d->p == end || *d->p < '0' || *d->p > '9')
		return expected(d, "a digit");
	if (*d->p == '0') {
		if (d->p + 1 < end && d->p[1] >= '0' && d->p[1] <= '9')
			return syntax(d, "leading zero in a number");
		d->p++;
	} else
		while (d->p < end && *d->p >= '0' && *d->p <= '9')
			d->p++;
	if (take(d, '.')) {
		integer = 0;
		if (d->p == end || *d->p < '0' || *d->p > '9')
			return expected(d, "a digit after '.'");
		while (d->p < end && *d->p >= '0' && *d->p <= '9')
			d->p++;
	}
	if (take(d, 'e') || take(d, 'E')) {
		integer = 0;
		if (!take(d, '+'))
			take(d, '-');
		if (d->p == end || *d->p < '0' || *d->p > '9')
			return expected(d, "a digit in the exponent");
		while (d->p < end && *d->p >= '0' && *d->p <= '9')
			d->p++;
	}
	*s = start;
	*n = (size_t)(d->p - start);
	*isint = integer;
	return 0;
}

static int
lex_word(struct dec *d, const char *word)
{
	for (const char *w = word; *w != '\0'; w++)
		if (!take(d, (unsigned char)*w)) {
			char what[16];

			snprintf(what, sizeof(what), "'%s'", word);
			return expected(d, what);
		}
	return 0;
}

static int	scan_value(struct dec *);

/* An object or an array, its bracket at d->p. */
static int
scan_container(struct dec *d)
{
	const unsigned char	*s;
	unsigned char		 close = *d->p == '{' ? '}' : ']';
	size_t			 n;
	int			 esc, rc, first = 1;

	if (++d->depth > PBJSON_DEPTH_MAX)
		return syntax(d, "nesting deeper than %d levels",
		    PBJSON_DEPTH_MAX);
	d->p++;
	blanks(d);
	if (take(d, close))
		goto done;
	for (;;) {
		if (close == '}') {
			if (!at(d, '"'))
				return expected(d, first ?
				    "a quoted key or '}'" : "a quoted key");
			if ((rc = lex_string(d, &s, &n, &esc)) != 0)
				return rc;
			blanks(d);
			if (!take(d, ':'))
				return expected(d, "':'");
			blanks(d);
		}
		if ((rc = scan_value(d)) != 0)
			return rc;
		blanks(d);
		if (take(d, close))
			break;
		if (!take(d, ','))
			return expected(d, close == '}' ? "',' or '}'" :
			    "',' or ']'");
		blanks(d);
		first = 0;
	}
done:
	d->depth--;
	return 0;
}

/* Any value at d->p, checked and skipped. */
static int
scan_value(struct dec *d)
{
	const unsigned char	*s;
	size_t			 n;
	int			 flag;

	if (d->p == d->end)
		return expected(d, "a value");
	switch (*d->p) {
	case '{':
	case '[':
		return scan_container(d);
	case '"':
		return lex_string(d, &s, &n, &flag);
	case 't':
		return lex_word(d, "true");
	case 'f':
		return lex_word(d, "false");
	case 'n':
		return lex_word(d, "null");
	case '-': case '0': case '1': case '2': case '3': case '4': case '5':
	case '6': case '7': case '8': case '9':
		return lex_number(d, &s, &n, &flag);
	default:
		return expected(d, "a value");
	}
}

static int
scan_text(struct dec *d, unsigned flags)
{
	int	rc;

	blanks(d);
	if ((flags & PBJSON_SCAN_CONTAINER) && !at(d, '{') && !at(d, '['))
		return expected(d, "an object or an array");
	if ((rc = scan_value(d)) != 0)
		return rc;
	if (flags & PBJSON_SCAN_ALL) {
		blanks(d);
		if (d->p != d->end)
			return expected(d, "the end of the text");
	}
	return 0;
}

int
pbjson_scan(const char *text, size_t len, size_t *pos, size_t line,
    unsigned flags, char *err, size_t errlen)
{
	struct dec	d = { .err = err, .errlen = errlen, .prefix = "",
			    .line = line };
	int		rc;

	d.text = (const unsigned char *)text;
	d.p = d.text + *pos;
	d.end = d.text + len;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rc = scan_text(&d, flags);
	*pos = (size_t)(d.p - d.text);
	return rc;
}

/* Decoding: the descriptor says what each value must be. */

static int
is_body(const ProtobufCMessageDescriptor *desc, unsigned case_offset)
{
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		if (bodies[i].desc == desc &&
		    bodies[i].case_offset == case_offset)
			return 1;
	return 0;
}

/* Memory the message keeps: the caller's allocator, or malloc. */
static void *
keep(struct dec *d, size_t n)
{
	void	*p;

	if (d->alloc == NULL)
		return xmalloc(n);
	if ((p = d->alloc->alloc(d->alloc->allocator_data, n)) == NULL)
		abort();	/* out of memory aborts, as xmalloc does */
	return p;
}

/* An array the message keeps, from n to cap elements of sz bytes. */
static void *
keep_more(struct dec *d, void *arr, size_t n, size_t cap, size_t sz)
{
	void	*p;

	if (d->alloc == NULL)
		return xrealloc(arr, cap * sz);
	p = keep(d, cap * sz);
	if (n > 0)
		memcpy(p, arr, n * sz);
	if (arr != NULL)
		d->alloc->free(d->alloc->allocator_data, arr);
	return p;
}

static ProtobufCMessage *
new_message(struct dec *d, const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage	*m = keep(d, desc->sizeof_message);

	desc->message_init(m);
	return m;
}

/*
 * The field named by the n bytes at 'key', which hold no NUL. Canonical
 * text (pbjson_encode's, the simulator's) has its keys in descriptor
 * order, so the fields after *next, the one after the last found, are
 * tried first; a binary search by name finds any other.
 */
static const ProtobufCFieldDescriptor *
field_by_name(const ProtobufCMessageDescriptor *desc, const char *key,
    size_t n, unsigned *next)
{
	const ProtobufCFieldDescriptor	*f;
	unsigned			 lo = 0, hi = desc->n_fields, mid;
	int				 c;

	for (unsigned i = *next; i < desc->n_fields; i++) {
		f = &desc->fields[i];
		if (f->name[0] == key[0] && strncmp(f->name, key, n) == 0 &&
		    f->name[n] == '\0') {
			*next = i + 1;
			return f;
		}
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		f = &desc->fields[desc->fields_sorted_by_name[mid]];
		if ((c = strncmp(f->name, key, n)) == 0 && f->name[n] != '\0')
			c = 1;
		if (c == 0) {
			*next = (unsigned)(f - desc->fields) + 1;
			return f;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A string's raw bytes, unescaped and NUL-terminated into o[n + 1]. */
static size_t
copy_string(const unsigned char *s, size_t n, int esc, char *o)
{
	size_t	k = n;

	if (esc)
		k = unescape(s, n, o, n, NULL);
	else
		memcpy(o, s, n);
	o[k] = '\0';
	return k;
}

/*
 * A string token NUL-terminated: in 'buf' when it fits, otherwise in a
 * new allocation left in *heap for the caller to free.
 */
static char *
cstr(const unsigned char *s, size_t n, int esc, char *buf, size_t size,
    char **heap, size_t *len)
{
	char	*o = buf;

	*heap = NULL;
	if (n >= size)
		o = *heap = xmalloc(n + 1);
	*len = copy_string(s, n, esc, o);
	return o;
}

static int
is_number(const struct dec *d)
{
	return d->p < d->end &&
	    (*d->p == '-' || (*d->p >= '0' && *d->p <= '9'));
}

/* The number at d->p as an integer within [lo, hi]. */
static int
get_int(struct dec *d, long long lo, unsigned long long hi,
    unsigned long long *out)
{
	const unsigned char	*s;
	unsigned long long	 mag = 0;
	size_t			 n, i = 0;
	int			 isint, rc;

	if ((rc = lex_number(d, &s, &n, &isint)) != 0)
		return rc;
	if (!isint)
		return bad(d, "expected an integer");
	if (s[0] == '-')
		i = 1;
	for (; i < n; i++) {
		if (mag > (ULLONG_MAX - 9) / 10 &&
		    mag > (ULLONG_MAX - (unsigned)(s[i] - '0')) / 10)
			return bad(d, "out of range");
		mag = mag * 10 + (unsigned)(s[i] - '0');
	}
	if (s[0] == '-' && mag != 0) {
		/* -lo without overflow: lo may be LLONG_MIN */
		if (lo >= 0 || mag - 1 > (unsigned long long)(-(lo + 1)))
			return bad(d, "out of range");
		*out = 0ULL - mag;
		return 0;
	}
	if (mag > hi || (lo > 0 && mag < (unsigned long long)lo))
		return bad(d, "out of range");
	*out = mag;
	return 0;
}

static int
dec_string(struct dec *d, char **out)
{
	const unsigned char	*s;
	char			*o;
	size_t			 n;
	int			 esc, rc;

	if (!at(d, '"'))
		return bad(d, "expected a string");
	if ((rc = lex_string(d, &s, &n, &esc)) != 0)
		return rc;
	/* the one copy: the message keeps it */
	o = keep(d, n + 1);
	copy_string(s, n, esc, o);
	*out = o;
	return 0;
}

static int
dec_enum(struct dec *d, const ProtobufCFieldDescriptor *f, int32_t *out)
{
	const ProtobufCEnumValue	*ev = NULL;
	const unsigned char		*raw;
	char				 name[ENUM_NAME_MAX];
	char				 buf[ENUM_NAME_MAX];
	char				 tmp[SHOWN_MAX + 4], *heap, *s;
	size_t				 n, len, i;
	int				 esc, rc;

	if (!at(d, '"'))
		return bad(d, "expected a string");
	if ((rc = lex_string(d, &raw, &n, &esc)) != 0)
		return rc;
	s = cstr(raw, n, esc, buf, sizeof(buf), &heap, &len);
	/* Only the lower-case spelling is a name. */
	for (i = 0; i < len && i < sizeof(name) - 1; i++) {
		char c = s[i];

		if ((c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_')
			break;
		name[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
	}
	name[i] = '\0';
	if (i == len)
		ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor,
		    name);
	if (ev == NULL || ends_with(ev->name, "_UNSPECIFIED"))
		rc = bad(d, "unknown value '%s'", shown(s, tmp, sizeof(tmp)));
	else
		*out = ev->value;
	free(heap);
	return rc;
}

static int
dec_bytes(struct dec *d, ProtobufCBinaryData *out)
{
	const unsigned char	*raw;
	const char		*s;
	char			*heap = NULL;
	uint8_t			*data;
	size_t			 n, i;
	int			 esc, rc;

	if (!at(d, '"'))
		return bad(d, "expected a hex string");
	if ((rc = lex_string(d, &raw, &n, &esc)) != 0)
		return rc;
	s = (const char *)raw;
	if (esc) {
		heap = xmalloc(n + 1);
		n = copy_string(raw, n, esc, heap);
		s = heap;
	}
	for (i = 0; i < n; i++)
		if (hexval((unsigned char)s[i]) < 0)
			break;
	if (i < n || n % 2 != 0) {
		rc = bad(d, "expected a hex string");
		goto out;
	}
	data = n > 0 ? keep(d, n / 2) : NULL;
	for (i = 0; i < n / 2; i++)
		data[i] = (uint8_t)(hexval((unsigned char)s[2 * i]) << 4 |
		    hexval((unsigned char)s[2 * i + 1]));
	out->len = n / 2;
	out->data = data;
out:
	free(heap);
	return rc;
}

/* A date or time string: parse_date or parse_time on it. */
static int
dec_moment(struct dec *d, enum kind k, long long *out)
{
	const unsigned char	*raw;
	char			 buf[64], tmp[SHOWN_MAX + 4], *heap, *s;
	unsigned		 date;
	size_t			 n, len;
	int			 esc, rc;

	if ((rc = lex_string(d, &raw, &n, &esc)) != 0)
		return rc;
	s = cstr(raw, n, esc, buf, sizeof(buf), &heap, &len);
	if (k == DATE) {
		if ((rc = pbjson_parse_date(s, &date)) != 0)
			rc = bad(d, "invalid date '%s'",
			    shown(s, tmp, sizeof(tmp)));
		else
			*out = date;
	} else if ((rc = pbjson_parse_time(s, out)) != 0)
		rc = bad(d, "invalid time '%s'", shown(s, tmp, sizeof(tmp)));
	free(heap);
	return rc;
}

static int
dec_real(struct dec *d, double *out)
{
	const unsigned char	*s;
	char			 buf[64], *heap = NULL, *o = buf, *dot;
	size_t			 n;
	int			 isint, rc;

	if (!is_number(d))
		return bad(d, "expected a number");
	if ((rc = lex_number(d, &s, &n, &isint)) != 0)
		return rc;
	if (n >= sizeof(buf))
		o = heap = xmalloc(n + 1);
	memcpy(o, s, n);
	o[n] = '\0';
	/* strtod reads the decimal point of the process's locale */
	if ((dot = memchr(o, '.', n)) != NULL)
		*dot = localeconv()->decimal_point[0];
	*out = strtod(o, NULL);
	free(heap);
	if (!isfinite(*out))
		return bad(d, "out of range");
	return 0;
}

static int	dec_message(struct dec *, const ProtobufCMessageDescriptor *,
		    ProtobufCMessage *);

/*
 * One value of field 'f' into the storage at 'p'. A pointer is stored only
 * once it owns what it points to, so the message stays freeable.
 */
static int
dec_value(struct dec *d, const ProtobufCFieldDescriptor *f, void *p)
{
	ProtobufCMessage	*sub;
	unsigned long long	 u;
	long long		 x;
	double			 r;
	int			 rc;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (!is_number(d))
			return bad(d, "expected an integer");
		if ((rc = get_int(d, INT32_MIN, INT32_MAX, &u)) != 0)
			return rc;
		*(int32_t *)p = (int32_t)(long long)u;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (kind_of(f) == DATE) {
			if (!at(d, '"'))
				return bad(d, "expected a date \"YYYY-MM-DD\"");
			if ((rc = dec_moment(d, DATE, &x)) != 0)
				return rc;
			*(uint32_t *)p = (uint32_t)x;
			return 0;
		}
		if (!is_number(d))
			return bad(d, "expected an integer");
		if ((rc = get_int(d, 0, UINT32_MAX, &u)) != 0)
			return rc;
		*(uint32_t *)p = (uint32_t)u;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (kind_of(f) == TIME) {
			if (at(d, '"')) {
				if ((rc = dec_moment(d, TIME, &x)) != 0)
					return rc;
				*(int64_t *)p = x;
				return 0;
			}
			/* Only a fraction or exponent tells a number apart. */
			if (is_number(d)) {
				const unsigned char	*save = d->p, *s;
				size_t			 n;
				int			 isint;

				if ((rc = lex_number(d, &s, &n, &isint)) != 0)
					return rc;
				d->p = save;
				if (isint) {
					if ((rc = get_int(d, TIME_MIN_MS,
					    TIME_MAX_MS, &u)) != 0)
						return rc;
					*(int64_t *)p = (int64_t)u;
					return 0;
				}
			}
			return bad(d, "expected an RFC 3339 time or integer "
			    "milliseconds");
		}
		if (!is_number(d))
			return bad(d, "expected an integer");
		if ((rc = get_int(d, LLONG_MIN, LLONG_MAX, &u)) != 0)
			return rc;
		*(int64_t *)p = (int64_t)u;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (!is_number(d))
			return bad(d, "expected an integer");
		if ((rc = get_int(d, 0, ULLONG_MAX, &u)) != 0)
			return rc;
		*(uint64_t *)p = u;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (at(d, 't') || at(d, 'f')) {
			x = at(d, 't');
			if ((rc = lex_word(d, x ? "true" : "false")) != 0)
				return rc;
			*(protobuf_c_boolean *)p = (protobuf_c_boolean)x;
			return 0;
		}
		return bad(d, "expected true or false");
	case PROTOBUF_C_TYPE_ENUM:
		return dec_enum(d, f, p);
	case PROTOBUF_C_TYPE_STRING:
		return dec_string(d, p);
	case PROTOBUF_C_TYPE_BYTES:
		return dec_bytes(d, p);
	case PROTOBUF_C_TYPE_FLOAT:
		if ((rc = dec_real(d, &r)) != 0)
			return rc;
		if (!isfinite((float)r))
			return bad(d, "out of range");
		*(float *)p = (float)r;
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		return dec_real(d, p);
	case PROTOBUF_C_TYPE_MESSAGE:
		if (!at(d, '{'))
			return bad(d, "expected an object");
		sub = new_message(d, f->descriptor);
		*(ProtobufCMessage **)p = sub;
		return dec_message(d, f->descriptor, sub);
	}
	return bad(d, "unsupported field type");
}

static int
dec_repeated(struct dec *d, const ProtobufCFieldDescriptor *f, char *base)
{
	size_t	 *count = (size_t *)(base + f->quantifier_offset);
	char	**arr = (char **)(base + f->offset);
	size_t	  sz = elem_size(f->type), cap = 0, old;
	int	  rc = 0;

	if (!at(d, '['))
		return bad(d, "expected an array");
	if (++d->depth > PBJSON_DEPTH_MAX)
		return syntax(d, "nesting deeper than %d levels",
		    PBJSON_DEPTH_MAX);
	d->p++;
	blanks(d);
	if (take(d, ']'))
		goto done;
	for (size_t i = 0;; i++) {
		if (i == cap) {
			/* *count elements stay owned across the move */
			*arr = keep_more(d, *arr, i, cap ? cap * 2 : 4, sz);
			cap = cap ? cap * 2 : 4;
		}
		old = push_index(d, i);
		if (f->type == PROTOBUF_C_TYPE_MESSAGE && at(d, '{')) {
			/* counted before it is filled: freeable half done */
			ProtobufCMessage *sub = new_message(d, f->descriptor);

			((ProtobufCMessage **)*arr)[i] = sub;
			*count = i + 1;
			rc = dec_message(d, f->descriptor, sub);
		} else if ((rc = dec_value(d, f, *arr + i * sz)) == 0)
			*count = i + 1;
		if (rc != 0)
			return rc;
		pop(d, old);
		blanks(d);
		if (take(d, ']'))
			break;
		if (!take(d, ','))
			return expected(d, "',' or ']'");
		blanks(d);
	}
done:
	d->depth--;
	return 0;
}

static int
dec_field(struct dec *d, const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, char *base)
{
	const ProtobufCFieldDescriptor	*other;
	uint32_t			*which;
	size_t				 old;
	int				 rc;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		which = (uint32_t *)(base + f->quantifier_offset);
		if (*which != 0) {
			other = protobuf_c_message_descriptor_get_field(desc,
			    *which);
			return bad(d, "%s: %s and %s",
			    is_body(desc, f->quantifier_offset) ?
			    "two bodies" : "two members of one oneof",
			    other != NULL ? other->name : "?", f->name);
		}
		/*
		 * Set first, so a sub-message stored below is freed with the
		 * message; the union is still zero, which frees as absent.
		 */
		*which = f->id;
	}
	old = push(d, f->name);
	if (d->p == d->end)
		return expected(d, "a value");
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		rc = dec_repeated(d, f, base);
	else {
		rc = dec_value(d, f, base + f->offset);
		if (rc == 0 && f->label == PROTOBUF_C_LABEL_OPTIONAL &&
		    !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    f->type != PROTOBUF_C_TYPE_STRING &&
		    f->type != PROTOBUF_C_TYPE_MESSAGE)
			*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
	}
	if (rc == 0)
		pop(d, old);
	return rc;
}

/*
 * The key at d->p, unescaped into 'buf' when it has escapes; *full says
 * whether all of it fit (a key that did not is no field's name).
 */
static int
dec_key(struct dec *d, char *buf, size_t size, const char **key,
    size_t *n, int *full)
{
	const unsigned char	*raw;
	size_t			 len;
	int			 esc, rc;

	if ((rc = lex_string(d, &raw, &len, &esc)) != 0)
		return rc;
	*full = 1;
	if (!esc) {
		*key = (const char *)raw;
		*n = len;
		return 0;
	}
	*n = unescape(raw, len, buf, size - 1, &len);
	buf[*n] = '\0';
	*full = len == 0;
	*key = buf;
	return 0;
}

/* At most this many fields a message: the set of keys seen is a bitmap. */
#define FIELDS_MAX	256
#define KEY_MAX		128

static int
dec_message(struct dec *d, const ProtobufCMessageDescriptor *desc,
    ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor	*f;
	uint64_t			 seen[FIELDS_MAX / 64] = { 0 };
	char				*base = (char *)m;
	const char			*key;
	char				 buf[KEY_MAX], tmp[SHOWN_MAX + 4];
	size_t				 n, i;
	unsigned			 next = 0;
	int				 full, rc, first = 1;

	if (desc->n_fields > FIELDS_MAX)
		return bad(d, "message of more than %d fields", FIELDS_MAX);
	if (++d->depth > PBJSON_DEPTH_MAX)
		return syntax(d, "nesting deeper than %d levels",
		    PBJSON_DEPTH_MAX);
	d->p++;
	blanks(d);
	if (take(d, '}'))
		goto done;
	for (;;) {
		if (!at(d, '"'))
			return expected(d, first ? "a quoted key or '}'" :
			    "a quoted key");
		if ((rc = dec_key(d, buf, sizeof(buf), &key, &n, &full)) != 0)
			return rc;
		f = full && n > 0 ? field_by_name(desc, key, n, &next) : NULL;
		if (f == NULL) {
			if (n >= sizeof(buf))
				n = sizeof(buf) - 1;
			memmove(buf, key, n);
			buf[n] = '\0';
			push(d, shown(buf, tmp, sizeof(tmp)));
			return bad(d, "unknown field");
		}
		blanks(d);
		if (!take(d, ':'))
			return expected(d, "':'");
		blanks(d);
		i = (size_t)(f - desc->fields);
		if (seen[i / 64] & (1ULL << (i % 64))) {
			push(d, f->name);
			return bad(d, "duplicate key");
		}
		seen[i / 64] |= 1ULL << (i % 64);
		if ((rc = dec_field(d, desc, f, base)) != 0)
			return rc;
		blanks(d);
		if (take(d, '}'))
			break;
		if (!take(d, ','))
			return expected(d, "',' or '}'");
		blanks(d);
		first = 0;
	}
done:
	d->depth--;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		if (bodies[i].desc == desc &&
		    *(uint32_t *)(base + bodies[i].case_offset) == 0)
			return bad(d, "no body");
	return 0;
}

/* The object at d->p into *m (left for the caller to free on failure). */
static int
decode_object(struct dec *d, const ProtobufCMessageDescriptor *desc,
    ProtobufCMessage **m)
{
	*m = NULL;
	if (!at(d, '{'))
		return bad(d, "expected an object");
	*m = new_message(d, desc);
	return dec_message(d, desc, *m);
}

int
pbjson_decode_text(const ProtobufCMessageDescriptor *desc, const char *text,
    size_t len, ProtobufCAllocator *alloc, ProtobufCMessage **out, char *err,
    size_t errlen)
{
	struct dec		 d = { .err = err, .errlen = errlen,
				    .prefix = "invalid JSON: ", .line = 1,
				    .alloc = alloc };
	ProtobufCMessage	*m = NULL;
	int			 rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	d.text = d.p = (const unsigned char *)text;
	d.end = d.text + len;
	blanks(&d);
	if ((rc = decode_object(&d, desc, &m)) != 0)
		goto fail;
	blanks(&d);
	if (d.p != d.end) {
		rc = expected(&d, "the end of the text");
		goto fail;
	}
	*out = m;
	return 0;
fail:
	if (!d.syntax) {
		/* a fault of the text outranks one of a field */
		d.p = d.text;
		d.depth = 0;
		(void)scan_text(&d, PBJSON_SCAN_ALL);
	}
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, alloc);
	return rc;
}

int
pbjson_decode_prefix(const ProtobufCMessageDescriptor *desc, const char *text,
    size_t len, ProtobufCAllocator *alloc, ProtobufCMessage **out,
    size_t *used)
{
	struct dec		 d = { .prefix = "", .line = 1,
				    .alloc = alloc };
	ProtobufCMessage	*m = NULL;

	*out = NULL;
	d.text = d.p = (const unsigned char *)text;
	d.end = d.text + len;
	if (decode_object(&d, desc, &m) != 0) {
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, alloc);
		return MSOSYNC_EINVAL;
	}
	*used = (size_t)(d.p - d.text);
	*out = m;
	return 0;
}

int
pbjson_peek_string(const char *text, size_t len, const char *key, char *out,
    size_t size)
{
	struct dec		 d = { .prefix = "" };
	const unsigned char	*raw;
	const char		*k;
	char			 buf[KEY_MAX];
	size_t			 n, rest, klen = strlen(key);
	int			 esc, full;

	d.text = d.p = (const unsigned char *)text;
	d.end = d.text + len;
	blanks(&d);
	if (!take(&d, '{'))
		return MSOSYNC_EINVAL;
	d.depth = 1;
	blanks(&d);
	while (at(&d, '"')) {
		if (dec_key(&d, buf, sizeof(buf), &k, &n, &full) != 0)
			return MSOSYNC_EINVAL;
		blanks(&d);
		if (!take(&d, ':'))
			return MSOSYNC_EINVAL;
		blanks(&d);
		if (full && n == klen && memcmp(k, key, n) == 0) {
			if (size == 0 || !at(&d, '"') ||
			    lex_string(&d, &raw, &n, &esc) != 0)
				return MSOSYNC_EINVAL;
			out[unescape(raw, n, out, size - 1, &rest)] = '\0';
			return rest == 0 ? 0 : MSOSYNC_EINVAL;
		}
		if (scan_value(&d) != 0)
			return MSOSYNC_EINVAL;
		blanks(&d);
		if (!take(&d, ','))
			break;
		blanks(&d);
	}
	return MSOSYNC_EINVAL;
}
