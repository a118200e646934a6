/*
 * Tests for evzmq.c over an inproc PAIR: the watched socket 'a' and its
 * peer 'b', both in the test thread. Covers one callback per message,
 * multipart delivery, a backlog read in one round, rounds of at most
 * EVZMQ_BURST messages that let higher priorities in, the edge-trigger rule
 * (a ZMQ_EVENTS read eats the edge; evzmq_kick and evzmq_send recover
 * it), waiting for POLLOUT at the high-water mark, messages with too many
 * parts, pausing reads (from the callback, through eaten edges) and
 * resuming them, and freeing the evzmq from its own callback.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <zmq.h>

#include "evzmq.h"

#define MAXGOT	64

struct fx {
	void			*ctx, *a, *b;
	struct event_base	*base;
	struct evzmq		*ez;
	char			 got[MAXGOT][32];
	size_t			 nparts[MAXGOT];
	size_t			 ngot;
	size_t			 want;		/* run_until_got's */
	int			 writable;
	int			 free_on_msg;
	int			 pause_on_msg;	/* after the first message */
	struct event		*urgent;	/* made ready by message 1 */
	size_t			 urgent_saw;	/* messages read when it ran */
};

static void
on_msg(struct evzmq *ez, struct evzmq_msg *m, void *arg)
{
	struct fx	*f = arg;
	size_t		 len;

	assert_true(f->ngot < MAXGOT);
	len = zmq_msg_size(&m->part[m->nparts - 1]);
	assert_true(len < sizeof(f->got[0]));
	memcpy(f->got[f->ngot], zmq_msg_data(&m->part[m->nparts - 1]), len);
	f->got[f->ngot][len] = '\0';
	f->nparts[f->ngot++] = m->nparts;
	if (f->urgent != NULL && f->ngot == 1)
		event_active(f->urgent, 0, 0);
	if (f->pause_on_msg && f->ngot == 1)
		evzmq_pause(ez, 1);
	if (f->free_on_msg) {
		evzmq_free(&ez);
		assert_null(ez);
		f->ez = NULL;
	}
}

static void
on_writable(struct evzmq *ez, void *arg)
{
	struct fx	*f = arg;

	(void)ez;
	f->writable++;
}

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));
	int		 hwm = 2;

	assert_non_null(f);
	assert_non_null(f->ctx = zmq_ctx_new());
	assert_non_null(f->a = zmq_socket(f->ctx, ZMQ_PAIR));
	assert_non_null(f->b = zmq_socket(f->ctx, ZMQ_PAIR));
	/* small queues so the high-water mark is near */
	assert_int_equal(zmq_setsockopt(f->a, ZMQ_SNDHWM, &hwm, sizeof(hwm)),
	    0);
	assert_int_equal(zmq_setsockopt(f->b, ZMQ_RCVHWM, &hwm, sizeof(hwm)),
	    0);
	assert_int_equal(zmq_bind(f->a, "inproc://evzmq-test"), 0);
	assert_int_equal(zmq_connect(f->b, "inproc://evzmq-test"), 0);
	assert_non_null(f->base = event_base_new());
	assert_int_equal(event_base_priority_init(f->base, 2), 0);
	f->ez = evzmq_new(f->base, f->a, on_msg, on_writable, f);
	assert_non_null(f->ez);
	assert_ptr_equal(evzmq_socket(f->ez), f->a);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	int		 zero = 0;

	evzmq_free(&f->ez);
	event_base_free(f->base);
	zmq_setsockopt(f->a, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(f->b, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(f->a);
	zmq_close(f->b);
	zmq_ctx_term(f->ctx);
	free(f);
	return 0;
}

/* Run the loop for up to 'ms' or until 'done' says so. */
static void
run_until(struct fx *f, int ms, int (*done)(const struct fx *))
{
	for (int i = 0; i < ms && !done(f); i++) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		if (!done(f))
			usleep(1000);
	}
}

static int
got_wanted(const struct fx *f)
{
	return f->ngot >= f->want;
}

/* Run the loop for up to 'ms' or until 'n' messages have come. */
static void
run_until_got(struct fx *f, int ms, size_t n)
{
	f->want = n;
	run_until(f, ms, got_wanted);
}

/* Run the loop for 'ms', whatever it delivers: for what must not come. */
static void
run_for(struct fx *f, int ms)
{
	for (int i = 0; i < ms; i++) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static int
was_writable(const struct fx *f)
{
	return f->writable > 0;
}

static void
test_messages(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(zmq_send(f->b, "one", 3, 0), 3);
	run_until_got(f, 1000, 1);
	assert_int_equal(f->ngot, 1);
	assert_string_equal(f->got[0], "one");
	assert_int_equal(f->nparts[0], 1);

	assert_int_equal(zmq_send(f->b, "id", 2, ZMQ_SNDMORE), 2);
	assert_int_equal(zmq_send(f->b, "", 0, ZMQ_SNDMORE), 0);
	assert_int_equal(zmq_send(f->b, "body", 4, 0), 4);
	run_until_got(f, 1000, 2);
	assert_int_equal(f->ngot, 2);
	assert_string_equal(f->got[1], "body");
	assert_int_equal(f->nparts[1], 3);
	assert_int_equal(evzmq_stats(f->ez)->received, 2);
}

/* A backlog queued while nobody looked is read whole in one round. */
static void
test_backlog_one_round(void **state)
{
	struct fx	*f = *state;
	char		 m[8];

	for (int i = 0; i < 5; i++) {
		snprintf(m, sizeof(m), "m%d", i);
		assert_int_equal(zmq_send(f->b, m, 2, 0), 2);
	}
	usleep(20000);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	if (f->ngot < 5)
		run_until_got(f, 1000, 5);
	assert_int_equal(f->ngot, 5);
	for (int i = 0; i < 5; i++) {
		snprintf(m, sizeof(m), "m%d", i);
		assert_string_equal(f->got[i], m);
	}
}

static void
on_urgent(evutil_socket_t fd, short what, void *arg)
{
	struct fx	*f = arg;

	(void)fd;
	(void)what;
	f->urgent_saw = f->ngot;
}

/*
 * A round reads EVZMQ_BURST (8) messages; an event of higher priority
 * made ready meanwhile (as the journal writer's completion is) runs
 * before the ninth. Every message still arrives, in order.
 */
static void
test_burst_yields(void **state)
{
	struct fx	*f = *state;
	char		 m[8];

	assert_non_null(f->urgent = event_new(f->base, -1, 0, on_urgent, f));
	assert_int_equal(event_priority_set(f->urgent, 0), 0);
	for (int i = 0; i < 20; i++) {
		snprintf(m, sizeof(m), "m%02d", i);
		assert_int_equal(zmq_send(f->b, m, 3, 0), 3);
	}
	usleep(20000);
	run_until_got(f, 1000, 20);
	assert_int_equal(f->ngot, 20);
	assert_int_equal(f->urgent_saw, 8);
	for (int i = 0; i < 20; i++) {
		snprintf(m, sizeof(m), "m%02d", i);
		assert_string_equal(f->got[i], m);
	}
	event_free(f->urgent);
	f->urgent = NULL;
}

/*
 * The rule evzmq exists for: once ZMQ_EVENTS has been read by someone
 * else, the fd no longer fires for a message already there. evzmq_kick
 * (and every evzmq_send) looks again.
 */
static void
test_kick_recovers_eaten_edge(void **state)
{
	struct fx	*f = *state;
	int		 events;
	size_t		 len = sizeof(events);

	event_base_loop(f->base, EVLOOP_NONBLOCK);
	assert_int_equal(zmq_send(f->b, "late", 4, 0), 4);
	usleep(20000);
	assert_int_equal(zmq_getsockopt(f->a, ZMQ_EVENTS, &events, &len), 0);
	assert_true(events & ZMQ_POLLIN);
	run_for(f, 20);
	assert_int_equal(f->ngot, 0);		/* the edge is gone */
	evzmq_kick(f->ez);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	assert_int_equal(f->ngot, 1);
	assert_string_equal(f->got[0], "late");

	/* the same through a send: evzmq_send looks again by itself */
	assert_int_equal(zmq_send(f->b, "again", 5, 0), 5);
	usleep(20000);
	assert_int_equal(zmq_getsockopt(f->a, ZMQ_EVENTS, &events, &len), 0);
	assert_int_equal(evzmq_send(f->ez, "x", 1, 0), 0);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	assert_int_equal(f->ngot, 2);
	assert_string_equal(f->got[1], "again");
}

static void
test_wait_for_pollout(void **state)
{
	struct fx	*f = *state;
	char		 buf[8];
	int		 sent = 0, rc;

	/* fill a's queue and b's until the high-water mark bites */
	while ((rc = evzmq_send(f->ez, "fill", 4, 0)) == 0)
		assert_true(++sent < 100);
	assert_int_equal(rc, -EAGAIN);
	assert_true(sent >= 2);
	evzmq_want_write(f->ez);
	run_for(f, 20);
	assert_int_equal(f->writable, 0);	/* still full */
	for (int i = 0; i < sent; i++)
		assert_int_equal(zmq_recv(f->b, buf, sizeof(buf), 0), 4);
	run_until(f, 2000, was_writable);
	assert_int_equal(f->writable, 1);
	assert_int_equal(evzmq_send(f->ez, "more", 4, 0), 0);
	/* one-shot: no further calls unless asked */
	run_for(f, 20);
	assert_int_equal(f->writable, 1);
}

static void
test_too_many_parts(void **state)
{
	struct fx	*f = *state;

	for (int i = 0; i < EVZMQ_MAX_PARTS; i++)
		assert_int_equal(zmq_send(f->b, "p", 1, ZMQ_SNDMORE), 1);
	assert_int_equal(zmq_send(f->b, "last", 4, 0), 4);
	assert_int_equal(zmq_send(f->b, "fine", 4, 0), 4);
	run_until_got(f, 1000, 1);
	assert_int_equal(f->ngot, 1);
	assert_string_equal(f->got[0], "fine");
	assert_int_equal(evzmq_stats(f->ez)->dropped, 1);
	assert_int_equal(evzmq_stats(f->ez)->received, 1);
}

/*
 * A pause asked from on_msg stops the round after that message; what
 * arrives while paused (its edge read and gone) waits in the socket, and
 * the resume delivers all of it, in order, with no edge to announce it.
 */
static void
test_pause_resume(void **state)
{
	struct fx	*f = *state;
	char		 m[8];

	f->pause_on_msg = 1;
	for (int i = 0; i < 3; i++) {
		snprintf(m, sizeof(m), "m%d", i);
		assert_int_equal(zmq_send(f->b, m, 2, 0), 2);
	}
	usleep(20000);
	run_for(f, 20);
	assert_int_equal(f->ngot, 1);
	assert_string_equal(f->got[0], "m0");
	/* a write goes on while paused */
	assert_int_equal(evzmq_send(f->ez, "out", 3, 0), 0);
	assert_int_equal(zmq_recv(f->b, m, sizeof(m), 0), 3);
	assert_int_equal(zmq_send(f->b, "m3", 2, 0), 2);
	usleep(20000);
	run_for(f, 20);
	assert_int_equal(f->ngot, 1);
	evzmq_pause(f->ez, 0);
	run_until_got(f, 1000, 4);
	assert_int_equal(f->ngot, 4);
	for (int i = 0; i < 4; i++) {
		snprintf(m, sizeof(m), "m%d", i);
		assert_string_equal(f->got[i], m);
	}
	assert_int_equal(evzmq_stats(f->ez)->received, 4);
}

static void
test_free_in_callback(void **state)
{
	struct fx	*f = *state;

	f->free_on_msg = 1;
	assert_int_equal(zmq_send(f->b, "a", 1, 0), 1);
	assert_int_equal(zmq_send(f->b, "b", 1, 0), 1);
	usleep(20000);
	run_until_got(f, 200, 2);
	/* freed after the first: the second stays in the socket */
	assert_int_equal(f->ngot, 1);
	assert_null(f->ez);
	assert_int_equal(zmq_recv(f->a, f->got[1], sizeof(f->got[1]),
	    ZMQ_DONTWAIT), 1);
	assert_int_equal(f->got[1][0], 'b');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_messages, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_burst_yields, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_backlog_one_round, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_kick_recovers_eaten_edge,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_for_pollout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_too_many_parts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pause_resume, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_free_in_callback, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
