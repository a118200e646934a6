/*
 * The hub's side of wire protocol v1 (DESIGN §7): a CURVE ROUTER whose
 * peers are authenticated sites. Sessions are keyed by the ZAP User-Id
 * (the site id), never by the peer-chosen routing id; a hello replaces the
 * site's older session, whose frames are then ignored. Batches that arrive
 * together are applied in one store transaction (group commit, a
 * low-priority event after the I/O callbacks), then each is acked or
 * refused. Every frame is checked against the current sites registry, so a
 * key revoked by SIGHUP loses its live session at once.
 *
 * Event-loop thread only.
 */
#ifndef MSOSYNC_RECEIVER_H
#define MSOSYNC_RECEIVER_H

#include <stdint.h>

#include <event2/event.h>

#include "sites.h"
#include "store.h"

struct receiver;

struct receiver_stats {
	uint64_t	frames;
	uint64_t	batches_applied;
	uint64_t	events_applied;
	uint64_t	retransmits;
	uint64_t	duplicates;
	uint64_t	commits;
	uint64_t	read_pauses;	/* reading stopped at queue_max */
	uint64_t	rejects[16];	/* by Msosync__Reject__Code */
};

/* What the hub knows live of a site's link (not stored). */
struct receiver_site {
	int	 connected;		/* a session with traffic lately */
	uint64_t head_seq;		/* the agent's, from hello/heartbeat */
	int64_t	 oldest_unacked_at;	/* ms, from the heartbeat; 0: none */
	int64_t	 last_seen_ms;
};

/*
 * Serve 'router' (bound, CURVE + ZAP set up by the caller, who keeps
 * owning it). 'store' and 'sites' must outlive the receiver; base needs
 * event_base_priority_init(base, 2). Batches received and not yet stored
 * (decoded and prepared, about three times their frames) hold at most
 * about 'queue_max' bytes: past it the receiver stops reading the socket
 * until a commit frees some. Returns NULL with errno on failure.
 */
struct receiver	*receiver_new(struct event_base *base, void *router,
		    struct store *store, const struct sites *sites,
		    size_t queue_max);
void		 receiver_free(struct receiver **r);

/* After a SIGHUP reload; the old registry may be freed after this. */
void		 receiver_set_sites(struct receiver *r, const struct sites *s);

/* Live view of one site; zeroes when it never connected. */
void		 receiver_site(const struct receiver *r, uint32_t site_id,
		    struct receiver_site *out);
const struct receiver_stats	*receiver_stats(const struct receiver *r);

/* Nonzero once the store failed (MSOSYNC_EPANIC): the hub must exit 1. */
int		 receiver_failed(const struct receiver *r);

#endif
