/*
 * Hub HTTP routes. Handlers read the store in short read transactions and
 * the receiver's live view; none of them writes but resume. The report
 * routes check their parameters here (each refusal names the parameter)
 * and leave the figures to query.c.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "aggregate.h"
#include "api.h"
#include "clock.h"
#include "httpd.h"
#include "log.h"
#include "msosync/error.h"
#include "pbjson.h"
#include "query.h"
#include "wire.h"

#define EXPIRING_WITHIN_MAX	36600	/* days: a century of contracts */

static void
put_time(struct buf *b, int64_t ms)
{
	char	t[40];

	if (ms <= 0) {
		buf_puts(b, "null");
		return;
	}
	pbjson_format_time(ms, t);
	buf_json_string(b, t, strlen(t));
}

static void
put_str(struct buf *b, const char *key, const char *val)
{
	buf_printf(b, "\"%s\":", key);
	buf_json_string(b, val ? val : "", val ? strlen(val) : 0);
	buf_putc(b, ',');
}

static void
site_json(struct hub_api *api, const struct site *site, struct buf *b)
{
	struct store_site_info	 info;
	struct receiver_site	 live;
	int64_t			 now = clock_now_ms();
	uint64_t		 lag = 0;
	double			 lag_s = 0;
	int			 known;

	known = store_site(api->store, site->id, &info) == 0;
	if (!known)
		memset(&info, 0, sizeof(info));
	receiver_site(api->receiver, site->id, &live);
	if (live.head_seq > info.hwm)
		lag = live.head_seq - info.hwm;
	if (lag > 0 && live.oldest_unacked_at > 0 &&
	    now > live.oldest_unacked_at)
		lag_s = (double)(now - live.oldest_unacked_at) / 1000.0;

	buf_printf(b, "{\"site_id\":%u,", site->id);
	put_str(b, "name", site->name);
	put_str(b, "state", site->revoked ? "revoked" :
	    info.chain_broken ? "chain_broken" : "active");
	put_str(b, "us_state", site->state);
	if (known)
		put_str(b, "epoch", info.epoch_hex);
	else
		buf_puts(b, "\"epoch\":null,");
	buf_printf(b, "\"epoch_ordinal\":%u,\"hwm\":%llu,\"events\":%llu,"
	    "\"duplicates\":%llu,\"head_seq\":%llu,\"lag\":%llu,"
	    "\"lag_seconds\":%.3f,\"connected\":%s,\"last_seen\":",
	    info.epoch_ord, (unsigned long long)info.hwm,
	    (unsigned long long)info.events,
	    (unsigned long long)info.duplicates,
	    (unsigned long long)live.head_seq, (unsigned long long)lag, lag_s,
	    live.connected ? "true" : "false");
	put_time(b, live.last_seen_ms > info.last_seen_ms ?
	    live.last_seen_ms : info.last_seen_ms);
	buf_printf(b, ",\"chain\":\"%s\",\"alerts\":[",
	    info.chain_broken ? "broken" : "ok");
	for (size_t i = 0; i < info.nalerts; i++) {
		buf_puts(b, i ? ",{\"at\":" : "{\"at\":");
		put_time(b, info.alerts[i].at_ms);
		buf_puts(b, ",\"kind\":");
		buf_json_string(b, info.alerts[i].kind,
		    strlen(info.alerts[i].kind));
		buf_puts(b, ",\"message\":");
		buf_json_string(b, info.alerts[i].message,
		    strlen(info.alerts[i].message));
		buf_putc(b, '}');
	}
	buf_puts(b, "]}");
}

static void
get_sites(struct evhttp_request *req, struct hub_api *api)
{
	struct buf	b = { 0 };

	buf_puts(&b, "{\"sites\":[");
	for (size_t i = 0; i < sites_count(api->sites); i++) {
		if (i)
			buf_putc(&b, ',');
		site_json(api, sites_at(api->sites, i), &b);
	}
	buf_puts(&b, "]}\n");
	httpd_reply_json(req, 200, &b);
	buf_free(&b);
}

struct problems {
	struct buf	b;
	size_t		n;
};

static void
on_problem(void *arg, uint32_t site, uint32_t epoch_ord, uint64_t seq,
    const char *problem)
{
	struct problems	*p = arg;

	if (p->n++ >= 1000)
		return;		/* enough to act on; the count says the rest */
	buf_printf(&p->b, "%s{\"kind\":\"chain\",\"site_id\":%u,\"epoch_ordinal\":%u,"
	    "\"seq\":%llu,\"problem\":", p->n > 1 ? "," : "", site, epoch_ord,
	    (unsigned long long)seq);
	buf_json_string(&p->b, problem, strlen(problem));
	buf_putc(&p->b, '}');
}

static void
on_difference(void *arg, const char *what)
{
	struct problems	*p = arg;

	if (p->n++ >= 1000)
		return;
	buf_puts(&p->b, p->n > 1 ? ",{\"kind\":\"aggregate\",\"problem\":" :
	    "{\"kind\":\"aggregate\",\"problem\":");
	buf_json_string(&p->b, what, strlen(what));
	buf_putc(&p->b, '}');
}

/*
 * Recheck every stored chain, then rebuild every aggregate from the stored
 * events and compare it with the running one. 200 when all agree, 409
 * with the differences.
 */
static void
get_verify(struct evhttp_request *req, struct hub_api *api)
{
	struct problems	 p = { { 0 }, 0 };
	struct buf	 b = { 0 };
	uint64_t	 checked = 0, keys = 0;
	size_t		 chain_problems;
	int		 rc;

	rc = store_verify(api->store, on_problem, &p, &checked);
	if (rc != 0 && rc != MSOSYNC_ECHAIN) {
		httpd_reply_error(req, 500, msosync_strerror(rc));
		buf_free(&p.b);
		return;
	}
	chain_problems = p.n;
	rc = aggregate_verify(api->store, api->scratch_dir, on_difference, &p,
	    &keys);
	if (rc != 0 && rc != MSOSYNC_ECORRUPT) {
		httpd_reply_error(req, 500, msosync_strerror(rc));
		buf_free(&p.b);
		return;
	}
	buf_printf(&b, "{\"ok\":%s,\"events_checked\":%llu,\"sites\":%zu,"
	    "\"chain_problems\":%zu,\"aggregate_keys_checked\":%llu,"
	    "\"aggregate_differences\":%zu,\"problems_count\":%zu,"
	    "\"problems\":[", p.n ? "false" : "true",
	    (unsigned long long)checked, sites_count(api->sites), chain_problems,
	    (unsigned long long)keys, p.n - chain_problems, p.n);
	if (p.b.len)
		buf_append(&b, p.b.data, p.b.len);
	buf_puts(&b, "]}\n");
	httpd_reply_json(req, p.n ? 409 : 200, &b);
	buf_free(&b);
	buf_free(&p.b);
}

static void
post_resume(struct evhttp_request *req, struct hub_api *api, uint32_t site,
    const char *who)
{
	size_t		 len;
	const char	*body = httpd_body(req, &len);
	json_t		*doc = json_loadb(body, len, 0, NULL);
	const char	*reason = json_string_value(json_object_get(doc,
			    "reason"));
	struct buf	 b = { 0 };
	int		 rc;

	if (reason == NULL || *reason == '\0') {
		httpd_reply_error(req, 400, "body must be {\"reason\":\"...\"}");
		json_decref(doc);
		return;
	}
	if (sites_get(api->sites, site) == NULL) {
		httpd_reply_error(req, 404, "no such site");
		json_decref(doc);
		return;
	}
	rc = store_resume(api->store, site, reason);
	if (rc != 0) {
		httpd_reply_error(req, rc == MSOSYNC_ENOTFOUND ? 404 :
		    rc == MSOSYNC_EINVAL ? 409 : 500, rc == MSOSYNC_EINVAL ?
		    "the site's chain is not broken: nothing to resume" :
		    msosync_strerror(rc));
		json_decref(doc);
		return;
	}
	log_warnx("site %u: resumed by '%s': %s", site, who, reason);
	buf_printf(&b, "{\"site_id\":%u,\"resumed\":true}\n", site);
	httpd_reply_json(req, 200, &b);
	buf_free(&b);
	json_decref(doc);
}

/* Answer with a query's document, compact, and a newline. */
static void
reply_doc(struct evhttp_request *req, json_t *doc)
{
	struct buf	b = { 0 };
	size_t		n = json_dumpb(doc, NULL, 0, JSON_COMPACT);

	buf_reserve(&b, n + 2);
	if (n == 0 || json_dumpb(doc, b.data, n, JSON_COMPACT) != n) {
		httpd_reply_error(req, 500, "cannot encode the answer");
		buf_free(&b);
		return;
	}
	b.len = n;
	buf_putc(&b, '\n');
	httpd_reply_json(req, 200, &b);
	buf_free(&b);
}


/* A query's failure: its own reason for bad input, else the store's. */
static void
reply_query_error(struct evhttp_request *req, int rc, const char *err)
{
	if (rc == MSOSYNC_EINVAL)
		httpd_reply_error(req, 400, *err ? err : "bad parameters");
	else
		httpd_reply_error(req, 500, msosync_strerror(rc));
}

/* Answer a query's outcome: its document, or its error; frees doc. */
static void
reply_query(struct evhttp_request *req, int rc, json_t *doc, const char *msg)
{
	if (rc != 0)
		reply_query_error(req, rc, msg);
	else
		reply_doc(req, doc);
	json_decref(doc);
}

/*
 * Check that every parameter of q is one of 'known' (space-separated) and
 * none is empty. Returns 0, or -1 with the reason in msg.
 */
static int
check_params(const struct evkeyvalq *q, const char *known, char *msg,
    size_t msglen)
{
	const struct evkeyval	*kv;

	TAILQ_FOREACH(kv, q, next) {
		const char	*p = known;
		size_t		 n = strlen(kv->key);
		int		 found = 0;

		while (*p && !found) {
			size_t len = strcspn(p, " ");
			found = len == n && n > 0 && strncmp(p, kv->key, n) == 0;
			p += len;
			p += *p == ' ';
		}
		if (!found) {
			snprintf(msg, msglen, "unknown parameter '%.64s' "
			    "(takes: %s)", kv->key, known);
			return -1;
		}
		if (*kv->value == '\0') {
			snprintf(msg, msglen, "%s: empty value", kv->key);
			return -1;
		}
	}
	return 0;
}

/* Decimal digits only, no sign or spaces, in [min, max]. */
static int
parse_uint(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long	x = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 12)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		x = x * 10 + (unsigned)(*p - '0');
	}
	if (x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

/* "site" as a site id, or 0 when absent. */
static int
param_site(const struct evkeyvalq *q, uint32_t *site, char *msg,
    size_t msglen)
{
	const char		*v = evhttp_find_header(q, "site");
	unsigned long long	 x;

	*site = 0;
	if (v == NULL)
		return 0;
	if (parse_uint(v, 1, UINT32_MAX, &x) != 0) {
		snprintf(msg, msglen, "site: expected a site id >= 1, got "
		    "'%.32s'", v);
		return -1;
	}
	*site = (uint32_t)x;
	return 0;
}

/* A required "YYYY-MM-DD" parameter as YYYYMMDD. */
static int
param_date(const struct evkeyvalq *q, const char *name, uint32_t *out,
    char *msg, size_t msglen)
{
	const char	*v = evhttp_find_header(q, name);
	unsigned	 d;

	if (v == NULL) {
		snprintf(msg, msglen, "%s: required (YYYY-MM-DD)", name);
		return -1;
	}
	if (pbjson_parse_date(v, &d) != 0) {
		snprintf(msg, msglen, "%s: expected a date YYYY-MM-DD, got "
		    "'%.32s'", name, v);
		return -1;
	}
	*out = d;
	return 0;
}

static void
get_report(struct evhttp_request *req, struct hub_api *api, const char *kind)
{
	struct evkeyvalq	 q;
	struct query_params	 p = { 0, 0, 0, QUERY_BY_FRANCHISE };
	enum query_kind		 k;
	json_t			*doc = NULL;
	const char		*by;
	char			 msg[256] = "";
	int			 rc;

	if (query_kind_parse(kind, &k) != 0) {
		httpd_reply_error(req, 404, "no such report (financials, kpis, "
		    "vendors, compliance)");
		return;
	}
	if (httpd_query(req, &q) != 0) {
		httpd_reply_error(req, 400, "the query string does not parse");
		return;
	}
	if (check_params(&q, "from to site by", msg, sizeof(msg)) != 0 ||
	    param_date(&q, "from", &p.from, msg, sizeof(msg)) != 0 ||
	    param_date(&q, "to", &p.to, msg, sizeof(msg)) != 0 ||
	    param_site(&q, &p.site, msg, sizeof(msg)) != 0)
		goto bad;
	if ((by = evhttp_find_header(&q, "by")) != NULL &&
	    query_by_parse(by, &p.by) != 0) {
		snprintf(msg, sizeof(msg), "by: expected day, month, site or "
		    "franchise, got '%.32s'", by);
		goto bad;
	}
	if (p.from > p.to) {
		snprintf(msg, sizeof(msg), "from: must not be after to");
		goto bad;
	}
	rc = query_report(api->store, api->sites, k, &p, &doc, msg,
	    sizeof(msg));
	reply_query(req, rc, doc, msg);
	evhttp_clear_headers(&q);
	return;
bad:
	httpd_reply_error(req, 400, msg);
	evhttp_clear_headers(&q);
}

/* Today's date in UTC as YYYYMMDD. */
static uint32_t
today_utc(void)
{
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday);
}

static void
get_contracts(struct evhttp_request *req, struct hub_api *api)
{
	struct evkeyvalq	 q;
	json_t			*doc = NULL;
	const char		*v;
	unsigned long long	 days;
	int			 within = -1, rc;
	char			 msg[256] = "";

	if (httpd_query(req, &q) != 0) {
		httpd_reply_error(req, 400, "the query string does not parse");
		return;
	}
	if (check_params(&q, "expiring_within", msg, sizeof(msg)) != 0)
		goto bad;
	if ((v = evhttp_find_header(&q, "expiring_within")) != NULL) {
		if (parse_uint(v, 0, EXPIRING_WITHIN_MAX, &days) != 0) {
			snprintf(msg, sizeof(msg), "expiring_within: expected "
			    "a number of days from 0 to %d, got '%.32s'",
			    EXPIRING_WITHIN_MAX, v);
			goto bad;
		}
		within = (int)days;
	}
	rc = query_contracts(api->store, api->sites, within, today_utc(), &doc,
	    msg, sizeof(msg));
	reply_query(req, rc, doc, msg);
	evhttp_clear_headers(&q);
	return;
bad:
	httpd_reply_error(req, 400, msg);
	evhttp_clear_headers(&q);
}

static void
get_fees(struct evhttp_request *req, struct hub_api *api)
{
	struct evkeyvalq	 q;
	json_t			*doc = NULL;
	const char		*v;
	char			 day[16], msg[256] = "";
	unsigned		 d;
	uint32_t		 site;
	int			 rc;

	if (httpd_query(req, &q) != 0) {
		httpd_reply_error(req, 400, "the query string does not parse");
		return;
	}
	if (check_params(&q, "period site", msg, sizeof(msg)) != 0 ||
	    param_site(&q, &site, msg, sizeof(msg)) != 0)
		goto bad;
	if ((v = evhttp_find_header(&q, "period")) == NULL) {
		snprintf(msg, sizeof(msg), "period: required (YYYY-MM)");
		goto bad;
	}
	/* a month is valid when its first day is a valid date */
	snprintf(day, sizeof(day), "%.8s-01", v);
	if (strlen(v) != 7 || pbjson_parse_date(day, &d) != 0) {
		snprintf(msg, sizeof(msg), "period: expected a month YYYY-MM, "
		    "got '%.32s'", v);
		goto bad;
	}
	rc = query_fees(api->store, api->sites, d / 100, site, &doc, msg,
	    sizeof(msg));
	reply_query(req, rc, doc, msg);
	evhttp_clear_headers(&q);
	return;
bad:
	httpd_reply_error(req, 400, msg);
	evhttp_clear_headers(&q);
}

static void
get_metrics(struct evhttp_request *req, struct hub_api *api)
{
	const struct receiver_stats	*s = receiver_stats(api->receiver);
	const struct zap_stats		*z = zap_stats(api->zap);
	struct buf			 b = { 0 };
	size_t				 connected = 0, broken = 0;

	for (size_t i = 0; i < sites_count(api->sites); i++) {
		struct receiver_site	live;
		struct store_site_info	info;
		uint32_t		id = sites_at(api->sites, i)->id;

		receiver_site(api->receiver, id, &live);
		connected += live.connected;
		if (store_site(api->store, id, &info) == 0 && info.chain_broken)
			broken++;
	}
#define METRIC(name, type, help, fmt, val)				\
	buf_printf(&b, "# HELP msosync_hub_" name " " help "\n"		\
	    "# TYPE msosync_hub_" name " " type "\n"			\
	    "msosync_hub_" name " " fmt "\n", val)
	METRIC("events_applied_total", "counter", "Events stored.", "%llu",
	    (unsigned long long)s->events_applied);
	METRIC("batches_applied_total", "counter", "Batches acked.", "%llu",
	    (unsigned long long)s->batches_applied);
	METRIC("retransmits_total", "counter", "Records skipped as "
	    "retransmits.", "%llu", (unsigned long long)s->retransmits);
	METRIC("duplicates_total", "counter", "Events skipped as duplicates "
	    "of an event_id the site already sent.", "%llu",
	    (unsigned long long)s->duplicates);
	METRIC("commits_total", "counter", "Durable store transactions.",
	    "%llu", (unsigned long long)s->commits);
	METRIC("read_pauses_total", "counter", "Times reading stopped with "
	    "receive_queue_max_mb of batches waiting to be stored.", "%llu",
	    (unsigned long long)s->read_pauses);
	METRIC("auth_allowed_total", "counter", "ZAP handshakes allowed.",
	    "%llu", (unsigned long long)z->allowed);
	METRIC("auth_refused_total", "counter", "ZAP handshakes refused.",
	    "%llu", (unsigned long long)(z->refused_unknown +
	    z->refused_revoked + z->refused_other));
	METRIC("sites", "gauge", "Sites in the sites file.", "%zu",
	    sites_count(api->sites));
	METRIC("sites_connected", "gauge", "Sites with a live session.",
	    "%zu", connected);
	METRIC("sites_chain_broken", "gauge", "Sites stopped by a chain "
	    "alert.", "%zu", broken);
	METRIC("store_bytes", "gauge", "Store bytes in use.", "%zu",
	    store_bytes(api->store));
	METRIC("store_max_bytes", "gauge", "Store budget.", "%zu",
	    store_max_bytes(api->store));
#undef METRIC
	buf_puts(&b, "# HELP msosync_hub_rejects_total Frames refused, by "
	    "code.\n# TYPE msosync_hub_rejects_total counter\n");
	for (int c = 1; c < 16; c++)
		if (s->rejects[c])
			buf_printf(&b, "msosync_hub_rejects_total{code=\"%s\"} "
			    "%llu\n", wire_reject_code_name(c),
			    (unsigned long long)s->rejects[c]);
	httpd_reply(req, 200, "text/plain; version=0.0.4", &b);
	buf_free(&b);
}

static void
route(struct evhttp_request *req, void *arg)
{
	struct hub_api		*api = arg;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	const char		*who;
	char			 path[256];
	unsigned		 site;
	int			 off = 0;

	if (httpd_path(req, path, sizeof(path)) != 0) {
		httpd_reply_error(req, 404, "no such route");
		return;
	}
	if (strcmp(path, "/healthz") == 0) {
		struct buf b = { 0 };
		buf_puts(&b, "ok\n");
		httpd_reply(req, 200, "text/plain", &b);
		buf_free(&b);
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		get_metrics(req, api);
		return;
	}
	if (strncmp(path, "/v1/", 4) != 0) {
		httpd_reply_error(req, 404, "no such route");
		return;
	}
	if ((who = tokens_check(api->tokens, httpd_bearer(req) ?
	    httpd_bearer(req) : "")) == NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		httpd_reply_error(req, 401, "a valid bearer token is required");
		return;
	}
	if (sscanf(path, "/v1/sites/%u/resume%n", &site, &off) == 1 &&
	    path[off] == '\0') {
		if (cmd != EVHTTP_REQ_POST)
			httpd_reply_error(req, 405, "use POST");
		else
			post_resume(req, api, site, who);
		return;
	}
	if (cmd != EVHTTP_REQ_GET)
		httpd_reply_error(req, 405, "use GET");
	else if (strcmp(path, "/v1/sites") == 0)
		get_sites(req, api);
	else if (strcmp(path, "/v1/verify") == 0)
		get_verify(req, api);
	else if (strncmp(path, "/v1/report/", 11) == 0)
		get_report(req, api, path + 11);
	else if (strcmp(path, "/v1/contracts") == 0)
		get_contracts(req, api);
	else if (strcmp(path, "/v1/fees") == 0)
		get_fees(req, api);
	else
		httpd_reply_error(req, 404, "no such route");
}

void
hub_api_start(struct evhttp *http, struct hub_api *api)
{
	evhttp_set_gencb(http, route, api);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
}
