/*
 * Tests for workq.c: every job runs once on a worker thread and comes back
 * once on the loop thread; workq_free finishes what was pushed; a done callback may free its job.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "workq.h"
#include "xmalloc.h"

struct job {
	struct workq_job	 wj;
	uint64_t		 in, out;	/* run squares in into out */
	pthread_t		 ran_on;
	int			*done_count;
	pthread_t		 loop_thread;
	int			 done_on_loop;
};

static void
run(struct workq_job *wj)
{
	struct job	*j = (struct job *)wj;

	j->out = j->in * j->in;
	j->ran_on = pthread_self();
	usleep(100);		/* long enough for jobs to overlap */
}

static void
done(struct workq_job *wj)
{
	struct job	*j = (struct job *)wj;

	(*j->done_count)++;
	j->done_on_loop = pthread_equal(pthread_self(), j->loop_thread);
}

static void
done_and_free(struct workq_job *wj)
{
	struct job	*j = (struct job *)wj;

	(*j->done_count)++;
	free(j);
}

static void
test_jobs_run_on_workers_and_return(void **state)
{
	struct event_base	*base;
	struct workq		*q;
	struct job		 jobs[200];
	int			 ndone = 0, loops = 0;
	uint64_t		 sum = 0;

	(void)state;
	assert_non_null(base = event_base_new());
	assert_int_equal(event_base_priority_init(base, 2), 0);
	assert_non_null(q = workq_new(base, 2));
	for (size_t i = 0; i < 200; i++) {
		jobs[i] = (struct job){ .in = i + 1, .done_count = &ndone,
		    .loop_thread = pthread_self() };
		jobs[i].wj.run = run;
		jobs[i].wj.done = done;
		workq_push(q, &jobs[i].wj);
	}
	while (ndone < 200 && loops++ < 10000)
		event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(ndone, 200);
	for (size_t i = 0; i < 200; i++) {
		assert_int_equal(jobs[i].out, (i + 1) * (i + 1));
		assert_false(pthread_equal(jobs[i].ran_on, pthread_self()));
		assert_true(jobs[i].done_on_loop);
		sum += jobs[i].out;
	}
	assert_int_equal(sum, 200ULL * 201 * 401 / 6);
	workq_free(&q);
	assert_null(q);
	assert_int_equal(ndone, 200);	/* nothing delivered twice */
	event_base_free(base);
}

static void
test_free_finishes_pending_jobs(void **state)
{
	struct event_base	*base;
	struct workq		*q;
	int			 ndone = 0;

	(void)state;
	assert_non_null(base = event_base_new());
	assert_int_equal(event_base_priority_init(base, 2), 0);
	assert_non_null(q = workq_new(base, 1));
	for (int i = 0; i < 50; i++) {
		struct job *j = xcalloc(1, sizeof(*j));

		j->in = 3;
		j->done_count = &ndone;
		j->wj.run = run;
		j->wj.done = done_and_free;	/* ASan: freed once, after use */
		workq_push(q, &j->wj);
	}
	/* no loop ran: workq_free runs and delivers every one of them */
	workq_free(&q);
	assert_int_equal(ndone, 50);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jobs_run_on_workers_and_return),
		cmocka_unit_test(test_free_finishes_pending_jobs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
