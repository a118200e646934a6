/*
 * Small durable-file helpers shared by the modules that write secrets and
 * registries themselves (keys, tokens): whole writes and reads that retry
 * short counts and EINTR, and making a new file's directory entry durable.
 */
#ifndef MSOSYNC_FILEIO_H
#define MSOSYNC_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Write all of buf. Returns 0 or -errno. */
int	fileio_write_all(int fd, const void *buf, size_t len);
/* Read up to len bytes, stopping early only at end of file. Returns the
 * count or -errno. */
ssize_t	fileio_read_all(int fd, void *buf, size_t len);
/* fsync the directory that holds 'path'. Returns 0 or -errno. */
int	fileio_sync_dir(const char *path);

#endif
