/*
 * libFuzzer harness: the hub's apply path past the chain check. The input
 * is read as a site's stream of events, and the harness plays an agent
 * that journals them with correct chain hashes and sends them in batches
 * to a real store (fuzz_util.h: fresh per input, on a tmpfs, aggregates
 * attached), so the fuzzer's bytes reach what a random frame never does:
 * event unpacking, the site and seq checks, the permanent dedupe across
 * epochs, and every aggregate the hook keeps.
 *
 * Input: a sequence of chunks, each
 *   flags (1 byte) | length (2 bytes, big-endian) | payload (length bytes)
 * (a short last chunk takes what is left). The payload is a packed Event;
 * unless told otherwise the harness stamps it with the site and the
 * record's seq, as the agent does, and repacks it. Flags:
 *   0x01  keep the payload's own site_id      0x10  apply what is pending first
 *   0x02  keep the payload's own seq          0x20  apply, then a new epoch
 *   0x04  send a wrong hash                   0x40  send the payload as is
 *   0x08  start a new batch (same apply)      0x80  resend the last applied
 *                                                   record first (when
 *                                                   nothing is pending)
 * After each apply the harness goes on from the hub's mark, as an agent
 * resumes from an ack or a reject; after a chain alert it plays the
 * operator's resume.
 *
 * Properties checked (an abort is a finding): store_apply returns 0 with
 * results store.h lists; each batch moves the mark by exactly the records
 * it applied or skipped as duplicates; a new epoch opens at 0; and at the
 * end every stored chain rechecks and the aggregates equal a rebuild from
 * the stored events (fuzz_store_check).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "events.pb-c.h"
#include "fuzz_util.h"
#include "msosync/error.h"
#include "store.h"
#include "wire.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define F_OWN_SITE	0x01
#define F_OWN_SEQ	0x02
#define F_BAD_HASH	0x04
#define F_NEW_BATCH	0x08
#define F_APPLY		0x10
#define F_NEW_EPOCH	0x20
#define F_RAW		0x40
#define F_RESEND	0x80

#define MAX_BATCHES	8	/* in one store_apply */
#define MAX_EPOCHS	16	/* new epochs per input */

struct rec {
	uint64_t	 seq;
	uint8_t		 hash[CHAIN_HASH_LEN];
	uint8_t		*ev;
	size_t		 len;
};

struct agent {
	struct store	*s;
	uint8_t		 epoch[STORE_EPOCH_LEN];
	unsigned	 nepochs;
	uint64_t	 mark;			/* the hub's, after the last apply */
	uint8_t		 head[CHAIN_HASH_LEN];	/* of the records made */
	uint64_t	 next;			/* seq of the next record */
	struct rec	 last;			/* the record at the mark, if held */
	struct rec	*pend;			/* made since the last apply */
	size_t		 npend, cap;
	size_t		 cut[MAX_BATCHES + 1];	/* batch i: pend[cut[i]..) */
	size_t		 nbatches;
};

static void
rec_copy(struct rec *to, const struct rec *from)
{
	free(to->ev);
	*to = *from;
	to->ev = xmalloc(from->len ? from->len : 1);
	memcpy(to->ev, from->ev, from->len);
}

static struct rec *
push(struct agent *a)
{
	if (a->npend == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		a->pend = xrealloc(a->pend, a->cap * sizeof(*a->pend));
	}
	memset(&a->pend[a->npend], 0, sizeof(a->pend[0]));
	return &a->pend[a->npend++];
}

/* Check one batch's outcome against the mark before it. */
static void
check_result(const struct store_batch *b, uint64_t before)
{
	switch (b->result) {
	case 0:
	case MSOSYNC_EGAP:
	case MSOSYNC_ECHAIN:
	case MSOSYNC_EPROTO:
	case MSOSYNC_EINVAL:
	case MSOSYNC_EREFUSED:
		break;
	default:
		fuzz_fail("store_apply: batch result %s (%s)",
		    msosync_strerror(b->result), b->message);
	}
	if (b->result != 0 && b->message[0] == '\0')
		fuzz_fail("store_apply: %s without a message",
		    msosync_strerror(b->result));
	if (b->acked_seq < before ||
	    b->acked_seq - before != b->applied + b->duplicates)
		fuzz_fail("store_apply: mark %llu -> %llu with %zu applied and "
		    "%zu duplicates", (unsigned long long)before,
		    (unsigned long long)b->acked_seq, b->applied,
		    b->duplicates);
}

static void
apply(struct agent *a)
{
	struct store_batch	 b[MAX_BATCHES];
	Msosync__Record		*r;
	const Msosync__Record	**p;
	size_t			 n = 0;
	int			 broken = 0, rc;

	a->cut[a->nbatches] = a->npend;
	if (a->npend == 0)
		goto done;
	r = xcalloc(a->npend, sizeof(*r));
	p = xcalloc(a->npend, sizeof(*p));
	for (size_t i = 0; i < a->npend; i++) {
		msosync__record__init(&r[i]);
		r[i].seq = a->pend[i].seq;
		r[i].hash.len = CHAIN_HASH_LEN;
		r[i].hash.data = a->pend[i].hash;
		r[i].event.len = a->pend[i].len;
		r[i].event.data = a->pend[i].ev;
		p[i] = &r[i];
	}
	memset(b, 0, sizeof(b));
	for (size_t i = 0; i < a->nbatches; i++) {
		if (a->cut[i + 1] == a->cut[i])
			continue;	/* the receiver never sees an empty one */
		b[n].site_id = FUZZ_SITE;
		b[n].epoch = a->epoch;
		b[n].rec = p + a->cut[i];
		b[n].nrec = a->cut[i + 1] - a->cut[i];
		n++;
	}
	if ((rc = store_apply(a->s, b, n)) != 0)
		fuzz_fail("store_apply: %s", msosync_strerror(rc));
	for (size_t i = 0; i < n; i++) {
		check_result(&b[i], a->mark);
		broken |= b[i].result == MSOSYNC_ECHAIN;
		a->mark = b[i].acked_seq;
		memcpy(a->head, b[i].acked_hash, CHAIN_HASH_LEN);
	}
	for (size_t i = 0; i < a->npend; i++)
		if (a->pend[i].seq == a->mark)
			rec_copy(&a->last, &a->pend[i]);
	if (broken && (rc = store_resume(a->s, FUZZ_SITE, "fuzz")) != 0)
		fuzz_fail("store_resume after a chain alert: %s",
		    msosync_strerror(rc));
	free(p);
	free(r);
done:
	for (size_t i = 0; i < a->npend; i++)
		free(a->pend[i].ev);
	a->npend = 0;
	a->nbatches = 1;
	a->cut[0] = 0;
	a->next = a->mark + 1;
}

static void
new_epoch(struct agent *a)
{
	uint8_t		hash[CHAIN_HASH_LEN];
	uint64_t	acked;
	int		changed, rc;

	apply(a);
	a->nepochs++;
	/* each epoch differs from every earlier one: none is retired */
	a->epoch[STORE_EPOCH_LEN - 1] = fuzz_epoch[STORE_EPOCH_LEN - 1] ^
	    (uint8_t)a->nepochs;
	rc = store_hello(a->s, FUZZ_SITE, a->epoch, &acked, hash, &changed);
	if (rc != 0 || changed != 1 || acked != 0 ||
	    memcmp(hash, chain_genesis, CHAIN_HASH_LEN) != 0)
		fuzz_fail("hello with a new epoch: %s, changed %d, acked %llu",
		    msosync_strerror(rc), changed, (unsigned long long)acked);
	a->mark = 0;
	a->next = 1;
	memcpy(a->head, chain_genesis, CHAIN_HASH_LEN);
	free(a->last.ev);
	memset(&a->last, 0, sizeof(a->last));
}

/* Journal one payload as the agent would, and queue it. */
static void
add(struct agent *a, unsigned flags, const uint8_t *payload, size_t len)
{
	Msosync__Event	*ev = NULL;
	struct rec	*r;

	if (flags & F_NEW_EPOCH && a->nepochs < MAX_EPOCHS)
		new_epoch(a);
	else if (flags & F_APPLY)
		apply(a);
	if (flags & F_NEW_BATCH && a->cut[a->nbatches - 1] < a->npend) {
		if (a->nbatches == MAX_BATCHES)
			apply(a);
		else
			a->cut[a->nbatches++] = a->npend;
	}
	if (a->npend - a->cut[a->nbatches - 1] + 2 > WIRE_MAX_RECORDS)
		apply(a);
	/* first in an apply, so that its batch's seqs still run on */
	if (flags & F_RESEND && a->npend == 0 && a->last.ev != NULL &&
	    a->last.seq == a->mark && a->mark > 0)
		rec_copy(push(a), &a->last);

	r = push(a);
	r->seq = a->next++;
	if (!(flags & F_RAW))
		ev = msosync__event__unpack(NULL, len, payload);
	if (ev != NULL) {
		if (!(flags & F_OWN_SITE))
			ev->site_id = FUZZ_SITE;
		if (!(flags & F_OWN_SEQ))
			ev->seq = r->seq;
		r->len = msosync__event__get_packed_size(ev);
		r->ev = xmalloc(r->len ? r->len : 1);
		(void)msosync__event__pack(ev, r->ev);
		msosync__event__free_unpacked(ev, NULL);
	} else {
		r->len = len;
		r->ev = xmalloc(len ? len : 1);
		if (len > 0)
			memcpy(r->ev, payload, len);
	}
	chain_hash(a->head, r->seq, r->ev, r->len, r->hash);
	memcpy(a->head, r->hash, CHAIN_HASH_LEN);
	if (flags & F_BAD_HASH)
		r->hash[r->seq % CHAIN_HASH_LEN] ^= 0x5a;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent	a;
	size_t		pos = 0, len;
	unsigned	flags;

	memset(&a, 0, sizeof(a));
	a.s = fuzz_store_new();
	memcpy(a.epoch, fuzz_epoch, STORE_EPOCH_LEN);
	memcpy(a.head, chain_genesis, CHAIN_HASH_LEN);
	a.next = 1;
	a.nbatches = 1;
	while (pos < size) {
		flags = data[pos++];
		len = 0;
		if (pos < size)
			len = (size_t)data[pos++] << 8;
		if (pos < size)
			len |= data[pos++];
		if (len > size - pos)
			len = size - pos;
		add(&a, flags, data + pos, len);
		pos += len;
	}
	apply(&a);
	fuzz_store_check(a.s);
	fuzz_store_done(&a.s);
	free(a.pend);
	free(a.last.ev);
	return 0;
}
