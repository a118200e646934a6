/*
 * Tests for zap.c over real libzmq: a CURVE ROUTER on 127.0.0.1 made with
 * zap_secure_server, and DEALERs with fresh keys. An allowed key's message
 * arrives with the site id as User-Id; unknown, revoked and (after a
 * reload) newly revoked keys never get a message through, and are counted
 * and logged. The ZAP protocol itself is driven by hand over inproc with a
 * REQ socket: every status code and the exact reply frames. Finally, why
 * the order matters: without a ZAP handler libzmq admits any CURVE key,
 * even with a ZAP domain, unless ZMQ_ZAP_ENFORCE_DOMAIN is set as well,
 * as zap_secure_server sets both.
 * The ZAP handler runs on a libevent loop that the tests turn by hand
 * (EVLOOP_NONBLOCK) while they poll their own sockets.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <zmq.h>

#include "config.h"
#include "keys.h"
#include "log.h"
#include "msosync/error.h"
#include "sites.h"
#include "zap.h"

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN	93
#endif

#define REFUSED_WAIT_MS	500
#define ALLOWED_WAIT_MS	5000

struct ckey {
	char	pub[KEYS_Z85_LEN + 1];
	char	sec[KEYS_Z85_LEN + 1];
	uint8_t	bin[32];
};

struct fixture {
	char			 dir[64];
	char			 path[128];	/* DIR/sites.conf */
	char			 log[128];	/* DIR/stderr */
	void			*ctx;
	struct event_base	*base;
	struct zap		*zap;
	struct sites		*sites;
	void			*router;
	char			 endpoint[256];
	struct ckey		 server;
	struct ckey		 site7;		/* public_key of site 7 */
	struct ckey		 site7_next;	/* its next_public_key */
	struct ckey		 site8;		/* revoked */
	struct ckey		 stranger;	/* on no site */
	int			 saved_stderr;
	void			*socks[8];	/* clients, closed by teardown */
	size_t			 nsocks;
};

static void
make_key(struct ckey *k)
{
	assert_int_equal(zmq_curve_keypair(k->pub, k->sec), 0);
	assert_int_equal(keys_decode_public(k->pub, k->bin), 0);
}

static void
write_sites(struct fixture *fx, bool revoke7)
{
	FILE	*f = fopen(fx->path, "w");

	assert_non_null(f);
	fprintf(f,
	    "[site 7]\n"
	    "public_key = %s\n"
	    "next_public_key = %s\n"
	    "fee_model = fixed\n"
	    "fee_fixed_cents = 1000\n"
	    "revoked = %s\n"
	    "[site 8]\n"
	    "public_key = %s\n"
	    "fee_model = fixed\n"
	    "fee_fixed_cents = 1000\n"
	    "revoked = true\n",
	    fx->site7.pub, fx->site7_next.pub, revoke7 ? "true" : "false",
	    fx->site8.pub);
	assert_int_equal(fclose(f), 0);
}

static struct sites *
load_sites(struct fixture *fx)
{
	struct config_errors	 errs = { NULL, 0 };
	struct sites		*s = NULL;

	assert_int_equal(sites_load(fx->path, &s, &errs), 0);
	assert_int_equal(errs.n, 0);
	return s;
}

static int
setup(void **state)
{
	struct fixture	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	strcpy(fx->dir, "/tmp/msosync-zap-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/sites.conf", fx->dir);
	snprintf(fx->log, sizeof(fx->log), "%s/stderr", fx->dir);
	fx->saved_stderr = -1;
	log_init("hub", LOG_LEVEL_INFO);
	make_key(&fx->server);
	make_key(&fx->site7);
	make_key(&fx->site7_next);
	make_key(&fx->site8);
	make_key(&fx->stranger);
	write_sites(fx, false);
	fx->sites = load_sites(fx);
	fx->ctx = zmq_ctx_new();
	fx->base = event_base_new();
	if (fx->ctx == NULL || fx->base == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;
	struct dirent	*de;
	char		 p[512];
	DIR		*d;

	if (fx->saved_stderr >= 0) {
		dup2(fx->saved_stderr, STDERR_FILENO);
		close(fx->saved_stderr);
	}
	/* every socket, or zmq_ctx_term would wait for it forever */
	for (size_t i = 0; i < fx->nsocks; i++)
		zmq_close(fx->socks[i]);
	if (fx->router != NULL)
		zmq_close(fx->router);	/* before the ZAP handler goes */
	zap_stop(&fx->zap);
	sites_free(&fx->sites);
	event_base_free(fx->base);
	zmq_ctx_term(fx->ctx);
	if ((d = opendir(fx->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", fx->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How bind_router secures the ROUTER. */
enum guard {
	CURVE_ONLY,		/* CURVE, no ZAP options */
	CURVE_DOMAIN,		/* and ZMQ_ZAP_DOMAIN, not enforced */
	SECURE,			/* zap_secure_server */
};

/* The ROUTER, bound on an ephemeral port. */
static void
bind_router(struct fixture *fx, enum guard g)
{
	size_t	len = sizeof(fx->endpoint);
	int	zero = 0, one = 1;

	fx->router = zmq_socket(fx->ctx, ZMQ_ROUTER);
	assert_non_null(fx->router);
	assert_int_equal(zmq_setsockopt(fx->router, ZMQ_LINGER, &zero,
	    sizeof(zero)), 0);
	if (g == SECURE)
		assert_int_equal(zap_secure_server(fx->router,
		    fx->server.sec), 0);
	else {
		assert_int_equal(zmq_setsockopt(fx->router, ZMQ_CURVE_SERVER,
		    &one, sizeof(one)), 0);
		assert_int_equal(zmq_setsockopt(fx->router,
		    ZMQ_CURVE_SECRETKEY, fx->server.sec, KEYS_Z85_LEN), 0);
	}
	if (g == CURVE_DOMAIN)
		assert_int_equal(zmq_setsockopt(fx->router, ZMQ_ZAP_DOMAIN,
		    ZAP_DOMAIN, strlen(ZAP_DOMAIN)), 0);
	assert_int_equal(zmq_bind(fx->router, "tcp://127.0.0.1:*"), 0);
	assert_int_equal(zmq_getsockopt(fx->router, ZMQ_LAST_ENDPOINT,
	    fx->endpoint, &len), 0);
}

/* The ZAP handler answering from the fixture's sites, then the ROUTER. */
static void
start_all(struct fixture *fx)
{
	assert_int_equal(zap_start(fx->base, fx->ctx, &fx->zap), 0);
	assert_non_null(fx->zap);
	zap_set_sites(fx->zap, fx->sites);
	bind_router(fx, SECURE);
}

/* A client socket that teardown will close. */
static void *
client(struct fixture *fx, int type)
{
	void	*d = zmq_socket(fx->ctx, type);
	int	 zero = 0;

	assert_non_null(d);
	assert_true(fx->nsocks < sizeof(fx->socks) / sizeof(fx->socks[0]));
	fx->socks[fx->nsocks++] = d;
	assert_int_equal(zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof(zero)),
	    0);
	return d;
}

/*
 * A CURVE client with key k that has queued "hello". It retries only
 * after a minute, so a refusal is asked for and counted exactly once.
 */
static void
dealer(struct fixture *fx, const struct ckey *k)
{
	void	*d = client(fx, ZMQ_DEALER);
	int	 ivl = 60000;

	assert_int_equal(zmq_setsockopt(d, ZMQ_RECONNECT_IVL, &ivl,
	    sizeof(ivl)), 0);
	assert_int_equal(zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY,
	    fx->server.pub, KEYS_Z85_LEN), 0);
	assert_int_equal(zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, k->pub,
	    KEYS_Z85_LEN), 0);
	assert_int_equal(zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, k->sec,
	    KEYS_Z85_LEN), 0);
	assert_int_equal(zmq_connect(d, fx->endpoint), 0);
	assert_int_equal(zmq_send(d, "hello", 5, ZMQ_DONTWAIT), 5);
}

/* Turn the loop once without blocking, then poll 'sock' for up to 5 ms. */
static int
turn(struct fixture *fx, void *sock)
{
	zmq_pollitem_t	it = { sock, 0, ZMQ_POLLIN, 0 };

	assert_true(event_base_loop(fx->base, EVLOOP_NONBLOCK) >= 0);
	return zmq_poll(&it, 1, 5) > 0;
}

/*
 * Wait up to ms for one message at the ROUTER. Returns 1 with its
 * User-Id in uid (the payload must be "hello"), or 0.
 */
static int
wait_router(struct fixture *fx, int ms, char *uid, size_t uidlen)
{
	zmq_msg_t	 id, body;
	const char	*u;
	int64_t		 end = now_ms() + ms;

	while (now_ms() < end) {
		if (!turn(fx, fx->router))
			continue;
		zmq_msg_init(&id);
		zmq_msg_init(&body);
		assert_true(zmq_msg_recv(&id, fx->router, 0) >= 0);
		assert_true(zmq_msg_more(&id));
		assert_int_equal(zmq_msg_recv(&body, fx->router, 0), 5);
		assert_false(zmq_msg_more(&body));
		assert_memory_equal(zmq_msg_data(&body), "hello", 5);
		u = zmq_msg_gets(&body, "User-Id");
		assert_non_null(u);
		snprintf(uid, uidlen, "%s", u);
		zmq_msg_close(&id);
		zmq_msg_close(&body);
		return 1;
	}
	return 0;
}

static void
expect_stats(struct fixture *fx, uint64_t allowed, uint64_t unknown,
    uint64_t revoked, uint64_t other)
{
	const struct zap_stats	*st = zap_stats(fx->zap);

	assert_int_equal(st->allowed, allowed);
	assert_int_equal(st->refused_unknown, unknown);
	assert_int_equal(st->refused_revoked, revoked);
	assert_int_equal(st->refused_other, other);
}

static void
capture_stderr(struct fixture *fx)
{
	int	fd = open(fx->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	fx->saved_stderr = dup(STDERR_FILENO);
	assert_true(fx->saved_stderr >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
}

/* Put stderr back and return what was written to it (caller frees). */
static char *
captured(struct fixture *fx)
{
	FILE	*f;
	char	*text;
	long	 n;

	assert_true(dup2(fx->saved_stderr, STDERR_FILENO) >= 0);
	close(fx->saved_stderr);
	fx->saved_stderr = -1;
	f = fopen(fx->log, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

static void
test_allowed(void **state)
{
	struct fixture	*fx = *state;
	char		 uid[32];
	char		*log, want[256];

	start_all(fx);
	capture_stderr(fx);
	dealer(fx, &fx->site7);
	assert_int_equal(wait_router(fx, ALLOWED_WAIT_MS, uid, sizeof(uid)),
	    1);
	log = captured(fx);
	assert_string_equal(uid, "7");
	expect_stats(fx, 1, 0, 0, 0);
	snprintf(want, sizeof(want), "auth: site 7 allowed, key %s from "
	    "127.0.0.1", fx->site7.pub);
	assert_non_null(strstr(log, want));
	free(log);
}

static void
test_next_key(void **state)
{
	struct fixture	*fx = *state;
	char		 uid[32];

	start_all(fx);
	dealer(fx, &fx->site7_next);
	assert_int_equal(wait_router(fx, ALLOWED_WAIT_MS, uid, sizeof(uid)),
	    1);
	assert_string_equal(uid, "7");
	expect_stats(fx, 1, 0, 0, 0);
}

static void
test_unknown(void **state)
{
	struct fixture	*fx = *state;
	char		 uid[32];
	char		*log, want[256];

	start_all(fx);
	capture_stderr(fx);
	dealer(fx, &fx->stranger);
	assert_int_equal(wait_router(fx, REFUSED_WAIT_MS, uid, sizeof(uid)),
	    0);
	log = captured(fx);
	expect_stats(fx, 0, 1, 0, 0);
	snprintf(want, sizeof(want), "auth: refused unknown key %s from "
	    "127.0.0.1", fx->stranger.pub);
	assert_non_null(strstr(log, want));
	free(log);
}

static void
test_revoked(void **state)
{
	struct fixture	*fx = *state;
	char		 uid[32];
	char		*log, want[256];

	start_all(fx);
	capture_stderr(fx);
	dealer(fx, &fx->site8);
	assert_int_equal(wait_router(fx, REFUSED_WAIT_MS, uid, sizeof(uid)),
	    0);
	log = captured(fx);
	expect_stats(fx, 0, 0, 1, 0);
	snprintf(want, sizeof(want), "auth: refused revoked key %s of site 8 "
	    "from 127.0.0.1", fx->site8.pub);
	assert_non_null(strstr(log, want));
	free(log);
}

/* A new registry takes effect for the next handshake. */
static void
test_reload(void **state)
{
	struct fixture	*fx = *state;
	struct sites	*revoked;
	char		 uid[32];

	start_all(fx);
	zap_set_sites(fx->zap, NULL);
	dealer(fx, &fx->site7);
	assert_int_equal(wait_router(fx, REFUSED_WAIT_MS, uid, sizeof(uid)),
	    0);
	expect_stats(fx, 0, 1, 0, 0);

	write_sites(fx, true);
	revoked = load_sites(fx);
	zap_set_sites(fx->zap, revoked);
	dealer(fx, &fx->site7_next);
	assert_int_equal(wait_router(fx, REFUSED_WAIT_MS, uid, sizeof(uid)),
	    0);
	expect_stats(fx, 0, 1, 1, 0);

	zap_set_sites(fx->zap, fx->sites);
	sites_free(&revoked);
	dealer(fx, &fx->site7);
	assert_int_equal(wait_router(fx, ALLOWED_WAIT_MS, uid, sizeof(uid)),
	    1);
	assert_string_equal(uid, "7");
	expect_stats(fx, 1, 1, 1, 0);
}

struct frame {
	const void	*p;
	size_t		 len;
};

/*
 * Send one hand-made ZAP request over inproc and collect the reply's
 * frames as strings. Returns the number of frames.
 */
static size_t
ask(struct fixture *fx, void *req, const struct frame *f, size_t n,
    char out[8][64])
{
	zmq_msg_t	m;
	size_t		got = 0, len;
	int64_t		end = now_ms() + ALLOWED_WAIT_MS;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(zmq_send(req, f[i].p, f[i].len,
		    i + 1 < n ? ZMQ_SNDMORE : 0), (int)f[i].len);
	while (!turn(fx, req))
		assert_true(now_ms() < end);
	do {
		assert_true(got < 8);
		zmq_msg_init(&m);
		assert_true(zmq_msg_recv(&m, req, 0) >= 0);
		len = zmq_msg_size(&m);
		assert_true(len < 64);
		memcpy(out[got], zmq_msg_data(&m), len);
		out[got][len] = '\0';
		got++;
		len = (size_t)zmq_msg_more(&m);
		zmq_msg_close(&m);
	} while (len);
	return got;
}

static void
expect_reply(char out[8][64], size_t n, const char *id, const char *code,
    const char *text, const char *uid)
{
	assert_int_equal(n, 6);
	assert_string_equal(out[0], "1.0");
	assert_string_equal(out[1], id);
	assert_string_equal(out[2], code);
	assert_string_equal(out[3], text);
	assert_string_equal(out[4], uid);
	assert_string_equal(out[5], "");
}

#define F(s)	{ s, sizeof(s) - 1 }

static void
test_protocol(void **state)
{
	struct fixture	*fx = *state;
	void		*req;
	char		 out[8][64];
	size_t		 n;
	struct frame	 ok[] = {
		F("1.0"), F("42"), F("msosync"), F("192.0.2.1"), F(""),
		F("CURVE"), { fx->site7.bin, 32 },
	};
	struct frame	 revoked[] = {
		F("1.0"), F("43"), F("msosync"), F("192.0.2.1"), F(""),
		F("CURVE"), { fx->site8.bin, 32 },
	};
	struct frame	 version[] = {
		F("2.0"), F("44"), F("msosync"), F("192.0.2.1"), F(""),
		F("CURVE"), { fx->site7.bin, 32 },
	};
	struct frame	 plain[] = {
		F("1.0"), F("45"), F("msosync"), F("192.0.2.1"), F(""),
		F("PLAIN"), F("user"), F("password"),
	};
	struct frame	 domain[] = {
		F("1.0"), F("46"), F("global"), F("192.0.2.1"), F(""),
		F("CURVE"), { fx->site7.bin, 32 },
	};
	struct frame	 shortkey[] = {
		F("1.0"), F("47"), F("msosync"), F("192.0.2.1"), F(""),
		F("CURVE"), { fx->site7.bin, 31 },
	};
	struct frame	 truncated[] = { F("1.0"), F("48"), F("msosync") };
	struct frame	 null[] = {
		F("1.0"), F("50"), F("msosync"), F("192.0.2.1"), F(""),
		F("NULL"),
	};
	struct frame	 stranger[] = {
		F("1.0"), F("49"), F("msosync"), F("192.0.2.1"), F(""),
		F("CURVE"), { fx->stranger.bin, 32 },
	};

	assert_int_equal(zap_start(fx->base, fx->ctx, &fx->zap), 0);
	zap_set_sites(fx->zap, fx->sites);
	req = client(fx, ZMQ_REQ);
	assert_int_equal(zmq_connect(req, "inproc://zeromq.zap.01"), 0);

	n = ask(fx, req, ok, 7, out);
	expect_reply(out, n, "42", "200", "OK", "7");
	n = ask(fx, req, revoked, 7, out);
	expect_reply(out, n, "43", "400", "revoked key", "");
	n = ask(fx, req, version, 7, out);
	expect_reply(out, n, "44", "500", "malformed request", "");
	n = ask(fx, req, plain, 8, out);
	expect_reply(out, n, "45", "400", "mechanism not allowed", "");
	n = ask(fx, req, domain, 7, out);
	expect_reply(out, n, "46", "400", "domain not allowed", "");
	n = ask(fx, req, shortkey, 7, out);
	expect_reply(out, n, "47", "500", "malformed request", "");
	n = ask(fx, req, truncated, 3, out);
	expect_reply(out, n, "48", "500", "malformed request", "");
	n = ask(fx, req, stranger, 7, out);
	expect_reply(out, n, "49", "400", "unknown key", "");
	n = ask(fx, req, null, 6, out);
	expect_reply(out, n, "50", "400", "mechanism not allowed", "");
	expect_stats(fx, 1, 1, 1, 6);
}

/* Only one ZAP handler per context: libzmq would pick one at random. */
static void
test_start_twice(void **state)
{
	struct fixture	*fx = *state;
	struct zap	*second;

	assert_int_equal(zap_start(fx->base, fx->ctx, &fx->zap), 0);
	second = fx->zap;	/* not NULL: zap_start must clear it */
	assert_int_equal(zap_start(fx->base, fx->ctx, &second), -EADDRINUSE);
	assert_null(second);
	zap_stop(&fx->zap);
	assert_null(fx->zap);
	zap_stop(&fx->zap);
	/* the endpoint is free again */
	assert_int_equal(zap_start(fx->base, fx->ctx, &fx->zap), 0);
}

/*
 * DESIGN §8a: CURVE without a ZAP handler lets any key in. A stranger's
 * message arrives at a CURVE server with no ZAP options, and at one with
 * a ZAP domain but without ZMQ_ZAP_ENFORCE_DOMAIN (libzmq 4.3.4) ...
 */
static void
expect_admitted(struct fixture *fx, enum guard g)
{
	zmq_msg_t	 id, body;
	int64_t		 end = now_ms() + ALLOWED_WAIT_MS;

	bind_router(fx, g);
	dealer(fx, &fx->stranger);
	while (!turn(fx, fx->router))
		assert_true(now_ms() < end);
	zmq_msg_init(&id);
	zmq_msg_init(&body);
	assert_true(zmq_msg_recv(&id, fx->router, 0) >= 0);
	assert_int_equal(zmq_msg_recv(&body, fx->router, 0), 5);
	assert_memory_equal(zmq_msg_data(&body), "hello", 5);
	zmq_msg_close(&id);
	zmq_msg_close(&body);
}

static void
test_curve_without_zap_admits_anyone(void **state)
{
	expect_admitted(*state, CURVE_ONLY);
}

static void
test_domain_without_enforce_admits_anyone(void **state)
{
	expect_admitted(*state, CURVE_DOMAIN);
}

/* ... but zap_secure_server's ZMQ_ZAP_ENFORCE_DOMAIN refuses everyone. */
static void
test_enforced_without_zap_refuses(void **state)
{
	struct fixture	*fx = *state;
	char		 uid[32];
	int		 v = 0;
	size_t		 len = sizeof(v);

	bind_router(fx, SECURE);
	assert_int_equal(zmq_getsockopt(fx->router, ZMQ_ZAP_ENFORCE_DOMAIN,
	    &v, &len), 0);
	assert_int_equal(v, 1);
	dealer(fx, &fx->site7);
	assert_int_equal(wait_router(fx, REFUSED_WAIT_MS, uid, sizeof(uid)),
	    0);
}

static void
test_secure_server_bad_key(void **state)
{
	struct fixture	*fx = *state;
	void		*r = client(fx, ZMQ_ROUTER);
	char		 bad[KEYS_Z85_LEN + 1];

	assert_int_equal(zap_secure_server(r, "short"), -EINVAL);
	/* 32 characters would be taken as a binary key: refused as well */
	assert_int_equal(zap_secure_server(r,
	    "0123456789abcdef0123456789abcdef"), -EINVAL);
	memset(bad, ' ', KEYS_Z85_LEN);
	bad[KEYS_Z85_LEN] = '\0';
	assert_int_equal(zap_secure_server(r, bad), -EINVAL);
	assert_int_equal(zap_secure_server(r, fx->server.sec), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocol, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_start_twice, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_curve_without_zap_admits_anyone, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_domain_without_enforce_admits_anyone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_enforced_without_zap_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secure_server_bad_key,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
