/*
 * libFuzzer harness: a POST /v1/events body down the agent's JSON path,
 * as ingest_req_add_json and ingest_submit run it: ndjson_each splits the
 * body, pbjson_decode_text maps each value to an Event, validate_event
 * judges it with a fixed "now".
 *
 * Properties checked (an abort is a finding):
 *   - a refused value comes with a reason and no message; a value the
 *     splitter passed is JSON to the decoder too;
 *   - the whole input read as one value: pbjson_decode_text and
 *     pbjson_scan agree on whether it is JSON, with the same reason;
 *   - whatever decodes survives the mapper: decode(encode(ev)) succeeds
 *     and encodes byte for byte as ev did (pbjson.h: the encoding is
 *     canonical); a valid event still validates after it;
 *   - after validate_stamp (what the agent journals), the same holds for
 *     the JSON and for the protobuf bytes: unpack(pack(ev)) encodes as ev;
 *   - an object pbjson_decode_prefix takes (libmsosync's quick path) is
 *     one pbjson_scan passes, of the same length, decoding alone the same.
 * Anything ASan or UBSan sees on the way is a finding too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "events.pb-c.h"
#include "fuzz_util.h"
#include "ndjson.h"
#include "pbjson.h"
#include "validate.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

static const uint8_t	pepper[32] = {
	0x70, 0x65, 0x70, 0x70, 0x65, 0x72, 0x2d, 0x66,
	0x75, 0x7a, 0x7a, 0x2d, 0x6a, 0x73, 0x6f, 0x6e,
};

/* Encode ev, decode that, encode again: the two texts must be equal. */
static void
roundtrip(const Msosync__Event *ev, const char *what, int revalidate)
{
	ProtobufCMessage	*m = NULL;
	struct buf		 a = { 0 }, b = { 0 };
	char			 err[PBJSON_ERR_MAX] = "";
	int			 rc;

	pbjson_encode(&ev->base, &a);
	rc = pbjson_decode_text(&msosync__event__descriptor, a.data, a.len, NULL,
	    &m, err, sizeof(err));
	if (rc != 0)
		fuzz_fail("%s: its own encoding does not decode (%s): %s",
		    what, err, a.data);
	pbjson_encode(m, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		fuzz_fail("%s: re-encoding differs:\n  %s\n  %s", what, a.data,
		    b.data);
	if (revalidate && validate_event((const Msosync__Event *)m,
	    FUZZ_NOW_MS, err, sizeof(err)) != 0)
		fuzz_fail("%s: valid, but not after a round trip (%s): %s",
		    what, err, a.data);
	protobuf_c_message_free_unpacked(m, NULL);
	buf_free(&a);
	buf_free(&b);
}

/* The journaled form: protobuf bytes, read back by the sender and hub. */
static void
pack_roundtrip(const Msosync__Event *ev)
{
	Msosync__Event	*back;
	struct buf	 a = { 0 }, b = { 0 };
	uint8_t		*bytes;
	size_t		 len;

	len = msosync__event__get_packed_size(ev);
	bytes = malloc(len ? len : 1);
	if (bytes == NULL)
		abort();
	if (msosync__event__pack(ev, bytes) != len)
		fuzz_fail("pack wrote another length than it announced");
	back = msosync__event__unpack(NULL, len, bytes);
	if (back == NULL)
		fuzz_fail("a packed stamped event does not unpack");
	pbjson_encode(&ev->base, &a);
	pbjson_encode(&back->base, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		fuzz_fail("pack/unpack changed the event:\n  %s\n  %s", a.data,
		    b.data);
	msosync__event__free_unpacked(back, NULL);
	free(bytes);
	buf_free(&a);
	buf_free(&b);
}

/*
 * Whether a decoder's error is a fault of the text: "invalid JSON: ...
 * at line L column C". A field's error may start with anything a key
 * spells, but it ends with a fixed reason or a quoted value.
 */
static int
is_syntax(const char *err)
{
	const char	*p = err + strlen(err);

	if (strncmp(err, "invalid JSON: ", 14) != 0)
		return 0;
	while (p > err && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return *p != '\0' && p - err >= 8 && strncmp(p - 8, " column ", 8) == 0;
}

static int
on_value(void *arg, size_t index, const char *value, size_t vlen,
    const char *perr)
{
	ProtobufCMessage	*m = NULL;
	Msosync__Event		*ev;
	char			 err[PBJSON_ERR_MAX] = "", id[PBJSON_ERR_MAX];

	(void)arg;
	(void)index;
	if (value == NULL) {
		if (perr == NULL || perr[0] == '\0')
			fuzz_fail("ndjson_each: neither a value nor an error");
		return 0;
	}
	if (perr != NULL)
		fuzz_fail("ndjson_each: a value and an error");
	if (pbjson_decode_text(&msosync__event__descriptor, value, vlen,
	    NULL, &m, err, sizeof(err)) != 0) {
		if (m != NULL || err[0] == '\0')
			fuzz_fail("pbjson_decode_text failed without a reason, "
			    "or with a message");
		/* the splitter passed it: the decoder must agree it is JSON */
		if (is_syntax(err))
			fuzz_fail("a value ndjson_each passed is not JSON to "
			    "the decoder: %s", err);
		(void)pbjson_peek_string(value, vlen, "event_id", id,
		    sizeof(id));
		return 0;
	}
	ev = (Msosync__Event *)m;
	if (validate_event(ev, FUZZ_NOW_MS, err, sizeof(err)) == 0) {
		roundtrip(ev, "valid event", 1);
		validate_stamp(ev, FUZZ_SITE, FUZZ_NOW_MS, pepper, NULL);
		roundtrip(ev, "stamped event", 0);
		pack_roundtrip(ev);
	} else if (err[0] == '\0')
		fuzz_fail("validate_event refused without a reason");
	else
		roundtrip(ev, "decoded event", 0);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

/*
 * The whole input as one value: the decoder and pbjson_scan must agree on
 * what is JSON, in the same words.
 */
static void
whole_text(const char *text, size_t len)
{
	ProtobufCMessage	*m = NULL;
	char			 err[PBJSON_ERR_MAX], serr[PBJSON_ERR_MAX];
	char			 want[PBJSON_ERR_MAX + 16];
	size_t			 pos = 0;
	int			 rc, src;

	rc = pbjson_decode_text(&msosync__event__descriptor, text, len,
	    NULL, &m, err, sizeof(err));
	src = pbjson_scan(text, len, &pos, 1, PBJSON_SCAN_ALL, serr,
	    sizeof(serr));
	if (rc == 0) {
		if (src != 0)
			fuzz_fail("decoded, yet pbjson_scan refuses it: %s",
			    serr);
		protobuf_c_message_free_unpacked(m, NULL);
		return;
	}
	if (m != NULL || err[0] == '\0')
		fuzz_fail("pbjson_decode_text failed without a reason, or "
		    "with a message");
	if (src != 0) {
		snprintf(want, sizeof(want), "invalid JSON: %s", serr);
		if (strncmp(err, want, sizeof(err) - 1) != 0)
			fuzz_fail("the decoder and pbjson_scan differ:\n  %s\n"
			    "  %s", err, want);
	} else if (is_syntax(err))
		fuzz_fail("pbjson_scan passes what the decoder calls not "
		    "JSON: %s", err);
}

/*
 * libmsosync's quick path: an object pbjson_decode_prefix takes must be
 * one pbjson_scan passes, ending where the decoder stopped, and it must
 * decode alone to the same event.
 */
static void
prefix(const char *text, size_t len)
{
	ProtobufCMessage	*m = NULL, *again = NULL;
	struct buf		 a = { 0 }, b = { 0 };
	size_t			 used = 0, end = 0;

	if (pbjson_decode_prefix(&msosync__event__descriptor, text, len, NULL,
	    &m, &used) != 0) {
		if (m != NULL)
			fuzz_fail("pbjson_decode_prefix failed with a message");
		return;
	}
	if (pbjson_scan(text, len, &end, 1, PBJSON_SCAN_CONTAINER, NULL, 0)
	    != 0 || end != used)
		fuzz_fail("the decoder took %zu bytes as an object, "
		    "pbjson_scan %zu", used, end);
	if (pbjson_decode_text(&msosync__event__descriptor, text, used, NULL,
	    &again, NULL, 0) != 0)
		fuzz_fail("an object the prefix decoder took does not decode "
		    "alone");
	pbjson_encode(m, &a);
	pbjson_encode(again, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		fuzz_fail("the prefix decoder read another event:\n  %s\n  %s",
		    a.data, b.data);
	protobuf_c_message_free_unpacked(m, NULL);
	protobuf_c_message_free_unpacked(again, NULL);
	buf_free(&a);
	buf_free(&b);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* business dates as an agent with timezone = UTC computes them */
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)ndjson_each((const char *)data, size, on_value, NULL);
	whole_text((const char *)data, size);
	prefix((const char *)data, size);
	return 0;
}
