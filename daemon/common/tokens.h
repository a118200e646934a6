/*
 * The hub's API tokens file: one "NAME HASH" a line, HASH the hex
 * BLAKE2b-256 of the token (keys_token_hash), '#' comments and blank lines
 * allowed. Only hashes are stored, so the file grants nothing if read; the
 * token itself is shown once, by msoctl token new. The hub reloads the
 * file on SIGHUP, keeping the old set when the new file has errors.
 * The loaded set is immutable; loop thread only.
 */
#ifndef MSOSYNC_TOKENS_H
#define MSOSYNC_TOKENS_H

#include <stddef.h>

#include "config.h"

#define TOKENS_NAME_MAX	64

struct tokens;

/*
 * Read the tokens file 'path'. Every problem is added to errs (zeroed by
 * the caller, freed with config_errors_free) as "file:line: message".
 * A file with no tokens is valid (every request is then refused).
 * On success *out is the caller's (tokens_free); on error it is NULL.
 * Returns 0, MSOSYNC_ECONFIG or -errno (unreadable).
 */
int	tokens_load(const char *path, struct tokens **out,
	    struct config_errors *errs) __attribute__((warn_unused_result));

/* NULL-safe; sets *t = NULL. */
void	tokens_free(struct tokens **t);

size_t	tokens_count(const struct tokens *t);

/*
 * The NAME of the token 'token' presented by a client, or NULL when no
 * entry matches (or t or token is NULL). Every entry is compared in
 * constant time, so the time taken does not say which, if any, matched.
 * The name is valid as long as 't'.
 */
const char	*tokens_check(const struct tokens *t, const char *token);

/* Is 'name' a valid token name: 1 to 64 of A-Z a-z 0-9 _ . - ? */
int		 tokens_is_name(const char *name);

/*
 * Append "NAME HASH" to the file 'path', creating it with mode 0600 when
 * absent, durably, under an exclusive flock so that two appends cannot
 * interleave. Refuses a bad name or hash, a name already in the file, and
 * a file that does not load without errors.
 * Returns 0, or MSOSYNC_EINVAL / MSOSYNC_ECONFIG / -errno with a message
 * in err.
 */
int	tokens_append(const char *path, const char *name, const char *hash_hex,
	    char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
