/*
 * Tests for config.c, over a small role of its own: values from the file,
 * from flags in both forms and from defaults; a flag beating the file in
 * either order; every error with its exact text, all collected in one
 * run; the loader's own options; and config_read_ini over repeated
 * sections. Each case writes its files in its own mkdtemp directory.
 */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "msosync/error.h"

struct role {
	long long	 site_id;
	char		*data_dir;
	char		*hub_endpoint;
	char		*http_listen;
	long long	 window;
	long long	 offset_ms;
	bool		 verbose;
	bool		 replicate;
};

static const struct config_key keys[] = {
	{ "site_id", CONFIG_INT, offsetof(struct role, site_id), NULL, true,
	    1, 4294967295LL, "this clinic's number" },
	{ "data_dir", CONFIG_STRING, offsetof(struct role, data_dir), NULL,
	    true, 0, 0, "where the journal lives" },
	{ "hub_endpoint", CONFIG_STRING, offsetof(struct role, hub_endpoint),
	    NULL, false, 0, 0, "the hub" },
	{ "http_listen", CONFIG_STRING, offsetof(struct role, http_listen),
	    "127.0.0.1:7460", false, 0, 0, "local HTTP API" },
	{ "window", CONFIG_INT, offsetof(struct role, window), "8", false,
	    1, 1024, "batches in flight" },
	{ "offset_ms", CONFIG_INT, offsetof(struct role, offset_ms), "0",
	    false, 0, 0, "any integer" },
	{ "verbose", CONFIG_BOOL, offsetof(struct role, verbose), "false",
	    false, 0, 0, "log more" },
	{ "replicate", CONFIG_BOOL, offsetof(struct role, replicate), "true",
	    false, 0, 0, NULL },
};

static const struct config_spec spec = {
	"agent", keys, sizeof(keys) / sizeof(keys[0]),
};

struct fixture {
	char			dir[64];
	char			path[128];	/* DIR/agent.conf */
	struct role		r;
	struct config_cli	cli;
	struct config_errors	errs;
};

static int
setup(void **state)
{
	struct fixture	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	strcpy(fx->dir, "/tmp/msosync-config-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/agent.conf", fx->dir);
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

	config_free(&spec, &fx->r);
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
write_conf(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Run config_load over a NULL-terminated argument list. */
static int
load(struct fixture *fx, ...)
{
	char	*argv[32];
	int	 argc = 0;
	va_list	 ap;

	argv[argc++] = "msosync-agent";
	va_start(ap, fx);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	config_free(&spec, &fx->r);
	config_errors_free(&fx->errs);
	return config_load(&spec, &fx->r, argc, argv, &fx->cli, &fx->errs);
}

/* Assert the collected errors, in order, "file:line" written as "@:N". */
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
test_file_values(void **state)
{
	struct fixture	*fx = *state;

	write_conf(fx->path,
	    "; an agent\n"
	    "# another comment\n"
	    "[agent]\n"
	    "site_id = 4294967295\n"
	    "data_dir=/var/lib/msosync\n"
	    "  hub_endpoint   =   tcp://hub.example:7470   \n"
	    "http_listen = 0.0.0.0:8080 ; inline comment\n"
	    "window = 1024\n"
	    "offset_ms = -25\n"
	    "verbose = true\n"
	    "replicate = false\n");
	assert_int_equal(load(fx, "--config", fx->path, NULL), 0);
	expect_errors(fx, NULL);
	assert_int_equal(fx->r.site_id, 4294967295LL);
	assert_string_equal(fx->r.data_dir, "/var/lib/msosync");
	assert_string_equal(fx->r.hub_endpoint, "tcp://hub.example:7470");
	assert_string_equal(fx->r.http_listen, "0.0.0.0:8080");
	assert_int_equal(fx->r.window, 1024);
	assert_int_equal(fx->r.offset_ms, -25);
	assert_true(fx->r.verbose);
	assert_false(fx->r.replicate);
	assert_string_equal(fx->cli.config_file, fx->path);
	assert_false(fx->cli.check);
}

static void
test_flag_values(void **state)
{
	struct fixture	*fx = *state;

	assert_int_equal(load(fx, "--site-id=7", "--data-dir", "/tmp/a",
	    "--hub-endpoint=tcp://h:1", "--window", "3", "--verbose=true",
	    "--replicate", "false", "--offset-ms", "-5", NULL), 0);
	expect_errors(fx, NULL);
	assert_null(fx->cli.config_file);
	assert_int_equal(fx->r.site_id, 7);
	assert_string_equal(fx->r.data_dir, "/tmp/a");
	assert_string_equal(fx->r.hub_endpoint, "tcp://h:1");
	assert_int_equal(fx->r.window, 3);
	assert_int_equal(fx->r.offset_ms, -5);
	assert_true(fx->r.verbose);
	assert_false(fx->r.replicate);

	/* A value may hold '=' and the last of a repeated flag wins. */
	assert_int_equal(load(fx, "--site-id=7", "--data-dir=/x=y",
	    "--window=2", "--window=5", NULL), 0);
	assert_string_equal(fx->r.data_dir, "/x=y");
	assert_int_equal(fx->r.window, 5);
}

static void
test_flag_beats_file(void **state)
{
	struct fixture	*fx = *state;
	char		 arg[256];

	write_conf(fx->path,
	    "[agent]\nsite_id = 1\ndata_dir = /file\nwindow = 4\n"
	    "verbose = true\n");
	assert_int_equal(load(fx, "--config", fx->path, "--window=9",
	    "--data-dir", "/flag", NULL), 0);
	assert_int_equal(fx->r.window, 9);
	assert_string_equal(fx->r.data_dir, "/flag");
	assert_int_equal(fx->r.site_id, 1);
	assert_true(fx->r.verbose);

	assert_int_equal(load(fx, "--window", "9", "--verbose=false",
	    "--data-dir=/flag", "--config", fx->path, NULL), 0);
	assert_int_equal(fx->r.window, 9);
	assert_string_equal(fx->r.data_dir, "/flag");
	assert_false(fx->r.verbose);

	assert_int_equal(load(fx, "--config=", NULL), MSOSYNC_ECONFIG);
	snprintf(arg, sizeof(arg), "--config=%s", fx->path);
	assert_int_equal(load(fx, "--site-id=12", arg, NULL), 0);
	assert_int_equal(fx->r.site_id, 12);
	assert_int_equal(fx->r.window, 4);
}

static void
test_defaults(void **state)
{
	struct fixture	*fx = *state;

	write_conf(fx->path, "[agent]\nsite_id = 3\ndata_dir = /d\n");
	memset(&fx->r, 0xa5, sizeof(fx->r));	/* the loader sets every key */
	assert_int_equal(config_load(&spec, &fx->r, 3,
	    (char *[]){ "a", "--config", fx->path, NULL }, &fx->cli,
	    &fx->errs), 0);
	assert_null(fx->r.hub_endpoint);
	assert_string_equal(fx->r.http_listen, "127.0.0.1:7460");
	assert_int_equal(fx->r.window, 8);
	assert_int_equal(fx->r.offset_ms, 0);
	assert_false(fx->r.verbose);
	assert_true(fx->r.replicate);

	/* An empty value unsets a string, the default included. */
	assert_int_equal(load(fx, "--config", fx->path, "--http-listen=",
	    NULL), 0);
	assert_null(fx->r.http_listen);
}

static void
test_required_missing(void **state)
{
	struct fixture	*fx = *state;

	write_conf(fx->path, "[agent]\ndata_dir = /d\n");
	assert_int_equal(load(fx, "--config", fx->path, NULL), MSOSYNC_ECONFIG);
	expect_errors(fx, "@: missing required key 'site_id' (or --site-id)",
	    NULL);
	/* On failure nothing is left for the caller to free. */
	assert_null(fx->r.data_dir);
	assert_null(fx->r.http_listen);

	assert_int_equal(load(fx, NULL), MSOSYNC_ECONFIG);
	expect_errors(fx,
	    "config: missing required key 'site_id' (or --site-id)",
	    "config: missing required key 'data_dir' (or --data-dir)", NULL);

	/* Empty counts as missing, in the file and as a flag. */
	write_conf(fx->path, "[agent]\nsite_id = 2\ndata_dir =\n");
	assert_int_equal(load(fx, "--config", fx->path, NULL), MSOSYNC_ECONFIG);
	expect_errors(fx, "@: missing required key 'data_dir' (or --data-dir)",
	    NULL);
	assert_int_equal(load(fx, "--site-id", "2", "--data-dir=", NULL),
	    MSOSYNC_ECONFIG);
	expect_errors(fx,
	    "config: missing required key 'data_dir' (or --data-dir)", NULL);

	/* A flag fills what the file lacks. */
	assert_int_equal(load(fx, "--config", fx->path, "--data-dir=/f", NULL),
	    0);
	assert_string_equal(fx->r.data_dir, "/f");
}

static void
test_file_errors(void **state)
{
	struct fixture	*fx = *state;

	write_conf(fx->path,
	    "[agent]\n"				/* 1 */
	    "site_id = abc\n"			/* 2 */
	    "data_dir = /d\n"			/* 3 */
	    "colour = blue\n"			/* 4 */
	    "window = 1025\n"			/* 5 */
	    "verbose = yes\n"			/* 6 */
	    "[hub]\n"				/* 7 */
	    "listen = tcp://*:7470\n"		/* 8 */
	    "[agent]\n"				/* 9 */
	    "window = lots\n"			/* 10 */
	    "offset_ms = 12x\n"			/* 11 */
	    "replicate = TRUE\n");		/* 12 */
	assert_int_equal(load(fx, "--config", fx->path, NULL), MSOSYNC_ECONFIG);
	expect_errors(fx,
	    "@:2: site_id: expected an integer from 1 to 4294967295",
	    "@:4: unknown key 'colour' in [agent]",
	    "@:5: window: expected an integer from 1 to 1024",
	    "@:6: verbose: expected true or false",
	    "@:7: unknown section [hub]",
	    "@:10: duplicate key 'window' (first on line 5)",
	    "@:11: offset_ms: expected an integer",
	    "@:12: replicate: expected true or false",
	    NULL);
	/* A bad value is reported as bad, never also as missing. */
}

static void
test_int_forms(void **state)
{
	struct fixture	*fx = *state;
	static const char *const bad[] = {
		"--site-id=", "--site-id=+5", "--site-id= 5", "--site-id=5 ",
		"--site-id=0x10", "--site-id=4294967296", "--site-id=-1",
		"--site-id=99999999999999999999", "--site-id=1e3",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load(fx, bad[i], "--data-dir=/d", NULL),
		    MSOSYNC_ECONFIG);
		expect_errors(fx,
		    "--site-id: expected an integer from 1 to 4294967295",
		    NULL);
	}
	assert_int_equal(load(fx, "--site-id=1", "--data-dir=/d",
	    "--offset-ms=-9223372036854775808", NULL), 0);
	assert_int_equal(fx->r.offset_ms, LLONG_MIN);
	assert_int_equal(load(fx, "--site-id=007", "--data-dir=/d", NULL), 0);
	assert_int_equal(fx->r.site_id, 7);
}

static void
test_flag_errors(void **state)
{
	struct fixture	*fx = *state;

	assert_int_equal(load(fx, "--site-id=1", "--data-dir=/d", "--foo",
	    "--bar=1", "-x", "stray", "--data_dir=/e", "--check=yes",
	    "--verbose=on", "--window", NULL), MSOSYNC_ECONFIG);
	expect_errors(fx,
	    "--foo: unknown option",
	    "--bar: unknown option",
	    "-x: unknown option",
	    "'stray': unexpected argument",
	    "--data_dir: unknown option",
	    "--check: takes no value",
	    "--verbose: expected true or false",
	    "--window: missing value",
	    NULL);

	/* A following option is not taken as a value. */
	assert_int_equal(load(fx, "--site-id=1", "--data-dir", "--check",
	    NULL), MSOSYNC_ECONFIG);
	expect_errors(fx, "--data-dir: missing value",
	    "config: missing required key 'data_dir' (or --data-dir)", NULL);
	assert_true(fx->cli.check);

	assert_int_equal(load(fx, "--site-id=1", "--data-dir=/d", "--config",
	    NULL), MSOSYNC_ECONFIG);
	expect_errors(fx, "--config: missing value", NULL);
}

/* Flag errors, file errors and missing keys, all in one run. */
static void
test_errors_collected(void **state)
{
	struct fixture	*fx = *state;

	write_conf(fx->path,
	    "[agent]\n"
	    "nonsense\n"
	    "window = 0\n"
	    "[agent\n"
	    "hub_endpoint = tcp://h:1\n"
	    "hub_endpoint = tcp://h:2\n"
	    "= 5\n");
	assert_int_equal(load(fx, "--window=x", "--config", fx->path,
	    "--nope", NULL), MSOSYNC_ECONFIG);
	expect_errors(fx,
	    "--window: expected an integer from 1 to 1024",
	    "--nope: unknown option",
	    "@:2: expected 'key = value'",
	    "@:3: window: expected an integer from 1 to 1024",
	    "@:4: expected ']' after the section name",
	    "@:6: duplicate key 'hub_endpoint' (first on line 5)",
	    "@:7: missing key name before '='",
	    "@: missing required key 'site_id' (or --site-id)",
	    "@: missing required key 'data_dir' (or --data-dir)",
	    NULL);
}

static void
test_file_syntax(void **state)
{
	struct fixture	*fx = *state;
	char		 text[1024];

	/* A BOM, CRLF ends, ':' for '=', an indented line that inih would
	 * take as a continuation, a key outside any section. */
	write_conf(fx->path,
	    "\xEF\xBB\xBF[agent]\r\n"
	    "site_id: 5\r\n"
	    "data_dir = /d\n"
	    "\twindow = 6\n");
	assert_int_equal(load(fx, "--config", fx->path, NULL), 0);
	assert_int_equal(fx->r.site_id, 5);
	assert_string_equal(fx->r.data_dir, "/d");
	assert_int_equal(fx->r.window, 6);

	write_conf(fx->path, "site_id = 5\n[agent]\ndata_dir = /d\n");
	assert_int_equal(load(fx, "--config", fx->path, NULL), MSOSYNC_ECONFIG);
	expect_errors(fx, "@:1: key 'site_id' is outside [agent]",
	    "@: missing required key 'site_id' (or --site-id)", NULL);

	snprintf(text, sizeof(text), "[agent]\nsite_id = 1\ndata_dir = /%0300d\n"
	    "window = 2\n", 0);
	write_conf(fx->path, text);
	assert_int_equal(load(fx, "--config", fx->path, NULL), MSOSYNC_ECONFIG);
	expect_errors(fx, "@:3: line too long",
	    "@: missing required key 'data_dir' (or --data-dir)", NULL);

	write_conf(fx->path, "[agent]\nsite_id = 1\ndata_dir = /d\n"
	    "[an extremely long section name that inih would cut short]\n");
	assert_int_equal(load(fx, "--config", fx->path, NULL), MSOSYNC_ECONFIG);
	expect_errors(fx, "@:4: section name too long", NULL);

	write_conf(fx->path, "[agent]\nsite_id = 1\ndata_dir = /d\n[empty]\n");
	assert_int_equal(load(fx, "--config", fx->path, NULL), MSOSYNC_ECONFIG);
	expect_errors(fx, "@:4: unknown section [empty]", NULL);
}

static void
test_unreadable_file(void **state)
{
	struct fixture	*fx = *state;

	assert_int_equal(load(fx, "--config", fx->path, "--site-id=1",
	    "--data-dir=/d", NULL), MSOSYNC_ECONFIG);
	expect_errors(fx, "@: No such file or directory", NULL);
}

static void
test_cli_options(void **state)
{
	struct fixture	*fx = *state;

	assert_int_equal(load(fx, "-n", "--site-id=1", "--data-dir=/d", NULL),
	    0);
	assert_true(fx->cli.check);
	assert_false(fx->cli.help);
	assert_false(fx->cli.version);
	assert_int_equal(load(fx, "--site-id=1", "--data-dir=/d", "--check",
	    NULL), 0);
	assert_true(fx->cli.check);

	/* --help and --version skip the required keys and the errors. */
	assert_int_equal(load(fx, "--help", NULL), 0);
	assert_true(fx->cli.help);
	assert_false(fx->cli.check);
	expect_errors(fx, NULL);
	assert_int_equal(load(fx, "-h", "--bogus", NULL), 0);
	assert_true(fx->cli.help);
	assert_int_equal(load(fx, "--version", NULL), 0);
	assert_true(fx->cli.version);
	assert_false(fx->cli.help);
}

static void
test_usage(void **state)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*f;

	(void)state;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	config_usage(&spec, f);
	fclose(f);
	assert_string_equal(text,
	    "  --site-id=VALUE        this clinic's number (required)\n"
	    "  --data-dir=VALUE       where the journal lives (required)\n"
	    "  --hub-endpoint=VALUE   the hub\n"
	    "  --http-listen=VALUE    local HTTP API (default: 127.0.0.1:7460)\n"
	    "  --window=VALUE         batches in flight (default: 8)\n"
	    "  --offset-ms=VALUE      any integer (default: 0)\n"
	    "  --verbose=VALUE        log more (default: false)\n"
	    "  --replicate=VALUE      (default: true)\n");
	free(text);
}

static void
test_set_value(void **state)
{
	struct role	r;
	char		err[128];

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(config_set_value(&keys[1], &r, "/a", err, sizeof(err)),
	    0);
	assert_string_equal(r.data_dir, "/a");
	assert_int_equal(config_set_value(&keys[1], &r, "/b", err, sizeof(err)),
	    0);
	assert_string_equal(r.data_dir, "/b");
	assert_int_equal(config_set_value(&keys[0], &r, "0", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "expected an integer from 1 to 4294967295");
	assert_int_equal(config_set_value(&keys[6], &r, "true", err,
	    sizeof(err)), 0);
	assert_true(r.verbose);
	config_free(&spec, &r);
	assert_null(r.data_dir);
	config_free(&spec, &r);
}

struct seen {
	char	lines[16][128];
	int	n;
	int	fail_on_line;
};

static int
record(void *arg, const char *section, const char *key, const char *value,
    int line)
{
	struct seen	*s = arg;

	snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%d [%s] %s=%s", line,
	    section, key, value);
	return line == s->fail_on_line;
}

static void
test_read_ini(void **state)
{
	struct fixture	*fx = *state;
	struct seen	 s;

	memset(&s, 0, sizeof(s));
	write_conf(fx->path,
	    "# sites\n"
	    "[site 7]\n"
	    "name = Uptown\n"
	    "public_key = rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n"
	    "\n"
	    "[site 12]\n"
	    "; retired\n"
	    "name = Downtown\n"
	    "revoked = true\n"
	    "[site 7]\n"
	    "state = TX\n");
	assert_int_equal(config_read_ini(fx->path, record, &s, &fx->errs), 0);
	expect_errors(fx, NULL);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.lines[0], "3 [site 7] name=Uptown");
	assert_string_equal(s.lines[1],
	    "4 [site 7] public_key=rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
	assert_string_equal(s.lines[2], "8 [site 12] name=Downtown");
	assert_string_equal(s.lines[3], "9 [site 12] revoked=true");
	assert_string_equal(s.lines[4], "11 [site 7] state=TX");

	/* A callback's refusal and a syntax error both fail the read; the
	 * rest of the file is still read. */
	memset(&s, 0, sizeof(s));
	s.fail_on_line = 2;
	write_conf(fx->path, "[site 1]\nname = a\nbroken\nstate = TX\n");
	assert_int_equal(config_read_ini(fx->path, record, &s, &fx->errs),
	    MSOSYNC_ECONFIG);
	expect_errors(fx, "@:3: expected 'key = value'", NULL);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.lines[1], "4 [site 1] state=TX");

	config_errors_free(&fx->errs);
	snprintf(fx->path, sizeof(fx->path), "%s/absent", fx->dir);
	assert_int_equal(config_read_ini(fx->path, record, &s, &fx->errs),
	    -2);
	expect_errors(fx, "@: No such file or directory", NULL);
}

static void
test_error_helpers(void **state)
{
	struct config_errors	errs = { NULL, 0 };

	(void)state;
	config_error(&errs, "%s:%d: %s", "f", 3, "x");
	config_error(&errs, "second");
	assert_int_equal(errs.n, 2);
	assert_string_equal(errs.msg[0], "f:3: x");
	assert_string_equal(errs.msg[1], "second");
	config_errors_free(&errs);
	assert_int_equal(errs.n, 0);
	assert_null(errs.msg);
	config_errors_free(&errs);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_file_values),
		T(test_flag_values),
		T(test_flag_beats_file),
		T(test_defaults),
		T(test_required_missing),
		T(test_file_errors),
		T(test_int_forms),
		T(test_flag_errors),
		T(test_errors_collected),
		T(test_file_syntax),
		T(test_unreadable_file),
		T(test_cli_options),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_set_value),
		T(test_read_ini),
		cmocka_unit_test(test_error_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
