/*
 * Tests for wire.c: every frame kind packs and unpacks to the same
 * values; the hand-built batch is byte for byte what protobuf-c packs for
 * the same Frame, and its predicted lengths are exact; wire_decode refuses
 * oversize frames before unpacking and every malformed frame the checks
 * know (garbage, truncation, empty, wrong hash and epoch lengths, seqs
 * that do not follow, empty or huge batches). No files: nothing on disk.
 * Run under the MSOSYNC_ASAN build to check that refusals leak nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "msosync/error.h"
#include "wire.h"

#define MAX	WIRE_MAX_FRAME

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* Pack a Frame with protobuf-c itself, into 'b'. */
static void
pb_pack(const Msosync__Frame *f, struct buf *b)
{
	size_t	len = msosync__frame__get_packed_size(f);

	buf_reset(b);
	buf_reserve(b, len);
	b->len = msosync__frame__pack(f, (uint8_t *)b->data);
	assert_int_equal(b->len, len);
}

static void
expect_eproto(const struct buf *b)
{
	Msosync__Frame	*f = (Msosync__Frame *)&f;	/* not NULL */

	assert_int_equal(wire_decode(b->data, b->len, MAX, NULL, &f),
	    MSOSYNC_EPROTO);
	assert_null(f);
}

static void
test_hello(void **state)
{
	struct buf	 b = { 0 };
	Msosync__Frame	*f = NULL;
	uint8_t		 epoch[WIRE_EPOCH_LEN], hash[WIRE_HASH_LEN];

	(void)state;
	fill(epoch, sizeof(epoch), 1);
	fill(hash, sizeof(hash), 50);
	wire_hello(&b, 4000000000u, epoch, 123456789012ull, hash, "0.1.0");
	assert_int_equal(wire_decode(b.data, b.len, MAX, NULL, &f), 0);
	assert_int_equal(f->kind_case, MSOSYNC__FRAME__KIND_HELLO);
	assert_int_equal(f->hello->site_id, 4000000000u);
	assert_int_equal(f->hello->epoch.len, WIRE_EPOCH_LEN);
	assert_memory_equal(f->hello->epoch.data, epoch, WIRE_EPOCH_LEN);
	assert_int_equal(f->hello->head_seq, 123456789012ull);
	assert_int_equal(f->hello->head_hash.len, WIRE_HASH_LEN);
	assert_memory_equal(f->hello->head_hash.data, hash, WIRE_HASH_LEN);
	assert_int_equal(f->hello->protocol_version, WIRE_PROTOCOL_VERSION);
	assert_string_equal(f->hello->agent_version, "0.1.0");
	wire_frame_free(&f);
	assert_null(f);

	/* an empty journal: no head hash, and no version given */
	wire_hello(&b, 7, epoch, 0, NULL, NULL);
	assert_int_equal(wire_decode(b.data, b.len, MAX, NULL, &f), 0);
	assert_int_equal(f->kind_case, MSOSYNC__FRAME__KIND_HELLO);
	assert_int_equal(f->hello->site_id, 7);
	assert_int_equal(f->hello->head_seq, 0);
	assert_int_equal(f->hello->head_hash.len, 0);
	assert_string_equal(f->hello->agent_version, "");
	wire_frame_free(&f);
	wire_frame_free(&f);		/* NULL-safe */
	buf_free(&b);
}

static void
test_welcome(void **state)
{
	struct buf	 b = { 0 };
	Msosync__Frame	*f = NULL;
	uint8_t		 hash[WIRE_HASH_LEN];

	(void)state;
	fill(hash, sizeof(hash), 9);
	wire_welcome(&b, 99, hash, 2000, 1 << 20, 8);
	assert_int_equal(wire_decode(b.data, b.len, MAX, NULL, &f), 0);
	assert_int_equal(f->kind_case, MSOSYNC__FRAME__KIND_WELCOME);
	assert_int_equal(f->welcome->acked_seq, 99);
	assert_int_equal(f->welcome->acked_hash.len, WIRE_HASH_LEN);
	assert_memory_equal(f->welcome->acked_hash.data, hash, WIRE_HASH_LEN);
	assert_int_equal(f->welcome->max_batch_events, 2000);
	assert_int_equal(f->welcome->max_batch_bytes, 1 << 20);
	assert_int_equal(f->welcome->credit, 8);
	wire_frame_free(&f);

	/* a hub that holds nothing of this epoch yet */
	wire_welcome(&b, 0, NULL, 0, 0, 0);
	assert_int_equal(wire_decode(b.data, b.len, MAX, NULL, &f), 0);
	assert_int_equal(f->kind_case, MSOSYNC__FRAME__KIND_WELCOME);
	assert_int_equal(f->welcome->acked_seq, 0);
	assert_int_equal(f->welcome->acked_hash.len, 0);
	assert_int_equal(f->welcome->credit, 0);
	wire_frame_free(&f);
	buf_free(&b);
}

static void
test_ack_heartbeat_reject(void **state)
{
	struct buf	 b = { 0 };
	Msosync__Frame	*f = NULL;

	(void)state;
	wire_ack(&b, UINT64_MAX, 3);
	assert_int_equal(wire_decode(b.data, b.len, MAX, NULL, &f), 0);
	assert_int_equal(f->kind_case, MSOSYNC__FRAME__KIND_ACK);
	assert_true(f->ack->acked_seq == UINT64_MAX);
	assert_int_equal(f->ack->credit, 3);
	wire_frame_free(&f);

	wire_heartbeat(&b, 5000, 1767225600123ll);
	assert_int_equal(wire_decode(b.data, b.len, MAX, NULL, &f), 0);
	assert_int_equal(f->kind_case, MSOSYNC__FRAME__KIND_HEARTBEAT);
	assert_int_equal(f->heartbeat->head_seq, 5000);
	assert_int_equal(f->heartbeat->oldest_unacked_at, 1767225600123ll);
	wire_frame_free(&f);

	/* nothing unacked: every field is zero, still a heartbeat */
	wire_heartbeat(&b, 0, 0);
	assert_int_equal(b.len, 2);
	assert_int_equal(wire_decode(b.data, b.len, MAX, NULL, &f), 0);
	assert_int_equal(f->kind_case, MSOSYNC__FRAME__KIND_HEARTBEAT);
	assert_int_equal(f->heartbeat->head_seq, 0);
	wire_frame_free(&f);

	wire_reject(&b, MSOSYNC__REJECT__CODE__GAP, "expected seq 11", 10);
	assert_int_equal(wire_decode(b.data, b.len, MAX, NULL, &f), 0);
	assert_int_equal(f->kind_case, MSOSYNC__FRAME__KIND_REJECT);
	assert_int_equal(f->reject->code, MSOSYNC__REJECT__CODE__GAP);
	assert_string_equal(f->reject->message, "expected seq 11");
	assert_int_equal(f->reject->acked_seq, 10);
	assert_string_equal(wire_reject_code_name((int)f->reject->code), "gap");
	wire_frame_free(&f);

	/* a code from a newer hub passes: the caller decides */
	wire_reject(&b, (Msosync__Reject__Code)42, NULL, 0);
	assert_int_equal(wire_decode(b.data, b.len, MAX, NULL, &f), 0);
	assert_int_equal(f->kind_case, MSOSYNC__FRAME__KIND_REJECT);
	assert_int_equal(f->reject->code, 42);
	assert_string_equal(f->reject->message, "");
	assert_string_equal(wire_reject_code_name((int)f->reject->code),
	    "unknown");
	wire_frame_free(&f);
	buf_free(&b);
}

static void
test_code_names(void **state)
{
	(void)state;
	assert_string_equal(wire_reject_code_name(0), "unspecified");
	assert_string_equal(wire_reject_code_name(1), "unknown_site");
	assert_string_equal(wire_reject_code_name(2), "wrong_site");
	assert_string_equal(wire_reject_code_name(3), "revoked");
	assert_string_equal(wire_reject_code_name(4), "gap");
	assert_string_equal(wire_reject_code_name(5), "chain_mismatch");
	assert_string_equal(wire_reject_code_name(6), "malformed");
	assert_string_equal(wire_reject_code_name(7), "too_large");
	assert_string_equal(wire_reject_code_name(8), "version");
	assert_string_equal(wire_reject_code_name(9), "full");
	assert_string_equal(wire_reject_code_name(10), "unknown");
	assert_string_equal(wire_reject_code_name(-1), "unknown");
}

/*
 * Event lengths around the varint steps (127/128, 16383/16384) and empty
 * ones, which proto3 leaves out; seqs crossing a varint step too.
 */
static const size_t lens[] = { 0, 1, 90, 127, 128, 300, 16383, 16384, 0, 5 };
#define NLENS	(sizeof(lens) / sizeof(lens[0]))

static void
check_batch(uint64_t first)
{
	struct wire_batch	 wb = { 0 };
	struct buf		 mine = { 0 }, theirs = { 0 };
	Msosync__Frame		 f = MSOSYNC__FRAME__INIT, *d = NULL;
	Msosync__Batch		 batch = MSOSYNC__BATCH__INIT;
	Msosync__Record		 rec[NLENS], *recp[NLENS];
	uint8_t			 hash[NLENS][WIRE_HASH_LEN], *ev[NLENS];
	size_t			 predicted;

	/* no records yet: the frame protobuf-c packs for an empty batch */
	batch.first_seq = first;
	f.kind_case = MSOSYNC__FRAME__KIND_BATCH;
	f.batch = &batch;
	pb_pack(&f, &theirs);
	wire_batch_reset(&wb, first);
	assert_int_equal(wire_batch_len(&wb), theirs.len);
	wire_batch_finish(&wb, &mine);
	assert_int_equal(mine.len, theirs.len);
	assert_memory_equal(mine.data, theirs.data, mine.len);
	for (size_t i = 0; i < NLENS; i++) {
		ev[i] = malloc(lens[i] + 1);
		assert_non_null(ev[i]);
		fill(ev[i], lens[i], (uint8_t)i);
		fill(hash[i], WIRE_HASH_LEN, (uint8_t)(100 + i));
		msosync__record__init(&rec[i]);
		rec[i].seq = first + i;
		rec[i].hash.data = hash[i];
		rec[i].hash.len = WIRE_HASH_LEN;
		rec[i].event.data = ev[i];
		rec[i].event.len = lens[i];
		recp[i] = &rec[i];

		predicted = wire_batch_len_after(&wb, lens[i]);
		wire_batch_add(&wb, first + i, hash[i], ev[i], lens[i]);
		assert_int_equal(wire_batch_len(&wb), predicted);
		wire_batch_finish(&wb, &mine);
		assert_int_equal(mine.len, predicted);
	}
	assert_int_equal(wb.n, NLENS);
	batch.n_records = NLENS;
	batch.records = recp;
	pb_pack(&f, &theirs);

	wire_batch_finish(&wb, &mine);
	assert_int_equal(mine.len, theirs.len);
	assert_memory_equal(mine.data, theirs.data, mine.len);

	assert_int_equal(wire_decode(mine.data, mine.len, MAX, NULL, &d), 0);
	assert_int_equal(d->kind_case, MSOSYNC__FRAME__KIND_BATCH);
	assert_true(d->batch->first_seq == first);
	assert_int_equal(d->batch->n_records, NLENS);
	for (size_t i = 0; i < NLENS; i++) {
		assert_true(d->batch->records[i]->seq == first + i);
		assert_memory_equal(d->batch->records[i]->hash.data, hash[i],
		    WIRE_HASH_LEN);
		assert_int_equal(d->batch->records[i]->event.len, lens[i]);
		if (lens[i] > 0)
			assert_memory_equal(d->batch->records[i]->event.data,
			    ev[i], lens[i]);
	}
	wire_frame_free(&d);

	/* reset keeps nothing of the previous batch */
	wire_batch_reset(&wb, first + NLENS);
	wire_batch_add(&wb, first + NLENS, hash[0], ev[2], lens[2]);
	wire_batch_finish(&wb, &mine);
	batch.first_seq = first + NLENS;
	batch.n_records = 1;
	rec[0].seq = first + NLENS;
	rec[0].event = rec[2].event;
	pb_pack(&f, &theirs);
	assert_int_equal(mine.len, theirs.len);
	assert_memory_equal(mine.data, theirs.data, mine.len);

	for (size_t i = 0; i < NLENS; i++)
		free(ev[i]);
	wire_batch_free(&wb);
	assert_int_equal(wb.n, 0);
	buf_free(&mine);
	buf_free(&theirs);
}

static void
test_batch_matches_protobuf_c(void **state)
{
	(void)state;
	check_batch(1);
	check_batch(120);		/* seqs cross 127 -> 128 */
	check_batch(16380);		/* ... and 16383 -> 16384 */
	check_batch(UINT64_MAX - 20);	/* ten-byte varints */
}

/* A batch of n small records from 'first', by the builder. */
static void
small_batch(struct buf *frame, uint64_t first, size_t n)
{
	struct wire_batch	wb = { 0 };
	uint8_t			hash[WIRE_HASH_LEN] = { 0 };

	wire_batch_reset(&wb, first);
	for (size_t i = 0; i < n; i++)
		wire_batch_add(&wb, first + i, hash, "e", 1);
	wire_batch_finish(&wb, frame);
	wire_batch_free(&wb);
}

/* The kind a frame names by its first field, without decoding it. */
static void
test_peek_kind(void **state)
{
	struct buf	 b = { 0 };
	uint8_t		 epoch[WIRE_EPOCH_LEN] = { 1 };
	static const uint8_t	 odd[][3] = {
		{ 0x08, 0x01 },		/* field 1 as a varint: no kind */
		{ 0x3a, 0x00 },		/* field 7: no kind */
		{ 0x82, 0x01, 0x00 },	/* field 16: no kind */
		{ 0x9a },		/* a tag cut short */
	};
	static const size_t	 oddlen[] = { 2, 2, 3, 1 };

	(void)state;
	wire_hello(&b, 7, epoch, 0, NULL, NULL);
	assert_int_equal(wire_peek_kind(b.data, b.len),
	    MSOSYNC__FRAME__KIND_HELLO);
	wire_welcome(&b, 0, NULL, 0, 0, 0);
	assert_int_equal(wire_peek_kind(b.data, b.len),
	    MSOSYNC__FRAME__KIND_WELCOME);
	small_batch(&b, 1, 3);
	assert_int_equal(wire_peek_kind(b.data, b.len),
	    MSOSYNC__FRAME__KIND_BATCH);
	wire_ack(&b, 3, 4);
	assert_int_equal(wire_peek_kind(b.data, b.len),
	    MSOSYNC__FRAME__KIND_ACK);
	wire_heartbeat(&b, 0, 0);
	assert_int_equal(wire_peek_kind(b.data, b.len),
	    MSOSYNC__FRAME__KIND_HEARTBEAT);
	wire_reject(&b, MSOSYNC__REJECT__CODE__GAP, "x", 1);
	assert_int_equal(wire_peek_kind(b.data, b.len),
	    MSOSYNC__FRAME__KIND_REJECT);
	assert_int_equal(wire_peek_kind(NULL, 0), 0);
	for (size_t i = 0; i < sizeof(oddlen) / sizeof(oddlen[0]); i++)
		assert_int_equal(wire_peek_kind(odd[i], oddlen[i]), 0);
	buf_free(&b);
}

static void
test_size_limit(void **state)
{
	struct buf	 b = { 0 };
	Msosync__Frame	*f = (Msosync__Frame *)&f;

	(void)state;
	small_batch(&b, 1, 10);
	assert_int_equal(wire_decode(b.data, b.len, b.len - 1, NULL, &f),
	    MSOSYNC_ETOOBIG);
	assert_null(f);
	assert_int_equal(wire_decode(b.data, b.len, b.len, NULL, &f), 0);
	assert_int_equal(f->batch->n_records, 10);
	wire_frame_free(&f);

	/* refused on the length alone: the bytes are never read */
	assert_int_equal(wire_decode(b.data, WIRE_MAX_FRAME + 1,
	    WIRE_MAX_FRAME, NULL, &f), MSOSYNC_ETOOBIG);
	assert_null(f);
	buf_free(&b);
}

static void
test_garbage(void **state)
{
	struct buf	 b = { 0 };
	uint8_t		 epoch[WIRE_EPOCH_LEN] = { 1 }, hash[WIRE_HASH_LEN] = { 2 };
	static const uint8_t ff[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t unknown_field[] = { 0x38, 0x01 };	/* 7: 1 */
	static const uint8_t bad_len[] = { 0x0a, 0x7f, 0x08, 0x01 };

	(void)state;
	buf_append(&b, ff, sizeof(ff));
	expect_eproto(&b);

	/* a length that runs past the end */
	buf_reset(&b);
	buf_append(&b, bad_len, sizeof(bad_len));
	expect_eproto(&b);

	/* empty: a Frame with no kind */
	buf_reset(&b);
	expect_eproto(&b);
	{
		Msosync__Frame	*f = NULL;

		assert_int_equal(wire_decode(NULL, 0, MAX, NULL, &f),
		    MSOSYNC_EPROTO);
		assert_null(f);
	}

	/* only a field this version does not know: still no kind */
	buf_reset(&b);
	buf_append(&b, unknown_field, sizeof(unknown_field));
	expect_eproto(&b);

	/* every truncation of a good hello */
	wire_hello(&b, 3, epoch, 10, hash, "0.1.0");
	for (size_t cut = 1; cut < b.len; cut++) {
		struct buf	t = { 0 };

		buf_append(&t, b.data, b.len - cut);
		expect_eproto(&t);
		buf_free(&t);
	}

	/* a truncated batch, its last record cut in the middle of the event */
	small_batch(&b, 1, 3);
	b.len -= 1;
	expect_eproto(&b);
	buf_free(&b);
}

static void
test_bad_hello_welcome(void **state)
{
	struct buf	 b = { 0 };
	Msosync__Frame	 f = MSOSYNC__FRAME__INIT;
	Msosync__Hello	 h = MSOSYNC__HELLO__INIT;
	Msosync__Welcome w = MSOSYNC__WELCOME__INIT;
	uint8_t		 bytes[64] = { 0 };

	(void)state;
	f.kind_case = MSOSYNC__FRAME__KIND_HELLO;
	f.hello = &h;
	h.site_id = 1;
	h.epoch.data = bytes;
	h.head_hash.data = bytes;

	h.epoch.len = 15;
	pb_pack(&f, &b);
	expect_eproto(&b);
	h.epoch.len = 17;
	pb_pack(&f, &b);
	expect_eproto(&b);
	h.epoch.len = 0;
	pb_pack(&f, &b);
	expect_eproto(&b);

	h.epoch.len = WIRE_EPOCH_LEN;
	h.head_hash.len = 31;
	pb_pack(&f, &b);
	expect_eproto(&b);

	/* the same hello with good lengths passes: the refusals were the lengths */
	h.head_hash.len = WIRE_HASH_LEN;
	pb_pack(&f, &b);
	{
		Msosync__Frame	*d = NULL;

		assert_int_equal(wire_decode(b.data, b.len, MAX, NULL, &d), 0);
		wire_frame_free(&d);
	}

	f.kind_case = MSOSYNC__FRAME__KIND_WELCOME;
	f.welcome = &w;
	w.acked_hash.data = bytes;
	w.acked_hash.len = 33;
	pb_pack(&f, &b);
	expect_eproto(&b);
	buf_free(&b);
}

static void
test_bad_batch(void **state)
{
	struct buf	 b = { 0 };
	Msosync__Frame	 f = MSOSYNC__FRAME__INIT;
	Msosync__Batch	 batch = MSOSYNC__BATCH__INIT;
	Msosync__Record	 rec[3], *recp[3];
	uint8_t		 hash[WIRE_HASH_LEN] = { 3 };
	Msosync__Frame	*d = NULL;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		msosync__record__init(&rec[i]);
		rec[i].seq = 5 + i;
		rec[i].hash.data = hash;
		rec[i].hash.len = WIRE_HASH_LEN;
		rec[i].event.data = hash;
		rec[i].event.len = 4;
		recp[i] = &rec[i];
	}
	batch.first_seq = 5;
	batch.n_records = 3;
	batch.records = recp;
	f.kind_case = MSOSYNC__FRAME__KIND_BATCH;
	f.batch = &batch;

	pb_pack(&f, &b);		/* the control: this one is good */
	assert_int_equal(wire_decode(b.data, b.len, MAX, NULL, &d), 0);
	wire_frame_free(&d);

	rec[2].seq = 8;			/* 5, 6, 8 */
	pb_pack(&f, &b);
	expect_eproto(&b);
	rec[2].seq = 7;

	batch.first_seq = 4;		/* records do not start at first_seq */
	pb_pack(&f, &b);
	expect_eproto(&b);
	batch.first_seq = 5;

	rec[1].hash.len = 31;
	pb_pack(&f, &b);
	expect_eproto(&b);
	rec[1].hash.len = 0;
	pb_pack(&f, &b);
	expect_eproto(&b);
	rec[1].hash.len = WIRE_HASH_LEN;

	batch.n_records = 0;		/* empty */
	pb_pack(&f, &b);
	expect_eproto(&b);
	batch.n_records = 3;

	batch.first_seq = 0;		/* seqs start at 1 */
	for (size_t i = 0; i < 3; i++)
		rec[i].seq = i;
	pb_pack(&f, &b);
	expect_eproto(&b);

	/* the last seq there is, then seqs that would wrap past it */
	batch.first_seq = UINT64_MAX;
	batch.n_records = 1;
	rec[0].seq = UINT64_MAX;
	pb_pack(&f, &b);
	assert_int_equal(wire_decode(b.data, b.len, MAX, NULL, &d), 0);
	wire_frame_free(&d);
	batch.n_records = 3;
	batch.first_seq = UINT64_MAX - 1;
	for (size_t i = 0; i < 3; i++)
		rec[i].seq = UINT64_MAX - 1 + i;
	pb_pack(&f, &b);
	expect_eproto(&b);
	buf_free(&b);
}

static void
test_too_many_records(void **state)
{
	struct buf	 b = { 0 };
	Msosync__Frame	*d = NULL;

	(void)state;
	small_batch(&b, 1, WIRE_MAX_RECORDS);
	assert_int_equal(wire_decode(b.data, b.len, MAX, NULL, &d), 0);
	assert_int_equal(d->batch->n_records, WIRE_MAX_RECORDS);
	wire_frame_free(&d);
	small_batch(&b, 1, WIRE_MAX_RECORDS + 1);
	expect_eproto(&b);
	buf_free(&b);
}

/* Two kinds in one frame: protobuf's oneof keeps the last, freeing the first. */
static void
test_last_kind_wins(void **state)
{
	struct buf	 a = { 0 }, b = { 0 };
	uint8_t		 epoch[WIRE_EPOCH_LEN] = { 1 }, hash[WIRE_HASH_LEN] = { 2 };
	Msosync__Frame	*f = NULL;

	(void)state;
	wire_hello(&a, 1, epoch, 5, hash, "x");
	wire_ack(&b, 3, 4);
	buf_append(&a, b.data, b.len);
	assert_int_equal(wire_decode(a.data, a.len, MAX, NULL, &f), 0);
	assert_int_equal(f->kind_case, MSOSYNC__FRAME__KIND_ACK);
	assert_int_equal(f->ack->acked_seq, 3);
	wire_frame_free(&f);

	/* ... and the checks apply to the kind that won: a 15-byte epoch */
	{
		Msosync__Frame	hf = MSOSYNC__FRAME__INIT;
		Msosync__Hello	h = MSOSYNC__HELLO__INIT;

		h.site_id = 1;
		h.epoch.data = epoch;
		h.epoch.len = WIRE_EPOCH_LEN - 1;
		hf.kind_case = MSOSYNC__FRAME__KIND_HELLO;
		hf.hello = &h;
		pb_pack(&hf, &b);
	}
	wire_ack(&a, 3, 4);
	buf_append(&a, b.data, b.len);
	expect_eproto(&a);
	buf_free(&a);
	buf_free(&b);
}

/*
 * A batch unpacked into an arena (as the hub does) holds the same records
 * as one unpacked with malloc; a frame that fails to decode leaves only
 * arena memory, which the reset takes back.
 */
static void
test_decode_into_arena(void **state)
{
	struct wire_batch	 wb = { 0 };
	struct buf		 frame = { 0 };
	struct arena		 a = { 0 };
	ProtobufCAllocator	 pb;
	Msosync__Frame		*f = NULL;
	uint8_t			 hash[WIRE_HASH_LEN];
	char			 ev[64];

	(void)state;
	arena_pb_allocator(&a, &pb);
	wire_batch_reset(&wb, 41);
	for (int i = 0; i < 300; i++) {
		fill(hash, sizeof(hash), i);
		snprintf(ev, sizeof(ev), "event number %d", i);
		wire_batch_add(&wb, 41 + (uint64_t)i, hash, ev, strlen(ev));
	}
	wire_batch_finish(&wb, &frame);
	assert_int_equal(wire_decode(frame.data, frame.len, MAX, &pb, &f), 0);
	assert_true(arena_owns(&a, f));
	assert_int_equal(f->kind_case, MSOSYNC__FRAME__KIND_BATCH);
	assert_int_equal(f->batch->n_records, 300);
	for (int i = 0; i < 300; i++) {
		const Msosync__Record *r = f->batch->records[i];

		fill(hash, sizeof(hash), i);
		snprintf(ev, sizeof(ev), "event number %d", i);
		assert_int_equal(r->seq, 41 + (uint64_t)i);
		assert_memory_equal(r->hash.data, hash, WIRE_HASH_LEN);
		assert_int_equal(r->event.len, strlen(ev));
		assert_memory_equal(r->event.data, ev, strlen(ev));
		assert_true(arena_owns(&a, r->event.data));
	}
	assert_true(a.used > frame.len);
	/* garbage: refused, and nothing to free but the arena (ASan) */
	frame.data[0] ^= 0xff;
	assert_int_equal(wire_decode(frame.data, frame.len, MAX, &pb, &f),
	    MSOSYNC_EPROTO);
	assert_null(f);
	arena_reset(&a);
	assert_int_equal(a.used, 0);
	arena_free(&a);
	wire_batch_free(&wb);
	buf_free(&frame);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_welcome),
		cmocka_unit_test(test_decode_into_arena),
		cmocka_unit_test(test_ack_heartbeat_reject),
		cmocka_unit_test(test_code_names),
		cmocka_unit_test(test_batch_matches_protobuf_c),
		cmocka_unit_test(test_peek_kind),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_bad_hello_welcome),
		cmocka_unit_test(test_bad_batch),
		cmocka_unit_test(test_too_many_records),
		cmocka_unit_test(test_last_kind_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
