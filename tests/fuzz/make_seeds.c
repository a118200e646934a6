/*
 * fuzz_make_seeds EVENTS.ndjson OUTDIR: write the binary seed corpora of
 * the wire harnesses from valid JSON events, so that the seeds keep up
 * with proto/ when it changes (tests/fuzz/README.md). Each event is
 * decoded, validated and stamped as the agent does (site FUZZ_SITE, the
 * harnesses' fixed "now"), then packed:
 *
 *   OUTDIR/wire_apply/   Frames as an agent sends them: hellos, and
 *                        batches for FUZZ_SITE in fuzz_epoch with correct
 *                        chain hashes (so the seeds themselves reach the
 *                        store's event checks and the aggregates), plus a
 *                        duplicate, a void, a gap, a broken hash, and the
 *                        hub's frames.
 *   OUTDIR/wire_chain/   fuzz_wire_chain's chunk streams (see there).
 *
 * Deterministic: the same events give the same files, byte for byte.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "chain.h"
#include "events.pb-c.h"
#include "fuzz_util.h"
#include "pbjson.h"
#include "validate.h"
#include "wire.h"
#include "xmalloc.h"

#define MAXEV	64

struct packed {
	uint8_t	*data;
	size_t	 len;
};

static Msosync__Event	*ev[MAXEV];
static size_t		 nev;
static const char	*outdir;

static void
die(const char *what)
{
	fprintf(stderr, "fuzz_make_seeds: %s\n", what);
	exit(1);
}

static void
write_file(const char *sub, const char *name, const void *p, size_t len)
{
	char	 path[1024];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s/%s", outdir, sub, name);
	if ((f = fopen(path, "wb")) == NULL)
		die(path);
	if ((len > 0 && fwrite(p, 1, len, f) != len) || fclose(f) != 0)
		die(path);
}

static void
load(const char *path)
{
	static const uint8_t	 pepper[32] = { 1 };
	ProtobufCMessage	*m;
	FILE			*f;
	char			 line[8192], err[PBJSON_ERR_MAX];

	if ((f = fopen(path, "r")) == NULL)
		die(path);
	while (fgets(line, sizeof(line), f) != NULL && nev < MAXEV) {
		if (pbjson_decode_text(&msosync__event__descriptor, line,
		    strlen(line), NULL, &m, err, sizeof(err)) != 0)
			die(err);
		if (validate_event((Msosync__Event *)m, FUZZ_NOW_MS, err,
		    sizeof(err)) != 0)
			die(err);
		validate_stamp((Msosync__Event *)m, FUZZ_SITE, FUZZ_NOW_MS,
		    pepper, NULL);
		ev[nev++] = (Msosync__Event *)m;
	}
	fclose(f);
	if (nev < 8)
		die("need at least 8 events");
}

/* Event i packed as the record 'seq' of the site's journal. */
static struct packed
pack(size_t i, uint64_t seq)
{
	struct packed	p;

	ev[i]->seq = seq;
	p.len = msosync__event__get_packed_size(ev[i]);
	p.data = xmalloc(p.len);
	(void)msosync__event__pack(ev[i], p.data);
	return p;
}

static size_t
find(const char *event_id)
{
	for (size_t i = 0; i < nev; i++)
		if (strcmp(ev[i]->event_id, event_id) == 0)
			return i;
	die(event_id);
	return 0;
}

/*
 * A batch frame of the events idx[0..n) as seqs first, first + 1, ...
 * chained from genesis at seq 1; the record at 'bad' (index, or n for
 * none) gets a wrong hash.
 */
static void
batch(const char *name, const size_t *idx, size_t n, uint64_t first,
    size_t bad)
{
	struct wire_batch	wb = { 0 };
	struct buf		frame = { 0 };
	uint8_t			head[CHAIN_HASH_LEN], h[CHAIN_HASH_LEN];
	struct packed		p;

	memcpy(head, chain_genesis, CHAIN_HASH_LEN);
	wire_batch_reset(&wb, first);
	for (size_t i = 0; i < n; i++) {
		p = pack(idx[i], first + i);
		chain_hash(head, first + i, p.data, p.len, h);
		memcpy(head, h, CHAIN_HASH_LEN);
		if (i == bad)
			h[0] ^= 1;
		wire_batch_add(&wb, first + i, h, p.data, p.len);
		free(p.data);
	}
	wire_batch_finish(&wb, &frame);
	write_file("wire_apply", name, frame.data, frame.len);
	wire_batch_free(&wb);
	buf_free(&frame);
}

static void
wire_seeds(void)
{
	struct buf	b = { 0 };
	uint8_t		epoch[WIRE_EPOCH_LEN], hash[WIRE_HASH_LEN];
	size_t		idx[MAXEV];

	wire_hello(&b, FUZZ_SITE, fuzz_epoch, 0, NULL, "0.1.0");
	write_file("wire_apply", "hello-current-epoch", b.data, b.len);
	memcpy(epoch, fuzz_epoch, sizeof(epoch));
	epoch[0] ^= 0xff;
	memset(hash, 0xab, sizeof(hash));
	wire_hello(&b, FUZZ_SITE, epoch, 42, hash, "0.2.0");
	write_file("wire_apply", "hello-new-epoch", b.data, b.len);
	wire_welcome(&b, 9, hash, WIRE_MAX_BATCH_EVENTS,
	    (uint32_t)WIRE_MAX_BATCH_BYTES, WIRE_DEFAULT_CREDIT);
	write_file("wire_apply", "welcome", b.data, b.len);
	wire_ack(&b, 9, WIRE_DEFAULT_CREDIT);
	write_file("wire_apply", "ack", b.data, b.len);
	wire_heartbeat(&b, 10, 1795000000000LL);
	write_file("wire_apply", "heartbeat", b.data, b.len);
	wire_reject(&b, MSOSYNC__REJECT__CODE__GAP, "expected seq 10", 9);
	write_file("wire_apply", "reject-gap", b.data, b.len);
	buf_free(&b);

	for (size_t i = 0; i < nev; i++)
		idx[i] = i;
	batch("batch-one", idx, 1, 1, 1);
	batch("batch-every-body", idx, nev, 1, nev);
	batch("batch-from-seq-2", idx, 3, 2, 3);
	batch("batch-bad-hash-2nd", idx, 4, 1, 1);
	/* the same event_id twice: the second is a duplicate */
	idx[0] = find("s-1");
	idx[1] = find("p-1");
	idx[2] = find("s-1");
	batch("batch-duplicate", idx, 3, 1, 3);
	/* a sale, its void, and a second void of it */
	idx[0] = find("s-2");
	idx[1] = find("v-1");
	idx[2] = find("v-1");
	batch("batch-void", idx, 2, 1, 2);
}

/* fuzz_wire_chain's chunk: flags, length (2 bytes BE), payload. */
static void
chunk(struct buf *b, unsigned flags, size_t i)
{
	struct packed	p = pack(i, 0);
	uint8_t		hdr[3] = { (uint8_t)flags, (uint8_t)(p.len >> 8),
			    (uint8_t)p.len };

	buf_append(b, hdr, sizeof(hdr));
	buf_append(b, p.data, p.len);
	free(p.data);
}

static void
chain_seeds(void)
{
	struct buf	b = { 0 };
	const uint8_t	raw[] = { 0x40, 0x00, 0x04, 0x0a, 0x02, 0xff, 0xff };

	for (size_t i = 0; i < nev; i++)
		chunk(&b, 0, i);
	write_file("wire_chain", "every-body", b.data, b.len);

	/* batches in one apply, then applies one by one */
	buf_reset(&b);
	for (size_t i = 0; i < 8; i++)
		chunk(&b, i % 3 == 0 ? 0x08 : i % 3 == 1 ? 0x10 : 0, i);
	write_file("wire_chain", "batches-and-applies", b.data, b.len);

	/* a new epoch that replays the old events: duplicates, then new */
	buf_reset(&b);
	for (size_t i = 0; i < 4; i++)
		chunk(&b, 0, i);
	for (size_t i = 0; i < 6; i++)
		chunk(&b, i == 0 ? 0x20 : 0, i);
	write_file("wire_chain", "epoch-replay", b.data, b.len);

	/* a broken hash, the operator's resume, a resend */
	buf_reset(&b);
	chunk(&b, 0, 0);
	chunk(&b, 0, 1);
	chunk(&b, 0x04, 2);
	chunk(&b, 0x10, 3);
	chunk(&b, 0x90, 4);
	write_file("wire_chain", "bad-hash-resume-resend", b.data, b.len);

	/* voids: of a sale, of a payment, of a void, twice */
	buf_reset(&b);
	chunk(&b, 0, find("s-2"));
	chunk(&b, 0, find("p-1"));
	chunk(&b, 0, find("v-1"));
	chunk(&b, 0x10, find("v-2"));
	chunk(&b, 0x10, find("v-1"));
	write_file("wire_chain", "voids", b.data, b.len);

	/* what the agent never sends: another site, a wrong seq, raw bytes */
	buf_reset(&b);
	chunk(&b, 0, 0);
	ev[1]->site_id = FUZZ_SITE + 1;
	chunk(&b, 0x01 | 0x10, 1);
	ev[1]->site_id = FUZZ_SITE;
	chunk(&b, 0x02 | 0x10, 2);
	buf_append(&b, raw, sizeof(raw));
	write_file("wire_chain", "refusals", b.data, b.len);
	buf_free(&b);
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fuzz_make_seeds EVENTS.ndjson OUTDIR\n");
		return 2;
	}
	setenv("TZ", "UTC", 1);
	tzset();
	outdir = argv[2];
	load(argv[1]);
	wire_seeds();
	chain_seeds();
	for (size_t i = 0; i < nev; i++)
		msosync__event__free_unpacked(ev[i], NULL);
	return 0;
}
