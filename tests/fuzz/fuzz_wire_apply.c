/*
 * libFuzzer harness: one ZeroMQ message from an authenticated agent, as
 * the hub's receiver takes it: wire_decode with the hub's frame limit,
 * then, for a hello or a batch, the store on a real LMDB (fuzz_util.h: a
 * fresh store per input on a tmpfs, the aggregates attached, site
 * FUZZ_SITE said hello with fuzz_epoch). No mock stands in for the store.
 *
 * A batch is applied as the session's (FUZZ_SITE, fuzz_epoch). When it
 * breaks the chain, the operator's resume is played and the batch sent
 * again, so records whose hashes the fuzzer cannot forge still reach the
 * event checks, the dedupe and the aggregates (the first record after a
 * resume is taken as the chain's new anchor).
 *
 * Properties checked (an abort is a finding):
 *   - wire_decode returns 0, MSOSYNC_ETOOBIG or MSOSYNC_EPROTO, and a
 *     frame only with 0;
 *   - a decoded batch keeps the promises of wire.h (count, seqs, hashes);
 *   - store_apply returns 0 and each result is one store.h lists; the
 *     mark never goes back;
 *   - the stored chains recheck and the aggregates equal a rebuild from
 *     the stored events (fuzz_store_check);
 *   - a hello with a new epoch opens it at 0, and the old epoch is then
 *     refused.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "chain.h"
#include "fuzz_util.h"
#include "msosync/error.h"
#include "store.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_batch(const Msosync__Batch *b)
{
	if (b->n_records < 1 || b->n_records > WIRE_MAX_RECORDS ||
	    b->first_seq < 1)
		fuzz_fail("wire_decode passed a batch of %zu records from %llu",
		    b->n_records, (unsigned long long)b->first_seq);
	for (size_t i = 0; i < b->n_records; i++)
		if (b->records[i]->seq != b->first_seq + i ||
		    b->records[i]->hash.len != WIRE_HASH_LEN)
			fuzz_fail("wire_decode passed record %zu with seq %llu "
			    "and a hash of %zu bytes", i,
			    (unsigned long long)b->records[i]->seq,
			    b->records[i]->hash.len);
}

/* Apply 'b' for the session; returns the batch's result. */
static int
apply(struct store *s, const Msosync__Batch *b, uint64_t *mark)
{
	struct store_batch	sb;
	int			rc;

	memset(&sb, 0, sizeof(sb));
	sb.site_id = FUZZ_SITE;
	sb.epoch = fuzz_epoch;
	sb.rec = (const Msosync__Record *const *)b->records;
	sb.nrec = b->n_records;
	if ((rc = store_apply(s, &sb, 1)) != 0)
		fuzz_fail("store_apply: %s", msosync_strerror(rc));
	switch (sb.result) {
	case 0:
	case MSOSYNC_EGAP:
	case MSOSYNC_ECHAIN:
	case MSOSYNC_EPROTO:
	case MSOSYNC_EINVAL:
		break;
	default:
		fuzz_fail("store_apply: batch result %s (%s)",
		    msosync_strerror(sb.result), sb.message);
	}
	if (sb.result != 0 && sb.message[0] == '\0')
		fuzz_fail("store_apply: %s without a message",
		    msosync_strerror(sb.result));
	if (sb.acked_seq < *mark ||
	    sb.acked_seq - *mark != sb.applied + sb.duplicates)
		fuzz_fail("store_apply: mark %llu -> %llu with %zu applied and "
		    "%zu duplicates", (unsigned long long)*mark,
		    (unsigned long long)sb.acked_seq, sb.applied,
		    sb.duplicates);
	*mark = sb.acked_seq;
	return sb.result;
}

static void
batch(const Msosync__Batch *b)
{
	struct store	*s = fuzz_store_new();
	uint64_t	 mark = 0;
	int		 rc;

	check_batch(b);
	if (apply(s, b, &mark) == MSOSYNC_ECHAIN) {
		if ((rc = store_resume(s, FUZZ_SITE, "fuzz")) != 0)
			fuzz_fail("store_resume after a chain alert: %s",
			    msosync_strerror(rc));
		(void)apply(s, b, &mark);
	}
	fuzz_store_check(s);
	fuzz_store_done(&s);
}

static void
hello(const Msosync__Hello *h)
{
	struct store	*s = fuzz_store_new();
	uint8_t		 hash[CHAIN_HASH_LEN];
	uint64_t	 acked;
	int		 changed, rc;

	if (h->epoch.len != WIRE_EPOCH_LEN)
		fuzz_fail("wire_decode passed an epoch of %zu bytes",
		    h->epoch.len);
	rc = store_hello(s, FUZZ_SITE, h->epoch.data, &acked, hash, &changed);
	if (rc != 0)
		fuzz_fail("store_hello: %s", msosync_strerror(rc));
	if (changed != (memcmp(h->epoch.data, fuzz_epoch, WIRE_EPOCH_LEN) != 0)
	    || acked != 0 || memcmp(hash, chain_genesis, CHAIN_HASH_LEN) != 0)
		fuzz_fail("store_hello: changed %d, acked %llu", changed,
		    (unsigned long long)acked);
	if (changed) {
		rc = store_hello(s, FUZZ_SITE, fuzz_epoch, &acked, hash,
		    &changed);
		if (rc != MSOSYNC_EREFUSED)
			fuzz_fail("a retired epoch's hello: %s",
			    msosync_strerror(rc));
	}
	fuzz_store_done(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Msosync__Frame	*f = NULL;
	int		 rc;

	rc = wire_decode(data, size, WIRE_MAX_FRAME, NULL, &f);
	if (rc != 0) {
		if (f != NULL || (rc != MSOSYNC_ETOOBIG && rc != MSOSYNC_EPROTO))
			fuzz_fail("wire_decode: %s", msosync_strerror(rc));
		return 0;
	}
	if (f == NULL)
		fuzz_fail("wire_decode: 0 without a frame");
	switch (f->kind_case) {
	case MSOSYNC__FRAME__KIND_BATCH:
		batch(f->batch);
		break;
	case MSOSYNC__FRAME__KIND_HELLO:
		hello(f->hello);
		break;
	case MSOSYNC__FRAME__KIND_REJECT:
		(void)wire_reject_code_name(f->reject->code);
		break;
	default:
		break;
	}
	wire_frame_free(&f);
	return 0;
}
