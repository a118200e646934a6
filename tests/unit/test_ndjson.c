/*
 * Tests for ndjson.c: one object, an array, NDJSON with blank lines and
 * broken lines (each its own index, the good lines after it still read),
 * trailing garbage in both modes, empty input, early stop by the callback.
 * Each value is recorded as compact JSON with sorted keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ndjson.h"

#define MAXCALLS	16

struct call {
	size_t	 index;
	char	*json;		/* NULL for a parse error */
	char	*error;		/* NULL for a value */
};

struct record {
	struct call	calls[MAXCALLS];
	size_t		n;
	size_t		stop_at;	/* return 7 from this call; 0: never */
};

static int
rec(void *arg, size_t index, json_t *value, const char *perr)
{
	struct record	*r = arg;
	struct call	*c;

	assert_true(r->n < MAXCALLS);
	assert_true((value == NULL) != (perr == NULL));
	c = &r->calls[r->n++];
	c->index = index;
	c->json = value ? json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY) : NULL;
	c->error = perr ? strdup(perr) : NULL;
	if (r->stop_at != 0 && r->n == r->stop_at)
		return 7;
	return 0;
}

static void
record_free(struct record *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->calls[i].json);
		free(r->calls[i].error);
	}
	memset(r, 0, sizeof(*r));
}

static int
run(const char *text, struct record *r)
{
	memset(r, 0, sizeof(*r));
	return ndjson_each(text, strlen(text), rec, r);
}

static void
assert_value(const struct record *r, size_t i, size_t index,
    const char *json)
{
	assert_int_equal(r->calls[i].index, index);
	assert_null(r->calls[i].error);
	assert_non_null(r->calls[i].json);
	assert_string_equal(r->calls[i].json, json);
}

static void
assert_error(const struct record *r, size_t i, size_t index,
    const char *error)
{
	assert_int_equal(r->calls[i].index, index);
	assert_null(r->calls[i].json);
	assert_non_null(r->calls[i].error);
	assert_string_equal(r->calls[i].error, error);
}

static void
test_one_object(void **state)
{
	struct record	r;

	(void)state;
	assert_int_equal(run("  {\"event_id\":\"e1\",\"n\":1}\n", &r), 0);
	assert_int_equal(r.n, 1);
	assert_value(&r, 0, 0, "{\"event_id\":\"e1\",\"n\":1}");
	record_free(&r);

	/* a pretty-printed object spans lines and is still one value */
	assert_int_equal(run("{\n  \"a\": [1,\n 2],\n  \"b\": {}\n}\n", &r),
	    0);
	assert_int_equal(r.n, 1);
	assert_value(&r, 0, 0, "{\"a\":[1,2],\"b\":{}}");
	record_free(&r);
}

static void
test_array(void **state)
{
	struct record	r;

	(void)state;
	assert_int_equal(run("\n [ {\"a\":1},\n{\"b\":2} ,{\"c\":3}]\r\n",
	    &r), 0);
	assert_int_equal(r.n, 3);
	assert_value(&r, 0, 0, "{\"a\":1}");
	assert_value(&r, 1, 1, "{\"b\":2}");
	assert_value(&r, 2, 2, "{\"c\":3}");
	record_free(&r);

	/* elements are handed over as they are, objects or not */
	assert_int_equal(run("[{\"a\":1},5,\"x\"]", &r), 0);
	assert_int_equal(r.n, 3);
	assert_value(&r, 1, 1, "5");
	assert_value(&r, 2, 2, "\"x\"");
	record_free(&r);

	assert_int_equal(run("[]", &r), 0);
	assert_int_equal(r.n, 0);
	record_free(&r);
}

static void
test_ndjson_blank_and_bad_lines(void **state)
{
	struct record	r;
	const char	*text =
	    "{\"a\":1}\n"
	    "\n"
	    "   \t\n"
	    "{\"b\":2\n"			/* unterminated: bad line */
	    "{\"c\":3}\r\n"
	    "not json at all\n"
	    "\n"
	    "{\"d\":4}\n";

	(void)state;
	assert_int_equal(run(text, &r), 0);
	assert_int_equal(r.n, 5);
	assert_value(&r, 0, 0, "{\"a\":1}");
	assert_error(&r, 1, 1, "'}' expected near '{'");
	assert_value(&r, 2, 2, "{\"c\":3}");
	assert_error(&r, 3, 3, "'[' or '{' expected near 'not'");
	assert_value(&r, 4, 4, "{\"d\":4}");
	record_free(&r);
}

static void
test_values_on_one_line(void **state)
{
	struct record	r;

	(void)state;
	/* concatenated values need no newline between them */
	assert_int_equal(run("{\"a\":1}{\"b\":2} {\"c\":3}", &r), 0);
	assert_int_equal(r.n, 3);
	assert_value(&r, 0, 0, "{\"a\":1}");
	assert_value(&r, 1, 1, "{\"b\":2}");
	assert_value(&r, 2, 2, "{\"c\":3}");
	record_free(&r);
}

static void
test_trailing_garbage(void **state)
{
	struct record	r;

	(void)state;
	/* NDJSON: the garbage is one more, bad, value */
	assert_int_equal(run("{\"a\":1}\n{\"b\":2} xyz\n", &r), 0);
	assert_int_equal(r.n, 3);
	assert_value(&r, 0, 0, "{\"a\":1}");
	assert_value(&r, 1, 1, "{\"b\":2}");
	assert_error(&r, 2, 2, "'[' or '{' expected near 'xyz'");
	record_free(&r);

	/* an array is the whole text: garbage after it spoils it */
	assert_int_equal(run("[{\"a\":1},{\"b\":2}] x", &r), 0);
	assert_int_equal(r.n, 1);
	assert_error(&r, 0, 0, "end of file expected near 'x'");
	record_free(&r);

	/* a last line cut short */
	assert_int_equal(run("{\"a\":1}\n{\"b\":", &r), 0);
	assert_int_equal(r.n, 2);
	assert_value(&r, 0, 0, "{\"a\":1}");
	assert_error(&r, 1, 1, "unexpected token near end of file");
	record_free(&r);
}

static void
test_broken_array(void **state)
{
	struct record	r;

	(void)state;
	assert_int_equal(run("[{\"a\":1},\n{\"b\":}]", &r), 0);
	assert_int_equal(r.n, 1);
	assert_error(&r, 0, 0, "unexpected token near '}'");
	record_free(&r);
}

static void
test_duplicate_keys(void **state)
{
	struct record	r;

	(void)state;
	assert_int_equal(run("{\"a\":1,\"a\":2}\n{\"b\":1}", &r), 0);
	assert_int_equal(r.n, 2);
	assert_error(&r, 0, 0, "duplicate object key near '\"a\"'");
	assert_value(&r, 1, 1, "{\"b\":1}");
	record_free(&r);
}

static void
test_empty(void **state)
{
	struct record	r;

	(void)state;
	assert_int_equal(run("", &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(run(" \n\r\n\t ", &r), 0);
	assert_int_equal(r.n, 0);
	/* len bounds the text: nothing past it is read */
	memset(&r, 0, sizeof(r));
	assert_int_equal(ndjson_each("{\"a\":1}", 0, rec, &r), 0);
	assert_int_equal(r.n, 0);
}

static void
test_stop(void **state)
{
	struct record	r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.stop_at = 2;
	assert_int_equal(ndjson_each("{}\n{}\n{}\n", 9, rec, &r), 7);
	assert_int_equal(r.n, 2);
	record_free(&r);

	memset(&r, 0, sizeof(r));
	r.stop_at = 1;
	assert_int_equal(ndjson_each("[{},{}]", 7, rec, &r), 7);
	assert_int_equal(r.n, 1);
	record_free(&r);

	/* a parse error can stop the walk too */
	memset(&r, 0, sizeof(r));
	r.stop_at = 1;
	assert_int_equal(ndjson_each("{\n{}\n", 5, rec, &r), 7);
	assert_int_equal(r.n, 1);
	assert_error(&r, 0, 0, "string or '}' expected near '{'");
	record_free(&r);
}

static void
test_not_nul_terminated(void **state)
{
	struct record	r;
	char		text[] = { '{', '"', 'a', '"', ':', '1', '}', '\n',
			    '{', '"', 'b', '"', ':', '2', '}', 'X' };

	(void)state;
	memset(&r, 0, sizeof(r));
	/* stops right before the 'X' */
	assert_int_equal(ndjson_each(text, sizeof(text) - 1, rec, &r), 0);
	assert_int_equal(r.n, 2);
	assert_value(&r, 1, 1, "{\"b\":2}");
	record_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_object),
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_ndjson_blank_and_bad_lines),
		cmocka_unit_test(test_values_on_one_line),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_broken_array),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_not_nul_terminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
