/*
 * msoctl commands that talk to a clinic's agent: submit and status. The
 * agent's API takes no token; --token and --hub are accepted and ignored
 * (ctlconf.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmds.h"
#include "ctlconf.h"
#include "http_client.h"
#include "opts.h"
#include "xmalloc.h"

#define CHUNK_LINES	5000

struct tally {
	unsigned long long	accepted, duplicate, errors;
};

/* POST one chunk; print its errors with their input line numbers. */
static int
post_chunk(const char *agent, const char *name, const struct buf *chunk,
    const size_t *lines, size_t n, struct tally *t)
{
	struct http_response	 r;
	json_t			*doc, *arr, *item;
	json_error_t		 jerr;
	char			 err[256];
	size_t			 i;
	int			 rc = 0;

	if (http_request(agent, "POST", "/v1/events", NULL, chunk->data,
	    chunk->len, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "msoctl submit: %s\n", err);
		return -1;
	}
	doc = json_loadb(r.body.data, r.body.len, 0, &jerr);
	if (r.status == 200 && (arr = json_object_get(doc, "results"))) {
		json_array_foreach(arr, i, item) {
			const char *s = json_string_value(
			    json_object_get(item, "status"));
			if (s && strcmp(s, "duplicate") == 0)
				t->duplicate++;
			else
				t->accepted++;
		}
	} else if (r.status == 400 && (arr = json_object_get(doc, "errors"))) {
		json_array_foreach(arr, i, item) {
			json_int_t idx = json_integer_value(
			    json_object_get(item, "index"));
			const char *id = json_string_value(
			    json_object_get(item, "event_id"));
			fprintf(stderr, "%s:%zu: %s%s%s\n", name,
			    idx >= 0 && (size_t)idx < n ? lines[idx] : 0,
			    id ? id : "", id ? ": " : "",
			    json_string_value(json_object_get(item, "error")));
		}
		t->errors += n;
		rc = 1;
	} else {
		const char *e = json_string_value(json_object_get(doc, "error"));
		fprintf(stderr, "msoctl submit: agent answered %d: %s\n",
		    r.status, e ? e : r.body.data ? r.body.data : "");
		rc = -1;
	}
	json_decref(doc);
	buf_free(&r.body);
	return rc;
}

int
cmd_submit(int argc, char **argv)
{
	struct opts	 o;
	struct ctlconf	 c = { 0 };
	struct tally	 t = { 0 };
	struct buf	 chunk = { 0 };
	size_t		*lines, n = 0, lineno = 0, cap = 0;
	long long	 per;
	char		 err[256], *line = NULL;
	const char	*name;
	FILE		*f;
	ssize_t		 len;
	int		 bad, failed = 0, rc;

	bad = opts_parse(&o, argc, argv, CTLCONF_OPTS " chunk", err,
	    sizeof(err)) != 0 || (o.npos == 1 && opts_get_ll(&o, "chunk",
	    CHUNK_LINES, 1, 100000, &per, err, sizeof(err)) != 0);
	if (bad || o.npos != 1) {
		fprintf(stderr, "msoctl submit: %s\nusage: msoctl submit "
		    "FILE|- [--agent URL] [--chunk LINES]\n",
		    bad ? err : "expected one FILE");
		return EXIT_USAGE;
	}
	if (ctlconf_load(&o, &c) != 0)
		return EXIT_USAGE;
	name = o.pos[0];
	if (strcmp(name, "-") == 0)
		f = stdin;
	else if ((f = fopen(name, "r")) == NULL) {
		perror(name);
		ctlconf_free(&c);
		return 1;
	}
	lines = xmalloc((size_t)per * sizeof(*lines));
	for (;;) {
		len = getline(&line, &cap, f);
		if (len > 0) {
			lineno++;
			if (strspn(line, " \t\r\n") == (size_t)len)
				continue;
			buf_append(&chunk, line, (size_t)len);
			if (line[len - 1] != '\n')
				buf_putc(&chunk, '\n');
			lines[n++] = lineno;
		}
		if (n > 0 && (n == (size_t)per || len <= 0)) {
			rc = post_chunk(c.agent, name, &chunk, lines, n, &t);
			if (rc < 0) {
				failed = 1;
				break;
			}
			failed |= rc;
			buf_reset(&chunk);
			n = 0;
		}
		if (len <= 0)
			break;
	}
	free(line);
	free(lines);
	buf_free(&chunk);
	ctlconf_free(&c);
	if (f != stdin)
		fclose(f);
	printf("accepted %llu, duplicate %llu, errors %llu\n", t.accepted,
	    t.duplicate, t.errors);
	return failed ? 1 : 0;
}

/* Print a flat JSON object as "key  value" lines, nested ones indented. */
static void
print_object(json_t *obj, int indent)
{
	const char	*key;
	json_t		*v;

	json_object_foreach(obj, key, v) {
		if (json_is_object(v)) {
			printf("%*s%s:\n", indent, "", key);
			print_object(v, indent + 2);
			continue;
		}
		char *s = json_dumps(v, JSON_ENCODE_ANY);
		if (json_is_real(v))	/* seconds: milliseconds are enough */
			printf("%*s%-18s %.3f\n", indent, "", key,
			    json_real_value(v));
		else if (json_is_string(v))
			printf("%*s%-18s %s\n", indent, "", key,
			    json_string_value(v));
		else
			printf("%*s%-18s %s\n", indent, "", key, s);
		free(s);
	}
}

int
cmd_status(int argc, char **argv)
{
	struct opts		 o;
	struct ctlconf		 c = { 0 };
	struct http_response	 r;
	json_t			*doc;
	char			 err[256];
	const char		*fmt, *e;
	int			 bad, rc;

	bad = opts_parse(&o, argc, argv, CTLCONF_OPTS " format", err,
	    sizeof(err)) != 0;
	if (bad || o.npos != 0) {
		fprintf(stderr, "msoctl status: %s\nusage: msoctl status "
		    "[--agent URL] [--format table|json]\n",
		    bad ? err : "unexpected argument");
		return EXIT_USAGE;
	}
	fmt = opts_get(&o, "format") ? opts_get(&o, "format") : "table";
	if (strcmp(fmt, "table") != 0 && strcmp(fmt, "json") != 0) {
		fprintf(stderr, "msoctl status: --format table or json\n");
		return EXIT_USAGE;
	}
	if (ctlconf_load(&o, &c) != 0)
		return EXIT_USAGE;
	rc = http_request(c.agent, "GET", "/v1/status", NULL, NULL, 0, &r, err,
	    sizeof(err));
	ctlconf_free(&c);
	if (rc != 0) {
		fprintf(stderr, "msoctl status: %s\n", err);
		return 1;
	}
	doc = json_loadb(r.body.data, r.body.len, 0, NULL);
	if (r.status != 200 || doc == NULL) {
		e = json_string_value(json_object_get(doc, "error"));
		fprintf(stderr, "msoctl status: agent answered %d: %s\n",
		    r.status, e ? e : r.body.data ? r.body.data : "");
		json_decref(doc);
		buf_free(&r.body);
		return 1;
	}
	if (strcmp(fmt, "json") == 0)
		fwrite(r.body.data, 1, r.body.len, stdout);
	else
		print_object(doc, 0);
	json_decref(doc);
	buf_free(&r.body);
	return 0;
}
