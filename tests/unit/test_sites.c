/*
 * Tests for sites.c: a good file with every key, defaults, a rotation key
 * and a revoked site; lookups by id and by either key; every error with
 * its exact "file:line: message", all from one run and in line order;
 * keyless and repeated sections; an unreadable file; and 5000 generated
 * sites loaded and looked up. Keys are made fresh with zmq_curve_keypair.
 * Each case works in its own mkdtemp directory.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "config.h"
#include "keys.h"
#include "msosync/error.h"
#include "sites.h"

struct fixture {
	char			 dir[64];
	char			 path[128];	/* DIR/sites.conf */
	struct sites		*s;
	struct config_errors	 errs;
};

struct kp {
	char	pub[KEYS_Z85_LEN + 1];
	uint8_t	bin[32];
};

static int
setup(void **state)
{
	struct fixture	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	strcpy(fx->dir, "/tmp/msosync-sites-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/sites.conf", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;
	struct dirent	*de;
	char		 p[512];
	DIR		*d;

	sites_free(&fx->s);
	config_errors_free(&fx->errs);
	if ((d = opendir(fx->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", fx->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void
make_key(struct kp *k)
{
	char	sec[KEYS_Z85_LEN + 1];

	assert_int_equal(zmq_curve_keypair(k->pub, sec), 0);
	assert_int_equal(keys_decode_public(k->pub, k->bin), 0);
}

/* Write the file from a printf format. */
static void
write_file(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
write_file(const char *path, const char *fmt, ...)
{
	FILE	*f = fopen(path, "w");
	va_list	 ap;

	assert_non_null(f);
	va_start(ap, fmt);
	assert_true(vfprintf(f, fmt, ap) >= 0);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
}

static int
load(struct fixture *fx)
{
	sites_free(&fx->s);
	config_errors_free(&fx->errs);
	return sites_load(fx->path, &fx->s, &fx->errs);
}

/* Assert the errors, in order, "file:line" written as "@:N". */
static void
expect_errors(struct fixture *fx, ...)
{
	const char	*want;
	char		 full[1024];
	size_t		 n = 0;
	va_list		 ap;

	va_start(ap, fx);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (want[0] == '@')
			snprintf(full, sizeof(full), "%s%s", fx->path, want + 1);
		else
			snprintf(full, sizeof(full), "%s", want);
		assert_true(n < fx->errs.n);
		assert_string_equal(fx->errs.msg[n], full);
		n++;
	}
	va_end(ap);
	assert_int_equal(fx->errs.n, n);
}

static void
test_good_file(void **state)
{
	struct fixture		*fx = *state;
	const struct site	*s;
	struct kp		 k1, k2, k3, k4, other;

	make_key(&k1);
	make_key(&k2);
	make_key(&k3);
	make_key(&k4);
	make_key(&other);
	write_file(fx->path,
	    "# The franchise's clinics\n"
	    "[site 7]\n"
	    "name = Austin Downtown\n"
	    "public_key = %s\n"
	    "next_public_key = %s\n"
	    "state = TX\n"
	    "timezone = America/Chicago\n"
	    "tax_id = 12-3456789\n"
	    "fee_model = fixed_plus_percent\n"
	    "fee_fixed_cents = 50000\n"
	    "fee_percent_bp = 600\n"
	    "fee_base = net_revenue\n"
	    "fee_floor_cents = 100000\n"
	    "fee_cap_cents = 500000\n"
	    "\n"
	    "[site 3]\n"
	    "name = Miami Beach\n"
	    "public_key = %s\n"
	    "fee_model = percent\n"
	    "fee_percent_bp = 500\n"
	    "revoked = false\n"
	    "\n"
	    "[site 12]\n"
	    "name = Closed clinic\n"
	    "public_key = %s\n"
	    "fee_model = fixed\n"
	    "fee_fixed_cents = 25000\n"
	    "revoked = true\n", k1.pub, k2.pub, k3.pub, k4.pub);
	assert_int_equal(load(fx), 0);
	expect_errors(fx, NULL);
	assert_int_equal(sites_count(fx->s), 3);

	/* in id order */
	assert_int_equal(sites_at(fx->s, 0)->id, 3);
	assert_int_equal(sites_at(fx->s, 1)->id, 7);
	assert_int_equal(sites_at(fx->s, 2)->id, 12);

	s = sites_get(fx->s, 7);
	assert_non_null(s);
	assert_ptr_equal(s, sites_at(fx->s, 1));
	assert_string_equal(s->name, "Austin Downtown");
	assert_string_equal(s->state, "TX");
	assert_string_equal(s->timezone, "America/Chicago");
	assert_string_equal(s->tax_id, "12-3456789");
	assert_int_equal(s->fee_model, SITE_FEE_FIXED_PLUS_PERCENT);
	assert_int_equal(s->fee_base, SITE_FEE_NET_REVENUE);
	assert_int_equal(s->fee_fixed_cents, 50000);
	assert_int_equal(s->fee_percent_bp, 600);
	assert_int_equal(s->fee_floor_cents, 100000);
	assert_int_equal(s->fee_cap_cents, 500000);
	assert_false(s->revoked);
	assert_string_equal(s->key.z85, k1.pub);
	assert_memory_equal(s->key.bin, k1.bin, 32);
	assert_true(s->has_next_key);
	assert_string_equal(s->next_key.z85, k2.pub);
	assert_memory_equal(s->next_key.bin, k2.bin, 32);
	assert_string_equal(sites_fee_model_name(s->fee_model),
	    "fixed_plus_percent");
	assert_string_equal(sites_fee_base_name(s->fee_base), "net_revenue");

	/* defaults */
	s = sites_get(fx->s, 3);
	assert_non_null(s);
	assert_string_equal(s->name, "Miami Beach");
	assert_string_equal(s->state, "");
	assert_string_equal(s->timezone, "");
	assert_string_equal(s->tax_id, "");
	assert_int_equal(s->fee_model, SITE_FEE_PERCENT);
	assert_int_equal(s->fee_base, SITE_FEE_GROSS_SALES);
	assert_int_equal(s->fee_fixed_cents, 0);
	assert_int_equal(s->fee_percent_bp, 500);
	assert_int_equal(s->fee_floor_cents, 0);
	assert_int_equal(s->fee_cap_cents, 0);
	assert_false(s->has_next_key);
	assert_false(s->revoked);

	s = sites_get(fx->s, 12);
	assert_non_null(s);
	assert_int_equal(s->fee_model, SITE_FEE_FIXED);
	assert_int_equal(s->fee_fixed_cents, 25000);
	assert_true(s->revoked);

	/* by either key, revoked ones too */
	assert_int_equal(sites_by_key(fx->s, k1.bin)->id, 7);
	assert_int_equal(sites_by_key(fx->s, k2.bin)->id, 7);
	assert_int_equal(sites_by_key(fx->s, k3.bin)->id, 3);
	assert_int_equal(sites_by_key(fx->s, k4.bin)->id, 12);
	assert_null(sites_by_key(fx->s, other.bin));

	assert_null(sites_get(fx->s, 5));
	assert_null(sites_get(fx->s, 0));
	assert_null(sites_at(fx->s, 3));
	assert_true(sites_is_active(fx->s, 7));
	assert_true(sites_is_active(fx->s, 3));
	assert_false(sites_is_active(fx->s, 12));
	assert_false(sites_is_active(fx->s, 99));
	assert_false(sites_is_active(NULL, 7));
	assert_null(sites_by_key(NULL, k1.bin));
	assert_int_equal(sites_count(NULL), 0);
}

static void
test_empty_file(void **state)
{
	struct fixture	*fx = *state;

	write_file(fx->path, "# no clinics yet\n\n");
	assert_int_equal(load(fx), 0);
	expect_errors(fx, NULL);
	assert_non_null(fx->s);
	assert_int_equal(sites_count(fx->s), 0);
	assert_false(sites_is_active(fx->s, 1));
}

static void
test_errors(void **state)
{
	struct fixture	*fx = *state;
	struct kp	 k1, k2, k3, k4;

	make_key(&k1);
	make_key(&k2);
	make_key(&k3);
	make_key(&k4);
	write_file(fx->path,
	    "key_before = 1\n"			/* 1 */
	    "[site 0]\n"
	    "name = zero\n"
	    "[site 5]\n"
	    "name = Five\n"			/* 5 */
	    "public_key = not-a-key\n"
	    "colour = blue\n"
	    "fee_model = fixed\n"
	    "fee_percent_bp = 300\n"
	    "name = again\n"			/* 10 */
	    "[site 6]\n"
	    "public_key = %s\n"
	    "fee_model = percent\n"
	    "fee_percent_bp = 20000\n"
	    "[site 5]\n"			/* 15 */
	    "public_key = %s\n"
	    "fee_model = fixed\n"
	    "fee_fixed_cents = 100\n"
	    "[site 8]\n"
	    "[site 9]\n"			/* 20 */
	    "public_key = %s\n"
	    "next_public_key = %s\n"
	    "fee_model = fixed_plus_percent\n"
	    "fee_fixed_cents = 100\n"
	    "fee_floor_cents = 900\n"		/* 25 */
	    "revoked = maybe\n"
	    "[site 10]\n"
	    "public_key = %s\n"
	    "fee_model = percent\n"
	    "fee_percent_bp = 100\n"		/* 30 */
	    "fee_floor_cents = 900\n"
	    "fee_cap_cents = 800\n"
	    "state = Texas\n"
	    "fee_base = revenue\n"
	    "this is not a key line\n"		/* 35 */
	    "timezone = ../etc/passwd\n"
	    "fee_model = flat\n",
	    k1.pub, k2.pub, k1.pub, k3.pub, k4.pub);
	assert_int_equal(load(fx), MSOSYNC_ECONFIG);
	assert_null(fx->s);
	expect_errors(fx,
	    "@:1: key 'key_before' is outside a [site ID] section",
	    "@:2: bad section [site 0]: expected [site ID] with ID a whole "
	    "number from 1 to 4294967295",
	    "@:6: site 5: public_key: expected a 40-character Z85 public key",
	    "@:7: site 5: unknown key 'colour'",
	    "@:8: site 5: fee_model fixed needs fee_fixed_cents",
	    "@:9: site 5: fee_percent_bp does not apply to fee_model fixed",
	    "@:10: site 5: duplicate key 'name' (first on line 5)",
	    "@:14: site 6: fee_percent_bp: expected an integer from 0 to "
	    "10000",
	    "@:15: duplicate site id 5 (first on line 4)",
	    "@:19: site 8: missing required key 'public_key'",
	    "@:19: site 8: missing required key 'fee_model'",
	    "@:21: site 9: public_key is also the public_key of site 6 "
	    "(line 12)",
	    "@:23: site 9: fee_model fixed_plus_percent needs fee_percent_bp",
	    "@:26: site 9: revoked: expected true or false",
	    "@:31: site 10: fee_floor_cents 900 is above fee_cap_cents 800",
	    "@:33: site 10: state: expected a two-letter US state code such "
	    "as TX",
	    "@:34: site 10: fee_base: expected gross_sales, net_revenue or "
	    "collections",
	    "@:35: expected 'key = value'",
	    "@:36: site 10: timezone: expected an IANA time zone name such as "
	    "America/Chicago",
	    "@:37: site 10: duplicate key 'fee_model' (first on line 29)",
	    NULL);
}

static void
test_bad_section_names(void **state)
{
	struct fixture	*fx = *state;

	write_file(fx->path,
	    "[site]\n"
	    "[site 007]\n"
	    "[site 4294967296]\n"
	    "[Site 1]\n"
	    "[site  1]\n"
	    "[site -1]\n"
	    "[hub]\n"
	    "name = x\n");
	assert_int_equal(load(fx), MSOSYNC_ECONFIG);
	expect_errors(fx,
	    "@:1: bad section [site]: expected [site ID] with ID a whole "
	    "number from 1 to 4294967295",
	    "@:2: bad section [site 007]: expected [site ID] with ID a whole "
	    "number from 1 to 4294967295",
	    "@:3: bad section [site 4294967296]: expected [site ID] with ID a "
	    "whole number from 1 to 4294967295",
	    "@:4: bad section [Site 1]: expected [site ID] with ID a whole "
	    "number from 1 to 4294967295",
	    "@:5: bad section [site  1]: expected [site ID] with ID a whole "
	    "number from 1 to 4294967295",
	    "@:6: bad section [site -1]: expected [site ID] with ID a whole "
	    "number from 1 to 4294967295",
	    "@:7: bad section [hub]: expected [site ID] with ID a whole "
	    "number from 1 to 4294967295",
	    NULL);
}

/* A header repeated right after itself, and a key on two sites. */
static void
test_repeats(void **state)
{
	struct fixture	*fx = *state;
	struct kp	 k1, k2;

	make_key(&k1);
	make_key(&k2);
	write_file(fx->path,
	    "[site 4294967295]\n"
	    "public_key = %s\n"
	    "fee_model = fixed\n"
	    "fee_fixed_cents = 1\n"
	    "[site 4294967295]\n"		/* 5 */
	    "name = merged?\n"
	    "[site 2]\n"
	    "public_key = %s\n"
	    "next_public_key = %s\n"
	    "fee_model = fixed\n"		/* 10 */
	    "fee_fixed_cents = 1\n"
	    "[site 3]\n"
	    "public_key = %s\n"
	    "next_public_key = %s\n"
	    "fee_model = percent\n"		/* 15 */
	    "fee_percent_bp = 1\n"
	    "fee_fixed_cents = 2\n",
	    k1.pub, k2.pub, k2.pub, k1.pub, k1.pub);
	assert_int_equal(load(fx), MSOSYNC_ECONFIG);
	expect_errors(fx,
	    "@:5: duplicate site id 4294967295 (first on line 1)",
	    "@:9: site 2: next_public_key is also the public_key of site 2 "
	    "(line 8)",
	    "@:13: site 3: public_key is also the public_key of site "
	    "4294967295 (line 2)",
	    "@:14: site 3: next_public_key is also the public_key of site "
	    "4294967295 (line 2)",
	    "@:17: site 3: fee_fixed_cents does not apply to fee_model percent",
	    NULL);
}

/* A fixed fee takes no percentage terms; an empty next key is none. */
static void
test_fixed_terms(void **state)
{
	struct fixture	*fx = *state;
	struct kp	 k1;

	make_key(&k1);
	write_file(fx->path,
	    "[site 1]\n"
	    "public_key = %s\n"
	    "next_public_key =\n"
	    "fee_model = fixed\n"
	    "fee_fixed_cents = 100\n"		/* 5 */
	    "fee_base = gross_sales\n"
	    "fee_percent_bp = 0\n"
	    "fee_floor_cents = 300\n"
	    "fee_cap_cents = 200\n"
	    "public_key =\n",			/* 10 */
	    k1.pub);
	assert_int_equal(load(fx), MSOSYNC_ECONFIG);
	expect_errors(fx,
	    "@:6: site 1: fee_base does not apply to fee_model fixed",
	    "@:7: site 1: fee_percent_bp does not apply to fee_model fixed",
	    "@:8: site 1: fee_floor_cents 300 is above fee_cap_cents 200",
	    "@:10: site 1: duplicate key 'public_key' (first on line 2)",
	    NULL);

	/* the floor and cap clamp a fixed fee too; a cap of 0 is none */
	write_file(fx->path,
	    "[site 1]\n"
	    "public_key = %s\n"
	    "next_public_key =\n"
	    "fee_model = fixed\n"
	    "fee_fixed_cents = 100\n"
	    "fee_floor_cents = 300\n"
	    "fee_cap_cents = 0\n",
	    k1.pub);
	assert_int_equal(load(fx), 0);
	expect_errors(fx, NULL);
	assert_false(sites_get(fx->s, 1)->has_next_key);
	assert_int_equal(sites_get(fx->s, 1)->fee_floor_cents, 300);
	assert_int_equal(sites_get(fx->s, 1)->fee_cap_cents, 0);
}

/* Every state code of the list, at its start and end, and near misses. */
static void
test_states(void **state)
{
	struct fixture		*fx = *state;
	struct kp		 k1;
	static const char	*good[] = { "AL", "TX", "DC", "PR", "MP" };
	static const char	*bad[] = { "tx", "Tx", "T", "TXX", "AK A",
				    "ZZ", "XX" };
	char			 want[256];

	make_key(&k1);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		write_file(fx->path, "[site 1]\npublic_key = %s\nfee_model = "
		    "percent\nfee_percent_bp = 1\nstate = %s\n", k1.pub,
		    good[i]);
		assert_int_equal(load(fx), 0);
		assert_string_equal(sites_get(fx->s, 1)->state, good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(fx->path, "[site 1]\npublic_key = %s\nfee_model = "
		    "percent\nfee_percent_bp = 1\nstate = %s\n", k1.pub,
		    bad[i]);
		assert_int_equal(load(fx), MSOSYNC_ECONFIG);
		snprintf(want, sizeof(want), "%s:5: site 1: state: expected a "
		    "two-letter US state code such as TX", fx->path);
		expect_errors(fx, want, NULL);
	}
}

/* The example shipped in deploy/ stays loadable. */
static void
test_example(void **state)
{
	struct fixture		*fx = *state;
	const char		*data = getenv("MSOSYNC_TEST_DATA");
	const struct site	*s;

	assert_non_null(data);
	snprintf(fx->path, sizeof(fx->path), "%s/../../deploy/sites.conf",
	    data);
	assert_int_equal(load(fx), 0);
	expect_errors(fx, NULL);
	assert_int_equal(sites_count(fx->s), 3);
	assert_non_null(s = sites_get(fx->s, 7));
	assert_true(s->has_next_key);
	assert_true(sites_is_active(fx->s, 7));
	assert_true(sites_is_active(fx->s, 12));
	assert_false(sites_is_active(fx->s, 31));
	assert_ptr_equal(sites_by_key(fx->s, s->next_key.bin), s);
}

static void
test_unreadable(void **state)
{
	struct fixture	*fx = *state;
	char		 want[256];

	assert_int_equal(load(fx), -ENOENT);
	assert_null(fx->s);
	snprintf(want, sizeof(want), "%s: %s", fx->path, strerror(ENOENT));
	expect_errors(fx, want, NULL);
}

#define MANY	5000

/* Thousands of sites, written in reverse id order, found by id and key. */
static void
test_many(void **state)
{
	struct fixture		*fx = *state;
	struct kp		*k;
	const struct site	*s;
	FILE			*f;
	uint32_t		 id;

	k = calloc(2 * MANY, sizeof(*k));
	assert_non_null(k);
	for (size_t i = 0; i < 2 * MANY; i++)
		make_key(&k[i]);
	f = fopen(fx->path, "w");
	assert_non_null(f);
	for (size_t i = MANY; i-- > 0;) {
		id = (uint32_t)(3 * i + 1);
		fprintf(f, "[site %u]\nname = Clinic %u\npublic_key = %s\n"
		    "fee_model = percent\nfee_percent_bp = %zu\n", id, id,
		    k[2 * i].pub, i % 10001);
		if (i % 10 == 0)
			fprintf(f, "next_public_key = %s\n", k[2 * i + 1].pub);
		if (i % 7 == 0)
			fprintf(f, "revoked = true\n");
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(load(fx), 0);
	expect_errors(fx, NULL);
	assert_int_equal(sites_count(fx->s), MANY);
	for (size_t i = 0; i < MANY; i++) {
		id = (uint32_t)(3 * i + 1);
		assert_int_equal(sites_at(fx->s, i)->id, id);
		s = sites_get(fx->s, id);
		assert_non_null(s);
		assert_int_equal(s->id, id);
		assert_int_equal(s->fee_percent_bp, i % 10001);
		assert_ptr_equal(sites_by_key(fx->s, k[2 * i].bin), s);
		if (i % 10 == 0)
			assert_ptr_equal(sites_by_key(fx->s, k[2 * i + 1].bin),
			    s);
		else
			assert_null(sites_by_key(fx->s, k[2 * i + 1].bin));
		assert_int_equal(sites_is_active(fx->s, id), i % 7 != 0);
		assert_null(sites_get(fx->s, id + 1));
	}
	free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_section_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_repeats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_terms, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
