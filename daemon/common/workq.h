/*
 * A small pool of worker threads for CPU work that would otherwise hold up
 * an event loop (decoding and validating an ingest request). The loop
 * thread pushes a job; a worker runs job->run; the loop thread gets the
 * job back and runs job->done, woken through an eventfd. Jobs share no
 * state through the queue: whatever run touches must be the job's own or
 * read-only while it runs.
 *
 * Only the loop thread calls workq_push and workq_free.
 */
#ifndef MSOSYNC_WORKQ_H
#define MSOSYNC_WORKQ_H

#include <stddef.h>

#include <event2/event.h>

struct workq;

struct workq_job {
	void			(*run)(struct workq_job *);	/* on a worker */
	void			(*done)(struct workq_job *);	/* on the loop */
	struct workq_job	*next;				/* workq's */
};

/* The struct of type 'type' whose member 'm' is the job 'job'. */
#define workq_owner(job, type, m) \
	((type *)(void *)((char *)(job) - offsetof(type, m)))

/*
 * 'threads' workers (at least 1) feeding 'base', whose completion event
 * runs at priority 0, before lower-priority events of the same iteration.
 * Returns NULL with errno set when a thread or the eventfd cannot be made.
 */
struct workq	*workq_new(struct event_base *base, unsigned threads);

/*
 * Queue 'job' (run and done set); jobs start in the order pushed. A job
 * pushed by a done while workq_free delivers runs at once, in the caller.
 */
void		 workq_push(struct workq *q, struct workq_job *job);

/*
 * Finish every job pushed so far (run by the workers, then done here, in
 * the calling thread), stop the workers and free the queue.
 */
void		 workq_free(struct workq **q);

#endif
