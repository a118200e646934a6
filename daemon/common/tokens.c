/*
 * API tokens: the file read into a small set of (name, hash) pairs, the
 * check of a presented bearer token against them, and the append that
 * msoctl token new uses. The hash is kept in binary so that a check is
 * one BLAKE2b of the presented token and a sodium_memcmp per entry, each
 * taking the same time whatever the bytes. Tokens are few (one per
 * person or integration), so the set is a plain array.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "msosync/error.h"
#include "fileio.h"
#include "tokens.h"
#include "xmalloc.h"

#define HASH_LEN	32
#define HEX_LEN		(2 * HASH_LEN)
#define LINE_MAX_LEN	1024	/* a valid line is under 140 bytes */

static const char blanks[] = " \t\r\v\f";

struct entry {
	char	*name;
	uint8_t	 hash[HASH_LEN];
	int	 line;
};

struct tokens {
	struct entry	*v;
	size_t		 n;
};

int
tokens_is_name(const char *name)
{
	size_t	len = strlen(name);

	return len >= 1 && len <= TOKENS_NAME_MAX && strspn(name,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") == len;
}

/* 64 hex digits, either case, into bin. */
static int
parse_hash(const char *hex, uint8_t bin[HASH_LEN])
{
	size_t	len = strlen(hex);

	if (len != HEX_LEN || strspn(hex, "0123456789abcdefABCDEF") != len)
		return -1;
	return sodium_hex2bin(bin, HASH_LEN, hex, len, NULL, NULL, NULL);
}

static const struct entry *
find_name(const struct tokens *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

static const struct entry *
find_hash(const struct tokens *t, const uint8_t hash[HASH_LEN])
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->v[i].hash, hash, HASH_LEN) == 0)
			return &t->v[i];
	return NULL;
}

/* Parse one line (its newline removed); errors go to errs. */
static void
parse_line(struct tokens *t, char *s, const char *path, int line,
    struct config_errors *errs)
{
	const struct entry	*dup;
	char			*name, *hash, *extra;
	uint8_t			 bin[HASH_LEN];

	s += strspn(s, blanks);
	if (*s == '\0' || *s == '#')
		return;
	name = s;
	s += strcspn(s, blanks);
	if (*s != '\0')
		*s++ = '\0';
	hash = s + strspn(s, blanks);
	s = hash + strcspn(hash, blanks);
	if (*s != '\0')
		*s++ = '\0';
	extra = s + strspn(s, blanks);
	if (*hash == '\0' || *extra != '\0') {
		config_error(errs, "%s:%d: expected 'NAME HASH'", path, line);
		return;
	}
	if (!tokens_is_name(name)) {
		config_error(errs, "%s:%d: bad token name '%.64s': expected 1 "
		    "to %d of A-Z a-z 0-9 _ . -", path, line, name,
		    TOKENS_NAME_MAX);
		return;
	}
	if (parse_hash(hash, bin) != 0) {
		config_error(errs, "%s:%d: token '%s': expected a hash of %d "
		    "hex digits", path, line, name, HEX_LEN);
		return;
	}
	if ((dup = find_name(t, name)) != NULL) {
		config_error(errs, "%s:%d: duplicate token name '%s' (first on "
		    "line %d)", path, line, name, dup->line);
		return;
	}
	if ((dup = find_hash(t, bin)) != NULL) {
		config_error(errs, "%s:%d: token '%s' has the same hash as "
		    "'%s' (line %d)", path, line, name, dup->name, dup->line);
		return;
	}
	t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
	t->v[t->n].name = xstrdup(name);
	memcpy(t->v[t->n].hash, bin, HASH_LEN);
	t->v[t->n].line = line;
	t->n++;
}

int
tokens_load(const char *path, struct tokens **out,
    struct config_errors *errs)
{
	struct tokens	*t;
	FILE		*fp;
	char		*buf = NULL;
	size_t		 bufsz = 0, nerr = errs->n;
	ssize_t		 n;
	int		 line = 0, rc = 0;

	*out = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		rc = -errno;
		config_error(errs, "%s: %s", path, strerror(-rc));
		return rc;
	}
	t = xcalloc(1, sizeof(*t));
	while ((n = getline(&buf, &bufsz, fp)) >= 0) {
		line++;
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		if (strlen(buf) != (size_t)n)
			config_error(errs, "%s:%d: NUL byte in line", path,
			    line);
		else if (n > LINE_MAX_LEN)
			config_error(errs, "%s:%d: line too long", path, line);
		else
			parse_line(t, buf, path, line, errs);
	}
	if (ferror(fp)) {
		rc = errno != 0 ? -errno : -EIO;
		config_error(errs, "%s: %s", path, strerror(-rc));
	} else if (errs->n != nerr)
		rc = MSOSYNC_ECONFIG;
	fclose(fp);
	free(buf);
	if (rc != 0)
		tokens_free(&t);
	*out = t;
	return rc;
}

void
tokens_free(struct tokens **tp)
{
	struct tokens	*t;

	if (tp == NULL || (t = *tp) == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	free(t);
	*tp = NULL;
}

size_t
tokens_count(const struct tokens *t)
{
	return t != NULL ? t->n : 0;
}

const char *
tokens_check(const struct tokens *t, const char *token)
{
	char		 hex[HEX_LEN + 1];
	uint8_t		 bin[HASH_LEN];
	const char	*name = NULL;

	if (t == NULL || token == NULL || *token == '\0')
		return NULL;
	keys_token_hash(token, hex);
	if (parse_hash(hex, bin) != 0)
		abort();	/* keys_token_hash writes 64 hex digits */
	/* No early exit: every entry costs the same compare. */
	for (size_t i = 0; i < t->n; i++)
		if (sodium_memcmp(t->v[i].hash, bin, HASH_LEN) == 0 &&
		    name == NULL)
			name = t->v[i].name;
	return name;
}

/* A file that lacks its last newline gets one before our line. */
static int
end_line(int fd)
{
	struct stat	st;
	char		c;

	if (fstat(fd, &st) != 0)
		return -errno;
	if (st.st_size == 0)
		return 0;
	if (pread(fd, &c, 1, st.st_size - 1) != 1)
		return errno != 0 ? -errno : -EIO;
	return c == '\n' ? 0 : fileio_write_all(fd, "\n", 1);
}

int
tokens_append(const char *path, const char *name, const char *hash_hex,
    char *err, size_t errlen)
{
	struct tokens		*t = NULL;
	struct config_errors	 errs = { NULL, 0 };
	const struct entry	*dup;
	uint8_t			 bin[HASH_LEN];
	char			*line = NULL, hex[HEX_LEN + 1];
	int			 fd = -1, rc;

	if (!tokens_is_name(name)) {
		snprintf(err, errlen, "bad token name '%.64s': expected 1 to "
		    "%d of A-Z a-z 0-9 _ . -", name, TOKENS_NAME_MAX);
		return MSOSYNC_EINVAL;
	}
	if (parse_hash(hash_hex, bin) != 0) {
		snprintf(err, errlen, "expected a hash of %d hex digits",
		    HEX_LEN);
		return MSOSYNC_EINVAL;
	}
	if ((fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto fail;
	}
	/* Held from the check for duplicates until our line is in. */
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			rc = -errno;
			snprintf(err, errlen, "%s: lock: %s", path,
			    strerror(-rc));
			goto fail;
		}
	if ((rc = tokens_load(path, &t, &errs)) != 0) {
		if (errs.n > 1)
			snprintf(err, errlen, "%s (and %zu more)",
			    errs.msg[0], errs.n - 1);
		else
			snprintf(err, errlen, "%s", errs.n == 1 ?
			    errs.msg[0] : msosync_strerror(rc));
		goto fail;
	}
	if ((dup = find_name(t, name)) != NULL) {
		rc = -EEXIST;
		snprintf(err, errlen, "%s:%d: a token named '%s' already "
		    "exists", path, dup->line, name);
		goto fail;
	}
	if ((dup = find_hash(t, bin)) != NULL) {
		rc = -EEXIST;
		snprintf(err, errlen, "%s:%d: token '%s' has this hash "
		    "already", path, dup->line, dup->name);
		goto fail;
	}
	sodium_bin2hex(hex, sizeof(hex), bin, HASH_LEN);	/* lower case */
	line = xasprintf("%s %s\n", name, hex);
	if ((rc = end_line(fd)) == 0 &&
	    (rc = fileio_write_all(fd, line, strlen(line))) == 0 &&
	    (rc = fsync(fd) != 0 ? -errno : 0) == 0)
		rc = fileio_sync_dir(path);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto fail;
	}
	tokens_free(&t);
	config_errors_free(&errs);
	free(line);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	tokens_free(&t);
	config_errors_free(&errs);
	free(line);
	return rc;
}
