/*
 * The hub's running aggregates, kept by the store's apply hook in the same
 * transaction that stores each event (DESIGN §4.3): per site and business
 * date every sum and count the reports need, plus what distinct counts,
 * contract variance, rebates and training compliance need at query time.
 * A void takes back exactly what its voided event added.
 *
 * Layout: in the store's "rollups", "contracts" and "clients" dbs (see
 * aggregate.c for the keys); the counter indexes below are the contract
 * between aggregate.c and query.c.
 */
#ifndef MSOSYNC_AGGREGATE_H
#define MSOSYNC_AGGREGATE_H

#include <stdint.h>

#include "events.pb-c.h"
#include "store.h"

/* Install the hook on 'st' (call once, before any store_apply). */
void	aggregate_attach(struct store *st);

/* The hook itself (exposed for the rebuild in aggregate_verify). */
int	aggregate_apply(void *arg, struct store_txn *t, uint32_t site_id,
	    const Msosync__Event *ev);

/*
 * Recompute every aggregate from the stored events into a scratch store
 * under 'tmpdir' and compare with the running ones. report() is called
 * once per differing key. Returns 0 (equal), MSOSYNC_ECORRUPT (differences
 * reported), or an error.
 */
int	aggregate_verify(struct store *st, const char *tmpdir,
	    void (*report)(void *arg, const char *what), void *arg,
	    uint64_t *keys_checked);

#endif
