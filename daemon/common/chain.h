/*
 * The per-site hash chain of DESIGN §4.6:
 *   hash(seq) = BLAKE2b-256(hash(seq - 1) || seq as 8 bytes big-endian || event)
 * where hash(0), the chain's start in every epoch, is 32 zero bytes.
 * Both the agent (when journaling) and the hub (when applying, and in
 * verify) compute it over exactly the journaled event bytes.
 */
#ifndef MSOSYNC_CHAIN_H
#define MSOSYNC_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define CHAIN_HASH_LEN	32

extern const uint8_t	chain_genesis[CHAIN_HASH_LEN];	/* all zero */

void	chain_hash(const uint8_t prev[CHAIN_HASH_LEN], uint64_t seq,
	    const void *event, size_t len, uint8_t out[CHAIN_HASH_LEN]);

/* Lower-case hex of a hash into 'hex' (2 * CHAIN_HASH_LEN + 1 bytes). */
void	chain_hex(const uint8_t hash[CHAIN_HASH_LEN], char *hex);

#endif
