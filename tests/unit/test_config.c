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
	/* On failure 'out' keeps what was read, for the role's own checks
	 * (teardown frees it). */
	assert_string_equal(fx->r.data_dir, "/d");
	assert_string_equal(fx->r.http_listen, "127.0.0.1:7460");

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

/*
 * config_key_error places a role's own error where the key's value came
 * from, also after config_load failed: the file's line, the flag (which
 * beats the file), or the bare key for a default.
 */
static void
test_key_error(void **state)
{
	struct fixture	*fx = *state;

	write_conf(fx->path,
	    "[agent]\n"
	    "site_id = 3\n"
	    "\n"
	    "hub_endpoint = tcp://hub:7470\n"
	    "window = many\n"
	    "data_dir = /file\n");
	assert_int_equal(load(fx, "--config", fx->path, "--data-dir", "/flag",
	    NULL), MSOSYNC_ECONFIG);
	assert_string_equal(fx->r.hub_endpoint, "tcp://hub:7470");
	config_key_error(&spec, &fx->cli, &fx->errs, "hub_endpoint",
	    "needs %s", "a key");
	config_key_error(&spec, &fx->cli, &fx->errs, "data_dir", "no room");
	config_key_error(&spec, &fx->cli, &fx->errs, "http_listen", "busy");
	config_key_error(&spec, &fx->cli, &fx->errs, "window", "again");
	expect_errors(fx,
	    "@:5: window: expected an integer from 1 to 1024",
	    "@:4: hub_endpoint: needs a key",
	    "--data-dir: no room",
	    "http_listen: busy",
	    "@:5: window: again", NULL);
	assert_int_equal(fx->cli.line[0], 2);	/* site_id */
	assert_int_equal(fx->cli.line[3], 0);	/* http_listen */
	assert_true(fx->cli.by_flag[1]);	/* data_dir */
	assert_false(fx->cli.by_flag[2]);	/* hub_endpoint */
}

/* Each address check on one value: NULL want means it passes. */
struct addr_case {
	const char	*value;
	const char	*want;
};

static void
check_cases(int (*check)(const char *, char *, size_t),
    const struct addr_case *c, size_t n)
{
	char	err[256];

	for (size_t i = 0; i < n; i++) {
		err[0] = '\0';
		if (c[i].want == NULL) {
			if (check(c[i].value, err, sizeof(err)) != 0)
				fail_msg("'%s' refused: %s", c[i].value, err);
			continue;
		}
		if (check(c[i].value, err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", c[i].value);
		assert_string_equal(err, c[i].want);
	}
}

static void
test_check_http_listen(void **state)
{
	static const struct addr_case	cases[] = {
		{ "127.0.0.1:7460", NULL },
		{ "0.0.0.0:1", NULL },
		{ "[::1]:65535", NULL },
		{ "[::]:80", NULL },
		{ "localhost:8080", NULL },
		{ "clinic-7.example.internal:7460", NULL },
		{ "notanaddress", "expected HOST:PORT, not 'notanaddress'" },
		{ "", "expected HOST:PORT, not ''" },
		{ ":7460", "expected HOST:PORT, not ':7460'" },
		{ "[::1]", "expected HOST:PORT, not '[::1]'" },
		{ "127.0.0.1:", "port '' is not a number from 1 to 65535" },
		{ "127.0.0.1:0", "port '0' is not a number from 1 to 65535" },
		{ "127.0.0.1:65536",
		    "port '65536' is not a number from 1 to 65535" },
		{ "127.0.0.1:+80", "port '+80' is not a number from 1 to 65535" },
		{ "127.0.0.1:http",
		    "port 'http' is not a number from 1 to 65535" },
		{ "999.1.1.1:80", "'999.1.1.1' is not an IPv4 address, [IPv6] "
		    "address or host name" },
		{ "[::g]:80", "'[::g]' is not an IPv4 address, [IPv6] address "
		    "or host name" },
		{ "::1:7460", "'::1' is not an IPv4 address, [IPv6] address or "
		    "host name" },
		{ "bad_name:80", "'bad_name' is not an IPv4 address, [IPv6] "
		    "address or host name" },
		{ "-lead.example:80", "'-lead.example' is not an IPv4 address, "
		    "[IPv6] address or host name" },
		{ "a..b:80", "'a..b' is not an IPv4 address, [IPv6] address or "
		    "host name" },
		{ "tcp://127.0.0.1:80", "'tcp://127.0.0.1' is not an IPv4 "
		    "address, [IPv6] address or host name" },
	};
	char	err[64];

	(void)state;
	check_cases(config_check_http_listen, cases,
	    sizeof(cases) / sizeof(cases[0]));
	assert_int_equal(config_check_http_listen(NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "expected HOST:PORT, not ''");
}

static int
check_bind(const char *s, char *err, size_t errlen)
{
	return config_check_zmq_tcp(s, true, err, errlen);
}

static int
check_connect(const char *s, char *err, size_t errlen)
{
	return config_check_zmq_tcp(s, false, err, errlen);
}

static void
test_check_zmq(void **state)
{
	static const struct addr_case	bind[] = {
		{ "tcp://0.0.0.0:7470", NULL },
		{ "tcp://127.0.0.1:1", NULL },
		{ "tcp://*:7470", NULL },
		{ "tcp://lo:7470", NULL },
		{ "garbage", "expected tcp://HOST:PORT, not 'garbage'" },
		{ "ipc:///tmp/x", "expected tcp://HOST:PORT, not 'ipc:///tmp/x'" },
		{ "tcp://garbage", "expected tcp://HOST:PORT, not 'garbage'" },
		{ "tcp://127.0.0.1:*", "port '*' is not a number from 1 to 65535" },
		{ "tcp://127.0.0.1:99999",
		    "port '99999' is not a number from 1 to 65535" },
		{ "tcp://[::1]:7470", "IPv6 addresses are not supported" },
		{ "tcp://localhost:7470", "'localhost' is not an IPv4 address, "
		    "'*' or a network interface" },
		{ "tcp://no-such-nic0:7470", "'no-such-nic0' is not an IPv4 "
		    "address, '*' or a network interface" },
	};
	static const struct addr_case	connect[] = {
		{ "tcp://127.0.0.1:7470", NULL },
		{ "tcp://hub.example.internal:7470", NULL },
		{ "garbage", "expected tcp://HOST:PORT, not 'garbage'" },
		{ "tcp://hub", "expected tcp://HOST:PORT, not 'hub'" },
		{ "tcp://hub:0", "port '0' is not a number from 1 to 65535" },
		{ "tcp://*:7470", "'*' is not an IPv4 address or host name" },
		{ "tcp://[::1]:7470", "IPv6 addresses are not supported" },
		{ "tcp://127.0.0.1;10.0.0.1:7470", "'127.0.0.1;10.0.0.1' is not "
		    "an IPv4 address or host name" },
	};
	static const struct addr_case	ipc[] = {
		{ "ipc:///var/lib/msosync-agent/ingest.sock", NULL },
		{ "ipc://relative.sock", NULL },
		{ "garbage", "expected ipc://PATH, not 'garbage'" },
		{ "ipc://", "expected ipc://PATH, not 'ipc://'" },
		{ "tcp://127.0.0.1:7460",
		    "expected ipc://PATH, not 'tcp://127.0.0.1:7460'" },
	};
	char	err[64], ep[6 + 109];

	(void)state;
	check_cases(check_bind, bind, sizeof(bind) / sizeof(bind[0]));
	check_cases(check_connect, connect, sizeof(connect) / sizeof(connect[0]));
	check_cases(config_check_zmq_ipc, ipc, sizeof(ipc) / sizeof(ipc[0]));
	assert_int_equal(config_check_zmq_tcp(NULL, true, err, sizeof(err)), -1);
	assert_string_equal(err, "expected tcp://HOST:PORT, not ''");

	/* a Unix socket path holds 107 bytes and its NUL */
	memcpy(ep, "ipc://", 6);
	memset(ep + 6, 'a', 107);
	ep[6 + 107] = '\0';
	assert_int_equal(config_check_zmq_ipc(ep, err, sizeof(err)), 0);
	memcpy(ep + 6 + 107, "a", 2);
	assert_int_equal(config_check_zmq_ipc(ep, err, sizeof(err)), -1);
	assert_string_equal(err, "socket path longer than 107 bytes");
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
		T(test_key_error),
		cmocka_unit_test(test_check_http_listen),
		cmocka_unit_test(test_check_zmq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
