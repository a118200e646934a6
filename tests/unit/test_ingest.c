/*
 * Tests for ingest.c.
 *
 * The packing split: an event packed with seq left out, cut after its
 * fields 1-3 and joined around a seq by ingest_splice_seq must be exactly
 * what msosync__event__pack writes with that seq, for every kind of event
 * the simulator makes and for seqs of every varint length. The journal's
 * hash chain covers these bytes, so a single byte of difference would fork
 * it.
 *
 * Requests through a real journal in a temp dir: a large JSON body is
 * prepared in slices on the workers, a small one on the loop, and both
 * must give the same answer: seqs in order, and a refused request's errors
 * in the promised order (every value that does not decode, then the
 * validation errors before the first of them), with nothing journaled;
 * a negative amount refused in DESIGN §9's exact words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "buf.h"
#include "events.pb-c.h"
#include "ingest.h"
#include "journal.h"
#include "simulate.h"
#include "testutil.h"
#include "xmalloc.h"

static const uint64_t seqs[] = { 1, 127, 128, 16383, 16384, 4294967296ULL,
    (1ULL << 56) + 3, UINT64_MAX };

struct tally {
	size_t	events;
	size_t	bodies[64];
};

static int
check_event(const Msosync__Event *orig, void *arg)
{
	struct tally	*t = arg;
	Msosync__Event	 ev = *orig;
	uint8_t		*noseq, *want, *got;
	size_t		 n, cut;

	ev.site_id = 7;		/* as the agent stamps it */
	ev.seq = 0;
	n = msosync__event__get_packed_size(&ev);
	noseq = xmalloc(n);
	assert_int_equal(msosync__event__pack(&ev, noseq), n);
	cut = ingest_seq_cut(&ev);
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		size_t	wn, gn;

		ev.seq = seqs[i];
		wn = msosync__event__get_packed_size(&ev);
		want = xmalloc(wn);
		got = xmalloc(n + 11);
		msosync__event__pack(&ev, want);
		gn = ingest_splice_seq((const char *)noseq, n, cut, seqs[i],
		    got);
		assert_int_equal(gn, wn);
		assert_memory_equal(got, want, wn);
		free(want);
		free(got);
	}
	free(noseq);
	t->events++;
	if (ev.body_case < 64)
		t->bodies[ev.body_case]++;
	return 0;
}

static void
test_splice_matches_pack(void **state)
{
	struct sim_params	p = { .days = 20, .rate = 300, .seed = 11,
				    .end_date = 20261101 };
	struct tally		t = { 0 };
	uint64_t		n = 0;
	size_t			kinds = 0;

	(void)state;
	assert_int_equal(sim_generate(&p, 3, check_event, &t, &n), 0);
	assert_int_equal(t.events, n);
	assert_true(n > 3000);
	for (size_t i = 0; i < 64; i++)
		kinds += t.bodies[i] > 0;
	assert_true(kinds >= 10);	/* most bodies, voids included */
	assert_true(t.bodies[MSOSYNC__EVENT__BODY_VOID] > 0);
}

/* No schema_version, no event_id: the cut is at 0 or after one field. */
static void
test_splice_short_heads(void **state)
{
	Msosync__Event	ev = MSOSYNC__EVENT__INIT;
	Msosync__Lead	lead = MSOSYNC__LEAD__INIT;
	uint8_t		noseq[64], want[80], got[80];
	size_t		n;

	(void)state;
	ev.body_case = MSOSYNC__EVENT__BODY_LEAD;
	ev.lead = &lead;
	lead.source = MSOSYNC__LEAD__SOURCE__WEB;
	n = msosync__event__pack(&ev, noseq);
	assert_int_equal(ingest_seq_cut(&ev), 0);
	ev.seq = 300;
	assert_int_equal(ingest_splice_seq((const char *)noseq, n, 0, 300,
	    got), msosync__event__pack(&ev, want));
	assert_memory_equal(got, want, n + 3);
}

/*
 * The cut is the packed size of fields 1-3 alone, for values whose
 * varints take one byte and more: what protobuf-c says, for each.
 */
static void
test_cut_lengths(void **state)
{
	static const uint32_t	 nums[] = { 0, 1, 127, 128, 16383, 16384,
				    UINT32_MAX };
	static const size_t	 idlens[] = { 0, 1, 64, 127, 128, 300 };
	char			 id[301];

	(void)state;
	memset(id, 'x', sizeof(id));
	for (size_t a = 0; a < sizeof(nums) / sizeof(nums[0]); a++)
		for (size_t b = 0; b < sizeof(nums) / sizeof(nums[0]); b++)
			for (size_t k = 0; k < sizeof(idlens) /
			    sizeof(idlens[0]); k++) {
				Msosync__Event	ev = MSOSYNC__EVENT__INIT;

				id[idlens[k]] = '\0';
				ev.schema_version = nums[a];
				ev.site_id = nums[b];
				ev.event_id = id;
				assert_int_equal(ingest_seq_cut(&ev),
				    msosync__event__get_packed_size(&ev));
				id[idlens[k]] = 'x';
			}
}

/* A journal in a temp dir, and an ingest on a loop this thread runs. */
struct fx {
	char			 dir[64];
	struct journal		*j;
	struct event_base	*base;
	struct ingest		*in;
	uint8_t			 pepper[32];
};

static int
setup(void **state)
{
	struct fx		*f = xcalloc(1, sizeof(*f));
	struct event_config	*cfg;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ingest.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(journal_open(f->dir, 7, (size_t)64 << 20, &f->j), 0);
	assert_non_null(cfg = event_config_new());
	assert_non_null(f->base = event_base_new_with_config(cfg));
	event_config_free(cfg);
	assert_int_equal(event_base_priority_init(f->base, 2), 0);
	memset(f->pepper, 0x5a, sizeof(f->pepper));
	assert_non_null(f->in = ingest_new(f->base, f->j, 7, f->pepper));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	ingest_free(&f->in);
	event_base_free(f->base);
	journal_close(&f->j);
	testutil_rm_rf(f->dir);
	free(f);
	return 0;
}

static void
on_done(struct ingest_req *req, void *arg)
{
	(void)req;
	*(int *)arg = 1;
}

/* Submit 'body' (copied) and run the loop until it is answered. */
static struct ingest_req *
submit_json(struct fx *f, const struct buf *body)
{
	struct ingest_req	*req;
	static int		 done;
	char			*text = xmalloc(body->len + 1);

	done = 0;
	memcpy(text, body->data, body->len);
	req = ingest_req_new(on_done, &done);
	ingest_req_take_json(req, text, body->len);
	ingest_submit(f->in, req);
	while (!done)
		assert_true(event_base_loop(f->base, EVLOOP_ONCE) >= 0);
	return req;
}

enum line { GOOD, NEGATIVE, UNKNOWN_FIELD, NOT_JSON };

static void
add_line(struct buf *b, size_t i, enum line kind)
{
	switch (kind) {
	case NOT_JSON:
		buf_printf(b, "{\"event_id\":\"e-%zu\",\n", i);
		return;
	case UNKNOWN_FIELD:
		buf_printf(b, "{\"event_id\":\"e-%zu\",\"patient_name\":\"x\","
		    "\"occurred_at\":\"2026-11-20T15:04:05Z\",\"sale\":{"
		    "\"ticket_id\":\"T\",\"category\":\"injectables\","
		    "\"amount_cents\":100}}\n", i);
		return;
	default:
		buf_printf(b, "{\"event_id\":\"e-%zu\",\"occurred_at\":"
		    "\"2026-11-20T15:04:05Z\",\"sale\":{\"ticket_id\":\"T\","
		    "\"category\":\"injectables\",\"amount_cents\":%d,"
		    "\"client_id\":\"c-%zu\"}}\n", i,
		    kind == NEGATIVE ? -5 : 100, i % 97);
	}
}

/* n lines, ids from e-<first>, all good but those named at idx[]. */
static void
make_body(struct buf *b, size_t first, size_t n, const size_t *idx,
    const enum line *kinds, size_t nk)
{
	buf_reset(b);
	for (size_t i = 0; i < n; i++) {
		enum line	kind = GOOD;

		for (size_t k = 0; k < nk; k++)
			if (idx[k] == i)
				kind = kinds[k];
		add_line(b, first + i, kind);
	}
}

/* Large (sliced on the workers) and small (on the loop) alike. */
static void
check_accepts(struct fx *f, size_t n)
{
	struct buf		 b = { 0 };
	struct ingest_req	*req;
	uint64_t		 head = journal_head_seq(f->j);

	make_body(&b, head, n, NULL, NULL, 0);
	req = submit_json(f, &b);
	assert_int_equal(req->status, INGEST_OK);
	assert_int_equal(req->nevents, n);
	assert_int_equal(req->nerrors, 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(req->results[i].seq, head + 1 + i);
		assert_int_equal(req->results[i].duplicate, 0);
	}
	ingest_req_free(&req);
	assert_int_equal(journal_head_seq(f->j), head + n);

	/* the same again: every one a duplicate of its first seq */
	req = submit_json(f, &b);
	assert_int_equal(req->status, INGEST_OK);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(req->results[i].seq, head + 1 + i);
		assert_int_equal(req->results[i].duplicate, 1);
	}
	ingest_req_free(&req);
	assert_int_equal(journal_head_seq(f->j), head + n);
	buf_free(&b);
}

static void
test_accepts_small_and_sliced(void **state)
{
	struct fx	*f = *state;

	check_accepts(f, 50);		/* on the loop */
	/* 3,000 lines: far over the inline limit, three slices */
	check_accepts(f, 3000);
}

/*
 * Bad lines spread over the slices: errors are every value that does not
 * decode (index order), then the validation errors before the first one.
 */
static void
check_refuses(struct fx *f, size_t n, const size_t *idx,
    const enum line *kinds, size_t nk, const size_t *want, size_t nwant)
{
	struct buf		 b = { 0 };
	struct ingest_req	*req;
	uint64_t		 head = journal_head_seq(f->j);

	make_body(&b, 0, n, idx, kinds, nk);
	req = submit_json(f, &b);
	assert_int_equal(req->status, INGEST_INVALID);
	assert_int_equal(req->nerrors, nwant);
	for (size_t i = 0; i < nwant; i++) {
		char	id[32];

		assert_int_equal(req->errors[i].index, want[i]);
		snprintf(id, sizeof(id), "e-%zu", want[i]);
		if (req->errors[i].event_id != NULL)
			assert_string_equal(req->errors[i].event_id, id);
		assert_non_null(req->errors[i].message);
	}
	ingest_req_free(&req);
	assert_int_equal(journal_head_seq(f->j), head);
	buf_free(&b);
}

static void
test_refuses_in_order(void **state)
{
	struct fx		*f = *state;
	/* slices of 1,024: bad values in the third slice, validation
	 * errors in the first and second, one after the first bad value */
	const size_t		 idx[] = { 2900, 10, 2500, 1500, 2950 };
	const enum line		 kinds[] = { NOT_JSON, NEGATIVE, UNKNOWN_FIELD,
				    NEGATIVE, NEGATIVE };
	const size_t		 want[] = { 2500, 2900, 10, 1500 };
	/* the same shape, small enough for the loop */
	const size_t		 sidx[] = { 29, 1, 25, 15, 29 + 1 };
	const size_t		 swant[] = { 25, 29, 1, 15 };

	check_refuses(f, 3000, idx, kinds, 5, want, 4);
	check_refuses(f, 40, sidx, kinds, 5, swant, 4);
}

static void
test_refuses_whole_request(void **state)
{
	struct fx	*f = *state;
	const size_t	 idx[] = { 2999 };
	const enum line	 kinds[] = { NEGATIVE };
	const size_t	 want[] = { 2999 };

	/* one bad event in the last slice: nothing of the other 2,999 */
	check_refuses(f, 3000, idx, kinds, 1, want, 1);
}

/*
 * A negative amount is refused in DESIGN §9's words, "≥" being U+2265 in
 * UTF-8, and the agent's JSON string encoder (buf_json_string, which
 * writes the errors answer) passes it through unescaped: valid UTF-8 JSON.
 */
static void
test_refusal_text(void **state)
{
	static const char	 want[] =
	    "sale.amount_cents: must be \xe2\x89\xa5 0";
	static const char	 want_json[] =
	    "\"sale.amount_cents: must be \xe2\x89\xa5 0\"";
	struct fx		*f = *state;
	const size_t		 idx[] = { 1 };
	const enum line		 kinds[] = { NEGATIVE };
	struct buf		 b = { 0 }, j = { 0 };
	struct ingest_req	*req;

	make_body(&b, 0, 3, idx, kinds, 1);
	req = submit_json(f, &b);
	assert_int_equal(req->status, INGEST_INVALID);
	assert_int_equal(req->nerrors, 1);
	assert_int_equal(req->errors[0].index, 1);
	assert_string_equal(req->errors[0].event_id, "e-1");
	assert_string_equal(req->errors[0].message, want);
	buf_json_string(&j, req->errors[0].message,
	    strlen(req->errors[0].message));
	assert_int_equal(j.len, sizeof(want_json) - 1);
	assert_memory_equal(j.data, want_json, j.len);
	ingest_req_free(&req);
	buf_free(&j);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splice_matches_pack),
		cmocka_unit_test(test_splice_short_heads),
		cmocka_unit_test(test_cut_lengths),
		cmocka_unit_test_setup_teardown(test_accepts_small_and_sliced,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_in_order,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_whole_request,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_text, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
