/*
 * The hub's running aggregates, kept by the store's apply hook in the same
 * transaction that stores each event (DESIGN §4.3): per site and business
 * date every sum and count the reports need, plus what distinct counts,
 * contract variance, rebates and training compliance need at query time.
 * A void takes back exactly what its voided event added.
 *
 * Layout: in the store's "rollups", "contracts" and "clients" dbs. Every
 * key starts with a type letter and the site (4 bytes BE); dates are
 * YYYYMMDD and months YYYYMM, 4 bytes BE; strings end with a NUL byte
 * (the last one of a key has none), and a string over AGG_STR_MAX bytes is
 * written as "~" and the hex of its BLAKE2b-128, so every key stays under
 * LMDB's 511 bytes whatever a clinic sends. Values are arrays of int64
 * counters (8 bytes BE each, store_txn_add_i64's format) unless said.
 *
 *   rollups
 *   D site date -> counters[AGG_NCOUNTERS] of that business date
 *   M site month -> the same counters summed over the month (so a year
 *       reads 12 keys a site, not 365)
 *   P site date vendor contract sku price(8) -> {quantity, spend}: purchase
 *       orders by vendor, contract ("" for none), sku and unit price
 *   Q site month vendor contract sku price(8) -> the same by month
 *   S site date staff_ref -> {minutes, clinical minutes, shifts}
 *   W site month staff_ref -> the same by month
 *   R site staff_ref course(1) expires_on -> {trainings}
 *   L site staff_ref license_type expires_on -> {licences}
 *   contracts
 *   K site contract_id ord(8) -> the packed VendorContract of one contract
 *       event; the highest ord of a contract_id is its state
 *   E site event_id -> {ord}: the version a contract event wrote (so a
 *       void can find it)
 *   N site -> {last ord}: contract events are numbered per site in apply
 *       order, which a site's seq is not across epochs
 *   clients
 *   T site ticket_id -> {first business date, live sale lines}
 *   C site client_ref -> {first business date, live sales}
 *   X site event_id -> empty: that event has been voided (a second void of
 *       it takes nothing back)
 * A P, Q, S, W, R or L key whose counters all return to 0 is deleted.
 *
 * The counter indexes below are the contract between aggregate.c and
 * query.c: append only.
 */
#ifndef MSOSYNC_AGGREGATE_H
#define MSOSYNC_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "be.h"

#include "events.pb-c.h"
#include "store.h"

#define AGG_NCATEGORIES	11	/* Sale.Category, 1..11 */
#define AGG_NMETHODS	6	/* Payment.Method */
#define AGG_NEXPENSES	9	/* Expense.Category */
#define AGG_NSOURCES	8	/* Lead.Source */
#define AGG_NROLES	7	/* StaffShift.Role */
#define AGG_NAREAS	5	/* ComplianceCheck.Area */
#define AGG_NRESULTS	3	/* ComplianceCheck.Result */
#define AGG_NCOURSES	5	/* Training.Course */
#define AGG_NBODIES	14	/* Event.body, sale .. void */
#define AGG_FIRST_BODY	MSOSYNC__EVENT__BODY_SALE

/*
 * Per (site, business date) counters. Money in cents. "by X" counters are
 * indexed by the enum value less 1; a value this build does not know
 * (a newer agent's) counts as the enum's "other".
 */
enum agg_counter {
	AGG_GROSS_SALES,		/* categories but stored value */
	AGG_STORED_VALUE_SOLD,		/* gift_card, package, membership */
	AGG_RETAIL_SALES,
	AGG_REFUNDS,
	AGG_COLLECTIONS,		/* but gift_card, membership_credit */
	AGG_DISCOUNTS,
	AGG_TAX,
	AGG_SALES_BY_CATEGORY,
	AGG_PAYMENTS_BY_METHOD = AGG_SALES_BY_CATEGORY + AGG_NCATEGORIES,
	AGG_EXPENSES_BY_CATEGORY = AGG_PAYMENTS_BY_METHOD + AGG_NMETHODS,
	AGG_TICKETS_NEW = AGG_EXPENSES_BY_CATEGORY + AGG_NEXPENSES,
	AGG_NEW_CLIENTS,
	AGG_APPT_BOOKED,
	AGG_APPT_COMPLETED,
	AGG_APPT_CANCELLED,
	AGG_APPT_NO_SHOW,
	AGG_COMPLETED_REBOOKED,
	AGG_COMPLETED_CONSENT,
	AGG_LEADS_NEW,			/* status "new" events, by source */
	AGG_LEADS_CONVERTED = AGG_LEADS_NEW + AGG_NSOURCES,
	AGG_SHIFT_MINUTES = AGG_LEADS_CONVERTED + AGG_NSOURCES,	/* by role */
	AGG_SUPPLY_SPEND = AGG_SHIFT_MINUTES + AGG_NROLES,
	AGG_PO_UNITS,
	AGG_INVENTORY_UNITS_USED,
	AGG_CHECKS,			/* + (area - 1) * 3 + result - 1 */
	AGG_EVENTS = AGG_CHECKS + AGG_NAREAS * AGG_NRESULTS,	/* by body */
	AGG_SALE_UNITS = AGG_EVENTS + AGG_NBODIES,
	AGG_CHECK_FINDINGS,		/* Σ compliance_check.findings */
	AGG_NCOUNTERS
};

/* Key type letters (see above). */
#define AGG_KEY_DAY		'D'
#define AGG_KEY_MONTH		'M'
#define AGG_KEY_PO_DAY		'P'
#define AGG_KEY_PO_MONTH	'Q'
#define AGG_KEY_STAFF_DAY	'S'
#define AGG_KEY_STAFF_MONTH	'W'
#define AGG_KEY_TRAINING	'R'
#define AGG_KEY_LICENSE		'L'
#define AGG_KEY_CONTRACT	'K'
#define AGG_KEY_CONTRACT_EVENT	'E'
#define AGG_KEY_CONTRACT_ORD	'N'
#define AGG_KEY_TICKET		'T'
#define AGG_KEY_CLIENT		'C'
#define AGG_KEY_VOIDED		'X'

#define AGG_STR_MAX		100	/* bytes of a string kept as is */
#define AGG_KEY_MAX		511

/* Counters of a staff key (S, W) and of a purchase order key (P, Q). */
enum { AGG_STAFF_MINUTES, AGG_STAFF_CLINICAL, AGG_STAFF_SHIFTS,
	AGG_STAFF_N };
enum { AGG_PO_QUANTITY, AGG_PO_SPEND, AGG_PO_N };

/* Install the hook on 'st' (call once, before any store_apply). */
void	aggregate_attach(struct store *st);

/*
 * The hook itself (exposed for the rebuild in aggregate_verify). 'arg' is
 * NULL for the running aggregates: a void finds the event it takes back
 * with store_txn_find_event. Returns 0 or the store's error.
 */
int	aggregate_apply(void *arg, struct store_txn *t, uint32_t site_id,
	    const Msosync__Event *ev);

/*
 * Recompute every aggregate from the stored events into a scratch store
 * under 'tmpdir' and compare with the running ones. report() is called
 * once per differing key, with a line such as
 * "rollups D/7/2026-11-20: gross_sales running 45000 rebuilt 44000".
 * *keys_checked (may be NULL) gets how many keys were compared. Blocks
 * the caller for the whole rebuild (about as long as applying every
 * stored event again).
 * Returns 0 (equal), MSOSYNC_ECORRUPT (differences reported), or an error.
 */
int	aggregate_verify(struct store *st, const char *tmpdir,
	    void (*report)(void *arg, const char *what), void *arg,
	    uint64_t *keys_checked);

/* The enums' names as JSON spells them, in enum order (value 1 first). */
extern const char *const	aggregate_category_names[AGG_NCATEGORIES];
extern const char *const	aggregate_method_names[AGG_NMETHODS];
extern const char *const	aggregate_expense_names[AGG_NEXPENSES];
extern const char *const	aggregate_source_names[AGG_NSOURCES];
extern const char *const	aggregate_role_names[AGG_NROLES];
extern const char *const	aggregate_area_names[AGG_NAREAS];
extern const char *const	aggregate_result_names[AGG_NRESULTS];
extern const char *const	aggregate_course_names[AGG_NCOURSES];
extern const char *const	aggregate_body_names[AGG_NBODIES];

/* The counter's name ("gross_sales", "sales_by_category.laser", ...). */
const char	*aggregate_counter_name(enum agg_counter c, char *buf,
		    size_t size);

/*
 * Key building, shared with query.c. aggregate_key starts a key: type,
 * site and, when 'when' is nonzero, a date or month; returns its length
 * (5 or 9). aggregate_key_str appends a string component at key[len]
 * (cut as described above; with its NUL unless 'last') and returns the
 * new length; key has room for AGG_KEY_MAX bytes.
 */
size_t	aggregate_key(uint8_t *key, int type, uint32_t site, uint32_t when);
size_t	aggregate_key_str(uint8_t *key, size_t len, const char *s, int last);

/* Counter i of a value as stored (0 past its end). */
static inline int64_t
agg_counter(const void *val, size_t vlen, size_t i)
{
	if (vlen % 8 != 0 || i >= vlen / 8)
		return 0;
	return (int64_t)get64((const uint8_t *)val + 8 * i);
}

#endif
