/*
 * Tests for keys.c: key pair files and their modes, loading a secret key
 * and refusing unsafe or malformed ones, Z85 public keys, tokens (the hash
 * checked against Python's hashlib.blake2b) and the pepper file. Each case
 * works in its own mkdtemp directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "keys.h"
#include "msosync/error.h"

struct fixture {
	char	dir[64];
	char	path[128];	/* DIR/site, the keygen PATH */
	char	err[512];
};

static int
setup(void **state)
{
	struct fixture	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	strcpy(fx->dir, "/tmp/msosync-keys-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/site", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*fx = *state;
	struct dirent	*de;
	char		 p[512];
	DIR		*d;

	if ((d = opendir(fx->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", fx->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int	fd;

	unlink(path);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* Read a whole small file; returns its length. */
static size_t
read_file(const char *path, char *buf, size_t max)
{
	FILE	*f = fopen(path, "rb");
	size_t	 n;

	assert_non_null(f);
	n = fread(buf, 1, max, f);
	fclose(f);
	return n;
}

static mode_t
file_mode(const char *path)
{
	struct stat	st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
test_generate_files(void **state)
{
	struct fixture	*fx = *state;
	char		 p[256], buf[128];
	mode_t		 old;

	/* A umask that would hide the public key and one that would expose
	 * the secret: the files' modes must not depend on it. */
	old = umask(0077);
	assert_int_equal(keys_generate(fx->path, fx->err, sizeof(fx->err)), 0);
	umask(old);

	snprintf(p, sizeof(p), "%s.pub", fx->path);
	assert_int_equal(read_file(p, buf, sizeof(buf)), 41);
	assert_int_equal(buf[40], '\n');
	buf[40] = '\0';
	assert_true(keys_is_public_z85(buf));
	assert_int_equal(file_mode(p), 0644);

	snprintf(p, sizeof(p), "%s.key", fx->path);
	assert_int_equal(read_file(p, buf, sizeof(buf)), 41);
	assert_int_equal(buf[40], '\n');
	assert_int_equal(file_mode(p), 0600);

	old = umask(0);
	snprintf(p, sizeof(p), "%s/other", fx->dir);
	assert_int_equal(keys_generate(p, fx->err, sizeof(fx->err)), 0);
	umask(old);
	snprintf(p, sizeof(p), "%s/other.key", fx->dir);
	assert_int_equal(file_mode(p), 0600);
}

static void
test_load_derives_public(void **state)
{
	struct fixture	*fx = *state;
	struct keypair	*kp = NULL;
	char		 p[256], pub[128];

	assert_int_equal(keys_generate(fx->path, fx->err, sizeof(fx->err)), 0);
	snprintf(p, sizeof(p), "%s.pub", fx->path);
	assert_int_equal(read_file(p, pub, sizeof(pub)), 41);
	pub[40] = '\0';

	snprintf(p, sizeof(p), "%s.key", fx->path);
	assert_int_equal(keys_load_secret(p, &kp, fx->err, sizeof(fx->err)), 0);
	assert_non_null(kp);
	assert_string_equal(kp->public_z85, pub);
	assert_int_equal(strlen(kp->secret_z85), 40);
	assert_string_not_equal(kp->secret_z85, pub);
	keys_free(&kp);
	assert_null(kp);
	keys_free(&kp);		/* NULL-safe */
}

static void
test_refuse_overwrite(void **state)
{
	struct fixture	*fx = *state;
	char		 p[256], want[512], before[64], after[64];

	assert_int_equal(keys_generate(fx->path, fx->err, sizeof(fx->err)), 0);
	snprintf(p, sizeof(p), "%s.key", fx->path);
	assert_int_equal(read_file(p, before, sizeof(before)), 41);

	assert_int_equal(keys_generate(fx->path, fx->err, sizeof(fx->err)),
	    -EEXIST);
	snprintf(want, sizeof(want), "%s.key: already exists; refusing to "
	    "overwrite it", fx->path);
	assert_string_equal(fx->err, want);
	assert_int_equal(read_file(p, after, sizeof(after)), 41);
	assert_memory_equal(before, after, 41);

	/* Only the public half present: still refused, and no secret made. */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(keys_generate(fx->path, fx->err, sizeof(fx->err)),
	    -EEXIST);
	snprintf(want, sizeof(want), "%s.pub: already exists; refusing to "
	    "overwrite it", fx->path);
	assert_string_equal(fx->err, want);
	assert_int_equal(access(p, F_OK), -1);
}

static void
test_refuse_readable_secret(void **state)
{
	struct fixture	*fx = *state;
	struct keypair	*kp = NULL;
	char		 p[256], want[512];

	assert_int_equal(keys_generate(fx->path, fx->err, sizeof(fx->err)), 0);
	snprintf(p, sizeof(p), "%s.key", fx->path);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(keys_load_secret(p, &kp, fx->err, sizeof(fx->err)),
	    MSOSYNC_ECONFIG);
	assert_null(kp);
	snprintf(want, sizeof(want), "%s: secret key file must not be "
	    "readable by group or others (mode 0644); chmod 600 it", p);
	assert_string_equal(fx->err, want);

	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(keys_load_secret(p, &kp, fx->err, sizeof(fx->err)),
	    MSOSYNC_ECONFIG);
	assert_int_equal(chmod(p, 0400), 0);
	assert_int_equal(keys_load_secret(p, &kp, fx->err, sizeof(fx->err)), 0);
	keys_free(&kp);
}

static void
test_refuse_malformed_secret(void **state)
{
	struct fixture	*fx = *state;
	struct keypair	*kp = NULL;
	char		 p[256], key[64], want[512];
	static const char *const bad[] = {
		"",
		"\n",
		"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh\n",	/* 39 */
		"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6W\n",	/* 41 */
		"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh~\n",	/* '~' */
		"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\n\n",
		"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6 ",
		"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\r\n",
	};

	snprintf(p, sizeof(p), "%s/bad.key", fx->dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(p, bad[i], strlen(bad[i]), 0600);
		assert_int_equal(keys_load_secret(p, &kp, fx->err,
		    sizeof(fx->err)), MSOSYNC_EINVAL);
		assert_null(kp);
		snprintf(want, sizeof(want), "%s: not a Z85 secret key "
		    "(expected 40 Z85 characters and a newline)", p);
		assert_string_equal(fx->err, want);
	}

	/* The trailing newline is optional. */
	strcpy(key, "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6");
	write_file(p, key, 40, 0600);
	assert_int_equal(keys_load_secret(p, &kp, fx->err, sizeof(fx->err)), 0);
	assert_string_equal(kp->secret_z85, key);
	keys_free(&kp);

	snprintf(p, sizeof(p), "%s/absent.key", fx->dir);
	assert_int_equal(keys_load_secret(p, &kp, fx->err, sizeof(fx->err)),
	    -ENOENT);
	assert_null(kp);
}

/* The CurveZMQ test vector of RFC 26: a known secret and its public key. */
static void
test_known_pair(void **state)
{
	struct fixture	*fx = *state;
	struct keypair	*kp = NULL;
	char		 p[256];
	const char	*sec = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\n";

	snprintf(p, sizeof(p), "%s/server.key", fx->dir);
	write_file(p, sec, strlen(sec), 0600);
	assert_int_equal(keys_load_secret(p, &kp, fx->err, sizeof(fx->err)), 0);
	assert_string_equal(kp->public_z85,
	    "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
	keys_free(&kp);
}

static void
test_public_z85(void **state)
{
	uint8_t	out[32];
	static const uint8_t hello[8] = {
		0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b,
	};

	(void)state;
	assert_true(keys_is_public_z85(
	    "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"));
	assert_false(keys_is_public_z85(
	    "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf"));
	assert_false(keys_is_public_z85(
	    "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf77"));
	assert_false(keys_is_public_z85(
	    "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf,"));
	assert_false(keys_is_public_z85(
	    "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf\n"));
	assert_false(keys_is_public_z85(""));
	assert_false(keys_is_public_z85(NULL));

	/* ZMQ RFC 32's "HelloWorld", four times over. */
	assert_int_equal(keys_decode_public(
	    "HelloWorldHelloWorldHelloWorldHelloWorld", out), 0);
	for (int i = 0; i < 4; i++)
		assert_memory_equal(out + 8 * i, hello, sizeof(hello));
	assert_int_equal(keys_decode_public("HelloWorld", out), MSOSYNC_EINVAL);
}

static void
test_token_new(void **state)
{
	char	a[64], b[64];

	(void)state;
	memset(a, 'x', sizeof(a));
	keys_token_new(a);
	keys_token_new(b);
	assert_int_equal(strlen(a), 43);
	assert_int_equal(strlen(b), 43);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	assert_string_not_equal(a, b);
}

static void
test_token_hash(void **state)
{
	char	hex[65];

	(void)state;
	/* python3: hashlib.blake2b(t.encode(), digest_size=32).hexdigest() */
	keys_token_hash("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde", hex);
	assert_string_equal(hex,
	    "266664388cfcc73448ff2fe610a7a8c81a01cca93fd99dc4f1b367a31cd62852");
	keys_token_hash("", hex);
	assert_string_equal(hex,
	    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

static void
test_pepper(void **state)
{
	struct fixture	*fx = *state;
	uint8_t		 a[32], b[32], zero[32];
	char		 p[256], buf[64], want[512];
	mode_t		 old;

	memset(zero, 0, sizeof(zero));
	snprintf(p, sizeof(p), "%s/pepper", fx->dir);
	old = umask(0);
	assert_int_equal(keys_load_pepper(p, a, fx->err, sizeof(fx->err)), 0);
	umask(old);
	assert_int_equal(file_mode(p), 0600);
	assert_int_equal(read_file(p, buf, sizeof(buf)), 32);
	assert_memory_equal(buf, a, 32);
	assert_memory_not_equal(a, zero, 32);

	assert_int_equal(keys_load_pepper(p, b, fx->err, sizeof(fx->err)), 0);
	assert_memory_equal(a, b, 32);

	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(keys_load_pepper(p, b, fx->err, sizeof(fx->err)),
	    MSOSYNC_ECONFIG);
	snprintf(want, sizeof(want), "%s: pepper file must not be readable "
	    "by group or others (mode 0644); chmod 600 it", p);
	assert_string_equal(fx->err, want);
	assert_memory_equal(b, zero, 32);	/* wiped on error */

	write_file(p, buf, 31, 0600);
	assert_int_equal(keys_load_pepper(p, b, fx->err, sizeof(fx->err)),
	    MSOSYNC_EINVAL);
	snprintf(want, sizeof(want), "%s: a pepper file holds exactly 32 "
	    "bytes, not 31", p);
	assert_string_equal(fx->err, want);
	write_file(p, "0123456789abcdef0123456789abcdef!", 33, 0600);
	assert_int_equal(keys_load_pepper(p, b, fx->err, sizeof(fx->err)),
	    MSOSYNC_EINVAL);
	write_file(p, "", 0, 0600);
	assert_int_equal(keys_load_pepper(p, b, fx->err, sizeof(fx->err)),
	    MSOSYNC_EINVAL);

	/* Two sites' peppers differ. */
	snprintf(p, sizeof(p), "%s/pepper2", fx->dir);
	assert_int_equal(keys_load_pepper(p, b, fx->err, sizeof(fx->err)), 0);
	assert_memory_not_equal(a, b, 32);

	snprintf(p, sizeof(p), "%s/nodir/pepper", fx->dir);
	assert_int_equal(keys_load_pepper(p, b, fx->err, sizeof(fx->err)),
	    -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_generate_files, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_load_derives_public, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refuse_overwrite, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refuse_readable_secret,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_malformed_secret,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_known_pair, setup,
		    teardown),
		cmocka_unit_test(test_public_z85),
		cmocka_unit_test(test_token_new),
		cmocka_unit_test(test_token_hash),
		cmocka_unit_test_setup_teardown(test_pepper, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
