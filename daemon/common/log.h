/*
 * The one logger: stderr, one line an event, with a level, for journald.
 * log_warn appends strerror(errno); log_warnx does not. fatal/fatalx log
 * and exit(1); only a role's main file calls them.
 */
#ifndef MSOSYNC_LOG_H
#define MSOSYNC_LOG_H

#define LOG_LEVEL_ERROR	0
#define LOG_LEVEL_WARN	1
#define LOG_LEVEL_INFO	2
#define LOG_LEVEL_DEBUG	3

/* 'name' prefixes every line (e.g. "agent"); it must outlive the logger. */
void	log_init(const char *name, int level);
void	log_set_level(int level);
int	log_level(void);

void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
