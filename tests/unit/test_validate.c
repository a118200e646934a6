/*
 * Unit tests for daemon/common/validate.c: every body's rules with their
 * exact messages, the envelope's bounds at their edges, the descriptor walk
 * (money, dates, enums, UTF-8, unknown fields), and the stamp (business
 * date per time zone, client_ref against an independent BLAKE2b, no leak).
 * Events are built on the heap the way protobuf-c unpacks them, so
 * protobuf_c_message_free_unpacked() frees them.
 */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <protobuf-c/protobuf-c.h>
#include <sodium.h>

#include "events.pb-c.h"
#include "msosync/error.h"
#include "validate.h"
#include "varint.h"
#include "xmalloc.h"

#define NOW		1795262400000LL	/* 2026-11-21T12:00:00Z */
#define MS_2000		946684800000LL	/* 2000-01-01T00:00:00Z */
#define DAY_MS		86400000LL
#define LATE_NIGHT	1795231800000LL	/* 2026-11-21T03:30:00Z */

/* Replace a string field, freeing what free_unpacked would have freed. */
static void
set_str(char **field, const char *v)
{
	if (*field != NULL && *field != protobuf_c_empty_string)
		free(*field);
	*field = v ? xstrdup(v) : (char *)protobuf_c_empty_string;
}

static void
free_ev(Msosync__Event *ev)
{
	protobuf_c_message_free_unpacked(&ev->base, NULL);
}

static Msosync__Event *
new_event(const char *id)
{
	Msosync__Event	*ev = xmalloc(sizeof(*ev));

	msosync__event__init(ev);
	set_str(&ev->event_id, id);
	ev->occurred_at = NOW - 3600000;
	return ev;
}

static Msosync__Event *
mk_sale(void)
{
	Msosync__Event	*ev = new_event("pos-8842-1");
	Msosync__Sale	*b = xmalloc(sizeof(*b));

	msosync__sale__init(b);
	set_str(&b->ticket_id, "T-8842");
	b->category = MSOSYNC__SALE__CATEGORY__INJECTABLES;
	b->amount_cents = 45000;
	b->units = 20;
	set_str(&b->provider_ref, "np-3");
	set_str(&b->client_id, "991");
	ev->body_case = MSOSYNC__EVENT__BODY_SALE;
	ev->sale = b;
	return ev;
}

static Msosync__Event *
mk_payment(void)
{
	Msosync__Event	*ev = new_event("pay-1");
	Msosync__Payment *b = xmalloc(sizeof(*b));

	msosync__payment__init(b);
	set_str(&b->ticket_id, "T-8842");
	b->amount_cents = 48712;
	b->method = MSOSYNC__PAYMENT__METHOD__CARD;
	ev->body_case = MSOSYNC__EVENT__BODY_PAYMENT;
	ev->payment = b;
	return ev;
}

static Msosync__Event *
mk_refund(void)
{
	Msosync__Event	*ev = new_event("ref-1");
	Msosync__Refund	*b = xmalloc(sizeof(*b));

	msosync__refund__init(b);
	set_str(&b->ticket_id, "T-8842");
	b->amount_cents = 5000;
	set_str(&b->reason, "unhappy");
	ev->body_case = MSOSYNC__EVENT__BODY_REFUND;
	ev->refund = b;
	return ev;
}

static Msosync__Event *
mk_expense(void)
{
	Msosync__Event	*ev = new_event("exp-1");
	Msosync__Expense *b = xmalloc(sizeof(*b));

	msosync__expense__init(b);
	b->category = MSOSYNC__EXPENSE__CATEGORY__RENT;
	b->amount_cents = 850000;
	set_str(&b->vendor_id, "landlord");
	ev->body_case = MSOSYNC__EVENT__BODY_EXPENSE;
	ev->expense = b;
	return ev;
}

static Msosync__Event *
mk_purchase_order(void)
{
	Msosync__Event		*ev = new_event("po-1");
	Msosync__PurchaseOrder	*b = xmalloc(sizeof(*b));

	msosync__purchase_order__init(b);
	set_str(&b->po_id, "PO-77");
	set_str(&b->vendor_id, "allergan");
	set_str(&b->contract_id, "C-1");
	set_str(&b->sku, "BOTOX-100");
	b->quantity = 4;
	b->unit_price_cents = 60000;
	ev->body_case = MSOSYNC__EVENT__BODY_PURCHASE_ORDER;
	ev->purchase_order = b;
	return ev;
}

static Msosync__Event *
mk_inventory_usage(void)
{
	Msosync__Event		*ev = new_event("use-1");
	Msosync__InventoryUsage	*b = xmalloc(sizeof(*b));

	msosync__inventory_usage__init(b);
	set_str(&b->sku, "BOTOX-100");
	b->quantity = 1;
	set_str(&b->ticket_id, "T-8842");
	ev->body_case = MSOSYNC__EVENT__BODY_INVENTORY_USAGE;
	ev->inventory_usage = b;
	return ev;
}

static Msosync__Event *
mk_vendor_contract(void)
{
	Msosync__Event		*ev = new_event("vc-1");
	Msosync__VendorContract	*b = xmalloc(sizeof(*b));

	msosync__vendor_contract__init(b);
	set_str(&b->contract_id, "C-1");
	set_str(&b->vendor_id, "allergan");
	set_str(&b->vendor_name, "Allergan Aesthetics");
	b->status = MSOSYNC__VENDOR_CONTRACT__STATUS__SIGNED;
	b->start_date = 20260101;
	b->end_date = 20261231;
	b->notice_days = 60;
	b->rebate_bp = 200;
	b->n_rebate_tiers = 2;
	b->rebate_tiers = xcalloc(2, sizeof(*b->rebate_tiers));
	for (size_t i = 0; i < 2; i++) {
		Msosync__RebateTier *t = xmalloc(sizeof(*t));

		msosync__rebate_tier__init(t);
		t->min_spend_cents = i == 0 ? 0 : 10000000;
		t->rebate_bp = i == 0 ? 200 : 400;
		b->rebate_tiers[i] = t;
	}
	b->n_prices = 1;
	b->prices = xcalloc(1, sizeof(*b->prices));
	b->prices[0] = xmalloc(sizeof(*b->prices[0]));
	msosync__contract_price__init(b->prices[0]);
	set_str(&b->prices[0]->sku, "BOTOX-100");
	b->prices[0]->unit_price_cents = 58000;
	b->min_annual_commit_cents = 5000000;
	ev->body_case = MSOSYNC__EVENT__BODY_VENDOR_CONTRACT;
	ev->vendor_contract = b;
	return ev;
}

static Msosync__Event *
mk_lead(void)
{
	Msosync__Event	*ev = new_event("lead-1");
	Msosync__Lead	*b = xmalloc(sizeof(*b));

	msosync__lead__init(b);
	set_str(&b->lead_id, "L-5");
	b->source = MSOSYNC__LEAD__SOURCE__WEB;
	set_str(&b->campaign, "spring");
	b->status = MSOSYNC__LEAD__STATUS__NEW;
	ev->body_case = MSOSYNC__EVENT__BODY_LEAD;
	ev->lead = b;
	return ev;
}

static Msosync__Event *
mk_appointment(void)
{
	Msosync__Event		*ev = new_event("appt-1");
	Msosync__Appointment	*b = xmalloc(sizeof(*b));

	msosync__appointment__init(b);
	set_str(&b->appointment_id, "A-9");
	b->status = MSOSYNC__APPOINTMENT__STATUS__COMPLETED;
	b->duration_min = 45;
	set_str(&b->client_id, "991");
	b->consent_documented = 1;
	ev->body_case = MSOSYNC__EVENT__BODY_APPOINTMENT;
	ev->appointment = b;
	return ev;
}

static Msosync__Event *
mk_staff_shift(void)
{
	Msosync__Event		*ev = new_event("shift-1");
	Msosync__StaffShift	*b = xmalloc(sizeof(*b));

	msosync__staff_shift__init(b);
	set_str(&b->staff_ref, "np-3");
	b->role = MSOSYNC__STAFF_SHIFT__ROLE__NP;
	b->minutes = 480;
	ev->body_case = MSOSYNC__EVENT__BODY_STAFF_SHIFT;
	ev->staff_shift = b;
	return ev;
}

static Msosync__Event *
mk_training(void)
{
	Msosync__Event		*ev = new_event("train-1");
	Msosync__Training	*b = xmalloc(sizeof(*b));

	msosync__training__init(b);
	set_str(&b->staff_ref, "np-3");
	b->course = MSOSYNC__TRAINING__COURSE__HIPAA;
	b->completed_on = 20260115;
	b->expires_on = 20270115;
	ev->body_case = MSOSYNC__EVENT__BODY_TRAINING;
	ev->training = b;
	return ev;
}

static Msosync__Event *
mk_license(void)
{
	Msosync__Event		*ev = new_event("lic-1");
	Msosync__License	*b = xmalloc(sizeof(*b));

	msosync__license__init(b);
	set_str(&b->staff_ref, "np-3");
	set_str(&b->license_type, "np_tx");
	b->expires_on = 20280630;
	ev->body_case = MSOSYNC__EVENT__BODY_LICENSE;
	ev->license = b;
	return ev;
}

static Msosync__Event *
mk_compliance_check(void)
{
	Msosync__Event		*ev = new_event("cc-1");
	Msosync__ComplianceCheck *b = xmalloc(sizeof(*b));

	msosync__compliance_check__init(b);
	b->area = MSOSYNC__COMPLIANCE_CHECK__AREA__OSHA_INSPECTION;
	b->result = MSOSYNC__COMPLIANCE_CHECK__RESULT__FINDINGS;
	b->findings = 2;
	ev->body_case = MSOSYNC__EVENT__BODY_COMPLIANCE_CHECK;
	ev->compliance_check = b;
	return ev;
}

static Msosync__Event *
mk_void(void)
{
	Msosync__Event	*ev = new_event("void-1");
	Msosync__Void	*b = xmalloc(sizeof(*b));

	msosync__void__init(b);
	set_str(&b->voided_event_id, "pos-8842-1");
	set_str(&b->reason, "rang twice");
	ev->body_case = MSOSYNC__EVENT__BODY_VOID;
	ev->void_ = b;
	return ev;
}

static Msosync__Event *(*const makers[])(void) = {
	mk_sale, mk_payment, mk_refund, mk_expense, mk_purchase_order,
	mk_inventory_usage, mk_vendor_contract, mk_lead, mk_appointment,
	mk_staff_shift, mk_training, mk_license, mk_compliance_check, mk_void,
};
#define NMAKERS	(sizeof(makers) / sizeof(makers[0]))

/* Validate at NOW, assert the exact outcome, and free the event. */
static void
expect(Msosync__Event *ev, const char *msg)
{
	char	err[VALIDATE_ERR_MAX];
	int	rc;

	memset(err, 'x', sizeof(err));
	rc = validate_event(ev, NOW, err, sizeof(err));
	if (msg == NULL) {
		assert_string_equal(err, "");
		assert_int_equal(rc, 0);
	} else {
		assert_string_equal(err, msg);
		assert_int_equal(rc, MSOSYNC_EINVAL);
	}
	free_ev(ev);
}

static void
test_valid_bodies(void **state)
{
	unsigned	seen = 0;

	(void)state;
	assert_int_equal(NMAKERS, 14);
	for (size_t i = 0; i < NMAKERS; i++) {
		Msosync__Event *ev = makers[i]();

		assert_int_not_equal(ev->body_case,
		    MSOSYNC__EVENT__BODY__NOT_SET);
		seen |= 1u << (ev->body_case - MSOSYNC__EVENT__BODY_SALE);
		expect(ev, NULL);
	}
	assert_int_equal(seen, (1u << 14) - 1);	/* all fourteen, once each */
}

static void
test_optional_absent(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	/* A free touch-up: a real line with no money. */
	ev = mk_sale();
	ev->sale->amount_cents = 0;
	set_str(&ev->sale->client_id, NULL);
	set_str(&ev->sale->provider_ref, NULL);
	expect(ev, NULL);
	ev = mk_appointment();
	ev->appointment->category = 0;
	expect(ev, NULL);
	/* Hand-built events may leave strings NULL rather than "". */
	ev = mk_lead();
	free(ev->lead->campaign);
	ev->lead->campaign = NULL;
	expect(ev, NULL);
	ev = mk_vendor_contract();
	ev->vendor_contract->rebate_bp = 10000;
	ev->vendor_contract->rebate_tiers[1]->rebate_bp = 10000;
	ev->vendor_contract->start_date = ev->vendor_contract->end_date;
	expect(ev, NULL);
	ev = mk_staff_shift();
	ev->staff_shift->minutes = 1440;
	expect(ev, NULL);
	ev = mk_training();
	ev->training->expires_on = ev->training->completed_on;
	expect(ev, NULL);
}

static void
test_required_sale(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_sale();
	set_str(&ev->sale->ticket_id, NULL);
	expect(ev, "sale.ticket_id: required");
	ev = mk_sale();
	free(ev->sale->ticket_id);
	ev->sale->ticket_id = NULL;
	expect(ev, "sale.ticket_id: required");
	ev = mk_sale();
	ev->sale->category = 0;
	expect(ev, "sale.category: required");
}

static void
test_required_payment(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_payment();
	set_str(&ev->payment->ticket_id, NULL);
	expect(ev, "payment.ticket_id: required");
	ev = mk_payment();
	ev->payment->amount_cents = 0;
	expect(ev, "payment.amount_cents: required");
	ev = mk_payment();
	ev->payment->method = 0;
	expect(ev, "payment.method: required");
}

static void
test_required_refund(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_refund();
	set_str(&ev->refund->ticket_id, NULL);
	expect(ev, "refund.ticket_id: required");
	ev = mk_refund();
	ev->refund->amount_cents = 0;
	expect(ev, "refund.amount_cents: required");
}

static void
test_required_expense(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_expense();
	ev->expense->category = 0;
	expect(ev, "expense.category: required");
	ev = mk_expense();
	ev->expense->amount_cents = 0;
	expect(ev, "expense.amount_cents: required");
}

static void
test_required_purchase_order(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_purchase_order();
	set_str(&ev->purchase_order->po_id, NULL);
	expect(ev, "purchase_order.po_id: required");
	ev = mk_purchase_order();
	set_str(&ev->purchase_order->vendor_id, NULL);
	expect(ev, "purchase_order.vendor_id: required");
	ev = mk_purchase_order();
	set_str(&ev->purchase_order->sku, NULL);
	expect(ev, "purchase_order.sku: required");
	ev = mk_purchase_order();
	ev->purchase_order->quantity = 0;
	expect(ev, "purchase_order.quantity: required");
	ev = mk_purchase_order();
	ev->purchase_order->unit_price_cents = 0;
	expect(ev, "purchase_order.unit_price_cents: required");
	/* contract_id is optional: not every order is under a contract. */
	ev = mk_purchase_order();
	set_str(&ev->purchase_order->contract_id, NULL);
	expect(ev, NULL);
}

static void
test_required_inventory_usage(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_inventory_usage();
	set_str(&ev->inventory_usage->sku, NULL);
	expect(ev, "inventory_usage.sku: required");
	ev = mk_inventory_usage();
	ev->inventory_usage->quantity = 0;
	expect(ev, "inventory_usage.quantity: required");
}

static void
test_required_vendor_contract(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_vendor_contract();
	set_str(&ev->vendor_contract->contract_id, NULL);
	expect(ev, "vendor_contract.contract_id: required");
	ev = mk_vendor_contract();
	set_str(&ev->vendor_contract->vendor_id, NULL);
	expect(ev, "vendor_contract.vendor_id: required");
	ev = mk_vendor_contract();
	ev->vendor_contract->status = 0;
	expect(ev, "vendor_contract.status: required");
	ev = mk_vendor_contract();
	ev->vendor_contract->start_date = 0;
	expect(ev, "vendor_contract.start_date: required");
	ev = mk_vendor_contract();
	ev->vendor_contract->end_date = 0;
	expect(ev, "vendor_contract.end_date: required");
	ev = mk_vendor_contract();
	ev->vendor_contract->end_date = 20251231;
	expect(ev, "vendor_contract.end_date: before start_date");
	ev = mk_vendor_contract();
	set_str(&ev->vendor_contract->prices[0]->sku, NULL);
	expect(ev, "vendor_contract.prices[0].sku: required");
	ev = mk_vendor_contract();
	ev->vendor_contract->rebate_tiers[1]->rebate_bp = 0;
	expect(ev, "vendor_contract.rebate_tiers[1].rebate_bp: required");
	ev = mk_vendor_contract();
	ev->vendor_contract->rebate_bp = 10001;
	expect(ev, "vendor_contract.rebate_bp: more than 10000 basis points");
	ev = mk_vendor_contract();
	ev->vendor_contract->rebate_tiers[0]->rebate_bp = 10001;
	expect(ev, "vendor_contract.rebate_tiers[0].rebate_bp: more than "
	    "10000 basis points");
}

static void
test_required_lead(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_lead();
	set_str(&ev->lead->lead_id, NULL);
	expect(ev, "lead.lead_id: required");
	ev = mk_lead();
	ev->lead->source = 0;
	expect(ev, "lead.source: required");
	ev = mk_lead();
	ev->lead->status = 0;
	expect(ev, "lead.status: required");
}

static void
test_required_appointment(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_appointment();
	set_str(&ev->appointment->appointment_id, NULL);
	expect(ev, "appointment.appointment_id: required");
	ev = mk_appointment();
	ev->appointment->status = 0;
	expect(ev, "appointment.status: required");
}

static void
test_required_staff_shift(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_staff_shift();
	set_str(&ev->staff_shift->staff_ref, NULL);
	expect(ev, "staff_shift.staff_ref: required");
	ev = mk_staff_shift();
	ev->staff_shift->role = 0;
	expect(ev, "staff_shift.role: required");
	ev = mk_staff_shift();
	ev->staff_shift->minutes = 0;
	expect(ev, "staff_shift.minutes: required");
	ev = mk_staff_shift();
	ev->staff_shift->minutes = 1441;
	expect(ev, "staff_shift.minutes: more than 1440");
}

static void
test_required_training(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_training();
	set_str(&ev->training->staff_ref, NULL);
	expect(ev, "training.staff_ref: required");
	ev = mk_training();
	ev->training->course = 0;
	expect(ev, "training.course: required");
	ev = mk_training();
	ev->training->completed_on = 0;
	expect(ev, "training.completed_on: required");
	ev = mk_training();
	ev->training->expires_on = 0;
	expect(ev, "training.expires_on: required");
	ev = mk_training();
	ev->training->expires_on = 20260114;
	expect(ev, "training.expires_on: before completed_on");
}

static void
test_required_license(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_license();
	set_str(&ev->license->staff_ref, NULL);
	expect(ev, "license.staff_ref: required");
	ev = mk_license();
	set_str(&ev->license->license_type, NULL);
	expect(ev, "license.license_type: required");
	ev = mk_license();
	ev->license->expires_on = 0;
	expect(ev, "license.expires_on: required");
}

static void
test_required_compliance_check(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_compliance_check();
	ev->compliance_check->area = 0;
	expect(ev, "compliance_check.area: required");
	ev = mk_compliance_check();
	ev->compliance_check->result = 0;
	expect(ev, "compliance_check.result: required");
}

static void
test_void(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_void();
	set_str(&ev->void_->voided_event_id, NULL);
	expect(ev, "void.voided_event_id: required");
	ev = mk_void();
	set_str(&ev->void_->voided_event_id, "void-1");
	expect(ev, "void.voided_event_id: an event cannot void itself");
	ev = mk_void();
	set_str(&ev->void_->voided_event_id, "pos 1");
	expect(ev, "void.voided_event_id: not printable ASCII");
	/* A prefix of our own id is another event. */
	ev = mk_void();
	set_str(&ev->void_->voided_event_id, "void-");
	expect(ev, NULL);
}

static void
test_no_body(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	expect(new_event("empty-1"), "event: no body");
	/* A case without its member, as only a hand-built event can be. */
	ev = new_event("empty-2");
	ev->body_case = MSOSYNC__EVENT__BODY_LEAD;
	expect(ev, "event: no body");
}

static void
test_negative_money(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_sale();
	ev->sale->amount_cents = -1;
	expect(ev, "sale.amount_cents: must be ≥ 0");
	ev = mk_sale();
	ev->sale->discount_cents = -500;
	expect(ev, "sale.discount_cents: must be ≥ 0");
	ev = mk_sale();
	ev->sale->tax_cents = INT64_MIN;
	expect(ev, "sale.tax_cents: must be ≥ 0");
	ev = mk_payment();
	ev->payment->amount_cents = -48712;
	expect(ev, "payment.amount_cents: must be ≥ 0");
	ev = mk_purchase_order();
	ev->purchase_order->unit_price_cents = -1;
	expect(ev, "purchase_order.unit_price_cents: must be ≥ 0");
	ev = mk_vendor_contract();
	ev->vendor_contract->rebate_tiers[0]->min_spend_cents = -1;
	expect(ev, "vendor_contract.rebate_tiers[0].min_spend_cents: must be "
	    "≥ 0");
	ev = mk_vendor_contract();
	ev->vendor_contract->rebate_tiers[1]->min_spend_cents = -10000000;
	expect(ev, "vendor_contract.rebate_tiers[1].min_spend_cents: must be "
	    "≥ 0");
	ev = mk_vendor_contract();
	ev->vendor_contract->prices[0]->unit_price_cents = -58000;
	expect(ev, "vendor_contract.prices[0].unit_price_cents: must be ≥ 0");
	ev = mk_vendor_contract();
	ev->vendor_contract->min_annual_commit_cents = -1;
	expect(ev, "vendor_contract.min_annual_commit_cents: must be ≥ 0");
}

static void
test_agent_owned(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_sale();
	ev->site_id = 7;
	expect(ev, "site_id: set by the agent, not the client");
	ev = mk_sale();
	ev->seq = 1;
	expect(ev, "seq: set by the agent, not the client");
	ev = mk_sale();
	ev->recorded_at = NOW;
	expect(ev, "recorded_at: set by the agent, not the client");
	ev = mk_sale();
	ev->business_date = 20261121;
	expect(ev, "business_date: set by the agent, not the client");
	ev = mk_sale();
	set_str(&ev->sale->client_ref, "00112233445566778899aabbccddeeff");
	expect(ev, "sale.client_ref: set by the agent; send client_id");
	ev = mk_appointment();
	set_str(&ev->appointment->client_ref, "x");
	expect(ev, "appointment.client_ref: set by the agent; send client_id");
	/* schema_version is the client's to say. */
	ev = mk_sale();
	ev->schema_version = 1;
	expect(ev, NULL);
}

static void
test_event_id(void **state)
{
	Msosync__Event	*ev;
	char		 id[VALIDATE_EVENT_ID_MAX + 2];

	(void)state;
	ev = mk_sale();
	set_str(&ev->event_id, NULL);
	expect(ev, "event_id: missing");
	ev = mk_sale();
	free(ev->event_id);
	ev->event_id = NULL;
	expect(ev, "event_id: missing");

	memset(id, '~', VALIDATE_EVENT_ID_MAX);
	id[VALIDATE_EVENT_ID_MAX] = '\0';
	ev = mk_sale();
	set_str(&ev->event_id, id);
	expect(ev, NULL);
	id[VALIDATE_EVENT_ID_MAX] = '!';
	id[VALIDATE_EVENT_ID_MAX + 1] = '\0';
	ev = mk_sale();
	set_str(&ev->event_id, id);
	expect(ev, "event_id: longer than 64 bytes");

	ev = mk_sale();
	set_str(&ev->event_id, "pos 1");
	expect(ev, "event_id: not printable ASCII");
	ev = mk_sale();
	set_str(&ev->event_id, "pos-\x80");
	expect(ev, "event_id: not printable ASCII");
	ev = mk_sale();
	set_str(&ev->event_id, "pos-\x7f");
	expect(ev, "event_id: not printable ASCII");
	ev = mk_sale();
	set_str(&ev->event_id, "\tpos");
	expect(ev, "event_id: not printable ASCII");
	ev = mk_sale();
	set_str(&ev->event_id, "!");
	expect(ev, NULL);
}

static void
test_occurred_at(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_sale();
	ev->occurred_at = 0;
	expect(ev, "occurred_at: missing");
	ev = mk_sale();
	ev->occurred_at = MS_2000;
	expect(ev, NULL);
	ev = mk_sale();
	ev->occurred_at = MS_2000 - 1;
	expect(ev, "occurred_at: before 2000-01-01");
	ev = mk_sale();
	ev->occurred_at = -1;
	expect(ev, "occurred_at: before 2000-01-01");
	ev = mk_sale();
	ev->occurred_at = NOW + DAY_MS;
	expect(ev, NULL);
	ev = mk_sale();
	ev->occurred_at = NOW + DAY_MS + 1;
	expect(ev, "occurred_at: more than 24 hours ahead of the agent's "
	    "clock");
	ev = mk_sale();
	ev->occurred_at = INT64_MAX;
	expect(ev, "occurred_at: more than 24 hours ahead of the agent's "
	    "clock");
}

static void
test_dates(void **state)
{
	static const struct {
		uint32_t	d;
		int		ok;
	} cases[] = {
		{ 20260230, 0 }, { 20260229, 0 }, { 20240229, 1 },
		{ 20000229, 1 }, { 21000229, 0 }, { 20261301, 0 },
		{ 20260001, 0 }, { 20260100, 0 }, { 20260131, 1 },
		{ 20260431, 0 }, { 100000101, 0 }, { 99991231, 1 },
	};
	Msosync__Event	*ev;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ev = mk_training();
		ev->training->completed_on = cases[i].d;
		ev->training->expires_on = 99991231;
		expect(ev, cases[i].ok ? NULL :
		    "training.completed_on: not a real date (YYYYMMDD)");
	}
	ev = mk_license();
	ev->license->expires_on = 20260230;
	expect(ev, "license.expires_on: not a real date (YYYYMMDD)");
	ev = mk_vendor_contract();
	ev->vendor_contract->end_date = 20261232;
	expect(ev, "vendor_contract.end_date: not a real date (YYYYMMDD)");
}

static void
test_walk(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_sale();
	ev->sale->category = 12;
	expect(ev, "sale.category: unknown value 12");
	ev = mk_appointment();
	ev->appointment->category = -3;
	expect(ev, "appointment.category: unknown value -3");
	ev = mk_sale();
	set_str(&ev->sale->sku, "BOTOX\xff");
	expect(ev, "sale.sku: not valid UTF-8");
	ev = mk_sale();
	set_str(&ev->sale->sku, "\xc0\xaf");		/* overlong '/' */
	expect(ev, "sale.sku: not valid UTF-8");
	ev = mk_sale();
	set_str(&ev->sale->sku, "\xed\xa0\x80");	/* a surrogate */
	expect(ev, "sale.sku: not valid UTF-8");
	ev = mk_vendor_contract();
	set_str(&ev->vendor_contract->prices[0]->sku, "\xe2\x82");
	expect(ev, "vendor_contract.prices[0].sku: not valid UTF-8");
	ev = mk_lead();
	set_str(&ev->lead->campaign, "caf\xc3\xa9 \xf0\x9f\x92\x89");
	expect(ev, NULL);
}

/* Events that arrive as protobuf over ipc carry what JSON cannot. */
static void
test_unknown_fields(void **state)
{
	Msosync__Event	*ev;
	uint8_t		 buf[512], body[256];
	size_t		 n, bn;

	(void)state;
	/* The packed and unpacked form of a good event is still good. */
	ev = mk_sale();
	n = msosync__event__pack(ev, buf);
	free_ev(ev);
	ev = msosync__event__unpack(NULL, n, buf);
	assert_non_null(ev);
	assert_string_equal(ev->sale->client_id, "991");
	expect(ev, NULL);

	/* Envelope: field 99, varint 1. */
	ev = mk_sale();
	n = msosync__event__pack(ev, buf);
	free_ev(ev);
	n += varint_put(buf + n, (99 << 3) | 0);
	n += varint_put(buf + n, 1);
	ev = msosync__event__unpack(NULL, n, buf);
	assert_non_null(ev);
	expect(ev, "event: unknown field 99");

	/* Inside the sale: an envelope without body, then field 16 by hand. */
	ev = mk_sale();
	bn = msosync__sale__pack(ev->sale, body);
	bn += varint_put(body + bn, (42 << 3) | 2);
	bn += varint_put(body + bn, 3);
	memcpy(body + bn, "dob", 3);
	bn += 3;
	protobuf_c_message_free_unpacked(&ev->sale->base, NULL);
	ev->sale = NULL;
	ev->body_case = MSOSYNC__EVENT__BODY__NOT_SET;
	n = msosync__event__pack(ev, buf);
	free_ev(ev);
	n += varint_put(buf + n, (16 << 3) | 2);
	n += varint_put(buf + n, bn);
	memcpy(buf + n, body, bn);
	n += bn;
	ev = msosync__event__unpack(NULL, n, buf);
	assert_non_null(ev);
	assert_int_equal(ev->body_case, MSOSYNC__EVENT__BODY_SALE);
	expect(ev, "sale: unknown field 42");
}

static void
test_err_buffer(void **state)
{
	Msosync__Event	*ev;
	char		 err[8];

	(void)state;
	ev = mk_sale();
	ev->sale->amount_cents = -1;
	assert_int_equal(validate_event(ev, NOW, NULL, 0), MSOSYNC_EINVAL);
	memset(err, 'x', sizeof(err));
	assert_int_equal(validate_event(ev, NOW, err, sizeof(err)),
	    MSOSYNC_EINVAL);
	assert_string_equal(err, "sale.am");
	free_ev(ev);
}

/*
 * DESIGN §9's words byte for byte: "≥" is U+2265 in UTF-8 (e2 89 a5), and
 * a buffer that cuts the message inside it drops the partial sequence, so
 * what goes into the JSON stays valid UTF-8.
 */
static void
test_bound_text(void **state)
{
	static const char	want[] =
	    "sale.amount_cents: must be \xe2\x89\xa5 0";
	Msosync__Event		*ev;
	char			 err[VALIDATE_ERR_MAX];
	size_t			 pre = strlen("sale.amount_cents: must be ");

	(void)state;
	ev = mk_sale();
	ev->sale->amount_cents = -45000;
	assert_int_equal(validate_event(ev, NOW, err, sizeof(err)),
	    MSOSYNC_EINVAL);
	assert_string_equal(err, want);
	assert_int_equal(strlen(err), pre + 3 + 2);
	assert_null(strstr(err, ">="));
	/* room for none, one or two of its three bytes: none of them */
	for (size_t room = pre + 1; room <= pre + 3; room++) {
		memset(err, 'x', sizeof(err));
		assert_int_equal(validate_event(ev, NOW, err, room),
		    MSOSYNC_EINVAL);
		assert_int_equal(strlen(err), pre);
		assert_memory_equal(err, want, pre);
	}
	/* room for all three: kept */
	memset(err, 'x', sizeof(err));
	assert_int_equal(validate_event(ev, NOW, err, pre + 4),
	    MSOSYNC_EINVAL);
	assert_int_equal(strlen(err), pre + 3);
	assert_memory_equal(err, want, pre + 3);
	free_ev(ev);
}

static const uint8_t	pepper_a[32] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};

static void
test_stamp_envelope(void **state)
{
	Msosync__Event	*ev;

	(void)state;
	ev = mk_lead();
	validate_stamp(ev, 42, NOW, pepper_a, NULL);
	assert_int_equal(ev->site_id, 42);
	assert_int_equal(ev->recorded_at, NOW);
	assert_int_equal(ev->schema_version, 1);
	assert_int_equal(ev->seq, 0);
	assert_int_equal(ev->business_date,
	    validate_business_date(ev->occurred_at));
	free_ev(ev);

	ev = mk_lead();
	ev->schema_version = 3;
	validate_stamp(ev, 1, NOW + 5, pepper_a, NULL);
	assert_int_equal(ev->schema_version, 3);
	assert_int_equal(ev->recorded_at, NOW + 5);
	free_ev(ev);
}

static void
set_tz(const char *tz)
{
	if (tz != NULL)
		assert_int_equal(setenv("TZ", tz, 1), 0);
	else
		assert_int_equal(unsetenv("TZ"), 0);
	tzset();
}

static void
test_business_date(void **state)
{
	const char	*old = getenv("TZ");
	char		*saved = old ? xstrdup(old) : NULL;
	Msosync__Event	*ev;

	(void)state;
	set_tz("America/Chicago");
	assert_int_equal(validate_business_date(LATE_NIGHT), 20261120);
	/* 2026-11-21T06:00:00Z is midnight in Chicago (CST, UTC-6). */
	assert_int_equal(validate_business_date(1795240800000LL), 20261121);
	assert_int_equal(validate_business_date(1795240800000LL - 1),
	    20261120);
	ev = mk_sale();
	ev->occurred_at = LATE_NIGHT;
	validate_stamp(ev, 1, NOW, pepper_a, NULL);
	assert_int_equal(ev->business_date, 20261120);
	free_ev(ev);

	set_tz("UTC");
	assert_int_equal(validate_business_date(LATE_NIGHT), 20261121);
	assert_int_equal(validate_business_date(MS_2000), 20000101);
	assert_int_equal(validate_business_date(MS_2000 - 1), 19991231);
	ev = mk_sale();
	ev->occurred_at = LATE_NIGHT;
	validate_stamp(ev, 1, NOW, pepper_a, NULL);
	assert_int_equal(ev->business_date, 20261121);
	free_ev(ev);

	set_tz(saved);
	free(saved);
}

/* The expected client_ref, computed apart from the code under test. */
static void
ref_of(const char *client_id, const uint8_t pepper[32], char hex[33])
{
	static const char	digits[] = "0123456789abcdef";
	crypto_generichash_state st;
	unsigned char		h[16];

	assert_int_equal(crypto_generichash_init(&st, pepper, 32, sizeof(h)),
	    0);
	assert_int_equal(crypto_generichash_update(&st,
	    (const unsigned char *)client_id, strlen(client_id)), 0);
	assert_int_equal(crypto_generichash_final(&st, h, sizeof(h)), 0);
	for (size_t i = 0; i < sizeof(h); i++) {
		hex[2 * i] = digits[h[i] >> 4];
		hex[2 * i + 1] = digits[h[i] & 15];
	}
	hex[32] = '\0';
}

static void
test_client_ref(void **state)
{
	uint8_t		 pepper_b[32];
	char		 want[33], ref_a[33];
	Msosync__Event	*ev, *back;
	uint8_t		 buf[512];
	size_t		 n;

	(void)state;
	assert_true(sodium_init() >= 0);
	ref_of("991", pepper_a, want);

	ev = mk_sale();
	assert_int_equal(validate_event(ev, NOW, NULL, 0), 0);
	validate_stamp(ev, 9, NOW, pepper_a, NULL);
	assert_int_equal(strlen(ev->sale->client_ref), 32);
	assert_int_equal(strspn(ev->sale->client_ref, "0123456789abcdef"), 32);
	assert_string_equal(ev->sale->client_ref, want);
	assert_ptr_equal(ev->sale->client_id, protobuf_c_empty_string);
	memcpy(ref_a, ev->sale->client_ref, sizeof(ref_a));

	/* What is journaled is the hash alone. */
	n = msosync__event__pack(ev, buf);
	assert_null(memmem(buf, n, "991", 3));
	back = msosync__event__unpack(NULL, n, buf);
	assert_non_null(back);
	assert_string_equal(back->sale->client_ref, want);
	assert_string_equal(back->sale->client_id, "");
	free_ev(back);
	free_ev(ev);

	/* The same client at an appointment is the same client_ref. */
	ev = mk_appointment();
	validate_stamp(ev, 9, NOW, pepper_a, NULL);
	assert_string_equal(ev->appointment->client_ref, want);
	assert_ptr_equal(ev->appointment->client_id, protobuf_c_empty_string);
	free_ev(ev);

	/* Another site's pepper makes another client_ref. */
	memcpy(pepper_b, pepper_a, sizeof(pepper_b));
	pepper_b[31] ^= 1;
	ev = mk_sale();
	validate_stamp(ev, 9, NOW, pepper_b, NULL);
	ref_of("991", pepper_b, want);
	assert_string_equal(ev->sale->client_ref, want);
	assert_string_not_equal(ev->sale->client_ref, ref_a);
	free_ev(ev);

	/* Another client under the same pepper. */
	ev = mk_sale();
	set_str(&ev->sale->client_id, "992");
	validate_stamp(ev, 9, NOW, pepper_a, NULL);
	assert_string_not_equal(ev->sale->client_ref, ref_a);
	free_ev(ev);

	/* No client_id: no client_ref, and an explicit "" is cleared too. */
	ev = mk_sale();
	free(ev->sale->client_id);
	ev->sale->client_id = xstrdup("");
	validate_stamp(ev, 9, NOW, pepper_a, NULL);
	assert_string_equal(ev->sale->client_ref, "");
	assert_ptr_equal(ev->sale->client_id, protobuf_c_empty_string);
	free_ev(ev);
}

static void
stamp_round(void)
{
	Msosync__Event	*ev;

	ev = mk_sale();
	validate_stamp(ev, 1, NOW, pepper_a, NULL);
	free_ev(ev);
	ev = mk_appointment();
	validate_stamp(ev, 1, NOW, pepper_a, NULL);
	free_ev(ev);
	ev = mk_vendor_contract();
	validate_stamp(ev, 1, NOW, pepper_a, NULL);
	free_ev(ev);
}

/*
 * Stamp and free many heap-built events: the heap in use must not grow.
 * glibc counts chunks parked in its per-thread cache as in use, so the
 * bound is "less than a byte a round", where a leaked client_id or
 * client_ref would cost at least 4 x 32 bytes a round.
 */
static void
test_stamp_no_leak(void **state)
{
	enum { ROUNDS = 2000 };
	struct mallinfo2	before, after;
	long long		grown;

	(void)state;
	for (int i = 0; i < 100; i++)	/* warm up libsodium, libc, caches */
		stamp_round();
	before = mallinfo2();
	for (int i = 0; i < ROUNDS; i++)
		stamp_round();
	after = mallinfo2();
	grown = (long long)after.uordblks - (long long)before.uordblks;
	assert_in_range(grown < 0 ? -grown : grown, 0, ROUNDS - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_bodies),
		cmocka_unit_test(test_optional_absent),
		cmocka_unit_test(test_required_sale),
		cmocka_unit_test(test_required_payment),
		cmocka_unit_test(test_required_refund),
		cmocka_unit_test(test_required_expense),
		cmocka_unit_test(test_required_purchase_order),
		cmocka_unit_test(test_required_inventory_usage),
		cmocka_unit_test(test_required_vendor_contract),
		cmocka_unit_test(test_required_lead),
		cmocka_unit_test(test_required_appointment),
		cmocka_unit_test(test_required_staff_shift),
		cmocka_unit_test(test_required_training),
		cmocka_unit_test(test_required_license),
		cmocka_unit_test(test_required_compliance_check),
		cmocka_unit_test(test_void),
		cmocka_unit_test(test_no_body),
		cmocka_unit_test(test_negative_money),
		cmocka_unit_test(test_agent_owned),
		cmocka_unit_test(test_event_id),
		cmocka_unit_test(test_occurred_at),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_bound_text),
		cmocka_unit_test(test_stamp_envelope),
		cmocka_unit_test(test_business_date),
		cmocka_unit_test(test_client_ref),
		cmocka_unit_test(test_stamp_no_leak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
