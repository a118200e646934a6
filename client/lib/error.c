/*
 * msosync_strerror: names for the codes of <msosync/error.h>. Built into
 * libmsosync and into the daemons' common library.
 */
#include <string.h>

#include "msosync/error.h"

static const char *const names[] = {
	[-(MSOSYNC_EINVAL - MSOSYNC_EBASE)] = "invalid input",
	[-(MSOSYNC_EFULL - MSOSYNC_EBASE)] = "journal full",
	[-(MSOSYNC_ECORRUPT - MSOSYNC_EBASE)] = "stored data is corrupt",
	[-(MSOSYNC_EPROTO - MSOSYNC_EBASE)] = "protocol error",
	[-(MSOSYNC_ETOOBIG - MSOSYNC_EBASE)] = "too large",
	[-(MSOSYNC_ENOTFOUND - MSOSYNC_EBASE)] = "not found",
	[-(MSOSYNC_ECONFIG - MSOSYNC_EBASE)] = "configuration error",
	[-(MSOSYNC_ECHAIN - MSOSYNC_EBASE)] = "hash chain mismatch",
	[-(MSOSYNC_EGAP - MSOSYNC_EBASE)] = "sequence gap",
	[-(MSOSYNC_ETIMEDOUT - MSOSYNC_EBASE)] = "timed out",
	[-(MSOSYNC_EREFUSED - MSOSYNC_EBASE)] = "refused by peer",
	[-(MSOSYNC_EPANIC - MSOSYNC_EBASE)] = "storage failure",
};

const char *
msosync_strerror(int err)
{
	if (err == 0)
		return "success";
	if (err <= MSOSYNC_EBASE - 1 && err >= MSOSYNC_ELAST)
		return names[-(err - MSOSYNC_EBASE)];
	if (err < 0 && err > MSOSYNC_EBASE)
		return strerror(-err);
	return "unknown error";
}
