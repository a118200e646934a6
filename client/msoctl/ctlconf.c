/*
 * msoctl's configuration; see ctlconf.h. The loader already puts a flag
 * over the file, so the work here is to hand it msoctl's flags, with
 * MSOSYNC_TOKEN standing in for a --token that was not given: the
 * environment then beats the file and loses to the flag.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmds.h"
#include "config.h"
#include "ctlconf.h"
#include "xmalloc.h"

#define KEY(name, def, help) \
	{ #name, CONFIG_STRING, offsetof(struct ctlconf, name), def, false, \
	    0, 0, help }
static const struct config_key ctl_keys[] = {
	KEY(agent, AGENT_DEFAULT_URL, "the agent's HTTP API"),
	KEY(hub, HUB_DEFAULT_URL, "the hub's HTTP API"),
	KEY(token, NULL, "bearer token for the hub"),
};
#undef KEY

static const struct config_spec ctl_spec = {
	"msoctl", ctl_keys, sizeof(ctl_keys) / sizeof(ctl_keys[0])
};

int
ctlconf_load(const struct opts *o, struct ctlconf *c)
{
	static const char *const flags[] = { "config", "agent", "hub",
	    "token" };
	struct config_errors	 errs = { 0 };
	char			*argv[1 + 4];
	const char		*v;
	int			 argc = 0, rc;

	/* "--name=value": the loader would take a value that starts with
	 * "--" as a missing one. */
	argv[argc++] = xstrdup("msoctl");
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if ((v = opts_get(o, flags[i])) != NULL)
			argv[argc++] = xasprintf("--%s=%s", flags[i], v);
	if (opts_get(o, "token") == NULL &&
	    (v = getenv("MSOSYNC_TOKEN")) != NULL && *v != '\0')
		argv[argc++] = xasprintf("--token=%s", v);
	rc = config_load(&ctl_spec, c, argc, argv, NULL, &errs);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	if (rc != 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		config_errors_free(&errs);
		config_free(&ctl_spec, c);	/* what could be read */
		return EXIT_USAGE;
	}
	/* An empty value ("--hub=", "hub =") unsets a key: the default. */
	if (c->agent == NULL)
		c->agent = xstrdup(AGENT_DEFAULT_URL);
	if (c->hub == NULL)
		c->hub = xstrdup(HUB_DEFAULT_URL);
	return 0;
}

void
ctlconf_free(struct ctlconf *c)
{
	config_free(&ctl_spec, c);
}
