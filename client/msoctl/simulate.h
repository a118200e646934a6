/*
 * The data simulator behind `msoctl simulate` (DESIGN §9): the events a
 * busy US med spa's point of sale, scheduler, inventory and HR systems
 * would submit to its agent, as NDJSON that passes the mapper and
 * validate_event. Used by msoctl, the unit tests and the benchmarks.
 *
 * Deterministic: the same parameters and site give the same events, byte
 * for byte, on any platform (one xoshiro256** stream per site, integer
 * arithmetic only; no rand(), no clock). event_ids are
 * "p<seed in hex>-<site>-<n>": unique within a site and different between
 * seeds. No line carries a site_id: the agent that takes it sets it.
 *
 * Every occurred_at lies between 14:00Z and 23:30Z of its day, so the
 * business date is the same in UTC and in every US time zone. Days run
 * from end_date - days + 1 to end_date; events come out in time order.
 *
 * Thread-safe: no state outside the call.
 */
#ifndef MSOCTL_SIMULATE_H
#define MSOCTL_SIMULATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "events.pb-c.h"

#define SIM_DAYS_MAX	3660		/* ten years */
#define SIM_RATE_MAX	100000		/* events a site a day */
#define SIM_SITES_MAX	10000
#define SIM_FIRST_DATE	20000101	/* no occurred_at before it */

struct sim_params {
	unsigned	days;		/* 1..SIM_DAYS_MAX */
	/* events a day on average, 1..SIM_RATE_MAX; staff shifts alone are
	 * about ten a day, so rates below ~20 come out higher */
	unsigned	rate;
	uint64_t	seed;
	uint32_t	end_date;	/* YYYYMMDD, the last day simulated */
};

/*
 * Check 'p'. Returns 0, or MSOSYNC_EINVAL with a message for the user in
 * 'err' (may be NULL): days or rate out of range, end_date not a real
 * date, or a first day before SIM_FIRST_DATE.
 */
int	sim_check(const struct sim_params *p, char *err, size_t errlen);

/*
 * Called with each event in output order. 'ev' and every string it points
 * to are valid only during the call. Return 0 to go on; anything else
 * stops the simulation, and sim_generate returns it.
 */
typedef int	(*sim_emit_fn)(const Msosync__Event *ev, void *arg);

/*
 * Simulate site 'site' (1..SIM_SITES_MAX) and hand every event to 'emit'.
 * *nevents (may be NULL) is set to the number of events emitted, also
 * when stopped. Returns 0, MSOSYNC_EINVAL (see sim_check; site out of
 * range), or the nonzero value 'emit' returned.
 */
int	sim_generate(const struct sim_params *p, unsigned site,
	    sim_emit_fn emit, void *arg, uint64_t *nevents);

/*
 * Write site 'site' as NDJSON (pbjson_encode, one event a line) to 'out',
 * in large writes, and flush it; the caller still closes 'out'.
 * Returns 0, MSOSYNC_EINVAL, or -errno of a failed write (-EIO when the
 * stream sets no errno). *nevents as for sim_generate.
 */
int	sim_write(const struct sim_params *p, unsigned site, FILE *out,
	    uint64_t *nevents);

/*
 * Append site 'site' as NDJSON to 'out' (the caller's).
 * Returns 0 or MSOSYNC_EINVAL (nothing appended).
 */
int	sim_write_buf(const struct sim_params *p, unsigned site,
	    struct buf *out, uint64_t *nevents);

#endif
