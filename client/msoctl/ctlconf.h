/*
 * Where msoctl talks and as whom: the agent's URL, the hub's URL and the
 * hub's bearer token. Each comes from, weakest first: the built-in
 * default, the [msoctl] section of --config FILE, MSOSYNC_TOKEN (the
 * token only), and the --agent, --hub and --token flags. The file is read
 * by the daemons' own loader (config.h), so its errors read the same:
 * "file:line: message".
 */
#ifndef MSOCTL_CTLCONF_H
#define MSOCTL_CTLCONF_H

#include "opts.h"

#define AGENT_DEFAULT_URL	"http://127.0.0.1:7460"
#define HUB_DEFAULT_URL		"http://127.0.0.1:7471"

/*
 * The options of every command that talks HTTP, for opts_parse's 'takes'.
 * All four are taken by all such commands, whether or not the command
 * uses each, so that a script can pass the same ones to every command.
 */
#define CTLCONF_OPTS		"config agent hub token"

struct ctlconf {
	char	*agent;		/* never NULL after ctlconf_load */
	char	*hub;		/* never NULL after ctlconf_load */
	char	*token;		/* NULL: no Authorization header */
};

/*
 * Fill 'c' from o's --config, --agent, --hub and --token and the
 * environment. Returns 0, or EXIT_USAGE after printing every problem on
 * stderr, one a line, and leaving 'c' empty. Free with ctlconf_free.
 */
int	ctlconf_load(const struct opts *o, struct ctlconf *c);
/* Free what ctlconf_load stored in 'c'; NULL-safe, may be called twice. */
void	ctlconf_free(struct ctlconf *c);

#endif
