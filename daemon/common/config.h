/*
 * The one configuration loader. A role describes its keys in a table; the
 * loader fills the role's struct from defaults, then the INI file
 * (--config FILE), then flags (--key=value or --key value, '_' written
 * '-'): a flag beats the file. Every problem is collected, not just the
 * first, as "file:line: message" (or "--flag: message", or
 * "file: missing required key 'x'"), so -n/--check can list them all;
 * the loader remembers where each key came from, so that a role's own
 * checks (addresses, key files, ...) report in the same form.
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

/* A role's spec has at most this many keys (config_load asserts it). */
#define CONFIG_KEYS_MAX	32

/*
 * What the loader takes from argv besides the keys, and where each key of
 * the spec (by its index) got its value, so that a role's own checks can
 * report at the right place (config_key_error).
 */
struct config_cli {
	const char	*config_file;	/* --config FILE; points into argv */
	bool		 check;		/* -n / --check */
	bool		 help;		/* --help */
	bool		 version;	/* --version */
	int		 line[CONFIG_KEYS_MAX];	/* in config_file; 0: not there */
	bool		 by_flag[CONFIG_KEYS_MAX]; /* a flag, which beats the file */
};

/*
 * Fill 'out' (a struct described by 'spec') from defaults, the file named
 * by --config, and flags in argv[1..argc). Unknown flags, unknown keys or
 * sections in the file, bad values and missing required keys are errors.
 * Returns 0, or MSOSYNC_ECONFIG with every problem in 'errs' (free with
 * config_errors_free). Either way 'out' holds what could be read (a bad
 * value leaves its key at the default), so that the role can still run
 * its own checks and report them with these: free it with config_free.
 * When cli->help or cli->version is set, returns 0 without checking
 * required keys. 'cli' may be NULL.
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

/*
 * Add an error about key 'key' of 'spec' (a role's own check, after
 * config_load filled 'cli'), placed where the key's value came from:
 * "--key-name: message" for a flag, "file:line: key: message" for the
 * file, "key: message" for the default.
 */
void	config_key_error(const struct config_spec *spec,
	    const struct config_cli *cli, struct config_errors *errs,
	    const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/*
 * Syntax checks for address keys, for a role's own checks. Each looks at
 * the text only (NULL counts as empty) and returns 0, or -1 with a
 * message in err. A value that passes may still fail to bind or connect:
 * that is a runtime failure, not a configuration error.
 *
 * config_check_http_listen: "HOST:PORT" as httpd_open takes it: HOST an
 * IPv4 address, an [IPv6] address or a host name; PORT 1 to 65535.
 * config_check_zmq_tcp: "tcp://HOST:PORT", PORT 1 to 65535. For a bind,
 * HOST is an IPv4 address, '*' or an existing network interface (libzmq
 * resolves no host names when binding); for a connect, an IPv4 address or
 * a host name. No IPv6: our ZeroMQ sockets do not set ZMQ_IPV6.
 * config_check_zmq_ipc: "ipc://PATH", PATH short enough for a Unix socket.
 */
int	config_check_http_listen(const char *s, char *err, size_t errlen);
int	config_check_zmq_tcp(const char *s, bool bind, char *err,
	    size_t errlen);
int	config_check_zmq_ipc(const char *s, char *err, size_t errlen);

/* Add a formatted error. */
void	config_error(struct config_errors *errs, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	config_errors_free(struct config_errors *errs);

#endif
