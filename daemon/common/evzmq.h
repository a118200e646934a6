/*
 * evzmq: a ZeroMQ socket driven by a libevent loop. The only module that
 * knows how the two meet (STYLE.md):
 *
 *   - ZMQ_FD is not the socket's data, only a signal that its state may
 *     have changed, and it is edge-triggered: after it fires, every message
 *     ready must be read (looping while ZMQ_EVENTS has ZMQ_POLLIN), or no
 *     new edge may ever come;
 *   - any zmq_send/zmq_recv/ZMQ_EVENTS on the socket may consume a pending
 *     edge, so after sending outside the read loop ZMQ_EVENTS must be
 *     checked again by hand.
 *
 * evzmq owns both rules. It reads for the caller: on_msg gets one complete
 * multipart message at a time, for as long as the socket has any, so
 * everything that arrived together is handled in one loop iteration (the
 * agent's group commit relies on that; the socket's RCVHWM bounds the
 * work). Sends made through evzmq_send/evzmq_send_msg re-check the socket
 * themselves; after any other use of the socket call evzmq_kick.
 *
 * The event runs at libevent priority 0 (I/O), ahead of deferred work at
 * lower priorities such as the agent's group commit.
 *
 * The caller keeps owning the ZeroMQ socket: it must outlive the evzmq and
 * is closed by the caller after evzmq_free. Loop thread only.
 */
#ifndef MSOSYNC_EVZMQ_H
#define MSOSYNC_EVZMQ_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <zmq.h>

#define EVZMQ_MAX_PARTS	8	/* longer messages are dropped whole */

struct evzmq;

/*
 * One received multipart message. The parts are evzmq's and closed after
 * on_msg returns; on_msg may keep any of them by zmq_msg_move-ing it into
 * a zmq_msg_t of its own (zmq_msg_init'ed first). zmq_msg_gets (e.g. the
 * ZAP "User-Id") works on any part.
 */
struct evzmq_msg {
	zmq_msg_t	part[EVZMQ_MAX_PARTS];
	size_t		nparts;
};

struct evzmq_stats {
	uint64_t	received;	/* messages handed to on_msg */
	uint64_t	dropped;	/* over EVZMQ_MAX_PARTS parts */
};

typedef void (*evzmq_msg_fn)(struct evzmq *ez, struct evzmq_msg *msg,
    void *arg);
typedef void (*evzmq_fn)(struct evzmq *ez, void *arg);

/*
 * Watch 'zsock' on 'base'. on_msg (required) runs once per message
 * received; on_writable (may be NULL) runs once after each evzmq_want_write
 * when the socket can take a message again. Both may send on the socket
 * and may evzmq_free the evzmq (then nothing more is delivered).
 * Returns a new evzmq, the caller's (evzmq_free), or NULL with errno set
 * when the socket gives no ZMQ_FD (ENOTSOCK, ETERM) or libevent fails.
 */
struct evzmq	*evzmq_new(struct event_base *base, void *zsock,
		    evzmq_msg_fn on_msg, evzmq_fn on_writable, void *arg);

/* Stop watching and free; the socket is left open. NULL-safe; *ez = NULL. */
void		 evzmq_free(struct evzmq **ez);

void		*evzmq_socket(const struct evzmq *ez);

/*
 * Ask for one on_writable call as soon as ZMQ_EVENTS has ZMQ_POLLOUT (at
 * once, in the next loop iteration, if it has it already). Use it after a
 * send failed with -EAGAIN at the high-water mark. One-shot: ask again for
 * another call. The evzmq must have been made with an on_writable.
 */
void		 evzmq_want_write(struct evzmq *ez);

/*
 * Re-check the socket's ZMQ_EVENTS and, if something is ready that was
 * asked for, schedule the callbacks for the next loop iteration. Call it
 * after using the socket directly (zmq_send, zmq_setsockopt, ...) from
 * outside the callbacks; a no-op inside them.
 */
void		 evzmq_kick(struct evzmq *ez);

/*
 * Stop reading (paused 1) or go on (0). While paused the socket's queue
 * and then the peers' fill, which is the backpressure; on_writable and
 * sends go on. A pause asked from on_msg takes effect after that message;
 * a resume reads what waited in the next loop iteration.
 */
void		 evzmq_pause(struct evzmq *ez, int paused);

/*
 * zmq_send / zmq_msg_send with ZMQ_DONTWAIT added, then evzmq_kick after
 * the last part (or a failure).
 * evzmq_send_msg consumes 'msg' on success, as zmq_msg_send does; on
 * failure 'msg' is still the caller's.
 * Return 0, or -errno: -EAGAIN (high-water mark, or ROUTER_MANDATORY with
 * the peer's pipe full), -EHOSTUNREACH (ROUTER_MANDATORY: no such peer),
 * -ETERM, -EFSM, ...
 */
int		 evzmq_send(struct evzmq *ez, const void *data, size_t len,
		    int flags);
int		 evzmq_send_msg(struct evzmq *ez, zmq_msg_t *msg, int flags);

const struct evzmq_stats	*evzmq_stats(const struct evzmq *ez);

#endif
