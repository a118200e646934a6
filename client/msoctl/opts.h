/*
 * msoctl's option reader. Options may stand anywhere after the command,
 * as "--opt value" or "--opt=value"; everything else is a positional
 * argument. Each command declares which options it takes (and which are
 * flags without a value); anything else is a usage error.
 */
#ifndef MSOCTL_OPTS_H
#define MSOCTL_OPTS_H

#include <stddef.h>

#define OPTS_MAX	32
#define OPTS_POS_MAX	8

struct opts {
	const char	*name[OPTS_MAX];	/* option names without "--" */
	const char	*value[OPTS_MAX];	/* NULL for a flag */
	size_t		 n;
	const char	*pos[OPTS_POS_MAX];	/* positional arguments */
	size_t		 npos;
};

/*
 * Parse argv[0..argc) (the words after the command). 'takes' is a
 * space-separated list of accepted option names; a name ending in '!' is a
 * flag without a value ("help! format sites"). Returns 0, or -1 with a
 * message for the user in 'err'. The strings point into argv.
 */
int		 opts_parse(struct opts *o, int argc, char **argv,
		    const char *takes, char *err, size_t errlen);
/* The value of --name, or NULL when absent (a flag present gives ""). */
const char	*opts_get(const struct opts *o, const char *name);
/* --name as an integer in [min, max]; 'def' when absent. -1 + err if bad. */
int		 opts_get_ll(const struct opts *o, const char *name, long long def,
		    long long min, long long max, long long *out,
		    char *err, size_t errlen);

#endif
