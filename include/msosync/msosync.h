/*
 * libmsosync: submit events to the msosync agent of this clinic.
 *
 * A point-of-sale or scheduling system hands the agent its business
 * events as JSON (DESIGN §5: one object, an array, or NDJSON, one event a
 * line). The library checks them locally against the event schema, sends
 * them to the agent's ZeroMQ endpoint in one request, and waits for the
 * agent's answer, which comes only once the events are durably journaled.
 *
 * A request is all or nothing: either every event is journaled (or was
 * already: a duplicate), or none is. Every event carries an event_id of the
 * caller's choosing; submitting the same event_id again is harmless and
 * returns the seq the agent gave it the first time. That makes retrying
 * safe after any failure, including a timeout.
 *
 * Errors: every function that can fail returns an int, 0 on success or a
 * negative code from <msosync/error.h> (a -errno value or MSOSYNC_E*);
 * msosync_strerror() describes either kind. Running out of memory aborts
 * the process, as everywhere in msosync.
 *
 * Threads: a client handle is used by one thread at a time; separate
 * handles may be used by separate threads at once. The clients of one
 * process share one ZeroMQ context, and so one I/O thread; after fork(),
 * a child makes clients of its own (those of its parent are not to be
 * used there).
 */
#ifndef MSOSYNC_MSOSYNC_H
#define MSOSYNC_MSOSYNC_H

#include <stddef.h>
#include <stdint.h>

#include "msosync/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most events one request may carry; more gives a 413 reply. */
#define MSOSYNC_MAX_EVENTS	100000

/* Reply statuses, as the agent's HTTP API */
#define MSOSYNC_STATUS_OK		200	/* every event journaled */
#define MSOSYNC_STATUS_INVALID		400	/* nothing journaled: see errors */
#define MSOSYNC_STATUS_TOO_LARGE	413	/* over MSOSYNC_MAX_EVENTS */
#define MSOSYNC_STATUS_FULL		507	/* journal full: retry later */
#define MSOSYNC_STATUS_INTERNAL		500	/* agent storage failed */

/* A connection to one agent. Opaque. */
struct msosync_client;

/* The fate of one event of an accepted request, in request order. */
struct msosync_result {
	const char	*event_id;	/* the event's id */
	uint64_t	 seq;		/* its place in the site's journal */
	int		 duplicate;	/* 1: journaled by an earlier request */
};

/* Why a request was refused: one entry per bad event. */
struct msosync_error {
	size_t		 index;		/* the event's position, from 0 */
	const char	*event_id;	/* NULL when it could not be read */
	const char	*message;	/* "path: reason", e.g.
					   "sale.amount_cents: must be ≥ 0" */
};

/*
 * The agent's answer to one request. Every pointer in it, strings
 * included, belongs to the reply and lives until msosync_reply_free.
 *
 *   status 200: nresults == the number of events submitted, each accepted
 *               or a duplicate; nerrors == 0.
 *   status 400: nothing was journaled; errors says why, nresults == 0.
 *   status 413: nothing was journaled; split the request.
 *   status 507: nothing was journaled; the agent's disk budget is spent
 *               until the hub catches up. Retry later.
 *   status 500: nothing was journaled; the agent's storage failed.
 */
struct msosync_reply {
	int			 status;
	size_t			 nresults;
	struct msosync_result	*results;
	size_t			 nerrors;
	struct msosync_error	*errors;
};

/*
 * Make a client for the agent at 'endpoint': "ipc:///path/ingest.sock"
 * (the agent's ipc_endpoint; by default DATA_DIR/ingest.sock) or a
 * "tcp://host:port" endpoint. The connection is made in the background:
 * this does not wait for the agent, and an agent that is not running shows
 * only as MSOSYNC_ETIMEDOUT from msosync_submit_json.
 *
 * timeout_ms bounds each submit: > 0 milliseconds, or -1 to wait forever.
 *
 * On success *out is the caller's; close it with msosync_close.
 * Returns 0, MSOSYNC_EINVAL (NULL endpoint or out, or a bad timeout_ms),
 * or -errno: -EINVAL (malformed endpoint), -EPROTONOSUPPORT (unsupported
 * transport), -EMFILE (out of file descriptors).
 */
MSOSYNC_API int	msosync_connect(const char *endpoint, int timeout_ms,
		    struct msosync_client **out);

/*
 * Close the connection and free the client. Requests never answered are
 * abandoned. NULL-safe; sets *c to NULL.
 */
MSOSYNC_API void	msosync_close(struct msosync_client **c);

/*
 * Submit the events of 'json' ('len' bytes, NUL not needed): one JSON
 * object, an array of them, or NDJSON. Each event is checked locally
 * first; if any cannot be decoded (bad JSON, unknown field, wrong type,
 * unknown enum value ...), the agent is not contacted and the reply has
 * status 400 with one error per bad event, in the agent's own words:
 * "invalid JSON: <reason>" for a value that does not parse, otherwise
 * "path: reason". More than MSOSYNC_MAX_EVENTS events give a local 413
 * reply. What only the agent can know (duplicates, occurred_at against its
 * clock, negative money, required fields, voids) comes back in its reply.
 *
 * On success *out is the caller's, whatever its status: read it, then
 * free it with msosync_reply_free.
 *
 * Returns
 *   0                  *out holds the answer
 *   MSOSYNC_ETIMEDOUT  no answer within the timeout. The outcome is
 *                      unknown: the events may or may not be journaled.
 *                      Submit the same events again (same event_ids): they
 *                      come back accepted or as duplicates, never twice.
 *                      The client reconnects by itself, so a late answer to
 *                      the old request is never taken for the next one.
 *   MSOSYNC_EPROTO     the answer was not a SubmitReply that fits the
 *                      request (the client reconnects, as for a timeout;
 *                      the outcome is unknown likewise)
 *   MSOSYNC_EINVAL     NULL c, json or out, or requests in flight
 *                      (msosync_send_json)
 *   -errno             from libzmq, e.g. -EMFILE when reconnecting, -ETERM
 * On any error *out is NULL.
 */
MSOSYNC_API int	msosync_submit_json(struct msosync_client *c,
		    const char *json, size_t len, struct msosync_reply **out)
		    __attribute__((warn_unused_result));

/*
 * Pipelined submits, for a client with more to send than one request at a
 * time (a backlog after an outage, an import): send several requests, then
 * read their answers as they come. Each answer is exactly what
 * msosync_submit_json would have given for that request; the agent
 * journals the requests in the order they arrive, and answers them in
 * that order unless a large request (more than a few hundred events) is
 * still being checked when a small one sent after it is ready. Do not mix
 * with msosync_submit_json, which refuses to run while requests are in
 * flight.
 *
 * msosync_send_json checks the events as msosync_submit_json does and
 * sends them, waiting at most the timeout for room on the socket. On
 * success *ticket names the request (1, 2, 3 ... per client): a request
 * refused locally is not sent, and its 400 or 413 answer waits for
 * msosync_recv_reply like any other.
 * Returns 0, MSOSYNC_EINVAL (NULL c, json or ticket), MSOSYNC_ETIMEDOUT
 * (no room: nothing was sent, the requests in flight go on) or -errno.
 * On error *ticket is 0 and nothing was sent.
 *
 * msosync_recv_reply waits at most the timeout for the next answer to any
 * request in flight (answers made locally come first). On success *ticket
 * names the request answered and *out is the caller's, as from
 * msosync_submit_json. MSOSYNC_ETIMEDOUT and MSOSYNC_EPROTO abandon every
 * request in flight (their outcome is unknown: send them again, they come
 * back accepted or as duplicates) and reconnect, so no late answer is ever
 * taken for a later request. Returns 0, those two, MSOSYNC_EINVAL (NULL
 * argument, or nothing in flight) or -errno. On error *out is NULL.
 *
 * msosync_in_flight says how many requests await msosync_recv_reply.
 */
MSOSYNC_API int	msosync_send_json(struct msosync_client *c,
		    const char *json, size_t len, uint64_t *ticket)
		    __attribute__((warn_unused_result));
MSOSYNC_API int	msosync_recv_reply(struct msosync_client *c,
		    uint64_t *ticket, struct msosync_reply **out)
		    __attribute__((warn_unused_result));
MSOSYNC_API size_t	msosync_in_flight(const struct msosync_client *c);

/* Free a reply and everything it points to. NULL-safe; sets *r to NULL. */
MSOSYNC_API void	msosync_reply_free(struct msosync_reply **r);

/* The library's version, e.g. "0.1.0"; a static string. */
MSOSYNC_API const char	*msosync_version(void);

#ifdef __cplusplus
}
#endif
#endif
