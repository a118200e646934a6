/*
 * msoctl's HTTP client: one blocking request at a time to an agent or the
 * hub, on libevent's evhttp client (a private event loop per call).
 */
#ifndef MSOCTL_HTTP_CLIENT_H
#define MSOCTL_HTTP_CLIENT_H

#include <stddef.h>

#include "buf.h"

#define HTTP_CLIENT_TIMEOUT_S	120

struct http_response {
	int		status;		/* HTTP status code */
	struct buf	body;		/* the caller's: buf_free */
};

/*
 * 'method' is "GET" or "POST"; 'base' like "http://127.0.0.1:7460";
 * 'path' with its query; 'token' (may be NULL) goes in a Bearer header.
 * Returns 0 with *out filled (whatever the status), or -1 with a message
 * in err when no answer came (connection refused, timeout, bad URL).
 */
int	http_request(const char *base, const char *method, const char *path,
	    const char *token, const void *body, size_t len,
	    struct http_response *out, char *err, size_t errlen);

#endif
