/*
 * HTTP server helpers shared by the agent's and the hub's APIs, on
 * libevent's evhttp. evhttp has no limits by default (DESIGN §8a), so
 * httpd_open always sets header and body limits and connection timeouts.
 */
#ifndef MSOSYNC_HTTPD_H
#define MSOSYNC_HTTPD_H

#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "buf.h"

#define HTTPD_MAX_HEADERS	(16 * 1024)
#define HTTPD_TIMEOUT_S		30

/*
 * Listen on "HOST:PORT" (IPv4 or [IPv6]). Returns 0, MSOSYNC_ECONFIG for
 * an address that does not parse, or -errno when the bind fails.
 */
int	httpd_open(struct event_base *base, const char *listen,
	    size_t max_body, struct evhttp **out)
	    __attribute__((warn_unused_result));

/* Send 'body' (JSON) with 'code' and its reason phrase. */
void	httpd_reply(struct evhttp_request *req, int code, const char *type,
	    const struct buf *body);
void	httpd_reply_json(struct evhttp_request *req, int code,
	    const struct buf *body);
/* {"error":"msg"} with 'code'. */
void	httpd_reply_error(struct evhttp_request *req, int code,
	    const char *msg);

/* The request body, contiguous; valid until the reply is sent. */
const char	*httpd_body(struct evhttp_request *req, size_t *len);
/*
 * The request body moved out into a new NUL-terminated buffer, the
 * caller's (free): one copy, where httpd_body and a copy of it make two.
 */
char		*httpd_body_take(struct evhttp_request *req, size_t *len);

/* The path of the request URI without the query (into 'out'). */
int	httpd_path(struct evhttp_request *req, char *out, size_t outlen);

/* Parse the query into 'q' (evhttp_clear_headers after). 0 or -1. */
int	httpd_query(struct evhttp_request *req, struct evkeyvalq *q);

/* The bearer token of the Authorization header, or NULL. */
const char	*httpd_bearer(struct evhttp_request *req);

#endif
