/*
 * The ZAP handler: a REP socket on inproc://zeromq.zap.01, read through
 * evzmq on the hub's loop, answering each request from the current sites
 * registry. It owns the REP socket and the counters; the registry is the
 * hub's. libzmq's sessions wait for our answer without blocking the loop,
 * so a handshake costs one bsearch here. Every request gets a reply, even
 * a malformed one, because a REP socket that skips a reply takes no new
 * request: one bad request would stall every later handshake.
 * Loop thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "evzmq.h"
#include "log.h"
#include "xmalloc.h"
#include "zap.h"

/*
 * libzmq 4.3 declares this option in its draft API only, yet the stable
 * library honours it (the value is libzmq's own). Measured on 4.3.4 with
 * no ZAP handler bound: a CURVE server admits any key with neither option,
 * with ZMQ_ZAP_DOMAIN alone, and with ZMQ_ZAP_ENFORCE_DOMAIN alone; it
 * refuses every key only with both. So zap_secure_server sets both;
 * test_zap checks the first two cases and the last.
 */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN	93
#endif

#define ZAP_ENDPOINT	"inproc://zeromq.zap.01"
#define ZAP_VERSION	"1.0"

/* The request's frames (RFC 27), credentials from CRED on. */
enum { VERSION, REQUEST_ID, DOMAIN, ADDRESS, IDENTITY, MECHANISM, CRED };

struct zap {
	void			*sock;
	struct evzmq		*ez;
	const struct sites	*sites;
	struct zap_stats	 stats;
};

struct reply {
	const char	*code;
	const char	*text;
	char		 user_id[16];	/* decimal site id, or "" */
};

static int
part_is(zmq_msg_t *p, const char *s)
{
	size_t	len = strlen(s);

	return zmq_msg_size(p) == len && memcmp(zmq_msg_data(p), s, len) == 0;
}

/* A frame as printable text for the log; the peer chose some of them. */
static void
part_text(zmq_msg_t *p, char *buf, size_t bufsz)
{
	const unsigned char	*d = zmq_msg_data(p);
	size_t			 n = zmq_msg_size(p), i;

	for (i = 0; i < n && i + 1 < bufsz; i++)
		buf[i] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '?';
	buf[i] = '\0';
}

static void
refuse(struct reply *r, const char *code, const char *text,
    uint64_t *counter)
{
	r->code = code;
	r->text = text;
	(*counter)++;
}

/* Decide about one request; logs every refusal. */
static void
decide(struct zap *z, struct evzmq_msg *m, struct reply *r)
{
	const struct site	*s;
	char			 addr[64], what[32], key[KEYS_Z85_LEN + 1];

	r->user_id[0] = '\0';
	snprintf(key, sizeof(key), "-");
	snprintf(addr, sizeof(addr), "?");
	if (m->nparts > ADDRESS)
		part_text(&m->part[ADDRESS], addr, sizeof(addr));
	if (m->nparts <= MECHANISM ||
	    !part_is(&m->part[VERSION], ZAP_VERSION)) {
		refuse(r, "500", "malformed request", &z->stats.refused_other);
		log_warnx("auth: malformed ZAP request (%zu frames) from %s",
		    m->nparts, addr);
		return;
	}
	if (!part_is(&m->part[MECHANISM], "CURVE")) {
		part_text(&m->part[MECHANISM], what, sizeof(what));
		refuse(r, "400", "mechanism not allowed",
		    &z->stats.refused_other);
		log_warnx("auth: refused mechanism '%s' from %s", what, addr);
		return;
	}
	if (m->nparts != CRED + 1 || zmq_msg_size(&m->part[CRED]) != 32) {
		refuse(r, "500", "malformed request", &z->stats.refused_other);
		log_warnx("auth: malformed CURVE credentials from %s", addr);
		return;
	}
	zmq_z85_encode(key, zmq_msg_data(&m->part[CRED]), 32);
	if (!part_is(&m->part[DOMAIN], ZAP_DOMAIN)) {
		part_text(&m->part[DOMAIN], what, sizeof(what));
		refuse(r, "400", "domain not allowed", &z->stats.refused_other);
		log_warnx("auth: refused key %s from %s: domain '%s' is not "
		    "'%s'", key, addr, what, ZAP_DOMAIN);
		return;
	}
	if ((s = sites_by_key(z->sites, zmq_msg_data(&m->part[CRED]))) ==
	    NULL) {
		refuse(r, "400", "unknown key", &z->stats.refused_unknown);
		log_warnx("auth: refused unknown key %s from %s", key, addr);
		return;
	}
	if (s->revoked) {
		refuse(r, "400", "revoked key", &z->stats.refused_revoked);
		log_warnx("auth: refused revoked key %s of site %u from %s",
		    key, s->id, addr);
		return;
	}
	r->code = "200";
	r->text = "OK";
	snprintf(r->user_id, sizeof(r->user_id), "%u", s->id);
	z->stats.allowed++;
	log_info("auth: site %u allowed, key %s from %s", s->id, key, addr);
}

static void
on_request(struct evzmq *ez, struct evzmq_msg *m, void *arg)
{
	struct zap	*z = arg;
	struct reply	 r;
	const void	*id = "";
	size_t		 idlen = 0;
	int		 rc;

	decide(z, m, &r);
	if (m->nparts > REQUEST_ID) {
		id = zmq_msg_data(&m->part[REQUEST_ID]);
		idlen = zmq_msg_size(&m->part[REQUEST_ID]);
	}
	if ((rc = evzmq_send(ez, ZAP_VERSION, strlen(ZAP_VERSION),
	    ZMQ_SNDMORE)) != 0 ||
	    (rc = evzmq_send(ez, id, idlen, ZMQ_SNDMORE)) != 0 ||
	    (rc = evzmq_send(ez, r.code, strlen(r.code), ZMQ_SNDMORE)) != 0 ||
	    (rc = evzmq_send(ez, r.text, strlen(r.text), ZMQ_SNDMORE)) != 0 ||
	    (rc = evzmq_send(ez, r.user_id, strlen(r.user_id),
	    ZMQ_SNDMORE)) != 0 ||
	    (rc = evzmq_send(ez, "", 0, 0)) != 0)
		log_warnx("auth: cannot send the ZAP reply: %s",
		    zmq_strerror(-rc));
}

int
zap_start(struct event_base *base, void *zmq_ctx, struct zap **out)
{
	struct zap	*z;
	int		 zero = 0, rc;

	*out = NULL;
	z = xcalloc(1, sizeof(*z));
	if ((z->sock = zmq_socket(zmq_ctx, ZMQ_REP)) == NULL) {
		rc = -errno;
		goto fail;
	}
	/*
	 * No high-water mark on replies: a reply refused half-sent would
	 * leave the REP socket unable to answer anyone again.
	 */
	if (zmq_setsockopt(z->sock, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(z->sock, ZMQ_SNDHWM, &zero, sizeof(zero)) != 0 ||
	    zmq_bind(z->sock, ZAP_ENDPOINT) != 0) {
		rc = -errno;
		goto fail;
	}
	if ((z->ez = evzmq_new(base, z->sock, on_request, NULL, z)) == NULL) {
		rc = -errno;
		goto fail;
	}
	*out = z;
	return 0;
fail:
	if (z->sock != NULL)
		zmq_close(z->sock);
	free(z);
	return rc;
}

void
zap_set_sites(struct zap *z, const struct sites *sites)
{
	z->sites = sites;
}

void
zap_stop(struct zap **zp)
{
	struct zap	*z;

	if (zp == NULL || (z = *zp) == NULL)
		return;
	evzmq_free(&z->ez);
	/* zmq_close frees the endpoint later, from libzmq's reaper thread;
	 * unbinding frees it now, so a new handler can bind at once. */
	(void)zmq_unbind(z->sock, ZAP_ENDPOINT);
	zmq_close(z->sock);
	free(z);
	*zp = NULL;
}

const struct zap_stats *
zap_stats(const struct zap *z)
{
	return &z->stats;
}

int
zap_secure_server(void *router, const char *secret_z85)
{
	int	one = 1;

	/* libzmq reads a 32-byte key as binary: insist on the Z85 text. */
	if (strlen(secret_z85) != KEYS_Z85_LEN)
		return -EINVAL;
	if (zmq_setsockopt(router, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN,
	    strlen(ZAP_DOMAIN)) != 0 ||
	    zmq_setsockopt(router, ZMQ_ZAP_ENFORCE_DOMAIN, &one,
	    sizeof(one)) != 0 ||
	    zmq_setsockopt(router, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
	    zmq_setsockopt(router, ZMQ_CURVE_SECRETKEY, secret_z85,
	    KEYS_Z85_LEN) != 0)
		return -errno;
	return 0;
}
