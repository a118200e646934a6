/*
 * What query.c and fees.c share and nothing else uses: calendar
 * arithmetic on YYYYMMDD dates, the mso_fee formula (DESIGN §6), and the
 * contracts' latest state read from the aggregates. Event-loop thread only,
 * like query.h.
 */
#ifndef MSOSYNC_QUERY_IMPL_H
#define MSOSYNC_QUERY_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "events.pb-c.h"
#include "sites.h"
#include "store.h"

#define QUERY_RANGE_MAX		3660	/* days a report may span */

/* Is d a real calendar date YYYYMMDD (years 1..9999)? */
int		query_is_date(uint32_t d);
/* Days since 1970-01-01 of a valid date, and back. */
int32_t		query_days(uint32_t d);
uint32_t	query_date(int32_t days);
/* The day after d. */
uint32_t	query_next_day(uint32_t d);
/* The last date of month YYYYMM. */
uint32_t	query_month_last(uint32_t yyyymm);

/* One site's fee for one month, and how it came about. */
struct query_fee {
	int64_t		 base;		/* per the site's fee_base */
	int64_t		 fixed;		/* 0 for percent */
	uint32_t	 bp;		/* 0 for fixed */
	int64_t		 percent;	/* half_up(bp × base / 10000) */
	int64_t		 floor;		/* 0: none */
	int64_t		 cap;		/* 0: none */
	int		 floor_applied;
	int		 cap_applied;
	int64_t		 fee;
};

/*
 * The mso_fee of site 's' for a month whose counters (an M key of
 * aggregate.h) are c[AGG_NCOUNTERS]: clamp(fixed + half_up(bp × base /
 * 10000), floor, cap). Half-up rounds halves away from zero, so a
 * negative base (refunds above sales) rounds symmetrically; the fee may
 * then be negative (a credit) unless a floor holds it.
 */
void	query_fee_compute(const struct site *s, const int64_t *c,
	    struct query_fee *f);

/*
 * The first business date of 'site' that has counters (0: none). Months
 * before it are not billed. Returns 0 or a store error.
 */
int	query_first_date(struct store_txn *t, uint32_t site, uint32_t *date);

/* A contract's latest live version. */
struct query_contract {
	uint32_t		 site;
	char			*key_id;	/* contract_id as keyed */
	Msosync__VendorContract	*vc;		/* unpacked */
	size_t			 pool;		/* query.c's use */
	int64_t			 spend_before;	/* query.c's: earlier rows' */
};

/*
 * Append the contracts of 'site' in their latest state to *v (n, cap),
 * sorted by key_id. Free with query_contracts_free.
 * Returns 0, MSOSYNC_ECORRUPT (a version that does not decode) or a
 * store error.
 */
int	query_contracts_load(struct store_txn *t, uint32_t site,
	    struct query_contract **v, size_t *n, size_t *cap);
void	query_contracts_free(struct query_contract *v, size_t n);

/* The contract's status as JSON spells it. */
const char	*query_status_name(int status);

#endif
