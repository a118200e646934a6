/*
 * The one JSON <-> protobuf mapper. It walks protobuf-c descriptors, so it
 * serves every message of proto/ with no per-message code. Conventions read
 * off field names (see proto/events.proto):
 *
 *   *_cents, other int64/int32/uint*   JSON integers only (no floats, no
 *                                      strings), range-checked for the type
 *   *_at (int64)       RFC 3339 string ("2026-11-20T15:04:05Z", offsets and
 *                      fractions allowed) or integer Unix ms; out: RFC 3339
 *                      UTC with milliseconds only when nonzero
 *   *_date, *_on (uint32 YYYYMMDD)   "YYYY-MM-DD" (a real calendar date)
 *   enums              lower-case value names; *_UNSPECIFIED refused on input
 *   bool               true/false only
 *   bytes              lower-case hex string
 *   oneof              the member's name as a key; exactly one when the
 *                      oneof is the message's body ("no body", "two bodies")
 *   repeated           JSON arrays
 *
 * Decoding reads JSON text straight into the message and is strict:
 * text that is not RFC 8259 JSON, invalid UTF-8, unknown keys, wrong types
 * (null included), unknown enum values, numbers with a fraction or an
 * exponent where integers belong, out-of-range integers, duplicate keys,
 * two bodies or none are errors. An error message names the
 * field path and the reason: "sale.amount_cents: expected an integer".
 *
 * Encoding writes canonical compact JSON: fields in descriptor order,
 * proto3 defaults (0, false, "", empty) left out. For canonical input,
 * JSON -> proto -> JSON is byte-identical.
 *
 * Thread-safe: no state of its own.
 */
#ifndef MSOSYNC_PBJSON_H
#define MSOSYNC_PBJSON_H

#include <stddef.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "buf.h"

#define PBJSON_ERR_MAX	256

/* Containers nest at most this deep in any text read here. */
#define PBJSON_DEPTH_MAX	64

/*
 * Decode 'len' bytes of JSON text holding one object (blanks around it
 * allowed, nothing else) into a new message of type 'desc', in one pass
 * over the text: no tree, nothing allocated but the message itself, from
 * 'alloc' (NULL: malloc; an allocator must not return NULL), as
 * protobuf-c's unpack does. On success *out is the caller's, freed with
 * protobuf_c_message_free_unpacked(*out, alloc).
 * Returns 0, or MSOSYNC_EINVAL with the reason in err (err may be NULL):
 * "path: reason" for a field, "expected an object" for a value that is
 * not one, or for text that is not strict JSON (RFC 8259, UTF-8, no
 * \u0000, nesting within PBJSON_DEPTH_MAX), the reason pbjson_scan gives
 * behind "invalid JSON: ". A text that is not JSON gets that reason even
 * where a field error comes earlier in it. On error *out is NULL and
 * nothing leaks.
 */
int	pbjson_decode_text(const ProtobufCMessageDescriptor *desc,
	    const char *text, size_t len, ProtobufCAllocator *alloc,
	    ProtobufCMessage **out, char *err, size_t errlen);

/*
 * The quick path for a sequence of values: decode the one object at
 * text[0] as pbjson_decode_text would, but let text go on after it; *used
 * gets its length. Returns 0, or MSOSYNC_EINVAL with no reason (the slow
 * path, pbjson_scan then pbjson_decode_text, finds and words it).
 */
int	pbjson_decode_prefix(const ProtobufCMessageDescriptor *desc,
	    const char *text, size_t len, ProtobufCAllocator *alloc,
	    ProtobufCMessage **out, size_t *used);

#define PBJSON_SCAN_ALL		0x1	/* only blanks may follow the value */
#define PBJSON_SCAN_CONTAINER	0x2	/* it must be an object or an array */

/*
 * Check that one strict JSON value (the grammar and limits of
 * pbjson_decode_text; duplicate keys are left to the decoder, which knows
 * the fields) starts at text[*pos], blanks before it skipped, and set *pos
 * just past it. Returns 0, or MSOSYNC_EINVAL with *pos at the offending
 * byte and the reason in err, positioned from text[0], which is on line
 * 'line' (1 for a whole text) and starts a line: "expected ':', found '}'
 * at line 3 column 17"; columns count characters from 1. Counting costs
 * a pass over text[0..*pos]: with err NULL nothing is counted.
 */
int	pbjson_scan(const char *text, size_t len, size_t *pos, size_t line,
	    unsigned flags, char *err, size_t errlen);

/*
 * For error reports: copy the value of the top-level string member 'key'
 * of the object that 'text' ('len' bytes) holds, unescaped, NUL-terminated
 * into 'out' ('size' bytes). The first member of that name counts.
 * Returns 0, or MSOSYNC_EINVAL when the text is not an object read far
 * enough to find the member, the member is absent or not a string, or its
 * value does not fit.
 */
int	pbjson_peek_string(const char *text, size_t len, const char *key,
	    char *out, size_t size);

/* Append 'msg' as canonical compact JSON (no newline) to 'out'. */
void	pbjson_encode(const ProtobufCMessage *msg, struct buf *out);

/* 'msg' as a new jansson object, the caller's (json_decref). */
json_t	*pbjson_to_json(const ProtobufCMessage *msg);

/*
 * Field-name helpers that validation and reports share with the mapper:
 * YYYYMMDD <-> "YYYY-MM-DD", Unix ms <-> RFC 3339.
 * pbjson_parse_* return 0 or MSOSYNC_EINVAL; format functions write a
 * NUL-terminated string into 'out' (at least 11 / 32 bytes).
 */
int	pbjson_parse_date(const char *s, unsigned *yyyymmdd);
void	pbjson_format_date(unsigned yyyymmdd, char *out);
int	pbjson_parse_time(const char *s, long long *unix_ms);
void	pbjson_format_time(long long unix_ms, char *out);

#endif
