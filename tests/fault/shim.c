/*
 * A fault-injection shim for the fault tests, preloaded (LD_PRELOAD) under
 * a daemon to make its disk fail the way a dying one does. It owns nothing
 * but two counters.
 *
 * MSOSYNC_FAULT_FSYNC_AFTER=N: the N-th and every later fsync or fdatasync
 * of the database file fails with EIO. MSOSYNC_FAULT_WRITE_AFTER=N: the
 * same for write, pwrite and writev (and their 64-bit and vector cousins)
 * to that file. The file is the one whose name is data.mdb, or
 * MSOSYNC_FAULT_FILE. Other files, sockets and pipes pass untouched, so
 * the daemon can still log, answer and report what happened. Unset, the
 * shim only forwards.
 *
 * A failed call does nothing at all: the kernel is not asked, so what is
 * on disk is what the last successful call left. The first injected
 * failure is said once on stderr, in the daemon's log.
 *
 * Any thread may call in (libzmq's I/O threads write to sockets); the
 * counters are atomic and the real functions are looked up before main
 * (or at the first call, should another library write even earlier).
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind {
	K_SYNC,
	K_WRITE
};

static ssize_t	(*real_write)(int, const void *, size_t);
static ssize_t	(*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t	(*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t	(*real_writev)(int, const struct iovec *, int);
static ssize_t	(*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t	(*real_pwritev64)(int, const struct iovec *, int, off64_t);
static int	(*real_fsync)(int);
static int	(*real_fdatasync)(int);

static int		 inited;
static const char	*target = "data.mdb";
static unsigned long	 after[2];	/* 0: never fail */
static unsigned long	 calls[2];
static int		 said;

static const char *const kind_name[2] = { "fsync/fdatasync", "write" };

static void
resolve(void *fp, const char *name)
{
	void	*p = dlsym(RTLD_NEXT, name);

	memcpy(fp, &p, sizeof(p));
}

static unsigned long
env_count(const char *name)
{
	const char	*v = getenv(name);
	char		*end;
	unsigned long	 n;

	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n == 0) {
		fprintf(stderr, "fault shim: %s=%s is not a count >= 1\n", name,
		    v);
		abort();
	}
	return n;
}

__attribute__((constructor)) static void
shim_init(void)
{
	const char	*f;

	resolve(&real_write, "write");
	resolve(&real_pwrite, "pwrite");
	resolve(&real_pwrite64, "pwrite64");
	resolve(&real_writev, "writev");
	resolve(&real_pwritev, "pwritev");
	resolve(&real_pwritev64, "pwritev64");
	resolve(&real_fsync, "fsync");
	resolve(&real_fdatasync, "fdatasync");
	after[K_SYNC] = env_count("MSOSYNC_FAULT_FSYNC_AFTER");
	after[K_WRITE] = env_count("MSOSYNC_FAULT_WRITE_AFTER");
	if ((f = getenv("MSOSYNC_FAULT_FILE")) != NULL && *f != '\0')
		target = f;
	inited = 1;
}

/* Is fd the database file? Only regular files are looked up by name. */
static int
is_target(int fd)
{
	struct stat	 st;
	char		 link[64], path[PATH_MAX];
	const char	*base;
	ssize_t		 n;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) < 0)
		return 0;
	path[n] = '\0';
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return strcmp(base, target) == 0;
}

/*
 * Count this call against its limit; nonzero when it must fail. The
 * saved errno is put back, so a call that passes sees no trace of ours.
 */
static int
must_fail(enum kind k, int fd, const char *call)
{
	unsigned long	 n;
	int		 saved = errno;
	char		 msg[160];
	int		 len;

	/* another library's constructor may write before ours has run */
	if (!inited)
		shim_init();
	if (after[k] == 0 || !is_target(fd)) {
		errno = saved;
		return 0;
	}
	n = __atomic_add_fetch(&calls[k], 1, __ATOMIC_SEQ_CST);
	errno = saved;
	if (n < after[k])
		return 0;
	if (__atomic_exchange_n(&said, 1, __ATOMIC_SEQ_CST) == 0) {
		len = snprintf(msg, sizeof(msg), "fault shim: %s #%lu (%s) "
		    "of %s fails with EIO, and every later one\n",
		    kind_name[k], n, call, target);
		if (len > 0 && real_write != NULL)
			(void)real_write(2, msg, (size_t)len);
	}
	errno = EIO;
	return 1;
}

ssize_t
write(int fd, const void *p, size_t n)
{
	if (must_fail(K_WRITE, fd, "write"))
		return -1;
	return real_write(fd, p, n);
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	if (must_fail(K_WRITE, fd, "pwrite"))
		return -1;
	return real_pwrite(fd, p, n, off);
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off64_t off)
{
	if (must_fail(K_WRITE, fd, "pwrite64"))
		return -1;
	return real_pwrite64(fd, p, n, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	if (must_fail(K_WRITE, fd, "writev"))
		return -1;
	return real_writev(fd, iov, cnt);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	if (must_fail(K_WRITE, fd, "pwritev"))
		return -1;
	return real_pwritev(fd, iov, cnt, off);
}

ssize_t
pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
	if (must_fail(K_WRITE, fd, "pwritev64"))
		return -1;
	return real_pwritev64(fd, iov, cnt, off);
}

int
fsync(int fd)
{
	if (must_fail(K_SYNC, fd, "fsync"))
		return -1;
	return real_fsync(fd);
}

int
fdatasync(int fd)
{
	if (must_fail(K_SYNC, fd, "fdatasync"))
		return -1;
	return real_fdatasync(fd);
}
