/*
 * msosync-hub: the MSO's hub. Wires config, the store, the sites registry
 * and tokens, the ZAP handler (started before the ROUTER binds: without
 * one libzmq lets any CURVE key in), the receiver and the HTTP API onto one
 * libevent loop. SIGHUP reloads the sites and tokens files. The only file
 * of the hub that exits.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>
#include <sodium.h>
#include <zmq.h>

#include "aggregate.h"
#include "api.h"
#include "config.h"
#include "httpd.h"
#include "keys.h"
#include "log.h"
#include "msosync/error.h"
#include "receiver.h"
#include "sites.h"
#include "store.h"
#include "tokens.h"
#include "wire.h"
#include "zap.h"

struct hub_config {
	char		*data_dir;
	char		*listen;
	char		*http_listen;
	char		*secret_key_file;
	char		*sites_file;
	char		*tokens_file;
	long long	 store_max_mb;
	long long	 http_max_body_mb;
	long long	 receive_queue_max_mb;
	bool		 debug;
};

#define K(name, type, def, req, min, max, help) \
	{ #name, type, offsetof(struct hub_config, name), def, req, min, max, help }
static const struct config_key hub_keys[] = {
	K(data_dir, CONFIG_STRING, NULL, true, 0, 0,
	    "directory for the store (DATA_DIR/hub)"),
	K(listen, CONFIG_STRING, "tcp://0.0.0.0:7470", false, 0, 0,
	    "CurveZMQ replication endpoint"),
	K(http_listen, CONFIG_STRING, "127.0.0.1:7471", false, 0, 0,
	    "HTTP API address"),
	K(secret_key_file, CONFIG_STRING, NULL, true, 0, 0,
	    "the hub's CURVE secret key file (mode 0600)"),
	K(sites_file, CONFIG_STRING, NULL, true, 0, 0,
	    "allowed sites: [site ID] sections with public_key and fee terms"),
	K(tokens_file, CONFIG_STRING, NULL, true, 0, 0,
	    "API tokens: NAME HASH lines (msoctl token new)"),
	K(store_max_mb, CONFIG_INT, "65536", false, 1, 16777216,
	    "store disk budget in MiB"),
	K(http_max_body_mb, CONFIG_INT, "16", false, 1, 1024,
	    "HTTP request body limit in MiB"),
	K(receive_queue_max_mb, CONFIG_INT, "256", false, 1, 65536,
	    "memory for batches received and not yet stored, in MiB"),
	K(debug, CONFIG_BOOL, "false", false, 0, 0, "log debug lines"),
};
#undef K
static const struct config_spec hub_spec = {
	"hub", hub_keys, sizeof(hub_keys) / sizeof(hub_keys[0])
};

struct hub {
	struct hub_config	 c;
	struct hub_api		 api;
	struct sites		*sites;
	struct tokens		*tokens;
	struct receiver		*receiver;
	struct zap		*zap;
};

static void
usage(void)
{
	printf("usage: msosync-hub [--config FILE] [-n|--check] [--KEY=VALUE ...]\n"
	    "       msosync-hub --help | --version\n\n"
	    "The MSO's hub: authenticates each clinic by its CURVE key, stores\n"
	    "every event exactly once and answers the operator and reports.\n"
	    "SIGHUP reloads the sites and tokens files.\n\n"
	    "Every configuration key of the [hub] section is also a flag:\n");
	config_usage(&hub_spec, stdout);
}

static void
print_errors(struct config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", errs->msg[i]);
}

/* Load both registries; on any error keep nothing and report it all. */
static int
load_registries(struct hub_config *c, struct sites **sites,
    struct tokens **tokens, struct config_errors *errs)
{
	int	rc1 = sites_load(c->sites_file, sites, errs);
	int	rc2 = tokens_load(c->tokens_file, tokens, errs);

	if (rc1 == 0 && rc2 == 0)
		return 0;
	sites_free(sites);
	tokens_free(tokens);
	return MSOSYNC_ECONFIG;
}

/*
 * A registry file that cannot be read is the fault of the key naming it:
 * put the key's place in front of the loader's last "path: reason".
 */
static void
blame_key(const struct config_cli *cli, struct config_errors *errs,
    const char *key)
{
	char	*msg = errs->msg[--errs->n];

	config_key_error(&hub_spec, cli, errs, key, "%s", msg);
	free(msg);
}

/*
 * Checks beyond one key's type, and the files the keys name (into h and
 * *kp), each error at the place its key was set. Runs even when
 * config_load failed, so that -n lists every error at once. Errors inside
 * the sites and tokens files carry those files' own lines.
 */
static void
check_config(struct hub *h, const struct config_cli *cli, struct keypair **kp,
    struct config_errors *errs)
{
	struct hub_config	*c = &h->c;
	char			 err[512];
	int			 rc;

	if (config_check_zmq_tcp(c->listen, true, err, sizeof(err)) != 0)
		config_key_error(&hub_spec, cli, errs, "listen", "%s", err);
	if (config_check_http_listen(c->http_listen, err, sizeof(err)) != 0)
		config_key_error(&hub_spec, cli, errs, "http_listen", "%s",
		    err);
	if (c->secret_key_file != NULL &&
	    keys_load_secret(c->secret_key_file, kp, err, sizeof(err)) != 0)
		config_key_error(&hub_spec, cli, errs, "secret_key_file", "%s",
		    err);
	if (c->sites_file != NULL &&
	    (rc = sites_load(c->sites_file, &h->sites, errs)) != 0 &&
	    rc != MSOSYNC_ECONFIG)
		blame_key(cli, errs, "sites_file");
	if (c->tokens_file != NULL &&
	    (rc = tokens_load(c->tokens_file, &h->tokens, errs)) != 0 &&
	    rc != MSOSYNC_ECONFIG)
		blame_key(cli, errs, "tokens_file");
}

/* Leave before the hub ran: free what was loaded, return 'status'. */
static int
quit(struct hub *h, struct keypair **kp, struct config_errors *errs,
    int status)
{
	keys_free(kp);
	sites_free(&h->sites);
	tokens_free(&h->tokens);
	config_free(&hub_spec, &h->c);
	config_errors_free(errs);
	return status;
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct hub		*h = arg;
	struct config_errors	 errs = { 0 };
	struct sites		*sites = NULL;
	struct tokens		*tokens = NULL;

	(void)sig;
	(void)what;
	if (load_registries(&h->c, &sites, &tokens, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_warnx("reload: %s", errs.msg[i]);
		log_warnx("reload refused: keeping the previous sites and "
		    "tokens");
		config_errors_free(&errs);
		return;
	}
	zap_set_sites(h->zap, sites);
	receiver_set_sites(h->receiver, sites);
	h->api.sites = sites;
	h->api.tokens = tokens;
	sites_free(&h->sites);
	tokens_free(&h->tokens);
	h->sites = sites;
	h->tokens = tokens;
	log_info("reload: %zu sites, %zu tokens", sites_count(sites),
	    tokens_count(tokens));
}

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(arg, NULL);
}

static int
set_int(void *sock, int opt, int val)
{
	return zmq_setsockopt(sock, opt, &val, sizeof(val));
}

int
main(int argc, char **argv)
{
	struct hub		 h = { 0 };
	struct config_cli	 cli = { 0 };
	struct config_errors	 errs = { 0 };
	struct keypair		*kp = NULL;
	struct store		*store = NULL;
	struct evhttp		*http = NULL;
	struct event_base	*base;
	struct event		*sighup, *sigint, *sigterm;
	void			*zctx, *router;
	int64_t			 maxmsg = WIRE_MAX_FRAME;
	char			 path[4096];
	int			 rc;

	log_init("hub", LOG_LEVEL_INFO);
	/* its errors and check_config's are all in errs */
	(void)config_load(&hub_spec, &h.c, argc, argv, &cli, &errs);
	if (cli.help) {
		usage();
		return quit(&h, &kp, &errs, 0);
	}
	if (cli.version) {
		printf("msosync-hub %s\n", MSOSYNC_VERSION);
		return quit(&h, &kp, &errs, 0);
	}
	check_config(&h, &cli, &kp, &errs);
	if (errs.n > 0) {
		print_errors(&errs);
		return quit(&h, &kp, &errs, 2);
	}
	if (cli.check) {
		printf("configuration ok: %zu sites, %zu tokens\n",
		    sites_count(h.sites), tokens_count(h.tokens));
		return quit(&h, &kp, &errs, 0);
	}
	if (h.c.debug)
		log_set_level(LOG_LEVEL_DEBUG);
	if (sodium_init() < 0)
		fatalx("libsodium failed to initialise");
	signal(SIGPIPE, SIG_IGN);

	if (mkdir(h.c.data_dir, 0700) != 0 && errno != EEXIST)
		fatal("%s", h.c.data_dir);
	snprintf(path, sizeof(path), "%s/hub", h.c.data_dir);
	if ((rc = store_open(path, (size_t)h.c.store_max_mb << 20, &store)) != 0)
		fatalx("store %s: %s", path, msosync_strerror(rc));
	aggregate_attach(store);	/* aggregates commit with their events */

	if ((base = event_base_new()) == NULL ||
	    event_base_priority_init(base, 2) != 0)
		fatalx("libevent: cannot make the event loop");
	if ((zctx = zmq_ctx_new()) == NULL)
		fatal("zmq_ctx_new");
	/* the ZAP handler must be there before any CURVE socket binds */
	if ((rc = zap_start(base, zctx, &h.zap)) != 0)
		fatalx("zap: %s", msosync_strerror(rc));
	zap_set_sites(h.zap, h.sites);

	if ((router = zmq_socket(zctx, ZMQ_ROUTER)) == NULL)
		fatal("zmq_socket");
	if ((rc = zap_secure_server(router, kp->secret_z85)) != 0)
		fatalx("curve server: %s", msosync_strerror(rc));
	if (zmq_setsockopt(router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) ||
	    set_int(router, ZMQ_ROUTER_MANDATORY, 1) ||
	    set_int(router, ZMQ_LINGER, 1000) ||
	    set_int(router, ZMQ_HANDSHAKE_IVL, 5000) ||
	    set_int(router, ZMQ_HEARTBEAT_IVL, 2000) ||
	    set_int(router, ZMQ_HEARTBEAT_TTL, 10000) ||
	    set_int(router, ZMQ_HEARTBEAT_TIMEOUT, 10000) ||
	    set_int(router, ZMQ_SNDHWM, 100000) ||
	    set_int(router, ZMQ_RCVHWM, 100000))
		fatal("zmq_setsockopt");
	if (zmq_bind(router, h.c.listen) != 0)
		fatalx("bind %s: %s", h.c.listen, zmq_strerror(errno));
	keys_free(&kp);

	if ((h.receiver = receiver_new(base, router, store, h.sites,
	    (size_t)h.c.receive_queue_max_mb << 20)) == NULL)
		fatal("receiver");
	if ((rc = httpd_open(base, h.c.http_listen,
	    (size_t)h.c.http_max_body_mb << 20, &http)) != 0)
		fatalx("http %s: %s", h.c.http_listen, msosync_strerror(rc));
	h.api.store = store;
	h.api.sites = h.sites;
	h.api.tokens = h.tokens;
	h.api.receiver = h.receiver;
	h.api.zap = h.zap;
	h.api.scratch_dir = h.c.data_dir;
	hub_api_start(http, &h.api);

	sighup = evsignal_new(base, SIGHUP, on_hup, &h);
	sigint = evsignal_new(base, SIGINT, on_stop, base);
	sigterm = evsignal_new(base, SIGTERM, on_stop, base);
	event_add(sighup, NULL);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	log_info("%zu sites; replication on %s, http on %s",
	    sites_count(h.sites), h.c.listen, h.c.http_listen);

	event_base_dispatch(base);

	rc = receiver_failed(h.receiver) ? 1 : 0;
	event_free(sighup);
	event_free(sigint);
	event_free(sigterm);
	evhttp_free(http);
	receiver_free(&h.receiver);
	zmq_close(router);
	zap_stop(&h.zap);
	zmq_ctx_term(zctx);
	event_base_free(base);
	store_close(&store);
	sites_free(&h.sites);
	tokens_free(&h.tokens);
	config_free(&hub_spec, &h.c);
	if (rc)
		log_error("storage failure: exiting so the supervisor restarts "
		    "the hub on a consistent store");
	return rc;
}
