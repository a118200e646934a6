/*
 * Tests for tokens.c: a file with comments, blank lines and both hex
 * cases loads; the right token gives its name and a wrong one NULL;
 * every error with its exact "file:line: message"; tokens_append creates
 * the file 0600, adds a line that loads, and refuses a duplicate name, a
 * bad name, a bad hash and a broken file, leaving the file as it was.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "keys.h"
#include "msosync/error.h"
#include "tokens.h"

struct fixture {
	char			 dir[64];
	char			 path[128];	/* DIR/tokens */
	struct tokens		*t;
	struct config_errors	 errs;
	char			 err[512];
};

static int
setup(void **state)
{
	struct fixture	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	strcpy(fx->dir, "/tmp/msosync-tokens-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/tokens", fx->dir);
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

	tokens_free(&fx->t);
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

/* The whole file as a string (the caller frees it). */
static char *
read_file(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*text;
	long	 n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

static int
load(struct fixture *fx)
{
	tokens_free(&fx->t);
	config_errors_free(&fx->errs);
	return tokens_load(fx->path, &fx->t, &fx->errs);
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
upper(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'f')
			*s = (char)(*s - 'a' + 'A');
}

static void
test_load_and_check(void **state)
{
	struct fixture	*fx = *state;
	char		 t1[64], t2[64], t3[64], h1[65], h2[65], h3[65];

	keys_token_new(t1);
	keys_token_new(t2);
	keys_token_new(t3);
	keys_token_hash(t1, h1);
	keys_token_hash(t2, h2);
	keys_token_hash(t3, h3);
	upper(h2);
	write_file(fx->path,
	    "# operators\n"
	    "\n"
	    "alice %s\n"
	    "   \t\n"
	    "  # the reporting job\n"
	    "\treports.nightly-1\t %s  \r\n"
	    "bob %s",			/* no final newline */
	    h1, h2, h3);
	assert_int_equal(load(fx), 0);
	expect_errors(fx, NULL);
	assert_int_equal(tokens_count(fx->t), 3);
	assert_string_equal(tokens_check(fx->t, t1), "alice");
	assert_string_equal(tokens_check(fx->t, t2), "reports.nightly-1");
	assert_string_equal(tokens_check(fx->t, t3), "bob");
	assert_null(tokens_check(fx->t, "not-a-token"));
	assert_null(tokens_check(fx->t, ""));
	assert_null(tokens_check(fx->t, NULL));
	/* the hash itself is not a token */
	assert_null(tokens_check(fx->t, h1));
	t1[5] ^= 1;
	assert_null(tokens_check(fx->t, t1));
	assert_null(tokens_check(NULL, t2));
}

static void
test_empty_file(void **state)
{
	struct fixture	*fx = *state;

	write_file(fx->path, "# nobody yet\n");
	assert_int_equal(load(fx), 0);
	assert_int_equal(tokens_count(fx->t), 0);
	assert_null(tokens_check(fx->t, "anything"));
}

static void
test_errors(void **state)
{
	struct fixture	*fx = *state;
	char		 h1[65], h2[65], longname[80];

	keys_token_hash("one", h1);
	keys_token_hash("two", h2);
	memset(longname, 'n', 65);
	longname[65] = '\0';
	write_file(fx->path,
	    "alice %s\n"			/* 1 */
	    "justaname\n"
	    "carol %s extra\n"
	    "bad/name %s\n"
	    "%s %s\n"				/* 5 */
	    "dave 1234\n"
	    "erin %.63sg\n"
	    "alice %s\n"
	    "frank %s\n",
	    h1, h2, h2, longname, h2, h1, h2, h1);
	assert_int_equal(load(fx), MSOSYNC_ECONFIG);
	assert_null(fx->t);
	expect_errors(fx,
	    "@:2: expected 'NAME HASH'",
	    "@:3: expected 'NAME HASH'",
	    "@:4: bad token name 'bad/name': expected 1 to 64 of A-Z a-z 0-9 "
	    "_ . -",
	    "@:5: bad token name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	    "nnnnnnnnnnnnnnnnnnnn': expected 1 to 64 of A-Z a-z 0-9 _ . -",
	    "@:6: token 'dave': expected a hash of 64 hex digits",
	    "@:7: token 'erin': expected a hash of 64 hex digits",
	    "@:8: duplicate token name 'alice' (first on line 1)",
	    "@:9: token 'frank' has the same hash as 'alice' (line 1)",
	    NULL);
}

static void
test_unreadable(void **state)
{
	struct fixture	*fx = *state;
	char		 want[256];

	assert_int_equal(load(fx), -ENOENT);
	assert_null(fx->t);
	snprintf(want, sizeof(want), "%s: %s", fx->path, strerror(ENOENT));
	expect_errors(fx, want, NULL);
}

static void
test_append(void **state)
{
	struct fixture	*fx = *state;
	struct stat	 st;
	char		 t1[64], t2[64], h1[65], h2[65], want[256];
	char		*text;

	keys_token_new(t1);
	keys_token_new(t2);
	keys_token_hash(t1, h1);
	keys_token_hash(t2, h2);

	/* creates the file, 0600 */
	assert_int_equal(tokens_append(fx->path, "alice", h1, fx->err,
	    sizeof(fx->err)), 0);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* an upper-case hash is stored in lower case */
	upper(h2);
	assert_int_equal(tokens_append(fx->path, "ci.deploy-2", h2, fx->err,
	    sizeof(fx->err)), 0);
	keys_token_hash(t2, h2);
	text = read_file(fx->path);
	snprintf(want, sizeof(want), "alice %s\nci.deploy-2 %s\n", h1, h2);
	assert_string_equal(text, want);
	free(text);

	assert_int_equal(load(fx), 0);
	assert_int_equal(tokens_count(fx->t), 2);
	assert_string_equal(tokens_check(fx->t, t1), "alice");
	assert_string_equal(tokens_check(fx->t, t2), "ci.deploy-2");
}

static void
test_append_refusals(void **state)
{
	struct fixture	*fx = *state;
	char		 h1[65], h2[65], want[256];
	char		*before, *after;

	keys_token_hash("one", h1);
	keys_token_hash("two", h2);
	/* a file whose last line has no newline gets one first */
	write_file(fx->path, "# ops\nalice %s", h1);
	assert_int_equal(tokens_append(fx->path, "bob", h2, fx->err,
	    sizeof(fx->err)), 0);
	before = read_file(fx->path);
	snprintf(want, sizeof(want), "# ops\nalice %s\nbob %s\n", h1, h2);
	assert_string_equal(before, want);

	assert_int_equal(tokens_append(fx->path, "alice", h2, fx->err,
	    sizeof(fx->err)), -EEXIST);
	snprintf(want, sizeof(want), "%s:2: a token named 'alice' already "
	    "exists", fx->path);
	assert_string_equal(fx->err, want);

	assert_int_equal(tokens_append(fx->path, "carol", h1, fx->err,
	    sizeof(fx->err)), -EEXIST);
	snprintf(want, sizeof(want), "%s:2: token 'alice' has this hash "
	    "already", fx->path);
	assert_string_equal(fx->err, want);

	assert_int_equal(tokens_append(fx->path, "bad name", h2, fx->err,
	    sizeof(fx->err)), MSOSYNC_EINVAL);
	assert_string_equal(fx->err, "bad token name 'bad name': expected 1 "
	    "to 64 of A-Z a-z 0-9 _ . -");
	assert_int_equal(tokens_append(fx->path, "", h2, fx->err,
	    sizeof(fx->err)), MSOSYNC_EINVAL);
	assert_int_equal(tokens_append(fx->path, "dave", "abc", fx->err,
	    sizeof(fx->err)), MSOSYNC_EINVAL);
	assert_string_equal(fx->err, "expected a hash of 64 hex digits");

	after = read_file(fx->path);
	assert_string_equal(after, before);
	free(after);
	free(before);

	/* a broken file is not appended to */
	write_file(fx->path, "alice %s\nbroken\nworse\n", h1);
	assert_int_equal(tokens_append(fx->path, "erin", h2, fx->err,
	    sizeof(fx->err)), MSOSYNC_ECONFIG);
	snprintf(want, sizeof(want), "%s:2: expected 'NAME HASH' (and 1 "
	    "more)", fx->path);
	assert_string_equal(fx->err, want);
	after = read_file(fx->path);
	snprintf(want, sizeof(want), "alice %s\nbroken\nworse\n", h1);
	assert_string_equal(after, want);
	free(after);
}

static void
test_is_name(void **state)
{
	char	name[80];

	(void)state;
	assert_true(tokens_is_name("a"));
	assert_true(tokens_is_name("Ops_Team.2024-q1"));
	assert_false(tokens_is_name(""));
	assert_false(tokens_is_name("with space"));
	assert_false(tokens_is_name("tab\tname"));
	assert_false(tokens_is_name("caf\xc3\xa9"));
	memset(name, 'x', 64);
	name[64] = '\0';
	assert_true(tokens_is_name(name));
	name[64] = 'x';
	name[65] = '\0';
	assert_false(tokens_is_name(name));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_and_check, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_refusals, setup,
		    teardown),
		cmocka_unit_test(test_is_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
