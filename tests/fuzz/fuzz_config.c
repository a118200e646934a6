/*
 * libFuzzer harness: the configuration loaders on any file. The input is
 * written to a file in the scratch directory (fuzz_util.h), then read as
 * a daemon's --config file (config_load with a spec like the agent's: a
 * section, strings, bounded integers, a bool, required keys), as a hub's
 * sites file (sites_load) and as its tokens file (tokens_load). Every
 * loader runs on every input: a sites file handed to config_load is as
 * likely a mistake as any.
 *
 * Properties checked (an abort is a finding): each loader returns 0 with
 * no error and a result, or MSOSYNC_ECONFIG with at least one non-empty
 * message and no result; values within their bounds; a loaded registry
 * answers consistently (sites_at in increasing id order, sites_get and
 * sites_by_key find each site, a revoked site is not active); and
 * everything is freed (LeakSanitizer).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fuzz_util.h"
#include "msosync/error.h"
#include "sites.h"
#include "tokens.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct conf {
	long long	 site_id;
	char		*data_dir;
	char		*http_listen;
	char		*hub_endpoint;
	char		*timezone;
	long long	 journal_max_mb;
	long long	 retention_days;
	bool		 debug;
};

#define K(name, type, def, req, min, max) \
	{ #name, type, offsetof(struct conf, name), def, req, min, max, "" }
static const struct config_key keys[] = {
	K(site_id, CONFIG_INT, NULL, true, 1, 4294967295LL),
	K(data_dir, CONFIG_STRING, NULL, true, 0, 0),
	K(http_listen, CONFIG_STRING, "127.0.0.1:7460", false, 0, 0),
	K(hub_endpoint, CONFIG_STRING, NULL, false, 0, 0),
	K(timezone, CONFIG_STRING, NULL, false, 0, 0),
	K(journal_max_mb, CONFIG_INT, "1024", false, 1, 1048576),
	K(retention_days, CONFIG_INT, "30", false, 0, 3650),
	K(debug, CONFIG_BOOL, "false", false, 0, 0),
};
#undef K
static const struct config_spec spec = {
	"agent", keys, sizeof(keys) / sizeof(keys[0])
};

static char	*path;

static void
check_errors(const char *what, int rc, const struct config_errors *errs)
{
	if (rc == 0) {
		if (errs->n != 0)
			fuzz_fail("%s: 0 with %zu errors, the first: %s", what,
			    errs->n, errs->msg[0]);
		return;
	}
	if (rc != MSOSYNC_ECONFIG)
		fuzz_fail("%s: %s", what, msosync_strerror(rc));
	if (errs->n == 0)
		fuzz_fail("%s: refused without a reason", what);
	for (size_t i = 0; i < errs->n; i++)
		if (errs->msg[i] == NULL || errs->msg[i][0] == '\0')
			fuzz_fail("%s: error %zu is empty", what, i);
}

static void
load_config(void)
{
	struct config_errors	 errs = { 0 };
	struct config_cli	 cli = { 0 };
	struct conf		 c;
	char			*argv[] = { "fuzz_config", "--config", path, NULL };
	int			 rc;

	memset(&c, 0, sizeof(c));
	rc = config_load(&spec, &c, 3, argv, &cli, &errs);
	check_errors("config_load", rc, &errs);
	if (rc == 0 && (c.site_id < 1 || c.data_dir == NULL ||
	    c.journal_max_mb < 1 || c.journal_max_mb > 1048576 ||
	    c.retention_days < 0 || c.retention_days > 3650))
		fuzz_fail("config_load: 0 with a value out of its range");
	config_free(&spec, &c);
	config_errors_free(&errs);
}

static void
load_sites(void)
{
	struct config_errors	 errs = { 0 };
	struct sites		*s = NULL;
	const struct site	*st, *prev = NULL;
	int			 rc;

	rc = sites_load(path, &s, &errs);
	check_errors("sites_load", rc, &errs);
	if ((rc == 0) != (s != NULL))
		fuzz_fail("sites_load: %s with%s a registry",
		    msosync_strerror(rc), s != NULL ? "" : "out");
	for (size_t i = 0; s != NULL && i < sites_count(s); i++) {
		st = sites_at(s, i);
		if (st == NULL || st->id < 1 || (prev && prev->id >= st->id))
			fuzz_fail("sites_at(%zu): out of order", i);
		if (sites_get(s, st->id) != st ||
		    sites_by_key(s, st->key.bin) != st ||
		    (st->has_next_key &&
		    sites_by_key(s, st->next_key.bin) != st))
			fuzz_fail("site %u: not found by its id or key", st->id);
		if (sites_is_active(s, st->id) == st->revoked)
			fuzz_fail("site %u: active and revoked", st->id);
		prev = st;
	}
	sites_free(&s);
	config_errors_free(&errs);
}

static void
load_tokens(void)
{
	struct config_errors	 errs = { 0 };
	struct tokens		*t = NULL;
	int			 rc;

	rc = tokens_load(path, &t, &errs);
	check_errors("tokens_load", rc, &errs);
	if ((rc == 0) != (t != NULL))
		fuzz_fail("tokens_load: %s with%s a set",
		    msosync_strerror(rc), t != NULL ? "" : "out");
	if (t != NULL)
		(void)tokens_check(t, "msosync-fuzz-token");
	tokens_free(&t);
	config_errors_free(&errs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE	*f;

	if (path == NULL)
		path = xasprintf("%s/conf", fuzz_tmpdir());
	if ((f = fopen(path, "w")) == NULL)
		fuzz_fail("fopen %s", path);
	if (size > 0 && fwrite(data, 1, size, f) != size)
		fuzz_fail("fwrite %s", path);
	if (fclose(f) != 0)
		fuzz_fail("fclose %s", path);
	load_config();
	load_sites();
	load_tokens();
	return 0;
}
