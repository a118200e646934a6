/*
 * msoctl: the operator's and integrator's command line. A table of
 * commands; each lives in its own file (cmd_*.c, simulate.c).
 */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "ctlconf.h"

#ifndef MSOSYNC_VERSION
#define MSOSYNC_VERSION "0"
#endif

/* The options of every command that talks HTTP (ctlconf.h). */
static const char conn_usage[] =
    "Every command that talks to an agent or the hub (submit, status, sites,\n"
    "verify, site, report, contracts) takes all of these, using those it needs:\n"
    "  --agent URL    the agent (default " AGENT_DEFAULT_URL ")\n"
    "  --hub URL      the hub (default " HUB_DEFAULT_URL ")\n"
    "  --token T      the hub's bearer token (or MSOSYNC_TOKEN)\n"
    "  --config FILE  an INI file whose [msoctl] section may set agent, hub\n"
    "                 and token\n"
    "A flag beats MSOSYNC_TOKEN (the token only), which beats the file.\n";

static const struct command {
	const char	*name;
	int		(*fn)(int, char **);
	int		 http;		/* takes conn_usage's options */
	const char	*usage;
} commands[] = {
	{ "keygen", cmd_keygen, 0,
	  "keygen PATH                  write PATH.key (secret, 0600) and PATH.pub" },
	{ "token", cmd_token, 0,
	  "token new NAME --tokens-file FILE\n"
	  "                               append NAME HASH; print the token once" },
	{ "sites", cmd_sites, 1,
	  "sites [--hub URL] [--token T] [--format table|csv|json]\n"
	  "                               hub: every site, state, hwm, lag, alerts" },
	{ "verify", cmd_verify, 1,
	  "verify [--hub URL] [--token T] hub: recheck every stored chain" },
	{ "site", cmd_site, 1,
	  "site resume ID --reason TEXT  after a chain alert: accept the site's chain\n"
	  "                               from here on; the decision is logged" },
	{ "report", cmd_report, 1,
	  "report kpis|financials|vendors|compliance --from DATE --to DATE\n"
	  "         [--site ID] [--by day|month|site|franchise] [--format table|csv|json]\n"
	  "                               hub: KPIs and breakdowns over a date range\n"
	  "  report fees --period YYYY-MM [--site ID] [--format table|csv|json]\n"
	  "                               hub: the MSO's fee per site for a month" },
	{ "contracts", cmd_contracts, 1,
	  "contracts [--expiring-within DAYS] [--format table|csv|json]\n"
	  "                               hub: vendor contracts in their latest state" },
	{ "simulate", cmd_simulate, 0,
	  "simulate [--sites N] [--days D] [--rate EVENTS_PER_DAY] [--seed S]\n"
	  "         [--end YYYY-MM-DD] [--out DIR]\n"
	  "                               realistic NDJSON on stdout, or DIR/site-<i>.ndjson" },
	{ "submit", cmd_submit, 1,
	  "submit FILE|- [--agent URL] [--chunk LINES]\n"
	  "                               NDJSON events to an agent; prints accepted/duplicate/errors" },
	{ "status", cmd_status, 1,
	  "status [--agent URL] [--format table|json]\n"
	  "                               agent: head, acked, backlog, lag, hub link" },
	{ "validate", cmd_validate, 0,
	  "validate FILE|-              parse and validate NDJSON events; print a summary" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: msoctl COMMAND [ARGS] [--OPTION VALUE ...]\n"
	    "       msoctl COMMAND --help\n"
	    "       msoctl --help | --version\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\nOptions may stand anywhere after the command, as --opt value "
	    "or --opt=value.\n%s"
	    "Exit codes: 0 ok, 1 failure, 2 usage error.\n", conn_usage);
}

static void
command_usage(const struct command *c)
{
	printf("usage: msoctl %s\n", c->usage);
	if (c->http)
		printf("\n%s", conn_usage);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("msoctl %s\n", MSOSYNC_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		/* Help wins wherever it stands, before a command can object
		 * to missing arguments; even as an option's value, since
		 * "--reason --help" is far likelier a slip than a reason. */
		for (int j = 2; j < argc; j++)
			if (strcmp(argv[j], "--help") == 0 ||
			    strcmp(argv[j], "-h") == 0) {
				command_usage(&commands[i]);
				return 0;
			}
		return commands[i].fn(argc - 2, argv + 2);
	}
	fprintf(stderr, "msoctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
