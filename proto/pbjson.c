/*
 * The one JSON <-> protobuf mapper (the mapping is described in pbjson.h).
 * Decoding walks a jansson tree under the guidance of the message
 * descriptor and builds a message that protobuf_c_message_free_unpacked
 * can free at any point, so a failure half way just frees what was built.
 * Encoding walks the message and writes text straight into a struct buf:
 * no jansson objects and no allocation beyond the buffer's, because every
 * accepted event and every report row goes through it.
 *
 * It owns no state; any thread may call it.
 */
#include <limits.h>
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

struct dec {
	char	*err;
	size_t	 errlen;
	size_t	 plen;
	char	 path[PBJSON_ERR_MAX];
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

/* Decoding. */

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

static int
is_body(const ProtobufCMessageDescriptor *desc, unsigned case_offset)
{
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		if (bodies[i].desc == desc &&
		    bodies[i].case_offset == case_offset)
			return 1;
	return 0;
}

static ProtobufCMessage *
new_message(const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage	*m = xmalloc(desc->sizeof_message);

	desc->message_init(m);
	return m;
}

static int
get_int(struct dec *d, const json_t *v, long long lo, long long hi,
    long long *out)
{
	long long	x;

	if (!json_is_integer(v))
		return bad(d, "expected an integer");
	x = json_integer_value(v);
	if (x < lo || x > hi)
		return bad(d, "out of range");
	*out = x;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int	dec_message(struct dec *, const ProtobufCMessageDescriptor *,
		    const json_t *, ProtobufCMessage *);

static int
dec_enum(struct dec *d, const ProtobufCFieldDescriptor *f, const json_t *v,
    int32_t *out)
{
	const ProtobufCEnumValue	*ev = NULL;
	const char			*s;
	char				 name[ENUM_NAME_MAX], tmp[SHOWN_MAX + 4];
	size_t				 n, i;

	if (!json_is_string(v))
		return bad(d, "expected a string");
	s = json_string_value(v);
	n = json_string_length(v);
	/* Only the lower-case spelling is a name. */
	for (i = 0; i < n && i < sizeof(name) - 1; i++) {
		char c = s[i];

		if ((c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_')
			break;
		name[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
	}
	name[i] = '\0';
	if (i == n)
		ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor,
		    name);
	if (ev == NULL || ends_with(ev->name, "_UNSPECIFIED"))
		return bad(d, "unknown value '%s'", shown(s, tmp, sizeof(tmp)));
	*out = ev->value;
	return 0;
}

static int
dec_bytes(struct dec *d, const json_t *v, ProtobufCBinaryData *out)
{
	const char	*s;
	uint8_t		*data;
	size_t		 n;

	if (!json_is_string(v))
		return bad(d, "expected a hex string");
	s = json_string_value(v);
	n = json_string_length(v);
	if (n % 2 != 0)
		return bad(d, "expected a hex string");
	for (size_t i = 0; i < n; i++)
		if (hexval(s[i]) < 0)
			return bad(d, "expected a hex string");
	data = n > 0 ? xmalloc(n / 2) : NULL;
	for (size_t i = 0; i < n / 2; i++)
		data[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
	out->len = n / 2;
	out->data = data;
	return 0;
}

/*
 * One value of field 'f' into the storage at 'p'. A pointer is stored only
 * once it owns what it points to, so the message stays freeable.
 */
static int
dec_value(struct dec *d, const ProtobufCFieldDescriptor *f, const json_t *v,
    void *p)
{
	ProtobufCMessage	*sub;
	const char		*s;
	char			 tmp[SHOWN_MAX + 4];
	long long		 x;
	unsigned		 date;
	size_t			 n;
	int			 rc;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if ((rc = get_int(d, v, INT32_MIN, INT32_MAX, &x)) != 0)
			return rc;
		*(int32_t *)p = (int32_t)x;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (kind_of(f) == DATE) {
			if (!json_is_string(v))
				return bad(d, "expected a date \"YYYY-MM-DD\"");
			s = json_string_value(v);
			if (pbjson_parse_date(s, &date) != 0)
				return bad(d, "invalid date '%s'",
				    shown(s, tmp, sizeof(tmp)));
			*(uint32_t *)p = date;
			return 0;
		}
		if ((rc = get_int(d, v, 0, UINT32_MAX, &x)) != 0)
			return rc;
		*(uint32_t *)p = (uint32_t)x;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (kind_of(f) == TIME) {
			if (json_is_string(v)) {
				s = json_string_value(v);
				if (pbjson_parse_time(s, &x) != 0)
					return bad(d, "invalid time '%s'",
					    shown(s, tmp, sizeof(tmp)));
			} else if (!json_is_integer(v))
				return bad(d, "expected an RFC 3339 time or "
				    "integer milliseconds");
			else if ((rc = get_int(d, v, TIME_MIN_MS, TIME_MAX_MS,
			    &x)) != 0)
				return rc;
		} else if ((rc = get_int(d, v, LLONG_MIN, LLONG_MAX, &x)) != 0)
			return rc;
		*(int64_t *)p = x;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if ((rc = get_int(d, v, 0, LLONG_MAX, &x)) != 0)
			return rc;
		*(uint64_t *)p = (uint64_t)x;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(v))
			return bad(d, "expected true or false");
		*(protobuf_c_boolean *)p = json_is_true(v);
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		return dec_enum(d, f, v, p);
	case PROTOBUF_C_TYPE_STRING:
		if (!json_is_string(v))
			return bad(d, "expected a string");
		s = json_string_value(v);
		n = json_string_length(v);
		/* A tree built in C may hold what no parser would pass. */
		if (memchr(s, '\0', n) != NULL)
			return bad(d, "NUL character in string");
		if (!utf8_valid(s, n))
			return bad(d, "invalid UTF-8");
		*(char **)p = xstrndup(s, n);
		return 0;
	case PROTOBUF_C_TYPE_BYTES:
		return dec_bytes(d, v, p);
	case PROTOBUF_C_TYPE_FLOAT:
		if (!json_is_number(v))
			return bad(d, "expected a number");
		*(float *)p = (float)json_number_value(v);
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		if (!json_is_number(v))
			return bad(d, "expected a number");
		*(double *)p = json_number_value(v);
		return 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		if (!json_is_object(v))
			return bad(d, "expected an object");
		sub = new_message(f->descriptor);
		*(ProtobufCMessage **)p = sub;
		return dec_message(d, f->descriptor, v, sub);
	}
	return bad(d, "unsupported field type");
}

static int
dec_repeated(struct dec *d, const ProtobufCFieldDescriptor *f,
    const json_t *v, char *base)
{
	size_t	*count = (size_t *)(base + f->quantifier_offset);
	size_t	 n, sz, old;
	char	*arr;
	int	 rc = 0;

	if (!json_is_array(v))
		return bad(d, "expected an array");
	if ((n = json_array_size(v)) == 0)
		return 0;
	sz = elem_size(f->type);
	arr = xcalloc(n, sz);
	*(char **)(base + f->offset) = arr;
	*count = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		old = push_index(d, i);
		/*
		 * Counted before decoding: dec_value stores a message
		 * pointer before filling it, a scalar only on success.
		 */
		if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
		    json_is_object(json_array_get(v, i)))
			*count = i + 1;
		rc = dec_value(d, f, json_array_get(v, i), arr + i * sz);
		if (rc == 0)
			*count = i + 1;
		pop(d, old);
	}
	return rc;
}

static int
dec_field(struct dec *d, const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, const json_t *v, char *base)
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
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		rc = dec_repeated(d, f, v, base);
	else {
		rc = dec_value(d, f, v, base + f->offset);
		if (rc == 0 && f->label == PROTOBUF_C_LABEL_OPTIONAL &&
		    !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    f->type != PROTOBUF_C_TYPE_STRING &&
		    f->type != PROTOBUF_C_TYPE_MESSAGE)
			*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
	}
	pop(d, old);
	return rc;
}

static int
dec_message(struct dec *d, const ProtobufCMessageDescriptor *desc,
    const json_t *obj, ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor	*f;
	char				*base = (char *)m;
	const char			*key;
	json_t				*v;
	char				 tmp[SHOWN_MAX + 4];
	int				 rc;

	json_object_foreach((json_t *)obj, key, v) {
		f = protobuf_c_message_descriptor_get_field_by_name(desc, key);
		if (f == NULL) {
			push(d, shown(key, tmp, sizeof(tmp)));
			return bad(d, "unknown field");
		}
		if ((rc = dec_field(d, desc, f, v, base)) != 0)
			return rc;
	}
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		if (bodies[i].desc == desc &&
		    *(uint32_t *)(base + bodies[i].case_offset) == 0)
			return bad(d, "no body");
	return 0;
}

int
pbjson_decode(const ProtobufCMessageDescriptor *desc, const json_t *obj,
    ProtobufCMessage **out, char *err, size_t errlen)
{
	struct dec		 d = { .err = err, .errlen = errlen };
	ProtobufCMessage	*m = NULL;
	int			 rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!json_is_object(obj)) {
		rc = bad(&d, "expected an object");
		goto fail;
	}
	m = new_message(desc);
	if ((rc = dec_message(&d, desc, obj, m)) != 0)
		goto fail;
	*out = m;
	return 0;
fail:
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}

int
pbjson_decode_text(const ProtobufCMessageDescriptor *desc, const char *text,
    size_t len, ProtobufCMessage **out, char *err, size_t errlen)
{
	json_error_t	 je;
	json_t		*root;
	int		 rc;

	*out = NULL;
	/* Any value parses, so that "[1]" and "1" get the same clear error. */
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &je);
	if (root == NULL) {
		if (err == NULL || errlen == 0)
			return MSOSYNC_EINVAL;
		if (json_error_code(&je) == json_error_invalid_utf8)
			snprintf(err, errlen, "invalid UTF-8 at offset %d",
			    je.position);
		else if (json_error_code(&je) == json_error_null_character)
			/* jansson's text names a flag, no help to a client */
			snprintf(err, errlen, "invalid JSON at line %d column "
			    "%d: \\u0000 in a string", je.line, je.column);
		else
			snprintf(err, errlen,
			    "invalid JSON at line %d column %d: %s",
			    je.line, je.column, je.text);
		return MSOSYNC_EINVAL;
	}
	rc = pbjson_decode(desc, root, out, err, errlen);
	json_decref(root);
	return rc;
}
