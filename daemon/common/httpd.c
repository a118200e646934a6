/*
 * HTTP server helpers on evhttp; see httpd.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include "httpd.h"
#include "msosync/error.h"
#include "xmalloc.h"

/*
 * Each connection's bufferevent, made here to lift libevent's 16 KiB cap
 * on one read: a 1 MiB NDJSON body then takes a few reads and loop turns,
 * not sixty-four.
 */
#define HTTPD_MAX_READ	(1024 * 1024)

static struct bufferevent *
new_bev(struct event_base *base, void *arg)
{
	struct bufferevent	*bev;

	(void)arg;
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev != NULL)
		bufferevent_set_max_single_read(bev, HTTPD_MAX_READ);
	return bev;
}

int
httpd_open(struct event_base *base, const char *listen, size_t max_body,
    struct evhttp **out)
{
	struct evhttp			*http;
	struct evhttp_bound_socket	*bound;
	char				 host[256];
	const char			*colon = strrchr(listen, ':');
	char				*end;
	long				 port;
	size_t				 hl;
	int				 one = 1;

	*out = NULL;
	if (colon == NULL || colon == listen)
		return MSOSYNC_ECONFIG;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		return MSOSYNC_ECONFIG;
	hl = (size_t)(colon - listen);
	if (listen[0] == '[' && colon[-1] == ']') {	/* [::1]:7460 */
		listen++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return MSOSYNC_ECONFIG;
	memcpy(host, listen, hl);
	host[hl] = '\0';

	if ((http = evhttp_new(base)) == NULL)
		return -ENOMEM;
	evhttp_set_max_headers_size(http, HTTPD_MAX_HEADERS);
	evhttp_set_max_body_size(http, max_body);
	evhttp_set_timeout(http, HTTPD_TIMEOUT_S);
	/* read and drop an oversize body before closing, so the client gets
	 * the 413 instead of a connection reset */
	evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_bevcb(http, new_bev, NULL);
	if ((bound = evhttp_bind_socket_with_handle(http, host,
	    (ev_uint16_t)port)) == NULL) {
		int e = errno ? errno : EADDRINUSE;
		evhttp_free(http);
		return -e;
	}
	/*
	 * Accepted sockets inherit it. Without it the tail of a large reply
	 * can wait for the client's delayed ACK (Nagle): 40 ms stalls, seen
	 * between NDJSON requests.
	 */
	(void)setsockopt(evhttp_bound_socket_get_fd(bound), IPPROTO_TCP,
	    TCP_NODELAY, &one, sizeof(one));
	*out = http;
	return 0;
}

static const char *
reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default: return code >= 500 ? "Internal Server Error" : "Error";
	}
}

void
httpd_reply(struct evhttp_request *req, int code, const char *type,
    const struct buf *body)
{
	struct evbuffer	*out = evbuffer_new();

	if (out == NULL)
		abort();
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", type);
	if (body && body->len)
		evbuffer_add(out, body->data, body->len);
	evhttp_send_reply(req, code, reason(code), out);
	evbuffer_free(out);
}

void
httpd_reply_json(struct evhttp_request *req, int code, const struct buf *body)
{
	httpd_reply(req, code, "application/json", body);
}

void
httpd_reply_error(struct evhttp_request *req, int code, const char *msg)
{
	struct buf	b = { 0 };

	buf_puts(&b, "{\"error\":");
	buf_json_string(&b, msg, strlen(msg));
	buf_puts(&b, "}\n");
	httpd_reply_json(req, code, &b);
	buf_free(&b);
}

const char *
httpd_body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);

	*len = evbuffer_get_length(in);
	if (*len == 0)
		return "";
	return (const char *)evbuffer_pullup(in, -1);
}

char *
httpd_body_take(struct evhttp_request *req, size_t *len)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	char		*body;

	*len = evbuffer_get_length(in);
	body = xmalloc(*len + 1);
	if (evbuffer_remove(in, body, *len) != (int)*len)
		abort();	/* all of it is there: cannot happen */
	body[*len] = '\0';
	return body;
}

int
httpd_path(struct evhttp_request *req, char *out, size_t outlen)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri ? evhttp_uri_get_path(uri) : NULL;

	if (path == NULL || strlen(path) >= outlen)
		return -1;
	strcpy(out, path);
	return 0;
}

int
httpd_query(struct evhttp_request *req, struct evkeyvalq *q)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*query = uri ? evhttp_uri_get_query(uri) : NULL;

	TAILQ_INIT(q);
	if (query == NULL)
		return 0;
	return evhttp_parse_query_str(query, q);
}

const char *
httpd_bearer(struct evhttp_request *req)
{
	const char	*h = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Authorization");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}
