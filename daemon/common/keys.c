/*
 * Key and secret files: CURVE key pairs in Z85 (made and read with
 * libzmq), API tokens and the agent's pepper (libsodium). Every secret we
 * hold in memory sits in sodium_malloc'd pages or the caller's protected
 * buffer and is wiped on every exit path. Files holding secrets are made
 * with O_EXCL and mode 0600 set by fchmod, so neither an old file nor the
 * umask decides who can read them; a secret file that others can read is
 * refused rather than repaired, because the secret may already be out.
 * Any thread may call these; they share no state.
 */
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "fileio.h"
#include "keys.h"
#include "msosync/error.h"
#include "xmalloc.h"

static const char z85_chars[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ".-:+=^!/*?&<>()[]{}@%$#";

void
keys_sodium_ready(void)
{
	static atomic_int	ready;

	/* sodium_init takes a global lock on every call: only the first */
	if (atomic_load_explicit(&ready, memory_order_acquire))
		return;
	if (sodium_init() < 0) {
		fprintf(stderr, "fatal: libsodium cannot initialise\n");
		abort();
	}
	atomic_store_explicit(&ready, 1, memory_order_release);
}

static int
is_z85(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(z85_chars, s[i]) == NULL)
			return 0;
	return 1;
}

/*
 * Create 'path' (which must not exist) with exactly 'mode' and contents
 * buf, durably. On failure nothing is left behind.
 */
static int
create_file(const char *path, mode_t mode, const void *buf, size_t len,
    char *err, size_t errlen)
{
	int	fd, rc;

	if ((fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
	    mode)) < 0) {
		rc = -errno;
		if (rc == -EEXIST)
			snprintf(err, errlen, "%s: already exists; refusing to "
			    "overwrite it", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fchmod(fd, mode) != 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = fileio_write_all(fd, buf, len)) != 0)
		goto fail;
	if (fsync(fd) != 0) {
		rc = -errno;
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = -errno;
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	if (fd >= 0)
		close(fd);
	unlink(path);
	return rc;
}

int
keys_generate(const char *path, char *err, size_t errlen)
{
	char	 pub[KEYS_Z85_LEN + 2];
	char	*sec = NULL;
	char	*pubpath = NULL, *secpath = NULL;
	int	 rc, made_sec = 0;

	keys_sodium_ready();
	pubpath = xasprintf("%s.pub", path);
	secpath = xasprintf("%s.key", path);
	/* Refuse before writing anything, so a refusal changes nothing. */
	if (access(pubpath, F_OK) == 0 || access(secpath, F_OK) == 0) {
		snprintf(err, errlen, "%s: already exists; refusing to "
		    "overwrite it", access(secpath, F_OK) == 0 ? secpath :
		    pubpath);
		rc = -EEXIST;
		goto fail;
	}
	if ((sec = sodium_malloc(KEYS_Z85_LEN + 2)) == NULL) {
		fprintf(stderr, "fatal: out of memory\n");
		abort();
	}
	if (zmq_curve_keypair(pub, sec) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot make a CURVE key pair: %s",
		    zmq_strerror(errno));
		goto fail;
	}
	pub[KEYS_Z85_LEN] = '\n';
	sec[KEYS_Z85_LEN] = '\n';
	if ((rc = create_file(secpath, 0600, sec, KEYS_Z85_LEN + 1, err,
	    errlen)) != 0)
		goto fail;
	made_sec = 1;
	if ((rc = create_file(pubpath, 0644, pub, KEYS_Z85_LEN + 1, err,
	    errlen)) != 0)
		goto fail;
	if ((rc = fileio_sync_dir(secpath)) != 0) {
		snprintf(err, errlen, "%s: directory sync: %s", secpath,
		    strerror(-rc));
		unlink(pubpath);
		goto fail;
	}
	sodium_free(sec);
	free(pubpath);
	free(secpath);
	return 0;
fail:
	if (made_sec)
		unlink(secpath);
	sodium_free(sec);	/* wipes; NULL-safe */
	free(pubpath);
	free(secpath);
	return rc;
}

int
keys_load_secret(const char *path, struct keypair **out, char *err,
    size_t errlen)
{
	struct keypair	*kp = NULL;
	struct stat	 st;
	char		*buf = NULL;
	ssize_t		 n;
	int		 fd = -1, rc;

	keys_sodium_ready();
	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = MSOSYNC_EINVAL;
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if ((st.st_mode & 077) != 0) {
		rc = MSOSYNC_ECONFIG;
		snprintf(err, errlen, "%s: secret key file must not be "
		    "readable by group or others (mode %04o); chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	/* Room for one byte more than a valid file, to see it is longer. */
	if ((buf = sodium_malloc(KEYS_Z85_LEN + 3)) == NULL) {
		fprintf(stderr, "fatal: out of memory\n");
		abort();
	}
	if ((n = fileio_read_all(fd, buf, KEYS_Z85_LEN + 2)) < 0) {
		rc = (int)n;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto fail;
	}
	if ((n != KEYS_Z85_LEN &&
	    !(n == KEYS_Z85_LEN + 1 && buf[KEYS_Z85_LEN] == '\n')) ||
	    !is_z85(buf, KEYS_Z85_LEN)) {
		rc = MSOSYNC_EINVAL;
		snprintf(err, errlen, "%s: not a Z85 secret key (expected %d "
		    "Z85 characters and a newline)", path, KEYS_Z85_LEN);
		goto fail;
	}
	buf[KEYS_Z85_LEN] = '\0';
	kp = xcalloc(1, sizeof(*kp));
	if ((kp->secret_z85 = sodium_malloc(KEYS_Z85_LEN + 1)) == NULL) {
		fprintf(stderr, "fatal: out of memory\n");
		abort();
	}
	memcpy(kp->secret_z85, buf, KEYS_Z85_LEN + 1);
	if (zmq_curve_public(kp->public_z85, kp->secret_z85) != 0) {
		rc = MSOSYNC_EINVAL;
		snprintf(err, errlen, "%s: not a Z85 secret key", path);
		goto fail;
	}
	close(fd);
	sodium_free(buf);
	*out = kp;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	sodium_free(buf);
	keys_free(&kp);
	return rc;
}

void
keys_free(struct keypair **kp)
{
	if (kp == NULL || *kp == NULL)
		return;
	sodium_free((*kp)->secret_z85);
	sodium_memzero(*kp, sizeof(**kp));
	free(*kp);
	*kp = NULL;
}

int
keys_decode_public(const char *z85, uint8_t out[32])
{
	if (z85 == NULL || strlen(z85) != KEYS_Z85_LEN ||
	    !is_z85(z85, KEYS_Z85_LEN) || zmq_z85_decode(out, z85) == NULL)
		return MSOSYNC_EINVAL;
	return 0;
}

int
keys_is_public_z85(const char *s)
{
	uint8_t	key[32];

	return keys_decode_public(s, key) == 0;
}

void
keys_token_new(char *tok)
{
	uint8_t	raw[32];

	keys_sodium_ready();
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(tok, sodium_base64_ENCODED_LEN(sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING), raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

void
keys_token_hash(const char *tok, char *hex)
{
	uint8_t	h[32];

	keys_sodium_ready();
	crypto_generichash(h, sizeof(h), (const unsigned char *)tok,
	    strlen(tok), NULL, 0);
	sodium_bin2hex(hex, 2 * sizeof(h) + 1, h, sizeof(h));
}

static int
make_pepper(const char *path, uint8_t out[32], char *err, size_t errlen)
{
	int	rc;

	randombytes_buf(out, 32);
	if ((rc = create_file(path, 0600, out, 32, err, errlen)) != 0)
		return rc;
	if ((rc = fileio_sync_dir(path)) != 0) {
		snprintf(err, errlen, "%s: directory sync: %s", path,
		    strerror(-rc));
		unlink(path);
	}
	return rc;
}

int
keys_load_pepper(const char *path, uint8_t out[32], char *err,
    size_t errlen)
{
	struct stat	st;
	uint8_t		extra;
	ssize_t		n;
	int		fd, rc;

	keys_sodium_ready();
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno != ENOENT) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			goto fail;
		}
		if ((rc = make_pepper(path, out, err, errlen)) != 0)
			goto fail;
		return 0;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = MSOSYNC_EINVAL;
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if ((st.st_mode & 077) != 0) {
		rc = MSOSYNC_ECONFIG;
		snprintf(err, errlen, "%s: pepper file must not be readable "
		    "by group or others (mode %04o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_size != 32) {
		rc = MSOSYNC_EINVAL;
		snprintf(err, errlen, "%s: a pepper file holds exactly 32 "
		    "bytes, not %lld", path, (long long)st.st_size);
		goto fail;
	}
	/* What read() sees decides: the file may have changed since fstat. */
	if ((n = fileio_read_all(fd, out, 32)) == 32)
		n = fileio_read_all(fd, &extra, 1) == 0 ? 0 : 1;
	if (n < 0) {
		rc = (int)n;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto fail;
	}
	if (n != 0) {
		rc = MSOSYNC_EINVAL;
		snprintf(err, errlen, "%s: changed size while being read",
		    path);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	sodium_memzero(out, 32);
	return rc;
}
