/*
 * Helpers the unit tests share: every case works in its own temporary
 * directory and removes it, whatever it holds, when it is done; a few
 * time what they do.
 */
#ifndef MSOSYNC_TESTUTIL_H
#define MSOSYNC_TESTUTIL_H

/* Remove 'path' and everything below it; a missing path is fine. */
void	testutil_rm_rf(const char *path);

/* Monotonic seconds, for the throughput figures some tests print. */
double	testutil_now_s(void);

#endif
