/*
 * libmsosync: the C client of the agent's ipc API (daemon/agent/ipc.h).
 *
 * JSON is split and decoded here with the agent's own code (ndjson_each,
 * pbjson_decode_text), so a request that cannot be decoded is answered
 * locally in the agent's words and never crosses the socket. What decodes is
 * packed as one SubmitRequest and sent on a DEALER as [empty][request],
 * which the agent's ROUTER answers as [empty][reply], like a REQ socket
 * would without REQ's lock-step state.
 *
 * Each request carries a request_id (its ticket), which the agent echoes,
 * so several may be in flight (msosync_send_json, msosync_recv_reply). A
 * DEALER would hand a late answer to whatever request comes next, so
 * after a timeout or a garbled answer the socket is thrown away, with
 * every request in flight, and a new one connected: the only answers read
 * are to requests sent on this socket.
 *
 * Each client has its own ZeroMQ context, so closing one never touches
 * another. One thread at a time per client.
 */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "events.pb-c.h"
#include "ingest.pb-c.h"
#include "arena.h"
#include "buf.h"
#include "msosync/msosync.h"
#include "ndjson.h"
#include "pbjson.h"
#include "varint.h"
#include "xmalloc.h"

/*
 * Events decoded so far (into the client's arena), and the errors of
 * those that were not.
 */
struct parse {
	ProtobufCAllocator	*alloc;
	Msosync__Event		**ev;
	size_t			  nev, cap;
	struct msosync_error	 *err;
	size_t			  nerr, errcap;
};

/* A request not answered yet: sent, or refused here (local). */
struct pending {
	uint64_t		 ticket;
	size_t			 nev;
	char			*ids;	/* its event_ids, NUL after each */
	struct msosync_reply	*local;
};

struct msosync_client {
	void			*ctx;
	void			*sock;	/* NULL after a failed reconnect */
	char			*endpoint;
	int			 timeout_ms;
	uint64_t		 last_ticket;
	struct pending		*fl;	/* in flight, in the order sent */
	size_t			 nfl, capfl;
	/* what one call decodes, packs and unpacks: reset by each call */
	struct arena		 arena;
	ProtobufCAllocator	 alloc;
};

static void	abandon_all(struct msosync_client *);

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before 'deadline' for zmq_poll; -1 waits forever. */
static long
left_ms(int64_t deadline)
{
	int64_t	left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left > 0 ? (long)left : 0;
}

/*
 * One ZeroMQ context for all the process's clients, as ZeroMQ advises:
 * one I/O thread serves every client's socket, where a context each
 * gave every client a thread of its own. Made by the first connect,
 * terminated by the last close. A context does not survive fork(): a
 * child's first connect makes its own (the parent's is left alone).
 */
static pthread_mutex_t	 ctx_mu = PTHREAD_MUTEX_INITIALIZER;
static void		*ctx_shared;
static size_t		 ctx_users;
static pid_t		 ctx_pid;

static void *
ctx_take(void)
{
	void	*ctx;

	pthread_mutex_lock(&ctx_mu);
	if (ctx_shared != NULL && ctx_pid != getpid()) {
		ctx_shared = NULL;
		ctx_users = 0;
	}
	if (ctx_shared == NULL) {
		ctx_shared = zmq_ctx_new();
		ctx_pid = getpid();
	}
	if ((ctx = ctx_shared) != NULL)
		ctx_users++;
	pthread_mutex_unlock(&ctx_mu);
	return ctx;
}

/* After the caller's socket is closed: its linger is 0, so no wait. */
static void
ctx_release(void)
{
	pthread_mutex_lock(&ctx_mu);
	if (--ctx_users == 0) {
		zmq_ctx_term(ctx_shared);
		ctx_shared = NULL;
	}
	pthread_mutex_unlock(&ctx_mu);
}

static int
open_sock(struct msosync_client *c)
{
	int	zero = 0, rc;

	if ((c->sock = zmq_socket(c->ctx, ZMQ_DEALER)) == NULL)
		return -errno;
	/* an unanswered request is abandoned with the socket */
	if (zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_connect(c->sock, c->endpoint) != 0) {
		rc = -errno;
		zmq_close(c->sock);
		c->sock = NULL;
		return rc;
	}
	return 0;
}

static int
reconnect(struct msosync_client *c)
{
	if (c->sock != NULL)
		zmq_close(c->sock);
	c->sock = NULL;
	return open_sock(c);
}

int
msosync_connect(const char *endpoint, int timeout_ms,
    struct msosync_client **out)
{
	struct msosync_client	*c;
	int			 rc;

	if (out == NULL)
		return MSOSYNC_EINVAL;
	*out = NULL;
	if (endpoint == NULL || (timeout_ms <= 0 && timeout_ms != -1))
		return MSOSYNC_EINVAL;
	c = xcalloc(1, sizeof(*c));
	arena_pb_allocator(&c->arena, &c->alloc);
	c->timeout_ms = timeout_ms;
	c->endpoint = xstrdup(endpoint);
	if ((c->ctx = ctx_take()) == NULL) {
		rc = -errno;
		goto fail;
	}
	if ((rc = open_sock(c)) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	msosync_close(&c);
	return rc;
}

void
msosync_close(struct msosync_client **cp)
{
	struct msosync_client	*c = *cp;

	if (c == NULL)
		return;
	abandon_all(c);
	free(c->fl);
	arena_free(&c->arena);
	if (c->sock != NULL)
		zmq_close(c->sock);
	if (c->ctx != NULL)
		ctx_release();
	free(c->endpoint);
	free(c);
	*cp = NULL;
}

void
msosync_reply_free(struct msosync_reply **rp)
{
	struct msosync_reply	*r = *rp;

	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nresults; i++)
		free((char *)r->results[i].event_id);
	for (size_t i = 0; i < r->nerrors; i++) {
		free((char *)r->errors[i].event_id);
		free((char *)r->errors[i].message);
	}
	free(r->results);
	free(r->errors);
	free(r);
	*rp = NULL;
}

const char *
msosync_version(void)
{
	return MSOSYNC_VERSION;
}

static void
add_error(struct parse *p, size_t index, const char *event_id,
    const char *msg)
{
	struct msosync_error	*e;

	if (p->nerr == p->errcap) {
		p->errcap = p->errcap ? p->errcap * 2 : 8;
		p->err = xrealloc(p->err, p->errcap * sizeof(*p->err));
	}
	e = &p->err[p->nerr++];
	e->index = index;
	e->event_id = event_id != NULL && *event_id ? xstrdup(event_id) : NULL;
	e->message = xstrdup(msg);
}

static void
add_event(struct parse *p, ProtobufCMessage *m)
{
	if (p->nev == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->ev = xrealloc(p->ev, p->cap * sizeof(*p->ev));
	}
	p->ev[p->nev++] = (Msosync__Event *)m;
}

/* A good event read once; anything else is left to on_value's words. */
static int
take_value(void *arg, size_t index, const char *text, size_t len,
    size_t *used)
{
	struct parse		*p = arg;
	ProtobufCMessage	*m;

	if (index >= MSOSYNC_MAX_EVENTS)
		return MSOSYNC_ETOOBIG;
	if (pbjson_decode_prefix(&msosync__event__descriptor, text, len,
	    p->alloc, &m, used) != 0)
		return 0;
	if (p->nerr == 0)
		add_event(p, m);
	return 1;
}

/* As the agent's ingest_req_add_json, so both answer in the same words. */
static int
on_value(void *arg, size_t index, const char *value, size_t vlen,
    const char *perr)
{
	struct parse		*p = arg;
	ProtobufCMessage	*m;
	char			 err[PBJSON_ERR_MAX], id[PBJSON_ERR_MAX];

	if (index >= MSOSYNC_MAX_EVENTS)
		return MSOSYNC_ETOOBIG;
	if (value == NULL) {
		snprintf(err, sizeof(err), "invalid JSON: %s", perr);
		add_error(p, index, NULL, err);
		return 0;
	}
	if (pbjson_decode_text(&msosync__event__descriptor, value, vlen,
	    p->alloc, &m, err, sizeof(err)) != 0) {
		add_error(p, index, pbjson_peek_string(value, vlen, "event_id",
		    id, sizeof(id)) == 0 ? id : NULL, err);
		return 0;
	}
	if (p->nerr == 0)	/* else refused: only its errors matter now */
		add_event(p, m);
	return 0;
}

/* The events themselves are the arena's. */
static void
parse_free(struct parse *p)
{
	free(p->ev);
	for (size_t i = 0; i < p->nerr; i++) {
		free((char *)p->err[i].event_id);
		free((char *)p->err[i].message);
	}
	free(p->err);
	memset(p, 0, sizeof(*p));
}

/* Wait for 'events' on the socket until the deadline: 0 or an error. */
static int
wait_for(struct msosync_client *c, short events, int64_t deadline)
{
	zmq_pollitem_t	pi = { .socket = c->sock, .events = events };
	int		n;

	for (;;) {
		n = zmq_poll(&pi, 1, left_ms(deadline));
		if (n > 0)
			return 0;
		if (n == 0)
			return MSOSYNC_ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int
send_part(void *sock, const void *data, size_t len, int flags)
{
	while (zmq_send(sock, data, len, flags | ZMQ_DONTWAIT) < 0)
		if (errno != EINTR)
			return errno == EAGAIN ? MSOSYNC_ETIMEDOUT : -errno;
	return 0;
}

/*
 * Receive one whole answer: exactly [empty][reply]. Anything else is
 * MSOSYNC_EPROTO. On success *body is the caller's (zmq_msg_close).
 */
static int
recv_answer(struct msosync_client *c, zmq_msg_t *body)
{
	zmq_msg_t	part;
	size_t		n = 0;
	int		more, rc = 0;

	do {
		zmq_msg_init(&part);
		while (zmq_msg_recv(&part, c->sock, ZMQ_DONTWAIT) < 0)
			if (errno != EINTR) {
				rc = -errno;
				zmq_msg_close(&part);
				goto fail;
			}
		more = zmq_msg_more(&part);
		if (n == 0 && (zmq_msg_size(&part) != 0 || !more))
			rc = MSOSYNC_EPROTO;
		if (n == 1 && rc == 0 && !more)
			zmq_msg_move(body, &part);
		if (n >= 2)
			rc = MSOSYNC_EPROTO;
		zmq_msg_close(&part);
		n++;
	} while (more);
	if (rc == 0 && n == 2)
		return 0;
	rc = rc != 0 ? rc : MSOSYNC_EPROTO;
fail:
	zmq_msg_close(body);
	zmq_msg_init(body);
	return rc;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && *s ? xstrdup(s) : NULL;
}

/*
 * Turn a SubmitReply into a msosync_reply, checking that it answers the
 * request 'pd': a 200 holds one result per event, in order.
 */
static int
make_reply(const Msosync__SubmitReply *sr, const struct pending *pd,
    struct msosync_reply **out)
{
	struct msosync_reply	*r;
	const char		*id = pd->ids;
	size_t			 i;

	if (sr->status < 100 || sr->status > 599)
		return MSOSYNC_EPROTO;
	if (sr->status == MSOSYNC_STATUS_OK) {
		if (sr->n_results != pd->nev)
			return MSOSYNC_EPROTO;
		for (i = 0; i < sr->n_results; i++, id += strlen(id) + 1) {
			const Msosync__SubmitResult *res = sr->results[i];

			if (res->seq == 0 || strcmp(res->event_id, id) != 0 ||
			    (res->status !=
			    MSOSYNC__SUBMIT_RESULT__STATUS__ACCEPTED &&
			    res->status !=
			    MSOSYNC__SUBMIT_RESULT__STATUS__DUPLICATE))
				return MSOSYNC_EPROTO;
		}
	}
	r = xcalloc(1, sizeof(*r));
	r->status = (int)sr->status;
	if (sr->status == MSOSYNC_STATUS_OK && sr->n_results > 0) {
		r->results = xcalloc(sr->n_results, sizeof(*r->results));
		for (i = 0; i < sr->n_results; i++) {
			r->results[i].event_id = xstrdup(sr->results[i]->event_id);
			r->results[i].seq = sr->results[i]->seq;
			r->results[i].duplicate = sr->results[i]->status ==
			    MSOSYNC__SUBMIT_RESULT__STATUS__DUPLICATE;
		}
		r->nresults = sr->n_results;
	}
	if (sr->n_errors > 0) {
		r->errors = xcalloc(sr->n_errors, sizeof(*r->errors));
		for (i = 0; i < sr->n_errors; i++) {
			r->errors[i].index = sr->errors[i]->index;
			r->errors[i].event_id =
			    dup_or_null(sr->errors[i]->event_id);
			r->errors[i].message = xstrdup(sr->errors[i]->error);
		}
		r->nerrors = sr->n_errors;
	}
	*out = r;
	return 0;
}

/* Take pending i out of the flight list; the caller has its contents. */
static struct pending
take_pending(struct msosync_client *c, size_t i)
{
	struct pending	pd = c->fl[i];

	memmove(&c->fl[i], &c->fl[i + 1], (c->nfl - i - 1) * sizeof(*c->fl));
	c->nfl--;
	return pd;
}

/* Forget every request in flight: their outcome is unknown. */
static void
abandon_all(struct msosync_client *c)
{
	while (c->nfl > 0) {
		struct pending	pd = take_pending(c, c->nfl - 1);

		free(pd.ids);
		msosync_reply_free(&pd.local);
	}
}

/* The reply to a request refused here: no socket involved. */
static struct msosync_reply *
local_reply(struct parse *p, int too_many)
{
	struct msosync_reply	*r = xcalloc(1, sizeof(*r));

	if (too_many) {
		/* the events' own errors do not matter any more */
		parse_free(p);
		add_error(p, 0, NULL, "too many events in one request");
	}
	r->status = too_many ? MSOSYNC_STATUS_TOO_LARGE :
	    MSOSYNC_STATUS_INVALID;
	r->errors = p->err;
	r->nerrors = p->nerr;
	p->err = NULL;
	p->nerr = 0;
	return r;
}

/*
 * The SubmitRequest's bytes, as msosync__submit_request__pack writes them
 * (fields in number order: each event behind its length, then the
 * request_id), but with each event sized once: protobuf-c sizes every
 * event twice, once for the request and once for its length.
 */
static size_t
pack_request(struct arena *a, const struct parse *p, uint64_t ticket,
    uint8_t **out)
{
	size_t	*sz = arena_alloc(a, (p->nev + 1) * sizeof(*sz));
	size_t	 total = 0;
	uint8_t	*o;

	for (size_t i = 0; i < p->nev; i++) {
		sz[i] = msosync__event__get_packed_size(p->ev[i]);
		total += 1 + varint_len(sz[i]) + sz[i];
	}
	if (ticket != 0)
		total += 1 + varint_len(ticket);
	*out = o = arena_alloc(a, total ? total : 1);
	for (size_t i = 0; i < p->nev; i++) {
		*o++ = 1 << 3 | 2;		/* events: field 1, bytes */
		o += varint_put(o, sz[i]);
		o += msosync__event__pack(p->ev[i], o);
	}
	if (ticket != 0) {
		*o++ = 2 << 3;			/* request_id: field 2 */
		o += varint_put(o, ticket);
	}
	return total;
}

/* Pack the request and send it as [empty][request] before the deadline. */
static int
send_request(struct msosync_client *c, const struct parse *p,
    uint64_t ticket, int64_t deadline)
{
	uint8_t	*data;
	size_t	 len;
	int	 rc;

	if (c->sock == NULL && (rc = open_sock(c)) != 0)
		return rc;
	len = pack_request(&c->arena, p, ticket, &data);
	if ((rc = wait_for(c, ZMQ_POLLOUT, deadline)) == 0 &&
	    (rc = send_part(c->sock, "", 0, ZMQ_SNDMORE)) == 0)
		rc = send_part(c->sock, data, len, 0);
	return rc;
}

/* The event_ids of what was sent, to check the answer against. */
static char *
copy_ids(const struct parse *p)
{
	struct buf	b = { 0 };

	for (size_t i = 0; i < p->nev; i++)
		buf_append(&b, p->ev[i]->event_id,
		    strlen(p->ev[i]->event_id) + 1);
	return b.data != NULL ? b.data : xstrdup("");
}

int
msosync_send_json(struct msosync_client *c, const char *json, size_t len,
    uint64_t *ticket)
{
	struct pending	pd = { 0 };
	struct parse	p = { 0 };
	int64_t		deadline;
	int		rc;

	if (ticket == NULL)
		return MSOSYNC_EINVAL;
	*ticket = 0;
	if (c == NULL || json == NULL)
		return MSOSYNC_EINVAL;
	pd.ticket = c->last_ticket + 1;
	p.alloc = &c->alloc;
	arena_reset(&c->arena);
	rc = ndjson_each_taking(json, len, take_value, on_value, &p);
	if (rc == MSOSYNC_ETOOBIG || p.nerr > 0)
		pd.local = local_reply(&p, rc == MSOSYNC_ETOOBIG);
	else {
		deadline = c->timeout_ms < 0 ? -1 : now_ms() + c->timeout_ms;
		if ((rc = send_request(c, &p, pd.ticket, deadline)) != 0) {
			/* nothing was sent: the requests in flight go on */
			parse_free(&p);
			return rc;
		}
		pd.nev = p.nev;
		pd.ids = copy_ids(&p);
	}
	parse_free(&p);
	if (c->nfl == c->capfl) {
		c->capfl = c->capfl ? c->capfl * 2 : 8;
		c->fl = xrealloc(c->fl, c->capfl * sizeof(*c->fl));
	}
	c->fl[c->nfl++] = pd;
	c->last_ticket = pd.ticket;
	*ticket = pd.ticket;
	return 0;
}

/*
 * Which request a reply answers: the one its request_id names, or, from
 * an agent that echoes none, the only one in flight. -1 when neither.
 */
static ssize_t
find_pending(const struct msosync_client *c, uint64_t request_id)
{
	for (size_t i = 0; i < c->nfl; i++)
		if (c->fl[i].local == NULL && (c->fl[i].ticket == request_id ||
		    (request_id == 0 && c->nfl == 1)))
			return (ssize_t)i;
	return -1;
}

/* Read one answer from the socket and match it to its request. */
static int
recv_sent(struct msosync_client *c, int64_t deadline, uint64_t *ticket,
    struct msosync_reply **out)
{
	Msosync__SubmitReply	*sr = NULL;
	struct pending		 pd;
	zmq_msg_t		 body;
	ssize_t			 i = -1;
	int			 rc;

	zmq_msg_init(&body);
	if (c->sock == NULL)
		rc = MSOSYNC_EPROTO;	/* what was sent went with the socket */
	else if ((rc = wait_for(c, ZMQ_POLLIN, deadline)) == 0 &&
	    (rc = recv_answer(c, &body)) == 0) {
		arena_reset(&c->arena);
		sr = msosync__submit_reply__unpack(&c->alloc,
		    zmq_msg_size(&body), zmq_msg_data(&body));
		if (sr == NULL || (i = find_pending(c, sr->request_id)) < 0 ||
		    (rc = make_reply(sr, &c->fl[i], out)) != 0)
			rc = MSOSYNC_EPROTO;
	}
	zmq_msg_close(&body);
	if (rc != 0) {
		/* a late or partial answer must not meet the next request */
		abandon_all(c);
		if (rc == MSOSYNC_ETIMEDOUT || rc == MSOSYNC_EPROTO)
			(void)reconnect(c);
		return rc;
	}
	pd = take_pending(c, (size_t)i);
	*ticket = pd.ticket;
	free(pd.ids);
	return 0;
}

int
msosync_recv_reply(struct msosync_client *c, uint64_t *ticket,
    struct msosync_reply **out)
{
	int64_t	deadline;

	if (ticket != NULL)
		*ticket = 0;
	if (out == NULL)
		return MSOSYNC_EINVAL;
	*out = NULL;
	if (c == NULL || ticket == NULL || c->nfl == 0)
		return MSOSYNC_EINVAL;
	/* answers made here come first, in the order sent */
	for (size_t i = 0; i < c->nfl; i++)
		if (c->fl[i].local != NULL) {
			struct pending	pd = take_pending(c, i);

			*ticket = pd.ticket;
			*out = pd.local;
			return 0;
		}
	deadline = c->timeout_ms < 0 ? -1 : now_ms() + c->timeout_ms;
	return recv_sent(c, deadline, ticket, out);
}

size_t
msosync_in_flight(const struct msosync_client *c)
{
	return c != NULL ? c->nfl : 0;
}

int
msosync_submit_json(struct msosync_client *c, const char *json, size_t len,
    struct msosync_reply **out)
{
	uint64_t	ticket;
	int		rc;

	if (out == NULL)
		return MSOSYNC_EINVAL;
	*out = NULL;
	if (c == NULL || json == NULL || c->nfl > 0)
		return MSOSYNC_EINVAL;
	if ((rc = msosync_send_json(c, json, len, &ticket)) != 0)
		return rc;
	return msosync_recv_reply(c, &ticket, out);
}
