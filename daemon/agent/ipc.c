/*
 * ipc: the agent's ROUTER for local clients (libmsosync, a POS speaking
 * ZeroMQ). It turns each SubmitRequest into an ingest request and each
 * finished request into a SubmitReply sent back along the envelope it came
 * with. It owns the socket, the call records of requests in flight and the
 * ipc file's clean-up before bind; reading the socket is evzmq's.
 *
 * A call outlives the ipc if the ipc is closed while the ingest still holds
 * its request: it is then detached (call->ipc = NULL), and the ingest's
 * done callback only frees it.
 *
 * Loop thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <zmq.h>

#include "evzmq.h"
#include "ingest.h"
#include "ingest.pb-c.h"
#include "ipc.h"
#include "varint.h"
#include "xmalloc.h"

#define MALFORMED	"malformed request: not a SubmitRequest"
#define TOO_MANY	"too many events in one request"

struct ipc_call {
	struct ipc		*ipc;		/* NULL once the ipc is closed */
	struct ingest_req	*req;
	zmq_msg_t		 env[EVZMQ_MAX_PARTS - 1];
	size_t			 nenv;
	uint64_t		 request_id;	/* echoed in the reply */
	struct ipc_call		*prev, *next;
};

struct ipc {
	void			*sock;
	struct evzmq		*ez;
	struct ingest		*in;
	char			 endpoint[1024];
	struct ipc_call		*calls;		/* requests held by the ingest */
	struct ipc_stats	 stats;
};

/* The call, and its request if the ingest never took it. */
static void
call_free(struct ipc_call *c)
{
	for (size_t i = 0; i < c->nenv; i++)
		zmq_msg_close(&c->env[i]);
	ingest_req_free(&c->req);
	free(c);
}

static void
call_unlink(struct ipc_call *c)
{
	if (c->ipc == NULL)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->ipc->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/*
 * Send the envelope, then 'rep'. With ROUTER_MANDATORY a client that went
 * away makes the first frame fail (-EHOSTUNREACH), as does one whose pipe
 * is full (-EAGAIN): the reply is dropped rather than wait for either.
 */
static void
send_bytes(struct ipc_call *c, const void *data, size_t len)
{
	struct ipc	*ipc = c->ipc;
	int		 rc = 0;

	for (size_t i = 0; i < c->nenv && rc == 0; i++)
		rc = evzmq_send_msg(ipc->ez, &c->env[i], ZMQ_SNDMORE);
	if (rc == 0)
		rc = evzmq_send(ipc->ez, data, len, 0);
	if (rc == 0)
		ipc->stats.replies++;
	else
		ipc->stats.replies_dropped++;
}

static void
send_reply(struct ipc_call *c, Msosync__SubmitReply *rep)
{
	size_t	 len;
	uint8_t	*data;

	if (c->ipc == NULL)
		return;
	rep->request_id = c->request_id;
	len = msosync__submit_reply__get_packed_size(rep);
	data = xmalloc(len);
	msosync__submit_reply__pack(rep, data);
	send_bytes(c, data, len);
	free(data);
}

/*
 * A 200's SubmitReply, as msosync__submit_reply__pack writes it (fields
 * in number order; proto3 leaves out zeros), one pass over the results:
 * protobuf-c sizes each result twice. test_ipc checks every reply it
 * reads against protobuf-c byte for byte.
 */
static void
send_results(struct ipc_call *c, const struct ingest_req *req)
{
	struct buf	 b = { 0 };
	size_t		 cap = 2 * (1 + 10);	/* status, request_id */
	uint8_t		*p;

	if (c->ipc == NULL)
		return;
	/* sized once, so each field is written in place */
	for (size_t i = 0; i < req->nevents; i++)
		cap += strlen(req->events[i]->event_id) + 4 * (1 + 10);
	buf_reserve(&b, cap);
	p = (uint8_t *)b.data;
	*p++ = 1 << 3;					/* status */
	p += varint_put(p, INGEST_OK);
	for (size_t i = 0; i < req->nevents; i++) {
		const char	*id = req->events[i]->event_id;
		size_t		 idlen = strlen(id), n = 0;
		uint64_t	 seq = req->results[i].seq;
		unsigned	 st = req->results[i].duplicate ?
				    MSOSYNC__SUBMIT_RESULT__STATUS__DUPLICATE :
				    MSOSYNC__SUBMIT_RESULT__STATUS__ACCEPTED;

		if (idlen > 0)
			n += 1 + varint_len(idlen) + idlen;
		if (seq != 0)
			n += 1 + varint_len(seq);
		n += 1 + varint_len(st);
		*p++ = 2 << 3 | 2;				/* results */
		p += varint_put(p, n);
		if (idlen > 0) {
			*p++ = 1 << 3 | 2;			/* event_id */
			p += varint_put(p, idlen);
			memcpy(p, id, idlen);
			p += idlen;
		}
		if (seq != 0) {
			*p++ = 2 << 3;				/* seq */
			p += varint_put(p, seq);
		}
		*p++ = 3 << 3;					/* status */
		p += varint_put(p, st);
	}
	if (c->request_id != 0) {
		*p++ = 4 << 3;					/* request_id */
		p += varint_put(p, c->request_id);
	}
	b.len = (size_t)(p - (uint8_t *)b.data);
	send_bytes(c, b.data, b.len);
	buf_free(&b);
}

/* A reply of one error, for a request that never reached the ingest. */
static void
reply_error(struct ipc_call *c, unsigned status, const char *msg)
{
	Msosync__SubmitReply	 rep = MSOSYNC__SUBMIT_REPLY__INIT;
	Msosync__SubmitError	 err = MSOSYNC__SUBMIT_ERROR__INIT;
	Msosync__SubmitError	*errs[1] = { &err };

	err.index = 0;
	err.error = (char *)msg;
	rep.status = status;
	rep.n_errors = 1;
	rep.errors = errs;
	send_reply(c, &rep);
}

static void
on_done(struct ingest_req *req, void *arg)
{
	struct ipc_call		 *c = arg;
	Msosync__SubmitReply	  rep = MSOSYNC__SUBMIT_REPLY__INIT;
	Msosync__SubmitError	 *err = NULL, **errp = NULL;
	size_t			  i;

	if (req->status == INGEST_OK) {
		/* the common answer, made without protobuf-c */
		send_results(c, req);
		call_unlink(c);
		call_free(c);		/* and req, which is c->req */
		return;
	}
	rep.status = (uint32_t)req->status;
	if (req->nerrors > 0) {
		err = xcalloc(req->nerrors, sizeof(*err));
		errp = xcalloc(req->nerrors, sizeof(*errp));
		for (i = 0; i < req->nerrors; i++) {
			msosync__submit_error__init(&err[i]);
			err[i].index = (uint32_t)req->errors[i].index;
			if (req->errors[i].event_id != NULL)
				err[i].event_id = req->errors[i].event_id;
			err[i].error = req->errors[i].message;
			errp[i] = &err[i];
		}
		rep.n_errors = req->nerrors;
		rep.errors = errp;
	}
	send_reply(c, &rep);
	free(err);
	free(errp);
	call_unlink(c);
	call_free(c);		/* and req, which is c->req */
}

/*
 * The request's events become the ingest's: the SubmitRequest was
 * unpacked into the ingest request's allocator, and goes with it.
 */
static void
submit(struct ipc *ipc, struct ipc_call *c, Msosync__SubmitRequest *sr)
{
	for (size_t i = 0; i < sr->n_events; i++)
		ingest_req_add_event(c->req, sr->events[i]);

	c->next = ipc->calls;
	if (ipc->calls)
		ipc->calls->prev = c;
	ipc->calls = c;
	ingest_submit(ipc->in, c->req);	/* may call on_done at once */
}

static void
on_msg(struct evzmq *ez, struct evzmq_msg *m, void *arg)
{
	struct ipc		*ipc = arg;
	struct ipc_call		*c;
	zmq_msg_t		*body;
	Msosync__SubmitRequest	*sr;

	(void)ez;
	ipc->stats.requests++;
	if (m->nparts < 2) {
		/* a ROUTER always prepends the routing id: cannot happen */
		ipc->stats.malformed++;
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->ipc = ipc;
	for (c->nenv = 0; c->nenv < m->nparts - 1; c->nenv++) {
		zmq_msg_init(&c->env[c->nenv]);
		zmq_msg_move(&c->env[c->nenv], &m->part[c->nenv]);
	}
	body = &m->part[m->nparts - 1];
	c->req = ingest_req_new(on_done, c);
	sr = msosync__submit_request__unpack(ingest_req_allocator(c->req),
	    zmq_msg_size(body), zmq_msg_data(body));
	if (sr == NULL) {
		ipc->stats.malformed++;
		reply_error(c, INGEST_INVALID, MALFORMED);
		call_free(c);
		return;
	}
	c->request_id = sr->request_id;
	if (sr->n_events > INGEST_MAX_EVENTS) {
		ipc->stats.too_large++;
		reply_error(c, INGEST_TOO_LARGE, TOO_MANY);
		call_free(c);
		return;
	}
	submit(ipc, c, sr);
}

/*
 * libzmq unlinks whatever is at an ipc path before it binds. Let it remove
 * only the socket a dead agent left: never a file that is not a socket,
 * never the socket of an agent still listening on it.
 */
static int
clear_path(const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd, rc;

	if (path[0] == '@')
		return 0;		/* abstract namespace: no file */
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (unlink(path) != 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int
set_int(void *sock, int opt, int val)
{
	return zmq_setsockopt(sock, opt, &val, sizeof(val)) == 0 ? 0 : -errno;
}

int
ipc_open(struct event_base *base, void *zmq_ctx, const char *endpoint,
    struct ingest *in, size_t max_msg_bytes, struct ipc **out)
{
	struct ipc	*ipc;
	int64_t		 maxmsg = (int64_t)max_msg_bytes;
	size_t		 len;
	int		 rc;

	*out = NULL;
	ipc = xcalloc(1, sizeof(*ipc));
	ipc->in = in;
	if ((ipc->sock = zmq_socket(zmq_ctx, ZMQ_ROUTER)) == NULL) {
		rc = -errno;
		goto fail;
	}
	if (zmq_setsockopt(ipc->sock, ZMQ_MAXMSGSIZE, &maxmsg,
	    sizeof(maxmsg)) != 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = set_int(ipc->sock, ZMQ_ROUTER_MANDATORY, 1)) != 0 ||
	    (rc = set_int(ipc->sock, ZMQ_LINGER, IPC_LINGER_MS)) != 0 ||
	    (rc = set_int(ipc->sock, ZMQ_SNDHWM, IPC_HWM)) != 0 ||
	    (rc = set_int(ipc->sock, ZMQ_RCVHWM, IPC_HWM)) != 0)
		goto fail;
	if (strncmp(endpoint, "ipc://", 6) == 0 &&
	    (rc = clear_path(endpoint + 6)) != 0)
		goto fail;
	if (zmq_bind(ipc->sock, endpoint) != 0) {
		rc = -errno;
		goto fail;
	}
	len = sizeof(ipc->endpoint);
	if (zmq_getsockopt(ipc->sock, ZMQ_LAST_ENDPOINT, ipc->endpoint,
	    &len) != 0) {
		rc = -errno;
		goto fail;
	}
	if ((ipc->ez = evzmq_new(base, ipc->sock, on_msg, NULL, ipc)) == NULL) {
		rc = -errno;
		goto fail;
	}
	*out = ipc;
	return 0;
fail:
	if (ipc->sock != NULL) {
		set_int(ipc->sock, ZMQ_LINGER, 0);
		zmq_close(ipc->sock);
	}
	free(ipc);
	return rc;
}

void
ipc_close(struct ipc **ipcp)
{
	struct ipc	*ipc = *ipcp;
	struct ipc_call	*c, *next;

	if (ipc == NULL)
		return;
	for (c = ipc->calls; c != NULL; c = next) {
		next = c->next;
		c->ipc = NULL;
		c->prev = c->next = NULL;
	}
	evzmq_free(&ipc->ez);
	zmq_close(ipc->sock);	/* libzmq removes the ipc file */
	free(ipc);
	*ipcp = NULL;
}

const char *
ipc_endpoint(const struct ipc *ipc)
{
	return ipc->endpoint;
}

const struct ipc_stats *
ipc_stats(const struct ipc *ipc)
{
	return &ipc->stats;
}
