/*
 * Ingest: request -> validate -> stamp -> group commit -> answer.
 *
 * A request is validated and stamped when it is submitted (on the loop, or
 * in slices on the workers when it is large), then queued. When no commit
 * is in flight, the commit event (low priority, so after every ready HTTP
 * and ipc callback has queued its request) resolves the queue and hands it
 * to the writer thread: one journal transaction, one fsync. Requests that
 * arrive meanwhile are checked and queued, and go into the next commit,
 * started as soon as this one is done. Only after its commit is a request
 * answered (DESIGN §4.1).
 *
 * Within a commit, requests are resolved in arrival order. Each event is a
 * duplicate (its event_id is in the journal or earlier in this commit:
 * answer the original seq) or new (gets the next seq). A request whose
 * void is refused is taken out of the commit whole: all or nothing.
 */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ingest.h"
#include "log.h"
#include "msosync/error.h"
#include "ndjson.h"
#include "pbjson.h"
#include "validate.h"
#include "varint.h"
#include "xmalloc.h"

/* Open-addressing map from event_id to an index, rebuilt per commit. */
struct idmap {
	const char	**key;
	size_t		 *len;
	size_t		 *val;
	size_t		  cap;		/* power of two, or 0 */
};

struct pending {
	Msosync__Event	*ev;
	unsigned	 flags;		/* JOURNAL_F_VOID, JOURNAL_F_VOIDED */
	const char	*bytes;		/* packed by prepare, seq left out */
	size_t		 len, cut;
};

/*
 * Decoding and validation take most of a request's CPU and share nothing:
 * they run on workers, in slices, so they overlap the loop's commits and
 * fsyncs.
 */
#define INGEST_WORKERS		2
#define INGEST_INLINE_EVENTS	256	/* smaller requests stay on the loop */
#define INGEST_INLINE_BYTES	65536
#define INGEST_SLICE_EVENTS	1024	/* a larger one is shared out */

struct ingest {
	struct event_base	*base;
	struct event		*commit_ev;
	struct workq		*workers;
	struct journal		*journal;
	uint32_t		 site_id;
	const uint8_t		*pepper;
	struct ingest_req	*head, *tail;	/* queued for the next commit */
	struct workq		*writer;	/* one thread: the journal's */
	struct workq_job	 commit_job;	/* the commit in flight ... */
	struct journal_append	 op;
	struct ingest_req	*flight;	/* ... and its requests */
	struct ingest_stats	 stats;
	int			 failed;	/* storage failed: stop the agent */
	void			(*commit_hook)(void *);
	void			*commit_arg;

	/* scratch reused by every commit */
	struct journal_entry	*find;
	size_t			 find_cap;
	struct pending		*pend;
	struct journal_entry	*app;
	size_t			 pend_cap;
	struct idmap		 ids;		/* new event_id -> pend index */
	struct idmap		 voided;	/* ids voided in this commit */
	struct buf		 packed;
};

static void	on_commit(evutil_socket_t, short, void *);
static void	commit_run(struct workq_job *);
static void	committed(struct workq_job *);
static struct ingest_req	*commit_start(struct ingest *, int *, size_t *);
static void	finish(struct ingest_req *, int);

static uint64_t
hash_id(const char *s, size_t n)
{
	uint64_t	h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static void
idmap_reset(struct idmap *m, size_t want)
{
	size_t	cap = 16;

	while (cap < want * 2)
		cap *= 2;
	if (cap > m->cap) {
		free(m->key);
		free(m->len);
		free(m->val);
		m->key = xcalloc(cap, sizeof(*m->key));
		m->len = xcalloc(cap, sizeof(*m->len));
		m->val = xcalloc(cap, sizeof(*m->val));
		m->cap = cap;
	} else
		memset(m->key, 0, m->cap * sizeof(*m->key));
}

/* Returns the slot of s: holding it, or empty where it would go. */
static size_t
idmap_slot(const struct idmap *m, const char *s, size_t n)
{
	size_t	i = hash_id(s, n) & (m->cap - 1);

	while (m->key[i] != NULL &&
	    (m->len[i] != n || memcmp(m->key[i], s, n) != 0))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int
idmap_get(const struct idmap *m, const char *s, size_t *val)
{
	size_t	i = idmap_slot(m, s, strlen(s));

	if (m->key[i] == NULL)
		return 0;
	*val = m->val[i];
	return 1;
}

static void
idmap_put(struct idmap *m, const char *s, size_t val)
{
	size_t	n = strlen(s), i = idmap_slot(m, s, n);

	m->key[i] = s;
	m->len[i] = n;
	m->val[i] = val;
}

static void
idmap_free(struct idmap *m)
{
	free(m->key);
	free(m->len);
	free(m->val);
	memset(m, 0, sizeof(*m));
}

struct ingest *
ingest_new(struct event_base *base, struct journal *j, uint32_t site_id,
    const uint8_t *pepper)
{
	struct ingest	*in = xcalloc(1, sizeof(*in));

	in->base = base;
	in->journal = j;
	in->site_id = site_id;
	in->pepper = pepper;
	in->commit_ev = event_new(base, -1, 0, on_commit, in);
	if (in->commit_ev == NULL || event_priority_set(in->commit_ev, 1) != 0)
		abort();	/* only if the base lacks priorities: a bug */
	in->commit_job.run = commit_run;
	in->commit_job.done = committed;
	if ((in->workers = workq_new(base, INGEST_WORKERS)) == NULL ||
	    (in->writer = workq_new(base, 1)) == NULL) {
		workq_free(&in->workers);
		event_free(in->commit_ev);
		free(in);
		return NULL;
	}
	return in;
}

void
ingest_free(struct ingest **inp)
{
	struct ingest	*in = *inp;

	if (in == NULL)
		return;
	/* the agent is stopping: replication is not kicked any more */
	in->commit_hook = NULL;
	/* requests being decoded come back, and are queued */
	workq_free(&in->workers);
	/* the commit in flight finishes, durably, and is answered */
	workq_free(&in->writer);
	/* requests still queued were never answered: tell their owners */
	while (in->head) {
		struct ingest_req *req = in->head;

		in->head = req->next;
		finish(req, INGEST_INTERNAL);
	}
	event_free(in->commit_ev);
	free(in->find);
	free(in->pend);
	free(in->app);
	idmap_free(&in->ids);
	idmap_free(&in->voided);
	buf_free(&in->packed);
	free(in);
	*inp = NULL;
}

const struct ingest_stats *
ingest_stats(const struct ingest *in)
{
	return &in->stats;
}

void
ingest_on_commit(struct ingest *in, void (*fn)(void *), void *arg)
{
	in->commit_hook = fn;
	in->commit_arg = arg;
}

int
ingest_failed(const struct ingest *in)
{
	return in->failed;
}

struct ingest_req *
ingest_req_new(ingest_done_fn done, void *arg)
{
	struct ingest_req	*req = xcalloc(1, sizeof(*req));

	req->done = done;
	req->arg = arg;
	arena_pb_allocator(&req->arena, &req->alloc);
	return req;
}

ProtobufCAllocator *
ingest_req_allocator(struct ingest_req *req)
{
	return &req->alloc;
}

/* The text of value i of a JSON body; NULL when it is not JSON. */
struct ingest_span {
	const char	*text;
	size_t		 len;
};

/* Event i packed with seq 0 (left out); its seq goes at bytes + cut. */
struct ingest_packed {
	const char	*bytes;
	size_t		 len, cut;
};

/*
 * A share of a request's events, prepared on one worker: events[from, to)
 * and packed[from, to) are its own while it runs, the rest of the request
 * read-only. Its errors are merged into the request's on the loop.
 */
struct ingest_slice {
	struct workq_job	 job;
	struct ingest_req	*req;
	size_t			 from, to;
	struct buf		 bytes;		/* what packed[] points into */
	struct ingest_error	*bad;		/* values that do not decode */
	size_t			 nbad;
	struct ingest_error	*invalid;	/* events that fail validation */
	size_t			 ninvalid;
	struct arena		 arena;		/* its events */
	ProtobufCAllocator	 alloc;
};

static void
errors_free(struct ingest_error *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].event_id);
		free(e[i].message);
	}
	free(e);
}

/* Everything a request owns but the request itself. */
static void
free_contents(struct ingest_req *req)
{
	/* the events are the arenas' */
	arena_free(&req->arena);
	errors_free(req->errors, req->nerrors);
	for (size_t i = 0; i < req->nslices; i++) {
		arena_free(&req->slices[i].arena);
		buf_free(&req->slices[i].bytes);
		errors_free(req->slices[i].bad, req->slices[i].nbad);
		errors_free(req->slices[i].invalid, req->slices[i].ninvalid);
	}
	free(req->slices);
	free(req->events);
	free(req->results);
	free(req->json);
	free(req->spans);
	free(req->packed);
}

static struct ingest_req *
job_req(struct workq_job *job)
{
	return workq_owner(job, struct ingest_req, job);
}

static void
free_on_worker(struct workq_job *job)
{
	free_contents(job_req(job));
}

/* Back on the loop: the job lives in the request, so it goes last. */
static void
freed(struct workq_job *job)
{
	free(job_req(job));
}

void
ingest_req_free(struct ingest_req **reqp)
{
	struct ingest_req	*req = *reqp;

	if (req == NULL)
		return;
	*reqp = NULL;
	/*
	 * Thousands of small frees take the loop a millisecond: a worker does
	 * them. The request has left the ingest's queue, so nothing else
	 * holds it.
	 */
	if (req->in != NULL && req->in->workers != NULL &&
	    req->nevents > INGEST_INLINE_EVENTS) {
		req->job.run = free_on_worker;
		req->job.done = freed;
		workq_push(req->in->workers, &req->job);
	} else {
		free_contents(req);
		free(req);
	}
}

static void
errors_add(struct ingest_error **v, size_t *n, size_t index,
    const char *event_id, const char *msg)
{
	struct ingest_error	*e;

	/* grow by doubling: a body of 100,000 bad lines stays linear */
	if ((*n & (*n - 1)) == 0)
		*v = xrealloc(*v, (*n ? *n * 2 : 1) * sizeof(**v));
	e = &(*v)[(*n)++];
	e->index = index;
	e->event_id = event_id && *event_id ? xstrdup(event_id) : NULL;
	e->message = xstrdup(msg);
}

static void
add_error(struct ingest_req *req, size_t index, const char *event_id,
    const char *msg)
{
	errors_add(&req->errors, &req->nerrors, index, event_id, msg);
}

void
ingest_req_add_event(struct ingest_req *req, Msosync__Event *ev)
{
	if (req->nevents == req->cap) {
		req->cap = req->cap ? req->cap * 2 : 16;
		req->events = xrealloc(req->events,
		    req->cap * sizeof(*req->events));
	}
	req->events[req->nevents++] = ev;
}

void
ingest_req_take_json(struct ingest_req *req, char *text, size_t len)
{
	free(req->json);
	req->json = text;
	req->json_len = len;
}

static void
finish(struct ingest_req *req, int status)
{
	req->status = status;
	req->done(req, req->arg);
}

/*
 * Packing is a fifth of a commit's CPU, and all of it but the seq can be
 * done before the commit assigns one. protobuf-c writes fields in number
 * order, so an Event's bytes are those of fields 1-3 (schema_version,
 * event_id, site_id), then seq (field 4), then the rest: packed here with
 * seq 0 (left out), cut after field 3, and joined around the seq when
 * committed (splice_seq). test_ingest checks the join byte for byte
 * against msosync__event__pack.
 */
/* proto3 leaves out a zero or empty field; each tag here is one byte. */
size_t
ingest_seq_cut(const Msosync__Event *ev)
{
	size_t	n = 0, idlen = strlen(ev->event_id);

	if (ev->schema_version != 0)
		n += 1 + varint_len(ev->schema_version);
	if (idlen > 0)
		n += 1 + varint_len(idlen) + idlen;
	if (ev->site_id != 0)
		n += 1 + varint_len(ev->site_id);
	return n;
}

size_t
ingest_splice_seq(const char *bytes, size_t len, size_t cut, uint64_t seq,
    uint8_t *out)
{
	uint8_t	*p = out;

	memcpy(p, bytes, cut);
	p += cut;
	*p++ = 4 << 3;			/* field 4, varint */
	p += varint_put(p, seq);
	memcpy(p, bytes + cut, len - cut);
	return (size_t)(p - out) + len - cut;
}

/* Split json into values: the spans, and the errors of what is not JSON. */
struct splitting {
	struct ingest_req	*req;
	size_t			 cap;
};

static int
add_span(void *arg, size_t index, const char *value, size_t vlen,
    const char *perr)
{
	struct splitting	*sp = arg;
	struct ingest_req	*req = sp->req;
	char			 err[PBJSON_ERR_MAX];

	if (index >= INGEST_MAX_EVENTS)
		return MSOSYNC_ETOOBIG;
	if (value == NULL) {
		snprintf(err, sizeof(err), "invalid JSON: %s", perr);
		add_error(req, index, NULL, err);
	}
	if (index == sp->cap) {
		sp->cap = sp->cap ? sp->cap * 2 : 64;
		req->spans = xrealloc(req->spans, sp->cap * sizeof(*req->spans));
	}
	req->spans[index].text = value;
	req->spans[index].len = vlen;
	req->nevents = index + 1;
	return 0;
}

/* Sets the status when the body holds too many values. */
static void
split_json(struct ingest_req *req)
{
	struct splitting	sp = { .req = req };

	if (ndjson_each(req->json, req->json_len, add_span, &sp) ==
	    MSOSYNC_ETOOBIG) {
		req->status = INGEST_TOO_LARGE;
		req->nevents = 0;
		return;
	}
	/* slots, filled by the slices: NULL where a value does not decode */
	req->events = xcalloc(req->nevents ? req->nevents : 1,
	    sizeof(*req->events));
	req->cap = req->nevents;
}

/* On a worker (or the loop, for a small request): decode, validate, pack. */
static void
prepare_slice(struct workq_job *job)
{
	struct ingest_slice	*sl = workq_owner(job, struct ingest_slice,
				    job);
	struct ingest_req	*req = sl->req;
	char			 err[PBJSON_ERR_MAX], id[PBJSON_ERR_MAX];
	size_t			 i, first_bad = sl->to, total = 0;
	uint8_t			*p;

	for (i = sl->from; i < sl->to && req->spans != NULL; i++) {
		const struct ingest_span *s = &req->spans[i];
		ProtobufCMessage	*m;

		if (s->text == NULL) {
			/* not JSON: split_json has its error */
			first_bad = first_bad < i ? first_bad : i;
			continue;
		}
		if (pbjson_decode_text(&msosync__event__descriptor, s->text,
		    s->len, &sl->alloc, &m, err, sizeof(err)) != 0) {
			/* only now is the event_id looked for: errors are rare */
			errors_add(&sl->bad, &sl->nbad, i,
			    pbjson_peek_string(s->text, s->len, "event_id", id,
			    sizeof(id)) == 0 ? id : NULL, err);
			first_bad = first_bad < i ? first_bad : i;
			continue;
		}
		req->events[i] = (Msosync__Event *)m;
	}
	for (i = sl->from; i < first_bad; i++)
		if (validate_event(req->events[i], req->now, err,
		    sizeof(err)) != 0)
			errors_add(&sl->invalid, &sl->ninvalid, i,
			    req->events[i]->event_id, err);
	/* a refused request is neither stamped nor packed */
	if (first_bad < sl->to || sl->ninvalid > 0 || req->nerrors > 0)
		return;
	for (i = sl->from; i < sl->to; i++) {
		Msosync__Event *ev = req->events[i];

		validate_stamp(ev, req->in->site_id, req->now, req->in->pepper,
		    &sl->alloc);
		ev->seq = 0;
		req->packed[i].len = msosync__event__get_packed_size(ev);
		req->packed[i].cut = ingest_seq_cut(ev);
		total += req->packed[i].len;
	}
	/* sized first, so the pointers into it stay put */
	buf_reset(&sl->bytes);
	buf_reserve(&sl->bytes, total);
	p = (uint8_t *)sl->bytes.data;
	for (i = sl->from; i < sl->to; i++) {
		req->packed[i].bytes = (const char *)p;
		p += msosync__event__pack(req->events[i], p);
	}
	sl->bytes.len = total;
}

static int
by_index(const void *a, const void *b)
{
	size_t	x = ((const struct ingest_error *)a)->index;
	size_t	y = ((const struct ingest_error *)b)->index;

	return x < y ? -1 : x > y;
}

/*
 * On the loop, once every slice is prepared: the request's errors in the
 * order ingest_submit promises, then its status (0 when it may commit).
 */
static void
merge_slices(struct ingest_req *req)
{
	size_t	first_bad = SIZE_MAX;

	for (size_t s = 0; s < req->nslices; s++) {
		struct ingest_slice *sl = &req->slices[s];

		for (size_t i = 0; i < sl->nbad; i++)
			errors_add(&req->errors, &req->nerrors,
			    sl->bad[i].index, sl->bad[i].event_id,
			    sl->bad[i].message);
		errors_free(sl->bad, sl->nbad);
		sl->bad = NULL;
		sl->nbad = 0;
	}
	if (req->nerrors > 0) {
		qsort(req->errors, req->nerrors, sizeof(*req->errors),
		    by_index);
		first_bad = req->errors[0].index;
	}
	for (size_t s = 0; s < req->nslices; s++) {
		struct ingest_slice *sl = &req->slices[s];

		for (size_t i = 0; i < sl->ninvalid; i++)
			if (sl->invalid[i].index < first_bad)
				errors_add(&req->errors, &req->nerrors,
				    sl->invalid[i].index,
				    sl->invalid[i].event_id,
				    sl->invalid[i].message);
		errors_free(sl->invalid, sl->ninvalid);
		sl->invalid = NULL;
		sl->ninvalid = 0;
	}
	if (req->nerrors == 0 && req->nevents == 0)
		add_error(req, 0, NULL, "no events in request");
	if (req->nerrors > 0)
		req->status = INGEST_INVALID;
	else
		req->results = xcalloc(req->nevents, sizeof(*req->results));
}

/* Cut the request into slices of at most 'each' events. */
static void
make_slices(struct ingest_req *req, size_t each)
{
	size_t	n = req->nevents ? (req->nevents + each - 1) / each : 1;

	req->packed = xcalloc(req->nevents ? req->nevents : 1,
	    sizeof(*req->packed));
	req->slices = xcalloc(n, sizeof(*req->slices));
	req->nslices = req->slices_left = n;
	for (size_t s = 0; s < n; s++) {
		struct ingest_slice *sl = &req->slices[s];

		sl->req = req;
		arena_pb_allocator(&sl->arena, &sl->alloc);
		sl->from = s * each;
		sl->to = sl->from + each < req->nevents ? sl->from + each :
		    req->nevents;
	}
}

/* On the loop: answer a refused request, queue the others. */
static void
prepared(struct ingest_req *req)
{
	struct ingest	*in = req->in;

	if (req->status != 0) {
		if (req->status == INGEST_INVALID)
			in->stats.requests_invalid++;
		finish(req, req->status);
		return;
	}
	req->next = NULL;
	if (in->tail)
		in->tail->next = req;
	else
		in->head = req;
	in->tail = req;
	event_active(in->commit_ev, 0, 0);
}

static void
slice_done(struct workq_job *job)
{
	struct ingest_req	*req = workq_owner(job, struct ingest_slice,
				    job)->req;

	if (--req->slices_left > 0)
		return;
	merge_slices(req);
	prepared(req);
}

/*
 * Every slice of a request is queued before the next request's, so the
 * workers finish one request together rather than two side by side: its
 * commit then overlaps the next one's decoding.
 */
static void
start_slices(struct ingest_req *req)
{
	make_slices(req, INGEST_SLICE_EVENTS);
	for (size_t s = 0; s < req->nslices; s++) {
		req->slices[s].job.run = prepare_slice;
		req->slices[s].job.done = slice_done;
		workq_push(req->in->workers, &req->slices[s].job);
	}
}

static void
split_on_worker(struct workq_job *job)
{
	split_json(job_req(job));
}

static void
split_done(struct workq_job *job)
{
	struct ingest_req	*req = job_req(job);

	if (req->status != 0)
		prepared(req);
	else
		start_slices(req);
}

void
ingest_submit(struct ingest *in, struct ingest_req *req)
{
	req->in = in;
	req->status = 0;
	req->now = clock_now_ms();
	/* a few events cost less to check than a hop to a thread and back */
	if (req->json != NULL ? req->json_len <= INGEST_INLINE_BYTES :
	    req->nevents <= INGEST_INLINE_EVENTS) {
		if (req->json != NULL)
			split_json(req);
		if (req->status == 0) {
			make_slices(req, req->nevents ? req->nevents : 1);
			prepare_slice(&req->slices[0].job);
			merge_slices(req);
		}
		prepared(req);
	} else if (req->json != NULL) {
		req->job.run = split_on_worker;
		req->job.done = split_done;
		workq_push(in->workers, &req->job);
	} else
		start_slices(req);
}

static void
grow_scratch(struct ingest *in, size_t nfind, size_t npend)
{
	if (nfind > in->find_cap) {
		in->find_cap = nfind;
		in->find = xrealloc(in->find, nfind * sizeof(*in->find));
	}
	if (npend > in->pend_cap) {
		in->pend_cap = npend;
		in->pend = xrealloc(in->pend, npend * sizeof(*in->pend));
		in->app = xrealloc(in->app, npend * sizeof(*in->app));
	}
}

/* Rebuild the commit's maps from the first n pending events. */
static void
rebuild_maps(struct ingest *in, size_t n, size_t cap)
{
	idmap_reset(&in->ids, cap);
	idmap_reset(&in->voided, cap);
	for (size_t i = 0; i < n; i++) {
		idmap_put(&in->ids, in->pend[i].ev->event_id, i);
		if (in->pend[i].ev->body_case == MSOSYNC__EVENT__BODY_VOID)
			idmap_put(&in->voided,
			    in->pend[i].ev->void_->voided_event_id, i);
	}
}

/*
 * Check a new void against the journal (its target's find entry) and this
 * commit. Returns NULL or the reason it is refused.
 */
static const char *
check_void(struct ingest *in, const char *target,
    const struct journal_entry *stored)
{
	size_t	i;

	if (idmap_get(&in->voided, target, &i))
		return "void.voided_event_id: event already voided";
	if (idmap_get(&in->ids, target, &i))
		return in->pend[i].ev->body_case == MSOSYNC__EVENT__BODY_VOID ?
		    "void.voided_event_id: cannot void a void" : NULL;
	if (stored->seq == 0)
		return "void.voided_event_id: no such event at this site";
	if (stored->flags & JOURNAL_F_VOID)
		return "void.voided_event_id: cannot void a void";
	if (stored->flags & JOURNAL_F_VOIDED)
		return "void.voided_event_id: event already voided";
	return NULL;
}

static void
fill_find(struct journal_entry *f, const char *id)
{
	memset(f, 0, sizeof(*f));
	f->event_id = id;
	f->id_len = strlen(id);
}

/*
 * Resolve one request against the journal and the commit so far: fill its
 * results and append its new events to in->pend. *npend grows; on a
 * refused void the request's events are taken back out.
 */
static void
resolve(struct ingest *in, struct ingest_req *req,
    const struct journal_entry *found, const struct journal_entry *targets,
    size_t *npend, size_t total)
{
	size_t		 mark = *npend, ti = 0;
	uint64_t	 head = journal_head_seq(in->journal);

	for (size_t i = 0; i < req->nevents; i++) {
		Msosync__Event			*ev = req->events[i];
		const struct journal_entry	*tgt = NULL;
		const char			*why;
		size_t				 p;

		if (ev->body_case == MSOSYNC__EVENT__BODY_VOID)
			tgt = &targets[ti++];	/* one per void, in order */
		if (found[i].seq != 0) {
			req->results[i].seq = found[i].seq;
			req->results[i].duplicate = 1;
			continue;
		}
		if (idmap_get(&in->ids, ev->event_id, &p)) {
			req->results[i].seq = in->pend[p].ev->seq;
			req->results[i].duplicate = 1;
			continue;
		}
		if (ev->body_case == MSOSYNC__EVENT__BODY_VOID) {
			why = check_void(in, ev->void_->voided_event_id, tgt);
			if (why != NULL) {
				add_error(req, i, ev->event_id, why);
				continue;
			}
			idmap_put(&in->voided, ev->void_->voided_event_id,
			    *npend);
		}
		ev->seq = head + 1 + *npend;
		in->pend[*npend].ev = ev;
		in->pend[*npend].flags = ev->body_case ==
		    MSOSYNC__EVENT__BODY_VOID ? JOURNAL_F_VOID : 0;
		in->pend[*npend].bytes = req->packed[i].bytes;
		in->pend[*npend].len = req->packed[i].len;
		in->pend[*npend].cut = req->packed[i].cut;
		idmap_put(&in->ids, ev->event_id, *npend);
		req->results[i].seq = ev->seq;
		req->results[i].duplicate = 0;
		(*npend)++;
	}
	if (req->nerrors > 0) {
		for (size_t p = mark; p < *npend; p++)
			in->pend[p].ev->seq = 0;
		*npend = mark;
		rebuild_maps(in, mark, total);
	}
}

/* Join every pending event's bytes around its seq; point the entries at them. */
static void
pack_pending(struct ingest *in, size_t npend)
{
	size_t	*off = xmalloc((npend + 1) * sizeof(*off));

	buf_reset(&in->packed);
	for (size_t i = 0; i < npend; i++) {
		const struct pending *p = &in->pend[i];

		buf_reserve(&in->packed, p->len + 11);	/* tag + varint */
		off[i] = in->packed.len;
		in->packed.len += ingest_splice_seq(p->bytes, p->len, p->cut,
		    p->ev->seq, (uint8_t *)in->packed.data + in->packed.len);
	}
	off[npend] = in->packed.len;
	for (size_t i = 0; i < npend; i++) {
		struct journal_entry	*a = &in->app[i];
		Msosync__Event		*ev = in->pend[i].ev;

		memset(a, 0, sizeof(*a));
		a->event_id = ev->event_id;
		a->id_len = strlen(ev->event_id);
		a->event = in->packed.data + off[i];
		a->len = off[i + 1] - off[i];
		a->recorded_at = ev->recorded_at;
		a->seq = ev->seq;
		a->flags = in->pend[i].flags;
		if (ev->body_case == MSOSYNC__EVENT__BODY_VOID) {
			a->voids_id = ev->void_->voided_event_id;
			a->voids_len = strlen(a->voids_id);
		}
	}
	free(off);
}

/*
 * Answer the requests of a commit that journaled npend new events with
 * result rc (or refused them all, rc != 0), then kick replication.
 */
static void
answer(struct ingest *in, struct ingest_req *reqs, int rc, size_t npend)
{
	struct ingest_req	*req, *next;
	int			 status;

	if (rc == 0 && npend > 0) {
		in->stats.commits++;
		in->stats.commit_events += npend;
	}
	if (rc == MSOSYNC_EPANIC || (rc != 0 && rc != MSOSYNC_EFULL)) {
		log_error("journal: %s; no request of this commit is "
		    "acknowledged", msosync_strerror(rc));
		if (rc == MSOSYNC_EPANIC) {
			in->failed = 1;
			event_base_loopbreak(in->base);
		}
	}
	for (req = reqs; req; req = next) {
		int has_new = 0;

		next = req->next;
		for (size_t i = 0; i < req->nevents && req->results; i++)
			has_new |= !req->results[i].duplicate;
		if (req->nerrors > 0) {
			status = INGEST_INVALID;
			in->stats.requests_invalid++;
		} else if (rc == 0 || !has_new) {
			status = INGEST_OK;
			in->stats.requests_ok++;
			for (size_t i = 0; i < req->nevents; i++) {
				if (req->results[i].duplicate)
					in->stats.duplicates++;
				else
					in->stats.accepted++;
			}
		} else if (rc == MSOSYNC_EFULL) {
			status = INGEST_FULL;
			in->stats.requests_full++;
		} else
			status = INGEST_INTERNAL;
		finish(req, status);
	}
	/* replication after the answers: a client is not kept waiting on it */
	if (rc == 0 && npend > 0 && in->commit_hook)
		in->commit_hook(in->commit_arg);
}

/* On the writer thread: the commit's transaction and its fsync. */
static void
commit_run(struct workq_job *job)
{
	struct ingest	*in = workq_owner(job, struct ingest, commit_job);

	journal_append_run(in->journal, &in->op);
}

/* Back on the loop: answer the commit, and start the next one. */
static void
committed(struct workq_job *job)
{
	struct ingest		*in = workq_owner(job, struct ingest,
				    commit_job);
	struct ingest_req	*reqs = in->flight, *next;
	size_t			 n, next_npend;
	int			 rc, next_rc;

	if ((rc = journal_append_finish(in->journal, &in->op)) ==
	    JOURNAL_AGAIN) {
		workq_push(in->writer, &in->commit_job);	/* map grown */
		return;
	}
	in->flight = NULL;
	n = in->op.n;
	/*
	 * The next commit first: the writer idles until it starts, and what
	 * it holds has waited longest. Then the answers, in order.
	 */
	next = commit_start(in, &next_rc, &next_npend);
	answer(in, reqs, rc, n);
	if (next != NULL)
		answer(in, next, next_rc, next_npend);
}

/*
 * Resolve what is queued against the journal, and hand the new events to
 * the writer thread: the loop goes on reading and checking requests while
 * the transaction and its fsync run. One commit is in flight at a time;
 * whatever arrives meanwhile goes into the next. Returns the requests
 * when they are finished here (nothing new to journal, or a failure), for
 * the caller to answer with *rc and *npend; NULL when they are in flight,
 * or nothing was queued.
 */
static struct ingest_req *
commit_start(struct ingest *in, int *rcp, size_t *npendp)
{
	struct ingest_req	*reqs = in->head, *req;
	size_t			 nev = 0, nvoid = 0, nfind, npend = 0, k;
	int			 rc = 0;

	*rcp = 0;
	*npendp = 0;
	if (in->flight != NULL || reqs == NULL)
		return NULL;	/* committed() starts the next one */
	in->head = in->tail = NULL;
	for (req = reqs; req; req = req->next)
		for (size_t i = 0; i < req->nevents; i++) {
			nev++;
			nvoid += req->events[i]->body_case ==
			    MSOSYNC__EVENT__BODY_VOID;
		}
	nfind = nev + nvoid;
	grow_scratch(in, nfind, nev);

	/* one read of the ids index for every event and void target */
	k = 0;
	for (req = reqs; req; req = req->next)
		for (size_t i = 0; i < req->nevents; i++)
			fill_find(&in->find[k++], req->events[i]->event_id);
	for (req = reqs; req; req = req->next)
		for (size_t i = 0; i < req->nevents; i++)
			if (req->events[i]->body_case ==
			    MSOSYNC__EVENT__BODY_VOID)
				fill_find(&in->find[k++],
				    req->events[i]->void_->voided_event_id);
	if (nfind > 0 && (rc = journal_find(in->journal, in->find, nfind)) != 0)
		goto done;

	rebuild_maps(in, 0, nev);
	size_t fi = 0, ti = nev;
	for (req = reqs; req; req = req->next) {
		size_t voids = 0;

		for (size_t i = 0; i < req->nevents; i++)
			voids += req->events[i]->body_case ==
			    MSOSYNC__EVENT__BODY_VOID;
		resolve(in, req, &in->find[fi], &in->find[ti], &npend, nev);
		fi += req->nevents;
		ti += voids;
	}
	if (npend > 0) {
		pack_pending(in, npend);
		rc = journal_append_start(in->journal, &in->op, in->app, npend);
		if (rc == 0) {
			in->flight = reqs;
			workq_push(in->writer, &in->commit_job);
			return NULL;
		}
	}
done:
	*rcp = rc;
	*npendp = npend;
	return reqs;
}

static void
on_commit(evutil_socket_t fd, short what, void *arg)
{
	struct ingest		*in = arg;
	struct ingest_req	*reqs;
	size_t			 npend;
	int			 rc;

	(void)fd;
	(void)what;
	if ((reqs = commit_start(in, &rc, &npend)) != NULL)
		answer(in, reqs, rc, npend);
}
