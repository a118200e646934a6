/*
 * Logger. Under systemd (JOURNAL_STREAM set) each line starts with the
 * syslog priority "<N>" that journald turns into the entry's level; on a
 * terminal it starts with the level's name. Single-threaded by design: each
 * line is one write(2), so lines from forked children do not interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char	*log_name = "msosync";
static int		 log_lvl = LOG_LEVEL_INFO;
static int		 log_journal;

static const struct {
	const char	*word;
	int		 prio;
} levels[] = {
	[LOG_LEVEL_ERROR] = { "error", 3 },
	[LOG_LEVEL_WARN] = { "warn", 4 },
	[LOG_LEVEL_INFO] = { "info", 6 },
	[LOG_LEVEL_DEBUG] = { "debug", 7 },
};

void
log_init(const char *name, int level)
{
	log_name = name;
	log_lvl = level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void
log_set_level(int level)
{
	log_lvl = level;
}

int
log_level(void)
{
	return log_lvl;
}

static void
vlog(int level, int with_errno, const char *fmt, va_list ap)
{
	char	 line[2048];
	int	 saved = errno, n;

	if (level > log_lvl)
		return;
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>%s: ", levels[level].prio,
		    log_name);
	else
		n = snprintf(line, sizeof(line), "%s: %s: ", log_name,
		    levels[level].word);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (with_errno)
		n += snprintf(line + n, sizeof(line) - n, ": %s",
		    strerror(saved));
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
	errno = saved;
}

#define LOGFN(fn, lvl, err)				\
void							\
fn(const char *fmt, ...)				\
{							\
	va_list	ap;					\
	va_start(ap, fmt);				\
	vlog(lvl, err, fmt, ap);			\
	va_end(ap);					\
}
LOGFN(log_debug, LOG_LEVEL_DEBUG, 0)
LOGFN(log_info, LOG_LEVEL_INFO, 0)
LOGFN(log_warn, LOG_LEVEL_WARN, 1)
LOGFN(log_warnx, LOG_LEVEL_WARN, 0)
LOGFN(log_error, LOG_LEVEL_ERROR, 0)

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
