/*
 * Tests for chain.c: the golden vectors of tests/data/chain_vectors.txt
 * (made with Python's hashlib, not with this code), the chaining from one
 * record to the next, and the hash's sensitivity to every input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain.h"

static int
unhex(const char *hex, uint8_t *out, size_t max, size_t *len)
{
	size_t		n = strlen(hex);
	unsigned int	b;

	if (strcmp(hex, "-") == 0) {
		*len = 0;
		return 0;
	}
	if (n % 2 != 0 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (uint8_t)b;
	}
	*len = n / 2;
	return 0;
}

static void
test_golden_vectors(void **state)
{
	const char	*dir = getenv("MSOSYNC_TEST_DATA");
	char		 path[4096], *line = NULL, *seqs, *evhex, *want, *save;
	char		 hex[2 * CHAIN_HASH_LEN + 1];
	uint8_t		 prev[CHAIN_HASH_LEN], out[CHAIN_HASH_LEN];
	uint8_t		 event[2048];
	size_t		 cap = 0, evlen = 0;
	int		 records = 0, saw_empty = 0, saw_1000 = 0;
	FILE		*f;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/chain_vectors.txt", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	memcpy(prev, chain_genesis, sizeof(prev));
	while (getline(&line, &cap, f) > 0) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		seqs = strtok_r(line, " \n", &save);
		evhex = strtok_r(NULL, " \n", &save);
		want = strtok_r(NULL, " \n", &save);
		assert_non_null(seqs);
		assert_non_null(evhex);
		assert_non_null(want);
		assert_null(strtok_r(NULL, " \n", &save));
		assert_int_equal(unhex(evhex, event, sizeof(event), &evlen), 0);
		saw_empty |= evlen == 0;
		saw_1000 |= evlen == 1000;
		chain_hash(prev, strtoull(seqs, NULL, 10), event, evlen, out);
		chain_hex(out, hex);
		assert_string_equal(hex, want);
		memcpy(prev, out, sizeof(prev));
		records++;
	}
	free(line);
	fclose(f);
	assert_int_equal(records, 6);
	assert_true(saw_empty);
	assert_true(saw_1000);
}

static void
test_genesis_is_zero(void **state)
{
	char	hex[2 * CHAIN_HASH_LEN + 1];

	(void)state;
	chain_hex(chain_genesis, hex);
	assert_string_equal(hex,
	    "0000000000000000000000000000000000000000000000000000000000000000");
}

static void
test_hex(void **state)
{
	uint8_t	h[CHAIN_HASH_LEN];
	char	hex[2 * CHAIN_HASH_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(h); i++)
		h[i] = (uint8_t)(i * 8 + 7);
	memset(hex, 'x', sizeof(hex));
	chain_hex(h, hex);
	assert_string_equal(hex,
	    "070f171f272f373f474f575f676f777f878f979fa7afb7bfc7cfd7dfe7eff7ff");
}

/* Every input counts: one flipped bit in prev, seq or event changes it. */
static void
test_flip_changes_hash(void **state)
{
	uint8_t	event[64], prev[CHAIN_HASH_LEN];
	uint8_t	base[CHAIN_HASH_LEN], h[CHAIN_HASH_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(event); i++)
		event[i] = (uint8_t)i;
	memset(prev, 0x5a, sizeof(prev));
	chain_hash(prev, 42, event, sizeof(event), base);

	chain_hash(prev, 42, event, sizeof(event), h);
	assert_memory_equal(h, base, sizeof(h));

	for (size_t i = 0; i < sizeof(event); i++) {
		event[i] ^= 0x01;
		chain_hash(prev, 42, event, sizeof(event), h);
		assert_memory_not_equal(h, base, sizeof(h));
		event[i] ^= 0x01;
	}
	prev[31] ^= 0x80;
	chain_hash(prev, 42, event, sizeof(event), h);
	assert_memory_not_equal(h, base, sizeof(h));
	prev[31] ^= 0x80;

	chain_hash(prev, 43, event, sizeof(event), h);
	assert_memory_not_equal(h, base, sizeof(h));
	chain_hash(prev, 42ULL << 56, event, sizeof(event), h);
	assert_memory_not_equal(h, base, sizeof(h));
	chain_hash(prev, 42, event, sizeof(event) - 1, h);
	assert_memory_not_equal(h, base, sizeof(h));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_vectors),
		cmocka_unit_test(test_genesis_is_zero),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_flip_changes_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
