/*
 * Tests for buf.c: appends keep the buffer NUL-terminated and grow it as
 * needed; decimal, varint and JSON-string encodings match what printf,
 * protobuf and a JSON parser expect, byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "varint.h"

static void
test_put_u64(void **state)
{
	const uint64_t	 v[] = { 0, 7, 10, 99, 100, 4294967296ULL,
			    18446744073709551615ULL };
	struct buf	 b = { 0 }, want = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_put_u64(&b, v[i]);
		buf_putc(&b, ',');
		buf_printf(&want, "%llu,", (unsigned long long)v[i]);
	}
	assert_string_equal(b.data, want.data);
	assert_string_equal(b.data,
	    "0,7,10,99,100,4294967296,18446744073709551615,");
	buf_free(&b);
	buf_free(&want);
}

/* Varints as protobuf writes them: 7 bits a byte, low first. */
static void
test_put_varint(void **state)
{
	static const struct {
		uint64_t	v;
		size_t		n;
		uint8_t		bytes[10];
	} cases[] = {
		{ 0, 1, { 0x00 } },
		{ 127, 1, { 0x7f } },
		{ 128, 2, { 0x80, 0x01 } },
		{ 300, 2, { 0xac, 0x02 } },
		{ UINT64_MAX, 10, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0x01 } },
	};
	struct buf	b = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		buf_put_varint(&b, cases[i].v);
		assert_int_equal(b.len, cases[i].n);
		assert_int_equal(varint_len(cases[i].v), cases[i].n);
		assert_memory_equal(b.data, cases[i].bytes, cases[i].n);
	}
	buf_free(&b);
}

static void
test_json_string(void **state)
{
	struct buf	b = { 0 };

	(void)state;
	buf_json_string(&b, "plain", 5);
	assert_string_equal(b.data, "\"plain\"");
	buf_reset(&b);
	buf_json_string(&b, "a\"b\\c", 5);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\"");
	buf_reset(&b);
	buf_json_string(&b, "\n\t\r\x01x\x1f", 6);
	assert_string_equal(b.data, "\"\\n\\t\\r\\u0001x\\u001f\"");
	buf_reset(&b);
	/* embedded NUL is escaped, UTF-8 passes through */
	buf_json_string(&b, "\0\xc3\xa9", 3);
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.data, "\"\\u0000\xc3\xa9\"", 10);
	buf_reset(&b);
	buf_json_string(&b, "", 0);
	assert_string_equal(b.data, "\"\"");
	buf_free(&b);
	assert_null(b.data);
}

static void
test_growth(void **state)
{
	struct buf	b = { 0 };

	(void)state;
	for (int i = 0; i < 10000; i++)
		buf_puts(&b, "0123456789");
	assert_int_equal(b.len, 100000);
	assert_true(b.cap > b.len);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(memcmp(b.data + 99990, "0123456789", 10), 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_u64),
		cmocka_unit_test(test_put_varint),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
