/*
 * What every msoctl command that talks to the hub shares: one call that
 * sends a request to the hub and parses the JSON answer (where the hub is
 * and the token come from ctlconf.h), and the --format choice.
 */
#ifndef MSOCTL_HUB_CLIENT_H
#define MSOCTL_HUB_CLIENT_H

#include <jansson.h>

#include <stdbool.h>

#include "ctlconf.h"
#include "opts.h"

/*
 * 'method' ("GET" or "POST") 'path' (with its query) on c's hub, with c's
 * token; 'body' (may be NULL) is sent as is. On 200, and on 409 when
 * 'conflict_is_answer' (verify's differences), *doc is the parsed answer,
 * the caller's (json_decref). Any other status, an answer that is not
 * JSON, or no answer at all is reported on stderr as "msoctl CMD: ..."
 * (with the hub's "error" when it gave one) and *doc is NULL. Returns the
 * HTTP status, or -1 after such a report: a caller has nothing to print.
 */
int	hub_call(const char *cmd, const struct ctlconf *c, const char *method,
	    const char *path, const char *body, bool conflict_is_answer,
	    json_t **doc);

/*
 * o's --format as *fmt: "table" (the default), "csv" or "json". Returns
 * 0, or -1 after telling the user on stderr.
 */
int	hub_format(const char *cmd, const struct opts *o, const char **fmt);

#endif
