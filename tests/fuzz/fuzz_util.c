/*
 * The harnesses' scratch stores and checks (fuzz_util.h). The scratch
 * directory lives on /dev/shm when it can: LMDB's fsync costs nothing on
 * a tmpfs, so a fresh store per input stays cheap.
 */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate.h"
#include "chain.h"
#include "fuzz_util.h"
#include "msosync/error.h"
#include "xmalloc.h"

const uint8_t	fuzz_epoch[STORE_EPOCH_LEN] = {
	0x6d, 0x73, 0x6f, 0x73, 0x79, 0x6e, 0x63, 0x2d,
	0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x65, 0x70, 0x31,
};

static char	*tmpdir;
static char	*storedir;

void
fuzz_fail(const char *fmt, ...)
{
	va_list	ap;

	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_tmpdir(void)
{
	if (tmpdir != NULL)
		(void)nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(tmpdir);
	free(storedir);
	tmpdir = storedir = NULL;
}

const char *
fuzz_tmpdir(void)
{
	struct stat	sb;
	const char	*base;

	if (tmpdir != NULL)
		return tmpdir;
	base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	tmpdir = xasprintf("%s/msosync-fuzz.XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL)
		fuzz_fail("mkdtemp %s: %s", tmpdir, strerror(errno));
	storedir = xasprintf("%s/store", tmpdir);
	atexit(rm_tmpdir);
	return tmpdir;
}

struct store *
fuzz_store_new(void)
{
	struct store	*s = NULL;
	uint8_t		 hash[CHAIN_HASH_LEN];
	uint64_t	 acked;
	int		 changed, rc;

	(void)fuzz_tmpdir();
	if ((rc = store_open(storedir, FUZZ_BUDGET, &s)) != 0)
		fuzz_fail("store_open %s: %s", storedir, msosync_strerror(rc));
	aggregate_attach(s);
	rc = store_hello(s, FUZZ_SITE, fuzz_epoch, &acked, hash, &changed);
	if (rc != 0 || acked != 0 || changed != 0 ||
	    memcmp(hash, chain_genesis, CHAIN_HASH_LEN) != 0)
		fuzz_fail("first hello: rc %d, acked %llu, changed %d", rc,
		    (unsigned long long)acked, changed);
	return s;
}

void
fuzz_store_done(struct store **s)
{
	char	path[512];

	if (s == NULL || *s == NULL)
		return;
	store_close(s);
	/* a store that leaves other files behind fails the rmdir, loudly */
	snprintf(path, sizeof(path), "%s/data.mdb", storedir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", storedir);
	(void)unlink(path);
	if (rmdir(storedir) == -1)
		fuzz_fail("rmdir %s: %s", storedir, strerror(errno));
}

static void
on_chain_problem(void *arg, uint32_t site, uint32_t epoch_ord, uint64_t seq,
    const char *problem)
{
	(void)arg;
	fprintf(stderr, "fuzz: store_verify: site %u epoch %u seq %llu: %s\n",
	    site, epoch_ord, (unsigned long long)seq, problem);
}

static void
on_aggregate_diff(void *arg, const char *what)
{
	(void)arg;
	fprintf(stderr, "fuzz: aggregate_verify: %s\n", what);
}

void
fuzz_store_check(struct store *s)
{
	int	rc;

	if ((rc = store_verify(s, on_chain_problem, NULL, NULL)) != 0)
		fuzz_fail("store_verify: %s", msosync_strerror(rc));
	rc = aggregate_verify(s, fuzz_tmpdir(), on_aggregate_diff, NULL, NULL);
	if (rc != 0)
		fuzz_fail("aggregate_verify: %s", msosync_strerror(rc));
}
