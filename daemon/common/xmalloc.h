/*
 * Allocation that cannot fail: out of memory aborts (STYLE.md). Use these
 * everywhere except where a caller-supplied budget is being enforced.
 */
#ifndef MSOSYNC_XMALLOC_H
#define MSOSYNC_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t n, size_t size);
void	*xrealloc(void *p, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
/* printf into a fresh string; the caller frees it. */
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
