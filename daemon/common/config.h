/*
 * The one configuration loader. A role describes its keys in a table; the
 * loader fills the role's struct from defaults, then the INI file
 * (--config FILE), then flags (--key=value or --key value, '_' written
 * '-'): a flag beats the file. Every problem is collected, not just the
 * first, as "file:line: message" (or "--flag: message", or
 * "file: missing required key 'x'"), so -n/--check can list them all.
 * The INI reader is inih; repeated sections ("[site 7]") are read with
 * config_read_ini and typed with config_set_value.
 */
#ifndef MSOSYNC_CONFIG_H
#define MSOSYNC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum config_type {
	CONFIG_STRING,		/* char *, xstrdup'd; freed by config_free */
	CONFIG_INT,		/* long long, within [min, max] */
	CONFIG_BOOL,		/* bool, "true" or "false" only */
};

struct config_key {
	const char		*name;		/* INI key, snake_case */
	enum config_type	 type;
	size_t			 offset;	/* of the field in the role's struct */
	const char		*def;		/* default as text; NULL: none */
	bool			 required;
	long long		 min, max;	/* CONFIG_INT only */
	const char		*help;		/* one line for --help */
};

struct config_spec {
	const char		*section;	/* "agent", "hub" */
	const struct config_key	*keys;
	size_t			 nkeys;
};

struct config_errors {
	char	**msg;		/* each "file:line: message" */
	size_t	  n;
};

/* What the loader takes from argv besides the keys. */
struct config_cli {
	const char	*config_file;	/* --config FILE; points into argv */
	bool		 check;		/* -n / --check */
	bool		 help;		/* --help */
	bool		 version;	/* --version */
};

/*
 * Fill 'out' (a struct described by 'spec') from defaults, the file named
 * by --config, and flags in argv[1..argc). Unknown flags, unknown keys or
 * sections in the file, bad values and missing required keys are errors.
 * Returns 0, or MSOSYNC_ECONFIG with every problem in 'errs' (free with
 * config_errors_free). When cli->help or cli->version is set, returns 0
 * without checking required keys.
 */
int	config_load(const struct config_spec *spec, void *out, int argc,
	    char **argv, struct config_cli *cli, struct config_errors *errs);

/* Free the strings that config_load stored in 'out'. */
void	config_free(const struct config_spec *spec, void *out);

/* Print the keys of 'spec' as flags with their help and defaults. */
void	config_usage(const struct config_spec *spec, FILE *f);

/*
 * Read any INI file, calling fn for every key = value with its section
 * and line number. fn returns 0, or nonzero after adding an error.
 * Returns 0, or MSOSYNC_ECONFIG / -errno (file unreadable) with the
 * problems in errs.
 */
typedef int (*config_ini_fn)(void *arg, const char *section,
    const char *key, const char *value, int line);
int	config_read_ini(const char *path, config_ini_fn fn, void *arg,
	    struct config_errors *errs);

/*
 * Convert 'value' as key 'k' describes and store it in 'out'.
 * Returns 0, or -1 with a message (without the file:line) in err.
 */
int	config_set_value(const struct config_key *k, void *out,
	    const char *value, char *err, size_t errlen);

/* Add a formatted error. */
void	config_error(struct config_errors *errs, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	config_errors_free(struct config_errors *errs);

#endif
