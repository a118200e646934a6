/*
 * evzmq: the edge-triggered ZMQ_FD turned into "one callback per message".
 *
 * One persistent EV_READ event watches ZMQ_FD. Its callback asks
 * ZMQ_EVENTS (which also makes libzmq process its pending commands and
 * re-arm the signal) and reads until ZMQ_POLLIN is gone, so no message is
 * ever left behind without an edge to announce it. Writability has no
 * edge of its own either: it is noticed on the same fd, and checked only
 * while someone asked for it (evzmq_want_write).
 *
 * A round reads at most EVZMQ_BURST messages. The rest wait for a second
 * event at the base's lowest priority, so what became ready meanwhile at
 * a higher one (a worker's or the journal writer's completion) runs
 * first: a burst of requests cannot keep the next commit waiting.
 *
 * A callback may free its own evzmq; the struct then lives on, marked
 * dead, until the read loop that called it unwinds.
 *
 * Loop thread only.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evzmq.h"
#include "xmalloc.h"

#define EVZMQ_BURST	8	/* messages a round */

struct evzmq {
	struct event		*ev;
	struct event		*more;		/* the next round */
	void			*sock;
	evzmq_msg_fn		 on_msg;
	evzmq_fn		 on_writable;
	void			*arg;
	int			 want_write;
	int			 paused;	/* evzmq_pause */
	int			 running;	/* inside on_ready */
	int			 dead;		/* freed by a callback */
	struct evzmq_stats	 stats;
};

static int
sock_events(void *sock, int *events)
{
	size_t	len = sizeof(*events);

	while (zmq_getsockopt(sock, ZMQ_EVENTS, events, &len) != 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static void
close_parts(struct evzmq_msg *m)
{
	for (size_t i = 0; i < m->nparts; i++)
		zmq_msg_close(&m->part[i]);
	m->nparts = 0;
}

/*
 * Read one whole multipart message (libzmq delivers all parts or none).
 * Returns 0, 1 when it was dropped for having too many parts, or -errno.
 */
static int
recv_one(struct evzmq *ez, struct evzmq_msg *m)
{
	zmq_msg_t	 extra, *p;
	int		 more, err, toolong = 0;

	m->nparts = 0;
	do {
		p = m->nparts < EVZMQ_MAX_PARTS ? &m->part[m->nparts] : &extra;
		zmq_msg_init(p);
		while (zmq_msg_recv(p, ez->sock, ZMQ_DONTWAIT) < 0) {
			if ((err = errno) == EINTR)
				continue;
			zmq_msg_close(p);
			close_parts(m);
			return -err;
		}
		more = zmq_msg_more(p);
		if (p == &extra) {
			zmq_msg_close(p);
			toolong = 1;
		} else
			m->nparts++;
	} while (more);
	if (toolong) {
		close_parts(m);
		ez->stats.dropped++;
		return 1;
	}
	return 0;
}

static void
on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct evzmq		*ez = arg;
	struct evzmq_msg	 m;
	int			 events, rc, wrote = 0, n = 0;

	(void)fd;
	(void)what;
	ez->running = 1;
	for (;;) {
		if (n == EVZMQ_BURST) {
			ez->running = 0;
			event_active(ez->more, EV_READ, 0);
			return;
		}
		if (sock_events(ez->sock, &events) != 0)
			break;		/* ETERM: the context is going away */
		if (ez->want_write && !wrote && (events & ZMQ_POLLOUT) &&
		    ez->on_writable != NULL) {
			ez->want_write = 0;
			wrote = 1;	/* once a round: a re-ask waits a turn */
			ez->on_writable(ez, ez->arg);
			if (ez->dead)
				goto dead;
			continue;
		}
		if (ez->paused || !(events & ZMQ_POLLIN))
			break;
		if ((rc = recv_one(ez, &m)) == 1)
			continue;
		if (rc != 0)
			break;
		ez->stats.received++;
		n++;
		ez->on_msg(ez, &m, ez->arg);
		close_parts(&m);
		if (ez->dead)
			goto dead;
	}
	ez->running = 0;
	/* a write asked for during this round, or sends that ate the edge */
	evzmq_kick(ez);
	return;
dead:
	event_free(ez->ev);
	event_free(ez->more);
	free(ez);
}

struct evzmq *
evzmq_new(struct event_base *base, void *zsock, evzmq_msg_fn on_msg,
    evzmq_fn on_writable, void *arg)
{
	struct evzmq	*ez;
	int		 fd;
	size_t		 len = sizeof(fd);

	if (zmq_getsockopt(zsock, ZMQ_FD, &fd, &len) != 0)
		return NULL;
	ez = xcalloc(1, sizeof(*ez));
	ez->sock = zsock;
	ez->on_msg = on_msg;
	ez->on_writable = on_writable;
	ez->arg = arg;
	ez->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_ready, ez);
	ez->more = event_new(base, -1, 0, on_ready, ez);
	if (ez->ev == NULL || ez->more == NULL)
		goto fail;
	if (event_priority_set(ez->ev, 0) != 0 || event_add(ez->ev, NULL) != 0 ||
	    event_priority_set(ez->more,
	    event_base_get_npriorities(base) - 1) != 0)
		goto fail;
	/* messages queued before we watched the fd raised no edge we saw */
	event_active(ez->ev, EV_READ, 0);
	return ez;
fail:
	if (ez->ev != NULL)
		event_free(ez->ev);
	if (ez->more != NULL)
		event_free(ez->more);
	free(ez);
	errno = ENOMEM;
	return NULL;
}

void
evzmq_free(struct evzmq **ezp)
{
	struct evzmq	*ez = *ezp;

	if (ez == NULL)
		return;
	*ezp = NULL;
	if (ez->running) {
		/* on_ready frees it when the callback returns */
		event_del(ez->ev);
		event_del(ez->more);
		ez->dead = 1;
		return;
	}
	event_free(ez->ev);
	event_free(ez->more);
	free(ez);
}

void *
evzmq_socket(const struct evzmq *ez)
{
	return ez->sock;
}

void
evzmq_want_write(struct evzmq *ez)
{
	assert(ez->on_writable != NULL);
	ez->want_write = 1;
	evzmq_kick(ez);
}

void
evzmq_kick(struct evzmq *ez)
{
	int	events;

	if (ez->running || sock_events(ez->sock, &events) != 0)
		return;
	if ((!ez->paused && (events & ZMQ_POLLIN)) ||
	    (ez->want_write && (events & ZMQ_POLLOUT)))
		event_active(ez->ev, EV_READ, 0);
}

void
evzmq_pause(struct evzmq *ez, int paused)
{
	ez->paused = paused;
	if (!paused)
		evzmq_kick(ez);	/* no edge will announce what waited */
}

int
evzmq_send(struct evzmq *ez, const void *data, size_t len, int flags)
{
	int	rc = 0;

	while (zmq_send(ez->sock, data, len, flags | ZMQ_DONTWAIT) < 0)
		if (errno != EINTR) {
			rc = -errno;
			break;
		}
	if (rc != 0 || !(flags & ZMQ_SNDMORE))
		evzmq_kick(ez);
	return rc;
}

int
evzmq_send_msg(struct evzmq *ez, zmq_msg_t *msg, int flags)
{
	int	rc = 0;

	while (zmq_msg_send(msg, ez->sock, flags | ZMQ_DONTWAIT) < 0)
		if (errno != EINTR) {
			rc = -errno;
			break;
		}
	if (rc != 0 || !(flags & ZMQ_SNDMORE))
		evzmq_kick(ez);
	return rc;
}

const struct evzmq_stats *
evzmq_stats(const struct evzmq *ez)
{
	return &ez->stats;
}
