/*
 * wire: packing, checking and unpacking the replication frames.
 *
 * Small frames are packed by protobuf-c from structs on the stack. A batch
 * is the one frame built by hand, record by record, because its records
 * can only be read inside a journal scan callback; the encoding written
 * here is the one protobuf-c itself produces for proto3 (fields in number
 * order, zero scalars and empty bytes left out), which test_wire checks
 * byte for byte.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "msosync/error.h"
#include "varint.h"
#include "wire.h"

/* Protobuf wire types and keys. */
#define WT_VARINT	0
#define WT_LEN		2
#define KEY(field, wt)	((uint8_t)((field) << 3 | (wt)))

#define FRAME_BATCH	3	/* Frame.batch */
#define BATCH_FIRST	1	/* Batch.first_seq */
#define BATCH_RECORDS	2	/* Batch.records */
#define RECORD_SEQ	1
#define RECORD_HASH	2
#define RECORD_EVENT	3

static void
put_key(struct buf *b, uint8_t key)
{
	buf_append(b, &key, 1);
}

static void
pack(struct buf *b, const Msosync__Frame *f)
{
	size_t	len = msosync__frame__get_packed_size(f);

	buf_reset(b);
	buf_reserve(b, len);
	b->len = msosync__frame__pack(f, (uint8_t *)b->data);
	assert(b->len == len);
	b->data[b->len] = '\0';
}

static ProtobufCBinaryData
bytes(const uint8_t *p, size_t len)
{
	ProtobufCBinaryData	d;

	d.data = (uint8_t *)p;
	d.len = p != NULL ? len : 0;
	return d;
}

static int
hash_ok(const ProtobufCBinaryData *h)
{
	return h->len == 0 || h->len == WIRE_HASH_LEN;
}

static int
batch_ok(const Msosync__Batch *b)
{
	if (b->n_records == 0 || b->n_records > WIRE_MAX_RECORDS ||
	    b->first_seq == 0 ||
	    b->first_seq > UINT64_MAX - (b->n_records - 1))
		return 0;
	for (size_t i = 0; i < b->n_records; i++) {
		const Msosync__Record	*r = b->records[i];

		if (r == NULL || r->seq != b->first_seq + i ||
		    r->hash.len != WIRE_HASH_LEN)
			return 0;
	}
	return 1;
}

static int
frame_ok(const Msosync__Frame *f)
{
	switch (f->kind_case) {
	case MSOSYNC__FRAME__KIND_HELLO:
		return f->hello != NULL &&
		    f->hello->epoch.len == WIRE_EPOCH_LEN &&
		    hash_ok(&f->hello->head_hash);
	case MSOSYNC__FRAME__KIND_WELCOME:
		return f->welcome != NULL && hash_ok(&f->welcome->acked_hash);
	case MSOSYNC__FRAME__KIND_BATCH:
		return f->batch != NULL && batch_ok(f->batch);
	case MSOSYNC__FRAME__KIND_ACK:
		return f->ack != NULL;
	case MSOSYNC__FRAME__KIND_HEARTBEAT:
		return f->heartbeat != NULL;
	case MSOSYNC__FRAME__KIND_REJECT:
		return f->reject != NULL;
	default:
		return 0;
	}
}

int
wire_decode(const void *data, size_t len, size_t max,
    ProtobufCAllocator *alloc, Msosync__Frame **out)
{
	Msosync__Frame	*f = NULL;

	*out = NULL;
	/* protobuf-c would allocate whatever the bytes claim: bound it first */
	if (len > max)
		return MSOSYNC_ETOOBIG;
	if (data == NULL && len > 0)
		return MSOSYNC_EPROTO;
	f = msosync__frame__unpack(alloc, len, data);
	if (f == NULL || !frame_ok(f))
		goto fail;
	*out = f;
	return 0;
fail:
	if (alloc == NULL)
		wire_frame_free(&f);
	return MSOSYNC_EPROTO;
}

int
wire_peek_kind(const void *data, size_t len)
{
	const uint8_t	*p = data;
	uint64_t	 tag = 0;

	/* a kind's tag is one or two bytes: field 1-6, wire type 2 */
	for (size_t i = 0; i < len && i < 2; i++) {
		tag |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			if ((tag & 7) != WT_LEN || (tag >> 3) < 1 ||
			    (tag >> 3) > MSOSYNC__FRAME__KIND_REJECT)
				return 0;
			return (int)(tag >> 3);
		}
	}
	return 0;
}

void
wire_frame_free(Msosync__Frame **f)
{
	if (*f == NULL)
		return;
	msosync__frame__free_unpacked(*f, NULL);
	*f = NULL;
}

void
wire_hello(struct buf *b, uint32_t site_id, const uint8_t *epoch,
    uint64_t head_seq, const uint8_t *head_hash, const char *agent_version)
{
	Msosync__Frame	f = MSOSYNC__FRAME__INIT;
	Msosync__Hello	h = MSOSYNC__HELLO__INIT;

	h.site_id = site_id;
	h.epoch = bytes(epoch, WIRE_EPOCH_LEN);
	h.head_seq = head_seq;
	h.head_hash = bytes(head_hash, WIRE_HASH_LEN);
	h.protocol_version = WIRE_PROTOCOL_VERSION;
	if (agent_version != NULL)
		h.agent_version = (char *)agent_version;
	f.kind_case = MSOSYNC__FRAME__KIND_HELLO;
	f.hello = &h;
	pack(b, &f);
}

void
wire_welcome(struct buf *b, uint64_t acked_seq, const uint8_t *acked_hash,
    uint32_t max_events, uint32_t max_bytes, uint32_t credit)
{
	Msosync__Frame		f = MSOSYNC__FRAME__INIT;
	Msosync__Welcome	w = MSOSYNC__WELCOME__INIT;

	w.acked_seq = acked_seq;
	w.acked_hash = bytes(acked_hash, WIRE_HASH_LEN);
	w.max_batch_events = max_events;
	w.max_batch_bytes = max_bytes;
	w.credit = credit;
	f.kind_case = MSOSYNC__FRAME__KIND_WELCOME;
	f.welcome = &w;
	pack(b, &f);
}

void
wire_ack(struct buf *b, uint64_t acked_seq, uint32_t credit)
{
	Msosync__Frame	f = MSOSYNC__FRAME__INIT;
	Msosync__Ack	a = MSOSYNC__ACK__INIT;

	a.acked_seq = acked_seq;
	a.credit = credit;
	f.kind_case = MSOSYNC__FRAME__KIND_ACK;
	f.ack = &a;
	pack(b, &f);
}

void
wire_heartbeat(struct buf *b, uint64_t head_seq, int64_t oldest_unacked_at_ms)
{
	Msosync__Frame		f = MSOSYNC__FRAME__INIT;
	Msosync__Heartbeat	h = MSOSYNC__HEARTBEAT__INIT;

	h.head_seq = head_seq;
	h.oldest_unacked_at = oldest_unacked_at_ms;
	f.kind_case = MSOSYNC__FRAME__KIND_HEARTBEAT;
	f.heartbeat = &h;
	pack(b, &f);
}

void
wire_reject(struct buf *b, Msosync__Reject__Code code, const char *message,
    uint64_t acked_seq)
{
	Msosync__Frame	f = MSOSYNC__FRAME__INIT;
	Msosync__Reject	r = MSOSYNC__REJECT__INIT;

	r.code = code;
	if (message != NULL)
		r.message = (char *)message;
	r.acked_seq = acked_seq;
	f.kind_case = MSOSYNC__FRAME__KIND_REJECT;
	f.reject = &r;
	pack(b, &f);
}

const char *
wire_reject_code_name(int code)
{
	static const char *const names[] = {
		[MSOSYNC__REJECT__CODE__CODE_UNSPECIFIED] = "unspecified",
		[MSOSYNC__REJECT__CODE__UNKNOWN_SITE] = "unknown_site",
		[MSOSYNC__REJECT__CODE__WRONG_SITE] = "wrong_site",
		[MSOSYNC__REJECT__CODE__REVOKED] = "revoked",
		[MSOSYNC__REJECT__CODE__GAP] = "gap",
		[MSOSYNC__REJECT__CODE__CHAIN_MISMATCH] = "chain_mismatch",
		[MSOSYNC__REJECT__CODE__MALFORMED] = "malformed",
		[MSOSYNC__REJECT__CODE__TOO_LARGE] = "too_large",
		[MSOSYNC__REJECT__CODE__VERSION] = "version",
		[MSOSYNC__REJECT__CODE__FULL] = "full",
	};

	if (code < 0 || (size_t)code >= sizeof(names) / sizeof(names[0]) ||
	    names[code] == NULL)
		return "unknown";
	return names[code];
}

/* The length of a Record message's own fields (its body). */
static size_t
record_body_len(uint64_t seq, size_t len)
{
	size_t	n = 1 + 1 + WIRE_HASH_LEN;

	if (seq != 0)
		n += 1 + varint_len(seq);
	if (len != 0)
		n += 1 + varint_len(len) + len;
	return n;
}

/* The length of a Batch message's own fields, its records taking 'records'. */
static size_t
batch_body_len(uint64_t first_seq, size_t records)
{
	return records + (first_seq != 0 ? 1 + varint_len(first_seq) : 0);
}

/* The length of the whole Frame{batch}. */
static size_t
frame_len(uint64_t first_seq, size_t records)
{
	size_t	batch = batch_body_len(first_seq, records);

	return 1 + varint_len(batch) + batch;
}

void
wire_batch_reset(struct wire_batch *b, uint64_t first_seq)
{
	buf_reset(&b->body);
	b->first_seq = first_seq;
	b->n = 0;
}

void
wire_batch_free(struct wire_batch *b)
{
	buf_free(&b->body);
	b->first_seq = 0;
	b->n = 0;
}

void
wire_batch_add(struct wire_batch *b, uint64_t seq, const uint8_t *hash,
    const void *event, size_t len)
{
	assert(seq == b->first_seq + b->n);
	buf_reserve(&b->body, 2 + 10 + record_body_len(seq, len));
	put_key(&b->body, KEY(BATCH_RECORDS, WT_LEN));
	buf_put_varint(&b->body, record_body_len(seq, len));
	if (seq != 0) {
		put_key(&b->body, KEY(RECORD_SEQ, WT_VARINT));
		buf_put_varint(&b->body, seq);
	}
	put_key(&b->body, KEY(RECORD_HASH, WT_LEN));
	buf_put_varint(&b->body, WIRE_HASH_LEN);
	buf_append(&b->body, hash, WIRE_HASH_LEN);
	if (len != 0) {
		put_key(&b->body, KEY(RECORD_EVENT, WT_LEN));
		buf_put_varint(&b->body, len);
		buf_append(&b->body, event, len);
	}
	b->n++;
}

size_t
wire_batch_len(const struct wire_batch *b)
{
	return frame_len(b->first_seq, b->body.len);
}

size_t
wire_batch_len_after(const struct wire_batch *b, size_t len)
{
	size_t	rec = record_body_len(b->first_seq + b->n, len);

	return frame_len(b->first_seq,
	    b->body.len + 1 + varint_len(rec) + rec);
}

void
wire_batch_finish(const struct wire_batch *b, struct buf *frame)
{
	buf_reset(frame);
	buf_reserve(frame, frame_len(b->first_seq, b->body.len));
	put_key(frame, KEY(FRAME_BATCH, WT_LEN));
	buf_put_varint(frame, batch_body_len(b->first_seq, b->body.len));
	if (b->first_seq != 0) {
		put_key(frame, KEY(BATCH_FIRST, WT_VARINT));
		buf_put_varint(frame, b->first_seq);
	}
	if (b->body.len > 0)
		buf_append(frame, b->body.data, b->body.len);
}
