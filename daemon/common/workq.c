/*
 * Worker pool with eventfd completion; see workq.h. One mutex guards both
 * lists; a worker signals the eventfd only when the done list goes from
 * empty to not, so a burst of finished jobs costs the loop one wakeup.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "workq.h"
#include "xmalloc.h"

struct workq {
	pthread_mutex_t		 mu;
	pthread_cond_t		 work;
	struct workq_job	*waiting, *wait_tail;
	struct workq_job	*done, *done_tail;
	int			 stop;
	int			 efd;
	struct event		*ev;
	pthread_t		*threads;
	unsigned		 nthreads;
};

static void
append(struct workq_job **head, struct workq_job **tail, struct workq_job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static void *
worker(void *arg)
{
	struct workq		*q = arg;
	struct workq_job	*j;
	uint64_t		 one = 1;
	int			 wake;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->waiting == NULL && !q->stop)
			pthread_cond_wait(&q->work, &q->mu);
		if ((j = q->waiting) == NULL)
			break;			/* stopping, and nothing left */
		if ((q->waiting = j->next) == NULL)
			q->wait_tail = NULL;
		pthread_mutex_unlock(&q->mu);
		j->run(j);
		pthread_mutex_lock(&q->mu);
		wake = q->done == NULL;
		append(&q->done, &q->done_tail, j);
		/* an eventfd counter cannot overflow at one write per batch */
		if (wake && write(q->efd, &one, sizeof(one)) < 0)
			abort();
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Run done for every finished job, in the order they finished. */
static void
deliver(struct workq *q)
{
	struct workq_job	*j, *next;

	pthread_mutex_lock(&q->mu);
	j = q->done;
	q->done = q->done_tail = NULL;
	pthread_mutex_unlock(&q->mu);
	for (; j != NULL; j = next) {
		next = j->next;		/* done may free the job */
		j->done(j);
	}
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	uint64_t	n;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		abort();
	deliver(arg);
}

struct workq *
workq_new(struct event_base *base, unsigned threads)
{
	struct workq	*q = xcalloc(1, sizeof(*q));
	int		 rc;

	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->work, NULL);
	if ((q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		goto fail;
	q->ev = event_new(base, q->efd, EV_READ | EV_PERSIST, on_wake, q);
	if (q->ev == NULL || event_priority_set(q->ev, 0) != 0 ||
	    event_add(q->ev, NULL) != 0) {
		errno = ENOMEM;
		goto fail;
	}
	q->threads = xcalloc(threads ? threads : 1, sizeof(*q->threads));
	for (unsigned i = 0; i < (threads ? threads : 1); i++) {
		if ((rc = pthread_create(&q->threads[i], NULL, worker, q))
		    != 0) {
			errno = rc;
			goto fail;
		}
		q->nthreads++;
	}
	return q;
fail:
	rc = errno;
	workq_free(&q);
	errno = rc;
	return NULL;
}

void
workq_push(struct workq *q, struct workq_job *job)
{
	pthread_mutex_lock(&q->mu);
	if (q->stop) {
		/* pushed by a done that workq_free delivers: no worker is left */
		pthread_mutex_unlock(&q->mu);
		job->run(job);
		job->done(job);
		return;
	}
	append(&q->waiting, &q->wait_tail, job);
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
}

void
workq_free(struct workq **qp)
{
	struct workq	*q = *qp;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->mu);
	for (unsigned i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	deliver(q);
	if (q->ev != NULL)
		event_free(q->ev);
	if (q->efd != -1)
		close(q->efd);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->mu);
	free(q->threads);
	free(q);
	*qp = NULL;
}
