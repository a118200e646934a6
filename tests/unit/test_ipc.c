/*
 * Tests for ipc.c (with evzmq.c under it): a real agent core in a temp
 * dir (journal, ingest, the ipc ROUTER on ipc://DIR/ingest.sock) runs its
 * event loop in a thread of its own, and the test thread talks to it as
 * clients do, with libmsosync and with raw ZeroMQ sockets: accepted and
 * duplicate events with their seqs, invalid requests that journal nothing,
 * garbage and odd envelopes answered without harm to the next request,
 * too many events, many clients at once, and the stale ipc file rules.
 * The journal and the ipc counters are read only after the loop thread has
 * been joined.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <zmq.h>

#include "ingest.h"
#include "ingest.pb-c.h"
#include "ipc.h"
#include "journal.h"
#include "msosync/msosync.h"
#include "testutil.h"

#define SITE		7
#define TIMEOUT_MS	10000
#define MAX_MSG		(4 << 20)

#define EV(id, cents) \
	"{\"event_id\":\"" id "\",\"occurred_at\":\"2026-11-20T15:04:05Z\"," \
	"\"sale\":{\"ticket_id\":\"T-1\",\"category\":\"injectables\"," \
	"\"amount_cents\":" #cents ",\"client_id\":\"991\"}}"

struct fx {
	char			 dir[64];
	char			 endpoint[128];
	struct journal		*j;
	struct event_base	*base;
	struct ingest		*in;
	void			*zctx;
	struct ipc		*ipc;
	struct event		*stop_ev;
	int			 stop_pipe[2];
	pthread_t		 loop;
	int			 running;
	uint8_t			 pepper[32];
	void			*raw[4];	/* closed by teardown */
	int			 nraw;
};


static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void *
loop_main(void *arg)
{
	struct fx	*f = arg;

	event_base_dispatch(f->base);
	return NULL;
}

static void
start_loop(struct fx *f)
{
	assert_int_equal(pthread_create(&f->loop, NULL, loop_main, f), 0);
	f->running = 1;
}

/* After this the test thread may read the journal and the counters. */
static void
stop_loop(struct fx *f)
{
	if (!f->running)
		return;
	assert_int_equal(write(f->stop_pipe[1], "x", 1), 1);
	pthread_join(f->loop, NULL);
	f->running = 0;
}

/* A raw client socket, closed by teardown even when an assert fails. */
static void *
raw_socket(struct fx *f, int type)
{
	void	*s;
	int	 zero = 0;

	assert_true(f->nraw < 4);
	assert_non_null(s = zmq_socket(f->zctx, type));
	assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero)),
	    0);
	assert_int_equal(zmq_connect(s, f->endpoint), 0);
	f->raw[f->nraw++] = s;
	return s;
}

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));
	char		 jdir[128];

	assert_non_null(f);
	strcpy(f->dir, "/tmp/msosync-ipc-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(jdir, sizeof(jdir), "%s/journal", f->dir);
	snprintf(f->endpoint, sizeof(f->endpoint), "ipc://%s/ingest.sock",
	    f->dir);
	memset(f->pepper, 0x5a, sizeof(f->pepper));
	assert_int_equal(journal_open(jdir, SITE, 64 << 20, &f->j), 0);
	assert_non_null(f->base = event_base_new());
	assert_int_equal(event_base_priority_init(f->base, 2), 0);
	assert_non_null(f->in = ingest_new(f->base, f->j, SITE, f->pepper));
	assert_non_null(f->zctx = zmq_ctx_new());
	assert_int_equal(ipc_open(f->base, f->zctx, f->endpoint, f->in,
	    MAX_MSG, &f->ipc), 0);
	assert_string_equal(ipc_endpoint(f->ipc), f->endpoint);
	assert_int_equal(pipe(f->stop_pipe), 0);
	f->stop_ev = event_new(f->base, f->stop_pipe[0], EV_READ, on_stop,
	    f->base);
	assert_non_null(f->stop_ev);
	assert_int_equal(event_priority_set(f->stop_ev, 0), 0);
	assert_int_equal(event_add(f->stop_ev, NULL), 0);
	start_loop(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	stop_loop(f);
	for (int i = 0; i < f->nraw; i++)
		zmq_close(f->raw[i]);
	ipc_close(&f->ipc);
	assert_null(f->ipc);
	ingest_free(&f->in);
	event_free(f->stop_ev);
	event_base_free(f->base);
	zmq_ctx_term(f->zctx);
	journal_close(&f->j);
	close(f->stop_pipe[0]);
	close(f->stop_pipe[1]);
	testutil_rm_rf(f->dir);
	free(f);
	return 0;
}

static struct msosync_client *
client(const struct fx *f)
{
	struct msosync_client	*c = NULL;

	assert_int_equal(msosync_connect(f->endpoint, TIMEOUT_MS, &c), 0);
	assert_non_null(c);
	return c;
}

static struct msosync_reply *
submit(struct msosync_client *c, const char *json)
{
	struct msosync_reply	*r = NULL;

	assert_int_equal(msosync_submit_json(c, json, strlen(json), &r), 0);
	assert_non_null(r);
	return r;
}

static void
assert_results(const struct msosync_reply *r, const char *const *ids,
    const uint64_t *seqs, size_t n, int duplicate)
{
	assert_int_equal(r->status, 200);
	assert_int_equal(r->nerrors, 0);
	assert_int_equal(r->nresults, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(r->results[i].event_id, ids[i]);
		assert_int_equal(r->results[i].seq, seqs[i]);
		assert_int_equal(r->results[i].duplicate, duplicate);
	}
}

static void
assert_one_error(const struct msosync_reply *r, int status, size_t index,
    const char *event_id, const char *message)
{
	assert_int_equal(r->status, status);
	assert_int_equal(r->nresults, 0);
	assert_int_equal(r->nerrors, 1);
	assert_int_equal(r->errors[0].index, index);
	if (event_id == NULL)
		assert_null(r->errors[0].event_id);
	else
		assert_string_equal(r->errors[0].event_id, event_id);
	assert_string_equal(r->errors[0].message, message);
}

static void
test_accept_then_duplicate(void **state)
{
	struct fx		*f = *state;
	struct msosync_client	*c = client(f);
	struct msosync_reply	*r;
	const char		*ids[] = { "e1", "e2", "e3" };
	const uint64_t		 seqs[] = { 1, 2, 3 };
	const char		*ndjson = EV("e1", 45000) "\n"
				    EV("e2", 1200) "\n\n" EV("e3", 0) "\n";

	r = submit(c, ndjson);
	assert_results(r, ids, seqs, 3, 0);
	msosync_reply_free(&r);
	assert_null(r);

	r = submit(c, ndjson);
	assert_results(r, ids, seqs, 3, 1);
	msosync_reply_free(&r);

	/* the same events as an array, in another order: still duplicates */
	r = submit(c, "[" EV("e3", 0) "," EV("e1", 45000) "]");
	assert_int_equal(r->status, 200);
	assert_int_equal(r->nresults, 2);
	assert_int_equal(r->results[0].seq, 3);
	assert_int_equal(r->results[1].seq, 1);
	assert_int_equal(r->results[0].duplicate, 1);
	msosync_reply_free(&r);

	msosync_close(&c);
	assert_null(c);
	stop_loop(f);
	assert_int_equal(journal_head_seq(f->j), 3);
	assert_int_equal(ipc_stats(f->ipc)->requests, 3);
	assert_int_equal(ipc_stats(f->ipc)->replies, 3);
	assert_int_equal(ipc_stats(f->ipc)->malformed, 0);
	assert_int_equal(ingest_stats(f->in)->accepted, 3);
	assert_int_equal(ingest_stats(f->in)->duplicates, 5);
}

static void
test_invalid_journals_nothing(void **state)
{
	struct fx		*f = *state;
	struct msosync_client	*c = client(f);
	struct msosync_reply	*r;
	const char		*id1[] = { "ok-1" }, *id2[] = { "ok-2" };
	const uint64_t		 seq1[] = { 1 }, seq2[] = { 2 };

	r = submit(c, EV("ok-1", 100));
	assert_results(r, id1, seq1, 1, 0);
	msosync_reply_free(&r);

	r = submit(c, EV("neg", -1));
	assert_one_error(r, 400, 0, "neg", "sale.amount_cents: must be ≥ 0");
	msosync_reply_free(&r);

	/* all or nothing: the good event before the bad one is not kept */
	r = submit(c, EV("good", 5) "\n" EV("bad", -500) "\n");
	assert_one_error(r, 400, 1, "bad", "sale.amount_cents: must be ≥ 0");
	msosync_reply_free(&r);

	/* a field only the agent may set */
	r = submit(c, "{\"event_id\":\"s\",\"site_id\":9,"
	    "\"occurred_at\":\"2026-11-20T15:04:05Z\",\"sale\":{"
	    "\"ticket_id\":\"T\",\"category\":\"laser\",\"amount_cents\":1}}");
	assert_int_equal(r->status, 400);
	assert_int_equal(r->nerrors, 1);
	assert_string_equal(r->errors[0].event_id, "s");
	msosync_reply_free(&r);

	/* the head did not move: the next new event is seq 2 */
	r = submit(c, EV("ok-2", 100));
	assert_results(r, id2, seq2, 1, 0);
	msosync_reply_free(&r);

	/* "good" was never journaled, so it is new now */
	r = submit(c, EV("good", 5));
	assert_int_equal(r->status, 200);
	assert_int_equal(r->results[0].seq, 3);
	assert_int_equal(r->results[0].duplicate, 0);
	msosync_reply_free(&r);

	msosync_close(&c);
	stop_loop(f);
	assert_int_equal(journal_head_seq(f->j), 3);
	assert_int_equal(ipc_stats(f->ipc)->requests, 6);
}

/* Send 'n' frames on a raw socket, then read the answer's frames. */
static size_t
raw_exchange(void *s, const void *const *data, const size_t *len, size_t n,
    zmq_msg_t *out, size_t max)
{
	size_t	got = 0;
	int	more, timeout = TIMEOUT_MS;

	assert_int_equal(zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout,
	    sizeof(timeout)), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(zmq_send(s, data[i], len[i],
		    i + 1 < n ? ZMQ_SNDMORE : 0), (int)len[i]);
	do {
		assert_true(got < max);
		zmq_msg_init(&out[got]);
		assert_true(zmq_msg_recv(&out[got], s, 0) >= 0);
		more = zmq_msg_more(&out[got]);
		got++;
	} while (more);
	return got;
}

/* The reply, whose bytes must be protobuf-c's (the OK ones are hand-made). */
static Msosync__SubmitReply *
unpack_reply(zmq_msg_t *m)
{
	Msosync__SubmitReply	*rep;
	uint8_t			*again;
	size_t			 len;

	rep = msosync__submit_reply__unpack(NULL, zmq_msg_size(m),
	    zmq_msg_data(m));
	assert_non_null(rep);
	len = msosync__submit_reply__get_packed_size(rep);
	assert_int_equal(len, zmq_msg_size(m));
	assert_non_null(again = malloc(len ? len : 1));
	assert_int_equal(msosync__submit_reply__pack(rep, again), len);
	assert_memory_equal(again, zmq_msg_data(m), len);
	free(again);
	return rep;
}

static void
assert_malformed(Msosync__SubmitReply *rep)
{
	assert_int_equal(rep->status, 400);
	assert_int_equal(rep->n_results, 0);
	assert_int_equal(rep->n_errors, 1);
	assert_int_equal(rep->errors[0]->index, 0);
	assert_string_equal(rep->errors[0]->error,
	    "malformed request: not a SubmitRequest");
	msosync__submit_reply__free_unpacked(rep, NULL);
}

static void
test_garbage_then_valid(void **state)
{
	struct fx		*f = *state;
	struct msosync_client	*c;
	struct msosync_reply	*r;
	void			*req, *dealer;
	zmq_msg_t		 m[4];
	const char		 garbage[] = "\xff\xff\xff\xff\x0f garbage";
	const void		*data[2];
	size_t			 len[2], n;
	const char		*ids[] = { "after" };
	const uint64_t		 seqs[] = { 1 };

	/* a REQ socket sending garbage gets a 400, as REQ expects it */
	req = raw_socket(f, ZMQ_REQ);
	data[0] = garbage;
	len[0] = sizeof(garbage) - 1;
	n = raw_exchange(req, data, len, 1, m, 4);
	assert_int_equal(n, 1);
	assert_malformed(unpack_reply(&m[0]));
	zmq_msg_close(&m[0]);

	/* an empty SubmitRequest is well formed: the ingest refuses it */
	data[0] = "";
	len[0] = 0;
	n = raw_exchange(req, data, len, 1, m, 4);
	assert_int_equal(n, 1);
	{
		Msosync__SubmitReply *rep = unpack_reply(&m[0]);

		assert_int_equal(rep->status, 400);
		assert_int_equal(rep->n_errors, 1);
		assert_string_equal(rep->errors[0]->error,
		    "no events in request");
		msosync__submit_reply__free_unpacked(rep, NULL);
	}
	zmq_msg_close(&m[0]);

	/* a DEALER: the envelope it sends is the envelope it gets back */
	dealer = raw_socket(f, ZMQ_DEALER);
	data[0] = "";
	len[0] = 0;
	data[1] = garbage;
	len[1] = sizeof(garbage) - 1;
	n = raw_exchange(dealer, data, len, 2, m, 4);
	assert_int_equal(n, 2);
	assert_int_equal(zmq_msg_size(&m[0]), 0);
	assert_malformed(unpack_reply(&m[1]));
	zmq_msg_close(&m[0]);
	zmq_msg_close(&m[1]);
	/* ... and without the empty delimiter, the bare reply */
	n = raw_exchange(dealer, &data[1], &len[1], 1, m, 4);
	assert_int_equal(n, 1);
	assert_malformed(unpack_reply(&m[0]));
	zmq_msg_close(&m[0]);

	/* the loop still serves the next valid request */
	c = client(f);
	r = submit(c, EV("after", 10));
	assert_results(r, ids, seqs, 1, 0);
	msosync_reply_free(&r);
	msosync_close(&c);

	stop_loop(f);
	assert_int_equal(journal_head_seq(f->j), 1);
	assert_int_equal(ipc_stats(f->ipc)->requests, 5);
	assert_int_equal(ipc_stats(f->ipc)->malformed, 3);
	assert_int_equal(ipc_stats(f->ipc)->replies, 5);
}

static void
test_too_many_events(void **state)
{
	struct fx		*f = *state;
	Msosync__SubmitRequest	 sr = MSOSYNC__SUBMIT_REQUEST__INIT;
	Msosync__Event		 ev = MSOSYNC__EVENT__INIT;
	Msosync__Event		**evs;
	Msosync__SubmitReply	*rep;
	size_t			 n = INGEST_MAX_EVENTS + 1, len, got;
	void			*req;
	uint8_t			*buf;
	zmq_msg_t		 m[2];
	const void		*data[1];

	evs = calloc(n, sizeof(*evs));
	assert_non_null(evs);
	ev.event_id = "x";
	for (size_t i = 0; i < n; i++)
		evs[i] = &ev;
	sr.n_events = n;
	sr.events = evs;
	len = msosync__submit_request__get_packed_size(&sr);
	assert_true(len < MAX_MSG);
	buf = malloc(len);
	assert_non_null(buf);
	msosync__submit_request__pack(&sr, buf);

	req = raw_socket(f, ZMQ_REQ);
	data[0] = buf;
	got = raw_exchange(req, data, &len, 1, m, 2);
	assert_int_equal(got, 1);
	rep = unpack_reply(&m[0]);
	assert_int_equal(rep->status, 413);
	assert_int_equal(rep->n_errors, 1);
	assert_string_equal(rep->errors[0]->error,
	    "too many events in one request");
	msosync__submit_reply__free_unpacked(rep, NULL);
	zmq_msg_close(&m[0]);
	free(buf);
	free(evs);

	stop_loop(f);
	assert_int_equal(journal_head_seq(f->j), 0);
	assert_int_equal(ipc_stats(f->ipc)->too_large, 1);
}

/*
 * Events that reach the ingest as protobuf, not JSON, are validated just
 * the same: the mapper is not the only gate.
 */
static void
test_protobuf_validated(void **state)
{
	struct fx		*f = *state;
	Msosync__SubmitRequest	 sr = MSOSYNC__SUBMIT_REQUEST__INIT;
	Msosync__Event		 ev = MSOSYNC__EVENT__INIT;
	Msosync__Sale		 sale = MSOSYNC__SALE__INIT;
	Msosync__Event		*evs[1] = { &ev };
	Msosync__SubmitReply	*rep;
	uint8_t			 buf[512];
	size_t			 len, got;
	void			*req;
	zmq_msg_t		 m[2];
	const void		*data[1] = { buf };

	ev.event_id = "pb-1";
	ev.occurred_at = 1795000000000LL;	/* 2026-11-18 */
	ev.body_case = MSOSYNC__EVENT__BODY_SALE;
	ev.sale = &sale;
	sale.ticket_id = "T-9";
	sale.category = MSOSYNC__SALE__CATEGORY__LASER;
	sale.amount_cents = -7;
	sr.n_events = 1;
	sr.events = evs;
	len = msosync__submit_request__get_packed_size(&sr);
	assert_true(len < sizeof(buf));
	msosync__submit_request__pack(&sr, buf);

	req = raw_socket(f, ZMQ_REQ);
	got = raw_exchange(req, data, &len, 1, m, 2);
	assert_int_equal(got, 1);
	rep = unpack_reply(&m[0]);
	assert_int_equal(rep->status, 400);
	assert_int_equal(rep->n_errors, 1);
	assert_string_equal(rep->errors[0]->event_id, "pb-1");
	assert_string_equal(rep->errors[0]->error,
	    "sale.amount_cents: must be ≥ 0");
	msosync__submit_reply__free_unpacked(rep, NULL);
	zmq_msg_close(&m[0]);

	sale.amount_cents = 7;
	len = msosync__submit_request__get_packed_size(&sr);
	msosync__submit_request__pack(&sr, buf);
	got = raw_exchange(req, data, &len, 1, m, 2);
	assert_int_equal(got, 1);
	rep = unpack_reply(&m[0]);
	assert_int_equal(rep->status, 200);
	assert_int_equal(rep->n_results, 1);
	assert_string_equal(rep->results[0]->event_id, "pb-1");
	assert_int_equal(rep->results[0]->seq, 1);
	assert_int_equal(rep->results[0]->status,
	    MSOSYNC__SUBMIT_RESULT__STATUS__ACCEPTED);
	msosync__submit_reply__free_unpacked(rep, NULL);
	zmq_msg_close(&m[0]);

	stop_loop(f);
	assert_int_equal(journal_head_seq(f->j), 1);
}

#define NCLIENTS	8
#define PER_CLIENT	25

struct worker {
	const struct fx	*f;
	int		 id;
	int		 failures;	/* checked by the test thread */
	uint64_t	 seqsum;
};

static void *
worker_main(void *arg)
{
	struct worker		*w = arg;
	struct msosync_client	*c = NULL;
	struct msosync_reply	*r = NULL;
	char			 json[512];

	if (msosync_connect(w->f->endpoint, TIMEOUT_MS, &c) != 0) {
		w->failures++;
		return NULL;
	}
	for (int i = 0; i < PER_CLIENT; i++) {
		snprintf(json, sizeof(json), "{\"event_id\":\"w%d-%d\","
		    "\"occurred_at\":\"2026-11-20T15:04:05Z\",\"payment\":{"
		    "\"ticket_id\":\"T-%d\",\"amount_cents\":%d,"
		    "\"method\":\"card\"}}", w->id, i, i, 100 + i);
		if (msosync_submit_json(c, json, strlen(json), &r) != 0 ||
		    r->status != 200 || r->nresults != 1 ||
		    r->results[0].duplicate) {
			w->failures++;
		} else
			w->seqsum += r->results[0].seq;
		msosync_reply_free(&r);
	}
	msosync_close(&c);
	return NULL;
}

/* n events "pl-<req>-<k>" as NDJSON, the last 'dup' of them from req 1. */
static char *
pipelined_body(int req, int n, int dup)
{
	struct { char *p; size_t len; } b = { NULL, 0 };
	FILE	*fp = open_memstream(&b.p, &b.len);

	assert_non_null(fp);
	for (int k = 0; k < n; k++)
		fprintf(fp, "{\"event_id\":\"pl-%d-%d\",\"occurred_at\":"
		    "\"2026-11-20T15:04:05Z\",\"sale\":{\"ticket_id\":\"T\","
		    "\"category\":\"injectables\",\"amount_cents\":5}}\n",
		    k >= n - dup ? 1 : req, k >= n - dup ? k - (n - dup) : k);
	fclose(fp);
	return b.p;
}

/*
 * One client, eight requests in flight (one large enough for the workers,
 * one holding events of another): every answer reaches its ticket, every
 * new event gets one seq of 1..N, a repeat gets its first seq.
 */
static void
test_pipelined(void **state)
{
	struct fx		*f = *state;
	struct msosync_client	*c = client(f);
	struct msosync_reply	*r[9] = { 0 };
	int			 size[9] = { 0, 10, 10, 10, 10, 300, 10, 10, 10 };
	uint64_t		 ticket, sum = 0, n = 0, dupseq[3];
	int			 seen = 0;

	for (int i = 1; i <= 8; i++) {
		char *body = pipelined_body(i, size[i], i == 3 ? 3 : 0);

		assert_int_equal(msosync_send_json(c, body, strlen(body),
		    &ticket), 0);
		assert_int_equal(ticket, (uint64_t)i);
		free(body);
	}
	assert_int_equal(msosync_in_flight(c), 8);
	for (int i = 1; i <= 8; i++) {
		struct msosync_reply *rep = NULL;

		assert_int_equal(msosync_recv_reply(c, &ticket, &rep), 0);
		assert_true(ticket >= 1 && ticket <= 8);
		assert_null(r[ticket]);
		r[ticket] = rep;
		seen++;
	}
	assert_int_equal(seen, 8);
	assert_int_equal(msosync_in_flight(c), 0);
	for (int i = 1; i <= 8; i++) {
		assert_int_equal(r[i]->status, 200);
		assert_int_equal(r[i]->nresults, (size_t)size[i]);
		for (size_t k = 0; k < r[i]->nresults; k++) {
			char id[32];

			snprintf(id, sizeof(id), "pl-%d-%zu",
			    i == 3 && k >= 7 ? 1 : i, i == 3 && k >= 7 ?
			    k - 7 : k);
			assert_string_equal(r[i]->results[k].event_id, id);
			if (r[i]->results[k].duplicate)
				continue;
			sum += r[i]->results[k].seq;
			n++;
		}
	}
	/* request 3 repeats request 1's first three events */
	for (size_t k = 0; k < 3; k++) {
		dupseq[k] = r[3]->results[7 + k].seq;
		assert_int_equal(r[3]->results[7 + k].duplicate, 1);
		assert_int_equal(dupseq[k], r[1]->results[k].seq);
	}
	assert_int_equal(n, 367);
	assert_int_equal(sum, n * (n + 1) / 2);
	for (int i = 1; i <= 8; i++)
		msosync_reply_free(&r[i]);
	msosync_close(&c);
	stop_loop(f);
	assert_int_equal(journal_head_seq(f->j), 367);
	assert_int_equal(ipc_stats(f->ipc)->replies, 8);
}

/* Clients at once: every event journaled once, seqs 1..N each given once. */
static void
test_many_clients(void **state)
{
	struct fx	*f = *state;
	struct worker	 w[NCLIENTS];
	pthread_t	 t[NCLIENTS];
	uint64_t	 sum = 0, n = NCLIENTS * PER_CLIENT;

	for (int i = 0; i < NCLIENTS; i++) {
		w[i] = (struct worker){ .f = f, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main,
		    &w[i]), 0);
	}
	for (int i = 0; i < NCLIENTS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
		sum += w[i].seqsum;
	}
	assert_int_equal(sum, n * (n + 1) / 2);
	stop_loop(f);
	assert_int_equal(journal_head_seq(f->j), n);
	assert_int_equal(ipc_stats(f->ipc)->replies, n);
	assert_int_equal(ipc_stats(f->ipc)->replies_dropped, 0);
}

static void
test_client_gone(void **state)
{
	struct fx	*f = *state;
	void		*d;
	const char	 body[] = "\x01";	/* truncated: malformed */

	/* ask, then vanish before the answer can be read */
	d = raw_socket(f, ZMQ_DEALER);
	assert_int_equal(zmq_send(d, "", 0, ZMQ_SNDMORE), 0);
	assert_int_equal(zmq_send(d, body, 1, 0), 1);
	/* the agent goes on with the next client */
	{
		struct msosync_client	*c = client(f);
		struct msosync_reply	*r = submit(c, EV("next", 1));

		assert_int_equal(r->status, 200);
		assert_int_equal(r->results[0].seq, 1);
		msosync_reply_free(&r);
		msosync_close(&c);
	}
	stop_loop(f);
	/* the first request may or may not have arrived before the close */
	assert_true(ipc_stats(f->ipc)->requests >= 1);
	assert_int_equal(ipc_stats(f->ipc)->requests,
	    ipc_stats(f->ipc)->replies + ipc_stats(f->ipc)->replies_dropped);
}

/* A frame over max_msg_bytes: libzmq drops the sender, the agent goes on. */
static void
test_oversize_frame(void **state)
{
	struct fx		*f = *state;
	struct msosync_client	*c;
	struct msosync_reply	*r;
	size_t			 big = MAX_MSG + 1;
	char			*buf = calloc(1, big);
	void			*d;
	zmq_pollitem_t		 pi;

	assert_non_null(buf);
	d = raw_socket(f, ZMQ_DEALER);
	assert_int_equal(zmq_send(d, "", 0, ZMQ_SNDMORE), 0);
	assert_int_equal(zmq_send(d, buf, big, 0), (int)big);
	pi = (zmq_pollitem_t){ .socket = d, .events = ZMQ_POLLIN };
	assert_int_equal(zmq_poll(&pi, 1, 300), 0);	/* no answer */
	free(buf);

	c = client(f);
	r = submit(c, EV("small", 1));
	assert_int_equal(r->status, 200);
	assert_int_equal(r->results[0].seq, 1);
	msosync_reply_free(&r);
	msosync_close(&c);
	stop_loop(f);
	assert_int_equal(ipc_stats(f->ipc)->requests, 1);
}

/*
 * ipc_close while the ingest still holds a request: the request is
 * journaled, its reply goes nowhere, and nothing is freed twice (ASan).
 * A low-priority event queued ahead of the ingest's commit breaks the
 * loop after the ipc read (priority 0) and before the commit (priority
 * 1), so the request is still on a worker or queued when the ipc closes.
 */
static void
test_close_with_request_in_flight(void **state)
{
	struct fx	*f = *state;
	struct event	*brk;
	void		*req;
	zmq_pollitem_t	 pi;
	Msosync__SubmitRequest	 sr = MSOSYNC__SUBMIT_REQUEST__INIT;
	Msosync__Event		 ev = MSOSYNC__EVENT__INIT;
	Msosync__Payment	 pay = MSOSYNC__PAYMENT__INIT;
	Msosync__Event		*evs[1] = { &ev };
	uint8_t			 buf[256];
	size_t			 len;

	stop_loop(f);
	ev.event_id = "inflight";
	ev.occurred_at = 1795000000000LL;
	ev.body_case = MSOSYNC__EVENT__BODY_PAYMENT;
	ev.payment = &pay;
	pay.ticket_id = "T-1";
	pay.amount_cents = 10;
	pay.method = MSOSYNC__PAYMENT__METHOD__CASH;
	sr.n_events = 1;
	sr.events = evs;
	len = msosync__submit_request__pack(&sr, buf);

	req = raw_socket(f, ZMQ_REQ);
	assert_int_equal(zmq_send(req, buf, len, 0), (int)len);
	usleep(100000);
	assert_non_null(brk = event_new(f->base, -1, 0, on_stop, f->base));
	assert_int_equal(event_priority_set(brk, 1), 0);
	event_active(brk, 0, 0);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	event_free(brk);
	assert_int_equal(ipc_stats(f->ipc)->requests, 1);
	assert_int_equal(journal_head_seq(f->j), 0);	/* not yet committed */
	ipc_close(&f->ipc);
	/* it may still be on an ingest worker: wait for its commit */
	for (int i = 0; i < 200 && journal_head_seq(f->j) == 0; i++) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		usleep(5000);
	}
	assert_int_equal(journal_head_seq(f->j), 1);
	pi = (zmq_pollitem_t){ .socket = req, .events = ZMQ_POLLIN };
	assert_int_equal(zmq_poll(&pi, 1, 200), 0);	/* no reply came */
}

/* The ipc file rules, on an ipc of its own beside the fixture's. */
static void
test_stale_socket_file(void **state)
{
	struct fx		*f = *state;
	struct ipc		*other = NULL;
	struct sockaddr_un	 sun;
	struct stat		 st;
	char			 path[128], ep[160];
	int			 fd;

	stop_loop(f);		/* ipc_open is loop-thread only */

	/* a live agent's socket is not stolen */
	assert_int_equal(ipc_open(f->base, f->zctx, f->endpoint, f->in,
	    MAX_MSG, &other), -EADDRINUSE);
	assert_null(other);

	/* a plain file is never removed */
	snprintf(path, sizeof(path), "%s/plain", f->dir);
	snprintf(ep, sizeof(ep), "ipc://%s", path);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ipc_open(f->base, f->zctx, ep, f->in, MAX_MSG,
	    &other), -EEXIST);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* a dead socket is */
	snprintf(path, sizeof(path), "%s/stale.sock", f->dir);
	snprintf(ep, sizeof(ep), "ipc://%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);		/* bound, never listened: nobody answers */
	assert_int_equal(ipc_open(f->base, f->zctx, ep, f->in, MAX_MSG,
	    &other), 0);
	assert_string_equal(ipc_endpoint(other), ep);
	ipc_close(&other);
	assert_null(other);

	/* a malformed endpoint */
	assert_int_equal(ipc_open(f->base, f->zctx, "nonsense", f->in,
	    MAX_MSG, &other), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accept_then_duplicate,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_journals_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_then_valid,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_events,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_protobuf_validated,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_clients,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_gone,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize_frame,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_close_with_request_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket_file,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
