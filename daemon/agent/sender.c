/*
 * sender: the agent's side of the replication protocol, and retention.
 *
 * Three states. IDLE: no socket, a retry timer pending. HELLO: a fresh
 * DEALER socket, the hello sent (or waiting for the handshake to let it
 * through: with ZMQ_IMMEDIATE nothing is queued before a connection is
 * up), waiting for the welcome. STREAM: welcomed; batches go out while
 * fewer than min(credit, window) are unacknowledged, each read from the
 * journal straight into the frame by the wire batch builder.
 *
 * Every way out of a session (welcome timeout, ack timeout, a reject, a
 * broken promise from the hub) closes the socket and opens a new one
 * after a delay: a new socket leaves behind every frame still in flight
 * on the old one, so the welcome that answers the new hello is the only
 * truth about where to resume. The sender keeps no event of its own.
 *
 * One 1 s tick drives the heartbeats, the timeouts, the lazy saving of
 * the acked mark and, every 60 ticks, retention.
 *
 * Event-loop thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "clock.h"
#include "evzmq.h"
#include "log.h"
#include "msosync/error.h"
#include "sender.h"
#include "wire.h"
#include "xmalloc.h"

#define TICK_MS			1000	/* heartbeats and timeouts */
#define HELLO_TIMEOUT_MS	5000	/* socket opened -> welcome */
#define ACK_TIMEOUT_MS		10000	/* batches in flight, no ack */
#define LINK_TIMEOUT_MS		10000	/* "connected": a hub frame within */
#define ACKED_SAVE_MS		200	/* the durable mark, at most this often */
#define RETENTION_TICKS		60
#define PRUNE_STEP		10000	/* records a prune transaction */
/*
 * libzmq's own TCP reconnect, while a socket waits for a hub that is
 * down: every 100 ms. A hub that comes back is found within it, so it
 * bounds the start of a catch-up (5 s here made the reconnect most of a
 * 300,000-event catch-up, 1 s still half a second of it, 200 ms a tenth
 * of a 1,000,000-event one). A connect attempt to a closed port costs the
 * hub nothing.
 */
#define RECONNECT_MAX_MS	100
#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		10000
#define REFUSED_MIN_MS		10000	/* the hub refused us: wait long */
#define REFUSED_MAX_MS		30000
#define MSG_MAX			200	/* of the hub's reject text, logged */

enum state {
	S_IDLE,
	S_HELLO,
	S_STREAM
};

struct sender {
	struct event_base	*base;
	void			*zctx;
	struct journal		*j;
	uint32_t		 site_id;
	char			*endpoint;
	char			*hub_key;
	const struct keypair	*keys;
	size_t			 cfg_events, cfg_bytes, window;
	unsigned		 retention_days;

	enum state		 state;
	void			*sock;
	struct evzmq		*ez;
	struct event		*tick_ev, *retry_ev;
	unsigned		 ticks;
	int			 hello_pending;	/* the socket could not take it yet */
	int64_t			 opened_at;	/* monotonic ms */
	unsigned		 backoff_ms;	/* reset by an ack that advances */
	unsigned		 failures;	/* sockets in a row without welcome */
	int			 gap_retry;	/* resumed after a gap, no ack since */

	/* the session, meaningful in S_STREAM */
	uint64_t		 acked;		/* the hub's mark */
	uint64_t		 next_seq;	/* first seq not sent */
	uint32_t		 credit;
	size_t			 max_events, max_bytes;
	uint64_t		*inflight;	/* ring: last seq of each unacked batch */
	size_t			 in_head, in_n;
	int64_t			 ack_wait_since; /* monotonic ms */
	int			 stuck;		/* the hub needs what we no longer have */
	int64_t			 last_rx;	/* monotonic ms, any hub frame */

	int64_t			 last_ack_at;	/* wall ms */
	int64_t			 acked_saved_at; /* monotonic ms */
	int			 failed;

	struct wire_batch	 batch;
	struct buf		 frame;
};

static void	pump(struct sender *);
static void	send_hello(struct sender *);

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ms ± 25%, so that many agents cut off together do not return together */
static unsigned
jitter(unsigned ms)
{
	return ms - ms / 4 + randombytes_uniform(ms / 2 + 1);
}

static void
timer_ms(struct event *ev, unsigned ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

/* The hub's text, cut short and made printable, for one log line. */
static const char *
printable(const char *in, char *out, size_t outlen)
{
	size_t	i;

	for (i = 0; in[i] != '\0' && i + 1 < outlen; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
	return out;
}

static void
storage_error(struct sender *s, int rc, const char *what)
{
	if (rc != MSOSYNC_EPANIC) {
		log_warnx("journal: %s: %s", what, msosync_strerror(rc));
		return;
	}
	log_error("journal: %s: %s: stopping", what, msosync_strerror(rc));
	s->failed = 1;
	event_base_loopbreak(s->base);
}

/*
 * Retention: drop records the hub holds that are older than
 * retention_days (all of them with 0). journal_prune itself never goes
 * past the acked mark.
 */
static void
prune(struct sender *s, int periodic)
{
	int64_t	before = INT64_MAX;
	size_t	n, total = 0;
	int	rc;

	if (s->retention_days > 0)
		before = clock_now_ms() - (int64_t)s->retention_days * 86400000;
	do {
		rc = journal_prune(s->j, journal_acked_seq(s->j), before,
		    PRUNE_STEP, &n);
		if (rc != 0) {
			storage_error(s, rc, "pruning");
			return;
		}
		total += n;
	} while (n > 0);
	if (total > 0 && periodic)
		log_info("retention: pruned %zu records; the journal keeps "
		    "seq %llu..%llu", total,
		    (unsigned long long)journal_first_seq(s->j),
		    (unsigned long long)journal_head_seq(s->j));
}

/*
 * Make the hub's mark the journal's acked mark. It is a durable write, so
 * an ack saves it at most every ACKED_SAVE_MS; the tick saves the rest.
 */
static void
save_acked(struct sender *s, int force)
{
	uint64_t	v = s->acked;
	int64_t		now = mono_ms();
	int		rc;

	/* stuck: the hub's mark is not about these records; trust none of it */
	if (s->stuck)
		return;
	if (v > journal_head_seq(s->j))
		v = journal_head_seq(s->j);
	if (v <= journal_acked_seq(s->j))
		return;
	if (!force && now - s->acked_saved_at < ACKED_SAVE_MS)
		return;
	s->acked_saved_at = now;
	if ((rc = journal_set_acked(s->j, v)) != 0) {
		storage_error(s, rc, "saving the acked mark");
		return;
	}
	if (s->retention_days == 0)
		prune(s, 0);
}

static int
set_int(void *z, int opt, int v)
{
	return zmq_setsockopt(z, opt, &v, sizeof(v)) == 0 ? 0 : -errno;
}

static int
set_options(struct sender *s, void *z)
{
	int64_t	max = (int64_t)WIRE_MAX_FRAME;
	int	rc;

	/* CURVE keys must be in place before connect */
	if (zmq_setsockopt(z, ZMQ_CURVE_SERVERKEY, s->hub_key,
	    strlen(s->hub_key)) != 0 ||
	    zmq_setsockopt(z, ZMQ_CURVE_PUBLICKEY, s->keys->public_z85,
	    strlen(s->keys->public_z85)) != 0 ||
	    zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, s->keys->secret_z85,
	    strlen(s->keys->secret_z85)) != 0 ||
	    zmq_setsockopt(z, ZMQ_MAXMSGSIZE, &max, sizeof(max)) != 0)
		return -errno;
	/* the journal holds everything: nothing to flush on close */
	if ((rc = set_int(z, ZMQ_LINGER, 0)) != 0 ||
	    (rc = set_int(z, ZMQ_HANDSHAKE_IVL, 5000)) != 0 ||
	    (rc = set_int(z, ZMQ_HEARTBEAT_IVL, 2000)) != 0 ||
	    (rc = set_int(z, ZMQ_HEARTBEAT_TTL, 10000)) != 0 ||
	    (rc = set_int(z, ZMQ_HEARTBEAT_TIMEOUT, 10000)) != 0 ||
	    (rc = set_int(z, ZMQ_RECONNECT_IVL, 100)) != 0 ||
	    (rc = set_int(z, ZMQ_RECONNECT_IVL_MAX, RECONNECT_MAX_MS)) != 0 ||
	    (rc = set_int(z, ZMQ_SNDHWM, (int)s->window + 16)) != 0 ||
	    (rc = set_int(z, ZMQ_IMMEDIATE, 1)) != 0)
		return rc;
	return 0;
}

static void	on_msg(struct evzmq *, struct evzmq_msg *, void *);
static void	on_writable(struct evzmq *, void *);

static int
open_socket(struct sender *s)
{
	void	*z;
	int	 rc;

	if ((z = zmq_socket(s->zctx, ZMQ_DEALER)) == NULL)
		return -errno;
	if ((rc = set_options(s, z)) != 0)
		goto fail;
	if (zmq_connect(z, s->endpoint) != 0) {
		rc = -errno;
		goto fail;
	}
	if ((s->ez = evzmq_new(s->base, z, on_msg, on_writable, s)) == NULL) {
		rc = -errno;
		goto fail;
	}
	s->sock = z;
	return 0;
fail:
	zmq_close(z);
	return rc;
}

static void
close_socket(struct sender *s)
{
	evzmq_free(&s->ez);
	if (s->sock != NULL)
		zmq_close(s->sock);
	s->sock = NULL;
}

/* End the session; a fresh socket and hello follow after 'delay' ms. */
static void
reconnect(struct sender *s, unsigned delay)
{
	save_acked(s, 1);	/* the last ack may be younger than the save */
	close_socket(s);
	s->state = S_IDLE;
	s->hello_pending = 0;
	s->in_n = 0;
	s->last_rx = 0;
	timer_ms(s->retry_ev, delay);
}

/* Reconnect after the current backoff, and lengthen it. Returns the delay. */
static unsigned
backoff(struct sender *s)
{
	unsigned	delay = jitter(s->backoff_ms);

	s->backoff_ms *= 2;
	if (s->backoff_ms > BACKOFF_MAX_MS)
		s->backoff_ms = BACKOFF_MAX_MS;
	reconnect(s, delay);
	return delay;
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct sender	*s = arg;
	int		 rc;

	(void)fd;
	(void)what;
	if ((rc = open_socket(s)) != 0) {
		log_warnx("hub %s: cannot open a socket: %s", s->endpoint,
		    msosync_strerror(rc));
		backoff(s);
		return;
	}
	s->state = S_HELLO;
	s->opened_at = mono_ms();
	log_debug("hub %s: connecting as site %u", s->endpoint, s->site_id);
	send_hello(s);
}

static void
send_hello(struct sender *s)
{
	uint64_t	head = journal_head_seq(s->j);
	int		rc;

	wire_hello(&s->frame, s->site_id, journal_epoch(s->j), head,
	    head > 0 ? journal_head_hash(s->j) : NULL, MSOSYNC_VERSION);
	rc = evzmq_send(s->ez, s->frame.data, s->frame.len, 0);
	if (rc == -EAGAIN) {
		/* no connection up yet (ZMQ_IMMEDIATE): send when there is */
		s->hello_pending = 1;
		evzmq_want_write(s->ez);
		return;
	}
	s->hello_pending = 0;
	if (rc != 0) {
		log_warnx("hub %s: sending hello: %s", s->endpoint,
		    msosync_strerror(rc));
		backoff(s);
	}
}

static int
on_record(void *arg, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN],
    int64_t recorded_at, const void *event, size_t len)
{
	struct sender		*s = arg;
	struct wire_batch	*b = &s->batch;

	(void)recorded_at;
	if (seq != b->first_seq + b->n)
		return MSOSYNC_EGAP;	/* pruned or missing: cannot happen */
	if (b->n > 0 && wire_batch_len_after(b, len) > s->max_bytes)
		return 1;
	/* one record always goes, however big, unless no hub could take it */
	if (wire_batch_len_after(b, len) > WIRE_MAX_FRAME)
		return MSOSYNC_ETOOBIG;
	wire_batch_add(b, seq, hash, event, len);
	return b->n >= s->max_events || wire_batch_len(b) >= s->max_bytes;
}

static size_t
limit(const struct sender *s)
{
	return s->credit < s->window ? s->credit : s->window;
}

/*
 * Send batches while the window allows and the journal has records. A
 * batch goes at once, however small: under load the window fills, and
 * records that arrive meanwhile wait for an ack and leave together, so
 * batches grow with the rate and a lone event is never held back.
 */
static void
pump(struct sender *s)
{
	int	rc;

	while (s->state == S_STREAM && !s->stuck && s->in_n < limit(s) &&
	    s->next_seq <= journal_head_seq(s->j)) {
		wire_batch_reset(&s->batch, s->next_seq);
		rc = journal_scan(s->j, s->next_seq, on_record, s);
		if (rc == 0 && s->batch.n == 0)
			rc = MSOSYNC_EGAP;	/* below the head, yet no record */
		if (rc < 0) {
			if (rc == MSOSYNC_EGAP || rc == MSOSYNC_ETOOBIG) {
				log_error("hub %s: cannot send seq %llu: %s; "
				    "replication of site %u stops here",
				    s->endpoint,
				    (unsigned long long)(s->next_seq +
				    s->batch.n), msosync_strerror(rc),
				    s->site_id);
				s->stuck = 1;
			} else
				storage_error(s, rc, "reading records");
			return;
		}
		wire_batch_finish(&s->batch, &s->frame);
		rc = evzmq_send(s->ez, s->frame.data, s->frame.len, 0);
		if (rc == -EAGAIN) {
			evzmq_want_write(s->ez);
			return;
		}
		if (rc != 0) {
			log_warnx("hub %s: sending a batch: %s; reconnecting",
			    s->endpoint, msosync_strerror(rc));
			backoff(s);
			return;
		}
		if (s->in_n == 0)
			s->ack_wait_since = mono_ms();
		s->next_seq += s->batch.n;
		s->inflight[(s->in_head + s->in_n) % s->window] =
		    s->next_seq - 1;
		s->in_n++;
	}
}

static void
on_writable(struct evzmq *ez, void *arg)
{
	struct sender	*s = arg;

	(void)ez;
	if (s->state == S_HELLO && s->hello_pending)
		send_hello(s);
	else
		pump(s);
}

static void
on_welcome(struct sender *s, const Msosync__Welcome *w)
{
	uint64_t	head = journal_head_seq(s->j);
	uint64_t	first = journal_first_seq(s->j);

	if (s->state != S_HELLO) {
		log_warnx("hub %s: a welcome out of turn, ignored", s->endpoint);
		return;
	}
	s->state = S_STREAM;
	s->acked = w->acked_seq;
	s->next_seq = w->acked_seq + 1;
	s->credit = w->credit;
	s->max_events = s->cfg_events;
	if (w->max_batch_events > 0 && w->max_batch_events < s->max_events)
		s->max_events = w->max_batch_events;
	if (s->max_events > WIRE_MAX_RECORDS)
		s->max_events = WIRE_MAX_RECORDS;
	s->max_bytes = s->cfg_bytes;
	if (w->max_batch_bytes > 0 && w->max_batch_bytes < s->max_bytes)
		s->max_bytes = w->max_batch_bytes;
	if (s->max_bytes > WIRE_MAX_FRAME)
		s->max_bytes = WIRE_MAX_FRAME;
	s->in_n = 0;
	s->stuck = 0;
	s->failures = 0;
	/* the welcome confirms the hub's mark as an ack does: a restarted
	 * agent's status shows it at once, not after its first new event */
	s->last_ack_at = clock_now_ms();

	if (w->acked_seq > head) {
		log_error("hub %s: the hub holds site %u up to seq %llu but "
		    "this journal ends at %llu: a journal of an old epoch? "
		    "sending nothing", s->endpoint, s->site_id,
		    (unsigned long long)w->acked_seq, (unsigned long long)head);
		s->stuck = 1;
	} else if (w->acked_seq < head &&
	    (first == 0 || w->acked_seq + 1 < first)) {
		log_error("hub %s: the hub needs site %u from seq %llu but "
		    "this journal keeps only seq %llu..%llu; sending nothing",
		    s->endpoint, s->site_id,
		    (unsigned long long)s->next_seq, (unsigned long long)first,
		    (unsigned long long)head);
		s->stuck = 1;
	} else
		log_info("hub %s: welcome for site %u: hub acked %llu, "
		    "head %llu, credit %u", s->endpoint, s->site_id,
		    (unsigned long long)w->acked_seq, (unsigned long long)head,
		    w->credit);
	if (w->acked_seq < journal_acked_seq(s->j))
		log_warnx("hub %s: the hub's mark %llu is behind the journal's "
		    "acked mark %llu (hub restored?)", s->endpoint,
		    (unsigned long long)w->acked_seq,
		    (unsigned long long)journal_acked_seq(s->j));
	save_acked(s, 1);
	pump(s);
}

static void
on_ack(struct sender *s, const Msosync__Ack *a)
{
	if (s->state != S_STREAM)
		return;
	if (a->acked_seq >= s->next_seq) {
		log_warnx("hub %s: ack of seq %llu, but site %u sent only up to "
		    "%llu; reconnecting", s->endpoint,
		    (unsigned long long)a->acked_seq, s->site_id,
		    (unsigned long long)(s->next_seq - 1));
		backoff(s);
		return;
	}
	/* acks are cumulative: every batch ending at or before it is done */
	while (s->in_n > 0 && s->inflight[s->in_head] <= a->acked_seq) {
		s->in_head = (s->in_head + 1) % s->window;
		s->in_n--;
	}
	if (a->acked_seq > s->acked) {
		s->acked = a->acked_seq;
		s->backoff_ms = BACKOFF_MIN_MS;
		s->gap_retry = 0;
	}
	s->credit = a->credit;
	s->last_ack_at = clock_now_ms();
	s->ack_wait_since = mono_ms();
	save_acked(s, 0);
	pump(s);
}

static void
on_reject(struct sender *s, const Msosync__Reject *r)
{
	const char	*code = wire_reject_code_name((int)r->code);
	char		 msg[MSG_MAX];
	unsigned	 delay;

	printable(r->message, msg, sizeof(msg));
	switch (r->code) {
	case MSOSYNC__REJECT__CODE__GAP:
		/* the welcome to a fresh hello says where to resume */
		if (!s->gap_retry) {
			s->gap_retry = 1;
			delay = 0;
			reconnect(s, delay);
		} else
			delay = backoff(s);
		log_warnx("hub %s: reject gap for site %u: \"%s\"; the hub "
		    "holds up to seq %llu; hello again in %u ms", s->endpoint,
		    s->site_id, msg, (unsigned long long)r->acked_seq, delay);
		break;
	case MSOSYNC__REJECT__CODE__MALFORMED:
	case MSOSYNC__REJECT__CODE__TOO_LARGE:
		delay = backoff(s);
		log_warnx("hub %s: reject %s for site %u: \"%s\"; hello again "
		    "in %u ms", s->endpoint, code, s->site_id, msg, delay);
		break;
	default:
		/* refused for what only an operator can change: wait long */
		delay = REFUSED_MIN_MS +
		    randombytes_uniform(REFUSED_MAX_MS - REFUSED_MIN_MS + 1);
		reconnect(s, delay);
		log_warnx("hub %s: reject %s for site %u: \"%s\"; hello again "
		    "in %u s", s->endpoint, code, s->site_id, msg,
		    delay / 1000);
		break;
	}
}

static void
on_msg(struct evzmq *ez, struct evzmq_msg *m, void *arg)
{
	struct sender	*s = arg;
	Msosync__Frame	*f = NULL;
	int		 rc;

	(void)ez;
	if (m->nparts != 1) {
		log_warnx("hub %s: dropped a message of %zu parts", s->endpoint,
		    m->nparts);
		return;
	}
	rc = wire_decode(zmq_msg_data(&m->part[0]), zmq_msg_size(&m->part[0]),
	    WIRE_MAX_FRAME, NULL, &f);
	if (rc != 0) {
		log_warnx("hub %s: dropped a frame: %s", s->endpoint,
		    msosync_strerror(rc));
		return;
	}
	s->last_rx = mono_ms();
	switch (f->kind_case) {
	case MSOSYNC__FRAME__KIND_WELCOME:
		on_welcome(s, f->welcome);
		break;
	case MSOSYNC__FRAME__KIND_ACK:
		on_ack(s, f->ack);
		break;
	case MSOSYNC__FRAME__KIND_REJECT:
		on_reject(s, f->reject);
		break;
	case MSOSYNC__FRAME__KIND_HEARTBEAT:
		break;		/* last_rx is all it is for */
	default:
		log_warnx("hub %s: dropped a frame only an agent sends",
		    s->endpoint);
		break;
	}
	wire_frame_free(&f);
}

static int
on_oldest(void *arg, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN],
    int64_t recorded_at, const void *event, size_t len)
{
	(void)seq;
	(void)hash;
	(void)event;
	(void)len;
	*(int64_t *)arg = recorded_at;
	return 1;
}

static void
heartbeat(struct sender *s)
{
	uint64_t	head = journal_head_seq(s->j);
	int64_t		oldest = 0;
	int		rc;

	if (s->acked < head &&
	    (rc = journal_scan(s->j, s->acked + 1, on_oldest, &oldest)) < 0) {
		storage_error(s, rc, "reading the oldest unacked record");
		return;
	}
	wire_heartbeat(&s->frame, head, oldest);
	/* advisory: at the high-water mark it is simply not sent */
	(void)evzmq_send(s->ez, s->frame.data, s->frame.len, 0);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sender	*s = arg;
	int64_t		 now = mono_ms();
	unsigned	 delay;

	(void)fd;
	(void)what;
	if (s->state == S_HELLO && now - s->opened_at >= HELLO_TIMEOUT_MS) {
		/*
		 * No backoff here: while the socket is open libzmq retries
		 * the connection every RECONNECT_MAX_MS, so a hub that comes
		 * back is found at once; a closed socket would find it only
		 * after the delay. Reopening bounds a session stuck mid-way.
		 */
		s->failures++;
		delay = jitter(BACKOFF_MIN_MS);
		reconnect(s, delay);
		if (s->failures == 1)
			log_warnx("hub %s: no welcome for site %u within %d s "
			    "(hub unreachable, or this site's key not allowed); "
			    "still trying", s->endpoint, s->site_id,
			    HELLO_TIMEOUT_MS / 1000);
		else
			log_debug("hub %s: still no welcome (%u attempts); "
			    "reopening in %u ms", s->endpoint, s->failures,
			    delay);
	} else if (s->state == S_STREAM && s->in_n > 0 &&
	    now - s->ack_wait_since >= ACK_TIMEOUT_MS) {
		log_warnx("hub %s: no ack for %d s with %zu batches of site %u "
		    "in flight from seq %llu; reconnecting", s->endpoint,
		    ACK_TIMEOUT_MS / 1000, s->in_n, s->site_id,
		    (unsigned long long)(s->acked + 1));
		backoff(s);
	} else if (s->state == S_STREAM) {
		heartbeat(s);
		save_acked(s, 1);
		pump(s);
	}
	if (++s->ticks % RETENTION_TICKS == 0)
		prune(s, 1);
}

struct sender *
sender_new(struct event_base *base, void *zmq_ctx, struct journal *j,
    const struct sender_config *cfg)
{
	struct sender	*s;
	struct timeval	 tick = { TICK_MS / 1000, (TICK_MS % 1000) * 1000 };
	int		 rc;

	if (cfg->hub_endpoint == NULL || cfg->hub_public_key == NULL ||
	    cfg->keys == NULL || cfg->keys->secret_z85 == NULL) {
		errno = EINVAL;
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->zctx = zmq_ctx;
	s->j = j;
	s->site_id = cfg->site_id;
	s->endpoint = xstrdup(cfg->hub_endpoint);
	s->hub_key = xstrdup(cfg->hub_public_key);
	s->keys = cfg->keys;
	s->cfg_events = cfg->batch_max_events ? cfg->batch_max_events :
	    WIRE_MAX_BATCH_EVENTS;
	s->cfg_bytes = cfg->batch_max_bytes ? cfg->batch_max_bytes :
	    WIRE_MAX_BATCH_BYTES;
	s->window = cfg->window ? cfg->window : WIRE_DEFAULT_CREDIT;
	s->retention_days = cfg->retention_days;
	s->inflight = xcalloc(s->window, sizeof(*s->inflight));
	s->backoff_ms = BACKOFF_MIN_MS;
	s->tick_ev = event_new(base, -1, EV_PERSIST, on_tick, s);
	s->retry_ev = evtimer_new(base, on_retry, s);
	if (s->tick_ev == NULL || s->retry_ev == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = open_socket(s)) != 0)
		goto fail;
	event_add(s->tick_ev, &tick);
	log_info("hub %s: replicating site %u from acked seq %llu, head %llu",
	    s->endpoint, s->site_id,
	    (unsigned long long)journal_acked_seq(j),
	    (unsigned long long)journal_head_seq(j));
	prune(s, 1);
	s->state = S_HELLO;
	s->opened_at = mono_ms();
	send_hello(s);
	return s;
fail:
	sender_free(&s);
	errno = -rc;
	return NULL;
}

void
sender_free(struct sender **sp)
{
	struct sender	*s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	if (s->state == S_STREAM)
		save_acked(s, 1);
	close_socket(s);
	if (s->tick_ev != NULL)
		event_free(s->tick_ev);
	if (s->retry_ev != NULL)
		event_free(s->retry_ev);
	wire_batch_free(&s->batch);
	buf_free(&s->frame);
	free(s->inflight);
	free(s->endpoint);
	free(s->hub_key);
	free(s);
}

void
sender_kick(void *arg)
{
	pump(arg);
}

void
sender_link(void *arg, struct api_link *out)
{
	struct sender	*s = arg;

	out->connected = s->state == S_STREAM && s->last_rx != 0 &&
	    mono_ms() - s->last_rx <= LINK_TIMEOUT_MS;
	out->last_ack_at = s->last_ack_at;
}

int
sender_failed(const struct sender *s)
{
	return s->failed;
}
