/*
 * CURVE keys and secret files. A key pair is two files: PATH.pub (the
 * 40-character Z85 public key and a newline) and PATH.key (the Z85 secret
 * key and a newline, mode 0600). Secrets live in sodium_malloc memory and
 * are wiped when freed. Also the other small secrets of msosync: tokens
 * (hex BLAKE2b-256 stored, random URL-safe text shown once) and the
 * agent's pepper file.
 */
#ifndef MSOSYNC_KEYS_H
#define MSOSYNC_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_Z85_LEN	40

struct keypair {
	char	 public_z85[KEYS_Z85_LEN + 1];
	char	*secret_z85;	/* sodium_malloc'd, KEYS_Z85_LEN + 1 bytes */
};

/*
 * Write a fresh pair to PATH.pub and PATH.key (0600). Refuses to overwrite
 * an existing file. Returns 0, or -errno / MSOSYNC_EINVAL with a message
 * in err.
 */
int	keys_generate(const char *path, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * Read the secret key file 'path' and derive its public key. Refuses a
 * file that group or others can read (MSOSYNC_ECONFIG) or that does not
 * hold one Z85 secret key (MSOSYNC_EINVAL). On success *out is the
 * caller's, freed with keys_free. Errors carry a message in err.
 */
int	keys_load_secret(const char *path, struct keypair **out, char *err,
	    size_t errlen) __attribute__((warn_unused_result));
void	keys_free(struct keypair **kp);	/* wipes, frees, sets *kp = NULL */

/* Is 's' a well-formed 40-character Z85 public key? Optionally decode it. */
int	keys_is_public_z85(const char *s);
int	keys_decode_public(const char *z85, uint8_t out[32]);

/*
 * Tokens for the hub's HTTP API. keys_token_new writes a fresh random token
 * (43 URL-safe base64 characters, no padding) into tok (>= 44 bytes).
 * keys_token_hash writes the hex BLAKE2b-256 of 'tok' into hex (65 bytes).
 */
void	keys_token_new(char *tok);
void	keys_token_hash(const char *tok, char *hex);

/*
 * The agent's pepper: 32 random bytes in 'path', created (0600, O_EXCL)
 * when absent. Refuses a file readable by others or of the wrong size.
 * 'out' must be sodium_malloc'd by the caller or otherwise protected.
 */
int	keys_load_pepper(const char *path, uint8_t out[32], char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/*
 * Initialise libsodium once per process (any thread; aborts if it
 * cannot). Every hot path that hashes calls it: after the first call it
 * is one atomic load.
 */
void	keys_sodium_ready(void);

#endif
