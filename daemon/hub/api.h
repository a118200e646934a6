/*
 * The hub's HTTP API (DESIGN §9): /v1/sites, /v1/verify,
 * POST /v1/sites/{id}/resume, /metrics, /healthz. Every /v1 route needs a
 * bearer token from the tokens file. Event-loop thread only.
 */
#ifndef MSOSYNC_HUB_API_H
#define MSOSYNC_HUB_API_H

#include <event2/http.h>

#include "receiver.h"
#include "sites.h"
#include "store.h"
#include "tokens.h"
#include "zap.h"

struct hub_api {
	struct store		*store;
	const struct sites	*sites;		/* swapped on SIGHUP */
	const struct tokens	*tokens;	/* swapped on SIGHUP */
	struct receiver		*receiver;
	struct zap		*zap;
	const char		*scratch_dir;	/* verify rebuilds under it */
};

/* Route every path of 'http' to the handlers; api must outlive http. */
void	hub_api_start(struct evhttp *http, struct hub_api *api);

#endif
