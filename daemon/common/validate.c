/*
 * Validation of a submitted event and the agent's stamping of it (DESIGN §2,
 * §5). Events reach here from the JSON mapper or straight from protobuf over
 * ipc, so nothing the mapper already checked is taken for granted: a generic
 * walk over the descriptors refuses unknown fields, unknown enum values,
 * negative money, impossible dates and strings that are not UTF-8 in every
 * message of the event; then each body's own rules follow. The stamp is the
 * only place a raw client_id is seen and turned into client_ref.
 *
 * No state: every function may be called from any thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <protobuf-c/protobuf-c.h>
#include <sodium.h>

#include "msosync/error.h"
#include "keys.h"
#include "validate.h"
#include "xmalloc.h"

#define MS_2000		946684800000LL		/* 2000-01-01T00:00:00Z */
#define MS_AHEAD	86400000LL		/* how far ahead of our clock */
#define BP_MAX		10000u
#define SHIFT_MAX	1440u			/* minutes in a day */
#define REF_BYTES	16

struct out {
	char	*err;
	size_t	 len;
};

static int	bad(struct out *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * A message cut short by its buffer ends where s[n] is: drop a UTF-8
 * sequence the cut left incomplete (the texts hold "≥"), so that the
 * message stays valid UTF-8 for the JSON it goes into.
 */
static void
cut_utf8(char *s, size_t n)
{
	size_t		i = n;
	unsigned char	c;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || (c = (unsigned char)s[i - 1]) < 0xc0)
		return;
	if (n - (i - 1) < (size_t)(c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2))
		s[i - 1] = '\0';
}

static int
bad(struct out *o, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (o->err != NULL && o->len > 0) {
		va_start(ap, fmt);
		n = vsnprintf(o->err, o->len, fmt, ap);
		va_end(ap);
		if (n > 0 && (size_t)n >= o->len)
			cut_utf8(o->err, o->len - 1);
	}
	return MSOSYNC_EINVAL;
}

/* An unset string is protobuf_c_empty_string, or NULL in a hand-built one. */
static int
empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t	n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int
is_date(uint32_t d)
{
	static const uint8_t	mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	uint32_t	y = d / 10000, m = d / 100 % 100, day = d % 100;
	uint32_t	max;

	/* Four-digit years only: the JSON form is "YYYY-MM-DD". */
	if (y < 1 || y > 9999 || m < 1 || m > 12 || day < 1)
		return 0;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return day <= max;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static int
is_utf8(const unsigned char *s)
{
	while (*s != '\0') {
		unsigned char	c = *s;
		uint32_t	cp;
		int		n;

		if (c < 0x80) {
			s++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		for (int i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		s += n + 1;
	}
	return 1;
}

/* The rule for event_id, also applied to the id a void names. */
static int
check_id(struct out *o, const char *path, const char *id)
{
	size_t	n;

	if (empty(id))
		return bad(o, "%s: missing", path);
	n = strlen(id);
	if (n > VALIDATE_EVENT_ID_MAX)
		return bad(o, "%s: longer than %d bytes", path,
		    VALIDATE_EVENT_ID_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
			return bad(o, "%s: not printable ASCII", path);
	return 0;
}

static size_t
elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

/*
 * Where the walk is, as a chain of frames on the stack: the text of the
 * path is only built when there is an error to report.
 */
struct path {
	const struct path	*up;
	const char		*name;	/* NULL: element 'idx' of 'up' */
	size_t			 idx;
};

static void
path_fmt(const struct path *p, char *buf, size_t cap)
{
	size_t	n;

	if (p == NULL) {
		buf[0] = '\0';
		return;
	}
	path_fmt(p->up, buf, cap);
	n = strlen(buf);
	if (p->name == NULL)
		snprintf(buf + n, cap - n, "[%zu]", p->idx);
	else
		snprintf(buf + n, cap - n, "%s%s", n ? "." : "", p->name);
}

static int	bad_at(struct out *, const struct path *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
bad_at(struct out *o, const struct path *p, const char *fmt, ...)
{
	char	where[VALIDATE_ERR_MAX], why[VALIDATE_ERR_MAX];
	va_list	ap;

	path_fmt(p, where, sizeof(where));
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return bad(o, "%s: %s", where[0] ? where : "event", why);
}

static int	walk(struct out *, const ProtobufCMessage *,
		    const struct path *);

/* One value of field 'fd' at 'p'. The conventions are the mapper's. */
static int
check_value(struct out *o, const ProtobufCFieldDescriptor *fd, const void *p,
    const struct path *at)
{
	int64_t		 v;
	int32_t		 e;
	uint32_t	 d;
	const char	*s;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (elem_size(fd->type) == 8)
			memcpy(&v, p, sizeof(v));
		else {
			memcpy(&e, p, sizeof(e));
			v = e;
		}
		if (v < 0 && ends_with(fd->name, "_cents"))
			/* DESIGN §9's words: U+2265, in UTF-8 */
			return bad_at(o, at, "must be ≥ 0");
		break;
	case PROTOBUF_C_TYPE_UINT32:
		memcpy(&d, p, sizeof(d));
		if (d != 0 && (ends_with(fd->name, "_date") ||
		    ends_with(fd->name, "_on")) && !is_date(d))
			return bad_at(o, at, "not a real date (YYYYMMDD)");
		break;
	case PROTOBUF_C_TYPE_ENUM:
		memcpy(&e, p, sizeof(e));
		/* Zero is "absent": the body rules say if that is allowed. */
		if (e != 0 && protobuf_c_enum_descriptor_get_value(
		    fd->descriptor, e) == NULL)
			return bad_at(o, at, "unknown value %d", (int)e);
		break;
	case PROTOBUF_C_TYPE_STRING:
		memcpy(&s, p, sizeof(s));
		if (s != NULL && !is_utf8((const unsigned char *)s))
			return bad_at(o, at, "not valid UTF-8");
		break;
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage	*m;

		memcpy(&m, p, sizeof(m));
		if (m != NULL)
			return walk(o, m, at);
		break;
	}
	default:
		break;
	}
	return 0;
}

/* Every field of 'm' and, recursively, of its messages; 'at' names 'm'. */
static int
walk(struct out *o, const ProtobufCMessage *m, const struct path *at)
{
	const ProtobufCMessageDescriptor	*desc = m->descriptor;
	const char				*base = (const char *)m;
	int					 rc;

	if (m->n_unknown_fields > 0)
		return bad_at(o, at, "unknown field %u",
		    (unsigned)m->unknown_fields[0].tag);
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor	*fd = &desc->fields[i];
		const char			*p = base + fd->offset;
		struct path			 here = { at, fd->name, 0 };

		if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t	which;

			memcpy(&which, base + fd->quantifier_offset,
			    sizeof(which));
			if (which != fd->id)
				continue;
		} else if (fd->label == PROTOBUF_C_LABEL_OPTIONAL &&
		    fd->type != PROTOBUF_C_TYPE_MESSAGE &&
		    fd->type != PROTOBUF_C_TYPE_STRING &&
		    fd->quantifier_offset != 0) {
			protobuf_c_boolean	has;

			memcpy(&has, base + fd->quantifier_offset, sizeof(has));
			if (!has)
				continue;
		}
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t		 n;
			const char	*arr;

			memcpy(&n, base + fd->quantifier_offset, sizeof(n));
			memcpy(&arr, p, sizeof(arr));
			for (size_t j = 0; j < n; j++) {
				struct path	elem = { &here, NULL, j };

				rc = check_value(o, fd,
				    arr + j * elem_size(fd->type), &elem);
				if (rc != 0)
					return rc;
			}
		} else if ((rc = check_value(o, fd, p, &here)) != 0)
			return rc;
	}
	return 0;
}

static int
check_sale(struct out *o, const Msosync__Sale *b)
{
	if (empty(b->ticket_id))
		return bad(o, "sale.ticket_id: required");
	if (b->category == 0)
		return bad(o, "sale.category: required");
	/* amount_cents may be 0: a free touch-up is still a line. */
	return 0;
}

static int
check_payment(struct out *o, const Msosync__Payment *b)
{
	if (empty(b->ticket_id))
		return bad(o, "payment.ticket_id: required");
	if (b->amount_cents <= 0)
		return bad(o, "payment.amount_cents: required");
	if (b->method == 0)
		return bad(o, "payment.method: required");
	return 0;
}

static int
check_refund(struct out *o, const Msosync__Refund *b)
{
	if (empty(b->ticket_id))
		return bad(o, "refund.ticket_id: required");
	if (b->amount_cents <= 0)
		return bad(o, "refund.amount_cents: required");
	return 0;
}

static int
check_expense(struct out *o, const Msosync__Expense *b)
{
	if (b->category == 0)
		return bad(o, "expense.category: required");
	if (b->amount_cents <= 0)
		return bad(o, "expense.amount_cents: required");
	return 0;
}

static int
check_purchase_order(struct out *o, const Msosync__PurchaseOrder *b)
{
	if (empty(b->po_id))
		return bad(o, "purchase_order.po_id: required");
	if (empty(b->vendor_id))
		return bad(o, "purchase_order.vendor_id: required");
	if (empty(b->sku))
		return bad(o, "purchase_order.sku: required");
	if (b->quantity == 0)
		return bad(o, "purchase_order.quantity: required");
	if (b->unit_price_cents <= 0)
		return bad(o, "purchase_order.unit_price_cents: required");
	return 0;
}

static int
check_inventory_usage(struct out *o, const Msosync__InventoryUsage *b)
{
	if (empty(b->sku))
		return bad(o, "inventory_usage.sku: required");
	if (b->quantity == 0)
		return bad(o, "inventory_usage.quantity: required");
	return 0;
}

static int
check_vendor_contract(struct out *o, const Msosync__VendorContract *b)
{
	if (empty(b->contract_id))
		return bad(o, "vendor_contract.contract_id: required");
	if (empty(b->vendor_id))
		return bad(o, "vendor_contract.vendor_id: required");
	if (b->status == 0)
		return bad(o, "vendor_contract.status: required");
	if (b->start_date == 0)
		return bad(o, "vendor_contract.start_date: required");
	if (b->end_date == 0)
		return bad(o, "vendor_contract.end_date: required");
	if (b->end_date < b->start_date)
		return bad(o, "vendor_contract.end_date: before start_date");
	if (b->rebate_bp > BP_MAX)
		return bad(o, "vendor_contract.rebate_bp: more than %u basis "
		    "points", BP_MAX);
	for (size_t i = 0; i < b->n_rebate_tiers; i++) {
		const Msosync__RebateTier	*t = b->rebate_tiers[i];

		if (t == NULL || t->rebate_bp == 0)
			return bad(o, "vendor_contract.rebate_tiers[%zu]."
			    "rebate_bp: required", i);
		if (t->rebate_bp > BP_MAX)
			return bad(o, "vendor_contract.rebate_tiers[%zu]."
			    "rebate_bp: more than %u basis points", i, BP_MAX);
	}
	for (size_t i = 0; i < b->n_prices; i++)
		if (b->prices[i] == NULL || empty(b->prices[i]->sku))
			return bad(o, "vendor_contract.prices[%zu].sku: "
			    "required", i);
	return 0;
}

static int
check_lead(struct out *o, const Msosync__Lead *b)
{
	if (empty(b->lead_id))
		return bad(o, "lead.lead_id: required");
	if (b->source == 0)
		return bad(o, "lead.source: required");
	if (b->status == 0)
		return bad(o, "lead.status: required");
	return 0;
}

static int
check_appointment(struct out *o, const Msosync__Appointment *b)
{
	if (empty(b->appointment_id))
		return bad(o, "appointment.appointment_id: required");
	if (b->status == 0)
		return bad(o, "appointment.status: required");
	return 0;
}

static int
check_staff_shift(struct out *o, const Msosync__StaffShift *b)
{
	if (empty(b->staff_ref))
		return bad(o, "staff_shift.staff_ref: required");
	if (b->role == 0)
		return bad(o, "staff_shift.role: required");
	if (b->minutes == 0)
		return bad(o, "staff_shift.minutes: required");
	if (b->minutes > SHIFT_MAX)
		return bad(o, "staff_shift.minutes: more than %u", SHIFT_MAX);
	return 0;
}

static int
check_training(struct out *o, const Msosync__Training *b)
{
	if (empty(b->staff_ref))
		return bad(o, "training.staff_ref: required");
	if (b->course == 0)
		return bad(o, "training.course: required");
	if (b->completed_on == 0)
		return bad(o, "training.completed_on: required");
	if (b->expires_on == 0)
		return bad(o, "training.expires_on: required");
	if (b->expires_on < b->completed_on)
		return bad(o, "training.expires_on: before completed_on");
	return 0;
}

static int
check_license(struct out *o, const Msosync__License *b)
{
	if (empty(b->staff_ref))
		return bad(o, "license.staff_ref: required");
	if (empty(b->license_type))
		return bad(o, "license.license_type: required");
	if (b->expires_on == 0)
		return bad(o, "license.expires_on: required");
	return 0;
}

static int
check_compliance_check(struct out *o, const Msosync__ComplianceCheck *b)
{
	if (b->area == 0)
		return bad(o, "compliance_check.area: required");
	if (b->result == 0)
		return bad(o, "compliance_check.result: required");
	return 0;
}

/* Whether the voided event exists is the journal's question, not ours. */
static int
check_void(struct out *o, const Msosync__Void *b, const char *own_id)
{
	int	rc;

	if (empty(b->voided_event_id))
		return bad(o, "void.voided_event_id: required");
	if ((rc = check_id(o, "void.voided_event_id", b->voided_event_id)) != 0)
		return rc;
	if (strcmp(b->voided_event_id, own_id) == 0)
		return bad(o, "void.voided_event_id: an event cannot void "
		    "itself");
	return 0;
}

static int
check_body(struct out *o, const Msosync__Event *ev)
{
	switch (ev->body_case) {
	case MSOSYNC__EVENT__BODY_SALE:
		return check_sale(o, ev->sale);
	case MSOSYNC__EVENT__BODY_PAYMENT:
		return check_payment(o, ev->payment);
	case MSOSYNC__EVENT__BODY_REFUND:
		return check_refund(o, ev->refund);
	case MSOSYNC__EVENT__BODY_EXPENSE:
		return check_expense(o, ev->expense);
	case MSOSYNC__EVENT__BODY_PURCHASE_ORDER:
		return check_purchase_order(o, ev->purchase_order);
	case MSOSYNC__EVENT__BODY_INVENTORY_USAGE:
		return check_inventory_usage(o, ev->inventory_usage);
	case MSOSYNC__EVENT__BODY_VENDOR_CONTRACT:
		return check_vendor_contract(o, ev->vendor_contract);
	case MSOSYNC__EVENT__BODY_LEAD:
		return check_lead(o, ev->lead);
	case MSOSYNC__EVENT__BODY_APPOINTMENT:
		return check_appointment(o, ev->appointment);
	case MSOSYNC__EVENT__BODY_STAFF_SHIFT:
		return check_staff_shift(o, ev->staff_shift);
	case MSOSYNC__EVENT__BODY_TRAINING:
		return check_training(o, ev->training);
	case MSOSYNC__EVENT__BODY_LICENSE:
		return check_license(o, ev->license);
	case MSOSYNC__EVENT__BODY_COMPLIANCE_CHECK:
		return check_compliance_check(o, ev->compliance_check);
	case MSOSYNC__EVENT__BODY_VOID:
		return check_void(o, ev->void_, ev->event_id);
	default:
		return bad(o, "event: no body");
	}
}

int
validate_event(const Msosync__Event *ev, int64_t now_ms, char *err,
    size_t errlen)
{
	struct out	 o = { err, errlen };
	const char	*ref = NULL;
	int		 rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((rc = check_id(&o, "event_id", ev->event_id)) != 0)
		return rc;

	if (ev->site_id != 0)
		return bad(&o, "site_id: set by the agent, not the client");
	if (ev->seq != 0)
		return bad(&o, "seq: set by the agent, not the client");
	if (ev->recorded_at != 0)
		return bad(&o, "recorded_at: set by the agent, not the client");
	if (ev->business_date != 0)
		return bad(&o, "business_date: set by the agent, not the "
		    "client");

	if (ev->occurred_at == 0)
		return bad(&o, "occurred_at: missing");
	if (ev->occurred_at < MS_2000)
		return bad(&o, "occurred_at: before 2000-01-01");
	/* occurred_at >= MS_2000 here, so the subtraction cannot wrap. */
	if (ev->occurred_at - MS_AHEAD > now_ms)
		return bad(&o, "occurred_at: more than 24 hours ahead of the "
		    "agent's clock");

	/* The pointer test is for hand-built events; unpacked ones agree. */
	if (ev->body_case < MSOSYNC__EVENT__BODY_SALE ||
	    ev->body_case > MSOSYNC__EVENT__BODY_VOID || ev->sale == NULL)
		return bad(&o, "event: no body");

	if (ev->body_case == MSOSYNC__EVENT__BODY_SALE)
		ref = ev->sale->client_ref;
	else if (ev->body_case == MSOSYNC__EVENT__BODY_APPOINTMENT)
		ref = ev->appointment->client_ref;
	if (!empty(ref))
		return bad(&o, "%s.client_ref: set by the agent; send "
		    "client_id",
		    ev->body_case == MSOSYNC__EVENT__BODY_SALE ? "sale" :
		    "appointment");

	if ((rc = walk(&o, &ev->base, NULL)) != 0)
		return rc;
	return check_body(&o, ev);
}

/* A string of the message, made or dropped as free_unpacked expects. */
static void *
str_alloc(ProtobufCAllocator *alloc, size_t n)
{
	void	*p;

	if (alloc == NULL)
		return xmalloc(n);
	if ((p = alloc->alloc(alloc->allocator_data, n)) == NULL)
		abort();
	return p;
}

static void
str_free(ProtobufCAllocator *alloc, char *s)
{
	/* Only a non-default pointer is ours to free, as for free_unpacked. */
	if (s == NULL || s == protobuf_c_empty_string)
		return;
	if (alloc == NULL)
		free(s);
	else
		alloc->free(alloc->allocator_data, s);
}

/*
 * Keyed BLAKE2b-128 of 'in' under the pepper. The key is a whole block of
 * its own, so each thread keeps the state after it for the last pepper
 * seen and copies it: one compression a short client_id, not two. The
 * check compares the pepper with a copy of itself, no outside input, so
 * plain memcmp leaks nothing; sodium_memcmp cost 100 ns an event.
 */
static void
pepper_hash(const uint8_t pepper[32], const char *in, size_t n,
    unsigned char out[REF_BYTES])
{
	static __thread crypto_generichash_state	keyed;
	static __thread uint8_t				key[32];
	static __thread int				have;
	crypto_generichash_state			st;

	if (!have || memcmp(key, pepper, sizeof(key)) != 0) {
		if (crypto_generichash_init(&keyed, pepper, 32, REF_BYTES) != 0)
			abort();	/* only on misuse of the sizes */
		memcpy(key, pepper, sizeof(key));
		have = 1;
	}
	st = keyed;
	if (crypto_generichash_update(&st, (const unsigned char *)in, n) != 0 ||
	    crypto_generichash_final(&st, out, REF_BYTES) != 0)
		abort();
	sodium_memzero(&st, sizeof(st));
}

/* Hash, wipe and clear one client_id; 'ref' receives the hex client_ref. */
static void
pseudonymise(char **id, char **ref, const uint8_t pepper[32],
    ProtobufCAllocator *alloc)
{
	unsigned char	 h[REF_BYTES];
	char		*hex;

	if (empty(*id))
		goto clear;
	pepper_hash(pepper, *id, strlen(*id), h);
	hex = str_alloc(alloc, 2 * sizeof(h) + 1);
	sodium_bin2hex(hex, 2 * sizeof(h) + 1, h, sizeof(h));
	sodium_memzero(h, sizeof(h));
	str_free(alloc, *ref);
	*ref = hex;
	sodium_memzero(*id, strlen(*id));
clear:
	str_free(alloc, *id);
	*id = (char *)protobuf_c_empty_string;
}

void
validate_stamp(Msosync__Event *ev, uint32_t site_id, int64_t now_ms,
    const uint8_t pepper[32], ProtobufCAllocator *alloc)
{
	/* Idempotent and thread-safe; keyed BLAKE2b itself needs no setup. */
	keys_sodium_ready();
	ev->site_id = site_id;
	ev->recorded_at = now_ms;
	ev->business_date = validate_business_date(ev->occurred_at);
	if (ev->schema_version == 0)
		ev->schema_version = 1;
	if (ev->body_case == MSOSYNC__EVENT__BODY_SALE && ev->sale != NULL)
		pseudonymise(&ev->sale->client_id, &ev->sale->client_ref,
		    pepper, alloc);
	else if (ev->body_case == MSOSYNC__EVENT__BODY_APPOINTMENT &&
	    ev->appointment != NULL)
		pseudonymise(&ev->appointment->client_id,
		    &ev->appointment->client_ref, pepper, alloc);
}

uint32_t
validate_business_date(int64_t unix_ms)
{
	struct tm	tm;
	int64_t		secs = unix_ms / 1000;
	time_t		t;

	if (unix_ms % 1000 < 0)		/* floor, not truncation */
		secs--;
	t = (time_t)secs;
	/*
	 * localtime_r uses the zone of the last tzset() (or the first call);
	 * the agent sets TZ from its config and calls tzset() at start.
	 */
	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (uint32_t)(tm.tm_year + 1900) * 10000 +
	    (uint32_t)(tm.tm_mon + 1) * 100 + (uint32_t)tm.tm_mday;
}
