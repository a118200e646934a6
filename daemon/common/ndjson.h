/*
 * Splitting a body of JSON text into the values a client meant to submit:
 * one object, a top-level array of them, or NDJSON (a sequence of values
 * separated by whitespace, normally one a line). The agent's HTTP ingest
 * and libmsosync share it, so both count event indexes the same way.
 *
 * No state: any thread may call it.
 */
#ifndef MSOSYNC_NDJSON_H
#define MSOSYNC_NDJSON_H

#include <stddef.h>

#include <jansson.h>

/*
 * Called once per value, in order, 'index' counting from 0. Exactly one of
 * 'value' and 'parse_error' is non-NULL:
 *   value        the parsed value, borrowed: valid only during the call
 *                (json_incref it to keep it)
 *   parse_error  jansson's reason for a value that could not be read,
 *                valid only during the call
 * A nonzero return stops the walk; ndjson_each returns it.
 */
typedef int (*ndjson_fn)(void *arg, size_t index, json_t *value,
    const char *parse_error);

/*
 * Walk the JSON values of 'text' ('len' bytes, no NUL needed):
 *
 *   - leading and trailing whitespace is ignored; empty text gives no call;
 *   - text whose first non-blank byte is '[' is one array: fn sees each
 *     element (index = position in the array); if the array does not parse,
 *     trailing bytes after it included, fn gets one parse error at index 0;
 *   - any other text is a sequence of values (objects or arrays) separated
 *     by whitespace. A value that does not parse gives fn a parse error for
 *     its index, then the walk resumes after the next newline that follows
 *     the start of that value, so each bad NDJSON line costs one index and
 *     the good lines after it are still read.
 *
 * Duplicate keys in an object are a parse error.
 * Returns 0 when every value was handed to fn, or fn's nonzero return.
 */
int	ndjson_each(const char *text, size_t len, ndjson_fn fn, void *arg);

#endif
