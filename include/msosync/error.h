/*
 * msosync error codes, shared by libmsosync, the daemons and msoctl.
 *
 * Every function that can fail returns an int: 0 on success, a negative
 * errno value (-ENOMEM, -EIO, ...) for a system error, or one of the
 * MSOSYNC_E* codes below, which live in a reserved negative range that no
 * errno reaches. msosync_strerror() names either kind.
 */
#ifndef MSOSYNC_ERROR_H
#define MSOSYNC_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* What libmsosync exports; everything else in it is hidden. */
#ifndef MSOSYNC_API
#define MSOSYNC_API	__attribute__((visibility("default")))
#endif

#define MSOSYNC_OK		0
#define MSOSYNC_EBASE		(-40000)
#define MSOSYNC_EINVAL		(-40001)	/* bad input: parse or validation */
#define MSOSYNC_EFULL		(-40002)	/* journal or store budget reached */
#define MSOSYNC_ECORRUPT	(-40003)	/* stored data fails its checks */
#define MSOSYNC_EPROTO		(-40004)	/* peer broke the wire protocol */
#define MSOSYNC_ETOOBIG		(-40005)	/* request or frame over its limit */
#define MSOSYNC_ENOTFOUND	(-40006)	/* no such key or record */
#define MSOSYNC_ECONFIG		(-40007)	/* configuration is not usable */
#define MSOSYNC_ECHAIN		(-40008)	/* hash chain mismatch */
#define MSOSYNC_EGAP		(-40009)	/* sequence gap */
#define MSOSYNC_ETIMEDOUT	(-40010)	/* no answer in time */
#define MSOSYNC_EREFUSED	(-40011)	/* the peer refused the request */
#define MSOSYNC_EPANIC		(-40012)	/* storage is unusable: stop */
#define MSOSYNC_ELAST		(-40012)

/*
 * Describe 'err' (0, a negative errno or an MSOSYNC_E* code).
 * Returns a static string; never NULL.
 */
MSOSYNC_API const char	*msosync_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
