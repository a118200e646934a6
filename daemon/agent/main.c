/*
 * msosync-agent: the clinic's service. Wires config, journal, ingest, the
 * local APIs (HTTP and ZeroMQ ipc) and, when a hub is configured, the
 * sender, onto one libevent loop. The only file of the agent that exits.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>
#include <zmq.h>

#include "api.h"
#include "config.h"
#include "httpd.h"
#include "ingest.h"
#include "ipc.h"
#include "journal.h"
#include "keys.h"
#include "log.h"
#include "msosync/error.h"
#include "sender.h"
#include "xmalloc.h"

struct agent_config {
	long long	 site_id;
	char		*data_dir;
	char		*http_listen;
	char		*ipc_endpoint;
	char		*hub_endpoint;
	char		*hub_public_key;
	char		*secret_key_file;
	char		*pepper_file;
	char		*timezone;
	char		*currency;
	long long	 journal_max_mb;
	long long	 retention_days;
	long long	 batch_max_events;
	long long	 window;
	long long	 http_max_body_mb;
	bool		 debug;
};

#define K(name, type, def, req, min, max, help) \
	{ #name, type, offsetof(struct agent_config, name), def, req, min, max, help }
static const struct config_key agent_keys[] = {
	K(site_id, CONFIG_INT, NULL, true, 1, 4294967295LL,
	    "this clinic's site id at the hub"),
	K(data_dir, CONFIG_STRING, NULL, true, 0, 0,
	    "directory for the journal, pepper and ipc socket"),
	K(http_listen, CONFIG_STRING, "127.0.0.1:7460", false, 0, 0,
	    "local HTTP API address"),
	K(ipc_endpoint, CONFIG_STRING, NULL, false, 0, 0,
	    "ZeroMQ ipc endpoint (default ipc://DATA_DIR/ingest.sock)"),
	K(hub_endpoint, CONFIG_STRING, NULL, false, 0, 0,
	    "hub replication endpoint, e.g. tcp://hub:7470 (none: no replication)"),
	K(hub_public_key, CONFIG_STRING, NULL, false, 0, 0,
	    "the hub's Z85 public key"),
	K(secret_key_file, CONFIG_STRING, NULL, false, 0, 0,
	    "this site's CURVE secret key file (mode 0600)"),
	K(pepper_file, CONFIG_STRING, NULL, false, 0, 0,
	    "client_ref key, made at first start (default DATA_DIR/pepper)"),
	K(timezone, CONFIG_STRING, NULL, false, 0, 0,
	    "IANA time zone for business dates (default: the system's)"),
	K(currency, CONFIG_STRING, "USD", false, 0, 0, "the site's currency"),
	K(journal_max_mb, CONFIG_INT, "1024", false, 1, 1048576,
	    "journal disk budget in MiB"),
	K(retention_days, CONFIG_INT, "30", false, 0, 3650,
	    "keep acknowledged events this many days"),
	K(batch_max_events, CONFIG_INT, "2000", false, 1, 100000,
	    "events per replication batch at most"),
	K(window, CONFIG_INT, "8", false, 1, 1024,
	    "unacknowledged batches in flight at most"),
	K(http_max_body_mb, CONFIG_INT, "16", false, 1, 1024,
	    "HTTP request body limit in MiB"),
	K(debug, CONFIG_BOOL, "false", false, 0, 0, "log debug lines"),
};
#undef K
static const struct config_spec agent_spec = {
	"agent", agent_keys, sizeof(agent_keys) / sizeof(agent_keys[0])
};

static void
usage(void)
{
	printf("usage: msosync-agent [--config FILE] [-n|--check] [--KEY=VALUE ...]\n"
	    "       msosync-agent --help | --version\n\n"
	    "The clinic agent: validates, pseudonymises and durably journals\n"
	    "operational events, and replicates them to the MSO hub.\n\n"
	    "Every configuration key of the [agent] section is also a flag:\n");
	config_usage(&agent_spec, stdout);
}

/*
 * Checks beyond one key's type: what the agent needs to run, each error
 * at the place its key was set. Runs even when config_load failed, so
 * that -n lists every error at once; opens nothing but the key file.
 */
static void
check_config(struct agent_config *c, const struct config_cli *cli,
    struct config_errors *errs)
{
	struct keypair	*kp = NULL;
	struct stat	 st;
	char		 err[512], *ep, *zone;

	if (config_check_http_listen(c->http_listen, err, sizeof(err)) != 0)
		config_key_error(&agent_spec, cli, errs, "http_listen", "%s",
		    err);
	if (c->ipc_endpoint != NULL) {
		if (config_check_zmq_ipc(c->ipc_endpoint, err,
		    sizeof(err)) != 0)
			config_key_error(&agent_spec, cli, errs,
			    "ipc_endpoint", "%s", err);
	} else if (c->data_dir != NULL) {
		ep = xasprintf("ipc://%s/ingest.sock", c->data_dir);
		if (config_check_zmq_ipc(ep, err, sizeof(err)) != 0)
			config_key_error(&agent_spec, cli, errs, "data_dir",
			    "the default ipc_endpoint %s: %s; set ipc_endpoint",
			    ep, err);
		free(ep);
	}
	if (c->hub_endpoint != NULL) {
		if (config_check_zmq_tcp(c->hub_endpoint, false, err,
		    sizeof(err)) != 0)
			config_key_error(&agent_spec, cli, errs,
			    "hub_endpoint", "%s", err);
		if (c->hub_public_key == NULL)
			config_key_error(&agent_spec, cli, errs,
			    "hub_endpoint", "needs hub_public_key");
		if (c->secret_key_file == NULL)
			config_key_error(&agent_spec, cli, errs,
			    "hub_endpoint", "needs secret_key_file");
	}
	if (c->hub_public_key != NULL && !keys_is_public_z85(c->hub_public_key))
		config_key_error(&agent_spec, cli, errs, "hub_public_key",
		    "expected a 40-character Z85 public key");
	/* -n must refuse the key file the real start refuses */
	if (c->hub_endpoint != NULL && c->secret_key_file != NULL &&
	    keys_load_secret(c->secret_key_file, &kp, err, sizeof(err)) != 0)
		config_key_error(&agent_spec, cli, errs, "secret_key_file",
		    "%s", err);
	keys_free(&kp);
	if (c->timezone != NULL) {
		zone = xasprintf("/usr/share/zoneinfo/%s", c->timezone);
		if (strstr(c->timezone, "..") || stat(zone, &st) != 0 ||
		    !S_ISREG(st.st_mode))
			config_key_error(&agent_spec, cli, errs, "timezone",
			    "unknown time zone '%s'", c->timezone);
		free(zone);
	}
	/* ISO 4217's form: three capital letters (USD) */
	if (c->currency == NULL || strlen(c->currency) != 3 ||
	    strspn(c->currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
		config_key_error(&agent_spec, cli, errs, "currency",
		    "expected a three-letter ISO 4217 code such as USD, not "
		    "'%s'", c->currency != NULL ? c->currency : "");
}

/* Leave before the agent ran: free what the config took, return 'status'. */
static int
quit(struct agent_config *c, struct config_errors *errs, int status)
{
	config_free(&agent_spec, c);
	config_errors_free(errs);
	return status;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
	struct agent_config	 c = { 0 };
	struct config_cli	 cli = { 0 };
	struct config_errors	 errs = { 0 };
	struct journal		*journal = NULL;
	struct ingest		*ingest = NULL;
	struct ipc		*ipc = NULL;
	struct evhttp		*http = NULL;
	struct event_base	*base;
	struct event		*sigint, *sigterm;
	struct api_ctx		 api = { 0 };
	struct sender		*sender = NULL;
	struct keypair		*keys = NULL;
	uint8_t			*pepper;
	void			*zctx;
	char			 path[4096], err[512];
	int			 rc;

	log_init("agent", LOG_LEVEL_INFO);
	/* its errors and check_config's are all in errs */
	(void)config_load(&agent_spec, &c, argc, argv, &cli, &errs);
	if (cli.help) {
		usage();
		return quit(&c, &errs, 0);
	}
	if (cli.version) {
		printf("msosync-agent %s\n", MSOSYNC_VERSION);
		return quit(&c, &errs, 0);
	}
	check_config(&c, &cli, &errs);
	if (errs.n > 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		return quit(&c, &errs, 2);
	}
	if (cli.check) {
		printf("configuration ok\n");
		return quit(&c, &errs, 0);
	}
	if (c.debug)
		log_set_level(LOG_LEVEL_DEBUG);
	if (sodium_init() < 0)
		fatalx("libsodium failed to initialise");
	if (c.timezone && *c.timezone)
		setenv("TZ", c.timezone, 1);
	tzset();
	signal(SIGPIPE, SIG_IGN);

	if (mkdir(c.data_dir, 0700) != 0 && errno != EEXIST)
		fatal("%s", c.data_dir);
	if ((pepper = sodium_malloc(32)) == NULL)
		fatal("sodium_malloc");
	if (!c.pepper_file || !*c.pepper_file) {
		free(c.pepper_file);
		c.pepper_file = xasprintf("%s/pepper", c.data_dir);
	}
	if (keys_load_pepper(c.pepper_file, pepper, err, sizeof(err)) != 0)
		fatalx("%s", err);

	snprintf(path, sizeof(path), "%s/journal", c.data_dir);
	if ((rc = journal_open(path, (uint32_t)c.site_id,
	    (size_t)c.journal_max_mb << 20, &journal)) != 0)
		fatalx("journal %s: %s", path, msosync_strerror(rc));
	log_info("site %lld: journal %s head %llu acked %llu", c.site_id, path,
	    (unsigned long long)journal_head_seq(journal),
	    (unsigned long long)journal_acked_seq(journal));

	if ((base = event_base_new()) == NULL ||
	    event_base_priority_init(base, 2) != 0)
		fatalx("libevent: cannot make the event loop");
	if ((ingest = ingest_new(base, journal, (uint32_t)c.site_id,
	    pepper)) == NULL)
		fatal("ingest workers");

	if ((zctx = zmq_ctx_new()) == NULL)
		fatal("zmq_ctx_new");
	if (!c.ipc_endpoint || !*c.ipc_endpoint) {
		free(c.ipc_endpoint);
		c.ipc_endpoint = xasprintf("ipc://%s/ingest.sock", c.data_dir);
	}
	if ((rc = ipc_open(base, zctx, c.ipc_endpoint, ingest,
	    (size_t)c.http_max_body_mb << 20, &ipc)) != 0)
		fatalx("ipc %s: %s", c.ipc_endpoint, msosync_strerror(rc));

	if ((rc = httpd_open(base, c.http_listen,
	    (size_t)c.http_max_body_mb << 20, &http)) != 0)
		fatalx("http %s: %s", c.http_listen, msosync_strerror(rc));
	api.site_id = (uint32_t)c.site_id;
	api.journal = journal;
	api.ingest = ingest;
	api.hub_endpoint = c.hub_endpoint && *c.hub_endpoint ?
	    c.hub_endpoint : NULL;
	if (api.hub_endpoint != NULL) {
		struct sender_config	sc = { 0 };

		if (keys_load_secret(c.secret_key_file, &keys, err,
		    sizeof(err)) != 0)
			fatalx("%s", err);
		sc.site_id = (uint32_t)c.site_id;
		sc.hub_endpoint = c.hub_endpoint;
		sc.hub_public_key = c.hub_public_key;
		sc.keys = keys;
		sc.batch_max_events = (size_t)c.batch_max_events;
		sc.window = (size_t)c.window;
		sc.retention_days = (unsigned)c.retention_days;
		if ((sender = sender_new(base, zctx, journal, &sc)) == NULL)
			fatal("hub %s", c.hub_endpoint);
		ingest_on_commit(ingest, sender_kick, sender);
		api.link = sender_link;
		api.link_arg = sender;
	}
	api_start(http, &api);
	if (api.hub_endpoint == NULL)
		log_info("no hub_endpoint: journaling only, not replicating");

	sigint = evsignal_new(base, SIGINT, on_signal, base);
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	log_info("listening on http %s and %s", c.http_listen, c.ipc_endpoint);

	event_base_dispatch(base);

	rc = ingest_failed(ingest) || (sender && sender_failed(sender)) ? 1 : 0;
	event_free(sigint);
	event_free(sigterm);
	/* ingest first: it answers what is still queued through HTTP and ipc */
	if (sender != NULL)
		ingest_on_commit(ingest, NULL, NULL);
	ingest_free(&ingest);
	evhttp_free(http);
	ipc_close(&ipc);
	sender_free(&sender);
	keys_free(&keys);
	zmq_ctx_term(zctx);
	journal_close(&journal);
	event_base_free(base);
	sodium_free(pepper);
	config_free(&agent_spec, &c);
	if (rc)
		log_error("storage failure: exiting so the supervisor restarts "
		    "the agent on a consistent journal");
	return rc;
}
