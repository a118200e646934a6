/*
 * The agent's replication client (DESIGN §7) and its retention: streams
 * the journal to the hub over one CurveZMQ DEALER socket, a window of
 * batches at a time, resumes from the hub's acked_seq after any
 * reconnect, timeout or gap, and prunes what the hub has acknowledged
 * once it is older than retention_days. It never gives up on the hub:
 * every failure ends in a fresh socket and a new hello after a backoff.
 *
 * The journal stays the only copy that matters: the sender holds no event
 * of its own, so closing it (or the agent dying) loses nothing; the hub's
 * mark says where to resume.
 *
 * Event-loop thread only.
 */
#ifndef MSOSYNC_SENDER_H
#define MSOSYNC_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "api.h"
#include "journal.h"
#include "keys.h"

struct sender;

struct sender_config {
	uint32_t		 site_id;
	const char		*hub_endpoint;	/* e.g. tcp://hub:7470; copied */
	const char		*hub_public_key; /* Z85 text; copied */
	const struct keypair	*keys;		/* this site's; must outlive the sender */
	size_t			 batch_max_events; /* 0: WIRE_MAX_BATCH_EVENTS */
	size_t			 batch_max_bytes;  /* a batch frame; 0: WIRE_MAX_BATCH_BYTES */
	size_t			 window;	/* batches unacked at most; 0: WIRE_DEFAULT_CREDIT */
	unsigned		 retention_days; /* 0: prune acked records at once */
};

/*
 * Start replicating 'j' (which must outlive the sender) to the hub: opens
 * the socket, sends hello, starts the timers, and prunes once. 'zmq_ctx'
 * must outlive the sender too (free the sender before zmq_ctx_term).
 * Returns NULL with errno set when the socket cannot be made as
 * configured (EINVAL: a bad endpoint or key).
 */
struct sender	*sender_new(struct event_base *base, void *zmq_ctx,
		    struct journal *j, const struct sender_config *cfg);
void		 sender_free(struct sender **s);	/* NULL-safe; *s = NULL */

/*
 * New records may be in the journal: send them if the window allows.
 * Takes a struct sender *; its signature is ingest_on_commit's hook.
 */
void	sender_kick(void *sender);

/* The link as /v1/status shows it; the signature of api_ctx.link. */
void	sender_link(void *sender, struct api_link *out);

/*
 * Nonzero once the journal failed to store the acked mark or a prune
 * with MSOSYNC_EPANIC: the sender broke the loop, and the agent must exit
 * non-zero, as after ingest_failed.
 */
int	sender_failed(const struct sender *s);

#endif
