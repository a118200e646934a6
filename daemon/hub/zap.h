/*
 * The hub's ZAP handler (ZeroMQ RFC 27): libzmq asks it, over
 * inproc://zeromq.zap.01 in the hub's context, whether each CURVE client
 * key may connect, and it answers from the sites registry. An allowed key
 * gets its site id as the ZAP User-Id, which libzmq then attaches to every
 * message of that connection (zmq_msg_gets(msg, "User-Id")): the only
 * place the hub takes a site's identity from (DESIGN §4.5, §8a).
 *
 * Order matters (DESIGN §8a: CURVE without a ZAP handler lets any key
 * in): zap_start before the ROUTER binds, zap_secure_server on the ROUTER
 * before it binds, and zmq_close of the ROUTER before zap_stop.
 *
 * libzmq asks only when a connection is made; a key revoked later stays
 * connected, so the hub also checks each message's User-Id with
 * sites_is_active. Loop thread only.
 */
#ifndef MSOSYNC_ZAP_H
#define MSOSYNC_ZAP_H

#include <stdint.h>

#include <event2/event.h>

#include "sites.h"

#define ZAP_DOMAIN	"msosync"

struct zap;

struct zap_stats {
	uint64_t	allowed;
	uint64_t	refused_unknown;	/* no site has the key */
	uint64_t	refused_revoked;	/* the key's site is revoked */
	uint64_t	refused_other;		/* domain, mechanism, malformed */
};

/*
 * Bind the ZAP socket in 'zmq_ctx' and answer requests from 'base'.
 * Until zap_set_sites every key is refused as unknown.
 * Returns 0 with *out the caller's (zap_stop), or -errno: -EADDRINUSE
 * when the context already has a ZAP handler, -ETERM, -ENOMEM.
 */
int	zap_start(struct event_base *base, void *zmq_ctx, struct zap **out)
	    __attribute__((warn_unused_result));

/*
 * Answer from 'sites' from now on (NULL: refuse every key). The caller
 * keeps owning it, and must not free it before the next zap_set_sites or
 * zap_stop; connections already made are not asked about again.
 */
void	zap_set_sites(struct zap *z, const struct sites *sites);

/* Unbind and free; NULL-safe; sets *z = NULL. */
void	zap_stop(struct zap **z);

/* Counters since zap_start; valid as long as the zap. */
const struct zap_stats	*zap_stats(const struct zap *z);

/*
 * Make 'router' (not yet bound) a CURVE server with this Z85 secret key,
 * authenticated in ZAP_DOMAIN with ZMQ_ZAP_ENFORCE_DOMAIN: libzmq then
 * refuses every client while no ZAP handler is bound, where with either
 * option alone it would admit all.
 * Returns 0, or -errno of the first zmq_setsockopt that failed (-EINVAL
 * for a malformed key).
 */
int	zap_secure_server(void *router, const char *secret_z85)
	    __attribute__((warn_unused_result));

#endif
