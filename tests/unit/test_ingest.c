/*
 * Tests for the ingest's packing split (ingest.c): an event packed with
 * seq left out, cut after its fields 1-3 and joined around a seq by
 * ingest_splice_seq must be exactly what msosync__event__pack writes with
 * that seq, for every kind of event the simulator makes and for seqs of
 * every varint length. The journal's hash chain covers these bytes, so a
 * single byte of difference would fork it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events.pb-c.h"
#include "ingest.h"
#include "simulate.h"
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splice_matches_pack),
		cmocka_unit_test(test_splice_short_heads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
