/*
 * Tests for ndjson.c: one object, an array, NDJSON with blank lines and
 * broken lines (each its own index, the good lines after it still read),
 * trailing garbage in both modes, empty input, early stop by the callback,
 * the strictness of the splitting scan (every value it hands out is JSON
 * that pbjson_decode_text reads; every fault is named with its line and
 * column in the whole body), and the quick path of ndjson_each_taking
 * giving what the walk alone gives. Each value is recorded as the exact
 * text handed over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "events.pb-c.h"
#include "msosync/error.h"
#include "ndjson.h"
#include "pbjson.h"
#include "testutil.h"

#define MAXCALLS	16

struct call {
	size_t	 index;
	char	*json;		/* the value's text; NULL for a parse error */
	char	*error;		/* NULL for a value */
};

struct record {
	struct call	calls[MAXCALLS];
	size_t		n;
	size_t		stop_at;	/* return 7 from this call; 0: never */
};

static int
rec(void *arg, size_t index, const char *value, size_t vlen,
    const char *perr)
{
	struct record	*r = arg;
	struct call	*c;

	assert_true(r->n < MAXCALLS);
	assert_true((value == NULL) != (perr == NULL));
	if (value == NULL)
		assert_int_equal(vlen, 0);
	c = &r->calls[r->n++];
	c->index = index;
	c->json = value ? strndup(value, vlen) : NULL;
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
	assert_value(&r, 0, 0, "{\n  \"a\": [1,\n 2],\n  \"b\": {}\n}");
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
	assert_int_equal(run("[{\"a\":1},5,\"x\",-1.5e3 , true,null,[1,[]],"
	    "\"]\\\",\" ,{\"b\":\"}\"}\n]", &r), 0);
	assert_int_equal(r.n, 9);
	assert_value(&r, 0, 0, "{\"a\":1}");
	assert_value(&r, 1, 1, "5");
	assert_value(&r, 2, 2, "\"x\"");
	assert_value(&r, 3, 3, "-1.5e3");
	assert_value(&r, 4, 4, "true");
	assert_value(&r, 5, 5, "null");
	assert_value(&r, 6, 6, "[1,[]]");
	assert_value(&r, 7, 7, "\"]\\\",\"");
	assert_value(&r, 8, 8, "{\"b\":\"}\"}");
	record_free(&r);

	assert_int_equal(run("[]", &r), 0);
	assert_int_equal(r.n, 0);
	record_free(&r);
	assert_int_equal(run(" [ \n ] \n", &r), 0);
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
	assert_error(&r, 1, 1, "expected ',' or '}', found '{' at line 5 "
	    "column 1");
	assert_value(&r, 2, 2, "{\"c\":3}");
	assert_error(&r, 3, 3, "expected an object or an array, found 'n' at "
	    "line 6 column 1");
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
	assert_error(&r, 2, 2, "expected an object or an array, found 'x' at "
	    "line 2 column 9");
	record_free(&r);

	/* an array is the whole text: garbage after it spoils it */
	assert_int_equal(run("[{\"a\":1},{\"b\":2}] x", &r), 0);
	assert_int_equal(r.n, 1);
	assert_error(&r, 0, 0, "expected the end of the text, found 'x' at "
	    "line 1 column 19");
	record_free(&r);
	assert_int_equal(run("[{\"a\":1}]\n[{\"b\":2}]\n", &r), 0);
	assert_int_equal(r.n, 1);
	assert_error(&r, 0, 0, "expected the end of the text, found '[' at "
	    "line 2 column 1");
	record_free(&r);

	/* a last line cut short */
	assert_int_equal(run("{\"a\":1}\n{\"b\":", &r), 0);
	assert_int_equal(r.n, 2);
	assert_value(&r, 0, 0, "{\"a\":1}");
	assert_error(&r, 1, 1, "expected a value, found the end of the text at "
	    "line 2 column 6");
	record_free(&r);
}

static void
test_broken_array(void **state)
{
	struct record	r;

	(void)state;
	assert_int_equal(run("[{\"a\":1},\n{\"b\":}]", &r), 0);
	assert_int_equal(r.n, 1);
	assert_error(&r, 0, 0, "expected a value, found '}' at line 2 "
	    "column 6");
	record_free(&r);

	/* one bad element spoils all: nothing before it is handed out */
	assert_int_equal(run(" [{\"a\":1},{\"b\":\"\xff\"}]", &r), 0);
	assert_int_equal(r.n, 1);
	assert_error(&r, 0, 0, "invalid UTF-8 byte 0xff at line 1 column 17");
	record_free(&r);
	assert_int_equal(run("[{},{},]", &r), 0);
	assert_int_equal(r.n, 1);
	assert_error(&r, 0, 0, "expected a value, found ']' at line 1 "
	    "column 8");
	record_free(&r);
	assert_int_equal(run("[{} {}]", &r), 0);
	assert_error(&r, 0, 0, "expected ',' or ']', found '{' at line 1 "
	    "column 5");
	record_free(&r);
	assert_int_equal(run("[", &r), 0);
	assert_error(&r, 0, 0, "expected a value, found the end of the text at "
	    "line 1 column 2");
	record_free(&r);
}

static void
test_duplicate_keys(void **state)
{
	struct record		 r;
	ProtobufCMessage	*m;
	char			 err[PBJSON_ERR_MAX];

	(void)state;
	/* not the splitter's to judge: the decoder names the field */
	assert_int_equal(run("{\"a\":1,\"a\":2}\n{\"event_id\":\"x\","
	    "\"event_id\":\"y\",\"void\":{}}", &r), 0);
	assert_int_equal(r.n, 2);
	assert_value(&r, 0, 0, "{\"a\":1,\"a\":2}");
	assert_value(&r, 1, 1, "{\"event_id\":\"x\",\"event_id\":\"y\","
	    "\"void\":{}}");
	assert_int_equal(pbjson_decode_text(&msosync__event__descriptor,
	    r.calls[1].json, strlen(r.calls[1].json),
	    NULL, &m, err, sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err, "event_id: duplicate key");
	record_free(&r);
}

struct bad_line {
	const char	*line;
	const char	*error;		/* its line is always 2 */
};

/* The grammar's edges, one bad NDJSON line each between two good ones. */
static const struct bad_line bad_lines[] = {
	{ "{\"n\":01}", "leading zero in a number at line 2 column 6" },
	{ "{\"n\":-}", "expected a digit, found '}' at line 2 column 7" },
	{ "{\"n\":1.}", "expected a digit after '.', found '}' at line 2 "
	    "column 8" },
	{ "{\"n\":.5}", "expected a value, found '.' at line 2 column 6" },
	{ "{\"n\":1e}", "expected a digit in the exponent, found '}' at line 2 "
	    "column 8" },
	{ "{\"n\":NaN}", "expected a value, found 'N' at line 2 column 6" },
	{ "{\"n\":truE}", "expected 'true', found 'E' at line 2 column 9" },
	{ "{\"s\":\"a\tb\"}", "control character 0x09 in a string at line 2 "
	    "column 8" },
	{ "{\"s\":\"\\ud800\"}", "lone surrogate \\ud800 at line 2 column 7" },
	{ "{\"s\":\"\\udfff\\ud800\"}", "lone surrogate \\udfff at line 2 "
	    "column 7" },
	{ "{\"s\":\"\xc0\x80\"}", "invalid UTF-8 byte 0xc0 at line 2 "
	    "column 7" },
	{ "{\"s\":\"\xed\xb0\x80\"}", "invalid UTF-8 byte 0xed at line 2 "
	    "column 7" },
	{ "{\"s\":\"\\u0000\"}", "\\u0000 in a string at line 2 column 7" },
	{ "{\"s\":\"\\a\"}", "invalid escape '\\a' at line 2 column 7" },
	{ "{\"s\":\"\xc3\xa9\xc3\xa9\",x}", "expected a quoted key, found 'x' "
	    "at line 2 column 11" },
	{ "{'s':1}", "expected a quoted key or '}', found \"'\" at line 2 "
	    "column 2" },
	{ "{\"s\":1,}", "expected a quoted key, found '}' at line 2 column 8" },
	{ "{\"s\" 1}", "expected ':', found '1' at line 2 column 6" },
	{ "\"just a string\"", "expected an object or an array, found '\"' at "
	    "line 2 column 1" },
	{ "null", "expected an object or an array, found 'n' at line 2 "
	    "column 1" },
	{ "\xef\xbb\xbf{}", "expected an object or an array, found byte 0xef "
	    "at line 2 column 1" },
};

static void
test_strict_lines(void **state)
{
	struct record	r;
	char		text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		snprintf(text, sizeof(text), "{\"a\":1}\n%s\n{\"b\":2}\n",
		    bad_lines[i].line);
		assert_int_equal(run(text, &r), 0);
		if (r.n != 3 || r.calls[1].error == NULL ||
		    strcmp(r.calls[1].error, bad_lines[i].error) != 0)
			fail_msg("case %zu: %s\n  want: %s\n  got: %s", i,
			    bad_lines[i].line, bad_lines[i].error,
			    r.n > 1 && r.calls[1].error ? r.calls[1].error :
			    "(no error)");
		assert_value(&r, 0, 0, "{\"a\":1}");
		assert_value(&r, 2, 2, "{\"b\":2}");
		record_free(&r);
	}
}

static void
test_depth(void **state)
{
	struct record	r;
	char		text[3 * PBJSON_DEPTH_MAX + 32], want[128];
	size_t		n = 0;

	(void)state;
	/* PBJSON_DEPTH_MAX levels are a value; one more is not */
	memcpy(text, "{\"a\":", 5);
	n = 5;
	for (int i = 1; i < PBJSON_DEPTH_MAX; i++)
		text[n++] = '[';
	for (int i = 1; i < PBJSON_DEPTH_MAX; i++)
		text[n++] = ']';
	memcpy(text + n, "}\n{\"a\":", 7);
	n += 7;
	for (int i = 0; i < PBJSON_DEPTH_MAX; i++)
		text[n++] = '[';
	text[n] = '\0';
	assert_int_equal(run(text, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(strlen(r.calls[0].json), 2 * PBJSON_DEPTH_MAX + 4);
	snprintf(want, sizeof(want), "nesting deeper than %d levels at line 2 "
	    "column %d", PBJSON_DEPTH_MAX, PBJSON_DEPTH_MAX + 5);
	assert_error(&r, 1, 1, want);
	record_free(&r);
}

static void
test_resume_after_newline(void **state)
{
	struct record	r;

	(void)state;
	/*
	 * A bad value costs its index and the rest of the line it starts
	 * on: the walk resumes on the next line, even inside the bad value.
	 */
	assert_int_equal(run("{\"a\":\n1,\n\"b\"\n{\"ok\":1}\n", &r), 0);
	assert_int_equal(r.n, 4);
	assert_error(&r, 0, 0, "expected ':', found '{' at line 4 column 1");
	assert_error(&r, 1, 1, "expected an object or an array, found '1' at "
	    "line 2 column 1");
	assert_error(&r, 2, 2, "expected an object or an array, found '\"' at "
	    "line 3 column 1");
	assert_value(&r, 3, 3, "{\"ok\":1}");
	record_free(&r);

	assert_int_equal(run("{\"a\":\"x\ny\"}\r\n{\"ok\":1}\r\n", &r), 0);
	assert_int_equal(r.n, 3);
	assert_error(&r, 0, 0, "control character 0x0a in a string at line 1 "
	    "column 8");
	assert_error(&r, 1, 1, "expected an object or an array, found 'y' at "
	    "line 2 column 1");
	assert_value(&r, 2, 2, "{\"ok\":1}");
	record_free(&r);

	/* two values on a line: a bad second one costs no more than itself */
	assert_int_equal(run("{\"a\":1} {\"b\":} {\"c\":3}\n{\"d\":4}", &r), 0);
	assert_int_equal(r.n, 3);
	assert_value(&r, 0, 0, "{\"a\":1}");
	assert_error(&r, 1, 1, "expected a value, found '}' at line 1 "
	    "column 14");
	assert_value(&r, 2, 2, "{\"d\":4}");
	record_free(&r);
}

/* Every value handed out is JSON to the decoder: no second opinion. */
static void
test_values_decode(void **state)
{
	static const char	*const texts[] = {
		"{\"event_id\":\"a\",\"void\":{\"reason\":"
		    "\"\\u00e9\\ud83d\\ude00 ]}\\\"\"}}\r\n"
		    "  {\"event_id\" : \"b\" , \"void\" : { } }"
		    "{\"event_id\":\"c\",\"void\":{}}\n",
		" [ {\"event_id\":\"a\",\"void\":{}} ,\n{\"event_id\":\"b\","
		    "\"void\":{\"reason\":\"[,]\"}},"
		    "{\"event_id\":\"c\",\"void\":{}}]",
	};
	static const char	*const ids[] = { "a", "b", "c" };
	struct record		 r;
	ProtobufCMessage	*m;
	char			 err[PBJSON_ERR_MAX];

	(void)state;
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		assert_int_equal(run(texts[t], &r), 0);
		assert_int_equal(r.n, 3);
		for (size_t i = 0; i < r.n; i++) {
			assert_non_null(r.calls[i].json);
			if (pbjson_decode_text(&msosync__event__descriptor,
			    r.calls[i].json, strlen(r.calls[i].json),
			    NULL, &m, err, sizeof(err)) != 0)
				fail_msg("text %zu value %zu: %s", t, i, err);
			assert_string_equal(
			    ((Msosync__Event *)m)->event_id, ids[i]);
			protobuf_c_message_free_unpacked(m, NULL);
		}
		record_free(&r);
	}
}

struct taking {
	struct record	 r;
	size_t		 taken;
};

/* Take what decodes as an event, recorded as the walk would have. */
static int
take_event(void *arg, size_t index, const char *text, size_t len,
    size_t *used)
{
	struct taking		*tk = arg;
	ProtobufCMessage	*m;
	struct call		*c;

	if (pbjson_decode_prefix(&msosync__event__descriptor, text, len, NULL,
	    &m, used) != 0)
		return 0;
	protobuf_c_message_free_unpacked(m, NULL);
	assert_true(tk->r.n < MAXCALLS);
	c = &tk->r.calls[tk->r.n++];
	c->index = index;
	c->json = strndup(text, *used);
	c->error = NULL;
	tk->taken++;
	return 1;
}

/*
 * Offering each object to a decoder first changes nothing: the same
 * values, at the same indexes, with the same texts, and the same errors,
 * as the walk alone gives, good events taken on the quick path.
 */
static void
test_taking_matches(void **state)
{
#define GOOD(id)	"{\"event_id\":\"" id "\",\"void\":{\"reason\":\"x\"}}"
	static const struct {
		const char	*text;
		size_t		 taken;
	} cases[] = {
		{ GOOD("a") "\n" GOOD("b") "\n", 2 },
		{ GOOD("a") "\n{\"event_id\":\"b\",\"sale\":{\"color\":1}}\n"
		    GOOD("c"), 2 },
		{ GOOD("a") "\n{\"event_id\":\"c\",\n" GOOD("d") "\n", 2 },
		{ GOOD("a") GOOD("b") "  " GOOD("c"), 3 },
		{ "  " GOOD("a") "  x\n" GOOD("b"), 2 },
		{ "[" GOOD("a") "," GOOD("b") "]", 0 },
		{ "{\"event_id\":\"d\",\"event_id\":\"d\"}\n" GOOD("e"), 1 },
		/* an event without a body decodes to no event: the walk's */
		{ GOOD("a") "\n[1]\n{\"event_id\":\"x\"}tail\n", 1 },
		{ "{\"event_id\":\"a\",\"void\":{\"reason\":\"\\ud800\"}}\n"
		    GOOD("b"), 1 },
	};
#undef GOOD
	(void)state;
	for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		struct record	want;
		struct taking	got;
		const char	*text = cases[t].text;

		memset(&got, 0, sizeof(got));
		assert_int_equal(run(text, &want), 0);
		assert_int_equal(ndjson_each_taking(text, strlen(text),
		    take_event, rec, &got.r), 0);
		if (got.taken != cases[t].taken)
			fail_msg("case %zu: %zu taken", t, got.taken);
		assert_int_equal(got.r.n, want.n);
		for (size_t i = 0; i < want.n; i++) {
			const struct call *w = &want.calls[i];
			const struct call *g = &got.r.calls[i];

			assert_int_equal(g->index, w->index);
			if (w->json == NULL)
				assert_null(g->json);
			else
				assert_string_equal(g->json, w->json);
			if (w->error == NULL)
				assert_null(g->error);
			else
				assert_string_equal(g->error, w->error);
		}
		record_free(&want);
		record_free(&got.r);
	}
}

struct tally {
	size_t	values, errors;
	char	last_error[PBJSON_ERR_MAX];
};

static int
count(void *arg, size_t index, const char *value, size_t vlen,
    const char *perr)
{
	struct tally	*t = arg;

	(void)index;
	(void)vlen;
	if (value != NULL)
		t->values++;
	else {
		t->errors++;
		snprintf(t->last_error, sizeof(t->last_error), "%s", perr);
	}
	return 0;
}

/*
 * Many bad lines: each error names its line in the whole body, yet the
 * lines are counted once, not from the start for every error (that took
 * seconds here, and hours for a full 16 MiB body).
 */
static void
test_many_bad_lines(void **state)
{
	struct tally	 t = { 0 };
	char		*text, want[PBJSON_ERR_MAX];
	const size_t	 n = 20000;
	size_t		 len = 0;
	double		 t0, took;

	(void)state;
	text = malloc(n * 130);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++) {
		len += (size_t)sprintf(text + len, "{\"event_id\":\"ok-%06zu\","
		    "\"void\":{}}\n", i);
		len += (size_t)sprintf(text + len, "{\"event_id\":\"bad-%06zu\","
		    "\"void\":{\"reason\":\"%040d\"}\n", i, 0);
	}
	t0 = testutil_now_s();
	assert_int_equal(ndjson_each(text, len, count, &t), 0);
	took = testutil_now_s() - t0;
	assert_int_equal(t.values, n);
	assert_int_equal(t.errors, n);
	snprintf(want, sizeof(want), "expected ',' or '}', found the end of "
	    "the text at line %zu column 1", 2 * n + 1);
	assert_string_equal(t.last_error, want);
	print_message("%zu good and %zu bad lines split in %.3f s\n", n, n,
	    took);
	assert_true(took < 5.0);
	free(text);
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
	assert_error(&r, 0, 0, "expected a quoted key or '}', found '{' at "
	    "line 2 column 1");
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
		cmocka_unit_test(test_strict_lines),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_resume_after_newline),
		cmocka_unit_test(test_values_decode),
		cmocka_unit_test(test_taking_matches),
		cmocka_unit_test(test_many_bad_lines),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_not_nul_terminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
