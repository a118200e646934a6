/*
 * The hub side of msoctl's HTTP: one request, its JSON answer, and the
 * hub's own reason when it refuses. Shared by cmd_hub.c and cmd_report.c.
 */
#include <stdio.h>
#include <string.h>

#include "http_client.h"
#include "hub_client.h"

int
hub_call(const char *cmd, const struct ctlconf *c, const char *method,
    const char *path, const char *body, bool conflict_is_answer,
    json_t **doc)
{
	struct http_response	r;
	char			err[256];

	*doc = NULL;
	if (http_request(c->hub, method, path, c->token, body,
	    body ? strlen(body) : 0, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "msoctl %s: %s\n", cmd, err);
		return -1;
	}
	*doc = json_loadb(r.body.data, r.body.len, 0, NULL);
	if (*doc == NULL || (r.status != 200 &&
	    !(r.status == 409 && conflict_is_answer))) {
		const char *e = json_string_value(json_object_get(*doc,
		    "error"));
		fprintf(stderr, "msoctl %s: hub answered %d: %s\n", cmd,
		    r.status, e ? e : r.body.data ? r.body.data : "");
		json_decref(*doc);
		*doc = NULL;
		buf_free(&r.body);
		return -1;
	}
	buf_free(&r.body);
	return r.status;
}

int
hub_format(const char *cmd, const struct opts *o, const char **fmt)
{
	*fmt = opts_get(o, "format") ? opts_get(o, "format") : "table";
	if (strcmp(*fmt, "table") && strcmp(*fmt, "json") &&
	    strcmp(*fmt, "csv")) {
		fprintf(stderr, "msoctl %s: --format table, csv or json\n", cmd);
		return -1;
	}
	return 0;
}
