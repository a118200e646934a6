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

/*
 * Called once per value, in order, 'index' counting from 0. Exactly one of
 * 'value' and 'parse_error' is non-NULL:
 *   value, vlen  the text of the value (no blanks around it), a part of
 *                the text given to ndjson_each: strict JSON as
 *                pbjson_scan checks it, ready for pbjson_decode_text
 *   parse_error  why the value is not JSON, with the line and column in
 *                the whole text ("expected ',' or '}', found the end of
 *                the text at line 3 column 18"), valid only during the call
 * A nonzero return stops the walk; ndjson_each returns it.
 */
typedef int (*ndjson_fn)(void *arg, size_t index, const char *value,
    size_t vlen, const char *parse_error);

/*
 * Walk the JSON values of 'text' ('len' bytes, no NUL needed), reading it
 * once to check it and to find where each value ends:
 *
 *   - leading and trailing whitespace is ignored; empty text gives no call;
 *   - text whose first non-blank byte is '[' is one array: fn sees each
 *     element (index = position in the array); if the array is not JSON,
 *     trailing bytes after it included, fn gets one parse error at index 0;
 *   - any other text is a sequence of values, each an object or an array,
 *     separated by whitespace (or by nothing). A value that is not JSON
 *     gives fn a parse error for its index, then the walk resumes after
 *     the next newline that follows the start of that value, so each bad
 *     NDJSON line costs one index and the good lines after it are still
 *     read.
 *
 * Duplicate keys are not looked for here: the decoder, which knows the
 * fields, refuses them.
 * Returns 0 when every value was handed to fn, or fn's nonzero return.
 */
int	ndjson_each(const char *text, size_t len, ndjson_fn fn, void *arg);

/*
 * As ndjson_each, but each value of a sequence (not of an array) that
 * starts with '{' is first offered to 'take' (the rest of the text from
 * it): 'take' returns 1 when it took a value of *used bytes (a strict JSON
 * object: fn is not called for it), 0 to leave it to the walk (checked,
 * then handed to fn), or a negative value to stop the walk with it. Lets
 * a decoder read a good value once rather than after a check.
 */
typedef int (*ndjson_take_fn)(void *arg, size_t index, const char *text,
    size_t len, size_t *used);
int	ndjson_each_taking(const char *text, size_t len, ndjson_take_fn take,
	    ndjson_fn fn, void *arg);

#endif
