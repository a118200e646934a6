/*
 * What the libFuzzer harnesses share: one scratch directory on a tmpfs
 * made at the first call and removed at exit, a fresh hub store per input
 * in it (a real LMDB, the running aggregates attached, one site that has
 * said hello), and the checks that turn a broken property into an abort
 * with the reason on stderr, which libFuzzer reports as a crash.
 *
 * A store per input keeps every input's outcome independent of the
 * inputs before it, so any crash replays from its input alone.
 * Single-threaded, as libFuzzer calls the harness.
 */
#ifndef MSOSYNC_FUZZ_UTIL_H
#define MSOSYNC_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define FUZZ_SITE	7
#define FUZZ_BUDGET	((size_t)16 << 20)	/* the store's map budget */

/* The epoch the site says hello with first. */
extern const uint8_t	fuzz_epoch[STORE_EPOCH_LEN];

/*
 * 2026-12-01T00:00:00Z: validation's "now" is fixed so that an input
 * means the same thing on any day.
 */
#define FUZZ_NOW_MS	1796083200000LL

/* The scratch directory (on /dev/shm when there is one), made once. */
const char	*fuzz_tmpdir(void);

/*
 * A new empty store with aggregate_attach done and FUZZ_SITE's hello
 * with fuzz_epoch applied. Aborts on any failure: without a store the
 * harness tests nothing.
 */
struct store	*fuzz_store_new(void);

/* Close the store and delete its files; NULL-safe, sets *s = NULL. */
void		 fuzz_store_done(struct store **s);

/*
 * Every stored chain rechecks (store_verify) and the running aggregates
 * equal those rebuilt from the stored events (aggregate_verify): the
 * guarantees of DESIGN §4.3 and §4.6, whatever was applied. Aborts
 * otherwise, after printing what differs.
 */
void		 fuzz_store_check(struct store *s);

/* Print "fuzz: " and the message to stderr, then abort. */
void		 fuzz_fail(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

#endif
