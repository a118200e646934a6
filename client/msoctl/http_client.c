/*
 * Blocking HTTP client for msoctl on evhttp. Each call makes its own event
 * base and connection, so commands stay simple and share nothing.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "http_client.h"

struct call {
	struct http_response	*out;
	int			 done;
};

static void
on_response(struct evhttp_request *req, void *arg)
{
	struct call	*c = arg;
	struct evbuffer	*in;
	size_t		 n;

	c->done = 1;
	if (req == NULL || evhttp_request_get_response_code(req) == 0)
		return;		/* no answer: connection failed */
	c->out->status = evhttp_request_get_response_code(req);
	in = evhttp_request_get_input_buffer(req);
	n = evbuffer_get_length(in);
	buf_reserve(&c->out->body, n);
	evbuffer_remove(in, c->out->body.data, n);
	c->out->body.len = n;
	c->out->body.data[n] = '\0';
}

int
http_request(const char *base, const char *method, const char *path,
    const char *token, const void *body, size_t len,
    struct http_response *out, char *err, size_t errlen)
{
	struct evhttp_uri		*uri = NULL;
	struct event_base		*evb = NULL;
	struct evhttp_connection	*conn = NULL;
	struct evhttp_request		*req;
	struct call			 c = { out, 0 };
	const char			*host;
	char				 hostport[300], auth[512];
	int				 port, rc = -1;

	memset(out, 0, sizeof(*out));
	if ((uri = evhttp_uri_parse(base)) == NULL ||
	    (host = evhttp_uri_get_host(uri)) == NULL) {
		snprintf(err, errlen, "%s: not an http:// URL", base);
		goto done;
	}
	port = evhttp_uri_get_port(uri);
	if (port < 0)
		port = 80;
	if ((evb = event_base_new()) == NULL ||
	    (conn = evhttp_connection_base_new(evb, NULL, host,
	    (unsigned short)port)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	evhttp_connection_set_timeout(conn, HTTP_CLIENT_TIMEOUT_S);
	if ((req = evhttp_request_new(on_response, &c)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	snprintf(hostport, sizeof(hostport), "%s:%d", host, port);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
	    hostport);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Connection",
	    "close");
	if (token && *token) {
		snprintf(auth, sizeof(auth), "Bearer %s", token);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Authorization", auth);
	}
	if (body) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "application/x-ndjson");
		evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
	}
	if (evhttp_make_request(conn, req, strcmp(method, "POST") == 0 ?
	    EVHTTP_REQ_POST : EVHTTP_REQ_GET, path) != 0) {
		snprintf(err, errlen, "%s: request failed", base);
		goto done;
	}
	event_base_dispatch(evb);
	if (!c.done || out->status == 0) {
		snprintf(err, errlen, "%s: no answer (is it running?)", base);
		goto done;
	}
	rc = 0;
done:
	if (conn)
		evhttp_connection_free(conn);
	if (evb)
		event_base_free(evb);
	if (uri)
		evhttp_uri_free(uri);
	if (rc != 0)
		buf_free(&out->body);
	return rc;
}
