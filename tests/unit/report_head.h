/*
 * The head every report's JSON carries (DESIGN §6): "from", "to", "by".
 * For the tests of query.c; include after cmocka.h and jansson.h.
 */
#ifndef MSOSYNC_TEST_REPORT_HEAD_H
#define MSOSYNC_TEST_REPORT_HEAD_H

static inline void
assert_report_head(const json_t *doc, const char *from, const char *to,
    const char *by)
{
	assert_string_equal(json_string_value(json_object_get(doc, "from")),
	    from);
	assert_string_equal(json_string_value(json_object_get(doc, "to")), to);
	assert_string_equal(json_string_value(json_object_get(doc, "by")), by);
}

#endif
