/*
 * Ingest: request -> validate -> stamp -> group commit -> answer.
 *
 * A request is validated and stamped when it is submitted, then queued.
 * The commit event runs at low priority, so it fires once per loop
 * iteration after every ready HTTP and ipc callback has queued its
 * request: all of them go into one journal transaction (one fsync), and
 * only then is any of them answered (DESIGN §4.1).
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
 * they run on workers, so they overlap the loop's commits and fsyncs.
 */
#define INGEST_WORKERS		2
#define INGEST_INLINE_EVENTS	256	/* smaller requests stay on the loop */
#define INGEST_INLINE_BYTES	65536

struct ingest {
	struct event_base	*base;
	struct event		*commit_ev;
	struct workq		*workers;
	struct journal		*journal;
	uint32_t		 site_id;
	const uint8_t		*pepper;
	struct ingest_req	*head, *tail;	/* queued for the next commit */
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
	if ((in->workers = workq_new(base, INGEST_WORKERS)) == NULL) {
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
	/* requests being decoded come back, and are queued */
	workq_free(&in->workers);
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
	return req;
}

/* Everything a request owns but the request itself. */
static void
free_contents(struct ingest_req *req)
{
	for (size_t i = 0; i < req->nevents; i++)
		protobuf_c_message_free_unpacked(&req->events[i]->base, NULL);
	for (size_t i = 0; i < req->nerrors; i++) {
		free(req->errors[i].event_id);
		free(req->errors[i].message);
	}
	free(req->events);
	free(req->errors);
	free(req->results);
	free(req->json);
	buf_free(&req->packed);
	free(req->at);
	free(req->cut);
}

static void
free_on_worker(struct workq_job *job)
{
	free_contents((struct ingest_req *)((char *)job -
	    offsetof(struct ingest_req, job)));
}

/* Back on the loop: the job lives in the request, so it goes last. */
static void
freed(struct workq_job *job)
{
	free((char *)job - offsetof(struct ingest_req, job));
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
add_error(struct ingest_req *req, size_t index, const char *event_id,
    const char *msg)
{
	struct ingest_error	*e;

	/* grow by doubling: a body of 100,000 bad lines stays linear */
	if ((req->nerrors & (req->nerrors - 1)) == 0)
		req->errors = xrealloc(req->errors,
		    (req->nerrors ? req->nerrors * 2 : 1) *
		    sizeof(*req->errors));
	e = &req->errors[req->nerrors++];
	e->index = index;
	e->event_id = event_id && *event_id ? xstrdup(event_id) : NULL;
	e->message = xstrdup(msg);
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

static int
add_json_value(void *arg, size_t index, const char *value, size_t vlen,
    const char *perr)
{
	struct ingest_req	*req = arg;
	ProtobufCMessage	*m;
	char			 err[PBJSON_ERR_MAX], id[PBJSON_ERR_MAX];

	if (index >= INGEST_MAX_EVENTS)
		return MSOSYNC_ETOOBIG;
	if (value == NULL) {
		snprintf(err, sizeof(err), "invalid JSON: %s", perr);
		add_error(req, index, NULL, err);
		return 0;
	}
	if (pbjson_decode_text(&msosync__event__descriptor, value, vlen, &m,
	    err, sizeof(err)) != 0) {
		/* only now is the event_id looked for: errors are rare */
		add_error(req, index, pbjson_peek_string(value, vlen,
		    "event_id", id, sizeof(id)) == 0 ? id : NULL, err);
		return 0;
	}
	/* keep positions: events[i] is the request's i-th value */
	if (req->nerrors == 0 && req->nevents == index)
		ingest_req_add_event(req, (Msosync__Event *)m);
	else
		protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

int
ingest_req_add_json(struct ingest_req *req, const char *text, size_t len)
{
	int	rc = ndjson_each(text, len, add_json_value, req);

	return rc == MSOSYNC_ETOOBIG ? rc : 0;
}

static void
finish(struct ingest_req *req, int status)
{
	req->status = status;
	req->done(req, req->arg);
}

void
ingest_req_take_json(struct ingest_req *req, char *text, size_t len)
{
	free(req->json);
	req->json = text;
	req->json_len = len;
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
size_t
ingest_seq_cut(const Msosync__Event *ev)
{
	Msosync__Event	h = MSOSYNC__EVENT__INIT;

	h.schema_version = ev->schema_version;
	h.event_id = ev->event_id;
	h.site_id = ev->site_id;
	return msosync__event__get_packed_size(&h);
}

static void
pack_without_seq(struct ingest_req *req)
{
	struct buf	*b = &req->packed;

	req->at = xmalloc((req->nevents + 1) * sizeof(*req->at));
	req->cut = xmalloc((req->nevents + 1) * sizeof(*req->cut));
	buf_reset(b);
	for (size_t i = 0; i < req->nevents; i++) {
		Msosync__Event	*ev = req->events[i];
		size_t		 n;

		ev->seq = 0;
		n = msosync__event__get_packed_size(ev);
		buf_reserve(b, n);
		req->at[i] = b->len;
		req->cut[i] = ingest_seq_cut(ev);
		b->len += msosync__event__pack(ev, (uint8_t *)b->data + b->len);
	}
	req->at[req->nevents] = b->len;
}

size_t
ingest_splice_seq(const char *bytes, size_t len, size_t cut, uint64_t seq,
    uint8_t *out)
{
	uint8_t	*p = out;

	memcpy(p, bytes, cut);
	p += cut;
	*p++ = 4 << 3;			/* field 4, varint */
	do {
		*p++ = (uint8_t)(seq & 0x7f) | (seq > 0x7f ? 0x80 : 0);
		seq >>= 7;
	} while (seq != 0);
	memcpy(p, bytes + cut, len - cut);
	return (size_t)(p - out) + len - cut;
}

/* On a worker: decode, validate, stamp. Sets status when refused. */
static void
prepare(struct workq_job *job)
{
	struct ingest_req	*req = (struct ingest_req *)((char *)job -
				    offsetof(struct ingest_req, job));
	char			 err[VALIDATE_ERR_MAX];
	int64_t			 now = clock_now_ms();
	int			 rc;

	if (req->json != NULL) {
		rc = ingest_req_add_json(req, req->json, req->json_len);
		free(req->json);
		req->json = NULL;
		if (rc == MSOSYNC_ETOOBIG) {
			req->status = INGEST_TOO_LARGE;
			return;
		}
	}
	if (req->nerrors == 0 && req->nevents == 0)
		add_error(req, 0, NULL, "no events in request");
	for (size_t i = 0; i < req->nevents; i++)
		if (validate_event(req->events[i], now, err, sizeof(err)) != 0)
			add_error(req, i, req->events[i]->event_id, err);
	if (req->nerrors > 0) {
		req->status = INGEST_INVALID;
		return;
	}
	for (size_t i = 0; i < req->nevents; i++)
		validate_stamp(req->events[i], req->in->site_id, now,
		    req->in->pepper);
	pack_without_seq(req);
	req->results = xcalloc(req->nevents, sizeof(*req->results));
}

/* Back on the loop: answer a refused request, queue the others. */
static void
prepared(struct workq_job *job)
{
	struct ingest_req	*req = (struct ingest_req *)((char *)job -
				    offsetof(struct ingest_req, job));
	struct ingest		*in = req->in;

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

void
ingest_submit(struct ingest *in, struct ingest_req *req)
{
	req->in = in;
	req->status = 0;
	req->job.run = prepare;
	req->job.done = prepared;
	/* a few events cost less to check than a hop to a thread and back */
	if (req->json != NULL ? req->json_len <= INGEST_INLINE_BYTES :
	    req->nevents <= INGEST_INLINE_EVENTS) {
		prepare(&req->job);
		prepared(&req->job);
	} else
		workq_push(in->workers, &req->job);
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
		in->pend[*npend].bytes = req->packed.data + req->at[i];
		in->pend[*npend].len = req->at[i + 1] - req->at[i];
		in->pend[*npend].cut = req->cut[i];
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

static void
on_commit(evutil_socket_t fd, short what, void *arg)
{
	struct ingest		*in = arg;
	struct ingest_req	*reqs = in->head, *req, *next;
	size_t			 nev = 0, nvoid = 0, nfind, npend = 0, k;
	int			 rc = 0, status;

	(void)fd;
	(void)what;
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
		rc = journal_append(in->journal, in->app, npend);
	}
	if (rc == 0 && npend > 0) {
		in->stats.commits++;
		in->stats.commit_events += npend;
	}
done:
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
