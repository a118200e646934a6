/*
 * Unit tests for the JSON <-> protobuf mapper (proto/pbjson.c): canonical
 * round trips of every event body and of a wire frame, the strict-mode
 * error catalogue with exact messages and paths, the JSON grammar's edges
 * with exact reasons and positions (numbers, literals, escapes,
 * surrogates, UTF-8, blanks, nesting), integer limits, pbjson_scan and
 * pbjson_peek_string, the time and date forms, a pack-identical round
 * trip of simulated and random events, and encode and decode throughput
 * figures (printed, never asserted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "events.pb-c.h"
#include "ingest.pb-c.h"
#include "msosync/error.h"
#include "pbjson.h"
#include "simulate.h"
#include "wire.pb-c.h"
#include "testutil.h"

/* Canonical events: one per body, many fields set, envelope varied. */
static const char *const bodies[] = {
	"{\"schema_version\":1,\"event_id\":\"pos-8842-1\",\"site_id\":7,"
	"\"seq\":123,\"occurred_at\":\"2026-11-20T15:04:05Z\","
	"\"recorded_at\":\"2026-11-20T15:04:06.250Z\","
	"\"business_date\":\"2026-11-20\",\"sale\":{\"ticket_id\":\"T-8842\","
	"\"category\":\"injectables\",\"amount_cents\":45000,"
	"\"discount_cents\":5000,\"tax_cents\":3600,\"units\":20,"
	"\"sku\":\"BTX-100\",\"provider_ref\":\"np-3\","
	"\"client_ref\":\"9f86d081884c7d659a2feaa0c55ad015\","
	"\"client_id\":\"991\"}}",

	"{\"event_id\":\"pay-1\",\"occurred_at\":\"2026-11-20T15:10:00Z\","
	"\"payment\":{\"ticket_id\":\"T-8842\",\"amount_cents\":48600,"
	"\"method\":\"membership_credit\"}}",

	"{\"event_id\":\"ref-1\",\"occurred_at\":\"2026-11-21T09:00:00.001Z\","
	"\"refund\":{\"ticket_id\":\"T-8842\",\"amount_cents\":1000,"
	"\"reason\":\"said \\\"no\\\" \\\\ caf\xc3\xa9 \xe2\x82\xac\\nend\"}}",

	"{\"event_id\":\"exp-1\",\"occurred_at\":\"1999-12-31T23:59:59.999Z\","
	"\"expense\":{\"category\":\"rent\",\"amount_cents\":850000,"
	"\"vendor_id\":\"landlord-1\"}}",

	"{\"event_id\":\"po-1\",\"occurred_at\":\"2026-02-28T08:00:00Z\","
	"\"purchase_order\":{\"po_id\":\"PO-77\",\"vendor_id\":\"allergan\","
	"\"contract_id\":\"C-1\",\"sku\":\"BTX-100\",\"quantity\":10,"
	"\"unit_price_cents\":42000}}",

	"{\"event_id\":\"use-1\",\"occurred_at\":\"2026-11-20T15:30:00Z\","
	"\"inventory_usage\":{\"sku\":\"BTX-100\",\"quantity\":20,"
	"\"ticket_id\":\"T-8842\"}}",

	"{\"event_id\":\"vc-1\",\"occurred_at\":\"2026-01-02T10:00:00Z\","
	"\"vendor_contract\":{\"contract_id\":\"C-1\",\"vendor_id\":\"allergan\","
	"\"vendor_name\":\"Allergan Aesthetics\",\"status\":\"amended\","
	"\"start_date\":\"2026-01-01\",\"end_date\":\"2027-12-31\","
	"\"notice_days\":90,\"auto_renew\":true,\"rebate_bp\":250,"
	"\"rebate_tiers\":[{\"rebate_bp\":100},"
	"{\"min_spend_cents\":1000000,\"rebate_bp\":300},"
	"{\"min_spend_cents\":5000000,\"rebate_bp\":500}],"
	"\"prices\":[{\"sku\":\"BTX-100\",\"unit_price_cents\":42000},"
	"{\"sku\":\"JUV-1\",\"unit_price_cents\":31000}],"
	"\"min_annual_commit_cents\":12000000}}",

	"{\"event_id\":\"lead-1\",\"occurred_at\":\"2026-11-20T15:04:05Z\","
	"\"lead\":{\"lead_id\":\"L-1\",\"source\":\"paid_search\","
	"\"campaign\":\"spring-2026\",\"status\":\"converted\"}}",

	"{\"event_id\":\"appt-1\",\"occurred_at\":\"2026-11-20T15:04:05Z\","
	"\"appointment\":{\"appointment_id\":\"A-1\",\"status\":\"no_show\","
	"\"category\":\"dermal_fillers\",\"duration_min\":45,"
	"\"provider_ref\":\"np-3\",\"client_ref\":\"c0ffee\",\"rebooked\":true,"
	"\"consent_documented\":true,\"client_id\":\"991\"}}",

	"{\"event_id\":\"shift-1\",\"occurred_at\":\"2026-11-20T07:00:00Z\","
	"\"staff_shift\":{\"staff_ref\":\"s-1\",\"role\":\"front_desk\","
	"\"minutes\":480}}",

	"{\"event_id\":\"tr-1\",\"occurred_at\":\"2026-03-15T12:00:00Z\","
	"\"training\":{\"staff_ref\":\"s-1\",\"course\":\"osha_bloodborne\","
	"\"completed_on\":\"2026-03-15\",\"expires_on\":\"2027-03-15\"}}",

	"{\"event_id\":\"lic-1\",\"occurred_at\":\"2026-11-20T15:04:05Z\","
	"\"license\":{\"staff_ref\":\"s-2\",\"license_type\":\"RN\","
	"\"expires_on\":\"2028-02-29\"}}",

	"{\"event_id\":\"cc-1\",\"occurred_at\":\"2026-11-20T15:04:05Z\","
	"\"compliance_check\":{\"area\":\"hipaa_risk_assessment\","
	"\"result\":\"findings\",\"findings\":3}}",

	"{\"event_id\":\"void-1\",\"occurred_at\":\"2026-11-20T15:05:00Z\","
	"\"void\":{\"voided_event_id\":\"pos-8842-1\",\"reason\":\"wrong ticket\"}}",
};

static ProtobufCMessage *
decode_ok(const ProtobufCMessageDescriptor *desc, const char *text)
{
	ProtobufCMessage	*m = NULL;
	char			 err[PBJSON_ERR_MAX] = "";
	int			 rc;

	rc = pbjson_decode_text(desc, text, strlen(text),
	    NULL, &m, err, sizeof(err));
	if (rc != 0)
		print_error("decode failed: %s\n  input: %s\n", err, text);
	assert_int_equal(rc, 0);
	assert_non_null(m);
	assert_string_equal(err, "");
	return m;
}

static void
assert_encodes_to(const ProtobufCMessage *m, const char *want)
{
	struct buf	 b = { 0 };
	json_t		*j;
	char		*dump;

	pbjson_encode(m, &b);
	assert_string_equal(b.data, want);
	assert_int_equal(b.len, strlen(want));
	buf_free(&b);

	j = pbjson_to_json(m);
	assert_non_null(j);
	dump = json_dumps(j, JSON_COMPACT);
	assert_string_equal(dump, want);
	free(dump);
	json_decref(j);
}

/* JSON -> proto -> JSON, and proto -> wire -> proto -> JSON as well. */
static void
roundtrip(const ProtobufCMessageDescriptor *desc, const char *text)
{
	ProtobufCMessage	*m, *back;
	uint8_t			*packed;
	size_t			 n;

	m = decode_ok(desc, text);
	assert_ptr_equal(m->descriptor, desc);
	assert_encodes_to(m, text);

	n = protobuf_c_message_get_packed_size(m);
	packed = malloc(n ? n : 1);
	assert_int_equal(protobuf_c_message_pack(m, packed), n);
	back = protobuf_c_message_unpack(desc, NULL, n, packed);
	assert_non_null(back);
	assert_encodes_to(back, text);
	protobuf_c_message_free_unpacked(back, NULL);
	free(packed);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void
test_roundtrip_bodies(void **state)
{
	Msosync__Event	*ev;
	size_t		 nbodies = sizeof(bodies) / sizeof(bodies[0]);
	unsigned	 seen[64] = { 0 };

	(void)state;
	assert_int_equal(nbodies, 14);
	for (size_t i = 0; i < nbodies; i++) {
		roundtrip(&msosync__event__descriptor, bodies[i]);
		ev = (Msosync__Event *)decode_ok(&msosync__event__descriptor,
		    bodies[i]);
		assert_true(ev->body_case >= 16 && ev->body_case <= 29);
		seen[ev->body_case]++;
		msosync__event__free_unpacked(ev, NULL);
	}
	/* Every body exactly once. */
	for (unsigned id = 16; id <= 29; id++)
		assert_int_equal(seen[id], 1);
}

static void
test_decoded_values(void **state)
{
	Msosync__Event		*ev;
	Msosync__VendorContract	*vc;

	(void)state;
	ev = (Msosync__Event *)decode_ok(&msosync__event__descriptor,
	    bodies[0]);
	assert_int_equal(ev->schema_version, 1);
	assert_string_equal(ev->event_id, "pos-8842-1");
	assert_int_equal(ev->site_id, 7);
	assert_int_equal(ev->seq, 123);
	assert_int_equal(ev->occurred_at, 1795187045000LL);
	assert_int_equal(ev->recorded_at, 1795187046250LL);
	assert_int_equal(ev->business_date, 20261120);
	assert_int_equal(ev->body_case, MSOSYNC__EVENT__BODY_SALE);
	assert_int_equal(ev->sale->category, MSOSYNC__SALE__CATEGORY__INJECTABLES);
	assert_int_equal(ev->sale->amount_cents, 45000);
	assert_int_equal(ev->sale->units, 20);
	assert_string_equal(ev->sale->client_id, "991");
	msosync__event__free_unpacked(ev, NULL);

	ev = (Msosync__Event *)decode_ok(&msosync__event__descriptor,
	    bodies[6]);
	vc = ev->vendor_contract;
	assert_int_equal(vc->status, MSOSYNC__VENDOR_CONTRACT__STATUS__AMENDED);
	assert_int_equal(vc->start_date, 20260101);
	assert_int_equal(vc->end_date, 20271231);
	assert_true(vc->auto_renew);
	assert_int_equal(vc->n_rebate_tiers, 3);
	assert_int_equal(vc->rebate_tiers[0]->min_spend_cents, 0);
	assert_int_equal(vc->rebate_tiers[0]->rebate_bp, 100);
	assert_int_equal(vc->rebate_tiers[2]->min_spend_cents, 5000000);
	assert_int_equal(vc->n_prices, 2);
	assert_string_equal(vc->prices[1]->sku, "JUV-1");
	assert_int_equal(vc->prices[1]->unit_price_cents, 31000);
	msosync__event__free_unpacked(ev, NULL);

	/* Unset strings stay the shared empty default. */
	ev = (Msosync__Event *)decode_ok(&msosync__event__descriptor,
	    "{\"void\":{\"reason\":\"r\"}}");
	assert_ptr_equal(ev->event_id, protobuf_c_empty_string);
	assert_ptr_equal(ev->void_->voided_event_id, protobuf_c_empty_string);
	assert_string_equal(ev->void_->reason, "r");
	assert_int_equal(ev->occurred_at, 0);
	msosync__event__free_unpacked(ev, NULL);

	ev = (Msosync__Event *)decode_ok(&msosync__event__descriptor,
	    bodies[2]);
	assert_string_equal(ev->refund->reason,
	    "said \"no\" \\ caf\xc3\xa9 \xe2\x82\xac\nend");
	msosync__event__free_unpacked(ev, NULL);
}

static char *
hex(const uint8_t *p, size_t n)
{
	static const char	 digits[] = "0123456789abcdef";
	char			*s = malloc(2 * n + 1);

	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

static void
test_roundtrip_frame(void **state)
{
	ProtobufCMessage	*ev;
	Msosync__Frame		*fr;
	Msosync__Event		*inner;
	struct buf		 b = { 0 };
	uint8_t			 packed[2][512], hash[32];
	size_t			 n[2];
	char			*hx[2], *hh, text[4096];

	(void)state;
	for (int i = 0; i < 2; i++) {
		ev = decode_ok(&msosync__event__descriptor, bodies[i * 6]);
		n[i] = protobuf_c_message_pack(ev, packed[i]);
		hx[i] = hex(packed[i], n[i]);
		protobuf_c_message_free_unpacked(ev, NULL);
	}
	for (int i = 0; i < 32; i++)
		hash[i] = (uint8_t)(i * 37 + 1);
	hh = hex(hash, sizeof(hash));
	snprintf(text, sizeof(text), "{\"batch\":{\"first_seq\":41,"
	    "\"records\":[{\"seq\":41,\"hash\":\"%s\",\"event\":\"%s\"},"
	    "{\"seq\":42,\"hash\":\"%s\",\"event\":\"%s\"}]}}",
	    hh, hx[0], hh, hx[1]);
	roundtrip(&msosync__frame__descriptor, text);

	fr = (Msosync__Frame *)decode_ok(&msosync__frame__descriptor, text);
	assert_int_equal(fr->kind_case, MSOSYNC__FRAME__KIND_BATCH);
	assert_int_equal(fr->batch->first_seq, 41);
	assert_int_equal(fr->batch->n_records, 2);
	assert_int_equal(fr->batch->records[1]->seq, 42);
	assert_int_equal(fr->batch->records[0]->hash.len, 32);
	assert_memory_equal(fr->batch->records[0]->hash.data, hash, 32);
	assert_int_equal(fr->batch->records[1]->event.len, n[1]);
	assert_memory_equal(fr->batch->records[1]->event.data, packed[1], n[1]);
	/* The carried bytes are the event itself. */
	inner = msosync__event__unpack(NULL, fr->batch->records[1]->event.len,
	    fr->batch->records[1]->event.data);
	assert_non_null(inner);
	pbjson_encode(&inner->base, &b);
	assert_string_equal(b.data, bodies[6]);
	buf_free(&b);
	msosync__event__free_unpacked(inner, NULL);
	msosync__frame__free_unpacked(fr, NULL);

	/* Other frames: bytes, enums, a time in a wire message. */
	roundtrip(&msosync__frame__descriptor,
	    "{\"hello\":{\"site_id\":3,"
	    "\"epoch\":\"00112233445566778899aabbccddeeff\",\"head_seq\":99,"
	    "\"head_hash\":\"ff00\",\"protocol_version\":1,"
	    "\"agent_version\":\"0.1.0\"}}");
	roundtrip(&msosync__frame__descriptor,
	    "{\"heartbeat\":{\"head_seq\":7,"
	    "\"oldest_unacked_at\":\"2026-11-20T15:04:05.500Z\"}}");
	roundtrip(&msosync__frame__descriptor,
	    "{\"reject\":{\"code\":\"chain_mismatch\",\"message\":\"bad hash\","
	    "\"acked_seq\":40}}");
	/* A frame with no member set is allowed: only a body is required. */
	roundtrip(&msosync__frame__descriptor, "{}");
	roundtrip(&msosync__frame__descriptor, "{\"ack\":{}}");
	free(hx[0]);
	free(hx[1]);
	free(hh);
}

struct bad_case {
	const ProtobufCMessageDescriptor	*desc;
	const char				*text;
	const char				*want;
};

#define EV	(&msosync__event__descriptor)
#define FR	(&msosync__frame__descriptor)
#define SR	(&msosync__submit_request__descriptor)
#define A39	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEAD	"{\"event_id\":\"e-1\",\"occurred_at\":\"2026-11-20T15:04:05Z\","

static const struct bad_case bad_cases[] = {
	/* unknown fields */
	{ EV, HEAD "\"patient_name\":\"Jane\",\"void\":{\"voided_event_id\":\"x\"}}",
	    "patient_name: unknown field" },
	{ EV, HEAD "\"sale\":{\"ticket_id\":\"T\",\"diagnosis\":\"x\"}}",
	    "sale.diagnosis: unknown field" },
	{ EV, HEAD "\"vendor_contract\":{\"prices\":[{\"sku\":\"a\",\"n\":1}]}}",
	    "vendor_contract.prices[0].n: unknown field" },
	/* wrong types */
	{ EV, "{\"event_id\":42,\"void\":{}}", "event_id: expected a string" },
	{ EV, "{\"event_id\":null,\"void\":{}}", "event_id: expected a string" },
	{ EV, HEAD "\"sale\":5}", "sale: expected an object" },
	{ EV, HEAD "\"sale\":[]}", "sale: expected an object" },
	{ EV, HEAD "\"vendor_contract\":{\"auto_renew\":\"yes\"}}",
	    "vendor_contract.auto_renew: expected true or false" },
	{ EV, HEAD "\"vendor_contract\":{\"auto_renew\":1}}",
	    "vendor_contract.auto_renew: expected true or false" },
	{ EV, HEAD "\"vendor_contract\":{\"rebate_tiers\":{}}}",
	    "vendor_contract.rebate_tiers: expected an array" },
	{ EV, HEAD "\"vendor_contract\":{\"rebate_tiers\":[{},7]}}",
	    "vendor_contract.rebate_tiers[1]: expected an object" },
	{ EV, HEAD "\"sale\":{\"category\":3}}",
	    "sale.category: expected a string" },
	/* enums */
	{ EV, HEAD "\"appointment\":{\"status\":\"maybe\"}}",
	    "appointment.status: unknown value 'maybe'" },
	{ EV, HEAD "\"appointment\":{\"status\":\"NO_SHOW\"}}",
	    "appointment.status: unknown value 'NO_SHOW'" },
	{ EV, HEAD "\"appointment\":{\"status\":\"status_unspecified\"}}",
	    "appointment.status: unknown value 'status_unspecified'" },
	{ EV, HEAD "\"sale\":{\"category\":\"category_unspecified\"}}",
	    "sale.category: unknown value 'category_unspecified'" },
	/* Quoted values are cut at 40 bytes, never inside a character. */
	{ EV, HEAD "\"sale\":{\"category\":\"" A39 "\xc3\xa9zzz\"}}",
	    "sale.category: unknown value '" A39 "...'" },
	{ EV, HEAD "\"sale\":{\"category\":\"it's\\n\"}}",
	    "sale.category: unknown value 'it?s?'" },
	/* integers */
	{ EV, HEAD "\"sale\":{\"amount_cents\":45000.0}}",
	    "sale.amount_cents: expected an integer" },
	{ EV, HEAD "\"sale\":{\"amount_cents\":1.5}}",
	    "sale.amount_cents: expected an integer" },
	{ EV, HEAD "\"sale\":{\"amount_cents\":\"45000\"}}",
	    "sale.amount_cents: expected an integer" },
	{ EV, HEAD "\"sale\":{\"amount_cents\":4.5e4}}",
	    "sale.amount_cents: expected an integer" },
	{ EV, HEAD "\"sale\":{\"units\":4294967296}}",
	    "sale.units: out of range" },
	{ EV, HEAD "\"sale\":{\"units\":-1}}", "sale.units: out of range" },
	{ EV, "{\"seq\":-1,\"void\":{}}", "seq: out of range" },
	{ EV, HEAD "\"vendor_contract\":{\"prices\":[{\"sku\":\"a\","
	    "\"unit_price_cents\":1},{\"sku\":\"b\",\"unit_price_cents\":\"x\"}]}}",
	    "vendor_contract.prices[1].unit_price_cents: expected an integer" },
	/* bodies */
	{ EV, HEAD "\"sale\":{\"ticket_id\":\"T\"},\"payment\":{\"ticket_id\":\"T\"}}",
	    "two bodies: sale and payment" },
	{ EV, HEAD "\"void\":{},\"sale\":{}}", "two bodies: void and sale" },
	{ EV, HEAD "\"schema_version\":1}", "no body" },
	{ EV, "{}", "no body" },
	{ SR, "{\"events\":[" HEAD "\"void\":{}},{\"event_id\":\"e-2\"}]}",
	    "events[1]: no body" },
	{ FR, "{\"hello\":{},\"ack\":{}}",
	    "two members of one oneof: hello and ack" },
	/* dates and times */
	{ EV, HEAD "\"training\":{\"completed_on\":\"2026-02-30\"}}",
	    "training.completed_on: invalid date '2026-02-30'" },
	{ EV, HEAD "\"license\":{\"expires_on\":\"2027-02-29\"}}",
	    "license.expires_on: invalid date '2027-02-29'" },
	{ EV, HEAD "\"license\":{\"expires_on\":\"2026-1-5\"}}",
	    "license.expires_on: invalid date '2026-1-5'" },
	{ EV, HEAD "\"license\":{\"expires_on\":\"1899-12-31\"}}",
	    "license.expires_on: invalid date '1899-12-31'" },
	{ EV, HEAD "\"license\":{\"expires_on\":20260101}}",
	    "license.expires_on: expected a date \"YYYY-MM-DD\"" },
	{ EV, "{\"occurred_at\":\"2026-11-20 15:04\",\"void\":{}}",
	    "occurred_at: invalid time '2026-11-20 15:04'" },
	{ EV, "{\"occurred_at\":\"2026-11-20T15:04:05\",\"void\":{}}",
	    "occurred_at: invalid time '2026-11-20T15:04:05'" },
	{ EV, "{\"occurred_at\":\"2026-11-20T24:00:00Z\",\"void\":{}}",
	    "occurred_at: invalid time '2026-11-20T24:00:00Z'" },
	{ EV, "{\"occurred_at\":\"2026-11-20T15:04:05.Z\",\"void\":{}}",
	    "occurred_at: invalid time '2026-11-20T15:04:05.Z'" },
	{ EV, "{\"occurred_at\":\"2026-11-20T15:04:05+0200\",\"void\":{}}",
	    "occurred_at: invalid time '2026-11-20T15:04:05+0200'" },
	{ EV, "{\"occurred_at\":1.5e12,\"void\":{}}",
	    "occurred_at: expected an RFC 3339 time or integer milliseconds" },
	{ EV, "{\"occurred_at\":253402300800000,\"void\":{}}",
	    "occurred_at: out of range" },
	/* bytes */
	{ FR, "{\"batch\":{\"records\":[{\"hash\":\"abc\"}]}}",
	    "batch.records[0].hash: expected a hex string" },
	{ FR, "{\"batch\":{\"records\":[{\"hash\":\"zz\"}]}}",
	    "batch.records[0].hash: expected a hex string" },
	/* text level */
	{ EV, "[1]", "expected an object" },
	{ EV, "\"sale\"", "expected an object" },
	{ EV, "42", "expected an object" },
	{ EV, "null", "expected an object" },
	{ EV, "{\"event_id\":\"caf\xff\",\"void\":{}}",
	    "invalid JSON: invalid UTF-8 byte 0xff at line 1 column 17" },
	{ EV, "{\"event_id\":\"a\",\"event_id\":\"b\",\"void\":{}}",
	    "event_id: duplicate key" },
	{ EV, "{\"event_id\":\"a\"", "invalid JSON: expected ',' or '}', "
	    "found the end of the text at line 1 column 16" },
	{ EV, "{\"event_id\":\"a\"} {}", "invalid JSON: expected the end of "
	    "the text, found '{' at line 1 column 18" },
	{ EV, "{\"event_id\":\"\\u0000\",\"void\":{}}",
	    "invalid JSON: \\u0000 in a string at line 1 column 14" },
	/* a fault of the text outranks an earlier one of a field */
	{ EV, "{\"patient_name\":1,\"void\":{}", "invalid JSON: expected "
	    "',' or '}', found the end of the text at line 1 column 28" },
	{ EV, "[1", "invalid JSON: expected ',' or ']', found the end of the "
	    "text at line 1 column 3" },
	/* null is no value of any field */
	{ EV, HEAD "\"sale\":null}", "sale: expected an object" },
	{ EV, HEAD "\"sale\":{\"amount_cents\":null}}",
	    "sale.amount_cents: expected an integer" },
	{ EV, HEAD "\"vendor_contract\":{\"auto_renew\":null}}",
	    "vendor_contract.auto_renew: expected true or false" },
	{ EV, HEAD "\"vendor_contract\":{\"rebate_tiers\":null}}",
	    "vendor_contract.rebate_tiers: expected an array" },
	{ EV, HEAD "\"training\":{\"completed_on\":null}}",
	    "training.completed_on: expected a date \"YYYY-MM-DD\"" },
	{ EV, "{\"occurred_at\":null,\"void\":{}}",
	    "occurred_at: expected an RFC 3339 time or integer milliseconds" },
	{ EV, HEAD "\"sale\":{\"category\":null}}",
	    "sale.category: expected a string" },
	{ FR, "{\"batch\":{\"records\":[{\"hash\":null}]}}",
	    "batch.records[0].hash: expected a hex string" },
	/* duplicates, however the key is spelt */
	{ EV, HEAD "\"sale\":{\"units\":1,\"units\":2}}",
	    "sale.units: duplicate key" },
	{ EV, HEAD "\"void\":{},\"void\":{}}", "void: duplicate key" },
	{ EV, "{\"event_id\":\"a\",\"event\\u005fid\":\"a\",\"void\":{}}",
	    "event_id: duplicate key" },
	{ EV, HEAD "\"vendor_contract\":{\"prices\":[{\"sku\":\"a\","
	    "\"sku\":\"b\"}]}}", "vendor_contract.prices[0].sku: duplicate key" },
	/* an escaped key is the key it spells */
	{ EV, "{\"\\u0070atient\":1,\"void\":{}}", "patient: unknown field" },
	{ EV, "{\"\":1,\"void\":{}}", "unknown field" },
};

/* Text that is not JSON: the reason and where, exactly. */
static const struct bad_case grammar_cases[] = {
	/* numbers */
	{ EV, "{\"seq\":01,\"void\":{}}",
	    "invalid JSON: leading zero in a number at line 1 column 8" },
	{ EV, "{\"seq\":-01,\"void\":{}}",
	    "invalid JSON: leading zero in a number at line 1 column 9" },
	{ EV, "{\"seq\":-,\"void\":{}}",
	    "invalid JSON: expected a digit, found ',' at line 1 column 9" },
	{ EV, "{\"seq\":-", "invalid JSON: expected a digit, found the end "
	    "of the text at line 1 column 9" },
	{ EV, "{\"seq\":1.,\"void\":{}}", "invalid JSON: expected a digit "
	    "after '.', found ',' at line 1 column 10" },
	{ EV, "{\"seq\":.5,\"void\":{}}",
	    "invalid JSON: expected a value, found '.' at line 1 column 8" },
	{ EV, "{\"seq\":1e,\"void\":{}}", "invalid JSON: expected a digit in "
	    "the exponent, found ',' at line 1 column 10" },
	{ EV, "{\"seq\":1E+,\"void\":{}}", "invalid JSON: expected a digit in "
	    "the exponent, found ',' at line 1 column 11" },
	{ EV, "{\"seq\":+1,\"void\":{}}",
	    "invalid JSON: expected a value, found '+' at line 1 column 8" },
	{ EV, "{\"seq\":1x,\"void\":{}}", "invalid JSON: expected ',' or '}', "
	    "found 'x' at line 1 column 9" },
	{ EV, "{\"seq\":0x10,\"void\":{}}", "invalid JSON: expected ',' or "
	    "'}', found 'x' at line 1 column 9" },
	/* even where the field would refuse the value anyway */
	{ EV, "{\"event_id\":01,\"void\":{}}",
	    "invalid JSON: leading zero in a number at line 1 column 13" },
	/* literals */
	{ EV, HEAD "\"vendor_contract\":{\"auto_renew\":tru}}", "invalid JSON: "
	    "expected 'true', found '}' at line 1 column 91" },
	{ EV, HEAD "\"vendor_contract\":{\"auto_renew\":True}}", "invalid JSON: "
	    "expected a value, found 'T' at line 1 column 88" },
	{ EV, "{\"event_id\":nul,\"void\":{}}", "invalid JSON: expected "
	    "'null', found ',' at line 1 column 16" },
	/* strings */
	{ EV, "{\"event_id\":\"a\tb\",\"void\":{}}", "invalid JSON: control "
	    "character 0x09 in a string at line 1 column 15" },
	{ EV, "{\"event_id\":\"a\nb\",\"void\":{}}", "invalid JSON: control "
	    "character 0x0a in a string at line 1 column 15" },
	{ EV, "{\"event_id\":\"a\x01\",\"void\":{}}", "invalid JSON: control "
	    "character 0x01 in a string at line 1 column 15" },
	{ EV, "{\"event_id\":\"a", "invalid JSON: expected '\"' to end the "
	    "string, found the end of the text at line 1 column 15" },
	{ EV, "{\"event_id\":\"a\\", "invalid JSON: unfinished escape at "
	    "line 1 column 15" },
	{ EV, "{\"event_id\":\"\\x41\",\"void\":{}}",
	    "invalid JSON: invalid escape '\\x' at line 1 column 14" },
	{ EV, "{\"event_id\":\"\\U0041\",\"void\":{}}",
	    "invalid JSON: invalid escape '\\U' at line 1 column 14" },
	{ EV, "{\"event_id\":\"\\u12\",\"void\":{}}", "invalid JSON: \\u not "
	    "followed by 4 hex digits at line 1 column 14" },
	{ EV, "{\"event_id\":\"\\u12g4\",\"void\":{}}", "invalid JSON: \\u not "
	    "followed by 4 hex digits at line 1 column 14" },
	{ EV, "{\"event_id\":\"x\\u0000\",\"void\":{}}",
	    "invalid JSON: \\u0000 in a string at line 1 column 15" },
	/* surrogates: only a high one followed by a low one */
	{ EV, "{\"event_id\":\"\\ud800\",\"void\":{}}",
	    "invalid JSON: lone surrogate \\ud800 at line 1 column 14" },
	{ EV, "{\"event_id\":\"\\uDBFFx\",\"void\":{}}",
	    "invalid JSON: lone surrogate \\udbff at line 1 column 14" },
	{ EV, "{\"event_id\":\"\\ud800\\u0041\",\"void\":{}}",
	    "invalid JSON: lone surrogate \\ud800 at line 1 column 14" },
	{ EV, "{\"event_id\":\"\\ud800\\ud800\",\"void\":{}}",
	    "invalid JSON: lone surrogate \\ud800 at line 1 column 14" },
	{ EV, "{\"event_id\":\"\\udc00\",\"void\":{}}",
	    "invalid JSON: lone surrogate \\udc00 at line 1 column 14" },
	{ EV, "{\"event_id\":\"ab\\ude00\\ud83d\",\"void\":{}}",
	    "invalid JSON: lone surrogate \\ude00 at line 1 column 16" },
	/* UTF-8: overlong forms, UTF-16 surrogates, beyond U+10FFFF, cut */
	{ EV, "{\"event_id\":\"\xc0\xaf\",\"void\":{}}",
	    "invalid JSON: invalid UTF-8 byte 0xc0 at line 1 column 14" },
	{ EV, "{\"event_id\":\"\xc1\xbf\",\"void\":{}}",
	    "invalid JSON: invalid UTF-8 byte 0xc1 at line 1 column 14" },
	{ EV, "{\"event_id\":\"\xe0\x80\xaf\",\"void\":{}}",
	    "invalid JSON: invalid UTF-8 byte 0xe0 at line 1 column 14" },
	{ EV, "{\"event_id\":\"\xf0\x80\x80\xaf\",\"void\":{}}",
	    "invalid JSON: invalid UTF-8 byte 0xf0 at line 1 column 14" },
	{ EV, "{\"event_id\":\"\xed\xa0\x80\",\"void\":{}}",
	    "invalid JSON: invalid UTF-8 byte 0xed at line 1 column 14" },
	{ EV, "{\"event_id\":\"\xed\xbf\xbf\",\"void\":{}}",
	    "invalid JSON: invalid UTF-8 byte 0xed at line 1 column 14" },
	{ EV, "{\"event_id\":\"\xf4\x90\x80\x80\",\"void\":{}}",
	    "invalid JSON: invalid UTF-8 byte 0xf4 at line 1 column 14" },
	{ EV, "{\"event_id\":\"\xf5\x80\x80\x80\",\"void\":{}}",
	    "invalid JSON: invalid UTF-8 byte 0xf5 at line 1 column 14" },
	{ EV, "{\"event_id\":\"a\x80\",\"void\":{}}",
	    "invalid JSON: invalid UTF-8 byte 0x80 at line 1 column 15" },
	{ EV, "{\"event_id\":\"\xe2\x82\",\"void\":{}}",
	    "invalid JSON: invalid UTF-8 byte 0xe2 at line 1 column 14" },
	{ EV, "{\"event_id\":\"\xe2\x82", "invalid JSON: invalid UTF-8 byte "
	    "0xe2 at line 1 column 14" },
	/* outside strings too */
	{ EV, "{\"event_id\":\"a\"\xff}", "invalid JSON: expected ',' or '}', "
	    "found byte 0xff at line 1 column 16" },
	/* structure */
	{ EV, "", "invalid JSON: expected a value, found the end of the text "
	    "at line 1 column 1" },
	{ EV, " \r\n\t ", "invalid JSON: expected a value, found the end of "
	    "the text at line 2 column 3" },
	{ EV, "{", "invalid JSON: expected a quoted key or '}', found the end "
	    "of the text at line 1 column 2" },
	{ EV, "{,}", "invalid JSON: expected a quoted key or '}', found ',' at "
	    "line 1 column 2" },
	{ EV, "{'event_id':1}", "invalid JSON: expected a quoted key or '}', "
	    "found \"'\" at line 1 column 2" },
	{ EV, "{\"event_id\" \"e\"}",
	    "invalid JSON: expected ':', found '\"' at line 1 column 13" },
	{ EV, "{\"event_id\":\"e\",}",
	    "invalid JSON: expected a quoted key, found '}' at line 1 "
	    "column 17" },
	{ EV, "{\"event_id\":\"e\";\"void\":{}}", "invalid JSON: expected ',' "
	    "or '}', found ';' at line 1 column 16" },
	{ EV, "{\"event_id\":}",
	    "invalid JSON: expected a value, found '}' at line 1 column 13" },
	{ EV, HEAD "\"vendor_contract\":{\"prices\":[{},]}}", "invalid JSON: "
	    "expected a value, found ']' at line 1 column 88" },
	{ EV, HEAD "\"vendor_contract\":{\"prices\":[{} {}]}}", "invalid JSON: "
	    "expected ',' or ']', found '{' at line 1 column 88" },
	{ EV, "{\"void\":{}}}", "invalid JSON: expected the end of the text, "
	    "found '}' at line 1 column 12" },
	{ EV, "{\"void\":{}}\n\nx", "invalid JSON: expected the end of the "
	    "text, found 'x' at line 3 column 1" },
	/* only space, tab, CR and LF are blanks */
	{ EV, "\f{\"void\":{}}", "invalid JSON: expected a value, found byte "
	    "0x0c at line 1 column 1" },
	{ EV, "{\"void\":{}}\v", "invalid JSON: expected the end of the text, "
	    "found byte 0x0b at line 1 column 12" },
	{ EV, "{\xc2\xa0\"void\":{}}", "invalid JSON: expected a quoted key or "
	    "'}', found byte 0xc2 at line 1 column 2" },
	/* columns count characters, lines count newlines */
	{ EV, "{\"event_id\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",x}",
	    "invalid JSON: expected a quoted key, found 'x' at line 1 "
	    "column 19" },
	{ EV, "{\n  \"event_id\": \"e\",\n  \"void\": {\n"
	    "    \"reason\": 5 6\n}}",
	    "invalid JSON: expected ',' or '}', found '6' at line 4 "
	    "column 17" },
};

static int
check_cases(const struct bad_case *cases, size_t ncases)
{
	ProtobufCMessage	*m;
	char			 err[PBJSON_ERR_MAX];
	int			 failed = 0;

	/* Every mismatch is printed before the test fails. */
	for (size_t i = 0; i < ncases; i++) {
		const struct bad_case *c = &cases[i];
		int rc;

		m = (ProtobufCMessage *)&m;	/* any non-NULL: must be reset */
		memset(err, 'x', sizeof(err));
		rc = pbjson_decode_text(c->desc, c->text, strlen(c->text),
		    NULL, &m, err, sizeof(err));
		if (rc != MSOSYNC_EINVAL || m != NULL ||
		    strcmp(err, c->want) != 0) {
			print_error("case %zu: %s\n  want: %s\n  got rc %d: %s\n",
			    i, c->text, c->want, rc, err);
			failed++;
		}
		/* No message buffer at all is fine too. */
		m = (ProtobufCMessage *)&m;
		rc = pbjson_decode_text(c->desc, c->text, strlen(c->text),
		    NULL, &m, NULL, 0);
		assert_int_equal(rc, MSOSYNC_EINVAL);
		assert_null(m);
	}
	return failed;
}

static void
test_errors(void **state)
{
	(void)state;
	assert_int_equal(check_cases(bad_cases,
	    sizeof(bad_cases) / sizeof(bad_cases[0])), 0);
}

static void
test_grammar(void **state)
{
	size_t	n = sizeof(grammar_cases) / sizeof(grammar_cases[0]);
	char	err[PBJSON_ERR_MAX], want[PBJSON_ERR_MAX + 16];
	size_t	pos;

	(void)state;
	assert_int_equal(check_cases(grammar_cases, n), 0);
	/* pbjson_scan finds the same faults, in the same words */
	for (size_t i = 0; i < n; i++) {
		const struct bad_case *c = &grammar_cases[i];

		pos = 0;
		assert_int_equal(pbjson_scan(c->text, strlen(c->text), &pos,
		    1, PBJSON_SCAN_ALL, err, sizeof(err)), MSOSYNC_EINVAL);
		snprintf(want, sizeof(want), "invalid JSON: %s", err);
		assert_string_equal(want, c->want);
		assert_true(pos <= strlen(c->text));
	}
}

static void
test_error_truncated(void **state)
{
	ProtobufCMessage	*m;
	char			 err[12];
	const char		*t = HEAD "\"sale\":{\"units\":-1}}";

	(void)state;
	assert_int_equal(pbjson_decode_text(EV, t, strlen(t), NULL, &m, err,
	    sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err, "sale.units:");
}

static void
test_text_forms(void **state)
{
	Msosync__Event		*ev;
	Msosync__Frame		*fr;
	struct buf		 b = { 0 };

	(void)state;
	/* Blanks wherever the grammar allows them, and of every kind. */
	ev = (Msosync__Event *)decode_ok(EV, " \t\r\n{ \"event_id\" :\t\"e\" ,"
	    "\r\n\"void\"\n:\n{\n}\n,\"seq\": 5 } \n\t ");
	assert_string_equal(ev->event_id, "e");
	assert_int_equal(ev->seq, 5);
	assert_int_equal(ev->body_case, MSOSYNC__EVENT__BODY_VOID);
	msosync__event__free_unpacked(ev, NULL);

	/* Escapes of every kind, a surrogate pair, DEL, raw UTF-8. */
	ev = (Msosync__Event *)decode_ok(EV, "{\"event_id\":\"\\\"\\\\\\/\\b\\f"
	    "\\n\\r\\t\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\u007f\x7f\xc3\xa9\","
	    "\"void\":{}}");
	assert_string_equal(ev->event_id, "\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x98\x80\x7f\x7f\xc3\xa9");
	msosync__event__free_unpacked(ev, NULL);

	/* The highest code point and the last before the surrogates. */
	ev = (Msosync__Event *)decode_ok(EV, "{\"event_id\":\"\\udbff\\udfff"
	    "\\ud7ff\xf4\x8f\xbf\xbf\xed\x9f\xbf\",\"void\":{}}");
	assert_string_equal(ev->event_id, "\xf4\x8f\xbf\xbf\xed\x9f\xbf"
	    "\xf4\x8f\xbf\xbf\xed\x9f\xbf");
	msosync__event__free_unpacked(ev, NULL);

	/* Escaped keys, enum names, times, dates, hex: what they spell. */
	ev = (Msosync__Event *)decode_ok(EV, "{\"\\u0065vent_id\":\"e\","
	    "\"occurred_\\u0061t\":\"2026-11-20\\u005415:04:05Z\","
	    "\"training\":{\"course\":\"\\u0068ipaa\","
	    "\"completed_on\":\"2026\\u002d03-15\"}}");
	assert_string_equal(ev->event_id, "e");
	assert_int_equal(ev->occurred_at, 1795187045000LL);
	assert_int_equal(ev->training->course,
	    MSOSYNC__TRAINING__COURSE__HIPAA);
	assert_int_equal(ev->training->completed_on, 20260315);
	msosync__event__free_unpacked(ev, NULL);
	fr = (Msosync__Frame *)decode_ok(FR, "{\"batch\":{\"records\":"
	    "[{\"hash\":\"\\u0061B0c\"}]}}");
	assert_int_equal(fr->batch->records[0]->hash.len, 2);
	assert_int_equal(fr->batch->records[0]->hash.data[0], 0xab);
	assert_int_equal(fr->batch->records[0]->hash.data[1], 0x0c);
	msosync__frame__free_unpacked(fr, NULL);

	/* Numbers: -0 is 0; a time keeps every digit of a long fraction. */
	ev = (Msosync__Event *)decode_ok(EV, "{\"seq\":-0,\"occurred_at\":"
	    "\"2026-11-20T15:04:05.12345678901234567890123456789012345678901"
	    "234567890Z\",\"void\":{}}");
	assert_int_equal(ev->seq, 0);
	assert_int_equal(ev->occurred_at, 1795187045123LL);
	msosync__event__free_unpacked(ev, NULL);

	/* Empty arrays and objects, and a long array that grows. */
	ev = (Msosync__Event *)decode_ok(EV, "{\"vendor_contract\":{"
	    "\"rebate_tiers\":[ ],\"prices\":[{},{},{},{},{\"sku\":\"5\"},"
	    "{},{},{},{\"sku\":\"9\"}]}}");
	assert_int_equal(ev->vendor_contract->n_rebate_tiers, 0);
	assert_null(ev->vendor_contract->rebate_tiers);
	assert_int_equal(ev->vendor_contract->n_prices, 9);
	assert_string_equal(ev->vendor_contract->prices[4]->sku, "5");
	assert_string_equal(ev->vendor_contract->prices[8]->sku, "9");
	pbjson_encode(&ev->base, &b);
	assert_string_equal(b.data, "{\"vendor_contract\":{\"prices\":"
	    "[{},{},{},{},{\"sku\":\"5\"},{},{},{},{\"sku\":\"9\"}]}}");
	buf_free(&b);
	msosync__event__free_unpacked(ev, NULL);

	/* len bounds the text: what lies past it is never read. */
	{
		const char	*t = "{\"void\":{}}garbage";
		ProtobufCMessage *m;

		assert_int_equal(pbjson_decode_text(EV, t, 11, NULL, &m,
		    NULL, 0), 0);
		protobuf_c_message_free_unpacked(m, NULL);
	}
}

/* A field error half way through a repeated or nested value frees all. */
static void
test_error_mid_message(void **state)
{
	static const char *const texts[] = {
		HEAD "\"vendor_contract\":{\"vendor_name\":\"n\","
		    "\"prices\":[{\"sku\":\"a\"},{\"sku\":\"b\"},{\"sku\":\"c\"},"
		    "{\"sku\":\"d\"},{\"sku\":\"e\",\"unit_price_cents\":1.5}]}}",
		HEAD "\"vendor_contract\":{\"prices\":[{\"sku\":\"a\"},"
		    "{\"sku\":\"b\"}],\"rebate_tiers\":[{},{},{},{},{},7]}}",
		HEAD "\"vendor_contract\":{\"prices\":[{\"sku\":\"a\"}]},"
		    "\"x\":1}",
		"{\"batch\":{\"records\":[{\"hash\":\"00\"},"
		    "{\"hash\":\"0\"}]}}",
	};
	static const char *const want[] = {
		"vendor_contract.prices[4].unit_price_cents: "
		    "expected an integer",
		"vendor_contract.rebate_tiers[5]: expected an object",
		"x: unknown field",
		"batch.records[1].hash: expected a hex string",
	};
	ProtobufCMessage	*m;
	char			 err[PBJSON_ERR_MAX];

	(void)state;
	/* ASan's leak check is what proves the freeing. */
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(pbjson_decode_text(i < 3 ? EV : FR, texts[i],
		    strlen(texts[i]),
		    NULL, &m, err, sizeof(err)), MSOSYNC_EINVAL);
		assert_null(m);
		assert_string_equal(err, want[i]);
	}
}

/* Nesting: PBJSON_DEPTH_MAX levels are JSON, one more is not. */
static void
test_depth(void **state)
{
	struct buf		 b = { 0 };
	ProtobufCMessage	*m;
	char			 err[PBJSON_ERR_MAX], want[PBJSON_ERR_MAX];
	size_t			 pos;

	(void)state;
	/* the object around is the first level */
	buf_puts(&b, "{\"event_id\":");
	for (int i = 1; i < PBJSON_DEPTH_MAX; i++)
		buf_putc(&b, '[');
	for (int i = 1; i < PBJSON_DEPTH_MAX; i++)
		buf_putc(&b, ']');
	buf_putc(&b, '}');
	assert_int_equal(pbjson_decode_text(EV, b.data, b.len, NULL, &m, err,
	    sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err, "event_id: expected a string");
	pos = 0;
	assert_int_equal(pbjson_scan(b.data, b.len, &pos, 1, PBJSON_SCAN_ALL,
	    err, sizeof(err)), 0);
	assert_int_equal(pos, b.len);

	buf_reset(&b);
	buf_puts(&b, "{\"event_id\":");
	for (int i = 0; i < PBJSON_DEPTH_MAX; i++)
		buf_putc(&b, '[');
	for (int i = 0; i < PBJSON_DEPTH_MAX; i++)
		buf_putc(&b, ']');
	buf_putc(&b, '}');
	snprintf(want, sizeof(want), "invalid JSON: nesting deeper than %d "
	    "levels at line 1 column %d", PBJSON_DEPTH_MAX,
	    12 + PBJSON_DEPTH_MAX);
	assert_int_equal(pbjson_decode_text(EV, b.data, b.len, NULL, &m, err,
	    sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err, want);
	pos = 0;
	assert_int_equal(pbjson_scan(b.data, b.len, &pos, 1, PBJSON_SCAN_ALL,
	    err, sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err, want + strlen("invalid JSON: "));
	assert_int_equal(pos, 11 + PBJSON_DEPTH_MAX);

	/*
	 * Objects count as arrays do, and deep text never overflows the
	 * stack; the fault of the text outranks the unknown field "a".
	 */
	buf_reset(&b);
	for (int i = 0; i < 100000; i++)
		buf_puts(&b, "{\"a\":");
	snprintf(want, sizeof(want), "invalid JSON: nesting deeper than %d "
	    "levels at line 1 column %d", PBJSON_DEPTH_MAX,
	    5 * PBJSON_DEPTH_MAX + 1);
	assert_int_equal(pbjson_decode_text(EV, b.data, b.len, NULL, &m, err,
	    sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err, want);
	pos = 0;
	assert_int_equal(pbjson_scan(b.data, b.len, &pos, 1, 0, err,
	    sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err, want + strlen("invalid JSON: "));
	assert_int_equal(pos, 5 * PBJSON_DEPTH_MAX);
	buf_free(&b);
}

struct int_case {
	const char	*text;
	long long	 value;		/* when want is NULL */
	const char	*want;
};

static void
test_int_limits(void **state)
{
	static const struct int_case amounts[] = {	/* int64 */
		{ "9223372036854775807", INT64_MAX, NULL },
		{ "-9223372036854775808", INT64_MIN, NULL },
		{ "9223372036854775808", 0, "out of range" },
		{ "-9223372036854775809", 0, "out of range" },
		{ "18446744073709551615", 0, "out of range" },
		{ "18446744073709551616", 0, "out of range" },
		{ "-18446744073709551616", 0, "out of range" },
		{ "100000000000000000000000000000", 0, "out of range" },
		{ "-0", 0, NULL },
		{ "0", 0, NULL },
		{ "9223372036854775807.0", 0, "expected an integer" },
		{ "1e2", 0, "expected an integer" },
		{ "-1E-2", 0, "expected an integer" },
		{ "true", 0, "expected an integer" },
		{ "[1]", 0, "expected an integer" },
	};
	static const struct int_case units[] = {	/* uint32 */
		{ "4294967295", UINT32_MAX, NULL },
		{ "4294967296", 0, "out of range" },
		{ "-1", 0, "out of range" },
		{ "-0", 0, NULL },
		{ "-9223372036854775808", 0, "out of range" },
	};
	static const struct int_case seqs[] = {		/* uint64 */
		{ "18446744073709551615", -1, NULL },
		{ "18446744073709551616", 0, "out of range" },
		{ "-1", 0, "out of range" },
	};
	static const struct int_case times[] = {	/* *_at, Unix ms */
		{ "253402300799999", 253402300799999LL, NULL },
		{ "253402300800000", 0, "out of range" },
		{ "-2208988800000", -2208988800000LL, NULL },
		{ "-2208988800001", 0, "out of range" },
		{ "-9223372036854775809", 0, "out of range" },
		{ "1.7e12", 0, "expected an RFC 3339 time or integer "
		    "milliseconds" },
	};
	char			 text[256], err[PBJSON_ERR_MAX], want[300];
	Msosync__Event		*ev;
	ProtobufCMessage	*m;

	(void)state;
	for (size_t i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
		snprintf(text, sizeof(text), "{\"sale\":{\"amount_cents\":%s}}",
		    amounts[i].text);
		if (amounts[i].want == NULL) {
			ev = (Msosync__Event *)decode_ok(EV, text);
			assert_int_equal(ev->sale->amount_cents,
			    amounts[i].value);
			msosync__event__free_unpacked(ev, NULL);
			continue;
		}
		snprintf(want, sizeof(want), "sale.amount_cents: %s",
		    amounts[i].want);
		assert_int_equal(pbjson_decode_text(EV, text, strlen(text),
		    NULL, &m, err, sizeof(err)), MSOSYNC_EINVAL);
		assert_string_equal(err, want);
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		snprintf(text, sizeof(text), "{\"sale\":{\"units\":%s}}",
		    units[i].text);
		if (units[i].want == NULL) {
			ev = (Msosync__Event *)decode_ok(EV, text);
			assert_int_equal(ev->sale->units, units[i].value);
			msosync__event__free_unpacked(ev, NULL);
			continue;
		}
		snprintf(want, sizeof(want), "sale.units: %s", units[i].want);
		assert_int_equal(pbjson_decode_text(EV, text, strlen(text),
		    NULL, &m, err, sizeof(err)), MSOSYNC_EINVAL);
		assert_string_equal(err, want);
	}
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		snprintf(text, sizeof(text), "{\"seq\":%s,\"void\":{}}",
		    seqs[i].text);
		if (seqs[i].want == NULL) {
			ev = (Msosync__Event *)decode_ok(EV, text);
			assert_int_equal(ev->seq, (uint64_t)seqs[i].value);
			msosync__event__free_unpacked(ev, NULL);
			continue;
		}
		snprintf(want, sizeof(want), "seq: %s", seqs[i].want);
		assert_int_equal(pbjson_decode_text(EV, text, strlen(text),
		    NULL, &m, err, sizeof(err)), MSOSYNC_EINVAL);
		assert_string_equal(err, want);
	}
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		snprintf(text, sizeof(text), "{\"occurred_at\":%s,\"void\":{}}",
		    times[i].text);
		if (times[i].want == NULL) {
			ev = (Msosync__Event *)decode_ok(EV, text);
			assert_int_equal(ev->occurred_at, times[i].value);
			msosync__event__free_unpacked(ev, NULL);
			continue;
		}
		snprintf(want, sizeof(want), "occurred_at: %s", times[i].want);
		assert_int_equal(pbjson_decode_text(EV, text, strlen(text),
		    NULL, &m, err, sizeof(err)), MSOSYNC_EINVAL);
		assert_string_equal(err, want);
	}
	/* the largest uint64 the encoder writes reads back */
	{
		Msosync__Frame	*fr;

		fr = (Msosync__Frame *)decode_ok(FR,
		    "{\"ack\":{\"acked_seq\":18446744073709551615}}");
		assert_int_equal(fr->ack->acked_seq, UINT64_MAX);
		msosync__frame__free_unpacked(fr, NULL);
	}
}

static void
test_scan(void **state)
{
	static const char	 text[] = "  {\"a\":[1,{\"b\":null}]}\n"
	    "[true,false,-1.5e+3,\"\\u00e9\"]x 7";
	char			 err[PBJSON_ERR_MAX];
	size_t			 pos, len = sizeof(text) - 1;

	(void)state;
	/* one value at a time, blanks before it skipped */
	pos = 0;
	assert_int_equal(pbjson_scan(text, len, &pos, 1, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(pos, 22);
	assert_string_equal(err, "");
	assert_int_equal(pbjson_scan(text, len, &pos, 1,
	    PBJSON_SCAN_CONTAINER, err, sizeof(err)), 0);
	assert_int_equal(pos, 52);
	/* the error's position counts from the start of the whole text */
	assert_int_equal(pbjson_scan(text, len, &pos, 1, 0, err,
	    sizeof(err)), MSOSYNC_EINVAL);
	assert_int_equal(pos, 52);
	assert_string_equal(err,
	    "expected a value, found 'x' at line 2 column 30");
	pos = 53;
	assert_int_equal(pbjson_scan(text, len, &pos, 1,
	    PBJSON_SCAN_CONTAINER, err, sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err,
	    "expected an object or an array, found '7' at line 2 column 32");
	pos = 53;
	assert_int_equal(pbjson_scan(text, len, &pos, 1, PBJSON_SCAN_ALL,
	    NULL, 0), 0);
	assert_int_equal(pos, len);
	/* a part of a text: its first line is given, columns count from it */
	pos = 8;
	assert_int_equal(pbjson_scan(text + 23, len - 23, &pos, 2, 0, err,
	    sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err,
	    "expected a value, found 'l' at line 2 column 9");
	pos = 0;
	assert_int_equal(pbjson_scan(text + 23, len - 23, &pos, 7, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(pos, 29);
	/* a scalar alone is a value; ALL wants nothing after it */
	pos = 0;
	assert_int_equal(pbjson_scan("12 ", 3, &pos, 1, PBJSON_SCAN_ALL, err,
	    sizeof(err)), 0);
	assert_int_equal(pos, 3);
	pos = 0;
	assert_int_equal(pbjson_scan("12 3", 4, &pos, 1, PBJSON_SCAN_ALL, err,
	    sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err,
	    "expected the end of the text, found '3' at line 1 column 4");
	assert_int_equal(pos, 3);
	/* a number ends where the text does */
	pos = 0;
	assert_int_equal(pbjson_scan("-12.5e3", 7, &pos, 1, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(pos, 7);
	pos = 0;
	assert_int_equal(pbjson_scan("", 0, &pos, 1, 0, err, sizeof(err)),
	    MSOSYNC_EINVAL);
	assert_string_equal(err,
	    "expected a value, found the end of the text at line 1 column 1");
	/* duplicate keys are the decoder's to find */
	pos = 0;
	assert_int_equal(pbjson_scan("{\"a\":1,\"a\":2}", 13, &pos, 1,
	    PBJSON_SCAN_ALL, err, sizeof(err)), 0);
}

static void
test_peek_string(void **state)
{
	char	out[8];

	(void)state;
#define PEEK(t, k)	\
	pbjson_peek_string((t), strlen(t), (k), out, sizeof(out))
	assert_int_equal(PEEK("{\"event_id\":\"e-1\",\"sale\":5}", "event_id"),
	    0);
	assert_string_equal(out, "e-1");
	/* found past members of every kind, whatever error they hold */
	assert_int_equal(PEEK(" {\"a\":[1,{\"b\":\"}\"}],"
	    "\"sale\":{\"event_id\":\"in\"},\"c\":null, "
	    "\"event_id\" : \"e\\\"2\\u00e9\" ,\"d\":", "event_id"), 0);
	assert_string_equal(out, "e\"2\xc3\xa9");
	/* an escaped key is the key it spells; the first one counts */
	assert_int_equal(PEEK("{\"event\\u005fid\":\"x\",\"event_id\":\"y\"}",
	    "event_id"), 0);
	assert_string_equal(out, "x");
	assert_int_equal(PEEK("{\"event_id\":\"\"}", "event_id"), 0);
	assert_string_equal(out, "");
	/* exactly as much as fits, counted unescaped */
	assert_int_equal(PEEK("{\"event_id\":\"1234567\"}", "event_id"), 0);
	assert_string_equal(out, "1234567");
	assert_int_equal(PEEK("{\"event_id\":\"12345678\"}", "event_id"),
	    MSOSYNC_EINVAL);
	assert_int_equal(PEEK("{\"event_id\":\"\\u0031\\u0032\\u0033\\u0034"
	    "\\u0035\\u0036\\u0037\"}", "event_id"), 0);
	assert_string_equal(out, "1234567");
	assert_int_equal(PEEK("{\"event_id\":\"123456\xc3\xa9\"}", "event_id"),
	    MSOSYNC_EINVAL);
	assert_int_equal(pbjson_peek_string("{\"k\":\"\"}", 9, "k", out, 0),
	    MSOSYNC_EINVAL);
	/* absent, not a string, only nested, not an object, not JSON */
	assert_int_equal(PEEK("{\"event\":\"x\"}", "event_id"), MSOSYNC_EINVAL);
	assert_int_equal(PEEK("{\"event_id\":7}", "event_id"), MSOSYNC_EINVAL);
	assert_int_equal(PEEK("{\"event_id\":null}", "event_id"),
	    MSOSYNC_EINVAL);
	assert_int_equal(PEEK("{\"s\":{\"event_id\":\"x\"}}", "event_id"),
	    MSOSYNC_EINVAL);
	assert_int_equal(PEEK("[{\"event_id\":\"x\"}]", "event_id"),
	    MSOSYNC_EINVAL);
	assert_int_equal(PEEK("", "event_id"), MSOSYNC_EINVAL);
	assert_int_equal(PEEK("{\"a\":tru,\"event_id\":\"x\"}", "event_id"),
	    MSOSYNC_EINVAL);
	assert_int_equal(PEEK("{\"a\":1 \"event_id\":\"x\"}", "event_id"),
	    MSOSYNC_EINVAL);
	assert_int_equal(PEEK("{\"event_id\":\"x\\u0000\"}", "event_id"),
	    MSOSYNC_EINVAL);
	assert_int_equal(PEEK("{\"event_id\":\"x", "event_id"),
	    MSOSYNC_EINVAL);
	/* a fault after the member found does not matter */
	assert_int_equal(PEEK("{\"event_id\":\"x\",\"a\":}}}", "event_id"), 0);
	assert_string_equal(out, "x");
#undef PEEK
}

/* A small deterministic generator for the property below. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A string of every kind of character the encoder must escape or keep. */
static char *
rnd_string(uint64_t *s)
{
	static const char *const pieces[] = {
		"a", "Z", "0", "-", " ", "\"", "\\", "/", "\n", "\r", "\t",
		"\b", "\f", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "'",
		"{", "]", ":", ",",
	};
	size_t	n = rnd(s) % 12, np = sizeof(pieces) / sizeof(pieces[0]);
	char	*out = calloc(1, n * 4 + 1);

	assert_non_null(out);
	for (size_t i = 0; i < n; i++)
		strcat(out, pieces[rnd(s) % np]);
	return out;
}

/*
 * Random values into every scalar and string field of 'm' and its
 * sub-messages, with the integers' extremes often; enums stay valid and
 * not *_UNSPECIFIED, dates real, times in range.
 */
static void
rnd_fill(ProtobufCMessage *m, uint64_t *s, int depth)
{
	const ProtobufCMessageDescriptor	*desc = m->descriptor;
	char					*base = (char *)m;

	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor	*f = &desc->fields[i];
		void				*p = base + f->offset;
		const ProtobufCEnumDescriptor	*ed;
		uint64_t			 r = rnd(s);

		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
			continue;
		if (r % 4 == 0)
			continue;		/* left unset */
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t	n = rnd(s) % 4;

			if (f->type != PROTOBUF_C_TYPE_MESSAGE || n == 0 ||
			    depth > 2)
				continue;
			*(size_t *)(base + f->quantifier_offset) = n;
			*(ProtobufCMessage ***)p = calloc(n, sizeof(void *));
			for (size_t j = 0; j < n; j++) {
				ProtobufCMessage *sub =
				    calloc(1, f->descriptor == NULL ? 1 :
				    ((const ProtobufCMessageDescriptor *)
				    f->descriptor)->sizeof_message);

				((const ProtobufCMessageDescriptor *)
				    f->descriptor)->message_init(sub);
				rnd_fill(sub, s, depth + 1);
				(*(ProtobufCMessage ***)p)[j] = sub;
			}
			continue;
		}
		switch (f->type) {
		case PROTOBUF_C_TYPE_INT64:
			if (strstr(f->name, "_at") != NULL)
				*(int64_t *)p = (int64_t)(r %
				    253402300799999ULL) -
				    (r & 1 ? 2208988800000LL : 0);
			else
				*(int64_t *)p = r % 3 == 0 ? INT64_MIN :
				    r % 3 == 1 ? INT64_MAX : (int64_t)rnd(s);
			break;
		case PROTOBUF_C_TYPE_UINT32:
			if (strstr(f->name, "_date") != NULL ||
			    strstr(f->name, "_on") != NULL)
				*(uint32_t *)p = (uint32_t)(19000101 +
				    r % 8000 * 10000 + r / 7 % 12 * 100 +
				    r / 11 % 28);
			else
				*(uint32_t *)p = r % 2 ? UINT32_MAX :
				    (uint32_t)rnd(s);
			break;
		case PROTOBUF_C_TYPE_UINT64:
			*(uint64_t *)p = r % 2 ? UINT64_MAX : rnd(s);
			break;
		case PROTOBUF_C_TYPE_BOOL:
			*(protobuf_c_boolean *)p = 1;
			break;
		case PROTOBUF_C_TYPE_ENUM:
			ed = f->descriptor;
			*(int *)p =
			    ed->values[1 + r % (ed->n_values - 1)].value;
			break;
		case PROTOBUF_C_TYPE_STRING:
			*(char **)p = rnd_string(s);
			break;
		default:
			break;
		}
	}
}

/* pack(m) == pack(decode_text(encode(m))), byte for byte. */
static void
pack_roundtrip(const ProtobufCMessage *m)
{
	ProtobufCMessage	*back;
	struct buf		 b = { 0 };
	uint8_t			*want, *got;
	size_t			 n, k;
	char			 err[PBJSON_ERR_MAX];

	pbjson_encode(m, &b);
	if (pbjson_decode_text(m->descriptor, b.data, b.len, NULL, &back, err,
	    sizeof(err)) != 0)
		fail_msg("%s: %s", err, b.data);
	n = protobuf_c_message_get_packed_size(m);
	k = protobuf_c_message_get_packed_size(back);
	assert_int_equal(k, n);
	want = malloc(n + 1);
	got = malloc(k + 1);
	assert_int_equal(protobuf_c_message_pack(m, want), n);
	assert_int_equal(protobuf_c_message_pack(back, got), k);
	if (memcmp(want, got, n) != 0)
		fail_msg("packed bytes differ for %s", b.data);
	free(want);
	free(got);
	protobuf_c_message_free_unpacked(back, NULL);
	buf_free(&b);
}

static int
sim_one(const Msosync__Event *ev, void *arg)
{
	(*(size_t *)arg)++;
	pack_roundtrip(&ev->base);
	return 0;
}

static void
test_roundtrip_property(void **state)
{
	const struct sim_params	 p = {
		.days = 30, .rate = 400, .seed = 7, .end_date = 20261120,
	};
	uint64_t		 s = 0x9e3779b97f4a7c15ULL, nev = 0;
	size_t			 seen = 0, bodies_seen[64] = { 0 };

	(void)state;
	/* every event a month of a busy clinic sends */
	assert_int_equal(sim_generate(&p, 1, sim_one, &seen, &nev), 0);
	assert_true(nev > 10000);
	assert_int_equal(seen, nev);

	/* and random ones: every body, hostile strings, extreme integers */
	for (int i = 0; i < 3000; i++) {
		Msosync__Event	 ev = MSOSYNC__EVENT__INIT;
		const ProtobufCFieldDescriptor *bf;
		ProtobufCMessage *body;
		unsigned	 id = 16 + (unsigned)(i % 14);

		rnd_fill(&ev.base, &s, 0);
		bf = protobuf_c_message_descriptor_get_field(
		    &msosync__event__descriptor, id);
		assert_non_null(bf);
		body = calloc(1, ((const ProtobufCMessageDescriptor *)
		    bf->descriptor)->sizeof_message);
		((const ProtobufCMessageDescriptor *)
		    bf->descriptor)->message_init(body);
		rnd_fill(body, &s, 1);
		ev.body_case = id;
		*(ProtobufCMessage **)((char *)&ev + bf->offset) = body;
		pack_roundtrip(&ev.base);
		bodies_seen[id]++;
		/* the fill used malloc as protobuf-c would: free it so */
		{
			Msosync__Event *heap = malloc(sizeof(ev));

			memcpy(heap, &ev, sizeof(ev));
			msosync__event__free_unpacked(heap, NULL);
		}
	}
	for (unsigned id = 16; id <= 29; id++)
		assert_true(bodies_seen[id] > 200);
}

static void
test_time_forms(void **state)
{
	static const struct {
		const char	*in;
		long long	 ms;
		const char	*out;
	} forms[] = {
		{ "\"2026-11-20T15:04:05Z\"", 1795187045000LL,
		    "2026-11-20T15:04:05Z" },
		{ "\"2026-11-20T15:04:05.123+02:00\"", 1795179845123LL,
		    "2026-11-20T13:04:05.123Z" },
		{ "\"2026-11-20T15:04:05-05:30\"", 1795206845000LL,
		    "2026-11-20T20:34:05Z" },
		{ "\"2026-11-20t15:04:05.1z\"", 1795187045100LL,
		    "2026-11-20T15:04:05.100Z" },
		{ "\"2026-11-20T15:04:05.123987Z\"", 1795187045123LL,
		    "2026-11-20T15:04:05.123Z" },
		{ "\"2000-02-29T23:59:59.999Z\"", 951868799999LL,
		    "2000-02-29T23:59:59.999Z" },
		{ "\"2026-11-20T00:30:00+01:00\"", 1795131000000LL,
		    "2026-11-19T23:30:00Z" },
		{ "1795187045123", 1795187045123LL,
		    "2026-11-20T15:04:05.123Z" },
		{ "-1", -1LL, "1969-12-31T23:59:59.999Z" },
		{ "\"1900-01-01T00:00:00Z\"", -2208988800000LL,
		    "1900-01-01T00:00:00Z" },
		{ "\"9999-12-31T23:59:59.999Z\"", 253402300799999LL,
		    "9999-12-31T23:59:59.999Z" },
	};
	char	text[256], want[256];

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		Msosync__Event	*ev;
		struct buf	 b = { 0 };

		snprintf(text, sizeof(text),
		    "{\"occurred_at\":%s,\"void\":{}}", forms[i].in);
		ev = (Msosync__Event *)decode_ok(EV, text);
		assert_int_equal(ev->occurred_at, forms[i].ms);
		pbjson_encode(&ev->base, &b);
		snprintf(want, sizeof(want),
		    "{\"occurred_at\":\"%s\",\"void\":{}}", forms[i].out);
		assert_string_equal(b.data, want);
		buf_free(&b);
		msosync__event__free_unpacked(ev, NULL);
	}
}

static void
test_time_helpers(void **state)
{
	long long	ms;
	unsigned	d;
	char		out[32];

	(void)state;
	assert_int_equal(pbjson_parse_time("2026-11-20T15:04:05Z", &ms), 0);
	assert_int_equal(ms, 1795187045000LL);
	assert_int_equal(pbjson_parse_time("1970-01-01T00:00:00Z", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(pbjson_parse_time("2026-11-20T15:04:05", &ms),
	    MSOSYNC_EINVAL);
	assert_int_equal(pbjson_parse_time("2026-11-20T15:04:60Z", &ms),
	    MSOSYNC_EINVAL);
	assert_int_equal(pbjson_parse_time("2026-11-20T15:04:05Z ", &ms),
	    MSOSYNC_EINVAL);
	assert_int_equal(pbjson_parse_time("2026-11-20T15:04:05+24:00", &ms),
	    MSOSYNC_EINVAL);
	assert_int_equal(pbjson_parse_time("1900-01-01T00:30:00+01:00", &ms),
	    MSOSYNC_EINVAL);
	assert_int_equal(pbjson_parse_time("", &ms), MSOSYNC_EINVAL);
	assert_int_equal(pbjson_parse_time(NULL, &ms), MSOSYNC_EINVAL);

	pbjson_format_time(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	pbjson_format_time(1795187045007LL, out);
	assert_string_equal(out, "2026-11-20T15:04:05.007Z");
	pbjson_format_time(951782400000LL, out);
	assert_string_equal(out, "2000-02-29T00:00:00Z");
	pbjson_format_time(-62135596800001LL, out);
	assert_string_equal(out, "0000-12-31T23:59:59.999Z");
	/* Any int64 fits the 32 bytes. */
	pbjson_format_time(INT64_MAX, out);
	assert_true(strlen(out) < 32);
	pbjson_format_time(INT64_MIN, out);
	assert_true(strlen(out) < 32);

	assert_int_equal(pbjson_parse_date("2028-02-29", &d), 0);
	assert_int_equal(d, 20280229);
	assert_int_equal(pbjson_parse_date("1900-02-28", &d), 0);
	assert_int_equal(d, 19000228);
	assert_int_equal(pbjson_parse_date("1900-02-29", &d), MSOSYNC_EINVAL);
	assert_int_equal(pbjson_parse_date("2000-02-29", &d), 0);
	assert_int_equal(pbjson_parse_date("2026-04-31", &d), MSOSYNC_EINVAL);
	assert_int_equal(pbjson_parse_date("2026-13-01", &d), MSOSYNC_EINVAL);
	assert_int_equal(pbjson_parse_date("2026-00-10", &d), MSOSYNC_EINVAL);
	assert_int_equal(pbjson_parse_date("2026-01-00", &d), MSOSYNC_EINVAL);
	assert_int_equal(pbjson_parse_date("2026-01-01T", &d), MSOSYNC_EINVAL);
	assert_int_equal(pbjson_parse_date("20260101", &d), MSOSYNC_EINVAL);
	assert_int_equal(pbjson_parse_date(NULL, &d), MSOSYNC_EINVAL);
	pbjson_format_date(20261120, out);
	assert_string_equal(out, "2026-11-20");
	pbjson_format_date(19000101, out);
	assert_string_equal(out, "1900-01-01");
	pbjson_format_date(UINT32_MAX, out);
	assert_int_equal(strlen(out), 10);
}

static void
test_canonical_output(void **state)
{
	Msosync__Event	*ev;
	struct buf	 b = { 0 };
	const char	*in =
	    "{\"sale\":{\"units\":0,\"amount_cents\":45000,\"ticket_id\":\"T-1\","
	    "\"category\":\"injectables\",\"sku\":\"\",\"provider_ref\":\"np-3\"},"
	    "\"occurred_at\":1795187045000,\"seq\":0,\"event_id\":\"pos-1\"}";

	(void)state;
	/* Order, defaults and the integer time are normalised away. */
	ev = (Msosync__Event *)decode_ok(EV, in);
	pbjson_encode(&ev->base, &b);
	assert_string_equal(b.data,
	    "{\"event_id\":\"pos-1\",\"occurred_at\":\"2026-11-20T15:04:05Z\","
	    "\"sale\":{\"ticket_id\":\"T-1\",\"category\":\"injectables\","
	    "\"amount_cents\":45000,\"provider_ref\":\"np-3\"}}");
	/* Appending keeps what is already in the buffer. */
	buf_reset(&b);
	buf_append(&b, "[", 1);
	pbjson_encode(&ev->sale->base, &b);
	assert_string_equal(b.data, "[{\"ticket_id\":\"T-1\","
	    "\"category\":\"injectables\",\"amount_cents\":45000,"
	    "\"provider_ref\":\"np-3\"}");
	buf_free(&b);
	msosync__event__free_unpacked(ev, NULL);
}

static void
test_encode_hostile_strings(void **state)
{
	Msosync__Void	 v = MSOSYNC__VOID__INIT;
	struct buf	 b = { 0 };
	json_t		*j;
	char		 reason[] = "a\x01\b\f\t\"\\\xff\xc3\xa9\xe2\x82z";

	(void)state;
	/* Bytes from a lenient peer: the output is still valid JSON. */
	v.voided_event_id = "x";
	v.reason = reason;
	pbjson_encode(&v.base, &b);
	assert_string_equal(b.data, "{\"voided_event_id\":\"x\",\"reason\":"
	    "\"a\\u0001\\b\\f\\t\\\"\\\\\\ufffd\xc3\xa9\\ufffd\\ufffdz\"}");
	j = json_loadb(b.data, b.len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "reason")),
	    "a\x01\b\f\t\"\\\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbdz");
	json_decref(j);
	j = pbjson_to_json(&v.base);
	assert_string_equal(json_string_value(json_object_get(j, "reason")),
	    "a\x01\b\f\t\"\\\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbdz");
	json_decref(j);
	buf_free(&b);
}

static void
test_encode_edge_values(void **state)
{
	Msosync__Frame		 fr = MSOSYNC__FRAME__INIT;
	Msosync__Reject		 rj = MSOSYNC__REJECT__INIT;
	Msosync__Ack		 ack = MSOSYNC__ACK__INIT;
	Msosync__Event		 ev = MSOSYNC__EVENT__INIT;
	struct buf		 b = { 0 };
	json_t			*j;

	(void)state;
	/* An enum value this schema does not know stays a number. */
	rj.code = 77;
	fr.kind_case = MSOSYNC__FRAME__KIND_REJECT;
	fr.reject = &rj;
	pbjson_encode(&fr.base, &b);
	assert_string_equal(b.data, "{\"reject\":{\"code\":77}}");
	buf_reset(&b);

	ack.acked_seq = UINT64_MAX;
	fr.kind_case = MSOSYNC__FRAME__KIND_ACK;
	fr.ack = &ack;
	pbjson_encode(&fr.base, &b);
	assert_string_equal(b.data,
	    "{\"ack\":{\"acked_seq\":18446744073709551615}}");
	buf_reset(&b);
	j = pbjson_to_json(&fr.base);
	assert_true(json_is_real(json_object_get(json_object_get(j, "ack"),
	    "acked_seq")));
	json_decref(j);

	ev.occurred_at = INT64_MIN;
	ev.site_id = UINT32_MAX;
	pbjson_encode(&ev.base, &b);
	assert_string_equal(b.data, "{\"site_id\":4294967295,"
	    "\"occurred_at\":\"-292275055-05-16T16:47:04.192Z\"}");
	buf_free(&b);
}

static void
test_throughput(void **state)
{
	const char		*sale =
	    "{\"event_id\":\"pos-8842-1\",\"occurred_at\":\"2026-11-20T15:04:05Z\","
	    "\"sale\":{\"ticket_id\":\"T-8842\",\"category\":\"injectables\","
	    "\"amount_cents\":45000,\"units\":20,\"provider_ref\":\"np-3\","
	    "\"client_ref\":\"9f86d081884c7d659a2feaa0c55ad015\"}}";
	ProtobufCMessage	*m, *d;
	struct buf		 b = { 0 };
	size_t			 total = 0;
	double			 t0, t1;
	const int		 n = 1000000, nd = 100000;

	(void)state;
	m = decode_ok(EV, sale);
	t0 = testutil_now_s();
	for (int i = 0; i < n; i++) {
		buf_reset(&b);
		pbjson_encode(m, &b);
		total += b.len;
	}
	t1 = testutil_now_s();
	assert_int_equal(total, (size_t)n * strlen(sale));
	assert_string_equal(b.data, sale);
	print_message("pbjson_encode: %.0f sale events/s (%zu bytes each)\n",
	    n / (t1 - t0), b.len);

	t0 = testutil_now_s();
	for (int i = 0; i < nd; i++) {
		assert_int_equal(pbjson_decode_text(EV, sale, strlen(sale),
		    NULL, &d, NULL, 0), 0);
		protobuf_c_message_free_unpacked(d, NULL);
	}
	t1 = testutil_now_s();
	print_message("pbjson_decode_text: %.0f sale events/s\n",
	    nd / (t1 - t0));
	buf_free(&b);
	protobuf_c_message_free_unpacked(m, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_bodies),
		cmocka_unit_test(test_decoded_values),
		cmocka_unit_test(test_roundtrip_frame),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_grammar),
		cmocka_unit_test(test_error_truncated),
		cmocka_unit_test(test_text_forms),
		cmocka_unit_test(test_error_mid_message),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_int_limits),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_peek_string),
		cmocka_unit_test(test_roundtrip_property),
		cmocka_unit_test(test_time_forms),
		cmocka_unit_test(test_time_helpers),
		cmocka_unit_test(test_canonical_output),
		cmocka_unit_test(test_encode_hostile_strings),
		cmocka_unit_test(test_encode_edge_values),
		cmocka_unit_test(test_throughput),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
