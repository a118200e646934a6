/*
 * ndjson_each: one object, an array or NDJSON, split into values with
 * jansson. NDJSON values are read one at a time with
 * JSON_DISABLE_EOF_CHECK, whose error.position on success is the number of
 * bytes consumed; a bad value is skipped up to the next newline so that one
 * broken line does not hide the lines after it.
 *
 * No state: any thread may call it.
 */
#include <string.h>

#include <jansson.h>

#include "ndjson.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
skip_blank(const char *text, size_t len, size_t pos)
{
	while (pos < len && is_blank(text[pos]))
		pos++;
	return pos;
}

static int
each_in_array(const char *text, size_t len, ndjson_fn fn, void *arg)
{
	json_error_t	 err;
	json_t		*arr, *v;
	size_t		 i;
	int		 rc = 0;

	/* the whole text is the array: trailing bytes make it unreadable */
	arr = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (arr == NULL)
		return fn(arg, 0, NULL, err.text);
	json_array_foreach(arr, i, v) {
		if ((rc = fn(arg, i, v, NULL)) != 0)
			break;
	}
	json_decref(arr);
	return rc;
}

static int
each_in_sequence(const char *text, size_t len, ndjson_fn fn, void *arg)
{
	json_error_t	 err;
	json_t		*v;
	const char	*nl;
	size_t		 pos, index = 0;
	int		 rc;

	for (pos = skip_blank(text, len, 0); pos < len;
	    pos = skip_blank(text, len, pos), index++) {
		v = json_loadb(text + pos, len - pos,
		    JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &err);
		if (v == NULL) {
			if ((rc = fn(arg, index, NULL, err.text)) != 0)
				return rc;
			nl = memchr(text + pos, '\n', len - pos);
			pos = nl != NULL ? (size_t)(nl - text) + 1 : len;
			continue;
		}
		rc = fn(arg, index, v, NULL);
		json_decref(v);
		if (rc != 0)
			return rc;
		/* a parsed value always consumed at least its closing bracket */
		pos += err.position > 0 ? (size_t)err.position : 1;
	}
	return 0;
}

int
ndjson_each(const char *text, size_t len, ndjson_fn fn, void *arg)
{
	size_t	pos = skip_blank(text, len, 0);

	if (pos == len)
		return 0;
	if (text[pos] == '[')
		return each_in_array(text + pos, len - pos, fn, arg);
	return each_in_sequence(text + pos, len - pos, fn, arg);
}
