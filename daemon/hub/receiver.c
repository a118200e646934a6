/*
 * Receiver: frames in, store_apply, acks out. See receiver.h.
 *
 * One drain: evzmq hands over every message ready; hellos and heartbeats
 * are answered at once, batches are queued, and each goes to a worker for
 * store_prepare (its events unpacked, its chain links hashed). The apply
 * event hands the prepared head of the queue to the writer thread as one
 * durable transaction (store_apply_run); the loop goes on reading and
 * preparing frames meanwhile, and the next transaction takes all that is
 * prepared when this one is done. Only after the commit does any site
 * get its ack (DESIGN §4.3).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "clock.h"
#include "evzmq.h"
#include "log.h"
#include "msosync/error.h"
#include "receiver.h"
#include "wire.h"
#include "workq.h"
#include "xmalloc.h"

#define ROUTING_ID_MAX	256
#define LINK_TIMEOUT_MS	10000	/* the agents' heartbeat timeout */

struct session {
	uint32_t	 site_id;	/* 0: empty slot */
	uint8_t		 rid[ROUTING_ID_MAX];
	size_t		 rid_len;	/* 0: no live session */
	uint8_t		 epoch[WIRE_EPOCH_LEN];
	uint64_t	 acked_seq;
	uint64_t	 head_seq;
	int64_t		 oldest_unacked_at;
	int64_t		 last_seen_ms;
};

/*
 * A frame, from its decoding to its apply. A batch is queued with it; a
 * frame of another kind is done with by the next message.
 */
struct queued {
	struct workq_job	 job;		/* store_prepare, on a worker */
	uint32_t		 site_id;
	uint8_t			 rid[ROUTING_ID_MAX];
	size_t			 rid_len;
	Msosync__Frame		*frame;
	uint8_t			 epoch[WIRE_EPOCH_LEN];	/* its session's */
	struct store_batch	 batch;		/* rec, ev and link */
	size_t			 bytes;		/* of its arena, counted */
	int			 prepared;
	uint64_t		 last_seq;	/* its last record's */
	int64_t			 first_recorded_at;	/* ms; 0: unknown */
	struct receiver		*r;
	struct arena		 arena;		/* the frame, ev and link */
	ProtobufCAllocator	 pb;
};

#define PREPARE_WORKERS	2

struct receiver {
	struct evzmq		*ez;
	void			*router;
	struct event		*apply_ev;
	struct workq		*workers;
	struct queued		*spare;		/* the next message decodes here */
	struct workq		*writer;	/* one thread: the store's commits */
	struct workq_job	 apply_job;
	struct store_apply_op	 op;
	size_t			 napply;	/* queued batches it commits */
	struct event_base	*base;
	struct store		*store;
	const struct sites	*sites;
	struct session		*sess;		/* open addressing by site id */
	size_t			 sess_cap, nsess;
	struct queued		**q;		/* batches, in arrival order */
	size_t			 nq, qcap;
	size_t			 qbytes;	/* their arenas' */
	size_t			 qmax;		/* reading stops past it */
	int			 paused;
	struct store_batch	*batches;
	size_t			 bcap;
	struct buf		 out;
	struct receiver_stats	 stats;
	int			 failed;
};

static struct session *
session_slot(struct receiver *r, uint32_t site)
{
	size_t	i = (site * 2654435761u) & (r->sess_cap - 1);

	while (r->sess[i].site_id != 0 && r->sess[i].site_id != site)
		i = (i + 1) & (r->sess_cap - 1);
	return &r->sess[i];
}

static const struct session *
session_find(const struct receiver *r, uint32_t site)
{
	size_t	i = (site * 2654435761u) & (r->sess_cap - 1);

	while (r->sess[i].site_id != 0) {
		if (r->sess[i].site_id == site)
			return &r->sess[i];
		i = (i + 1) & (r->sess_cap - 1);
	}
	return NULL;
}

static struct session *
session_get(struct receiver *r, uint32_t site)
{
	struct session	*s;

	if ((r->nsess + 1) * 2 > r->sess_cap) {
		struct session *old = r->sess;
		size_t oldcap = r->sess_cap;

		r->sess_cap = oldcap ? oldcap * 2 : 64;
		r->sess = xcalloc(r->sess_cap, sizeof(*r->sess));
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].site_id)
				*session_slot(r, old[i].site_id) = old[i];
		free(old);
	}
	s = session_slot(r, site);
	if (s->site_id == 0) {
		memset(s, 0, sizeof(*s));
		s->site_id = site;
		r->nsess++;
	}
	return s;
}

/* Send r->out to a routing id. A vanished or full peer loses the frame:
 * the agent's timeout and resume make up for it. */
static void
send_to(struct receiver *r, const uint8_t *rid, size_t rid_len)
{
	r->stats.frames++;
	if (evzmq_send(r->ez, rid, rid_len, ZMQ_SNDMORE) != 0)
		return;
	(void)evzmq_send(r->ez, r->out.data, r->out.len, 0);
}

static void
reject(struct receiver *r, const uint8_t *rid, size_t rid_len,
    Msosync__Reject__Code code, const char *msg, uint64_t acked,
    uint32_t site)
{
	if ((unsigned)code < sizeof(r->stats.rejects) / sizeof(r->stats.rejects[0]))
		r->stats.rejects[code]++;
	log_warnx("site %u: reject %s: %s", site, wire_reject_code_name(code),
	    msg);
	wire_reject(&r->out, code, msg, acked);
	send_to(r, rid, rid_len);
}

static void
on_hello(struct receiver *r, uint32_t site, const uint8_t *rid,
    size_t rid_len, const Msosync__Hello *h)
{
	struct session	*s;
	uint64_t	 acked;
	uint8_t		 hash[CHAIN_HASH_LEN];
	int		 changed = 0, rc;
	char		 msg[160];

	if (h->protocol_version != WIRE_PROTOCOL_VERSION) {
		snprintf(msg, sizeof(msg), "protocol %u not spoken; this hub "
		    "speaks %u", h->protocol_version, WIRE_PROTOCOL_VERSION);
		reject(r, rid, rid_len, MSOSYNC__REJECT__CODE__VERSION, msg, 0,
		    site);
		return;
	}
	if (h->site_id != site) {
		snprintf(msg, sizeof(msg), "this key belongs to site %u, not "
		    "site %u", site, h->site_id);
		reject(r, rid, rid_len, MSOSYNC__REJECT__CODE__WRONG_SITE, msg,
		    0, site);
		return;
	}
	rc = store_hello(r->store, site, h->epoch.data, &acked, hash, &changed);
	if (rc == MSOSYNC_EREFUSED) {
		reject(r, rid, rid_len, MSOSYNC__REJECT__CODE__MALFORMED,
		    "this journal's epoch was retired by a newer one", 0, site);
		return;
	}
	if (rc != 0) {
		log_error("site %u: hello: store: %s", site,
		    msosync_strerror(rc));
		if (rc == MSOSYNC_EPANIC) {
			r->failed = 1;
			event_base_loopbreak(r->base);
		}
		return;
	}
	if (changed)
		log_warnx("site %u: alert: new journal epoch; the old one is "
		    "closed at its last applied seq", site);
	s = session_get(r, site);
	memcpy(s->rid, rid, rid_len);
	s->rid_len = rid_len;
	memcpy(s->epoch, h->epoch.data, WIRE_EPOCH_LEN);
	s->acked_seq = acked;
	s->head_seq = h->head_seq;
	s->last_seen_ms = clock_now_ms();
	log_info("site %u: hello: head %llu, hub holds %llu", site,
	    (unsigned long long)h->head_seq, (unsigned long long)acked);
	wire_welcome(&r->out, acked, hash, WIRE_MAX_BATCH_EVENTS,
	    WIRE_MAX_BATCH_BYTES, WIRE_DEFAULT_CREDIT);
	send_to(r, rid, rid_len);
}

static int
is_current(const struct session *s, const uint8_t *rid, size_t rid_len)
{
	return s && s->rid_len == rid_len && memcmp(s->rid, rid, rid_len) == 0;
}

/* A frame that needs a session, from a peer without one: hello first. */
static void
no_session(struct receiver *r, const struct session *s, const uint8_t *rid,
    size_t rid_len)
{
	reject(r, rid, rid_len, MSOSYNC__REJECT__CODE__GAP,
	    "no session: send hello", s->acked_seq, s->site_id);
}

/*
 * Count what q's arena holds now, and stop reading the socket while the
 * queue is past its bound: the agents' frames then wait in ZeroMQ's
 * queues and TCP, each site's within its credit, and not decoded.
 */
static void
account(struct receiver *r, struct queued *q)
{
	r->qbytes += q->arena.used - q->bytes;
	q->bytes = q->arena.used;
}

static void
throttle(struct receiver *r)
{
	int	over = r->qbytes > r->qmax;

	if (over == r->paused)
		return;
	r->paused = over;
	if (over) {
		r->stats.read_pauses++;
		log_debug("receiver: %zu bytes queued; reading paused",
		    r->qbytes);
	}
	evzmq_pause(r->ez, over);
}

static void
prepare(struct workq_job *job)
{
	struct queued	*q = workq_owner(job, struct queued, job);

	store_prepare(&q->batch, &q->pb);
}

static void
prepared(struct workq_job *job)
{
	struct queued	*q = workq_owner(job, struct queued, job);

	q->prepared = 1;
	if (q->batch.nrec > 0) {
		q->last_seq = q->batch.rec[q->batch.nrec - 1]->seq;
		if (q->batch.ev != NULL && q->batch.ev[0] != NULL)
			q->first_recorded_at = q->batch.ev[0]->recorded_at;
	}
	account(q->r, q);	/* its events and links, now */
	throttle(q->r);
	event_active(q->r->apply_ev, 0, 0);
}

/*
 * Queue the batch decoded into r->spare, and have a worker prepare it. It
 * keeps the epoch of the session it came in: a hello may start another
 * before it is applied, and the store then turns it away as stale.
 */
static void
enqueue(struct receiver *r, const struct session *s, const uint8_t *rid,
    size_t rid_len, Msosync__Frame *f)
{
	struct queued	*q = r->spare;

	r->spare = NULL;	/* the frame is in its arena */
	q->site_id = s->site_id;
	memcpy(q->epoch, s->epoch, sizeof(q->epoch));
	memcpy(q->rid, rid, rid_len);
	q->rid_len = rid_len;
	q->frame = f;
	memset(&q->batch, 0, sizeof(q->batch));
	q->batch.rec = (const Msosync__Record *const *)f->batch->records;
	q->batch.nrec = f->batch->n_records;
	q->prepared = 0;
	q->last_seq = 0;
	q->first_recorded_at = 0;
	q->bytes = 0;
	account(r, q);		/* the decoded frame */
	if (r->nq == r->qcap) {
		r->qcap = r->qcap ? r->qcap * 2 : 64;
		r->q = xrealloc(r->q, r->qcap * sizeof(*r->q));
	}
	r->q[r->nq++] = q;
	q->job.run = prepare;
	q->job.done = prepared;
	workq_push(r->workers, &q->job);
	throttle(r);
}

static void
queued_free(struct queued *q)
{
	if (q == NULL)
		return;
	arena_free(&q->arena);
	free(q);
}

static void
on_msg(struct evzmq *ez, struct evzmq_msg *m, void *arg)
{
	struct receiver		*r = arg;
	Msosync__Frame		*f = NULL;
	struct session		*s;
	const char		*uid;
	const uint8_t		*rid;
	size_t			 rid_len;
	char			*end;
	unsigned long		 site;
	int			 rc;

	(void)ez;
	if (r->spare == NULL) {
		r->spare = xcalloc(1, sizeof(*r->spare));
		r->spare->r = r;
		arena_pb_allocator(&r->spare->arena, &r->spare->pb);
	}
	/* the last message's frame, if it was not a batch, is garbage now */
	arena_reset(&r->spare->arena);
	if (m->nparts != 2)
		return;		/* DEALER peers send one part; drop others */
	rid = zmq_msg_data(&m->part[0]);
	rid_len = zmq_msg_size(&m->part[0]);
	uid = zmq_msg_gets(&m->part[1], "User-Id");
	if (rid_len == 0 || rid_len > ROUTING_ID_MAX || uid == NULL)
		return;
	site = strtoul(uid, &end, 10);
	if (*end != '\0' || site == 0 || site > UINT32_MAX)
		return;
	if (!sites_is_active(r->sites, (uint32_t)site)) {
		s = session_get(r, (uint32_t)site);
		s->rid_len = 0;
		reject(r, rid, rid_len, MSOSYNC__REJECT__CODE__REVOKED,
		    "this site's key was revoked", 0, (uint32_t)site);
		return;
	}
	s = session_get(r, (uint32_t)site);
	if (wire_peek_kind(zmq_msg_data(&m->part[1]),
	    zmq_msg_size(&m->part[1])) == MSOSYNC__FRAME__KIND_BATCH &&
	    !is_current(s, rid, rid_len)) {
		/*
		 * An agent that lost its session (a hub restart) sends what
		 * it had queued: turn it away unread, it is a megabyte each.
		 */
		no_session(r, s, rid, rid_len);
		return;
	}
	rc = wire_decode(zmq_msg_data(&m->part[1]), zmq_msg_size(&m->part[1]),
	    WIRE_MAX_FRAME, &r->spare->pb, &f);
	if (rc != 0) {
		reject(r, rid, rid_len, rc == MSOSYNC_ETOOBIG ?
		    MSOSYNC__REJECT__CODE__TOO_LARGE :
		    MSOSYNC__REJECT__CODE__MALFORMED, msosync_strerror(rc), 0,
		    (uint32_t)site);
		return;
	}
	s = session_get(r, (uint32_t)site);
	switch (f->kind_case) {
	case MSOSYNC__FRAME__KIND_HELLO:
		on_hello(r, (uint32_t)site, rid, rid_len, f->hello);
		break;
	case MSOSYNC__FRAME__KIND_HEARTBEAT:
		if (!is_current(s, rid, rid_len)) {
			/* e.g. after a hub restart: make the agent say hello
			 * now rather than when its ack timeout runs out */
			no_session(r, s, rid, rid_len);
			break;
		}
		s->head_seq = f->heartbeat->head_seq;
		s->oldest_unacked_at = f->heartbeat->oldest_unacked_at;
		s->last_seen_ms = clock_now_ms();
		wire_ack(&r->out, s->acked_seq, WIRE_DEFAULT_CREDIT);
		send_to(r, rid, rid_len);
		break;
	case MSOSYNC__FRAME__KIND_BATCH:
		if (!is_current(s, rid, rid_len)) {
			/* after a hub restart or from a replaced session */
			no_session(r, s, rid, rid_len);
			break;
		}
		s->last_seen_ms = clock_now_ms();
		enqueue(r, s, rid, rid_len, f);
		break;
	default:
		reject(r, rid, rid_len, MSOSYNC__REJECT__CODE__MALFORMED,
		    "frame kind not accepted from an agent", s->acked_seq,
		    (uint32_t)site);
		break;
	}
}

static Msosync__Reject__Code
code_of(int result)
{
	switch (result) {
	case MSOSYNC_EGAP: return MSOSYNC__REJECT__CODE__GAP;
	case MSOSYNC_ECHAIN:
	case MSOSYNC_EREFUSED: return MSOSYNC__REJECT__CODE__CHAIN_MISMATCH;
	case MSOSYNC_EINVAL: return MSOSYNC__REJECT__CODE__WRONG_SITE;
	default: return MSOSYNC__REJECT__CODE__MALFORMED;
	}
}

/*
 * q was refused. Its session ends (the agent says hello again, maybe much
 * later), and its records count as the site's lag from now: until the
 * agent's next heartbeat the hub's figures would otherwise say a stalled
 * site is caught up.
 */
static void
refused(struct session *s, const struct queued *q)
{
	if (q->last_seq > s->head_seq)
		s->head_seq = q->last_seq;
	if (q->first_recorded_at > 0 && (s->oldest_unacked_at == 0 ||
	    q->first_recorded_at < s->oldest_unacked_at))
		s->oldest_unacked_at = q->first_recorded_at;
	if (is_current(s, q->rid, q->rid_len))
		s->rid_len = 0;
}

/*
 * The commit of the first n queued batches ended with rc: account, ack
 * or refuse each, and let them go.
 */
static void
applied(struct receiver *r, size_t n, int rc)
{
	if (rc == 0)
		r->stats.commits++;
	else if (rc == MSOSYNC_EPANIC) {
		log_error("store: %s: stopping; nothing of this commit was "
		    "acknowledged", msosync_strerror(rc));
		r->failed = 1;
		event_base_loopbreak(r->base);
	} else
		log_warnx("store: %s: %zu batches refused, agents keep them",
		    rc == MSOSYNC_EFULL ? "the hub's store is full "
		    "(store_max_mb)" : msosync_strerror(rc), n);

	for (size_t i = 0; i < n && rc != MSOSYNC_EPANIC; i++) {
		struct store_batch	*b = &r->batches[i];
		struct queued		*q = r->q[i];
		struct session		*s = session_get(r, q->site_id);

		if (rc != 0) {
			reject(r, q->rid, q->rid_len,
			    MSOSYNC__REJECT__CODE__FULL,
			    "the hub's store is full", s->acked_seq, q->site_id);
			refused(s, q);
			continue;
		}
		s->acked_seq = b->acked_seq;
		r->stats.events_applied += b->applied;
		r->stats.retransmits += b->retransmits;
		r->stats.duplicates += b->duplicates;
		if (b->result == 0) {
			r->stats.batches_applied++;
			if (is_current(s, q->rid, q->rid_len)) {
				wire_ack(&r->out, b->acked_seq,
				    WIRE_DEFAULT_CREDIT);
				send_to(r, q->rid, q->rid_len);
			}
		} else {
			if (b->result == MSOSYNC_ECHAIN)
				log_error("site %u: alert: %s", q->site_id,
				    b->message);
			reject(r, q->rid, q->rid_len, code_of(b->result),
			    b->message, b->acked_seq, q->site_id);
			refused(s, q);
		}
	}
	for (size_t i = 0; i < n; i++) {
		r->qbytes -= r->q[i]->bytes;
		queued_free(r->q[i]);
	}
	r->nq -= n;
	memmove(r->q, r->q + n, r->nq * sizeof(*r->q));
	throttle(r);
}

/* On the writer thread: the transaction and its fsync. */
static void
apply_run(struct workq_job *job)
{
	struct receiver	*r = workq_owner(job, struct receiver, apply_job);

	store_apply_run(r->store, &r->op);
}

/* Back on the loop: the acks, then the batches prepared meanwhile. */
static void
apply_done(struct workq_job *job)
{
	struct receiver	*r = workq_owner(job, struct receiver, apply_job);
	int		 rc;

	if ((rc = store_apply_finish(r->store, &r->op)) == STORE_AGAIN) {
		workq_push(r->writer, &r->apply_job);	/* map grown */
		return;
	}
	applied(r, r->napply, rc);
	r->napply = 0;
	event_active(r->apply_ev, 0, 0);
}

/*
 * Hand the prepared head of the queue, in order (a site's batches too), to
 * the writer thread as one transaction, unless one is in flight: the loop
 * goes on reading and preparing frames while it commits.
 */
static void
on_apply(evutil_socket_t fd, short what, void *arg)
{
	struct receiver	*r = arg;
	size_t		 n = 0;
	int		 rc;

	(void)fd;
	(void)what;
	if (r->napply > 0)
		return;			/* apply_done comes back here */
	while (n < r->nq && r->q[n]->prepared)
		n++;
	if (n == 0)
		return;
	if (n > r->bcap) {
		r->bcap = n;
		r->batches = xrealloc(r->batches, n * sizeof(*r->batches));
	}
	for (size_t i = 0; i < n; i++) {
		struct store_batch	*b = &r->batches[i];

		*b = r->q[i]->batch;
		b->site_id = r->q[i]->site_id;
		b->epoch = r->q[i]->epoch;
	}
	if ((rc = store_apply_start(r->store, &r->op, r->batches, n)) != 0) {
		applied(r, n, rc);
		return;
	}
	r->napply = n;
	workq_push(r->writer, &r->apply_job);
}

struct receiver *
receiver_new(struct event_base *base, void *router, struct store *store,
    const struct sites *sites, size_t queue_max)
{
	struct receiver	*r = xcalloc(1, sizeof(*r));

	r->qmax = queue_max;
	r->base = base;
	r->router = router;
	r->store = store;
	r->sites = sites;
	r->sess_cap = 64;
	r->sess = xcalloc(r->sess_cap, sizeof(*r->sess));
	r->apply_ev = event_new(base, -1, 0, on_apply, r);
	if (r->apply_ev == NULL || event_priority_set(r->apply_ev, 1) != 0)
		abort();	/* a base without priorities is a wiring bug */
	r->apply_job.run = apply_run;
	r->apply_job.done = apply_done;
	if ((r->workers = workq_new(base, PREPARE_WORKERS)) == NULL ||
	    (r->writer = workq_new(base, 1)) == NULL ||
	    (r->ez = evzmq_new(base, router, on_msg, NULL, r)) == NULL) {
		int e = errno;
		workq_free(&r->writer);
		workq_free(&r->workers);
		event_free(r->apply_ev);
		free(r->sess);
		free(r);
		errno = e;
		return NULL;
	}
	return r;
}

void
receiver_free(struct receiver **rp)
{
	struct receiver	*r = *rp;

	if (r == NULL)
		return;
	/* the commit in flight ends, and is acked: the socket is still there */
	workq_free(&r->writer);
	workq_free(&r->workers);	/* its dones touch apply_ev */
	evzmq_free(&r->ez);
	event_free(r->apply_ev);
	for (size_t i = 0; i < r->nq; i++)
		queued_free(r->q[i]);
	queued_free(r->spare);
	free(r->q);
	free(r->batches);
	free(r->sess);
	buf_free(&r->out);
	free(r);
	*rp = NULL;
}

void
receiver_set_sites(struct receiver *r, const struct sites *s)
{
	r->sites = s;
}

void
receiver_site(const struct receiver *r, uint32_t site_id,
    struct receiver_site *out)
{
	const struct session	*s = session_find(r, site_id);
	int64_t			 now = clock_now_ms();

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return;
	out->connected = s->rid_len > 0 &&
	    now - s->last_seen_ms < LINK_TIMEOUT_MS;
	out->head_seq = s->head_seq;
	out->oldest_unacked_at = s->oldest_unacked_at;
	out->last_seen_ms = s->last_seen_ms;
}

const struct receiver_stats *
receiver_stats(const struct receiver *r)
{
	return &r->stats;
}

int
receiver_failed(const struct receiver *r)
{
	return r->failed;
}
