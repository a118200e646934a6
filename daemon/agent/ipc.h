/*
 * The agent's ZeroMQ ipc API (DESIGN §9, proto/ingest.proto): a ROUTER
 * bound at ipc://DATA_DIR/ingest.sock. Each request is one message
 *
 *   [routing id][empty delimiter][SubmitRequest]
 *
 * as a REQ socket, or a DEALER that sends an empty first frame, produces
 * it; the answer is [routing id][empty delimiter][SubmitReply]. In general
 * every frame before the last is the envelope and is echoed back, so a
 * DEALER that sends the request alone gets the reply alone.
 *
 * Same semantics as POST /v1/events, through the same ingest: all or
 * nothing, 200 with a result per event, 400 with per-event errors (a body
 * that is not a SubmitRequest: one error at index 0, "malformed request:
 * not a SubmitRequest"), 413 over INGEST_MAX_EVENTS events, 507 journal
 * full, 500 storage failure. A frame over max_msg_bytes is refused by
 * libzmq itself (ZMQ_MAXMSGSIZE), which drops the connection: the client
 * sees no answer. A reply whose client has gone is dropped and counted.
 * A reply carries its request's request_id (0 for a body that is not a
 * SubmitRequest), so a client may keep several requests in flight; they
 * are answered in the order their commits finish.
 *
 * Loop thread only.
 */
#ifndef MSOSYNC_IPC_H
#define MSOSYNC_IPC_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "ingest.h"

#define IPC_LINGER_MS	1000
#define IPC_HWM		1000	/* messages queued per peer, each way */

struct ipc;

struct ipc_stats {
	uint64_t	requests;	/* messages received */
	uint64_t	malformed;	/* not a SubmitRequest */
	uint64_t	too_large;	/* over INGEST_MAX_EVENTS events */
	uint64_t	replies;	/* replies sent */
	uint64_t	replies_dropped;	/* client gone or not reading */
};

/*
 * Bind a ROUTER on 'endpoint' (ipc://PATH, or tcp://... for tests) in
 * 'zmq_ctx' and serve it on 'base' through 'in'. For ipc://PATH a socket
 * file left at PATH by an earlier run is removed first; anything else
 * there is left alone.
 * 'in' must outlive the ipc; the context must outlive ipc_close.
 * Returns 0 with *out the caller's (ipc_close), -EEXIST (PATH exists and is
 * not a socket), -EADDRINUSE (a live process listens on PATH), or another
 * -errno from libzmq (e.g. -EINVAL for a malformed endpoint).
 */
int	ipc_open(struct event_base *base, void *zmq_ctx, const char *endpoint,
	    struct ingest *in, size_t max_msg_bytes, struct ipc **out)
	    __attribute__((warn_unused_result));

/*
 * Close the socket (lingering at most IPC_LINGER_MS for replies in
 * flight); libzmq removes its ipc file. Requests still queued in the ingest
 * are finished by it as usual, their replies dropped. NULL-safe;
 * sets *ipc = NULL.
 */
void	ipc_close(struct ipc **ipc);

/* The endpoint actually bound (e.g. the port for tcp://127.0.0.1:*). */
const char		*ipc_endpoint(const struct ipc *ipc);

const struct ipc_stats	*ipc_stats(const struct ipc *ipc);

#endif
