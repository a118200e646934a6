/*
 * Ingest: the agent's one path from a client's request to the journal.
 * HTTP and ipc both hand it requests; it validates and stamps each event,
 * then queues the request for the next group commit. Everything queued
 * while the last commit ran goes into one durable journal transaction,
 * written by a thread of its own; only after the commit is each request
 * answered.
 *
 * All or nothing per request: any invalid event fails the whole request
 * with per-event reasons, and nothing of it is journaled. Duplicates (an
 * event_id the journal or the same commit already holds) get the original
 * seq and journal nothing new. A void must name an event the site holds
 * that is not a void and was not voided before.
 *
 * Called from the agent's event-loop thread only; its workers and its
 * journal writer hand their results back to that thread.
 */
#ifndef MSOSYNC_INGEST_H
#define MSOSYNC_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "arena.h"
#include "buf.h"
#include "events.pb-c.h"
#include "workq.h"
#include "journal.h"

/* HTTP-like status of a finished request */
#define INGEST_OK		200
#define INGEST_INVALID		400
#define INGEST_TOO_LARGE	413
#define INGEST_FULL		507
#define INGEST_INTERNAL		500

#define INGEST_MAX_EVENTS	100000	/* per request */

struct ingest;

struct ingest_result {
	uint64_t	 seq;
	int		 duplicate;	/* 0 accepted, 1 duplicate */
};

struct ingest_error {
	size_t		 index;
	char		*event_id;	/* may be NULL when none could be read */
	char		*message;
};

struct ingest_req;
struct ingest_span;
struct ingest_packed;
struct ingest_slice;
typedef void (*ingest_done_fn)(struct ingest_req *req, void *arg);

struct ingest_req {
	/* filled by ingest_req_add_* / ingest_req_take_json */
	Msosync__Event		**events;
	size_t			  nevents, cap;
	struct ingest_error	 *errors;
	size_t			  nerrors;
	/* set when done */
	int			  status;	/* INGEST_* */
	struct ingest_result	 *results;	/* nevents of them when 200 */
	/* completion */
	ingest_done_fn		  done;
	void			 *arg;
	/* ingest's */
	char			 *json;		/* body not yet decoded */
	size_t			  json_len;
	struct ingest_span	 *spans;	/* value i of json */
	struct ingest_packed	 *packed;	/* event i packed, seq left out */
	struct ingest_slice	 *slices;	/* shares prepared apart */
	size_t			  nslices, slices_left;
	int64_t			  now;		/* when it was submitted */
	struct workq_job	  job;		/* split json; free */
	struct ingest		 *in;
	struct ingest_req	 *next;		/* queue link */
	struct arena		  arena;	/* for events added */
	ProtobufCAllocator	  alloc;
};

struct ingest_stats {
	uint64_t	accepted;
	uint64_t	duplicates;
	uint64_t	requests_ok;
	uint64_t	requests_invalid;
	uint64_t	requests_full;
	uint64_t	commits;
	uint64_t	commit_events;	/* events journaled over all commits */
};

/*
 * 'j' and 'pepper' (32 bytes) must outlive the ingest. 'base' runs the
 * group-commit event (it needs event_base_priority_init(base, 2) done by
 * the caller: I/O at priority 0, the commit at 1).
 */
struct ingest	*ingest_new(struct event_base *base, struct journal *j,
		    uint32_t site_id, const uint8_t *pepper);
void		 ingest_free(struct ingest **in);

struct ingest_req	*ingest_req_new(ingest_done_fn done, void *arg);
void			 ingest_req_free(struct ingest_req **req);

/*
 * Take a body of JSON text (malloc'd, now the request's): one object, an
 * array of objects, or NDJSON (ndjson_each). ingest_submit decodes it, off
 * the loop thread when it is large; more than INGEST_MAX_EVENTS events
 * finish the request with INGEST_TOO_LARGE.
 */
void	ingest_req_take_json(struct ingest_req *req, char *text, size_t len);

/*
 * Add a decoded event (e.g. from an ipc SubmitRequest), unpacked with
 * ingest_req_allocator(req): it goes when the request is freed.
 */
void	ingest_req_add_event(struct ingest_req *req, Msosync__Event *ev);
ProtobufCAllocator	*ingest_req_allocator(struct ingest_req *req);

/*
 * Decode (ingest_req_take_json), validate and stamp every event of req
 * (on worker threads, in shares of INGEST_SLICE_EVENTS, unless the request
 * is small), then queue it for the next group commit on the loop thread;
 * req->done runs there when it is finished, possibly before this returns
 * (a small invalid request). The caller frees req after done, and must not
 * touch it in between.
 *
 * A refused request lists every value that does not decode, in index
 * order, then the validation errors of the events before the first of
 * them, in index order.
 */
void	ingest_submit(struct ingest *in, struct ingest_req *req);

const struct ingest_stats	*ingest_stats(const struct ingest *in);

/* Bytes of 'ev' packed before its seq: its fields 1-3 (schema_version,
 * event_id, site_id). Exported for tests. */
size_t	ingest_seq_cut(const Msosync__Event *ev);

/*
 * An Event's packed bytes with seq (field 4) put back: 'bytes' ('len') is
 * the event packed with seq 0, 'cut' the length of its fields 1-3. Writes
 * at most len + 11 bytes to 'out'; returns how many. Exported for tests.
 */
size_t	ingest_splice_seq(const char *bytes, size_t len, size_t cut,
	    uint64_t seq, uint8_t *out);

/*
 * Call fn(arg) after every commit that journaled new events (the sender
 * uses it to replicate without polling). One hook; NULL removes it.
 */
void	ingest_on_commit(struct ingest *in, void (*fn)(void *), void *arg);

/*
 * Nonzero once the journal reported a storage failure (MSOSYNC_EPANIC):
 * the loop was broken and the agent must exit non-zero, so its supervisor
 * restarts it on a consistent file.
 */
int	ingest_failed(const struct ingest *in);

#endif
