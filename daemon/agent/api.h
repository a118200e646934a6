/*
 * The agent's local HTTP API (DESIGN §9): POST /v1/events, GET /v1/status,
 * GET /healthz, GET /metrics. Event-loop thread only.
 */
#ifndef MSOSYNC_AGENT_API_H
#define MSOSYNC_AGENT_API_H

#include <stdint.h>

#include <event2/http.h>

#include "ingest.h"
#include "journal.h"

struct api_link {
	int	 connected;
	int64_t	 last_ack_at;	/* ms, 0: never */
};

struct api_ctx {
	uint32_t	 site_id;
	struct journal	*journal;
	struct ingest	*ingest;
	const char	*hub_endpoint;	/* NULL: the agent does not replicate */
	/* the sender's view of the hub link; NULL while there is none */
	void		(*link)(void *arg, struct api_link *out);
	void		*link_arg;
};

/* Route every path of 'http' to the handlers; ctx must outlive http. */
void	api_start(struct evhttp *http, struct api_ctx *ctx);

#endif
