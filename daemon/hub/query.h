/*
 * Reports from the hub's aggregates (DESIGN §6): the franchise's KPIs,
 * financials, vendor spend and contracts, compliance, and the MSO's fee per
 * each site's agreement. Every report reads the rollups the apply hook
 * (aggregate.c) keeps, in one short read transaction; none scans events.
 *
 * Shapes (JSON, built with jansson; the caller owns the object):
 *   reports: {"from":"YYYY-MM-DD","to":"YYYY-MM-DD","by":"day|month|site|franchise",
 *             "rows":[{ "site_id"|"date"|"month"|(none), KPI keys ... }]}
 *   fees:    {"from":"YYYY-MM-01","to":"YYYY-MM-DD" (the month's last day),
 *             "by":"site","period":"YYYY-MM","rows":[{"site_id","fee_model",
 *             "base_cents","fee_cents", statement fields ...}]}
 *   contracts: {"contracts":[{site_id, contract_id, vendor_id, ...}]}
 * Money is integer cents (money per unit too: avg_ticket and
 * revenue_per_provider_hour, rounded half up), counts integers, ratios
 * numbers (fractions); a ratio or money per unit is null when the
 * denominator is zero. provider_hours is a number of hours.
 *
 * Event-loop thread only (it reads the store).
 */
#ifndef MSOSYNC_QUERY_H
#define MSOSYNC_QUERY_H

#include <stdint.h>

#include <jansson.h>

#include "sites.h"
#include "store.h"

enum query_kind {
	QUERY_KPIS,
	QUERY_FINANCIALS,
	QUERY_VENDORS,
	QUERY_COMPLIANCE,
};

enum query_by {
	QUERY_BY_FRANCHISE,
	QUERY_BY_SITE,
	QUERY_BY_MONTH,
	QUERY_BY_DAY,
};

struct query_params {
	uint32_t	from, to;	/* YYYYMMDD, both inclusive */
	uint32_t	site;		/* 0: every site of the sites file */
	enum query_by	by;
};

/* Parse "kpis" etc. and "day" etc.; 0 or MSOSYNC_EINVAL. */
int	query_kind_parse(const char *s, enum query_kind *out);
int	query_by_parse(const char *s, enum query_by *out);

/*
 * Build a report. Returns 0 with *out the caller's (json_decref), or
 * MSOSYNC_EINVAL with a reason in err (from > to, range over 3660 days,
 * unknown site), or a store error.
 */
int	query_report(struct store *st, const struct sites *sites,
	    enum query_kind kind, const struct query_params *p, json_t **out,
	    char *err, size_t errlen);

/*
 * Fee statements for calendar month 'yyyymm' (e.g. 202611), one row per
 * site (or just 'site' when nonzero). Returns as query_report.
 */
int	query_fees(struct store *st, const struct sites *sites,
	    uint32_t yyyymm, uint32_t site, json_t **out, char *err,
	    size_t errlen);

/*
 * Vendor contracts in their latest state; with expiring_within >= 0 only
 * those whose end_date falls within that many days of 'today' (YYYYMMDD).
 */
int	query_contracts(struct store *st, const struct sites *sites,
	    int expiring_within, uint32_t today, json_t **out, char *err,
	    size_t errlen);

#endif
