/*
 * msoctl keygen PATH: a CURVE key pair for a site or the hub.
 */
#include <stdio.h>

#include "cmds.h"
#include "keys.h"
#include "msosync/error.h"
#include "opts.h"

int
cmd_keygen(int argc, char **argv)
{
	struct opts	o;
	char		err[256];
	int		bad, rc;

	bad = opts_parse(&o, argc, argv, "", err, sizeof(err)) != 0;
	if (bad || o.npos != 1) {
		fprintf(stderr, "msoctl keygen: %s\nusage: msoctl keygen PATH\n",
		    bad ? err : "expected one PATH");
		return EXIT_USAGE;
	}
	if ((rc = keys_generate(o.pos[0], err, sizeof(err))) != 0) {
		fprintf(stderr, "msoctl keygen: %s\n", err);
		return 1;
	}
	printf("%s.pub\n%s.key\n", o.pos[0], o.pos[0]);
	return 0;
}
