/*
 * wire: the codec of the replication protocol (DESIGN §7). Every ZeroMQ
 * message between an agent and the hub is one protobuf Frame; this module
 * packs them and is the one gate every received frame passes: it bounds
 * the size before protobuf-c sees a byte (protobuf-c has no limit of its
 * own) and checks what the schema cannot say (lengths of hashes and
 * epochs, consecutive seqs), so the sender and the receiver only ever
 * read frames that are well formed.
 *
 * The batch builder encodes records one by one while the agent scans its
 * journal, whose pointers are valid only inside the scan callback: each
 * record is copied into the frame as it is read, never held by reference.
 *
 * No state of its own: any thread.
 */
#ifndef MSOSYNC_WIRE_H
#define MSOSYNC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "wire.pb-c.h"

#define WIRE_PROTOCOL_VERSION	1
#define WIRE_DOMAIN		"msosync"	/* ZAP domain (the hub sets it) */
#define WIRE_HASH_LEN		32
#define WIRE_EPOCH_LEN		16

/* Defaults both sides agree on unless the welcome says otherwise. */
#define WIRE_MAX_BATCH_EVENTS	2000
#define WIRE_MAX_BATCH_BYTES	((size_t)1 << 20)	/* a batch frame */
#define WIRE_MAX_FRAME		((size_t)4 << 20)	/* ZMQ_MAXMSGSIZE */
#define WIRE_DEFAULT_CREDIT	8			/* batches unacked */

/* A batch with more records than this is refused whatever was agreed. */
#define WIRE_MAX_RECORDS	(2 * WIRE_MAX_BATCH_EVENTS)

/*
 * Unpack one frame of 'len' bytes. Refuses len > max before unpacking.
 * 'alloc' NULL: malloc, and *out is freed with wire_frame_free; else
 * protobuf-c's allocator (an arena's: the frame goes with the arena, and
 * is never passed to wire_frame_free). On success its kind
 * is set and, per kind:
 *   hello     epoch is WIRE_EPOCH_LEN bytes, head_hash empty or
 *             WIRE_HASH_LEN bytes;
 *   welcome   acked_hash empty or WIRE_HASH_LEN bytes;
 *   batch     1 to WIRE_MAX_RECORDS records, the i-th with seq
 *             first_seq + i (first_seq >= 1) and a WIRE_HASH_LEN hash.
 * Reject codes are not checked: a newer hub may send codes this one does
 * not know, and the caller decides what an unknown one means.
 * Returns 0, MSOSYNC_ETOOBIG, or MSOSYNC_EPROTO (*out is then NULL).
 */
int	wire_decode(const void *data, size_t len, size_t max,
	    ProtobufCAllocator *alloc, Msosync__Frame **out)
	    __attribute__((warn_unused_result));
void	wire_frame_free(Msosync__Frame **f);	/* NULL-safe; *f = NULL */

/*
 * Which kind a packed Frame says it is (MSOSYNC__FRAME__KIND_BATCH, ...)
 * from its first field alone, without decoding it: 0 when that is not a
 * kind. Lets the hub turn away a batch of no session unread; anything it
 * does read still goes through wire_decode.
 */
int	wire_peek_kind(const void *data, size_t len);

/*
 * Encoders: each replaces the content of 'b' with one packed Frame.
 * Hashes are WIRE_HASH_LEN bytes, NULL for none (an empty journal or
 * an empty hub mark); epoch is WIRE_EPOCH_LEN bytes. 'agent_version' and
 * 'message' may be NULL (sent empty).
 */
void	wire_hello(struct buf *b, uint32_t site_id, const uint8_t *epoch,
	    uint64_t head_seq, const uint8_t *head_hash,
	    const char *agent_version);
void	wire_welcome(struct buf *b, uint64_t acked_seq,
	    const uint8_t *acked_hash, uint32_t max_events, uint32_t max_bytes,
	    uint32_t credit);
void	wire_ack(struct buf *b, uint64_t acked_seq, uint32_t credit);
void	wire_heartbeat(struct buf *b, uint64_t head_seq,
	    int64_t oldest_unacked_at_ms);
void	wire_reject(struct buf *b, Msosync__Reject__Code code,
	    const char *message, uint64_t acked_seq);

/* The lower-case name of a reject code ("gap", "revoked", ...), or "unknown". */
const char	*wire_reject_code_name(int code);

/*
 * A batch frame built while scanning. 'body' holds the encoded records
 * (the builder's; reset keeps its memory, wire_batch_free releases it).
 * The bytes are those protobuf-c packs for the equivalent Frame.
 */
struct wire_batch {
	struct buf	body;
	uint64_t	first_seq;
	size_t		n;
};

void	wire_batch_reset(struct wire_batch *b, uint64_t first_seq);
void	wire_batch_free(struct wire_batch *b);	/* leaves it empty, reusable */

/*
 * Append record 'seq', which must be first_seq + n (a programmer error
 * otherwise: it asserts). 'hash' is WIRE_HASH_LEN bytes; 'event' is
 * copied.
 */
void	wire_batch_add(struct wire_batch *b, uint64_t seq, const uint8_t *hash,
	    const void *event, size_t len);

/* The length of the finished frame now, and after adding an event of 'len'. */
size_t	wire_batch_len(const struct wire_batch *b);
size_t	wire_batch_len_after(const struct wire_batch *b, size_t len);

/* Replace the content of 'frame' with the finished Frame{batch}. */
void	wire_batch_finish(const struct wire_batch *b, struct buf *frame);

#endif
