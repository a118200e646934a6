/*
 * Agent HTTP routes. POST /v1/events hands the body to ingest and answers
 * when the group commit that holds it is durable; the rest report state.
 */
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "api.h"
#include "clock.h"
#include "httpd.h"
#include "msosync/error.h"

static void
reply_events(struct ingest_req *ir, void *arg)
{
	struct evhttp_request	*req = arg;
	struct buf		 b = { 0 };

	switch (ir->status) {
	case INGEST_OK:
		buf_puts(&b, "{\"results\":[");
		for (size_t i = 0; i < ir->nevents; i++) {
			const char *id = ir->events[i]->event_id;

			buf_puts(&b, i ? ",{\"event_id\":" : "{\"event_id\":");
			buf_json_string(&b, id, strlen(id));
			buf_puts(&b, ",\"seq\":");
			buf_put_u64(&b, ir->results[i].seq);
			buf_puts(&b, ir->results[i].duplicate ?
			    ",\"status\":\"duplicate\"}" :
			    ",\"status\":\"accepted\"}");
		}
		buf_puts(&b, "]}\n");
		break;
	case INGEST_INVALID:
		buf_puts(&b, "{\"errors\":[");
		for (size_t i = 0; i < ir->nerrors; i++) {
			const struct ingest_error *e = &ir->errors[i];

			buf_printf(&b, "%s{\"index\":%zu,", i ? "," : "",
			    e->index);
			if (e->event_id) {
				buf_puts(&b, "\"event_id\":");
				buf_json_string(&b, e->event_id,
				    strlen(e->event_id));
				buf_putc(&b, ',');
			}
			buf_puts(&b, "\"error\":");
			buf_json_string(&b, e->message, strlen(e->message));
			buf_putc(&b, '}');
		}
		buf_puts(&b, "]}\n");
		break;
	case INGEST_TOO_LARGE:
		buf_puts(&b, "{\"error\":\"too many events in one request\"}\n");
		break;
	case INGEST_FULL:
		buf_puts(&b, "{\"error\":\"journal full: the hub has not yet "
		    "acknowledged enough events to free space\"}\n");
		break;
	default:
		buf_puts(&b, "{\"error\":\"internal error: nothing was "
		    "journaled\"}\n");
		break;
	}
	httpd_reply_json(req, ir->status, &b);
	buf_free(&b);
	ingest_req_free(&ir);
}

static void
post_events(struct evhttp_request *req, struct api_ctx *ctx)
{
	struct ingest_req	*ir = ingest_req_new(reply_events, req);
	size_t			 len;
	char			*body = httpd_body_take(req, &len);

	ingest_req_take_json(ir, body, len);
	ingest_submit(ctx->ingest, ir);
}

static int
first_recorded(void *arg, uint64_t seq, const uint8_t *hash, int64_t at,
    const void *ev, size_t len)
{
	(void)seq;
	(void)hash;
	(void)ev;
	(void)len;
	*(int64_t *)arg = at;
	return 1;
}

/* Seconds since the oldest event the hub does not hold was recorded. */
static double
lag_seconds(struct journal *j)
{
	int64_t	at = 0;

	if (journal_head_seq(j) == journal_acked_seq(j))
		return 0;
	if (journal_scan(j, journal_acked_seq(j) + 1, first_recorded, &at) < 0 ||
	    at == 0)
		return 0;
	return (double)(clock_now_ms() - at) / 1000.0;
}

static void
get_status(struct evhttp_request *req, struct api_ctx *ctx)
{
	struct journal	*j = ctx->journal;
	struct api_link	 link = { 0 };
	struct buf	 b = { 0 };
	char		 epoch[2 * JOURNAL_EPOCH_LEN + 1];

	for (int i = 0; i < JOURNAL_EPOCH_LEN; i++)
		snprintf(epoch + 2 * i, 3, "%02x", journal_epoch(j)[i]);
	if (ctx->link)
		ctx->link(ctx->link_arg, &link);
	buf_printf(&b, "{\"site_id\":%u,\"epoch\":\"%s\",\"head_seq\":%llu,"
	    "\"acked_seq\":%llu,\"backlog\":%llu,\"lag_seconds\":%.3f,"
	    "\"journal_bytes\":%zu,\"journal_max_bytes\":%zu,\"hub\":{",
	    ctx->site_id, epoch, (unsigned long long)journal_head_seq(j),
	    (unsigned long long)journal_acked_seq(j),
	    (unsigned long long)(journal_head_seq(j) - journal_acked_seq(j)),
	    lag_seconds(j), journal_bytes(j), journal_max_bytes(j));
	if (ctx->hub_endpoint) {
		buf_puts(&b, "\"endpoint\":");
		buf_json_string(&b, ctx->hub_endpoint,
		    strlen(ctx->hub_endpoint));
	} else
		buf_puts(&b, "\"endpoint\":null");
	buf_printf(&b, ",\"connected\":%s,\"last_ack_at\":",
	    link.connected ? "true" : "false");
	if (link.last_ack_at) {
		char t[40];
		struct tm tm;
		time_t s = (time_t)(link.last_ack_at / 1000);
		gmtime_r(&s, &tm);
		strftime(t, sizeof(t), "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
		buf_puts(&b, t);
	} else
		buf_puts(&b, "null");
	buf_puts(&b, ctx->hub_endpoint ? "}}\n" :
	    ",\"replicating\":false}}\n");
	httpd_reply_json(req, 200, &b);
	buf_free(&b);
}

static void
get_metrics(struct evhttp_request *req, struct api_ctx *ctx)
{
	const struct ingest_stats	*s = ingest_stats(ctx->ingest);
	struct journal			*j = ctx->journal;
	struct buf			 b = { 0 };

#define METRIC(name, type, help, fmt, val)				\
	buf_printf(&b, "# HELP msosync_agent_" name " " help "\n"	\
	    "# TYPE msosync_agent_" name " " type "\n"			\
	    "msosync_agent_" name " " fmt "\n", val)
	METRIC("events_accepted_total", "counter",
	    "Events journaled.", "%llu", (unsigned long long)s->accepted);
	METRIC("events_duplicate_total", "counter",
	    "Events answered as duplicates.", "%llu",
	    (unsigned long long)s->duplicates);
	METRIC("requests_invalid_total", "counter",
	    "Requests refused as invalid.", "%llu",
	    (unsigned long long)s->requests_invalid);
	METRIC("requests_full_total", "counter",
	    "Requests refused because the journal was full.", "%llu",
	    (unsigned long long)s->requests_full);
	METRIC("commits_total", "counter",
	    "Durable journal transactions.", "%llu",
	    (unsigned long long)s->commits);
	METRIC("head_seq", "gauge", "Last journaled seq.", "%llu",
	    (unsigned long long)journal_head_seq(j));
	METRIC("acked_seq", "gauge", "Last seq the hub holds.", "%llu",
	    (unsigned long long)journal_acked_seq(j));
	METRIC("journal_bytes", "gauge", "Journal bytes in use.", "%zu",
	    journal_bytes(j));
	METRIC("journal_max_bytes", "gauge", "Journal budget.", "%zu",
	    journal_max_bytes(j));
	METRIC("lag_seconds", "gauge",
	    "Age of the oldest event the hub does not hold.", "%.3f",
	    lag_seconds(j));
#undef METRIC
	httpd_reply(req, 200, "text/plain; version=0.0.4", &b);
	buf_free(&b);
}

static void
route(struct evhttp_request *req, void *arg)
{
	struct api_ctx		*ctx = arg;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	char			 path[256];

	if (httpd_path(req, path, sizeof(path)) != 0) {
		httpd_reply_error(req, 404, "no such route");
		return;
	}
	if (strcmp(path, "/v1/events") == 0) {
		if (cmd != EVHTTP_REQ_POST)
			httpd_reply_error(req, 405, "use POST");
		else
			post_events(req, ctx);
	} else if (cmd != EVHTTP_REQ_GET)
		httpd_reply_error(req, 405, "use GET");
	else if (strcmp(path, "/v1/status") == 0)
		get_status(req, ctx);
	else if (strcmp(path, "/healthz") == 0) {
		struct buf b = { 0 };
		buf_puts(&b, "ok\n");
		httpd_reply(req, 200, "text/plain", &b);
		buf_free(&b);
	} else if (strcmp(path, "/metrics") == 0)
		get_metrics(req, ctx);
	else
		httpd_reply_error(req, 404, "no such route");
}

void
api_start(struct evhttp *http, struct api_ctx *ctx)
{
	evhttp_set_gencb(http, route, ctx);
}
