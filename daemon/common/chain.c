/*
 * The hash chain of DESIGN §4.6, shared by the agent's journal and the
 * hub's apply and verify paths. The hash is streamed over the three parts
 * so an event is never copied just to be hashed. Pure functions; any
 * thread may call them.
 */
#include <sodium.h>

#include "be.h"
#include "chain.h"
#include "keys.h"

const uint8_t	chain_genesis[CHAIN_HASH_LEN];

void
chain_hash(const uint8_t prev[CHAIN_HASH_LEN], uint64_t seq,
    const void *event, size_t len, uint8_t out[CHAIN_HASH_LEN])
{
	crypto_generichash_state	st;
	uint8_t				be[8];

	/* BLAKE2b needs no global state, but sodium wants init first. */
	keys_sodium_ready();
	put64(be, seq);
	crypto_generichash_init(&st, NULL, 0, CHAIN_HASH_LEN);
	crypto_generichash_update(&st, prev, CHAIN_HASH_LEN);
	crypto_generichash_update(&st, be, sizeof(be));
	if (len > 0)
		crypto_generichash_update(&st, event, len);
	crypto_generichash_final(&st, out, CHAIN_HASH_LEN);
}

void
chain_hex(const uint8_t hash[CHAIN_HASH_LEN], char *hex)
{
	static const char	digits[] = "0123456789abcdef";

	for (size_t i = 0; i < CHAIN_HASH_LEN; i++) {
		hex[2 * i] = digits[hash[i] >> 4];
		hex[2 * i + 1] = digits[hash[i] & 0xf];
	}
	hex[2 * CHAIN_HASH_LEN] = '\0';
}
