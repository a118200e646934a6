/*
 * bench_driver: the load side of tests/bench/run.sh, which starts (and
 * stops) every daemon and server this program measures. One subcommand a
 * measurement; each prints one JSON object on stdout, which run.sh folds
 * into results.json, and exits 0 only when everything it sent was taken
 * (or, for the waits, the target was reached in time).
 *
 * msosync is driven as its users drive it: libmsosync on the agent's ipc
 * socket, NDJSON over HTTP to the agent's API, and for the fan-in the
 * wire protocol v1 itself, over CurveZMQ, as hundreds of agents would
 * speak it. The peer, NATS JetStream, is driven through libnats and its
 * JetStream API. Both carry the same events: the NDJSON lines of one
 * `msoctl simulate` file, which NATS stores as message payloads and
 * msosync parses, validates and journals as protobuf.
 *
 * Threads: the ingest commands run one thread per client, the steady
 * commands add a poller (msosync) or libnats's delivery thread (NATS);
 * everything else runs on the main thread.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <lmdb.h>
#include <nats/nats.h>
#include <sodium.h>
#include <zmq.h>

#include "buf.h"
#include "chain.h"
#include "events.pb-c.h"
#include "msosync/msosync.h"
#include "simulate.h"
#include "store.pb-c.h"
#include "validate.h"
#include "wire.h"
#include "xmalloc.h"

#define NS		1000000000ULL
#define SUBMIT_MS	120000		/* a submit slower than this failed */
#define POLL_NS		2000000ULL	/* waits poll the hub this often */
#define STEADY_POLL_NS	1000000ULL	/* the steady poller over HTTP: 1 ms */
#define STEADY_DB_POLL_NS 200000ULL	/* ... reading the hub's store: 0.2 ms */
#define MAX_CLIENTS	64
#define STEADY_BATCH	500		/* events one paced submit carries */
#define TS_HEADER	"Bench-Ts"
#define Z85_KEY_LEN	40		/* a CURVE key as text */

static int	  g_argc;
static char	**g_argv;

/* One NDJSON line of the events file; lines are contiguous in memory. */
struct line {
	const char	*p;
	size_t		 len;		/* without the newline */
};

struct events {
	char		*data;
	struct line	*v;
	size_t		 n;
};

/* A keep-alive HTTP/1.1 client on a raw socket: enough for our daemons. */
struct http {
	char		host[64];
	int		port;
	int		fd;
	struct buf	in;
};

static void	die(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void
die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "bench_driver %s: ", g_argc > 1 ? g_argv[1] : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench_driver COMMAND [--option value ...]\n"
	    "  ingest      --mode ipc|http --target EP|URL --file F --clients C --batch B\n"
	    "              [--window W: ipc requests in flight per client, 1]\n"
	    "  rtt         --target EP --file F --count N\n"
	    "  fsync       --dir D --count N\n"
	    "  e2e         --mode ipc|http --target EP|URL --hub URL --token T --site ID --file F ...\n"
	    "  wait-hwm    --hub URL --token T --site ID --target N [--t0-ns NS]\n"
	    "  steady      --target EP --hub URL --token T --site ID --file F --rate R --seconds S\n"
	    "              [--hub-dir DIR: read the hub's store for its commits]\n"
	    "  fanin-keys  --sites N --out DIR\n"
	    "  fanin       --endpoint EP --hub-public-key Z85 --keys FILE --hub URL --token T\n"
	    "  nats-ingest --url U --file F --stream S [--subject-of S2]\n"
	    "  nats-rtt    --url U --file F --stream S --count N\n"
	    "  nats-e2e    --site-url U --hub-url U --file F --stream S\n"
	    "  nats-source --site-url U --hub-url U --stream S\n"
	    "  nats-wait   --url U --stream S --target N [--t0-ns NS]\n"
	    "  nats-steady --site-url U --hub-url U --file F --stream S --rate R --seconds S\n"
	    "common: --skip K (lines to skip) --count N (lines to use) --timeout S\n");
	exit(2);
}

/* --- options, time, numbers ------------------------------------------ */

static const char *
opt_str(const char *name, const char *def)
{
	for (int i = 2; i + 1 < g_argc; i += 2)
		if (strncmp(g_argv[i], "--", 2) == 0 &&
		    strcmp(g_argv[i] + 2, name) == 0)
			return g_argv[i + 1];
	return def;
}

static const char *
opt_req(const char *name)
{
	const char	*v = opt_str(name, NULL);

	if (v == NULL)
		die("--%s is required", name);
	return v;
}

static uint64_t
opt_num(const char *name, uint64_t def)
{
	const char	*v = opt_str(name, NULL);
	char		*end;
	uint64_t	 n;

	if (v == NULL)
		return def;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno != 0)
		die("--%s: not a number: %s", name, v);
	return n;
}

static uint64_t
mono_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static uint64_t
real_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static void
sleep_until(uint64_t mono)
{
	struct timespec	ts = { (time_t)(mono / NS), (long)(mono % NS) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of v, which must be sorted. */
static double
quantile_ms(const uint64_t *v, size_t n, double q)
{
	size_t	rank;

	if (n == 0)
		return 0;
	rank = (size_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)v[rank - 1] / 1e6;
}

/* "name_p50_ms":..,"name_p99_ms":.. and more, for ns samples (sorts v). */
static void
put_latency(struct buf *b, const char *name, uint64_t *v, size_t n)
{
	double	sum = 0;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < n; i++)
		sum += (double)v[i];
	buf_printf(b, ",\"%s_n\":%zu,\"%s_p50_ms\":%.3f,\"%s_p90_ms\":%.3f,"
	    "\"%s_p99_ms\":%.3f,\"%s_p999_ms\":%.3f,\"%s_max_ms\":%.3f,"
	    "\"%s_mean_ms\":%.3f", name, n, name, quantile_ms(v, n, 0.50),
	    name, quantile_ms(v, n, 0.90), name, quantile_ms(v, n, 0.99),
	    name, quantile_ms(v, n, 0.999), name, quantile_ms(v, n, 1.0),
	    name, n ? sum / (double)n / 1e6 : 0.0);
}

/*
 * Close the JSON object, with the load average and this process's own CPU
 * time (the client's cost).
 */
static void
emit(struct buf *b)
{
	struct rusage	ru;
	double		load[1];

	/* other work on the machine shows in every figure: say how much */
	if (getloadavg(load, 1) == 1)
		buf_printf(b, ",\"loadavg_1m\":%.2f", load[0]);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		buf_printf(b, ",\"driver_cpu_s\":%.3f",
		    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	buf_puts(b, "}\n");
	fputs(b->data, stdout);
	fflush(stdout);
	buf_free(b);
}

/* --- the events file --------------------------------------------------- */

/* Load the file, then keep lines [--skip, --skip + --count). */
static void
events_load(struct events *e)
{
	const char	*path = opt_req("file");
	size_t		 skip = opt_num("skip", 0), count = opt_num("count", 0);
	struct stat	 st;
	size_t		 cap = 0, off = 0;
	ssize_t		 r;
	int		 fd;

	memset(e, 0, sizeof(*e));
	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) != 0)
		die("%s: %s", path, strerror(errno));
	e->data = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size &&
	    (r = read(fd, e->data + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)r;
	close(fd);
	e->data[off] = '\0';
	for (char *p = e->data, *nl; p < e->data + off; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e->data + off - p))) == NULL)
			nl = e->data + off;
		if (nl == p)
			continue;
		if (e->n == cap) {
			cap = cap ? cap * 2 : 65536;
			e->v = xrealloc(e->v, cap * sizeof(*e->v));
		}
		e->v[e->n].p = p;
		e->v[e->n].len = (size_t)(nl - p);
		e->n++;
	}
	if (skip > e->n)
		die("%s: only %zu lines, cannot skip %zu", path, e->n, skip);
	memmove(e->v, e->v + skip, (e->n - skip) * sizeof(*e->v));
	e->n -= skip;
	if (count > 0) {
		if (count > e->n)
			die("%s: only %zu lines after the skip, %zu wanted",
			    path, e->n, count);
		e->n = count;
	}
	if (e->n == 0)
		die("%s: no events", path);
}

/* Lines [i, j) as one NDJSON text: they are contiguous in the file. */
static const char *
events_span(const struct events *e, size_t i, size_t j, size_t *len)
{
	*len = (size_t)(e->v[j - 1].p + e->v[j - 1].len - e->v[i].p);
	return e->v[i].p;
}

/* The event_id of a line, for Nats-Msg-Id. */
static void
line_id(const struct line *l, char *out, size_t outlen)
{
	static const char	 key[] = "\"event_id\":\"";
	const char		*s, *q;

	s = memmem(l->p, l->len, key, sizeof(key) - 1);
	if (s == NULL)
		die("a line without event_id: %.*s", (int)l->len, l->p);
	s += sizeof(key) - 1;
	q = memchr(s, '"', (size_t)(l->p + l->len - s));
	if (q == NULL || (size_t)(q - s) >= outlen)
		die("a line with a bad event_id");
	memcpy(out, s, (size_t)(q - s));
	out[q - s] = '\0';
}

/* --- HTTP ---------------------------------------------------------------- */

static void
http_init(struct http *h, const char *url)
{
	memset(h, 0, sizeof(*h));
	h->fd = -1;
	if (sscanf(url, "http://%63[^:/]:%d", h->host, &h->port) != 2)
		die("not an http://HOST:PORT url: %s", url);
}

static void
http_close(struct http *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	buf_reset(&h->in);
}

static void
http_free(struct http *h)
{
	http_close(h);
	buf_free(&h->in);
}

static int
http_connect(struct http *h)
{
	struct sockaddr_in	sa;
	int			one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)h->port);
	if (inet_pton(AF_INET, h->host, &sa.sin_addr) != 1)
		die("not an IPv4 address: %s", h->host);
	if ((h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(h->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		http_close(h);
		return -1;
	}
	return 0;
}

static int
write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Read more into h->in; 0 at EOF, -1 on error. */
static ssize_t
http_fill(struct http *h)
{
	ssize_t	r;

	buf_reserve(&h->in, 65536);
	do
		r = read(h->fd, h->in.data + h->in.len, h->in.cap - h->in.len - 1);
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		h->in.len += (size_t)r;
		h->in.data[h->in.len] = '\0';
	}
	return r;
}

/* One exchange on the open connection: the status, or -1 (retry). */
static int
http_once(struct http *h, const char *method, const char *path,
    const char *token, const void *body, size_t len, struct buf *resp)
{
	char		 head[1024], *end, *cl;
	struct iovec	 iov[2];
	size_t		 hlen, need;
	int		 status, n, closing;

	n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: %s:%d\r\n"
	    "%s%s%sContent-Type: application/x-ndjson\r\n"
	    "Content-Length: %zu\r\n\r\n", method, path, h->host, h->port,
	    token ? "Authorization: Bearer " : "", token ? token : "",
	    token ? "\r\n" : "", len);
	iov[0].iov_base = head;
	iov[0].iov_len = (size_t)n;
	iov[1].iov_base = (void *)body;
	iov[1].iov_len = len;
	if (write_all(h->fd, iov, len ? 2 : 1) != 0)
		return -1;
	buf_reset(&h->in);
	while ((end = strstr(h->in.data ? h->in.data : "", "\r\n\r\n")) ==
	    NULL)
		if (http_fill(h) <= 0)
			return -1;
	hlen = (size_t)(end - h->in.data) + 4;
	if (sscanf(h->in.data, "HTTP/1.%*d %d", &status) != 1)
		die("%s %s: not an HTTP answer", method, path);
	*end = '\0';
	cl = strcasestr(h->in.data, "\r\ncontent-length:");
	closing = strcasestr(h->in.data, "\r\nconnection: close") != NULL;
	*end = '\r';
	if (cl == NULL)
		die("%s %s: an answer without Content-Length", method, path);
	need = hlen + strtoul(cl + 17, NULL, 10);
	while (h->in.len < need)
		if (http_fill(h) <= 0)
			die("%s %s: connection lost mid-answer", method, path);
	buf_reset(resp);
	buf_append(resp, h->in.data + hlen, need - hlen);
	if (closing)
		http_close(h);
	return status;
}

/*
 * method path -> status, body in resp. A keep-alive connection the server
 * closed while idle is reopened and the request sent again, once: every
 * request here is idempotent (a resent submit comes back as duplicates,
 * which the callers count as a failure).
 */
static int
http_do(struct http *h, const char *method, const char *path,
    const char *token, const void *body, size_t len, struct buf *resp)
{
	int	status;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (h->fd < 0 && http_connect(h) != 0)
			return -1;
		if ((status = http_once(h, method, path, token, body, len,
		    resp)) >= 0)
			return status;
		http_close(h);
	}
	return -1;
}

/* GET a JSON document; NULL when the server is not answering (yet). */
static json_t *
http_json(struct http *h, const char *path, const char *token)
{
	struct buf	 b = { 0 };
	json_t		*j = NULL;
	int		 status;

	status = http_do(h, "GET", path, token, NULL, 0, &b);
	if (status == 200)
		j = json_loadb(b.data, b.len, 0, NULL);
	buf_free(&b);
	return j;
}

/* A site's entry of the hub's /v1/sites, borrowed from 'all'. */
static json_t *
hub_site(json_t *all, uint64_t site)
{
	json_t	*sites = json_object_get(all, "sites"), *s;
	size_t	 i;

	json_array_foreach(sites, i, s)
		if ((uint64_t)json_integer_value(json_object_get(s,
		    "site_id")) == site)
			return s;
	return NULL;
}

/* The site's hwm at the hub, or -1 when the hub does not answer. */
static int64_t
hub_hwm(struct http *h, const char *token, uint64_t site)
{
	json_t	*all = http_json(h, "/v1/sites", token), *s;
	int64_t	 hwm = -1;

	if (all == NULL)
		return -1;
	if ((s = hub_site(all, site)) != NULL)
		hwm = json_integer_value(json_object_get(s, "hwm"));
	json_decref(all);
	return hwm;
}

/*
 * Poll until the hub's hwm for 'site' reaches 'target' or 'timeout_ns'
 * passes. *first gets the monotonic time the hwm was first seen above
 * 'from' (0: never). Returns the monotonic time it was reached, 0 on
 * timeout.
 */
static uint64_t
wait_hwm(struct http *h, const char *token, uint64_t site, uint64_t target,
    uint64_t from, uint64_t timeout_ns, uint64_t *first)
{
	uint64_t	start = mono_ns(), now;
	int64_t		hwm;

	if (first != NULL)
		*first = 0;
	for (;;) {
		hwm = hub_hwm(h, token, site);
		now = mono_ns();
		if (first != NULL && *first == 0 && hwm > (int64_t)from)
			*first = now;
		if (hwm >= (int64_t)target)
			return now;
		if (now - start > timeout_ns)
			return 0;
		sleep_until(now + POLL_NS);
	}
}

/* --- ingest: clients in threads ---------------------------------------- */

struct job {
	const struct events	*ev;
	const char		*target;
	int			 http;
	size_t			 batch;
	size_t			 window;	/* ipc requests in flight */
	size_t			 id, nclients;
	pthread_barrier_t	*start;
	uint64_t		 accepted, dups;
	uint64_t		*lat;		/* ns per request */
	size_t			 nlat;
	char			 err[256];
};

/* A 200 with one result per event, counted; else the job's error. */
static int
check_ipc_reply(struct msosync_reply *rep, size_t nev, struct job *j)
{
	if (rep->status != MSOSYNC_STATUS_OK || rep->nresults != nev) {
		snprintf(j->err, sizeof(j->err), "status %d, %zu results for "
		    "%zu events%s%s", rep->status, rep->nresults, nev,
		    rep->nerrors ? ": " : "",
		    rep->nerrors ? rep->errors[0].message : "");
		msosync_reply_free(&rep);
		return -1;
	}
	for (size_t i = 0; i < rep->nresults; i++) {
		if (rep->results[i].duplicate)
			j->dups++;
		else
			j->accepted++;
	}
	msosync_reply_free(&rep);
	return 0;
}

/* Wait for one answer of those in flight; its latency goes to j->lat. */
static int
recv_ipc(struct msosync_client *c, const uint64_t *sent_at,
    const size_t *nev, struct job *j)
{
	struct msosync_reply	*rep = NULL;
	uint64_t		 ticket;
	int			 rc;

	if ((rc = msosync_recv_reply(c, &ticket, &rep)) != 0) {
		snprintf(j->err, sizeof(j->err), "submit: %s",
		    msosync_strerror(rc));
		return -1;
	}
	j->lat[j->nlat++] = mono_ns() - sent_at[ticket];
	return check_ipc_reply(rep, nev[ticket], j);
}

static size_t
count_str(const char *s, size_t len, const char *what)
{
	size_t		n = 0, wl = strlen(what);
	const char	*p = s, *end = s + len;

	while ((p = memmem(p, (size_t)(end - p), what, wl)) != NULL) {
		n++;
		p += wl;
	}
	return n;
}

static int
submit_http(struct http *h, struct buf *resp, const char *text, size_t len,
    size_t nev, struct job *j)
{
	int	status;
	size_t	acc, dup;

	status = http_do(h, "POST", "/v1/events", NULL, text, len, resp);
	if (status != 200) {
		snprintf(j->err, sizeof(j->err), "POST /v1/events: status %d: "
		    "%.150s", status, resp->data ? resp->data : "");
		return -1;
	}
	acc = count_str(resp->data, resp->len, "\"status\":\"accepted\"");
	dup = count_str(resp->data, resp->len, "\"status\":\"duplicate\"");
	if (acc + dup != nev) {
		snprintf(j->err, sizeof(j->err), "%zu results for %zu events",
		    acc + dup, nev);
		return -1;
	}
	j->accepted += acc;
	j->dups += dup;
	return 0;
}

/*
 * Batch k of the file goes to client k % nclients. Over ipc a client keeps
 * up to j->window requests in flight (libmsosync's pipelined submits).
 */
static void *
ingest_thread(void *arg)
{
	struct job		*j = arg;
	struct msosync_client	*c = NULL;
	struct http		 h;
	struct buf		 resp = { 0 };
	size_t			 nb = (j->ev->n + j->batch - 1) / j->batch;
	size_t			 mine = nb / j->nclients + 1;
	uint64_t		*sent_at = xcalloc(mine + 1, sizeof(*sent_at));
	size_t			*nev = xcalloc(mine + 1, sizeof(*nev));
	uint64_t		 ticket;
	int			 rc = 0;

	j->lat = xcalloc(mine, sizeof(*j->lat));
	if (j->http)
		http_init(&h, j->target);
	else if ((rc = msosync_connect(j->target, SUBMIT_MS, &c)) != 0)
		die("msosync_connect %s: %s", j->target, msosync_strerror(rc));
	pthread_barrier_wait(j->start);
	for (size_t k = j->id; k < nb && rc == 0; k += j->nclients) {
		size_t		 first = k * j->batch, last = first + j->batch;
		size_t		 len;
		const char	*text;
		uint64_t	 t0;

		if (last > j->ev->n)
			last = j->ev->n;
		text = events_span(j->ev, first, last, &len);
		t0 = mono_ns();
		if (j->http) {
			if ((rc = submit_http(&h, &resp, text, len,
			    last - first, j)) == 0)
				j->lat[j->nlat++] = mono_ns() - t0;
			continue;
		}
		if ((rc = msosync_send_json(c, text, len, &ticket)) != 0) {
			snprintf(j->err, sizeof(j->err), "send: %s",
			    msosync_strerror(rc));
			break;
		}
		sent_at[ticket] = t0;
		nev[ticket] = last - first;
		if (msosync_in_flight(c) >= j->window)
			rc = recv_ipc(c, sent_at, nev, j);
	}
	while (rc == 0 && c != NULL && msosync_in_flight(c) > 0)
		rc = recv_ipc(c, sent_at, nev, j);
	if (j->http)
		http_free(&h);
	buf_free(&resp);
	msosync_close(&c);
	free(sent_at);
	free(nev);
	return NULL;
}

struct ingest_result {
	uint64_t	 accepted, dups;
	uint64_t	 t0, t1;	/* monotonic */
	uint64_t	*lat;
	size_t		 nlat;
};

/* Run --clients clients over the events; dies if any request failed. */
static void
run_ingest(const struct events *ev, const char *mode, const char *target,
    struct ingest_result *r)
{
	struct job		 jobs[MAX_CLIENTS];
	pthread_t		 th[MAX_CLIENTS];
	pthread_barrier_t	 start;
	size_t			 n = opt_num("clients", 1);
	size_t			 batch = opt_num("batch", 100);
	size_t			 window = opt_num("window", 1);

	if (n == 0 || n > MAX_CLIENTS || batch == 0 ||
	    batch > MSOSYNC_MAX_EVENTS || window == 0 || window > 64)
		die("--clients 1..%d, --batch 1..%d, --window 1..64",
		    MAX_CLIENTS, MSOSYNC_MAX_EVENTS);
	if (strcmp(mode, "ipc") != 0 && strcmp(mode, "http") != 0)
		die("--mode ipc or http");
	memset(r, 0, sizeof(*r));
	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	for (size_t i = 0; i < n; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].ev = ev;
		jobs[i].target = target;
		jobs[i].http = strcmp(mode, "http") == 0;
		jobs[i].batch = batch;
		jobs[i].window = window;
		jobs[i].id = i;
		jobs[i].nclients = n;
		jobs[i].start = &start;
		if (pthread_create(&th[i], NULL, ingest_thread, &jobs[i]) != 0)
			die("pthread_create");
	}
	pthread_barrier_wait(&start);
	r->t0 = mono_ns();
	for (size_t i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	r->t1 = mono_ns();
	pthread_barrier_destroy(&start);
	r->lat = xcalloc(ev->n / batch + n + 1, sizeof(*r->lat));
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].err[0] != '\0')
			die("client %zu: %s", i, jobs[i].err);
		r->accepted += jobs[i].accepted;
		r->dups += jobs[i].dups;
		memcpy(r->lat + r->nlat, jobs[i].lat,
		    jobs[i].nlat * sizeof(*r->lat));
		r->nlat += jobs[i].nlat;
		free(jobs[i].lat);
	}
	if (r->accepted != ev->n)
		die("%" PRIu64 " of %zu events accepted (%" PRIu64
		    " duplicates): not a fresh agent?", r->accepted, ev->n,
		    r->dups);
}

static int
cmd_ingest(void)
{
	struct events		 ev;
	struct ingest_result	 r;
	struct buf		 out = { 0 };
	double			 s;

	events_load(&ev);
	run_ingest(&ev, opt_req("mode"), opt_req("target"), &r);
	s = (double)(r.t1 - r.t0) / 1e9;
	buf_printf(&out, "{\"events\":%zu,\"seconds\":%.4f,\"eps\":%.0f,"
	    "\"clients\":%s,\"batch\":%s,\"window\":%s", ev.n, s,
	    (double)ev.n / s, opt_str("clients", "1"), opt_str("batch", "100"),
	    opt_str("window", "1"));
	put_latency(&out, "request", r.lat, r.nlat);
	emit(&out);
	free(r.lat);
	return 0;
}

/* One event a request, one request at a time: the durable round trip. */
static int
cmd_rtt(void)
{
	struct events		 ev;
	struct msosync_client	*c = NULL;
	struct job		 j;
	struct buf		 out = { 0 };
	uint64_t		*lat;
	int			 rc;

	events_load(&ev);
	memset(&j, 0, sizeof(j));
	if ((rc = msosync_connect(opt_req("target"), SUBMIT_MS, &c)) != 0)
		die("msosync_connect: %s", msosync_strerror(rc));
	lat = xcalloc(ev.n, sizeof(*lat));
	for (size_t i = 0; i < ev.n; i++) {
		struct msosync_reply	*rep = NULL;
		uint64_t		 t0 = mono_ns();

		if ((rc = msosync_submit_json(c, ev.v[i].p, ev.v[i].len,
		    &rep)) != 0)
			die("submit: %s", msosync_strerror(rc));
		if (check_ipc_reply(rep, 1, &j) != 0)
			die("%s", j.err);
		lat[i] = mono_ns() - t0;
	}
	msosync_close(&c);
	buf_printf(&out, "{\"events\":%zu", ev.n);
	put_latency(&out, "rtt", lat, ev.n);
	emit(&out);
	free(lat);
	return 0;
}

/*
 * What one durable commit costs on this disk: a 4 KiB write and an fsync,
 * --count times, in a file under --dir. An LMDB commit costs about two of
 * these: the data pages and an fdatasync, then the meta page through an
 * O_DSYNC descriptor.
 */
static int
cmd_fsync(void)
{
	const char	*dir = opt_req("dir");
	size_t		 n = opt_num("count", 200);
	char		 path[4096], page[4096];
	uint64_t	*lat = xcalloc(n, sizeof(*lat));
	struct buf	 out = { 0 };
	int		 fd;

	snprintf(path, sizeof(path), "%s/fsync-probe", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0)
		die("%s: %s", path, strerror(errno));
	randombytes_buf(page, sizeof(page));
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = mono_ns();

		if (pwrite(fd, page, sizeof(page), (off_t)(i * sizeof(page))) !=
		    (ssize_t)sizeof(page) || fsync(fd) != 0)
			die("%s: %s", path, strerror(errno));
		lat[i] = mono_ns() - t0;
	}
	close(fd);
	unlink(path);
	buf_printf(&out, "{\"count\":%zu", n);
	put_latency(&out, "fsync", lat, n);
	emit(&out);
	free(lat);
	return 0;
}

/* Submit at the site, then wait until the hub holds every event. */
static int
cmd_e2e(void)
{
	struct events		 ev;
	struct ingest_result	 r;
	struct http		 h;
	struct buf		 out = { 0 };
	const char		*token = opt_req("token");
	uint64_t		 site = opt_num("site", 1), done;

	events_load(&ev);
	http_init(&h, opt_req("hub"));
	run_ingest(&ev, opt_req("mode"), opt_req("target"), &r);
	done = wait_hwm(&h, token, site, ev.n, 0,
	    opt_num("timeout", 300) * NS, NULL);
	if (done == 0)
		die("the hub did not reach hwm %zu in time", ev.n);
	buf_printf(&out, "{\"events\":%zu,\"ingest_seconds\":%.4f,"
	    "\"ingest_eps\":%.0f,\"seconds\":%.4f,\"eps\":%.0f", ev.n,
	    (double)(r.t1 - r.t0) / 1e9,
	    (double)ev.n / ((double)(r.t1 - r.t0) / 1e9),
	    (double)(done - r.t0) / 1e9,
	    (double)ev.n / ((double)(done - r.t0) / 1e9));
	emit(&out);
	http_free(&h);
	free(r.lat);
	return 0;
}

/*
 * Catch-up: the hub was started at --t0-ns (CLOCK_REALTIME, by run.sh);
 * wait until its hwm for the site reaches --target.
 */
static int
cmd_wait_hwm(void)
{
	struct http	 h;
	struct buf	 out = { 0 };
	uint64_t	 target = opt_num("target", 0), site = opt_num("site", 1);
	uint64_t	 from = opt_num("from", 0);
	uint64_t	 t0 = opt_num("t0-ns", 0), now_r, now_m, first, done;
	double		 off;

	http_init(&h, opt_req("hub"));
	now_r = real_ns();
	now_m = mono_ns();
	/* the real-time start, on the monotonic clock */
	off = t0 ? (double)(now_r - t0) / 1e9 : 0;
	done = wait_hwm(&h, opt_req("token"), site, target, from,
	    opt_num("timeout", 600) * NS, &first);
	if (done == 0)
		die("the hub did not reach hwm %" PRIu64 " in time", target);
	buf_printf(&out, "{\"events\":%" PRIu64 ",\"seconds\":%.4f,"
	    "\"first_progress_s\":%.4f,\"catchup_seconds\":%.4f,"
	    "\"catchup_eps\":%.0f", target - from,
	    off + (double)(done - now_m) / 1e9,
	    off + (double)(first - now_m) / 1e9,
	    (double)(done - first) / 1e9,
	    done > first ? (double)(target - from) /
	    ((double)(done - first) / 1e9) : 0.0);
	emit(&out);
	http_free(&h);
	return 0;
}

/* --- steady rate: submit -> hub commit ---------------------------------- */

/*
 * The hub's store, read in place (read-only, beside the running hub) to
 * see a commit the moment it is durable: LMDB shows a transaction to
 * readers only once its meta page is synced. The layout is store.c's:
 * db "sites", key the site id as 4 bytes big-endian, value a SiteState.
 * The peer's figure is a push to a consumer, so polling the hub's HTTP
 * API every millisecond would add about half a millisecond to ours.
 */
struct hubdb {
	MDB_env		*env;
	MDB_dbi		 sites;
};

static void
hubdb_open(struct hubdb *h, const char *dir)
{
	MDB_txn	*txn;
	int	 rc;

	if ((rc = mdb_env_create(&h->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(h->env, 16)) != 0 ||
	    (rc = mdb_env_open(h->env, dir, MDB_RDONLY | MDB_NOTLS, 0600)) != 0 ||
	    (rc = mdb_txn_begin(h->env, NULL, MDB_RDONLY, &txn)) != 0)
		die("hub store %s: %s", dir, mdb_strerror(rc));
	if ((rc = mdb_dbi_open(txn, "sites", 0, &h->sites)) != 0)
		die("hub store %s: sites: %s", dir, mdb_strerror(rc));
	mdb_txn_commit(txn);	/* an abort would close the handle */
}

static int64_t
hubdb_hwm(struct hubdb *h, uint32_t site)
{
	Msosync__SiteState	*ss;
	MDB_txn			*txn;
	MDB_val			 k, v;
	uint8_t			 kb[4] = { site >> 24, site >> 16, site >> 8,
				    site };
	int64_t			 hwm = -1;
	int			 rc;

	rc = mdb_txn_begin(h->env, NULL, MDB_RDONLY, &txn);
	if (rc == MDB_MAP_RESIZED) {	/* the hub grew its map */
		mdb_env_set_mapsize(h->env, 0);
		rc = mdb_txn_begin(h->env, NULL, MDB_RDONLY, &txn);
	}
	if (rc != 0)
		die("hub store: %s", mdb_strerror(rc));
	k.mv_data = kb;
	k.mv_size = sizeof(kb);
	if (mdb_get(txn, h->sites, &k, &v) == 0 &&
	    (ss = msosync__site_state__unpack(NULL, v.mv_size, v.mv_data))
	    != NULL) {
		hwm = (int64_t)ss->hwm;
		msosync__site_state__free_unpacked(ss, NULL);
	}
	mdb_txn_abort(txn);
	return hwm;
}

struct sample {
	uint64_t	at;		/* monotonic, when the answer came */
	uint64_t	hwm;
};

struct steady {
	const struct events	*ev;
	const char		*target;
	size_t			 n;
	double			 rate;
	uint64_t		 start;
	pthread_mutex_t		 mu;
	size_t			 next;
	uint64_t		*seq;		/* per event, from the reply */
	uint64_t		*replied;	/* per event, monotonic */
	char			 err[256];
	/* the poller */
	struct http		 hub;
	const char		*token;
	uint64_t		 site;
	volatile int		 stop;
	struct hubdb		 db;		/* env NULL: poll over HTTP */
	uint64_t		 poll_ns;
	struct sample		*s;
	size_t			 ns, scap;
	uint64_t		 polls;
};

static uint64_t
sched_ns(const struct steady *st, size_t i)
{
	return st->start + (uint64_t)((double)i * 1e9 / st->rate);
}

static void *
steady_submitter(void *arg)
{
	struct steady		*st = arg;
	struct msosync_client	*c = NULL;
	struct msosync_reply	*rep = NULL;
	int			 rc;

	if ((rc = msosync_connect(st->target, SUBMIT_MS, &c)) != 0)
		die("msosync_connect: %s", msosync_strerror(rc));
	for (;;) {
		size_t		 i, j, due, len;
		const char	*text;
		uint64_t	 now;

		pthread_mutex_lock(&st->mu);
		i = st->next;
		if (i >= st->n || st->err[0] != '\0') {
			pthread_mutex_unlock(&st->mu);
			break;
		}
		now = mono_ns();
		due = now < st->start ? 0 : (size_t)((double)(now -
		    st->start) * st->rate / 1e9) + 1;
		if (due > st->n)
			due = st->n;
		if (i >= due) {
			pthread_mutex_unlock(&st->mu);
			sleep_until(sched_ns(st, i));
			continue;
		}
		j = due - i > STEADY_BATCH ? i + STEADY_BATCH : due;
		st->next = j;
		pthread_mutex_unlock(&st->mu);

		text = events_span(st->ev, i, j, &len);
		rc = msosync_submit_json(c, text, len, &rep);
		now = mono_ns();
		if (rc != 0 || rep->status != 200 || rep->nresults != j - i) {
			pthread_mutex_lock(&st->mu);
			snprintf(st->err, sizeof(st->err), "submit: %s, "
			    "status %d", msosync_strerror(rc),
			    rep ? rep->status : 0);
			pthread_mutex_unlock(&st->mu);
			msosync_reply_free(&rep);
			break;
		}
		for (size_t k = i; k < j; k++) {
			st->seq[k] = rep->results[k - i].seq;
			st->replied[k] = now;
		}
		msosync_reply_free(&rep);
	}
	msosync_close(&c);
	return NULL;
}

/* Every poll interval, the hub's hwm and when it was seen. */
static void *
steady_poller(void *arg)
{
	struct steady	*st = arg;
	uint64_t	 last = 0;

	while (!st->stop) {
		uint64_t	t = mono_ns();
		int64_t		hwm = st->db.env != NULL ?
				    hubdb_hwm(&st->db, (uint32_t)st->site) :
				    hub_hwm(&st->hub, st->token, st->site);

		st->polls++;
		if (hwm > (int64_t)last) {
			if (st->ns == st->scap) {
				st->scap = st->scap ? st->scap * 2 : 4096;
				st->s = xrealloc(st->s,
				    st->scap * sizeof(*st->s));
			}
			st->s[st->ns].at = mono_ns();
			st->s[st->ns].hwm = (uint64_t)hwm;
			st->ns++;
			last = (uint64_t)hwm;
		}
		sleep_until(t + st->poll_ns);
	}
	return NULL;
}

/* The first sample whose hwm covers seq: when it was known committed. */
static uint64_t
committed_at(const struct steady *st, uint64_t seq)
{
	size_t	lo = 0, hi = st->ns;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (st->s[mid].hwm >= seq)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < st->ns ? st->s[lo].at : 0;
}

static int
cmd_steady(void)
{
	struct events		 ev;
	struct steady		 st;
	struct msosync_client	*c = NULL;
	struct msosync_reply	*rep = NULL;
	struct buf		 out = { 0 };
	pthread_t		 th[MAX_CLIENTS], poller;
	size_t			 nclients = opt_num("clients", 4), n;
	uint64_t		*lat, *jlat, *hlat, maxseq = 0, warm, end;
	int			 rc;

	events_load(&ev);
	if (ev.n < 2)
		die("need at least two events");
	if (nclients == 0 || nclients > MAX_CLIENTS)
		die("--clients 1..%d", MAX_CLIENTS);
	memset(&st, 0, sizeof(st));
	st.ev = &ev;
	st.target = opt_req("target");
	st.rate = (double)opt_num("rate", 5000);
	n = (size_t)(st.rate * (double)opt_num("seconds", 10));
	st.n = n < ev.n - 1 ? n : ev.n - 1;
	st.token = opt_req("token");
	st.site = opt_num("site", 1);
	st.seq = xcalloc(st.n, sizeof(*st.seq));
	st.replied = xcalloc(st.n, sizeof(*st.replied));
	pthread_mutex_init(&st.mu, NULL);
	http_init(&st.hub, opt_req("hub"));
	st.poll_ns = STEADY_POLL_NS;
	if (opt_str("hub-dir", NULL) != NULL) {
		hubdb_open(&st.db, opt_str("hub-dir", NULL));
		st.poll_ns = STEADY_DB_POLL_NS;
	}

	/* warm up with the last line: the link is up and the hub answers */
	if ((rc = msosync_connect(st.target, SUBMIT_MS, &c)) != 0 ||
	    (rc = msosync_submit_json(c, ev.v[ev.n - 1].p, ev.v[ev.n - 1].len,
	    &rep)) != 0 || rep->status != 200)
		die("warm-up submit failed: %s", msosync_strerror(rc));
	warm = rep->results[0].seq;
	msosync_reply_free(&rep);
	msosync_close(&c);
	if (wait_hwm(&st.hub, st.token, st.site, warm, 0, 30 * NS, NULL) == 0)
		die("the warm-up event did not reach the hub");

	st.start = mono_ns() + 20000000ULL;
	if (pthread_create(&poller, NULL, steady_poller, &st) != 0)
		die("pthread_create");
	for (size_t i = 0; i < nclients; i++)
		if (pthread_create(&th[i], NULL, steady_submitter, &st) != 0)
			die("pthread_create");
	for (size_t i = 0; i < nclients; i++)
		pthread_join(th[i], NULL);
	end = mono_ns();
	if (st.err[0] != '\0')
		die("%s", st.err);
	for (size_t i = 0; i < st.n; i++)
		if (st.seq[i] > maxseq)
			maxseq = st.seq[i];
	while (st.ns == 0 || st.s[st.ns - 1].hwm < maxseq) {
		if (mono_ns() - end > 60 * NS)
			die("the hub did not reach hwm %" PRIu64, maxseq);
		usleep(1000);
	}
	st.stop = 1;
	pthread_join(poller, NULL);

	lat = xcalloc(st.n, sizeof(*lat));
	jlat = xcalloc(st.n, sizeof(*jlat));
	hlat = xcalloc(st.n, sizeof(*hlat));
	for (size_t i = 0; i < st.n; i++) {
		uint64_t at = committed_at(&st, st.seq[i]);

		lat[i] = at - sched_ns(&st, i);
		jlat[i] = st.replied[i] - sched_ns(&st, i);
		/* the hub may commit before the client has read its reply */
		hlat[i] = at > st.replied[i] ? at - st.replied[i] : 0;
	}
	buf_printf(&out, "{\"events\":%zu,\"rate\":%.0f,\"achieved_eps\":%.0f,"
	    "\"polls\":%" PRIu64 ",\"poll_interval_ms\":%.3f", st.n, st.rate,
	    (double)st.n / ((double)(end - st.start) / 1e9), st.polls,
	    (double)st.poll_ns / 1e6);
	put_latency(&out, "hub_commit", lat, st.n);
	put_latency(&out, "journal", jlat, st.n);
	put_latency(&out, "journal_to_hub", hlat, st.n);
	emit(&out);
	http_free(&st.hub);
	free(lat);
	free(jlat);
	free(hlat);
	free(st.s);
	free(st.seq);
	free(st.replied);
	if (st.db.env != NULL)
		mdb_env_close(st.db.env);
	return 0;
}

/* --- fan-in: hundreds of agents speaking wire v1 ----------------------- */

struct fsite {
	uint32_t	 id;
	char		 pub[Z85_KEY_LEN + 1];
	char		 sec[Z85_KEY_LEN + 1];
	void		*sock;
	uint8_t		 epoch[WIRE_EPOCH_LEN];
	struct buf	*frames;	/* batches, built before the clock starts */
	uint64_t	*last;		/* last seq of each batch */
	size_t		 nframes;
	size_t		 next;		/* first batch not sent */
	size_t		 oldest;	/* first batch not acked */
	uint64_t	 total, acked;
	uint32_t	 credit;
	int		 state;		/* 0 hello, 1 streaming, 2 done */
};

struct fbuild {
	struct fsite		*s;
	struct wire_batch	 b;
	struct buf		 packed;
	uint8_t			 prev[CHAIN_HASH_LEN];
	uint8_t			 pepper[32];
	size_t			 want, batch;
	int64_t			 now;
};

static void
fbuild_flush(struct fbuild *fb)
{
	struct fsite	*s = fb->s;

	if (fb->b.n == 0)
		return;
	s->frames = xrealloc(s->frames, (s->nframes + 1) * sizeof(*s->frames));
	s->last = xrealloc(s->last, (s->nframes + 1) * sizeof(*s->last));
	memset(&s->frames[s->nframes], 0, sizeof(s->frames[0]));
	wire_batch_finish(&fb->b, &s->frames[s->nframes]);
	s->last[s->nframes] = fb->b.first_seq + fb->b.n - 1;
	s->nframes++;
	wire_batch_reset(&fb->b, fb->b.first_seq + fb->b.n);
}

/* Each simulated event as an agent journals it: stamped, seq'd, chained. */
static int
fbuild_emit(const Msosync__Event *ev, void *arg)
{
	struct fbuild	*fb = arg;
	Msosync__Event	*copy;
	uint8_t		 hash[CHAIN_HASH_LEN];
	uint64_t	 seq = fb->s->total + 1;
	size_t		 len;

	if (fb->s->total == fb->want)
		return 1;
	len = msosync__event__get_packed_size(ev);
	buf_reset(&fb->packed);
	buf_reserve(&fb->packed, len);
	msosync__event__pack(ev, (uint8_t *)fb->packed.data);
	if ((copy = msosync__event__unpack(NULL, len,
	    (uint8_t *)fb->packed.data)) == NULL)
		die("cannot unpack a simulated event");
	validate_stamp(copy, fb->s->id, fb->now, fb->pepper, NULL);
	copy->seq = seq;
	len = msosync__event__get_packed_size(copy);
	buf_reset(&fb->packed);
	buf_reserve(&fb->packed, len);
	msosync__event__pack(copy, (uint8_t *)fb->packed.data);
	msosync__event__free_unpacked(copy, NULL);
	chain_hash(fb->prev, seq, fb->packed.data, len, hash);
	memcpy(fb->prev, hash, CHAIN_HASH_LEN);
	if (fb->b.n > 0 && (fb->b.n >= fb->batch ||
	    wire_batch_len_after(&fb->b, len) > WIRE_MAX_BATCH_BYTES))
		fbuild_flush(fb);
	wire_batch_add(&fb->b, seq, hash, fb->packed.data, len);
	fb->s->total++;
	return 0;
}

static void
fanin_build(struct fsite *s, size_t want, size_t batch, uint32_t end_date)
{
	struct fbuild		fb;
	struct sim_params	p;
	int			rc;

	memset(&fb, 0, sizeof(fb));
	fb.s = s;
	fb.want = want;
	fb.batch = batch;
	fb.now = (int64_t)(real_ns() / 1000000);
	randombytes_buf(fb.pepper, sizeof(fb.pepper));
	memcpy(fb.prev, chain_genesis, CHAIN_HASH_LEN);
	wire_batch_reset(&fb.b, 1);
	p.days = 2;
	p.rate = want < 20 ? 20 : (unsigned)(want > SIM_RATE_MAX ?
	    SIM_RATE_MAX : want);
	p.seed = 0xfa00 + s->id;
	p.end_date = end_date;
	rc = sim_generate(&p, s->id, fbuild_emit, &fb, NULL);
	if (rc != 0 && rc != 1)
		die("sim_generate: %s", msosync_strerror(rc));
	fbuild_flush(&fb);
	wire_batch_free(&fb.b);
	buf_free(&fb.packed);
	if (s->total != want)
		die("site %u: simulated %" PRIu64 " events, %zu wanted", s->id,
		    s->total, want);
}

static void
fanin_send(struct fsite *s)
{
	while (s->next < s->nframes && s->next - s->oldest < s->credit) {
		struct buf *f = &s->frames[s->next];

		if (zmq_send(s->sock, f->data, f->len, ZMQ_DONTWAIT) < 0) {
			if (errno == EAGAIN)
				return;
			die("site %u: send: %s", s->id, zmq_strerror(errno));
		}
		s->next++;
	}
}

/* Read every frame the hub has for site s. Returns sites finished now. */
static int
fanin_read(struct fsite *s)
{
	Msosync__Frame	*f = NULL;
	zmq_msg_t	 m;
	int		 finished = 0;

	for (;;) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			if (errno == EAGAIN)
				break;
			die("site %u: recv: %s", s->id, zmq_strerror(errno));
		}
		if (wire_decode(zmq_msg_data(&m), zmq_msg_size(&m),
		    WIRE_MAX_FRAME, NULL, &f) != 0)
			die("site %u: an undecodable frame", s->id);
		zmq_msg_close(&m);
		switch (f->kind_case) {
		case MSOSYNC__FRAME__KIND_WELCOME:
			if (f->welcome->acked_seq != 0)
				die("site %u: the hub holds %" PRIu64 " events "
				    "already: not a fresh hub", s->id,
				    f->welcome->acked_seq);
			s->credit = f->welcome->credit ? f->welcome->credit : 1;
			s->state = 1;
			break;
		case MSOSYNC__FRAME__KIND_ACK:
			if (f->ack->acked_seq > s->acked)
				s->acked = f->ack->acked_seq;
			if (f->ack->credit > 0)
				s->credit = f->ack->credit;
			while (s->oldest < s->next &&
			    s->last[s->oldest] <= s->acked)
				s->oldest++;
			break;
		case MSOSYNC__FRAME__KIND_REJECT:
			die("site %u: reject %s: %s", s->id,
			    wire_reject_code_name((int)f->reject->code),
			    f->reject->message);
		default:
			break;
		}
		wire_frame_free(&f);
		if (s->state == 1 && s->acked == s->total) {
			s->state = 2;
			finished++;
		}
	}
	if (s->state == 1)
		fanin_send(s);
	return finished;
}

/* Key pairs and the hub's sites file for --sites sites. */
static int
cmd_fanin_keys(void)
{
	size_t		 n = opt_num("sites", 500);
	const char	*dir = opt_req("out");
	char		 path[4096], pub[41], sec[41];
	FILE		*keys, *sites;

	snprintf(path, sizeof(path), "%s/fanin.keys", dir);
	if ((keys = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	fchmod(fileno(keys), 0600);
	snprintf(path, sizeof(path), "%s/fanin-sites.conf", dir);
	if ((sites = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	for (size_t i = 1; i <= n; i++) {
		if (zmq_curve_keypair(pub, sec) != 0)
			die("zmq_curve_keypair: %s", zmq_strerror(errno));
		fprintf(keys, "%zu %s %s\n", i, pub, sec);
		fprintf(sites, "[site %zu]\nname = Bench clinic %zu\n"
		    "public_key = %s\nfee_model = percent\n"
		    "fee_percent_bp = 600\n\n", i, i, pub);
	}
	if (fclose(keys) != 0 || fclose(sites) != 0)
		die("writing %s: %s", dir, strerror(errno));
	printf("{\"sites\":%zu}\n", n);
	return 0;
}

static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static uint32_t
today_ymd(void)
{
	time_t		t = time(NULL);
	struct tm	tm;

	gmtime_r(&t, &tm);
	return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday);
}

static int
cmd_fanin(void)
{
	const char	*endpoint = opt_req("endpoint");
	const char	*hubkey = opt_req("hub-public-key");
	const char	*token = opt_req("token");
	size_t		 per = opt_num("events-per-site", 400);
	size_t		 batch = opt_num("batch", 100), n = 0, cap = 0, done = 0;
	uint64_t	 timeout = opt_num("timeout", 300) * NS;
	uint64_t	 total = 0, t0, t_welcomed = 0, t1;
	struct fsite	*sites = NULL;
	zmq_pollitem_t	*items;
	struct http	 h;
	struct buf	 out = { 0 }, frame = { 0 };
	json_t		*all;
	FILE		*f;
	void		*ctx;
	char		 line[256];
	size_t		 caught = 0, connected = 0, welcomed = 0;
	int64_t		 max = (int64_t)WIRE_MAX_FRAME;
	int		 zero = 0, hs = 30000;

	if (batch == 0 || batch > WIRE_MAX_BATCH_EVENTS || per == 0)
		die("--batch 1..%d, --events-per-site >= 1",
		    WIRE_MAX_BATCH_EVENTS);
	if ((f = fopen(opt_req("keys"), "r")) == NULL)
		die("%s: %s", opt_req("keys"), strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (n == cap) {
			cap = cap ? cap * 2 : 512;
			sites = xrealloc(sites, cap * sizeof(*sites));
		}
		memset(&sites[n], 0, sizeof(sites[n]));
		if (sscanf(line, "%u %40s %40s", &sites[n].id, sites[n].pub,
		    sites[n].sec) != 3)
			die("a bad line in the keys file");
		n++;
	}
	fclose(f);
	if (n == 0)
		die("no sites in the keys file");

	/* the events, as journals would hold them, before the clock runs */
	for (size_t i = 0; i < n; i++) {
		fanin_build(&sites[i], per, batch, today_ymd());
		randombytes_buf(sites[i].epoch, WIRE_EPOCH_LEN);
		total += sites[i].total;
	}

	raise_nofile();
	if ((ctx = zmq_ctx_new()) == NULL ||
	    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, (int)n + 64) != 0)
		die("zmq_ctx_new: %s", zmq_strerror(errno));
	items = xcalloc(n, sizeof(*items));
	t0 = mono_ns();
	for (size_t i = 0; i < n; i++) {
		struct fsite *s = &sites[i];

		if ((s->sock = zmq_socket(ctx, ZMQ_DEALER)) == NULL ||
		    zmq_setsockopt(s->sock, ZMQ_CURVE_SERVERKEY, hubkey,
		    strlen(hubkey)) != 0 ||
		    zmq_setsockopt(s->sock, ZMQ_CURVE_PUBLICKEY, s->pub,
		    strlen(s->pub)) != 0 ||
		    zmq_setsockopt(s->sock, ZMQ_CURVE_SECRETKEY, s->sec,
		    strlen(s->sec)) != 0 ||
		    zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &max,
		    sizeof(max)) != 0 ||
		    zmq_setsockopt(s->sock, ZMQ_LINGER, &zero,
		    sizeof(zero)) != 0 ||
		    zmq_setsockopt(s->sock, ZMQ_HANDSHAKE_IVL, &hs,
		    sizeof(hs)) != 0 ||
		    zmq_connect(s->sock, endpoint) != 0)
			die("site %u: socket: %s", s->id, zmq_strerror(errno));
		/* the head says how far behind the hub is: the lag it shows */
		wire_hello(&frame, s->id, s->epoch, s->total, NULL,
		    "bench_driver");
		if (zmq_send(s->sock, frame.data, frame.len, 0) < 0)
			die("site %u: hello: %s", s->id, zmq_strerror(errno));
		items[i].socket = s->sock;
		items[i].events = ZMQ_POLLIN;
	}
	while (done < n) {
		if (mono_ns() - t0 > timeout)
			die("%zu of %zu sites finished in time", done, n);
		if (zmq_poll(items, (int)n, 100) < 0 && errno != EINTR)
			die("zmq_poll: %s", zmq_strerror(errno));
		for (size_t i = 0; i < n; i++) {
			int was = sites[i].state;

			if (items[i].revents & ZMQ_POLLIN)
				done += (size_t)fanin_read(&sites[i]);
			if (was == 0 && sites[i].state != 0 &&
			    ++welcomed == n)
				t_welcomed = mono_ns();
		}
	}
	t1 = mono_ns();

	/* the hub's own view: every site at its head, lag 0 */
	http_init(&h, opt_req("hub"));
	if ((all = http_json(&h, "/v1/sites", token)) == NULL)
		die("GET /v1/sites failed");
	for (size_t i = 0; i < n; i++) {
		json_t *s = hub_site(all, sites[i].id);

		if (s == NULL)
			continue;
		if ((uint64_t)json_integer_value(json_object_get(s, "hwm")) ==
		    sites[i].total &&
		    json_integer_value(json_object_get(s, "lag")) == 0)
			caught++;
		if (json_is_true(json_object_get(s, "connected")))
			connected++;
	}
	json_decref(all);
	http_free(&h);

	buf_printf(&out, "{\"sites\":%zu,\"events\":%" PRIu64 ",\"batch\":%zu,"
	    "\"seconds\":%.4f,\"eps\":%.0f,\"all_welcomed_s\":%.4f,"
	    "\"sites_lag0\":%zu,\"sites_connected\":%zu", n, total, batch,
	    (double)(t1 - t0) / 1e9, (double)total / ((double)(t1 - t0) / 1e9),
	    (double)(t_welcomed - t0) / 1e9, caught, connected);
	emit(&out);
	for (size_t i = 0; i < n; i++) {
		zmq_close(sites[i].sock);
		for (size_t k = 0; k < sites[i].nframes; k++)
			buf_free(&sites[i].frames[k]);
		free(sites[i].frames);
		free(sites[i].last);
	}
	zmq_ctx_term(ctx);
	free(items);
	free(sites);
	buf_free(&frame);
	return caught == n ? 0 : 1;
}

/* --- NATS JetStream, the peer ------------------------------------------ */

struct pubstat {
	pthread_mutex_t	mu;
	uint64_t	acked, dups, errors;
	char		err[256];
};

static void
nats_check(natsStatus s, jsErrCode jerr, const char *what)
{
	if (s != NATS_OK)
		die("%s: %s (%s, JetStream error %d)", what,
		    natsStatus_GetText(s), nats_GetLastError(NULL), (int)jerr);
}

static void
on_puback(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae,
    void *closure)
{
	struct pubstat	*ps = closure;

	(void)js;
	pthread_mutex_lock(&ps->mu);
	if (pa != NULL) {
		ps->acked++;
		ps->dups += pa->Duplicate;
	} else {
		ps->errors++;
		if (pae != NULL && ps->err[0] == '\0')
			snprintf(ps->err, sizeof(ps->err), "%s",
			    pae->ErrText ? pae->ErrText :
			    natsStatus_GetText(pae->Err));
	}
	pthread_mutex_unlock(&ps->mu);
	natsMsg_Destroy(msg);
}

static natsConnection *
nats_connect(const char *url)
{
	natsConnection	*nc = NULL;
	natsOptions	*o = NULL;

	nats_check(natsOptions_Create(&o), 0, "natsOptions_Create");
	nats_check(natsOptions_SetURL(o, url), 0, url);
	/* the default 8 MiB pending buffer stalls a fast async publisher */
	natsOptions_SetIOBufSize(o, 1 << 20);
	natsOptions_SetMaxPendingMsgs(o, 1 << 20);
	nats_check(natsConnection_Connect(&nc, o), 0, url);
	natsOptions_Destroy(o);
	return nc;
}

static jsCtx *
nats_js(natsConnection *nc, struct pubstat *ps)
{
	jsCtx		*js = NULL;
	jsOptions	 jo;

	jsOptions_Init(&jo);
	jo.Wait = 30000;
	jo.PublishAsync.MaxPending = (int64_t)opt_num("max-pending", 4000);
	if (ps != NULL) {
		jo.PublishAsync.AckHandler = on_puback;
		jo.PublishAsync.AckHandlerClosure = ps;
	}
	nats_check(natsConnection_JetStream(&js, nc, &jo), 0,
	    "natsConnection_JetStream");
	return js;
}

/* A file-backed stream NAME taking SUBJECT (NULL: sourced from 'source'). */
static void
nats_stream(jsCtx *js, const char *name, const char *subject,
    const char *source, const char *api)
{
	jsStreamConfig		 sc;
	jsStreamSource		 src, *srcs[1] = { &src };
	jsExternalStream	 ext;
	jsStreamInfo		*si = NULL;
	jsErrCode		 jerr = 0;

	jsStreamConfig_Init(&sc);
	sc.Name = name;
	sc.Storage = js_FileStorage;
	if (subject != NULL) {
		sc.Subjects = &subject;
		sc.SubjectsLen = 1;
	}
	if (source != NULL) {
		memset(&src, 0, sizeof(src));
		memset(&ext, 0, sizeof(ext));
		src.Name = source;
		ext.APIPrefix = api;
		ext.DeliverPrefix = "";	/* libnats marshals it unchecked */
		src.External = &ext;
		sc.Sources = srcs;
		sc.SourcesLen = 1;
	}
	nats_check(js_AddStream(&si, js, &sc, NULL, &jerr), jerr, name);
	jsStreamInfo_Destroy(si);
}

static uint64_t
nats_msgs(jsCtx *js, const char *stream)
{
	jsStreamInfo	*si = NULL;
	jsErrCode	 jerr = 0;
	uint64_t	 n;

	if (js_GetStreamInfo(&si, js, stream, NULL, &jerr) != NATS_OK)
		return 0;
	n = si->State.Msgs;
	jsStreamInfo_Destroy(si);
	return n;
}

static natsMsg *
nats_event(const char *subject, const struct line *l, uint64_t ts)
{
	natsMsg	*m = NULL;
	char	 id[128], tsb[32];

	line_id(l, id, sizeof(id));
	nats_check(natsMsg_Create(&m, subject, NULL, l->p, (int)l->len), 0,
	    "natsMsg_Create");
	nats_check(natsMsgHeader_Set(m, "Nats-Msg-Id", id), 0,
	    "natsMsgHeader_Set");
	if (ts != 0) {
		snprintf(tsb, sizeof(tsb), "%" PRIu64, ts);
		nats_check(natsMsgHeader_Set(m, TS_HEADER, tsb), 0,
		    "natsMsgHeader_Set");
	}
	return m;
}

/* Publish every event asynchronously; wait for every ack. */
static void
nats_publish_all(jsCtx *js, struct pubstat *ps, const struct events *ev,
    const char *subject)
{
	jsPubOptions	po;

	for (size_t i = 0; i < ev->n; i++) {
		natsMsg *m = nats_event(subject, &ev->v[i], 0);

		nats_check(js_PublishMsgAsync(js, &m, NULL), 0,
		    "js_PublishMsgAsync");
	}
	jsPubOptions_Init(&po);
	po.MaxWait = 120000;
	nats_check(js_PublishAsyncComplete(js, &po), 0,
	    "js_PublishAsyncComplete");
	pthread_mutex_lock(&ps->mu);
	if (ps->errors > 0 || ps->acked != ev->n || ps->dups > 0)
		die("%" PRIu64 " acked, %" PRIu64 " duplicates, %" PRIu64
		    " errors of %zu: %s", ps->acked, ps->dups, ps->errors, ev->n,
		    ps->err);
	pthread_mutex_unlock(&ps->mu);
}

static void
subject_of(char *out, size_t len, const char *stream)
{
	snprintf(out, len, "ev.%s", stream);
}

static int
cmd_nats_ingest(void)
{
	struct events	 ev;
	struct pubstat	 ps;
	struct buf	 out = { 0 };
	const char	*stream = opt_req("stream");
	char		 subject[128];
	natsConnection	*nc;
	jsCtx		*js;
	uint64_t	 t0, t1, stored;

	events_load(&ev);
	memset(&ps, 0, sizeof(ps));
	pthread_mutex_init(&ps.mu, NULL);
	subject_of(subject, sizeof(subject), opt_str("subject-of", stream));
	nc = nats_connect(opt_req("url"));
	js = nats_js(nc, &ps);
	nats_stream(js, stream, subject, NULL, NULL);
	t0 = mono_ns();
	nats_publish_all(js, &ps, &ev, subject);
	t1 = mono_ns();
	if ((stored = nats_msgs(js, stream)) != ev.n)
		die("the stream holds %" PRIu64 " of %zu", stored, ev.n);
	buf_printf(&out, "{\"events\":%zu,\"seconds\":%.4f,\"eps\":%.0f,"
	    "\"max_pending\":%s", ev.n, (double)(t1 - t0) / 1e9,
	    (double)ev.n / ((double)(t1 - t0) / 1e9),
	    opt_str("max-pending", "4000"));
	emit(&out);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return 0;
}

/* One synchronous publish at a time: JetStream's round trip. */
static int
cmd_nats_rtt(void)
{
	struct events	 ev;
	struct buf	 out = { 0 };
	const char	*stream = opt_req("stream");
	char		 subject[128];
	natsConnection	*nc;
	jsCtx		*js;
	uint64_t	*lat;

	events_load(&ev);
	subject_of(subject, sizeof(subject), stream);
	nc = nats_connect(opt_req("url"));
	js = nats_js(nc, NULL);
	nats_stream(js, stream, subject, NULL, NULL);
	lat = xcalloc(ev.n, sizeof(*lat));
	for (size_t i = 0; i < ev.n; i++) {
		natsMsg		*m = nats_event(subject, &ev.v[i], 0);
		jsPubAck	*pa = NULL;
		jsErrCode	 jerr = 0;
		uint64_t	 t0 = mono_ns();

		nats_check(js_PublishMsg(&pa, js, m, NULL, &jerr), jerr,
		    "js_PublishMsg");
		lat[i] = mono_ns() - t0;
		jsPubAck_Destroy(pa);
		natsMsg_Destroy(m);
	}
	buf_printf(&out, "{\"events\":%zu", ev.n);
	put_latency(&out, "rtt", lat, ev.n);
	emit(&out);
	free(lat);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return 0;
}

/*
 * The leaf topology's streams: SITE_<s> at the site server (domain "site")
 * and HUB_<s> at the hub server, which sources it across the leaf link
 * through the site domain's API prefix.
 */
static void
nats_leaf_streams(jsCtx *site, jsCtx *hub, const char *stream, char *sname,
    char *hname, char *subject, size_t len)
{
	snprintf(sname, len, "SITE_%s", stream);
	snprintf(hname, len, "HUB_%s", stream);
	subject_of(subject, len, stream);
	if (site != NULL)
		nats_stream(site, sname, subject, NULL, NULL);
	if (hub != NULL)
		nats_stream(hub, hname, NULL, sname,
		    opt_str("api", "$JS.site.API"));
}

static int
cmd_nats_source(void)
{
	natsConnection	*snc, *hnc;
	jsCtx		*site, *hub;
	char		 sname[128], hname[128], subject[128];

	snc = nats_connect(opt_req("site-url"));
	hnc = nats_connect(opt_req("hub-url"));
	site = nats_js(snc, NULL);
	hub = nats_js(hnc, NULL);
	nats_leaf_streams(site, hub, opt_req("stream"), sname, hname, subject,
	    sizeof(sname));
	printf("{\"site_stream\":\"%s\",\"hub_stream\":\"%s\"}\n", sname,
	    hname);
	jsCtx_Destroy(site);
	jsCtx_Destroy(hub);
	natsConnection_Destroy(snc);
	natsConnection_Destroy(hnc);
	return 0;
}

/* Poll a stream until it holds 'target' messages; 0 on timeout. */
static uint64_t
nats_wait(jsCtx *js, const char *stream, uint64_t target, uint64_t timeout,
    uint64_t *first)
{
	uint64_t	start = mono_ns(), now, n;

	if (first != NULL)
		*first = 0;
	for (;;) {
		n = nats_msgs(js, stream);
		now = mono_ns();
		if (first != NULL && *first == 0 && n > 0)
			*first = now;
		if (n >= target)
			return now;
		if (now - start > timeout)
			return 0;
		sleep_until(now + POLL_NS);
	}
}

static int
cmd_nats_e2e(void)
{
	struct events	 ev;
	struct pubstat	 ps;
	struct buf	 out = { 0 };
	char		 sname[128], hname[128], subject[128];
	natsConnection	*snc, *hnc;
	jsCtx		*site, *hub;
	uint64_t	 t0, t1, done;

	events_load(&ev);
	memset(&ps, 0, sizeof(ps));
	pthread_mutex_init(&ps.mu, NULL);
	snc = nats_connect(opt_req("site-url"));
	hnc = nats_connect(opt_req("hub-url"));
	site = nats_js(snc, &ps);
	hub = nats_js(hnc, NULL);
	nats_leaf_streams(site, hub, opt_req("stream"), sname, hname, subject,
	    sizeof(sname));
	t0 = mono_ns();
	nats_publish_all(site, &ps, &ev, subject);
	t1 = mono_ns();
	done = nats_wait(hub, hname, ev.n, opt_num("timeout", 300) * NS, NULL);
	if (done == 0)
		die("%s holds %" PRIu64 " of %zu in time", hname,
		    nats_msgs(hub, hname), ev.n);
	buf_printf(&out, "{\"events\":%zu,\"ingest_seconds\":%.4f,"
	    "\"ingest_eps\":%.0f,\"seconds\":%.4f,\"eps\":%.0f", ev.n,
	    (double)(t1 - t0) / 1e9, (double)ev.n / ((double)(t1 - t0) / 1e9),
	    (double)(done - t0) / 1e9,
	    (double)ev.n / ((double)(done - t0) / 1e9));
	emit(&out);
	jsCtx_Destroy(site);
	jsCtx_Destroy(hub);
	natsConnection_Destroy(snc);
	natsConnection_Destroy(hnc);
	return 0;
}

static int
cmd_nats_wait(void)
{
	struct buf	 out = { 0 };
	natsConnection	*nc;
	jsCtx		*js;
	const char	*stream = opt_req("stream");
	uint64_t	 target = opt_num("target", 0), t0 = opt_num("t0-ns", 0);
	uint64_t	 now_r, now_m, first, done, timeout;
	double		 off;

	timeout = opt_num("timeout", 600) * NS;
	now_r = real_ns();
	now_m = mono_ns();
	off = t0 ? (double)(now_r - t0) / 1e9 : 0;
	/* the server was just started: wait for it to listen */
	for (;;) {
		natsOptions	*o = NULL;

		nats_check(natsOptions_Create(&o), 0, "natsOptions_Create");
		natsOptions_SetURL(o, opt_req("url"));
		nc = NULL;
		if (natsConnection_Connect(&nc, o) == NATS_OK) {
			natsOptions_Destroy(o);
			break;
		}
		natsOptions_Destroy(o);
		if (mono_ns() - now_m > timeout)
			die("cannot connect to %s", opt_req("url"));
		usleep(2000);
	}
	js = nats_js(nc, NULL);
	done = nats_wait(js, stream, target, timeout, &first);
	if (done == 0)
		die("%s holds %" PRIu64 " of %" PRIu64 " in time", stream,
		    nats_msgs(js, stream), target);
	buf_printf(&out, "{\"events\":%" PRIu64 ",\"seconds\":%.4f,"
	    "\"first_progress_s\":%.4f,\"catchup_seconds\":%.4f,"
	    "\"catchup_eps\":%.0f", target,
	    off + (double)(done - now_m) / 1e9,
	    off + (double)(first - now_m) / 1e9, (double)(done - first) / 1e9,
	    done > first ? (double)target / ((double)(done - first) / 1e9) :
	    0.0);
	emit(&out);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return 0;
}

struct consume {
	pthread_mutex_t	 mu;
	uint64_t	*lat;
	size_t		 n, cap;
	uint64_t	 warm;		/* the warm-up message came */
};

static void
on_consume(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
    void *closure)
{
	struct consume	*c = closure;
	const char	*ts = NULL;
	uint64_t	 now = mono_ns(), t;

	(void)nc;
	(void)sub;
	if (natsMsgHeader_Get(msg, TS_HEADER, &ts) == NATS_OK) {
		t = strtoull(ts, NULL, 10);
		pthread_mutex_lock(&c->mu);
		if (t == 1)
			c->warm = 1;
		else if (c->n < c->cap)
			c->lat[c->n++] = now - t;
		pthread_mutex_unlock(&c->mu);
	}
	natsMsg_Destroy(msg);
}

static size_t
consumed(struct consume *c, uint64_t *warm)
{
	size_t	n;

	pthread_mutex_lock(&c->mu);
	n = c->n;
	if (warm != NULL)
		*warm = c->warm;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/*
 * Publish at --rate to the site stream; a push consumer on the hub's
 * sourced stream takes each message and measures publish -> receive.
 */
static int
cmd_nats_steady(void)
{
	struct events		 ev;
	struct consume		 cs;
	struct pubstat		 ps;
	struct buf		 out = { 0 };
	char			 sname[128], hname[128], subject[128];
	natsConnection		*snc, *hnc;
	natsSubscription	*sub = NULL;
	jsCtx			*site, *hub;
	jsSubOptions		 so;
	jsErrCode		 jerr = 0;
	double			 rate = (double)opt_num("rate", 5000);
	size_t			 n;
	uint64_t		 start, end, warm = 0, wait0;

	events_load(&ev);
	n = (size_t)(rate * (double)opt_num("seconds", 10));
	if (n > ev.n - 1)
		n = ev.n - 1;
	memset(&cs, 0, sizeof(cs));
	pthread_mutex_init(&cs.mu, NULL);
	cs.cap = n;
	cs.lat = xcalloc(n, sizeof(*cs.lat));
	memset(&ps, 0, sizeof(ps));
	pthread_mutex_init(&ps.mu, NULL);
	snc = nats_connect(opt_req("site-url"));
	hnc = nats_connect(opt_req("hub-url"));
	site = nats_js(snc, &ps);
	hub = nats_js(hnc, NULL);
	nats_leaf_streams(site, hub, opt_req("stream"), sname, hname, subject,
	    sizeof(sname));
	jsSubOptions_Init(&so);
	so.Stream = hname;
	so.Config.DeliverPolicy = js_DeliverAll;
	so.Config.AckPolicy = js_AckNone;
	nats_check(js_Subscribe(&sub, hub, subject, on_consume, &cs, NULL,
	    &so, &jerr), jerr, "js_Subscribe");

	/* warm-up: the last line, with time stamp 1 */
	{
		natsMsg *m = nats_event(subject, &ev.v[ev.n - 1], 1);

		nats_check(js_PublishMsgAsync(site, &m, NULL), 0,
		    "js_PublishMsgAsync");
	}
	wait0 = mono_ns();
	while (consumed(&cs, &warm), !warm) {
		if (mono_ns() - wait0 > 30 * NS)
			die("the warm-up message did not reach the hub consumer");
		usleep(1000);
	}

	start = mono_ns() + 20000000ULL;
	for (size_t i = 0; i < n; i++) {
		uint64_t	 at = start + (uint64_t)((double)i * 1e9 / rate);
		natsMsg		*m;

		if (mono_ns() < at)
			sleep_until(at);
		m = nats_event(subject, &ev.v[i], at);
		nats_check(js_PublishMsgAsync(site, &m, NULL), 0,
		    "js_PublishMsgAsync");
	}
	end = mono_ns();
	while (consumed(&cs, NULL) < n) {
		if (mono_ns() - end > 60 * NS)
			die("%zu of %zu reached the hub consumer",
			    consumed(&cs, NULL), n);
		usleep(1000);
	}
	natsSubscription_Unsubscribe(sub);
	natsSubscription_Destroy(sub);
	buf_printf(&out, "{\"events\":%zu,\"rate\":%.0f,\"achieved_eps\":%.0f",
	    n, rate, (double)n / ((double)(end - start) / 1e9));
	put_latency(&out, "hub_consume", cs.lat, cs.n);
	emit(&out);
	free(cs.lat);
	jsCtx_Destroy(site);
	jsCtx_Destroy(hub);
	natsConnection_Destroy(snc);
	natsConnection_Destroy(hnc);
	return 0;
}

static const struct {
	const char	*name;
	int		(*fn)(void);
} cmds[] = {
	{ "ingest", cmd_ingest },
	{ "rtt", cmd_rtt },
	{ "fsync", cmd_fsync },
	{ "e2e", cmd_e2e },
	{ "wait-hwm", cmd_wait_hwm },
	{ "steady", cmd_steady },
	{ "fanin-keys", cmd_fanin_keys },
	{ "fanin", cmd_fanin },
	{ "nats-ingest", cmd_nats_ingest },
	{ "nats-rtt", cmd_nats_rtt },
	{ "nats-source", cmd_nats_source },
	{ "nats-e2e", cmd_nats_e2e },
	{ "nats-wait", cmd_nats_wait },
	{ "nats-steady", cmd_nats_steady },
};

int
main(int argc, char **argv)
{
	g_argc = argc;
	g_argv = argv;
	if (argc < 2 || argc % 2 != 0)
		usage();
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	/* business dates as an agent in UTC would stamp them */
	setenv("TZ", "UTC", 1);
	tzset();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn();
	usage();
}
