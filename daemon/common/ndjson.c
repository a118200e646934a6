/*
 * ndjson_each: one object, an array or NDJSON, split into values with
 * pbjson_scan, which checks each value's grammar as strictly as the
 * decoder will and says where it ends. A bad NDJSON value is skipped up to
 * the next newline so that one broken line does not hide the lines after
 * it; an array is checked whole before any element is handed out.
 *
 * No state: any thread may call it.
 */
#include <string.h>

#include "ndjson.h"
#include "pbjson.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
skip_blank(const char *text, size_t len, size_t pos)
{
	while (pos < len && is_blank(text[pos]))
		pos++;
	return pos;
}

/*
 * The end of the value at text[pos], in text that pbjson_scan passed: only
 * the quotes of strings and the brackets matter then.
 */
static size_t
skip_value(const char *text, size_t len, size_t pos)
{
	size_t	depth = 0;

	do {
		switch (text[pos]) {
		case '"':
			for (pos++; text[pos] != '"'; pos++)
				if (text[pos] == '\\')
					pos++;
			pos++;
			break;
		case '{':
		case '[':
			depth++;
			pos++;
			break;
		case '}':
		case ']':
			depth--;
			pos++;
			break;
		default:
			if (depth > 0) {
				pos++;
				break;
			}
			/* a number or a literal, up to what follows it */
			while (pos < len && !is_blank(text[pos]) &&
			    text[pos] != ',' && text[pos] != ']')
				pos++;
			return pos;
		}
	} while (depth > 0);
	return pos;
}

static int
each_in_array(const char *text, size_t len, size_t pos, ndjson_fn fn,
    void *arg)
{
	char	err[PBJSON_ERR_MAX];
	size_t	end = pos, i = 0;
	int	rc;

	/* the whole text is the array: trailing bytes make it unreadable */
	if (pbjson_scan(text, len, &end, 1, PBJSON_SCAN_ALL, err,
	    sizeof(err)) != 0)
		return fn(arg, 0, NULL, 0, err);
	pos = skip_blank(text, len, pos + 1);
	while (text[pos] != ']') {
		end = skip_value(text, len, pos);
		if ((rc = fn(arg, i++, text + pos, end - pos, NULL)) != 0)
			return rc;
		pos = skip_blank(text, len, end);
		if (text[pos] == ',')
			pos = skip_blank(text, len, pos + 1);
	}
	return 0;
}

/* Where lines were counted up to, so that each byte is counted once. */
struct lines {
	size_t	counted;	/* text before it is counted */
	size_t	line;		/* the line of text[counted] */
	size_t	start;		/* where that line starts */
};

static void
count_lines(const char *text, size_t to, struct lines *l)
{
	const char	*nl;

	while ((nl = memchr(text + l->counted, '\n', to - l->counted)) !=
	    NULL) {
		l->line++;
		l->counted = l->start = (size_t)(nl - text) + 1;
	}
	l->counted = to;
}

static int
each_in_sequence(const char *text, size_t len, size_t pos,
    ndjson_take_fn take, ndjson_fn fn, void *arg)
{
	struct lines	 l = { .line = 1 };
	char		 err[PBJSON_ERR_MAX];
	const char	*nl;
	size_t		 end, index = 0, used;
	int		 rc;

	for (; pos < len; pos = skip_blank(text, len, pos), index++) {
		if (take != NULL && text[pos] == '{') {
			if ((rc = take(arg, index, text + pos, len - pos,
			    &used)) < 0)
				return rc;
			if (rc == 1) {
				pos += used;
				continue;
			}
		}
		end = pos;
		if (pbjson_scan(text, len, &end, 1, PBJSON_SCAN_CONTAINER,
		    NULL, 0) != 0) {
			/*
			 * Again from the start of its line, which is counted
			 * now: positions from the start of the text would make
			 * a body of bad lines cost the square of its length.
			 */
			count_lines(text, pos, &l);
			end = pos - l.start;
			(void)pbjson_scan(text + l.start, len - l.start, &end,
			    l.line, PBJSON_SCAN_CONTAINER, err, sizeof(err));
			if ((rc = fn(arg, index, NULL, 0, err)) != 0)
				return rc;
			nl = memchr(text + pos, '\n', len - pos);
			pos = nl != NULL ? (size_t)(nl - text) + 1 : len;
			continue;
		}
		if ((rc = fn(arg, index, text + pos, end - pos, NULL)) != 0)
			return rc;
		pos = end;
	}
	return 0;
}

int
ndjson_each_taking(const char *text, size_t len, ndjson_take_fn take,
    ndjson_fn fn, void *arg)
{
	size_t	pos = skip_blank(text, len, 0);

	if (pos == len)
		return 0;
	if (text[pos] == '[')
		return each_in_array(text, len, pos, fn, arg);
	return each_in_sequence(text, len, pos, take, fn, arg);
}

int
ndjson_each(const char *text, size_t len, ndjson_fn fn, void *arg)
{
	return ndjson_each_taking(text, len, NULL, fn, arg);
}
