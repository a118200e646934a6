/*
 * Tests for libmsosync (client/lib/msosync.c) on its own, against a fake
 * agent: a ROUTER in a thread that answers each request as a script says
 * (late, garbled, with the wrong shape, or properly). Covers local
 * refusals that never reach the socket, the timeout and the reconnect
 * that keeps a late answer from being taken for the next request,
 * garbled answers, pipelined requests answered out of order, argument
 * checks and the version. The real agent is
 * test_ipc's.
 */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "ingest.pb-c.h"
#include "msosync/msosync.h"
#include "testutil.h"

#define EV(id, cents) \
	"{\"event_id\":\"" id "\",\"occurred_at\":\"2026-11-20T15:04:05Z\"," \
	"\"sale\":{\"ticket_id\":\"T-1\",\"category\":\"injectables\"," \
	"\"amount_cents\":" #cents "}}"

enum answer {
	ANSWER_OK,		/* 200, seq = base_seq + i */
	ANSWER_GARBAGE,		/* [empty][not a SubmitReply] */
	ANSWER_NO_DELIMITER,	/* [SubmitReply] alone */
	ANSWER_SHORT,		/* 200 with one result too few */
	ANSWER_WRONG_ID,	/* 200 naming another event */
	ANSWER_OTHER_TICKET,	/* 200 echoing a request_id never sent */
};

struct step {
	enum answer	answer;
	int		delay_ms;	/* before answering */
	uint64_t	base_seq;
};

#define MAXSTEPS	8

struct fake {
	char		 dir[64];
	char		 endpoint[128];
	void		*ctx;
	void		*router;
	pthread_t	 thread;
	struct step	 steps[MAXSTEPS];
	size_t		 nsteps;
	/* filled by the thread, read after the join */
	size_t		 served;
	size_t		 idlen[MAXSTEPS];
	uint8_t		 id[MAXSTEPS][256];
	size_t		 nevents[MAXSTEPS];
	uint64_t	 request_id[MAXSTEPS];
	int		 reverse;	/* read every request, then answer */
	int		 repacked_differs;
};


static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
send_reply(void *s, const uint8_t *id, size_t idlen, int delimiter,
    const void *body, size_t len)
{
	zmq_send(s, id, idlen, ZMQ_SNDMORE);
	if (delimiter)
		zmq_send(s, "", 0, ZMQ_SNDMORE);
	zmq_send(s, body, len, 0);
}

/* Read the request of step s: its sender and events. NULL on failure. */
static Msosync__SubmitRequest *
fake_read(struct fake *fk, size_t s)
{
	Msosync__SubmitRequest	*req;
	zmq_msg_t		 part[3];
	size_t			 n = 0;
	int			 more;

	do {
		zmq_msg_init(&part[n]);
		if (zmq_msg_recv(&part[n], fk->router, 0) < 0)
			return NULL;
		more = zmq_msg_more(&part[n]);
		if (n < 3)
			n++;
		else
			zmq_msg_close(&part[n]);
	} while (more);
	if (n != 3 && n != 2)
		return NULL;
	fk->idlen[s] = zmq_msg_size(&part[0]);
	memcpy(fk->id[s], zmq_msg_data(&part[0]), fk->idlen[s]);
	req = msosync__submit_request__unpack(NULL,
	    zmq_msg_size(&part[n - 1]), zmq_msg_data(&part[n - 1]));
	/* libmsosync packs requests by hand: as protobuf-c would, exactly */
	if (req != NULL) {
		size_t	 len = msosync__submit_request__get_packed_size(req);
		uint8_t	*again = malloc(len ? len : 1);

		if (again == NULL ||
		    msosync__submit_request__pack(req, again) != len ||
		    len != zmq_msg_size(&part[n - 1]) ||
		    memcmp(again, zmq_msg_data(&part[n - 1]), len) != 0)
			fk->repacked_differs++;
		free(again);
	}
	for (size_t i = 0; i < n; i++)
		zmq_msg_close(&part[i]);
	if (req == NULL || req->n_events > 16) {
		msosync__submit_request__free_unpacked(req, NULL);
		return NULL;
	}
	fk->nevents[s] = req->n_events;
	fk->request_id[s] = req->request_id;
	return req;
}

/* Answer step s's request as the step says, echoing its request_id. */
static void
fake_answer(struct fake *fk, size_t s, Msosync__SubmitRequest *req)
{
	const struct step	*st = &fk->steps[s];
	Msosync__SubmitReply	 rep = MSOSYNC__SUBMIT_REPLY__INIT;
	Msosync__SubmitResult	 res[16], *resp[16];
	uint8_t			 buf[4096];
	size_t			 len;

	if (st->delay_ms > 0)
		usleep((useconds_t)st->delay_ms * 1000);
	rep.status = 200;
	rep.request_id = req->request_id +
	    (st->answer == ANSWER_OTHER_TICKET ? 100 : 0);
	for (size_t i = 0; i < req->n_events; i++) {
		msosync__submit_result__init(&res[i]);
		res[i].event_id = st->answer == ANSWER_WRONG_ID ?
		    "someone-else" : req->events[i]->event_id;
		res[i].seq = st->base_seq + i;
		res[i].status = MSOSYNC__SUBMIT_RESULT__STATUS__ACCEPTED;
		resp[i] = &res[i];
	}
	rep.n_results = req->n_events;
	if (st->answer == ANSWER_SHORT && rep.n_results > 0)
		rep.n_results--;
	rep.results = resp;
	len = msosync__submit_reply__pack(&rep, buf);
	switch (st->answer) {
	case ANSWER_GARBAGE:
		send_reply(fk->router, fk->id[s], fk->idlen[s], 1,
		    "\xff\xff\xff", 3);
		break;
	case ANSWER_NO_DELIMITER:
		send_reply(fk->router, fk->id[s], fk->idlen[s], 0, buf, len);
		break;
	default:
		send_reply(fk->router, fk->id[s], fk->idlen[s], 1, buf, len);
		break;
	}
}

/*
 * Answer one request per step, as the step says: each as it comes, or
 * (fk->reverse) all of them read first, then answered last to first.
 */
static void *
fake_main(void *arg)
{
	struct fake		*fk = arg;
	Msosync__SubmitRequest	*req[MAXSTEPS];
	int			 timeout = 10000;

	zmq_setsockopt(fk->router, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	for (size_t s = 0; s < fk->nsteps; s++) {
		if ((req[s] = fake_read(fk, s)) == NULL)
			return NULL;
		if (fk->reverse)
			continue;
		fake_answer(fk, s, req[s]);
		msosync__submit_request__free_unpacked(req[s], NULL);
		fk->served = s + 1;
	}
	for (size_t s = fk->nsteps; fk->reverse && s-- > 0;) {
		fake_answer(fk, s, req[s]);
		msosync__submit_request__free_unpacked(req[s], NULL);
		fk->served++;
	}
	return NULL;
}

static int
setup(void **state)
{
	struct fake	*fk = calloc(1, sizeof(*fk));
	int		 zero = 0;

	assert_non_null(fk);
	strcpy(fk->dir, "/tmp/msosync-lib-XXXXXX");
	assert_non_null(mkdtemp(fk->dir));
	snprintf(fk->endpoint, sizeof(fk->endpoint), "ipc://%s/fake.sock",
	    fk->dir);
	assert_non_null(fk->ctx = zmq_ctx_new());
	assert_non_null(fk->router = zmq_socket(fk->ctx, ZMQ_ROUTER));
	assert_int_equal(zmq_setsockopt(fk->router, ZMQ_LINGER, &zero,
	    sizeof(zero)), 0);
	assert_int_equal(zmq_bind(fk->router, fk->endpoint), 0);
	*state = fk;
	return 0;
}

static void
fake_start(struct fake *fk)
{
	assert_int_equal(pthread_create(&fk->thread, NULL, fake_main, fk), 0);
}

static void
fake_join(struct fake *fk)
{
	pthread_join(fk->thread, NULL);
	assert_int_equal(fk->served, fk->nsteps);
	assert_int_equal(fk->repacked_differs, 0);
}

static int
teardown(void **state)
{
	struct fake	*fk = *state;

	zmq_close(fk->router);
	zmq_ctx_term(fk->ctx);
	testutil_rm_rf(fk->dir);
	free(fk);
	return 0;
}

static void
test_args(void **state)
{
	struct msosync_client	*c = (struct msosync_client *)&c;
	struct msosync_reply	*r = (struct msosync_reply *)&r;

	(void)state;
	assert_int_equal(msosync_connect(NULL, 1000, &c), MSOSYNC_EINVAL);
	assert_null(c);
	assert_int_equal(msosync_connect("ipc:///tmp/x", 1000, NULL),
	    MSOSYNC_EINVAL);
	assert_int_equal(msosync_connect("ipc:///tmp/x", 0, &c),
	    MSOSYNC_EINVAL);
	assert_int_equal(msosync_connect("ipc:///tmp/x", -2, &c),
	    MSOSYNC_EINVAL);
	assert_int_equal(msosync_connect("carrier-pigeon://x", 1000, &c),
	    -EPROTONOSUPPORT);
	assert_null(c);
	assert_int_equal(msosync_connect("tcp://", 1000, &c), -EINVAL);
	assert_int_equal(msosync_submit_json(NULL, "{}", 2, &r),
	    MSOSYNC_EINVAL);
	assert_null(r);
	assert_int_equal(msosync_connect("ipc:///tmp/x", -1, &c), 0);
	assert_non_null(c);
	assert_int_equal(msosync_submit_json(c, NULL, 0, &r), MSOSYNC_EINVAL);
	assert_int_equal(msosync_submit_json(c, "{}", 2, NULL),
	    MSOSYNC_EINVAL);
	msosync_close(&c);
	assert_null(c);
	msosync_close(&c);		/* NULL-safe */
	msosync_reply_free(&r);
	assert_string_equal(msosync_version(), MSOSYNC_VERSION);
	assert_string_equal(msosync_strerror(MSOSYNC_ETIMEDOUT), "timed out");
}

/* Nobody listens: an answer can only be local. */
static void
test_local_refusals(void **state)
{
	struct fake		*fk = *state;
	struct msosync_client	*c = NULL;
	struct msosync_reply	*r = NULL;
	char			 ep[160];
	const char		*bad =
	    EV("a", 1) "\n"
	    "{\"event_id\":\"b\",\"sale\":{\"color\":\"red\"}}\n"
	    "{\"event_id\":\"c\",\n"
	    EV("d", 1) "\n"
	    "[1]\n"
	    "{\"event_id\":\"f\",\"occurred_at\":\"2026-11-20T15:04:05Z\","
	    "\"sale\":{\"ticket_id\":\"T\",\"category\":\"laser\","
	    "\"amount_cents\":1.5}}\n";
	int64_t			 t0;

	snprintf(ep, sizeof(ep), "ipc://%s/nobody.sock", fk->dir);
	assert_int_equal(msosync_connect(ep, 5000, &c), 0);
	t0 = now_ms();
	assert_int_equal(msosync_submit_json(c, bad, strlen(bad), &r), 0);
	assert_true(now_ms() - t0 < 1000);
	assert_int_equal(r->status, 400);
	assert_int_equal(r->nresults, 0);
	assert_int_equal(r->nerrors, 4);
	assert_int_equal(r->errors[0].index, 1);
	assert_string_equal(r->errors[0].event_id, "b");
	assert_string_equal(r->errors[0].message, "sale.color: unknown field");
	assert_int_equal(r->errors[1].index, 2);
	assert_null(r->errors[1].event_id);
	assert_string_equal(r->errors[1].message,
	    "invalid JSON: expected a quoted key, found '{' at line 4 "
	    "column 1");
	assert_int_equal(r->errors[2].index, 4);
	assert_null(r->errors[2].event_id);
	assert_string_equal(r->errors[2].message, "expected an object");
	assert_int_equal(r->errors[3].index, 5);
	assert_string_equal(r->errors[3].event_id, "f");
	assert_string_equal(r->errors[3].message,
	    "sale.amount_cents: expected an integer");
	msosync_reply_free(&r);
	assert_null(r);
	msosync_close(&c);
}

static void
test_local_too_many(void **state)
{
	struct fake		*fk = *state;
	struct msosync_client	*c = NULL;
	struct msosync_reply	*r = NULL;
	size_t			 n = MSOSYNC_MAX_EVENTS + 1;
	char			*text, ep[160];

	/* lines of "{}": each would be an error, but the count comes first */
	text = malloc(3 * n);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		memcpy(text + 3 * i, "{}\n", 3);
	snprintf(ep, sizeof(ep), "ipc://%s/nobody.sock", fk->dir);
	assert_int_equal(msosync_connect(ep, 5000, &c), 0);
	assert_int_equal(msosync_submit_json(c, text, 3 * n, &r), 0);
	assert_int_equal(r->status, 413);
	assert_int_equal(r->nerrors, 1);
	assert_string_equal(r->errors[0].message,
	    "too many events in one request");
	msosync_reply_free(&r);
	msosync_close(&c);
	free(text);
}

static void
test_ok(void **state)
{
	struct fake		*fk = *state;
	struct msosync_client	*c = NULL;
	struct msosync_reply	*r = NULL;
	const char		*json = "[" EV("x1", 1) "," EV("x2", 2) "]";

	fk->steps[0] = (struct step){ ANSWER_OK, 0, 41 };
	fk->nsteps = 1;
	fake_start(fk);
	assert_int_equal(msosync_connect(fk->endpoint, 5000, &c), 0);
	assert_int_equal(msosync_submit_json(c, json, strlen(json), &r), 0);
	fake_join(fk);
	assert_int_equal(fk->nevents[0], 2);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->nresults, 2);
	assert_int_equal(r->nerrors, 0);
	assert_string_equal(r->results[0].event_id, "x1");
	assert_int_equal(r->results[0].seq, 41);
	assert_int_equal(r->results[0].duplicate, 0);
	assert_string_equal(r->results[1].event_id, "x2");
	assert_int_equal(r->results[1].seq, 42);
	msosync_reply_free(&r);
	msosync_close(&c);
}

static size_t
threads_now(void)
{
	struct dirent	*e;
	DIR		*d = opendir("/proc/self/task");
	size_t		 n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Submit one event as 'id', expecting seq 'want': 0 when it went so. */
static int
submit_one(struct msosync_client *c, const char *json, uint64_t want)
{
	struct msosync_reply	*r = NULL;
	int			 ok;

	if (msosync_submit_json(c, json, strlen(json), &r) != 0)
		return -1;
	ok = r->status == 200 && r->nresults == 1 &&
	    r->results[0].seq == want;
	msosync_reply_free(&r);
	return ok ? 0 : -1;
}

/*
 * The clients of a process share one ZeroMQ context: a second client
 * starts no thread, one closed leaves the other working, the last closed
 * ends it, and the next connect makes another. A child process after
 * fork() makes its own.
 */
static void
test_shared_context(void **state)
{
	struct fake		*fk = *state;
	struct msosync_client	*c1 = NULL, *c2 = NULL, *c3 = NULL;
	size_t			 base, one;
	pid_t			 pid;
	int			 status = -1;

	for (size_t i = 0; i < 4; i++)
		fk->steps[i] = (struct step){ ANSWER_OK, 0, 10 * (i + 1) };
	fk->nsteps = 4;
	fake_start(fk);
	base = threads_now();
	assert_int_equal(msosync_connect(fk->endpoint, 5000, &c1), 0);
	one = threads_now();
	assert_true(one > base);		/* the context's threads */
	assert_int_equal(msosync_connect(fk->endpoint, 5000, &c2), 0);
	assert_int_equal(threads_now(), one);	/* none more */
	assert_int_equal(submit_one(c1, EV("s1", 1), 10), 0);
	msosync_close(&c1);
	assert_int_equal(submit_one(c2, EV("s2", 2), 20), 0);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct msosync_client *cc = NULL;

		/* the parent's c2 is not touched here */
		_exit(msosync_connect(fk->endpoint, 5000, &cc) != 0 ||
		    submit_one(cc, EV("s3", 3), 30) != 0 ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	msosync_close(&c2);
	assert_int_equal(msosync_connect(fk->endpoint, 5000, &c3), 0);
	assert_int_equal(submit_one(c3, EV("s4", 4), 40), 0);
	msosync_close(&c3);
	fake_join(fk);
}

/*
 * The first answer comes after the timeout. The client must give up, and
 * the late answer (seq 99) must not be taken for the second request,
 * which asks about the same event and is answered with seq 1.
 */
static void
test_timeout_then_no_stale_answer(void **state)
{
	struct fake		*fk = *state;
	struct msosync_client	*c = NULL;
	struct msosync_reply	*r = NULL;
	const char		*json = EV("late", 1);
	int64_t			 t0, took;

	fk->steps[0] = (struct step){ ANSWER_OK, 600, 99 };
	fk->steps[1] = (struct step){ ANSWER_OK, 0, 1 };
	fk->nsteps = 2;
	fake_start(fk);
	assert_int_equal(msosync_connect(fk->endpoint, 200, &c), 0);
	t0 = now_ms();
	assert_int_equal(msosync_submit_json(c, json, strlen(json), &r),
	    MSOSYNC_ETIMEDOUT);
	took = now_ms() - t0;
	assert_null(r);
	assert_true(took >= 190);
	assert_true(took < 600);
	usleep(700 * 1000);		/* the late answer is on its way */
	assert_int_equal(msosync_submit_json(c, json, strlen(json), &r), 0);
	fake_join(fk);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->nresults, 1);
	assert_int_equal(r->results[0].seq, 1);
	msosync_reply_free(&r);
	/* the second request came on a new connection */
	assert_true(fk->idlen[0] != fk->idlen[1] ||
	    memcmp(fk->id[0], fk->id[1], fk->idlen[0]) != 0);
	msosync_close(&c);
}

static void
test_garbled_answers(void **state)
{
	struct fake		*fk = *state;
	struct msosync_client	*c = NULL;
	struct msosync_reply	*r = NULL;
	const char		*json = EV("g1", 1) "\n" EV("g2", 1);

	fk->steps[0] = (struct step){ ANSWER_GARBAGE, 0, 1 };
	fk->steps[1] = (struct step){ ANSWER_NO_DELIMITER, 0, 1 };
	fk->steps[2] = (struct step){ ANSWER_SHORT, 0, 1 };
	fk->steps[3] = (struct step){ ANSWER_WRONG_ID, 0, 1 };
	fk->steps[4] = (struct step){ ANSWER_OK, 0, 7 };
	fk->nsteps = 5;
	fake_start(fk);
	assert_int_equal(msosync_connect(fk->endpoint, 5000, &c), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(msosync_submit_json(c, json, strlen(json),
		    &r), MSOSYNC_EPROTO);
		assert_null(r);
	}
	assert_int_equal(msosync_submit_json(c, json, strlen(json), &r), 0);
	fake_join(fk);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->nresults, 2);
	assert_int_equal(r->results[0].seq, 7);
	assert_int_equal(r->results[1].seq, 8);
	msosync_reply_free(&r);
	msosync_close(&c);
}

/*
 * Three requests in flight, the middle one refused here: its answer comes
 * first; the fake answers the other two last to first, and each answer
 * goes to its ticket. submit_json refuses to run meanwhile.
 */
static void
test_pipelined(void **state)
{
	struct fake		*fk = *state;
	struct msosync_client	*c = NULL;
	struct msosync_reply	*r = NULL;
	const char		*one = EV("p1", 1) "\n" EV("p2", 1);
	const char		*bad = "{\"event_id\":\"p3\",\"sale\":{\"x\":1}}";
	const char		*three = EV("p4", 1);
	uint64_t		 t1, t2, t3, t;

	fk->steps[0] = (struct step){ ANSWER_OK, 0, 10 };
	fk->steps[1] = (struct step){ ANSWER_OK, 0, 20 };
	fk->nsteps = 2;
	fk->reverse = 1;
	fake_start(fk);
	assert_int_equal(msosync_connect(fk->endpoint, 5000, &c), 0);
	assert_int_equal(msosync_recv_reply(c, &t, &r), MSOSYNC_EINVAL);
	assert_int_equal(msosync_send_json(c, one, strlen(one), &t1), 0);
	assert_int_equal(msosync_send_json(c, bad, strlen(bad), &t2), 0);
	assert_int_equal(msosync_send_json(c, three, strlen(three), &t3), 0);
	assert_int_equal(t1, 1);
	assert_int_equal(t2, 2);
	assert_int_equal(t3, 3);
	assert_int_equal(msosync_in_flight(c), 3);
	assert_int_equal(msosync_submit_json(c, one, strlen(one), &r),
	    MSOSYNC_EINVAL);
	assert_null(r);

	assert_int_equal(msosync_recv_reply(c, &t, &r), 0);
	assert_int_equal(t, 2);
	assert_int_equal(r->status, 400);
	assert_int_equal(r->nerrors, 1);
	assert_string_equal(r->errors[0].message, "sale.x: unknown field");
	msosync_reply_free(&r);

	assert_int_equal(msosync_recv_reply(c, &t, &r), 0);
	assert_int_equal(t, 3);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->nresults, 1);
	assert_string_equal(r->results[0].event_id, "p4");
	assert_int_equal(r->results[0].seq, 20);
	msosync_reply_free(&r);

	assert_int_equal(msosync_recv_reply(c, &t, &r), 0);
	assert_int_equal(t, 1);
	assert_int_equal(r->nresults, 2);
	assert_string_equal(r->results[1].event_id, "p2");
	assert_int_equal(r->results[1].seq, 11);
	msosync_reply_free(&r);
	assert_int_equal(msosync_in_flight(c), 0);
	fake_join(fk);
	/* the refused request never reached the socket */
	assert_int_equal(fk->request_id[0], 1);
	assert_int_equal(fk->request_id[1], 3);
	msosync_close(&c);
}

/* An answer to a ticket never sent abandons everything in flight. */
static void
test_pipelined_unknown_ticket(void **state)
{
	struct fake		*fk = *state;
	struct msosync_client	*c = NULL;
	struct msosync_reply	*r = NULL;
	const char		*json = EV("u1", 1);
	uint64_t		 t;

	fk->steps[0] = (struct step){ ANSWER_OK, 0, 1 };
	fk->steps[1] = (struct step){ ANSWER_OTHER_TICKET, 0, 1 };
	fk->nsteps = 2;
	fk->reverse = 1;
	fake_start(fk);
	assert_int_equal(msosync_connect(fk->endpoint, 5000, &c), 0);
	assert_int_equal(msosync_send_json(c, json, strlen(json), &t), 0);
	assert_int_equal(msosync_send_json(c, json, strlen(json), &t), 0);
	assert_int_equal(msosync_recv_reply(c, &t, &r), MSOSYNC_EPROTO);
	assert_null(r);
	assert_int_equal(t, 0);
	assert_int_equal(msosync_in_flight(c), 0);
	fake_join(fk);
	msosync_close(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test_setup_teardown(test_local_refusals,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_too_many,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_context, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_timeout_then_no_stale_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_unknown_ticket,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbled_answers,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
