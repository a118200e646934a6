/*
 * What every msoctl command that talks to the hub shares: where the hub
 * is (--hub, default http://127.0.0.1:7471), the bearer token (--token or
 * MSOSYNC_TOKEN), one call that sends a request and parses the JSON
 * answer, and the --format choice.
 */
#ifndef MSOCTL_HUB_CLIENT_H
#define MSOCTL_HUB_CLIENT_H

#include <jansson.h>

#include "opts.h"

#define HUB_DEFAULT_URL	"http://127.0.0.1:7471"

/*
 * 'method' ("GET" or "POST") 'path' (with its query) on the hub named by
 * o's --hub, with o's token; 'body' (may be NULL) is sent as is. On 200
 * and 409 *doc is the parsed answer, the caller's (json_decref). Any other
 * status, an answer that is not JSON, or no answer at all is reported on
 * stderr as "msoctl CMD: ..." (with the hub's "error" when it gave one)
 * and *doc is NULL. Returns the HTTP status, or -1 after such a report.
 */
int	hub_call(const char *cmd, const struct opts *o, const char *method,
	    const char *path, const char *body, json_t **doc);

/*
 * o's --format as *fmt: "table" (the default), "csv" or "json". Returns
 * 0, or -1 after telling the user on stderr.
 */
int	hub_format(const char *cmd, const struct opts *o, const char **fmt);

#endif
