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
 * Decoding is strict: unknown keys, wrong types, unknown enum values,
 * floats where integers belong, out-of-range integers, invalid UTF-8,
 * duplicate keys, two bodies or none are errors. An error message names the
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

/*
 * Decode the JSON object 'obj' into a new message of type 'desc'.
 * On success *out is the caller's, freed with protobuf_c_message_free_unpacked(*out, NULL).
 * Returns 0, or MSOSYNC_EINVAL with "path: reason" in err (err may be NULL).
 * On error *out is NULL and nothing leaks.
 */
int	pbjson_decode(const ProtobufCMessageDescriptor *desc, const json_t *obj,
	    ProtobufCMessage **out, char *err, size_t errlen);

/*
 * Parse 'len' bytes of JSON text holding one object, then pbjson_decode it.
 * Syntax errors and invalid UTF-8 are MSOSYNC_EINVAL with jansson's reason.
 */
int	pbjson_decode_text(const ProtobufCMessageDescriptor *desc,
	    const char *text, size_t len, ProtobufCMessage **out,
	    char *err, size_t errlen);

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
