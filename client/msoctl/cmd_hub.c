/*
 * msoctl commands for the hub's operator: token new, sites, verify and
 * site resume. All but token new talk to the hub's HTTP API with a bearer
 * token (ctlconf.h: --token, MSOSYNC_TOKEN or the --config file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmds.h"
#include "ctlconf.h"
#include "hub_client.h"
#include "keys.h"
#include "opts.h"
#include "tokens.h"

int
cmd_token(int argc, char **argv)
{
	struct opts	 o;
	char		 err[256], tok[64], hash[65];
	const char	*file = NULL;
	int		 bad;

	bad = opts_parse(&o, argc, argv, "tokens-file", err, sizeof(err)) != 0;
	if (bad || o.npos != 2 || strcmp(o.pos[0], "new") != 0 ||
	    (file = opts_get(&o, "tokens-file")) == NULL) {
		fprintf(stderr, "msoctl token: %s\nusage: msoctl token new NAME "
		    "--tokens-file FILE\n", bad ? err : "bad arguments");
		return EXIT_USAGE;
	}
	if (!tokens_is_name(o.pos[1])) {
		fprintf(stderr, "msoctl token: NAME must be 1-64 of "
		    "A-Z a-z 0-9 _ . -\n");
		return EXIT_USAGE;
	}
	keys_token_new(tok);
	keys_token_hash(tok, hash);
	if (tokens_append(file, o.pos[1], hash, err, sizeof(err)) != 0) {
		fprintf(stderr, "msoctl token: %s\n", err);
		return 1;
	}
	fprintf(stderr, "token '%s' added to %s; send the hub SIGHUP to load "
	    "it. It is shown once:\n", o.pos[1], file);
	printf("%s\n", tok);
	return 0;
}

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

static long long
jint(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

int
cmd_sites(int argc, char **argv)
{
	struct opts	 o;
	struct ctlconf	 c = { 0 };
	json_t		*doc, *sites, *s;
	char		 err[256];
	const char	*fmt;
	size_t		 i;
	int		 bad, rc;

	bad = opts_parse(&o, argc, argv, CTLCONF_OPTS " format", err,
	    sizeof(err)) != 0;
	if (bad || o.npos != 0) {
		fprintf(stderr, "msoctl sites: %s\nusage: msoctl sites [--hub "
		    "URL] [--token T] [--format table|csv|json]\n",
		    bad ? err : "unexpected argument");
		return EXIT_USAGE;
	}
	if (hub_format("sites", &o, &fmt) != 0)
		return EXIT_USAGE;
	if (ctlconf_load(&o, &c) != 0)
		return EXIT_USAGE;
	rc = hub_call("sites", &c, "GET", "/v1/sites", NULL, false, &doc);
	ctlconf_free(&c);
	if (rc < 0)
		return 1;
	sites = json_object_get(doc, "sites");
	if (strcmp(fmt, "json") == 0) {
		char *t = json_dumps(doc, JSON_INDENT(2));
		printf("%s\n", t);
		free(t);
	} else {
		int csv = strcmp(fmt, "csv") == 0;
		printf(csv ? "site_id,name,state,chain,epoch_ordinal,hwm,events,"
		    "head_seq,lag,lag_seconds,connected,last_seen,alerts\n" :
		    "%7s  %-22s %-12s %-6s %5s %10s %10s %10s %8s %9s %-5s  %s\n",
		    "site_id", "name", "state", "chain", "epoch", "hwm",
		    "events", "head_seq", "lag", "lag_s", "link", "last alert");
		json_array_foreach(sites, i, s) {
			json_t *alerts = json_object_get(s, "alerts");
			size_t na = json_array_size(alerts);
			json_t *last = na ? json_array_get(alerts, na - 1) : NULL;
			double lag_s = json_number_value(json_object_get(s,
			    "lag_seconds"));
			int up = json_is_true(json_object_get(s, "connected"));

			if (csv)
				printf("%lld,\"%s\",%s,%s,%lld,%lld,%lld,%lld,"
				    "%lld,%.3f,%s,%s,%zu\n", jint(s, "site_id"),
				    jstr(s, "name"), jstr(s, "state"),
				    jstr(s, "chain"), jint(s, "epoch_ordinal"),
				    jint(s, "hwm"), jint(s, "events"),
				    jint(s, "head_seq"), jint(s, "lag"), lag_s,
				    up ? "true" : "false", jstr(s, "last_seen"),
				    na);
			else
				printf("%7lld  %-22.22s %-12s %-6s %5lld %10lld "
				    "%10lld %10lld %8lld %9.1f %-5s  %s%s%s\n",
				    jint(s, "site_id"), jstr(s, "name"),
				    jstr(s, "state"), jstr(s, "chain"),
				    jint(s, "epoch_ordinal"), jint(s, "hwm"),
				    jint(s, "events"), jint(s, "head_seq"),
				    jint(s, "lag"), lag_s, up ? "up" : "down",
				    last ? jstr(last, "kind") : "",
				    last ? ": " : "",
				    last ? jstr(last, "message") : "");
		}
	}
	json_decref(doc);
	return 0;
}

int
cmd_verify(int argc, char **argv)
{
	struct opts	 o;
	struct ctlconf	 c = { 0 };
	json_t		*doc, *p;
	char		 err[256];
	size_t		 i;
	int		 bad, status;

	bad = opts_parse(&o, argc, argv, CTLCONF_OPTS " format", err,
	    sizeof(err)) != 0;
	if (bad || o.npos != 0) {
		fprintf(stderr, "msoctl verify: %s\nusage: msoctl verify [--hub "
		    "URL] [--token T]\n", bad ? err : "unexpected argument");
		return EXIT_USAGE;
	}
	if (ctlconf_load(&o, &c) != 0)
		return EXIT_USAGE;
	/* 409 is verify's own answer: the differences, printed below. */
	status = hub_call("verify", &c, "GET", "/v1/verify", NULL, true, &doc);
	ctlconf_free(&c);
	if (status < 0)
		return 1;
	if (opts_get(&o, "format") && strcmp(opts_get(&o, "format"),
	    "json") == 0) {
		char *t = json_dumps(doc, JSON_INDENT(2));
		printf("%s\n", t);
		free(t);
	} else {
		printf("%s: %lld events checked over %lld sites (%lld chain "
		    "problems); %lld aggregate keys rebuilt and compared (%lld "
		    "differences)\n", status == 200 ? "ok" : "FAILED",
		    jint(doc, "events_checked"), jint(doc, "sites"),
		    jint(doc, "chain_problems"),
		    jint(doc, "aggregate_keys_checked"),
		    jint(doc, "aggregate_differences"));
		json_array_foreach(json_object_get(doc, "problems"), i, p) {
			if (json_object_get(p, "site_id"))
				printf("  chain: site %lld epoch %lld seq %lld: "
				    "%s\n", jint(p, "site_id"),
				    jint(p, "epoch_ordinal"), jint(p, "seq"),
				    jstr(p, "problem"));
			else
				printf("  aggregate: %s\n", jstr(p, "problem"));
		}
	}
	json_decref(doc);
	return status == 200 ? 0 : 1;
}

int
cmd_site(int argc, char **argv)
{
	struct opts	 o;
	struct ctlconf	 c = { 0 };
	json_t		*doc, *body;
	char		 err[256], path[64], *text;
	long long	 id;
	char		*end;
	int		 bad, rc;

	bad = opts_parse(&o, argc, argv, CTLCONF_OPTS " reason", err,
	    sizeof(err)) != 0;
	if (bad || o.npos != 2 || strcmp(o.pos[0], "resume") ||
	    opts_get(&o, "reason") == NULL || !*opts_get(&o, "reason")) {
		fprintf(stderr, "msoctl site: %s\nusage: msoctl site resume ID "
		    "--reason TEXT [--hub URL] [--token T]\n",
		    bad ? err : "bad arguments");
		return EXIT_USAGE;
	}
	id = strtoll(o.pos[1], &end, 10);
	if (*end || id < 1 || id > 4294967295LL) {
		fprintf(stderr, "msoctl site: ID must be a site id >= 1\n");
		return EXIT_USAGE;
	}
	if (ctlconf_load(&o, &c) != 0)
		return EXIT_USAGE;
	snprintf(path, sizeof(path), "/v1/sites/%lld/resume", id);
	body = json_pack("{s:s}", "reason", opts_get(&o, "reason"));
	text = json_dumps(body, 0);
	/* The hub answers 409 when the chain is not broken: an error. */
	rc = hub_call("site resume", &c, "POST", path, text, false, &doc);
	free(text);
	json_decref(body);
	ctlconf_free(&c);
	if (rc != 200)
		return 1;
	printf("site %lld resumed: its chain is accepted from the next "
	    "record on\n", id);
	json_decref(doc);
	return 0;
}
