/*
 * Validation of events as a clinic system submits them (DESIGN §5), and the
 * agent's stamping of what is its to set. Runs after pbjson_decode_text (or
 * after unpacking an ipc SubmitRequest), before anything is journaled.
 *
 *   validate_event: event_id 1-64 printable ASCII bytes; exactly one body;
 *     none of site_id, seq, recorded_at, business_date, client_ref set;
 *     occurred_at from 2000-01-01T00:00:00Z to now + 24 h; every *_cents
 *     field >= 0 (found through the descriptors, nested ones too); the body's
 *     required fields present (ids, amounts where the KPIs need them,
 *     category/status/role/method/source/course/area/result, minutes,
 *     quantity, contract start/end dates, training completed_on/expires_on,
 *     license expires_on); dates real and end >= start.
 *     Error text: "field.path: reason", e.g. "sale.amount_cents: must be ≥ 0".
 *
 *   validate_stamp: site_id, recorded_at = now, business_date = the
 *     occurred_at's local date in the process's time zone (the agent sets TZ
 *     from its config), schema_version = 1 when 0, and client_id replaced by
 *     client_ref = hex of keyed BLAKE2b-128(pepper, client_id) (32 hex chars);
 *     the raw client_id is wiped and cleared.
 *
 * Pure functions apart from the clock passed in; thread-safe.
 */
#ifndef MSOSYNC_VALIDATE_H
#define MSOSYNC_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "events.pb-c.h"

#define VALIDATE_EVENT_ID_MAX	64
#define VALIDATE_ERR_MAX	256

/* Returns 0 or MSOSYNC_EINVAL with "path: reason" in err. */
int	validate_event(const Msosync__Event *ev, int64_t now_ms, char *err,
	    size_t errlen);

/*
 * Stamp what is the agent's to set (see above). 'pepper' is 32 bytes;
 * 'alloc' is what ev was unpacked or decoded with (NULL: malloc).
 */
void	validate_stamp(Msosync__Event *ev, uint32_t site_id, int64_t now_ms,
	    const uint8_t pepper[32], ProtobufCAllocator *alloc);

/* occurred_at (Unix ms) -> YYYYMMDD in the process's local time zone. */
uint32_t	validate_business_date(int64_t unix_ms);

#endif
