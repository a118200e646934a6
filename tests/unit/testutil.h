/*
 * Helpers the unit tests share: every case works in its own temporary
 * directory and removes it, whatever it holds, when it is done.
 */
#ifndef MSOSYNC_TESTUTIL_H
#define MSOSYNC_TESTUTIL_H

/* Remove 'path' and everything below it; a missing path is fine. */
void	testutil_rm_rf(const char *path);

#endif
