/*
 * Unit tests for the JSON <-> protobuf mapper (proto/pbjson.c): canonical
 * round trips of every event body and of a wire frame, the strict-mode
 * error catalogue with exact messages and paths, the time and date forms,
 * and an encode throughput figure (printed, never asserted).
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
#include "wire.pb-c.h"

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

	rc = pbjson_decode_text(desc, text, strlen(text), &m, err, sizeof(err));
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
	{ EV, "{\"event_id\":\"caf\xff\",\"void\":{}}",
	    "invalid UTF-8 at offset 16" },
	{ EV, "{\"event_id\":\"a\",\"event_id\":\"b\",\"void\":{}}",
	    "invalid JSON at line 1 column 26: duplicate object key near "
	    "'\"event_id\"'" },
	{ EV, "{\"event_id\":\"a\"", "invalid JSON at line 1 column 15: "
	    "'}' expected near end of file" },
	{ EV, "{\"event_id\":\"a\"} {}", "invalid JSON at line 1 column 18: "
	    "end of file expected near '{'" },
	{ EV, "{\"event_id\":\"\\u0000\",\"void\":{}}",
	    "invalid JSON at line 1 column 20: \\u0000 in a string" },
};

static void
test_errors(void **state)
{
	ProtobufCMessage	*m;
	char			 err[PBJSON_ERR_MAX];
	size_t			 ncases = sizeof(bad_cases) / sizeof(bad_cases[0]);
	int			 failed = 0;

	(void)state;
	/* Every mismatch is printed before the test fails. */
	for (size_t i = 0; i < ncases; i++) {
		const struct bad_case *c = &bad_cases[i];
		int rc;

		m = (ProtobufCMessage *)&m;	/* any non-NULL: must be reset */
		memset(err, 'x', sizeof(err));
		rc = pbjson_decode_text(c->desc, c->text, strlen(c->text), &m,
		    err, sizeof(err));
		if (rc != MSOSYNC_EINVAL || m != NULL ||
		    strcmp(err, c->want) != 0) {
			print_error("case %zu: %s\n  want: %s\n  got rc %d: %s\n",
			    i, c->text, c->want, rc, err);
			failed++;
		}
		/* No message buffer at all is fine too. */
		m = (ProtobufCMessage *)&m;
		rc = pbjson_decode_text(c->desc, c->text, strlen(c->text), &m,
		    NULL, 0);
		assert_int_equal(rc, MSOSYNC_EINVAL);
		assert_null(m);
	}
	assert_int_equal(failed, 0);
}

static void
test_error_truncated(void **state)
{
	ProtobufCMessage	*m;
	char			 err[12];
	const char		*t = HEAD "\"sale\":{\"units\":-1}}";

	(void)state;
	assert_int_equal(pbjson_decode_text(EV, t, strlen(t), &m, err,
	    sizeof(err)), MSOSYNC_EINVAL);
	assert_string_equal(err, "sale.units:");
}

static void
test_decode_tree(void **state)
{
	ProtobufCMessage	*m;
	Msosync__Event		*ev;
	char			 err[PBJSON_ERR_MAX];
	json_t			*j;

	(void)state;
	/* A tree built in C gets the same checks as parsed text. */
	j = json_pack("{s:s, s:{s:s}}", "event_id", "t-1", "void",
	    "voided_event_id", "x");
	assert_int_equal(pbjson_decode(EV, j, &m, err, sizeof(err)), 0);
	ev = (Msosync__Event *)m;
	assert_string_equal(ev->void_->voided_event_id, "x");
	protobuf_c_message_free_unpacked(m, NULL);
	json_decref(j);

	j = json_pack("{s:s#, s:{}}", "event_id", "a\0b", (int)3, "void");
	assert_int_equal(pbjson_decode(EV, j, &m, err, sizeof(err)),
	    MSOSYNC_EINVAL);
	assert_null(m);
	assert_string_equal(err, "event_id: NUL character in string");
	json_decref(j);

	j = json_object();
	assert_int_equal(json_object_set_new(j, "event_id",
	    json_stringn_nocheck("\xc0\xaf", 2)), 0);
	assert_int_equal(json_object_set_new(j, "void", json_object()), 0);
	assert_int_equal(pbjson_decode(EV, j, &m, err, sizeof(err)),
	    MSOSYNC_EINVAL);
	assert_string_equal(err, "event_id: invalid UTF-8");
	json_decref(j);

	assert_int_equal(pbjson_decode(EV, json_null(), &m, err, sizeof(err)),
	    MSOSYNC_EINVAL);
	assert_string_equal(err, "expected an object");
	assert_int_equal(pbjson_decode(EV, NULL, &m, err, sizeof(err)),
	    MSOSYNC_EINVAL);
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

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		buf_reset(&b);
		pbjson_encode(m, &b);
		total += b.len;
	}
	t1 = now_s();
	assert_int_equal(total, (size_t)n * strlen(sale));
	assert_string_equal(b.data, sale);
	print_message("pbjson_encode: %.0f sale events/s (%zu bytes each)\n",
	    n / (t1 - t0), b.len);

	t0 = now_s();
	for (int i = 0; i < nd; i++) {
		assert_int_equal(pbjson_decode_text(EV, sale, strlen(sale), &d,
		    NULL, 0), 0);
		protobuf_c_message_free_unpacked(d, NULL);
	}
	t1 = now_s();
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
		cmocka_unit_test(test_error_truncated),
		cmocka_unit_test(test_decode_tree),
		cmocka_unit_test(test_time_forms),
		cmocka_unit_test(test_time_helpers),
		cmocka_unit_test(test_canonical_output),
		cmocka_unit_test(test_encode_hostile_strings),
		cmocka_unit_test(test_encode_edge_values),
		cmocka_unit_test(test_throughput),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
