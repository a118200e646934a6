/*
 * Tests for journal.c, each case in its own mkdtemp directory: creation
 * and reopening, group commit, idempotent ids, voids, the hash chain,
 * the map budget (full, growth, MDB_MAP_FULL from a put and from the
 * commit), write failures, acks and pruning, and verify on a file whose
 * bytes were changed behind LMDB's back.
 *
 * This file defines mdb_put and mdb_txn_commit itself: the journal's calls
 * bind to them (the executable's definitions win over liblmdb's), they
 * pass through to LMDB via dlsym(RTLD_NEXT), count what LMDB answered,
 * and can inject a failure where a test needs one deterministically.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "msosync/error.h"
#include "chain.h"
#include "journal.h"
#include "testutil.h"

#define SITE		42u
#define MIB		((size_t)1 << 20)
#define ID_MAX		32

/* What LMDB answered, and what to answer instead. */
static struct {
	unsigned	commits;	/* calls */
	unsigned	puts;
	unsigned	full_at_put;	/* MDB_MAP_FULL that LMDB itself returned */
	unsigned	full_at_commit;
	int		commit_rc;	/* inject this ... */
	unsigned	commit_times;	/* ... on the next this many commits */
	int		put_rc;
	unsigned	put_skip;	/* let this many puts pass first */
	unsigned	put_times;
} fault;

typedef int (*commit_fn)(MDB_txn *);
typedef int (*put_fn)(MDB_txn *, MDB_dbi, MDB_val *, MDB_val *, unsigned int);

int
mdb_txn_commit(MDB_txn *txn)
{
	static commit_fn	real;
	int			rc;

	if (real == NULL)
		real = (commit_fn)dlsym(RTLD_NEXT, "mdb_txn_commit");
	if (real == NULL)
		abort();
	fault.commits++;
	if (fault.commit_times > 0) {
		fault.commit_times--;
		mdb_txn_abort(txn);	/* a failed commit frees the txn */
		return fault.commit_rc;
	}
	rc = real(txn);
	if (rc == MDB_MAP_FULL)
		fault.full_at_commit++;
	return rc;
}

int
mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data,
    unsigned int flags)
{
	static put_fn	real;
	int		rc;

	if (real == NULL)
		real = (put_fn)dlsym(RTLD_NEXT, "mdb_put");
	if (real == NULL)
		abort();
	fault.puts++;
	if (fault.put_times > 0) {
		if (fault.put_skip > 0)
			fault.put_skip--;
		else {
			fault.put_times--;
			return fault.put_rc;
		}
	}
	rc = real(txn, dbi, key, data, flags);
	if (rc == MDB_MAP_FULL)
		fault.full_at_put++;
	return rc;
}

struct fx {
	char		 root[64];
	char		 dir[128];
	struct journal	*j;
};

/* Event bytes for seq: a pattern no other seq shares, 'len' long. */
static void
fill_event(uint8_t *buf, size_t len, uint64_t seq)
{
	char	tag[40];
	int	n;

	n = snprintf(tag, sizeof(tag), "<event-%08llu>", (unsigned long long)seq);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)tag[i % (size_t)n];
}

static void
entry(struct journal_entry *e, char *idbuf, uint64_t seq, const void *ev,
    size_t len, int64_t at)
{
	memset(e, 0, sizeof(*e));
	snprintf(idbuf, ID_MAX, "id-%llu", (unsigned long long)seq);
	e->event_id = idbuf;
	e->id_len = strlen(idbuf);
	e->event = ev;
	e->len = len;
	e->recorded_at = at;
	e->seq = seq;
}

/* Append count events of len bytes from head + 1 in one call. */
static int
append_n(struct journal *j, size_t count, size_t len, int64_t at)
{
	struct journal_entry	*e = calloc(count, sizeof(*e));
	char			(*ids)[ID_MAX] = calloc(count, ID_MAX);
	uint8_t			*ev = malloc(count * (len ? len : 1));
	uint64_t		 head = journal_head_seq(j);
	int			 rc;

	assert_non_null(e);
	assert_non_null(ids);
	assert_non_null(ev);
	for (size_t i = 0; i < count; i++) {
		fill_event(ev + i * len, len, head + 1 + i);
		entry(&e[i], ids[i], head + 1 + i, ev + i * len, len, at);
	}
	rc = journal_append(j, e, count);
	free(e);
	free(ids);
	free(ev);
	return rc;
}

/*
 * Append until the journal is full: in batches of 50 (a refused batch
 * appends nothing), then one by one for the last few.
 */
static int
fill(struct journal *j, size_t len, int64_t at)
{
	int	rc;

	while ((rc = append_n(j, 50, len, at)) == 0)
		;
	if (rc != MSOSYNC_EFULL)
		return rc;
	while ((rc = append_n(j, 1, len, at)) == 0)
		;
	return rc;
}

static uint64_t
find_seq(struct journal *j, const char *id, unsigned *flags)
{
	struct journal_entry	e;

	memset(&e, 0, sizeof(e));
	e.event_id = id;
	e.id_len = strlen(id);
	assert_int_equal(journal_find(j, &e, 1), 0);
	if (flags != NULL)
		*flags = e.flags;
	return e.seq;
}


static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->root, sizeof(f->root), "/tmp/msosync-journal-XXXXXX");
	if (mkdtemp(f->root) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/journal", f->root);
	memset(&fault, 0, sizeof(fault));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	journal_close(&f->j);
	testutil_rm_rf(f->root);
	free(f);
	return 0;
}

static void
test_create(void **state)
{
	struct fx	*f = *state;
	uint8_t		 zero[JOURNAL_EPOCH_LEN] = { 0 };
	struct stat	 st;

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_non_null(f->j);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_memory_not_equal(journal_epoch(f->j), zero, JOURNAL_EPOCH_LEN);
	assert_int_equal(journal_head_seq(f->j), 0);
	assert_memory_equal(journal_head_hash(f->j), chain_genesis,
	    CHAIN_HASH_LEN);
	assert_int_equal(journal_acked_seq(f->j), 0);
	assert_int_equal(journal_first_seq(f->j), 0);
	assert_int_equal(journal_max_bytes(f->j), 16 * MIB);
	assert_true(journal_bytes(f->j) > 0);
	assert_true(journal_bytes(f->j) <= 16 * MIB);
	journal_close(&f->j);
	assert_null(f->j);
	journal_close(&f->j);	/* NULL-safe */
}

static void
test_append_find(void **state)
{
	struct fx		*f = *state;
	struct journal_entry	 e[4];
	char			 ids[4][ID_MAX];
	const char		*ev[3] = { "alpha", "bravo", "charlie" };

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	for (int i = 0; i < 3; i++)
		entry(&e[i], ids[i], (uint64_t)i + 1, ev[i], strlen(ev[i]), 100);
	assert_int_equal(journal_append(f->j, e, 3), 0);
	assert_int_equal(journal_head_seq(f->j), 3);
	assert_int_equal(journal_first_seq(f->j), 1);

	/* find overwrites seq and flags: poison them first */
	for (int i = 0; i < 3; i++) {
		e[i].seq = 99;
		e[i].flags = 7;
	}
	entry(&e[3], ids[3], 0, NULL, 0, 0);
	memcpy(ids[3], "no-such-id", 11);
	e[3].id_len = 10;
	e[3].seq = 55;
	assert_int_equal(journal_find(f->j, e, 4), 0);
	assert_int_equal(e[0].seq, 1);
	assert_int_equal(e[1].seq, 2);
	assert_int_equal(e[2].seq, 3);
	assert_int_equal(e[3].seq, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(e[i].flags, 0);
	assert_int_equal(find_seq(f->j, "id-2", NULL), 2);
	assert_int_equal(find_seq(f->j, "id-4", NULL), 0);
	/* an id is matched on its bytes, not as a prefix */
	assert_int_equal(find_seq(f->j, "id-", NULL), 0);
	assert_int_equal(find_seq(f->j, "id-22", NULL), 0);
	assert_int_equal(journal_append(f->j, e, 0), 0);
	assert_int_equal(journal_head_seq(f->j), 3);
}

static void
test_reopen_persists(void **state)
{
	struct fx	*f = *state;
	uint8_t		 epoch[JOURNAL_EPOCH_LEN], hash[CHAIN_HASH_LEN];

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(append_n(f->j, 5, 100, 1), 0);
	assert_int_equal(journal_set_acked(f->j, 3), 0);
	memcpy(epoch, journal_epoch(f->j), sizeof(epoch));
	memcpy(hash, journal_head_hash(f->j), sizeof(hash));
	journal_close(&f->j);

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(journal_head_seq(f->j), 5);
	assert_memory_equal(journal_head_hash(f->j), hash, CHAIN_HASH_LEN);
	assert_memory_equal(journal_epoch(f->j), epoch, JOURNAL_EPOCH_LEN);
	assert_int_equal(journal_acked_seq(f->j), 3);
	assert_int_equal(journal_first_seq(f->j), 1);
	assert_int_equal(find_seq(f->j, "id-4", NULL), 4);
	assert_int_equal(append_n(f->j, 1, 100, 1), 0);
	assert_int_equal(journal_head_seq(f->j), 6);
}

static void
test_new_dir_new_epoch(void **state)
{
	struct fx	*f = *state;
	struct journal	*j2 = NULL;
	char		 dir2[160];

	snprintf(dir2, sizeof(dir2), "%s/other", f->root);
	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(journal_open(dir2, SITE, 16 * MIB, &j2), 0);
	assert_memory_not_equal(journal_epoch(f->j), journal_epoch(j2),
	    JOURNAL_EPOCH_LEN);
	journal_close(&j2);
}

static void
test_other_site(void **state)
{
	struct fx	*f = *state;
	struct journal	*j2 = (struct journal *)f;

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	journal_close(&f->j);
	assert_int_equal(journal_open(f->dir, SITE + 1, 16 * MIB, &j2),
	    MSOSYNC_ECONFIG);
	assert_null(j2);
	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
}

static void
test_group_commit(void **state)
{
	struct fx		*f = *state;
	struct journal_entry	 e[10];
	char			 ids[10][ID_MAX];
	uint8_t			 hash[CHAIN_HASH_LEN];
	unsigned		 commits;

	assert_int_equal(journal_open(f->dir, SITE, 64 * MIB, &f->j), 0);
	commits = fault.commits;
	assert_int_equal(append_n(f->j, 1000, 200, 5), 0);
	assert_int_equal(fault.commits - commits, 1);	/* one transaction */
	assert_int_equal(journal_head_seq(f->j), 1000);
	assert_int_equal(find_seq(f->j, "id-1", NULL), 1);
	assert_int_equal(find_seq(f->j, "id-1000", NULL), 1000);
	memcpy(hash, journal_head_hash(f->j), sizeof(hash));

	/* the 6th of 10 reuses a journaled id: nothing of the 10 lands */
	for (int i = 0; i < 10; i++)
		entry(&e[i], ids[i], 1001 + (uint64_t)i, "x", 1, 5);
	snprintf(ids[5], ID_MAX, "id-17");
	e[5].id_len = strlen(ids[5]);
	assert_int_equal(journal_append(f->j, e, 10), MSOSYNC_EINVAL);
	assert_int_equal(journal_head_seq(f->j), 1000);
	assert_memory_equal(journal_head_hash(f->j), hash, CHAIN_HASH_LEN);
	assert_int_equal(find_seq(f->j, "id-1001", NULL), 0);
	assert_int_equal(find_seq(f->j, "id-17", NULL), 17);

	/* the same id twice in one batch */
	snprintf(ids[5], ID_MAX, "id-1002");
	e[5].id_len = strlen(ids[5]);
	assert_int_equal(journal_append(f->j, e, 10), MSOSYNC_EINVAL);
	assert_int_equal(journal_head_seq(f->j), 1000);
	assert_int_equal(find_seq(f->j, "id-1001", NULL), 0);

	/* and once fixed, all 10 land */
	snprintf(ids[5], ID_MAX, "id-1006");
	e[5].id_len = strlen(ids[5]);
	assert_int_equal(journal_append(f->j, e, 10), 0);
	assert_int_equal(journal_head_seq(f->j), 1010);
	assert_int_equal(find_seq(f->j, "id-1006", NULL), 1006);
	assert_int_equal(find_seq(f->j, "id-1010", NULL), 1010);
}

struct collect {
	uint64_t	 first, last;
	size_t		 count;
	int		 bad;
	uint8_t		 prev[CHAIN_HASH_LEN];
	int64_t		 at;
	size_t		 len;
	int		 stop_after;
	struct journal	*j;
};

/* Check each record against what append_n wrote and the chain by hand. */
static int
collect(void *arg, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN],
    int64_t recorded_at, const void *event, size_t len)
{
	struct collect	*c = arg;
	uint8_t		 want[256], h[CHAIN_HASH_LEN];

	if (c->count == 0)
		c->first = seq;
	else if (seq != c->last + 1)
		c->bad++;
	c->last = seq;
	c->count++;
	if (recorded_at != c->at || len != c->len || len > sizeof(want))
		c->bad++;
	else {
		fill_event(want, len, seq);
		if (memcmp(want, event, len) != 0)
			c->bad++;
	}
	if (c->first == 1 || c->count > 1) {
		chain_hash(c->count == 1 ? chain_genesis : c->prev, seq, event,
		    len, h);
		if (memcmp(h, hash, CHAIN_HASH_LEN) != 0)
			c->bad++;
	}
	memcpy(c->prev, hash, CHAIN_HASH_LEN);
	if (c->stop_after > 0 && c->count == (size_t)c->stop_after)
		return 7;
	return 0;
}

static void
test_chain(void **state)
{
	struct fx		*f = *state;
	struct journal_entry	 e[4];
	char			 ids[4][ID_MAX];
	const char		*ev[4] = { "one", "", "three", "four!" };
	uint8_t			 h[CHAIN_HASH_LEN], next[CHAIN_HASH_LEN];
	uint8_t			 first[150];
	struct collect		 c;

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	entry(&e[0], ids[0], 1, ev[0], strlen(ev[0]), 1);
	entry(&e[1], ids[1], 2, ev[1], 0, 1);
	assert_int_equal(journal_append(f->j, e, 2), 0);
	entry(&e[2], ids[2], 3, ev[2], strlen(ev[2]), 1);
	entry(&e[3], ids[3], 4, ev[3], strlen(ev[3]), 1);
	assert_int_equal(journal_append(f->j, &e[2], 1), 0);
	assert_int_equal(journal_append(f->j, &e[3], 1), 0);

	memcpy(h, chain_genesis, sizeof(h));
	for (int i = 0; i < 4; i++) {
		chain_hash(h, (uint64_t)i + 1, ev[i], strlen(ev[i]), next);
		memcpy(h, next, sizeof(h));
	}
	assert_memory_equal(journal_head_hash(f->j), h, CHAIN_HASH_LEN);
	journal_close(&f->j);

	/* the chain goes on across a reopen; scan's hashes chain by hand */
	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_memory_equal(journal_head_hash(f->j), h, CHAIN_HASH_LEN);
	assert_int_equal(append_n(f->j, 20, 150, 9), 0);
	memset(&c, 0, sizeof(c));
	c.at = 9;
	c.len = 150;
	assert_int_equal(journal_scan(f->j, 5, collect, &c), 0);
	assert_int_equal(c.count, 20);
	assert_int_equal(c.first, 5);
	assert_int_equal(c.last, 24);
	assert_int_equal(c.bad, 0);
	assert_memory_equal(c.prev, journal_head_hash(f->j), CHAIN_HASH_LEN);
	fill_event(first, sizeof(first), 5);
	chain_hash(h, 5, first, sizeof(first), next);
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	assert_int_equal(journal_scan(f->j, 5, collect, &c), 7);
	assert_memory_equal(c.prev, next, CHAIN_HASH_LEN);
}

static void
test_scan(void **state)
{
	struct fx	*f = *state;
	struct collect	 c;

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_scan(f->j, 1, collect, &c), 0);
	assert_int_equal(c.count, 0);
	assert_int_equal(append_n(f->j, 10, 64, 3), 0);

	memset(&c, 0, sizeof(c));
	c.at = 3;
	c.len = 64;
	assert_int_equal(journal_scan(f->j, 0, collect, &c), 0);
	assert_int_equal(c.count, 10);
	assert_int_equal(c.first, 1);
	assert_int_equal(c.bad, 0);

	memset(&c, 0, sizeof(c));
	c.at = 3;
	c.len = 64;
	c.stop_after = 3;
	assert_int_equal(journal_scan(f->j, 4, collect, &c), 7);
	assert_int_equal(c.count, 3);
	assert_int_equal(c.first, 4);
	assert_int_equal(c.last, 6);

	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_scan(f->j, 11, collect, &c), 0);
	assert_int_equal(c.count, 0);
}

/* A scan callback that looks ids up and appends: both must work. */
static int
nested(void *arg, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN],
    int64_t recorded_at, const void *event, size_t len)
{
	struct collect	*c = arg;
	char		 id[ID_MAX];

	(void)hash;
	(void)recorded_at;
	(void)event;
	(void)len;
	snprintf(id, sizeof(id), "id-%llu", (unsigned long long)seq);
	if (find_seq(c->j, id, NULL) != seq)
		c->bad++;
	if (append_n(c->j, 1, 10, 1) != 0)
		c->bad++;
	/* no remap under a snapshot: a map that must grow is full for now */
	fault.commit_rc = MDB_MAP_FULL;
	fault.commit_times = 1;
	if (append_n(c->j, 1, 10, 1) != MSOSYNC_EFULL)
		c->bad++;
	c->count++;
	return 0;
}

static void
test_scan_nested(void **state)
{
	struct fx	*f = *state;
	struct collect	 c;

	assert_int_equal(journal_open(f->dir, SITE, 256 * MIB, &f->j), 0);
	assert_int_equal(append_n(f->j, 3, 10, 1), 0);
	memset(&c, 0, sizeof(c));
	c.j = f->j;
	assert_int_equal(journal_scan(f->j, 1, nested, &c), 0);
	assert_int_equal(c.bad, 0);
	assert_int_equal(c.count, 3);	/* the scan's snapshot predates */
	assert_int_equal(journal_head_seq(f->j), 6);
	assert_int_equal(find_seq(f->j, "id-6", NULL), 6);
	assert_int_equal(find_seq(f->j, "id-7", NULL), 0);
	/* and out of the scan it grows */
	fault.commit_rc = MDB_MAP_FULL;
	fault.commit_times = 1;
	assert_int_equal(append_n(f->j, 1, 10, 1), 0);
	assert_int_equal(journal_head_seq(f->j), 7);
}

static void
test_voids(void **state)
{
	struct fx		*f = *state;
	struct journal_entry	 e[3];
	char			 ids[3][ID_MAX];
	unsigned		 flags;
	uint8_t			 hash[CHAIN_HASH_LEN];

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(append_n(f->j, 2, 20, 1), 0);	/* id-1, id-2 */

	entry(&e[0], ids[0], 3, "void", 4, 1);
	e[0].flags = JOURNAL_F_VOID;
	e[0].voids_id = "id-1";
	e[0].voids_len = 4;
	assert_int_equal(journal_append(f->j, e, 1), 0);
	assert_int_equal(find_seq(f->j, "id-1", &flags), 1);
	assert_int_equal(flags, JOURNAL_F_VOIDED);
	assert_int_equal(find_seq(f->j, "id-2", &flags), 2);
	assert_int_equal(flags, 0);
	assert_int_equal(find_seq(f->j, "id-3", &flags), 3);
	assert_int_equal(flags, JOURNAL_F_VOID);

	/* a void of a voided void's void: flags combine */
	entry(&e[0], ids[0], 4, "void2", 5, 1);
	e[0].flags = JOURNAL_F_VOID;
	e[0].voids_id = "id-3";
	e[0].voids_len = 4;
	assert_int_equal(journal_append(f->j, e, 1), 0);
	assert_int_equal(find_seq(f->j, "id-3", &flags), 3);
	assert_int_equal(flags, JOURNAL_F_VOID | JOURNAL_F_VOIDED);

	/* unknown target: nothing of the batch lands */
	memcpy(hash, journal_head_hash(f->j), sizeof(hash));
	entry(&e[0], ids[0], 5, "ok", 2, 1);
	entry(&e[1], ids[1], 6, "void3", 5, 1);
	e[1].flags = JOURNAL_F_VOID;
	e[1].voids_id = "id-99";
	e[1].voids_len = 5;
	assert_int_equal(journal_append(f->j, e, 2), MSOSYNC_ENOTFOUND);
	assert_int_equal(journal_head_seq(f->j), 4);
	assert_memory_equal(journal_head_hash(f->j), hash, CHAIN_HASH_LEN);
	assert_int_equal(find_seq(f->j, "id-5", NULL), 0);
	assert_int_equal(find_seq(f->j, "id-6", NULL), 0);
	assert_int_equal(find_seq(f->j, "id-2", &flags), 2);
	assert_int_equal(flags, 0);

	/* the target earlier in the same batch */
	e[1].voids_id = "id-5";
	e[1].voids_len = 4;
	assert_int_equal(journal_append(f->j, e, 2), 0);
	assert_int_equal(find_seq(f->j, "id-5", &flags), 5);
	assert_int_equal(flags, JOURNAL_F_VOIDED);
	assert_int_equal(find_seq(f->j, "id-6", &flags), 6);
	assert_int_equal(flags, JOURNAL_F_VOID);

	/* survives a reopen */
	journal_close(&f->j);
	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(find_seq(f->j, "id-1", &flags), 1);
	assert_int_equal(flags, JOURNAL_F_VOIDED);
}

/*
 * The ids of an append go into the index in key order, whatever their
 * order in the append: every one is found at its own seq. An id twice in
 * one append, or one the journal holds, is refused and nothing lands.
 */
static void
test_ids_any_order(void **state)
{
	struct fx		*f = *state;
	enum { N = 3000 };
	struct journal_entry	*e = calloc(N, sizeof(*e));
	char			(*ids)[ID_MAX] = calloc(N, ID_MAX);
	uint8_t			 hash[CHAIN_HASH_LEN];

	assert_non_null(e);
	assert_non_null(ids);
	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	for (size_t i = 0; i < N; i++) {
		entry(&e[i], ids[i], i + 1, "x", 1, 1);
		/* descending, and lengths that interleave: "q2999", "q299" */
		snprintf(ids[i], ID_MAX, "q%zu", (size_t)N - 1 - i);
		e[i].id_len = strlen(ids[i]);
	}
	assert_int_equal(journal_append(f->j, e, N), 0);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(find_seq(f->j, ids[i], NULL), i + 1);

	memcpy(hash, journal_head_hash(f->j), sizeof(hash));
	entry(&e[0], ids[0], N + 1, "x", 1, 1);
	entry(&e[1], ids[1], N + 2, "x", 1, 1);
	snprintf(ids[0], ID_MAX, "twice");
	snprintf(ids[1], ID_MAX, "twice");
	e[0].id_len = e[1].id_len = 5;
	assert_int_equal(journal_append(f->j, e, 2), MSOSYNC_EINVAL);
	snprintf(ids[1], ID_MAX, "q17");	/* held at seq N - 17 */
	e[1].id_len = 3;
	assert_int_equal(journal_append(f->j, e, 2), MSOSYNC_EINVAL);
	assert_int_equal(journal_head_seq(f->j), N);
	assert_memory_equal(journal_head_hash(f->j), hash, CHAIN_HASH_LEN);
	assert_int_equal(find_seq(f->j, "twice", NULL), 0);
	assert_int_equal(find_seq(f->j, "q17", NULL), N - 17);
	free(e);
	free(ids);
}

static void
test_bad_entries(void **state)
{
	struct fx		*f = *state;
	struct journal_entry	 e;
	char			 id[ID_MAX];

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	entry(&e, id, 1, "x", 1, 1);
	e.id_len = 0;
	assert_int_equal(journal_append(f->j, &e, 1), MSOSYNC_EINVAL);
	entry(&e, id, 1, "x", 1, 1);
	e.flags = JOURNAL_F_VOID;	/* a void of nothing */
	assert_int_equal(journal_append(f->j, &e, 1), MSOSYNC_EINVAL);
	entry(&e, id, 1, "x", 1, 1);
	e.voids_id = "id-1";		/* a target without the flag */
	e.voids_len = 4;
	assert_int_equal(journal_append(f->j, &e, 1), MSOSYNC_EINVAL);
	entry(&e, id, 1, "x", 1, 1);
	e.flags = JOURNAL_F_VOIDED;	/* not the caller's to set */
	assert_int_equal(journal_append(f->j, &e, 1), MSOSYNC_EINVAL);
	entry(&e, id, 1, NULL, 3, 1);
	assert_int_equal(journal_append(f->j, &e, 1), MSOSYNC_EINVAL);
	assert_int_equal(journal_head_seq(f->j), 0);
	assert_int_equal(find_seq(f->j, "id-1", NULL), 0);
}

static void
test_seq_invariant_aborts(void **state)
{
	struct fx	*f = *state;
	pid_t		 pid;
	int		 status;

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(append_n(f->j, 2, 10, 1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct journal_entry	e;
		struct rlimit		rl = { 0, 0 };
		char			id[ID_MAX];
		int			fd;

		/* no core file, no noise: only the signal matters */
		setrlimit(RLIMIT_CORE, &rl);
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			dup2(fd, STDERR_FILENO);
		entry(&e, id, 5, "x", 1, 1);	/* head is 2: must be 3 */
		if (journal_append(f->j, &e, 1) == 0)
			_exit(0);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_int_equal(journal_head_seq(f->j), 2);
}

/* Check that seqs 1..n are found and scan back in order. */
static void
check_all_there(struct journal *j, uint64_t n, size_t len, int64_t at)
{
	struct collect	c;
	char		id[ID_MAX];

	for (uint64_t s = 1; s <= n; s++) {
		snprintf(id, sizeof(id), "id-%llu", (unsigned long long)s);
		assert_int_equal(find_seq(j, id, NULL), s);
	}
	memset(&c, 0, sizeof(c));
	c.at = at;
	c.len = len;
	assert_int_equal(journal_scan(j, 1, collect, &c), 0);
	assert_int_equal(c.count, n);
	assert_int_equal(c.first, 1);
	assert_int_equal(c.last, n);
	assert_int_equal(c.bad, 0);
}

static void
test_full(void **state)
{
	struct fx	*f = *state;
	uint8_t		 hash[CHAIN_HASH_LEN];
	uint64_t	 n = 0, bad = 99;
	size_t		 pruned = 0;
	int		 rc;

	assert_int_equal(journal_open(f->dir, SITE, 1 * MIB, &f->j), 0);
	/* a batch bigger than the budget: refused whole */
	assert_int_equal(append_n(f->j, 1000, 2000, 7), MSOSYNC_EFULL);
	assert_int_equal(journal_head_seq(f->j), 0);
	assert_int_equal(find_seq(f->j, "id-1", NULL), 0);

	rc = fill(f->j, 200, 7);
	n = journal_head_seq(f->j);
	assert_int_equal(rc, MSOSYNC_EFULL);
	assert_true(n > 1000);
	assert_true(fault.full_at_put + fault.full_at_commit > 0);
	assert_int_equal(journal_head_seq(f->j), n);
	assert_true(journal_bytes(f->j) <= 1 * MIB);
	memcpy(hash, journal_head_hash(f->j), sizeof(hash));
	check_all_there(f->j, n, 200, 7);
	assert_int_equal(journal_verify(f->j, &bad), 0);
	assert_int_equal(bad, 0);

	/* still full after a reopen, nothing lost */
	journal_close(&f->j);
	assert_int_equal(journal_open(f->dir, SITE, 1 * MIB, &f->j), 0);
	assert_int_equal(journal_head_seq(f->j), n);
	assert_memory_equal(journal_head_hash(f->j), hash, CHAIN_HASH_LEN);
	assert_int_equal(append_n(f->j, 1, 200, 7), MSOSYNC_EFULL);
	assert_int_equal(journal_head_seq(f->j), n);
	check_all_there(f->j, n, 200, 7);

	/* a full journal can still take the hub's ack and free space */
	assert_int_equal(journal_set_acked(f->j, n), 0);
	assert_int_equal(journal_prune(f->j, n, INT64_MAX, SIZE_MAX, &pruned), 0);
	assert_int_equal(pruned, n);
	assert_int_equal(journal_first_seq(f->j), 0);
	assert_int_equal(append_n(f->j, 100, 200, 7), 0);
	assert_int_equal(journal_head_seq(f->j), n + 100);
	assert_int_equal(journal_first_seq(f->j), n + 1);
	assert_int_equal(journal_verify(f->j, &bad), 0);

	/*
	 * Full again: appends stop short of the reserve (16 pages for this
	 * budget) even though the ack and the prune grew the map into it.
	 */
	assert_int_equal(fill(f->j, 200, 7), MSOSYNC_EFULL);
	assert_true(journal_bytes(f->j) <= 1 * MIB - 16 * 4096);
	assert_int_equal(journal_set_acked(f->j, journal_head_seq(f->j)), 0);
	assert_int_equal(journal_prune(f->j, journal_head_seq(f->j), INT64_MAX,
	    SIZE_MAX, &pruned), 0);
	assert_int_equal(journal_first_seq(f->j), 0);
	print_message("full at %llu events of 200 B in 1 MiB; "
	    "MDB_MAP_FULL from put %u, from commit %u\n",
	    (unsigned long long)n, fault.full_at_put, fault.full_at_commit);
}

static void
test_budget_below_file(void **state)
{
	struct fx	*f = *state;
	struct journal	*j2 = (struct journal *)f;

	assert_int_equal(journal_open(f->dir, SITE, 64 * MIB, &f->j), 0);
	assert_int_equal(append_n(f->j, 200, 20000, 1), 0);
	assert_true(journal_bytes(f->j) > 2 * MIB);
	journal_close(&f->j);
	assert_int_equal(journal_open(f->dir, SITE, 1 * MIB, &j2),
	    MSOSYNC_EFULL);
	assert_null(j2);
	assert_int_equal(journal_open(f->dir, SITE, 64 * MIB, &f->j), 0);
	assert_int_equal(journal_head_seq(f->j), 200);
}

static void
test_full_injected(void **state)
{
	struct fx	*f = *state;
	uint8_t		 hash[CHAIN_HASH_LEN];
	unsigned	 commits;

	/* at the budget from the start: a full commit is final */
	assert_int_equal(journal_open(f->dir, SITE, 1 * MIB, &f->j), 0);
	assert_int_equal(append_n(f->j, 3, 50, 1), 0);
	memcpy(hash, journal_head_hash(f->j), sizeof(hash));
	fault.commit_rc = MDB_MAP_FULL;
	fault.commit_times = 1;
	assert_int_equal(append_n(f->j, 2, 50, 1), MSOSYNC_EFULL);
	assert_int_equal(journal_head_seq(f->j), 3);
	assert_memory_equal(journal_head_hash(f->j), hash, CHAIN_HASH_LEN);
	assert_int_equal(find_seq(f->j, "id-4", NULL), 0);
	fault.put_rc = MDB_MAP_FULL;
	fault.put_skip = 2;
	fault.put_times = 1;
	assert_int_equal(append_n(f->j, 2, 50, 1), MSOSYNC_EFULL);
	assert_int_equal(journal_head_seq(f->j), 3);
	assert_int_equal(find_seq(f->j, "id-4", NULL), 0);
	/* the ack is refused too when the reserve is used up */
	fault.commit_rc = MDB_MAP_FULL;
	fault.commit_times = 1;
	assert_int_equal(journal_set_acked(f->j, 2), 0);	/* grew into it */
	assert_int_equal(journal_acked_seq(f->j), 2);
	fault.commit_times = 8;
	assert_int_equal(journal_set_acked(f->j, 3), MSOSYNC_EFULL);
	assert_int_equal(journal_acked_seq(f->j), 2);
	fault.commit_times = 0;
	assert_int_equal(append_n(f->j, 2, 50, 1), 0);
	assert_int_equal(journal_head_seq(f->j), 5);
	/* the ack grew the map into the reserve; appends still stop short */
	assert_int_equal(fill(f->j, 200, 1), MSOSYNC_EFULL);
	assert_true(journal_bytes(f->j) <= 1 * MIB - 16 * 4096);
	assert_int_equal(journal_set_acked(f->j, journal_head_seq(f->j)), 0);
	journal_close(&f->j);

	/* below the budget: the map grows and the whole txn runs again */
	assert_int_equal(journal_open(f->root, SITE, 256 * MIB, &f->j), 0);
	commits = fault.commits;
	fault.commit_rc = MDB_MAP_FULL;
	fault.commit_times = 1;
	assert_int_equal(append_n(f->j, 10, 50, 1), 0);
	assert_int_equal(fault.commits - commits, 2);
	assert_int_equal(journal_head_seq(f->j), 10);
	fault.put_rc = MDB_MAP_FULL;
	fault.put_skip = 5;
	fault.put_times = 1;
	commits = fault.commits;
	assert_int_equal(append_n(f->j, 10, 50, 1), 0);
	assert_int_equal(fault.commits - commits, 1);
	assert_int_equal(journal_head_seq(f->j), 20);
	check_all_there(f->j, 20, 50, 1);
	/* 64 -> 128 -> 248 MiB (256 less the reserve): no more for appends */
	fault.commit_times = 1;
	assert_int_equal(append_n(f->j, 1, 50, 1), MSOSYNC_EFULL);
	assert_int_equal(journal_head_seq(f->j), 20);
	check_all_there(f->j, 20, 50, 1);
}

static void
test_write_errors(void **state)
{
	struct fx	*f = *state;
	uint8_t		 hash[CHAIN_HASH_LEN];
	size_t		 pruned = 5;

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(append_n(f->j, 3, 50, 1), 0);
	memcpy(hash, journal_head_hash(f->j), sizeof(hash));
	fault.commit_rc = EIO;
	fault.commit_times = 1;
	assert_int_equal(append_n(f->j, 1, 50, 1), MSOSYNC_EPANIC);
	assert_int_equal(journal_head_seq(f->j), 3);
	assert_memory_equal(journal_head_hash(f->j), hash, CHAIN_HASH_LEN);
	/* the journal stays refused: a later fsync may lie */
	assert_int_equal(append_n(f->j, 1, 50, 1), MSOSYNC_EPANIC);
	assert_int_equal(journal_set_acked(f->j, 2), MSOSYNC_EPANIC);
	assert_int_equal(journal_acked_seq(f->j), 0);
	assert_int_equal(journal_prune(f->j, 3, INT64_MAX, 10, &pruned),
	    0);		/* nothing acked: nothing to do */
	assert_int_equal(pruned, 0);
	assert_int_equal(find_seq(f->j, "id-3", NULL), 3);
	journal_close(&f->j);

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(journal_head_seq(f->j), 3);
	assert_int_equal(find_seq(f->j, "id-4", NULL), 0);
	fault.commit_rc = ENOSPC;
	fault.commit_times = 1;
	assert_int_equal(journal_set_acked(f->j, 2), MSOSYNC_EPANIC);
	assert_int_equal(journal_acked_seq(f->j), 0);
	journal_close(&f->j);

	/* any write error, not only the usual two */
	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	fault.commit_rc = EROFS;
	fault.commit_times = 1;
	assert_int_equal(append_n(f->j, 1, 50, 1), MSOSYNC_EPANIC);
	assert_int_equal(journal_head_seq(f->j), 3);
	journal_close(&f->j);

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	fault.put_rc = EIO;
	fault.put_times = 1;
	assert_int_equal(append_n(f->j, 1, 50, 1), MSOSYNC_EPANIC);
	journal_close(&f->j);

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	fault.put_rc = ENOMEM;
	fault.put_times = 1;
	assert_int_equal(append_n(f->j, 1, 50, 1), -ENOMEM);
	assert_int_equal(append_n(f->j, 1, 50, 1), 0);
	assert_int_equal(journal_head_seq(f->j), 4);
}

static void
test_growth(void **state)
{
	struct fx	*f = *state;
	struct collect	 c;
	uint64_t	 bad = 1;

	assert_int_equal(journal_open(f->dir, SITE, 256 * MIB, &f->j), 0);
	/* 1200 x 64 KiB: past a 64 MiB start */
	for (int i = 0; i < 12; i++)
		assert_int_equal(append_n(f->j, 100, 64 * 1024, 2), 0);
	assert_int_equal(journal_head_seq(f->j), 1200);
	assert_true(journal_bytes(f->j) > 64 * MIB + 8 * MIB);
	assert_true(journal_bytes(f->j) <= 256 * MIB);
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	assert_int_equal(journal_scan(f->j, 1200, collect, &c), 7);
	assert_int_equal(c.last, 1200);
	journal_close(&f->j);

	/* a file bigger than the starting map reopens whole */
	assert_int_equal(journal_open(f->dir, SITE, 256 * MIB, &f->j), 0);
	assert_int_equal(journal_head_seq(f->j), 1200);
	assert_int_equal(find_seq(f->j, "id-1", NULL), 1);
	assert_int_equal(find_seq(f->j, "id-1200", NULL), 1200);
	assert_int_equal(append_n(f->j, 10, 64 * 1024, 2), 0);
	assert_int_equal(journal_verify(f->j, &bad), 0);
	assert_int_equal(bad, 0);
}

struct on_thread {
	struct journal		*j;
	struct journal_append	*op;
};

static void *
run_append(void *arg)
{
	struct on_thread	*t = arg;

	journal_append_run(t->j, t->op);
	return NULL;
}

/*
 * The three-step append the ingest uses, its transaction on a thread of
 * its own: while it runs the loop reads (find, scan) the old head; finish
 * publishes the new one; a map that must grow makes finish say
 * JOURNAL_AGAIN, and the same entries go again, whole.
 */
static void
test_append_on_thread(void **state)
{
	struct fx		*f = *state;
	struct journal_append	 op;
	struct journal_entry	*e = calloc(100, sizeof(*e));
	char			(*ids)[ID_MAX] = calloc(100, ID_MAX);
	uint8_t			*ev = malloc(100 * 64 * 1024);
	struct collect		 c;
	uint64_t		 bad = 1;
	int			 again = 0, rc;

	assert_non_null(e);
	assert_non_null(ids);
	assert_non_null(ev);
	assert_int_equal(journal_open(f->dir, SITE, 256 * MIB, &f->j), 0);
	/* 12 x 100 x 64 KiB: past the 64 MiB the map starts with */
	for (int b = 0; b < 12; b++) {
		struct on_thread	t = { f->j, &op };
		pthread_t		th;
		uint64_t		head = journal_head_seq(f->j);

		for (size_t i = 0; i < 100; i++) {
			fill_event(ev + i * 64 * 1024, 64 * 1024, head + 1 + i);
			entry(&e[i], ids[i], head + 1 + i, ev + i * 64 * 1024,
			    64 * 1024, 3);
		}
		assert_int_equal(journal_append_start(f->j, &op, e, 100), 0);
		do {
			assert_int_equal(pthread_create(&th, NULL, run_append,
			    &t), 0);
			/* the loop meanwhile: the old head, nothing new yet */
			assert_int_equal(journal_head_seq(f->j), head);
			assert_int_equal(find_seq(f->j, ids[0], NULL), 0);
			if (head > 0)
				assert_int_equal(find_seq(f->j, "id-1", NULL),
				    1);
			assert_int_equal(pthread_join(th, NULL), 0);
			rc = journal_append_finish(f->j, &op);
			again += rc == JOURNAL_AGAIN;
		} while (rc == JOURNAL_AGAIN);
		assert_int_equal(rc, 0);
		assert_int_equal(journal_head_seq(f->j), head + 100);
		assert_int_equal(find_seq(f->j, ids[99], NULL), head + 100);
	}
	assert_true(again >= 1);
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	assert_int_equal(journal_scan(f->j, 1200, collect, &c), 7);
	assert_int_equal(c.last, 1200);
	assert_int_equal(journal_verify(f->j, &bad), 0);
	assert_int_equal(bad, 0);
	free(e);
	free(ids);
	free(ev);
}

static void
test_acked_prune(void **state)
{
	struct fx	*f = *state;
	struct collect	 c;
	char		 id[ID_MAX];
	size_t		 pruned = 99;
	uint64_t	 bad = 1;

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	for (int i = 1; i <= 10; i++)
		assert_int_equal(append_n(f->j, 1, 30, 1000 * i), 0);
	assert_int_equal(journal_set_acked(f->j, 11), MSOSYNC_EINVAL);
	assert_int_equal(journal_acked_seq(f->j), 0);
	/* nothing acked: nothing pruned, however old */
	assert_int_equal(journal_prune(f->j, 10, INT64_MAX, 100, &pruned), 0);
	assert_int_equal(pruned, 0);
	assert_int_equal(journal_set_acked(f->j, 6), 0);
	assert_int_equal(journal_set_acked(f->j, 4), 0);	/* never back */
	assert_int_equal(journal_acked_seq(f->j), 6);

	/* age: 1..4 are older than 4500 */
	assert_int_equal(journal_prune(f->j, 100, 4500, 100, &pruned), 0);
	assert_int_equal(pruned, 4);
	assert_int_equal(journal_first_seq(f->j), 5);
	/* max */
	assert_int_equal(journal_prune(f->j, 100, INT64_MAX, 1, &pruned), 0);
	assert_int_equal(pruned, 1);
	assert_int_equal(journal_first_seq(f->j), 6);
	/* upto */
	assert_int_equal(journal_prune(f->j, 5, INT64_MAX, 100, &pruned), 0);
	assert_int_equal(pruned, 0);
	/* acked */
	assert_int_equal(journal_prune(f->j, 100, INT64_MAX, 100, &pruned), 0);
	assert_int_equal(pruned, 1);
	assert_int_equal(journal_first_seq(f->j), 7);
	assert_int_equal(journal_head_seq(f->j), 10);

	/* ids stay */
	for (uint64_t s = 1; s <= 10; s++) {
		snprintf(id, sizeof(id), "id-%llu", (unsigned long long)s);
		assert_int_equal(find_seq(f->j, id, NULL), s);
	}
	memset(&c, 0, sizeof(c));
	c.len = 30;
	c.at = -1;	/* recorded_at differs per record: count those */
	assert_int_equal(journal_scan(f->j, journal_first_seq(f->j), collect,
	    &c), 0);
	assert_int_equal(c.count, 4);
	assert_int_equal(c.first, 7);
	assert_int_equal(c.last, 10);
	assert_int_equal(c.bad, 4);
	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_scan(f->j, 1, collect, &c), 0);
	assert_int_equal(c.first, 7);
	assert_int_equal(journal_verify(f->j, &bad), 0);
	assert_int_equal(bad, 0);

	journal_close(&f->j);
	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(journal_first_seq(f->j), 7);
	assert_int_equal(journal_acked_seq(f->j), 6);
	assert_int_equal(journal_head_seq(f->j), 10);

	/* prune everything, then go on appending */
	assert_int_equal(journal_set_acked(f->j, 10), 0);
	assert_int_equal(journal_prune(f->j, 100, INT64_MAX, 100, &pruned), 0);
	assert_int_equal(pruned, 4);
	assert_int_equal(journal_first_seq(f->j), 0);
	assert_int_equal(journal_verify(f->j, &bad), 0);
	journal_close(&f->j);
	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(journal_first_seq(f->j), 0);
	assert_int_equal(journal_head_seq(f->j), 10);
	/* a replayed id is still known after its record is gone */
	assert_int_equal(find_seq(f->j, "id-3", NULL), 3);
	assert_int_equal(append_n(f->j, 2, 30, 1), 0);
	assert_int_equal(journal_first_seq(f->j), 11);
	assert_int_equal(journal_head_seq(f->j), 12);
	assert_int_equal(journal_verify(f->j, &bad), 0);
	assert_int_equal(journal_prune(f->j, 100, INT64_MAX, 100, &pruned), 0);
	assert_int_equal(pruned, 0);	/* 11, 12 not acked */
}

/* Overwrite every copy of seq's event pattern in the closed file. */
static int
corrupt_file(const char *dir, uint64_t seq)
{
	char		 path[256], tag[40];
	struct stat	 st;
	uint8_t		*buf, *p;
	size_t		 off = 0;
	int		 fd, n, hits = 0;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	n = snprintf(tag, sizeof(tag), "<event-%08llu>",
	    (unsigned long long)seq);
	if ((fd = open(path, O_RDWR)) == -1 || fstat(fd, &st) == -1)
		return -1;
	buf = malloc((size_t)st.st_size);
	if (buf == NULL ||
	    pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		close(fd);
		return -1;
	}
	while ((p = memmem(buf + off, (size_t)st.st_size - off, tag,
	    (size_t)n)) != NULL) {
		off = (size_t)(p - buf);
		if (pwrite(fd, "X", 1, (off_t)off + 1) != 1)
			break;
		off += (size_t)n;
		hits++;
	}
	free(buf);
	close(fd);
	return hits;
}

static void
test_verify_corrupt(void **state)
{
	struct fx	*f = *state;
	uint64_t	 bad = 0;
	size_t		 pruned;

	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(append_n(f->j, 1, 120, 1), 0);
	assert_int_equal(journal_verify(f->j, &bad), 0);
	journal_close(&f->j);

	assert_true(corrupt_file(f->dir, 5) > 0);
	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(journal_verify(f->j, &bad), MSOSYNC_ECHAIN);
	assert_int_equal(bad, 5);
	assert_int_equal(journal_verify(f->j, NULL), MSOSYNC_ECHAIN);

	/* after a prune, the check starts at the first kept record */
	assert_int_equal(journal_set_acked(f->j, 7), 0);
	assert_int_equal(journal_prune(f->j, 3, INT64_MAX, 100, &pruned), 0);
	assert_int_equal(pruned, 3);
	assert_int_equal(journal_verify(f->j, &bad), MSOSYNC_ECHAIN);
	assert_int_equal(bad, 5);
	assert_int_equal(journal_prune(f->j, 5, INT64_MAX, 100, &pruned), 0);
	assert_int_equal(journal_verify(f->j, &bad), 0);
	assert_int_equal(bad, 0);

	/* the last record, against the head */
	journal_close(&f->j);
	assert_true(corrupt_file(f->dir, 10) > 0);
	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(journal_verify(f->j, &bad), MSOSYNC_ECHAIN);
	assert_int_equal(bad, 10);
	journal_close(&f->j);

	/* the first record, checked from the genesis hash */
	assert_int_equal(journal_open(f->root, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(append_n(f->j, 3, 120, 1), 0);
	journal_close(&f->j);
	assert_true(corrupt_file(f->root, 1) > 0);
	assert_int_equal(journal_open(f->root, SITE, 16 * MIB, &f->j), 0);
	assert_int_equal(journal_verify(f->j, &bad), MSOSYNC_ECHAIN);
	assert_int_equal(bad, 1);
}

static void
test_garbage_file(void **state)
{
	struct fx	*f = *state;
	struct journal	*j2 = (struct journal *)f;
	char		 path[256], junk[16384];
	int		 fd;

	assert_int_equal(mkdir(f->dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	memset(junk, 0x5a, sizeof(junk));
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	assert_int_equal(journal_open(f->dir, SITE, 16 * MIB, &j2),
	    MSOSYNC_ECORRUPT);
	assert_null(j2);
}

static void
test_open_errors(void **state)
{
	struct fx	*f = *state;
	struct journal	*j2 = (struct journal *)f;
	char		 path[256];

	snprintf(path, sizeof(path), "%s/no/such/dir", f->root);
	assert_int_equal(journal_open(path, SITE, 16 * MIB, &j2), -ENOENT);
	assert_null(j2);
	j2 = (struct journal *)f;
	assert_int_equal(journal_open(f->dir, SITE, 4096, &j2),
	    MSOSYNC_ECONFIG);
	assert_null(j2);
	assert_int_equal(access(f->dir, F_OK), -1);	/* nothing made */
	assert_int_equal(journal_open(f->dir, SITE, 256 * 1024, &f->j), 0);
	assert_int_equal(journal_max_bytes(f->j), 256 * 1024);
	assert_int_equal(append_n(f->j, 10, 100, 1), 0);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_create),
		T(test_append_find),
		T(test_reopen_persists),
		T(test_new_dir_new_epoch),
		T(test_other_site),
		T(test_group_commit),
		T(test_chain),
		T(test_scan),
		T(test_scan_nested),
		T(test_ids_any_order),
		T(test_voids),
		T(test_bad_entries),
		T(test_seq_invariant_aborts),
		T(test_full),
		T(test_budget_below_file),
		T(test_full_injected),
		T(test_write_errors),
		T(test_growth),
		T(test_append_on_thread),
		T(test_acked_prune),
		T(test_verify_corrupt),
		T(test_garbage_file),
		T(test_open_errors),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
