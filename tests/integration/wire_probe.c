/*
 * wire_probe: a hostile or odd agent for the hub's integration tests. It is
 * a real CurveZMQ DEALER client with a real key pair, not a mock: it says
 * hello, builds batches of packed events chained exactly as an agent's
 * journal chains them, and then does the one wrong (or right) thing its
 * scenario names, printing each frame the hub answers on a line of its
 * own ("welcome acked_seq=N", "ack acked_seq=N", "reject code=C
 * acked_seq=N message=...", or "none" when nothing came in time).
 *
 * It exits 0 when the hub answered as a careful hub must, 1 when it did
 * not, 2 on a usage or setup error. Scenarios and the answer they want:
 *   hello           welcome
 *   batch           welcome, then an ack of the K events sent
 *   replay          batch, then the same bytes again: an ack, same mark
 *   gap             a batch from acked + 2: reject gap at the mark
 *   tamper          a record altered after hashing: reject chain_mismatch
 *   bad-event       a record that is no Event: reject malformed
 *   foreign-events  events naming --event-site: reject wrong_site
 *   wrong-site      a hello as a site the key is not: reject wrong_site
 *   garbage         bytes that are no Frame: reject malformed
 *   oversize        one byte over ZMQ_MAXMSGSIZE: silence (or too_large),
 *                   then a fresh socket is welcomed
 *   unknown         (or no-answer-expected) a hello from a key the hub
 *                   refuses at the handshake: silence
 * Refusals are checked against the mark the welcome gave. Single-threaded;
 * one run, one scenario.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "buf.h"
#include "chain.h"
#include "events.pb-c.h"
#include "keys.h"
#include "wire.h"

#define ANSWER_MS	5000	/* a hub that fsyncs on a busy disk */
#define SILENCE_MS	1000	/* how long "no answer" is watched */
#define PROBE_VERSION	"wire_probe"

struct probe {
	const char	*endpoint;
	const char	*hub_key;
	struct keypair	*keys;
	uint32_t	 site;
	uint32_t	 event_site;	/* the site the events name */
	uint8_t		 epoch[WIRE_EPOCH_LEN];
	unsigned	 events;
	int		 silence_ms;
	void		*zctx;
	void		*sock;
	struct buf	 frame;
};

/* What one wait for the hub gave. */
enum got {
	GOT_NONE,
	GOT_WELCOME,
	GOT_ACK,
	GOT_REJECT,
	GOT_OTHER
};

struct answer {
	enum got	kind;
	uint64_t	acked_seq;
	uint8_t		acked_hash[WIRE_HASH_LEN];
	int		code;
};

static void
usage(void)
{
	fprintf(stderr, "usage: wire_probe SCENARIO --endpoint EP "
	    "--hub-public-key Z85 --secret-key-file FILE --site N\n"
	    "                  [--epoch HEX32] [--events K] [--silence-ms MS]\n"
	    "                  [--event-site N]\n"
	    "scenarios: hello batch replay gap tamper bad-event wrong-site\n"
	    "           foreign-events (with --event-site) oversize garbage\n"
	    "           unknown (also no-answer-expected)\n");
	exit(2);
}

static int
set_int(void *z, int opt, int v)
{
	return zmq_setsockopt(z, opt, &v, sizeof(v));
}

static int
open_socket(struct probe *p)
{
	int64_t	max = (int64_t)WIRE_MAX_FRAME;

	if ((p->sock = zmq_socket(p->zctx, ZMQ_DEALER)) == NULL)
		goto fail;
	if (zmq_setsockopt(p->sock, ZMQ_CURVE_SERVERKEY, p->hub_key,
	    strlen(p->hub_key)) != 0 ||
	    zmq_setsockopt(p->sock, ZMQ_CURVE_PUBLICKEY, p->keys->public_z85,
	    strlen(p->keys->public_z85)) != 0 ||
	    zmq_setsockopt(p->sock, ZMQ_CURVE_SECRETKEY, p->keys->secret_z85,
	    strlen(p->keys->secret_z85)) != 0 ||
	    zmq_setsockopt(p->sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) != 0 ||
	    set_int(p->sock, ZMQ_LINGER, 0) != 0 ||
	    set_int(p->sock, ZMQ_HANDSHAKE_IVL, 5000) != 0)
		goto fail;
	if (zmq_connect(p->sock, p->endpoint) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "wire_probe: socket: %s\n", zmq_strerror(errno));
	if (p->sock != NULL)
		zmq_close(p->sock);
	p->sock = NULL;
	return -1;
}

static void
close_socket(struct probe *p)
{
	if (p->sock != NULL)
		zmq_close(p->sock);
	p->sock = NULL;
}

static int
send_buf(struct probe *p, const void *data, size_t len)
{
	if (zmq_send(p->sock, data, len, 0) < 0) {
		fprintf(stderr, "wire_probe: send: %s\n", zmq_strerror(errno));
		return -1;
	}
	return 0;
}

/* Print a reject's text on one line whatever bytes the hub put in it. */
static void
print_message(const char *m)
{
	for (; *m != '\0'; m++)
		putchar(*m >= 0x20 && *m < 0x7f ? *m : '?');
}

/* Wait up to 'ms' for one frame and print it. */
static void
wait_answer(struct probe *p, int ms, struct answer *a)
{
	zmq_pollitem_t	 it = { p->sock, 0, ZMQ_POLLIN, 0 };
	zmq_msg_t	 msg;
	Msosync__Frame	*f = NULL;
	int		 rc;

	memset(a, 0, sizeof(*a));
	a->kind = GOT_NONE;
	if ((rc = zmq_poll(&it, 1, ms)) <= 0) {
		printf("none\n");
		goto done;
	}
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, p->sock, 0) < 0) {
		printf("none (recv: %s)\n", zmq_strerror(errno));
		zmq_msg_close(&msg);
		goto done;
	}
	rc = wire_decode(zmq_msg_data(&msg), zmq_msg_size(&msg),
	    WIRE_MAX_FRAME, NULL, &f);
	zmq_msg_close(&msg);
	a->kind = GOT_OTHER;
	if (rc != 0) {
		printf("undecodable\n");
		goto done;
	}
	switch (f->kind_case) {
	case MSOSYNC__FRAME__KIND_WELCOME:
		a->kind = GOT_WELCOME;
		a->acked_seq = f->welcome->acked_seq;
		if (f->welcome->acked_hash.len == WIRE_HASH_LEN)
			memcpy(a->acked_hash, f->welcome->acked_hash.data,
			    WIRE_HASH_LEN);
		else
			memcpy(a->acked_hash, chain_genesis, WIRE_HASH_LEN);
		printf("welcome acked_seq=%llu credit=%u\n",
		    (unsigned long long)a->acked_seq, f->welcome->credit);
		break;
	case MSOSYNC__FRAME__KIND_ACK:
		a->kind = GOT_ACK;
		a->acked_seq = f->ack->acked_seq;
		printf("ack acked_seq=%llu\n", (unsigned long long)a->acked_seq);
		break;
	case MSOSYNC__FRAME__KIND_REJECT:
		a->kind = GOT_REJECT;
		a->code = (int)f->reject->code;
		a->acked_seq = f->reject->acked_seq;
		printf("reject code=%s acked_seq=%llu message=",
		    wire_reject_code_name(a->code),
		    (unsigned long long)a->acked_seq);
		print_message(f->reject->message);
		putchar('\n');
		break;
	default:
		printf("frame kind=%d\n", (int)f->kind_case);
		break;
	}
done:
	fflush(stdout);
	wire_frame_free(&f);
}

static int
hello_as(struct probe *p, uint32_t site, struct answer *a)
{
	wire_hello(&p->frame, site, p->epoch, 0, NULL, PROBE_VERSION);
	if (send_buf(p, p->frame.data, p->frame.len) != 0)
		return -1;
	wait_answer(p, ANSWER_MS, a);
	return 0;
}

/* Hello as our site; 0 only if welcomed. */
static int
hello(struct probe *p, struct answer *a)
{
	if (hello_as(p, p->site, a) != 0)
		return -1;
	return a->kind == GOT_WELCOME ? 0 : -1;
}

static uint32_t
ymd(int64_t ms)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	gmtime_r(&t, &tm);
	return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday);
}

/* One expense event for seq, packed into 'out'; its event_id into id. */
static void
make_event(const struct probe *p, uint64_t seq, struct buf *out,
    char id[64])
{
	Msosync__Event		ev = MSOSYNC__EVENT__INIT;
	Msosync__Expense	ex = MSOSYNC__EXPENSE__INIT;
	struct timespec		ts;
	int64_t			now;
	size_t			len;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	/* the epoch in the id keeps runs with fresh epochs apart */
	snprintf(id, 64, "probe-%02x%02x%02x%02x-%llu", p->epoch[0],
	    p->epoch[1], p->epoch[2], p->epoch[3], (unsigned long long)seq);
	ex.category = MSOSYNC__EXPENSE__CATEGORY__SUPPLIES;
	ex.amount_cents = 1234;
	ex.vendor_id = "probe-vendor";
	ev.schema_version = 1;
	ev.event_id = id;
	ev.site_id = p->event_site;
	ev.seq = seq;
	ev.occurred_at = now - 3600 * 1000;
	ev.recorded_at = now;
	ev.business_date = ymd(ev.occurred_at);
	ev.body_case = MSOSYNC__EVENT__BODY_EXPENSE;
	ev.expense = &ex;
	len = msosync__event__get_packed_size(&ev);
	buf_reset(out);
	buf_reserve(out, len);
	out->len = msosync__event__pack(&ev, (uint8_t *)out->data);
}

/*
 * A batch of p->events records from 'first', chained from 'prev' as a
 * journal chains them. TAMPER: the first record's event loses one byte's
 * worth of truth after it was hashed: the event_id's last character
 * changes, so it still decodes and only the chain can tell. JUNK: the
 * first record is bytes that are no Event, hashed into the chain as they
 * are, so only decoding can tell.
 */
enum flaw {
	FLAW_NONE,
	FLAW_TAMPER,
	FLAW_JUNK
};

static void
make_batch(const struct probe *p, uint64_t first, const uint8_t *prev,
    enum flaw flaw, struct buf *frame)
{
	struct wire_batch	b = { { 0 }, 0, 0 };
	struct buf		ev = { 0 };
	uint8_t			head[CHAIN_HASH_LEN], hash[CHAIN_HASH_LEN];
	char			id[64];

	memcpy(head, prev, CHAIN_HASH_LEN);
	wire_batch_reset(&b, first);
	for (unsigned i = 0; i < p->events; i++) {
		uint64_t seq = first + i;

		make_event(p, seq, &ev, id);
		if (flaw == FLAW_JUNK && i == 0) {
			randombytes_buf(ev.data, ev.len);
			ev.data[0] = 0x0f;	/* a wire type that does not exist */
		}
		chain_hash(head, seq, ev.data, ev.len, hash);
		memcpy(head, hash, CHAIN_HASH_LEN);
		if (flaw == FLAW_TAMPER && i == 0) {
			char *at = memmem(ev.data, ev.len, id, strlen(id));

			/* the id ends with a digit of the seq */
			at += strlen(id) - 1;
			*at = *at == '9' ? '0' : *at + 1;
		}
		wire_batch_add(&b, seq, hash, ev.data, ev.len);
	}
	wire_batch_finish(&b, frame);
	wire_batch_free(&b);
	buf_free(&ev);
}

static int
expect_reject(const struct answer *a, int code, uint64_t acked)
{
	return a->kind == GOT_REJECT && a->code == code &&
	    a->acked_seq == acked;
}

static int
run_batch(struct probe *p, int twice)
{
	struct answer	w, a, again;

	if (hello(p, &w) != 0)
		return 1;
	make_batch(p, w.acked_seq + 1, w.acked_hash, FLAW_NONE, &p->frame);
	if (send_buf(p, p->frame.data, p->frame.len) != 0)
		return 2;
	wait_answer(p, ANSWER_MS, &a);
	if (a.kind != GOT_ACK || a.acked_seq != w.acked_seq + p->events)
		return 1;
	if (!twice)
		return 0;
	/* the very same bytes: every record is now a retransmit */
	if (send_buf(p, p->frame.data, p->frame.len) != 0)
		return 2;
	wait_answer(p, ANSWER_MS, &again);
	return again.kind == GOT_ACK && again.acked_seq == a.acked_seq ? 0 : 1;
}

static int
run_gap(struct probe *p)
{
	struct answer	w, a;

	if (hello(p, &w) != 0)
		return 1;
	make_batch(p, w.acked_seq + 2, w.acked_hash, FLAW_NONE, &p->frame);
	if (send_buf(p, p->frame.data, p->frame.len) != 0)
		return 2;
	wait_answer(p, ANSWER_MS, &a);
	return expect_reject(&a, MSOSYNC__REJECT__CODE__GAP, w.acked_seq) ?
	    0 : 1;
}

/* A batch with a flaw in its first record: refused with 'code' at the
 * mark the welcome gave, nothing of it applied. */
static int
run_flawed(struct probe *p, enum flaw flaw, int code)
{
	struct answer	w, a;

	if (hello(p, &w) != 0)
		return 1;
	make_batch(p, w.acked_seq + 1, w.acked_hash, flaw, &p->frame);
	if (send_buf(p, p->frame.data, p->frame.len) != 0)
		return 2;
	wait_answer(p, ANSWER_MS, &a);
	return expect_reject(&a, code, w.acked_seq) ? 0 : 1;
}

static int
run_wrong_site(struct probe *p)
{
	struct answer	a;

	if (hello_as(p, p->site, &a) != 0)
		return 2;
	return a.kind == GOT_REJECT &&
	    a.code == MSOSYNC__REJECT__CODE__WRONG_SITE ? 0 : 1;
}

static int
run_garbage(struct probe *p)
{
	struct answer	a;
	uint8_t		junk[1024];

	randombytes_buf(junk, sizeof(junk));
	/* field 1 with wire type 7, which does not exist: never a Frame */
	junk[0] = 0x0f;
	if (send_buf(p, junk, sizeof(junk)) != 0)
		return 2;
	wait_answer(p, ANSWER_MS, &a);
	return a.kind == GOT_REJECT &&
	    a.code == MSOSYNC__REJECT__CODE__MALFORMED ? 0 : 1;
}

/*
 * One byte over ZMQ_MAXMSGSIZE: libzmq on the hub drops the connection
 * before the application sees a byte, so silence is right (a hub that
 * read it anyway must say too_large). Then a fresh socket must still be
 * welcomed: the hub is up and holds nothing against the key.
 */
static int
run_oversize(struct probe *p)
{
	struct answer	 a, w;
	size_t		 len = WIRE_MAX_FRAME + 1;
	uint8_t		*big = malloc(len);
	int		 ok;

	if (big == NULL)
		return 2;
	randombytes_buf(big, len);
	big[0] = 0x0f;
	ok = send_buf(p, big, len) == 0;
	free(big);
	if (!ok)
		return 2;
	wait_answer(p, p->silence_ms > ANSWER_MS / 2 ? p->silence_ms :
	    ANSWER_MS / 2, &a);
	if (a.kind != GOT_NONE && !(a.kind == GOT_REJECT &&
	    a.code == MSOSYNC__REJECT__CODE__TOO_LARGE))
		return 1;
	close_socket(p);
	if (open_socket(p) != 0)
		return 2;
	return hello(p, &w) == 0 ? 0 : 1;
}

static int
run_unknown(struct probe *p)
{
	struct answer	a;

	wire_hello(&p->frame, p->site, p->epoch, 0, NULL, PROBE_VERSION);
	if (send_buf(p, p->frame.data, p->frame.len) != 0)
		return 2;
	wait_answer(p, p->silence_ms, &a);
	return a.kind == GOT_NONE ? 0 : 1;
}

static int
parse_epoch(const char *hex, uint8_t *out)
{
	size_t	len;

	if (strlen(hex) != 2 * WIRE_EPOCH_LEN ||
	    sodium_hex2bin(out, WIRE_EPOCH_LEN, hex, strlen(hex), NULL, &len,
	    NULL) != 0 || len != WIRE_EPOCH_LEN)
		return -1;
	return 0;
}

/* A decimal from 0 to max; anything else is a usage error. */
static unsigned long
number(const char *s, unsigned long max)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > max)
		usage();
	return v;
}

int
main(int argc, char **argv)
{
	struct probe	 p;
	const char	*scenario, *keyfile = NULL;
	char		 err[256];
	int		 rc = 2, have_epoch = 0;

	memset(&p, 0, sizeof(p));
	p.events = 3;
	p.silence_ms = SILENCE_MS;
	if (argc < 2)
		usage();
	scenario = argv[1];
	if (argc % 2 != 0)
		usage();	/* the scenario, then options each with a value */
	for (int i = 2; i < argc; i += 2) {
		const char *opt = argv[i], *val = argv[i + 1];

		if (strcmp(opt, "--endpoint") == 0)
			p.endpoint = val;
		else if (strcmp(opt, "--hub-public-key") == 0)
			p.hub_key = val;
		else if (strcmp(opt, "--secret-key-file") == 0)
			keyfile = val;
		else if (strcmp(opt, "--site") == 0)
			p.site = (uint32_t)number(val, UINT32_MAX);
		else if (strcmp(opt, "--event-site") == 0)
			p.event_site = (uint32_t)number(val, UINT32_MAX);
		else if (strcmp(opt, "--events") == 0)
			p.events = (unsigned)number(val, WIRE_MAX_BATCH_EVENTS);
		else if (strcmp(opt, "--silence-ms") == 0)
			p.silence_ms = (int)number(val, 60000);
		else if (strcmp(opt, "--epoch") == 0 &&
		    parse_epoch(val, p.epoch) == 0)
			have_epoch = 1;
		else
			usage();
	}
	if (p.endpoint == NULL || p.hub_key == NULL || keyfile == NULL ||
	    p.site == 0 || p.events == 0 || p.silence_ms == 0)
		usage();
	if (p.event_site == 0)
		p.event_site = p.site;
	if (strcmp(scenario, "foreign-events") == 0 && p.event_site == p.site)
		usage();	/* it needs --event-site, another site */
	if (sodium_init() < 0)
		return 2;
	if (keys_load_secret(keyfile, &p.keys, err, sizeof(err)) != 0) {
		fprintf(stderr, "wire_probe: %s\n", err);
		return 2;
	}
	if (!have_epoch)
		randombytes_buf(p.epoch, sizeof(p.epoch));
	if ((p.zctx = zmq_ctx_new()) == NULL || open_socket(&p) != 0)
		goto done;

	if (strcmp(scenario, "hello") == 0) {
		struct answer w;
		rc = hello(&p, &w) == 0 ? 0 : 1;
	} else if (strcmp(scenario, "batch") == 0)
		rc = run_batch(&p, 0);
	else if (strcmp(scenario, "replay") == 0)
		rc = run_batch(&p, 1);
	else if (strcmp(scenario, "gap") == 0)
		rc = run_gap(&p);
	else if (strcmp(scenario, "tamper") == 0)
		rc = run_flawed(&p, FLAW_TAMPER,
		    MSOSYNC__REJECT__CODE__CHAIN_MISMATCH);
	else if (strcmp(scenario, "bad-event") == 0)
		rc = run_flawed(&p, FLAW_JUNK, MSOSYNC__REJECT__CODE__MALFORMED);
	else if (strcmp(scenario, "foreign-events") == 0)
		rc = run_flawed(&p, FLAW_NONE,
		    MSOSYNC__REJECT__CODE__WRONG_SITE);
	else if (strcmp(scenario, "wrong-site") == 0)
		rc = run_wrong_site(&p);
	else if (strcmp(scenario, "garbage") == 0)
		rc = run_garbage(&p);
	else if (strcmp(scenario, "oversize") == 0)
		rc = run_oversize(&p);
	else if (strcmp(scenario, "unknown") == 0 ||
	    strcmp(scenario, "no-answer-expected") == 0)
		rc = run_unknown(&p);
	else {
		fprintf(stderr, "wire_probe: unknown scenario '%s'\n",
		    scenario);
		rc = 2;
	}
done:
	close_socket(&p);
	if (p.zctx != NULL)
		zmq_ctx_term(p.zctx);
	keys_free(&p.keys);
	buf_free(&p.frame);
	return rc;
}
