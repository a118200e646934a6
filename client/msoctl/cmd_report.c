/*
 * msoctl report and contracts: the hub's reports (DESIGN §6, §9) for a
 * person (an aligned table), for a spreadsheet (CSV) or for a program
 * (the hub's JSON). Owns the flattening of a report's rows into columns
 * (nested objects become "parent.child"; a list, such as a vendors
 * report's by_contract, stays JSON in a CSV cell and becomes a table of
 * its own under a report's figures) and the display rules: money in
 * dollars with thousands separators, ratios as percentages, null as "-".
 * A table shows one row a figure and one column a group while that fits
 * in TABLE_WIDTH columns, else one row a group with the figures that fit.
 * The figures themselves are the hub's; nothing here recomputes them.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cmds.h"
#include "ctlconf.h"
#include "hub_client.h"
#include "opts.h"
#include "pbjson.h"
#include "xmalloc.h"

#define TABLE_WIDTH	120	/* what a table may take, in columns */
#define TEXT_MAX	28	/* longest text cell shown in a table */
#define CELL_MAX	64

static const char *const report_usage =
    "usage: msoctl report kpis|financials|vendors|compliance --from DATE "
    "--to DATE\n"
    "           [--site ID] [--by day|month|site|franchise] "
    "[--format table|csv|json]\n"
    "       msoctl report fees --period YYYY-MM [--site ID] "
    "[--format table|csv|json]\n"
    "       (and --hub URL, --token T or MSOSYNC_TOKEN, --config FILE)\n";

static const char *const contracts_usage =
    "usage: msoctl contracts [--expiring-within DAYS] "
    "[--format table|csv|json]\n"
    "           [--hub URL] [--token T] [--config FILE]\n";

/* How a figure reads to a person; the JSON and CSV keep raw values. */
enum shape {
	SH_TEXT,	/* strings, booleans, group keys */
	SH_COUNT,	/* integers with thousands separators */
	SH_MONEY,	/* integer cents shown as dollars */
	SH_RATIO,	/* a fraction shown as a percentage */
	SH_BP,		/* basis points shown as a percentage */
	SH_NUMBER,	/* anything else: one decimal */
};

/*
 * A report's rows flattened: cols[] are the leaf names ("gross_sales",
 * "sales_by_category.laser"), and flat[i] maps each name to row i's leaf
 * (borrowed from the document). key is the group key column or NULL.
 */
struct sheet {
	char		**cols;
	size_t		  ncols;
	int		 *is_array;	/* column c holds lists */
	json_t		**flat;
	size_t		  nrows;
	const char	 *key;
};

/* ---- flattening ------------------------------------------------------ */

static void
flatten(json_t *obj, const char *prefix, json_t *flat)
{
	const char	*k;
	json_t		*v;

	json_object_foreach(obj, k, v) {
		char *name;

		if (*prefix)
			name = xasprintf("%s.%s", prefix, k);
		else
			name = xstrdup(k);
		if (json_is_object(v))
			flatten(v, name, flat);
		else
			json_object_set(flat, name, v);
		free(name);
	}
}

/* Flatten rows[] (objects); the columns are the union, in first-seen
 * order, with 'key' (when a row has it) first. */
static void
sheet_build(struct sheet *s, json_t *rows, const char *key)
{
	json_t		*seen = json_object(), *row, *v;
	size_t		 i, cap = 0;
	const char	*k;

	memset(s, 0, sizeof(*s));
	s->nrows = json_array_size(rows);
	s->flat = xcalloc(s->nrows ? s->nrows : 1, sizeof(*s->flat));
	json_array_foreach(rows, i, row) {
		s->flat[i] = json_object();
		if (json_is_object(row))
			flatten(row, "", s->flat[i]);
		if (key && json_object_get(s->flat[i], key) &&
		    json_object_get(seen, key) == NULL) {
			/* the key goes first whatever order the hub used */
			json_object_set_new(seen, key, json_true());
			if (s->ncols == cap) {
				cap = cap ? 2 * cap : 64;
				s->cols = xrealloc(s->cols, cap *
				    sizeof(*s->cols));
			}
			memmove(s->cols + 1, s->cols, s->ncols *
			    sizeof(*s->cols));
			s->cols[0] = xstrdup(key);
			s->ncols++;
			s->key = s->cols[0];
		}
		json_object_foreach(s->flat[i], k, v) {
			if (json_object_get(seen, k))
				continue;
			json_object_set_new(seen, k, json_true());
			if (s->ncols == cap) {
				cap = cap ? 2 * cap : 64;
				s->cols = xrealloc(s->cols, cap *
				    sizeof(*s->cols));
			}
			s->cols[s->ncols++] = xstrdup(k);
		}
	}
	json_decref(seen);
	s->is_array = xcalloc(s->ncols ? s->ncols : 1, sizeof(*s->is_array));
	for (size_t c = 0; c < s->ncols; c++)
		for (i = 0; i < s->nrows && !s->is_array[c]; i++)
			s->is_array[c] = json_is_array(json_object_get(
			    s->flat[i], s->cols[c]));
}

static void
sheet_free(struct sheet *s)
{
	for (size_t i = 0; i < s->ncols; i++)
		free(s->cols[i]);
	for (size_t i = 0; i < s->nrows; i++)
		json_decref(s->flat[i]);
	free(s->cols);
	free(s->is_array);
	free(s->flat);
	memset(s, 0, sizeof(*s));
}

/* ---- what a column holds --------------------------------------------- */

static int
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t	m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int
seg_has(const char *s, size_t n, const char *word)
{
	size_t	m = strlen(word);

	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(s + i, word, m) == 0)
			return 1;
	return 0;
}

/* Judge one segment of a column's name; -1 when it says nothing. */
static int
shape_of_seg(const char *seg, size_t len)
{
	static const char *const ratio_ends[] = { "_pct", "_rate", "_ratio",
	    "_share" };
	static const char *const count_words[] = { "tickets", "clients",
	    "count", "appointments", "appt", "leads", "staff", "orders",
	    "units", "contracts", "checks", "findings", "events", "days",
	    "quantity", "completed", "no_show", "cancelled", "booked",
	    "licenses", "trainings", "expiring", "expired", "shifts" };
	static const char *const money_words[] = { "_cents", "sales",
	    "revenue", "refund", "collection", "spend", "cost", "expense",
	    "fee", "rebate", "variance", "ticket", "price", "commit",
	    "payment", "stored_value", "amount", "payroll", "cash", "discount",
	    "tax" };

	for (size_t i = 0; i < sizeof(ratio_ends) / sizeof(ratio_ends[0]); i++)
		if (ends_with(seg, len, ratio_ends[i]))
			return SH_RATIO;
	if (seg_has(seg, len, "conversion"))
		return SH_RATIO;
	if (ends_with(seg, len, "_bp") || seg_has(seg, len, "_bp_"))
		return SH_BP;
	/* "avg_ticket" is money, "tickets" a count */
	if (len == 10 && memcmp(seg, "avg_ticket", 10) == 0)
		return SH_MONEY;
	if (seg_has(seg, len, "hour") && !seg_has(seg, len, "per_"))
		return SH_NUMBER;
	/* "discounts" holds "count" but is money */
	if (seg_has(seg, len, "discount"))
		return SH_MONEY;
	for (size_t i = 0; i < sizeof(count_words) / sizeof(count_words[0]);
	    i++)
		if (seg_has(seg, len, count_words[i]))
			return SH_COUNT;
	for (size_t i = 0; i < sizeof(money_words) / sizeof(money_words[0]);
	    i++)
		if (seg_has(seg, len, money_words[i]))
			return SH_MONEY;
	return -1;
}

/*
 * Judge a column by its name, from the outermost segment in, so that a
 * breakdown's parts take the breakdown's unit: "sales_by_category.laser"
 * is money, "lead_conversion_by_source.web" a ratio, "events.refund" a
 * count. The names are DESIGN §6's and the aggregates' counters'.
 */
static enum shape
shape_of(const char *col)
{
	for (const char *seg = col; *seg; ) {
		size_t	len = strcspn(seg, ".");
		int	sh = shape_of_seg(seg, len);

		if (sh >= 0)
			return (enum shape)sh;
		seg += len;
		seg += *seg == '.';
	}
	return SH_COUNT;
}

static int
is_key_col(const char *col)
{
	return strcmp(col, "site_id") == 0 || strcmp(col, "date") == 0 ||
	    strcmp(col, "month") == 0;
}

/* ---- formatting ------------------------------------------------------ */

/* 'scaled' / 10^dec with thousands separators: 1234567, 2 -> 12,345.67 */
static void
fmt_fixed(char *out, size_t outlen, long long scaled, int dec)
{
	char			 digits[32], tmp[48];
	unsigned long long	 u = scaled < 0 ? 0ULL - (unsigned long long)scaled :
				     (unsigned long long)scaled;
	unsigned long long	 p = 1, whole, frac;
	size_t			 n, j = 0;

	for (int i = 0; i < dec; i++)
		p *= 10;
	whole = u / p;
	frac = u % p;
	n = (size_t)snprintf(digits, sizeof(digits), "%llu", whole);
	if (scaled < 0)
		tmp[j++] = '-';
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			tmp[j++] = ',';
		tmp[j++] = digits[i];
	}
	tmp[j] = '\0';
	if (dec > 0) {
		char	f[24];

		snprintf(f, sizeof(f), "%0*llu", dec > 18 ? 18 : dec, frac);
		snprintf(out, outlen, "%s.%s", tmp, f);
	}
	else
		snprintf(out, outlen, "%s", tmp);
}

static long long
round_ll(double v)
{
	if (!isfinite(v) || fabs(v) > 9e18)
		return 0;
	return llround(v);
}

/* Shortest decimal that reads back as the same double. */
static void
fmt_real(char *out, size_t outlen, double v)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, outlen, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

/* Display width of UTF-8 text: one column a code point. */
static size_t
text_width(const char *s)
{
	size_t	w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* Copy at most TEXT_MAX columns of 's', marking a cut with '~'. */
static void
fmt_text(char *out, size_t outlen, const char *s)
{
	size_t	w = 0, i = 0;

	for (; s[i] && i + 5 < outlen; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++w > TEXT_MAX)
			break;
		out[i] = s[i];
	}
	out[i] = '\0';
	if (s[i] != '\0' && i > 0) {
		while (i > 0 && ((unsigned char)out[i - 1] & 0xc0) == 0x80)
			i--;	/* never cut a code point in two */
		if (i > 0)
			i--;
		out[i] = '~';
		out[i + 1] = '\0';
	}
}

/* A value as a person reads it in a table cell. */
static void
fmt_cell(char *out, size_t outlen, json_t *v, enum shape sh)
{
	double	d = json_number_value(v);

	if (v == NULL || json_is_null(v)) {
		snprintf(out, outlen, "-");
		return;
	}
	if (json_is_string(v)) {
		fmt_text(out, outlen, json_string_value(v));
		return;
	}
	if (json_is_boolean(v)) {
		snprintf(out, outlen, "%s", json_is_true(v) ? "yes" : "no");
		return;
	}
	if (!json_is_number(v)) {
		char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		fmt_text(out, outlen, t ? t : "");
		free(t);
		return;
	}
	switch (sh) {
	case SH_TEXT:
		if (json_is_integer(v))
			snprintf(out, outlen, "%lld",
			    (long long)json_integer_value(v));
		else
			fmt_real(out, outlen, d);
		break;
	case SH_MONEY:
		fmt_fixed(out, outlen, json_is_integer(v) ?
		    (long long)json_integer_value(v) : round_ll(d), 2);
		break;
	case SH_RATIO:
		fmt_fixed(out, outlen, round_ll(d * 1000.0), 1);
		strncat(out, "%", outlen - strlen(out) - 1);
		break;
	case SH_BP:
		fmt_fixed(out, outlen, round_ll(d), 2);
		strncat(out, "%", outlen - strlen(out) - 1);
		break;
	case SH_COUNT:
		if (json_is_integer(v)) {
			fmt_fixed(out, outlen,
			    (long long)json_integer_value(v), 0);
			break;
		}
		/* FALLTHROUGH */
	case SH_NUMBER:
		fmt_fixed(out, outlen, round_ll(d * 10.0), 1);
		break;
	}
}

/* A value as CSV wants it: raw, money in integer cents, null empty. */
static void
csv_cell(FILE *f, json_t *v, enum shape sh)
{
	char		 num[40];
	char		*t = NULL;
	const char	*s;

	if (v == NULL || json_is_null(v))
		return;
	if (json_is_integer(v)) {
		fprintf(f, "%lld", (long long)json_integer_value(v));
		return;
	}
	if (json_is_real(v)) {
		if (sh == SH_MONEY)
			fprintf(f, "%lld", round_ll(json_real_value(v)));
		else {
			fmt_real(num, sizeof(num), json_real_value(v));
			fputs(num, f);
		}
		return;
	}
	if (json_is_boolean(v)) {
		fputs(json_is_true(v) ? "true" : "false", f);
		return;
	}
	if (json_is_string(v))
		s = json_string_value(v);
	else
		s = t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
	} else {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	}
	free(t);
}

static void
csv_name(FILE *f, const char *name)
{
	json_t	*s = json_string(name);

	csv_cell(f, s, SH_TEXT);
	json_decref(s);
}

static void
print_csv(const struct sheet *s)
{
	for (size_t c = 0; c < s->ncols; c++) {
		if (c)
			putchar(',');
		csv_name(stdout, s->cols[c]);
	}
	putchar('\n');
	for (size_t r = 0; r < s->nrows; r++) {
		for (size_t c = 0; c < s->ncols; c++) {
			if (c)
				putchar(',');
			csv_cell(stdout, json_object_get(s->flat[r],
			    s->cols[c]), is_key_col(s->cols[c]) ? SH_TEXT :
			    shape_of(s->cols[c]));
		}
		putchar('\n');
	}
}

static void
print_json(json_t *doc)
{
	char	*t = json_dumps(doc, JSON_INDENT(2));

	printf("%s\n", t ? t : "null");
	free(t);
}

/* ---- aligned tables -------------------------------------------------- */

/* A grid of text cells: row 0 is the header; right[c] aligns column c. */
struct grid {
	size_t	  ncols, nrows, cap;
	char	**cell;
	int	 *right;
	size_t	 *width;
};

static void
grid_init(struct grid *g, size_t ncols)
{
	memset(g, 0, sizeof(*g));
	g->ncols = ncols;
	g->right = xcalloc(ncols, sizeof(*g->right));
	g->width = xcalloc(ncols, sizeof(*g->width));
}

/* Append a row; its cells are copied. */
static void
grid_add(struct grid *g, char *const *cells)
{
	if (g->nrows == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 32;
		g->cell = xrealloc(g->cell, g->cap * g->ncols *
		    sizeof(*g->cell));
	}
	for (size_t c = 0; c < g->ncols; c++) {
		size_t w;

		g->cell[g->nrows * g->ncols + c] = xstrdup(cells[c]);
		if ((w = text_width(cells[c])) > g->width[c])
			g->width[c] = w;
	}
	g->nrows++;
}

/* The width the grid takes printed, columns two spaces apart. */
static size_t
grid_width(const struct grid *g)
{
	size_t	w = 0;

	for (size_t c = 0; c < g->ncols; c++)
		w += g->width[c] + (c ? 2 : 0);
	return w;
}

static void
grid_print(const struct grid *g)
{
	struct buf	line = { 0 };

	for (size_t r = 0; r < g->nrows; r++) {
		buf_reset(&line);
		for (size_t c = 0; c < g->ncols; c++) {
			const char	*t = g->cell[r * g->ncols + c];
			size_t		 pad = g->width[c] - text_width(t);

			if (c)
				buf_puts(&line, "  ");
			if (g->right[c])
				buf_printf(&line, "%*s%s", (int)pad, "", t);
			else
				buf_printf(&line, "%s%*s", t, (int)pad, "");
		}
		while (line.len > 0 && line.data[line.len - 1] == ' ')
			line.data[--line.len] = '\0';
		printf("%s\n", line.len ? line.data : "");
		if (r == 0) {
			for (size_t c = 0; c < g->ncols; c++) {
				if (c)
					fputs("  ", stdout);
				for (size_t i = 0; i < g->width[c]; i++)
					putchar('-');
			}
			putchar('\n');
		}
	}
	buf_free(&line);
}

static void
grid_free(struct grid *g)
{
	for (size_t i = 0; i < g->nrows * g->ncols; i++)
		free(g->cell[i]);
	free(g->cell);
	free(g->right);
	free(g->width);
	memset(g, 0, sizeof(*g));
}

/* The heading of row r's group: "site 3", "2026-11-20", "franchise". */
static void
group_label(const struct sheet *s, size_t r, char *out, size_t outlen)
{
	json_t	*v = s->key ? json_object_get(s->flat[r], s->key) : NULL;

	if (v == NULL)
		snprintf(out, outlen, "franchise");
	else if (strcmp(s->key, "site_id") == 0)
		snprintf(out, outlen, "site %lld",
		    (long long)json_integer_value(v));
	else
		fmt_cell(out, outlen, v, SH_TEXT);
}

/*
 * One row a figure, one column a group. A breakdown gets a heading row
 * with its name and its parts indented below it.
 */
static void
transposed(const struct sheet *s, struct grid *g)
{
	char		**cells = xcalloc(s->nrows + 1, sizeof(*cells));
	char		  buf[CELL_MAX];
	const char	 *parent = NULL;
	size_t		  plen = 0;

	grid_init(g, s->nrows + 1);
	for (size_t c = 0; c <= s->nrows; c++) {
		cells[c] = xmalloc(CELL_MAX);
		g->right[c] = c > 0;
	}
	snprintf(cells[0], CELL_MAX, "figure");
	for (size_t r = 0; r < s->nrows; r++)
		group_label(s, r, cells[r + 1], CELL_MAX);
	grid_add(g, cells);
	for (size_t c = 0; c < s->ncols; c++) {
		const char	*name = s->cols[c], *dot = strrchr(name, '.');
		enum shape	 sh = shape_of(name);

		if ((s->key && strcmp(name, s->key) == 0) || s->is_array[c])
			continue;
		if (dot == NULL)
			parent = NULL;
		else if (parent == NULL || plen != (size_t)(dot - name) ||
		    strncmp(parent, name, plen) != 0) {
			parent = name;
			plen = (size_t)(dot - name);
			snprintf(buf, sizeof(buf), "%.*s", (int)plen, name);
			fmt_text(cells[0], CELL_MAX, buf);
			for (size_t r = 0; r < s->nrows; r++)
				cells[r + 1][0] = '\0';
			grid_add(g, cells);
		}
		if (dot) {
			snprintf(buf, sizeof(buf), "  %s", dot + 1);
			fmt_text(cells[0], CELL_MAX, buf);
		} else
			fmt_text(cells[0], CELL_MAX, name);
		for (size_t r = 0; r < s->nrows; r++) {
			fmt_cell(buf, sizeof(buf),
			    json_object_get(s->flat[r], name), sh);
			snprintf(cells[r + 1], CELL_MAX, "%s", buf);
		}
		grid_add(g, cells);
	}
	for (size_t c = 0; c <= s->nrows; c++)
		free(cells[c]);
	free(cells);
}

/*
 * One row a group: the group, then the report's main figures, then
 * other single figures while the table stays within TABLE_WIDTH.
 * Returns how many columns were left out.
 */
static size_t
wide(const struct sheet *s, const char *const *main_cols, struct grid *g)
{
	size_t	 *pick = xcalloc(s->ncols + 1, sizeof(*pick));
	int	 *keep;
	char	**cells;
	size_t	  npick = 0, width = 0, shown = 0;
	char	  buf[CELL_MAX];

	/* the main figures first, in the order given */
	for (size_t m = 0; main_cols[m]; m++)
		for (size_t c = 0; c < s->ncols; c++)
			if (strcmp(s->cols[c], main_cols[m]) == 0)
				pick[npick++] = c;
	for (size_t c = 0; c < s->ncols; c++) {
		int	taken = s->key && strcmp(s->cols[c], s->key) == 0;

		for (size_t i = 0; i < npick && !taken; i++)
			taken = pick[i] == c;
		if (!taken && !s->is_array[c] && strchr(s->cols[c], '.') == NULL)
			pick[npick++] = c;
	}

	/* measure every candidate column, keep those that fit */
	grid_init(g, npick + 1);
	cells = xcalloc(npick + 1, sizeof(*cells));
	for (size_t c = 0; c <= npick; c++)
		cells[c] = xmalloc(CELL_MAX);
	snprintf(cells[0], CELL_MAX, "%s", s->key ? s->key : "group");
	for (size_t i = 0; i < npick; i++)
		fmt_text(cells[i + 1], CELL_MAX, s->cols[pick[i]]);
	grid_add(g, cells);
	for (size_t r = 0; r < s->nrows; r++) {
		group_label(s, r, cells[0], CELL_MAX);
		for (size_t i = 0; i < npick; i++) {
			fmt_cell(buf, sizeof(buf), json_object_get(s->flat[r],
			    s->cols[pick[i]]), shape_of(s->cols[pick[i]]));
			snprintf(cells[i + 1], CELL_MAX, "%s", buf);
		}
		grid_add(g, cells);
	}
	/* keep, in order, each column that still fits */
	keep = xcalloc(g->ncols, sizeof(*keep));
	keep[0] = 1;
	width = g->width[0];
	shown = 1;
	for (size_t c = 1; c < g->ncols; c++)
		if (width + 2 + g->width[c] <= TABLE_WIDTH) {
			width += 2 + g->width[c];
			keep[c] = 1;
			shown++;
		}
	for (size_t r = 0; r < g->nrows; r++) {
		size_t k = 0;

		for (size_t c = 0; c < g->ncols; c++) {
			char *t = g->cell[r * g->ncols + c];

			if (keep[c])
				g->cell[r * shown + k++] = t;
			else
				free(t);
		}
	}
	for (size_t c = 0, k = 0; c < g->ncols; c++)
		if (keep[c]) {
			g->width[k] = g->width[c];
			g->right[k++] = c > 0;
		}
	g->ncols = shown;
	free(keep);
	for (size_t c = 0; c <= npick; c++)
		free(cells[c]);
	free(cells);
	free(pick);
	npick = 0;
	for (size_t c = 0; c < s->ncols; c++)
		npick += !s->is_array[c] && !(s->key && strcmp(s->cols[c],
		    s->key) == 0);
	return npick - (shown - 1);
}

/*
 * Each list column (by_vendor, by_contract, licenses_expiring) as a table
 * of its own under the figures: one line an item, led by its group when
 * the item does not say it.
 */
static void
print_lists(const struct sheet *s)
{
	for (size_t c = 0; c < s->ncols; c++) {
		struct sheet	 sub;
		struct grid	 g;
		json_t		*items, *item, *v;
		char		**cells;
		size_t		 i;

		if (!s->is_array[c])
			continue;
		items = json_array();
		for (size_t r = 0; r < s->nrows; r++)
			json_array_foreach(json_object_get(s->flat[r],
			    s->cols[c]), i, item) {
				json_t	*o = json_object();

				if (s->key && (v = json_object_get(s->flat[r],
				    s->key)) != NULL && json_is_object(item) &&
				    json_object_get(item, s->key) == NULL)
					json_object_set(o, s->key, v);
				if (json_is_object(item))
					json_object_update(o, item);
				else
					json_object_set(o, "value", item);
				json_array_append_new(items, o);
			}
		printf("\n%s\n", s->cols[c]);
		sheet_build(&sub, items, s->key);
		if (sub.nrows == 0 || sub.ncols == 0) {
			printf("(none)\n");
			sheet_free(&sub);
			json_decref(items);
			continue;
		}
		putchar('\n');
		grid_init(&g, sub.ncols);
		cells = xcalloc(sub.ncols, sizeof(*cells));
		for (size_t k = 0; k < sub.ncols; k++) {
			cells[k] = xmalloc(CELL_MAX);
			fmt_text(cells[k], CELL_MAX, sub.cols[k]);
		}
		grid_add(&g, cells);
		for (size_t r = 0; r < sub.nrows; r++) {
			for (size_t k = 0; k < sub.ncols; k++) {
				enum shape sh = is_key_col(sub.cols[k]) ?
				    SH_TEXT : shape_of(sub.cols[k]);

				v = json_object_get(sub.flat[r], sub.cols[k]);
				fmt_cell(cells[k], CELL_MAX, v, json_is_string(v) ?
				    SH_TEXT : sh);
				g.right[k] |= json_is_number(v);
			}
			grid_add(&g, cells);
		}
		grid_print(&g);
		for (size_t k = 0; k < sub.ncols; k++)
			free(cells[k]);
		free(cells);
		grid_free(&g);
		sheet_free(&sub);
		json_decref(items);
	}
}

/* ---- report ---------------------------------------------------------- */

static const char *const kpis_main[] = { "gross_sales", "net_revenue",
    "collections", "tickets", "avg_ticket", "retail_pct", "provider_hours",
    "revenue_per_provider_hour", "no_show_rate", "supply_cost_pct", NULL };
static const char *const financials_main[] = { "gross_sales",
    "stored_value_sold", "refunds", "net_revenue", "collections",
    "operating_costs", "supply_spend", "mso_fee", NULL };
static const char *const vendors_main[] = { "supply_spend",
    "contract_variance", "rebate_accrued", "supply_cost_pct", NULL };
static const char *const compliance_main[] = { "training_current_pct",
    "consent_rate", "check_findings", NULL };

static void
print_report_table(json_t *doc, const struct sheet *s, const char *kind,
    const char *const *main_cols)
{
	struct grid	g;
	size_t		left = 0;

	printf("%s by %s, %s to %s\n\n", kind,
	    json_string_value(json_object_get(doc, "by")) ?
	    json_string_value(json_object_get(doc, "by")) : "?",
	    json_string_value(json_object_get(doc, "from")) ?
	    json_string_value(json_object_get(doc, "from")) : "?",
	    json_string_value(json_object_get(doc, "to")) ?
	    json_string_value(json_object_get(doc, "to")) : "?");
	if (s->nrows == 0) {
		printf("(no rows)\n");
		return;
	}
	transposed(s, &g);
	if (grid_width(&g) > TABLE_WIDTH) {
		grid_free(&g);
		left = wide(s, main_cols, &g);
	}
	grid_print(&g);
	if (left > 0)
		printf("\n(%zu more figures a row: --format csv or json shows "
		    "them all)\n", left);
	grid_free(&g);
	print_lists(s);
}

static const char *
key_of(const char *by)
{
	if (strcmp(by, "site") == 0)
		return "site_id";
	if (strcmp(by, "day") == 0)
		return "date";
	if (strcmp(by, "month") == 0)
		return "month";
	return NULL;
}

/* Print doc's "rows" (or 'list') in 'fmt'. */
static void
print_rows(json_t *doc, const char *list, const char *key, const char *fmt,
    void (*table)(json_t *, const struct sheet *, void *), void *arg)
{
	struct sheet	s;

	if (strcmp(fmt, "json") == 0) {
		print_json(doc);
		return;
	}
	sheet_build(&s, json_object_get(doc, list), key);
	if (strcmp(fmt, "csv") == 0)
		print_csv(&s);
	else
		table(doc, &s, arg);
	sheet_free(&s);
}

struct report_table {
	const char		*kind;
	const char *const	*main_cols;
};

static void
report_table(json_t *doc, const struct sheet *s, void *arg)
{
	struct report_table	*rt = arg;

	print_report_table(doc, s, rt->kind, rt->main_cols);
}

/* The first of 'names' that row r has, as a value. */
static json_t *
first_of(const struct sheet *s, size_t r, const char *const *names)
{
	json_t	*v;

	for (; *names; names++)
		if ((v = json_object_get(s->flat[r], *names)) != NULL)
			return v;
	return NULL;
}

/* Which of floor and cap the statement says bound the fee. */
static const char *
bound_of(const struct sheet *s, size_t r)
{
	json_t	*row = s->flat[r];

	if (json_is_false(json_object_get(row, "billed")))
		return "not billed";
	if (json_is_true(json_object_get(row, "floor_applied")))
		return "floor";
	if (json_is_true(json_object_get(row, "cap_applied")))
		return "cap";
	return "-";
}

static void
fees_table(json_t *doc, const struct sheet *s, void *arg)
{
	struct grid	 g;
	char		 c[6][CELL_MAX];
	char		*cells[6] = { c[0], c[1], c[2], c[3], c[4], c[5] };
	const char	*period = json_string_value(json_object_get(doc,
			    "period"));
	long long	 total_base = 0, total_fee = 0;

	(void)arg;
	printf("MSO fees for %s\n\n", period ? period : "?");
	if (s->nrows == 0) {
		printf("(no sites)\n");
		return;
	}
	grid_init(&g, 6);
	g.right[3] = g.right[4] = 1;
	snprintf(c[0], CELL_MAX, "site");
	snprintf(c[1], CELL_MAX, "model");
	snprintf(c[2], CELL_MAX, "base");
	snprintf(c[3], CELL_MAX, "base amount");
	snprintf(c[4], CELL_MAX, "fee");
	snprintf(c[5], CELL_MAX, "floor/cap");
	grid_add(&g, cells);
	for (size_t r = 0; r < s->nrows; r++) {
		json_t	*base = json_object_get(s->flat[r], "base_cents");
		json_t	*fee = json_object_get(s->flat[r], "fee_cents");

		fmt_cell(c[0], CELL_MAX, json_object_get(s->flat[r],
		    "site_id"), SH_TEXT);
		fmt_cell(c[1], CELL_MAX, json_object_get(s->flat[r],
		    "fee_model"), SH_TEXT);
		fmt_cell(c[2], CELL_MAX, json_object_get(s->flat[r],
		    "fee_base"), SH_TEXT);
		fmt_cell(c[3], CELL_MAX, base, SH_MONEY);
		fmt_cell(c[4], CELL_MAX, fee, SH_MONEY);
		snprintf(c[5], CELL_MAX, "%s", bound_of(s, r));
		total_base += json_integer_value(base);
		total_fee += json_integer_value(fee);
		grid_add(&g, cells);
	}
	if (s->nrows > 1) {
		json_t *tb = json_integer(total_base);
		json_t *tf = json_integer(total_fee);

		snprintf(c[0], CELL_MAX, "total");
		c[1][0] = c[2][0] = c[5][0] = '\0';
		fmt_cell(c[3], CELL_MAX, tb, SH_MONEY);
		fmt_cell(c[4], CELL_MAX, tf, SH_MONEY);
		grid_add(&g, cells);
		json_decref(tb);
		json_decref(tf);
	}
	grid_print(&g);
	grid_free(&g);
}

static int
site_opt(const char *cmd, const struct opts *o, long long *site)
{
	char	err[256];

	if (opts_get_ll(o, "site", 0, 1, UINT32_MAX, site, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "msoctl %s: %s\n", cmd, err);
		return -1;
	}
	return 0;
}

static int
report_fees(const struct opts *o, const char *fmt)
{
	struct ctlconf	 c = { 0 };
	json_t		*doc;
	char		 path[96], day[16];
	const char	*period = opts_get(o, "period");
	unsigned	 d;
	long long	 site;
	int		 n, rc;

	if (opts_get(o, "from") || opts_get(o, "to") || opts_get(o, "by")) {
		fprintf(stderr, "msoctl report fees: takes --period, not "
		    "--from/--to/--by\n%s", report_usage);
		return EXIT_USAGE;
	}
	if (period == NULL) {
		fprintf(stderr, "msoctl report fees: --period YYYY-MM is "
		    "required\n%s", report_usage);
		return EXIT_USAGE;
	}
	snprintf(day, sizeof(day), "%.8s-01", period);
	if (strlen(period) != 7 || pbjson_parse_date(day, &d) != 0) {
		fprintf(stderr, "msoctl report fees: --period: expected a "
		    "month YYYY-MM, got '%s'\n", period);
		return EXIT_USAGE;
	}
	if (site_opt("report fees", o, &site) != 0)
		return EXIT_USAGE;
	n = snprintf(path, sizeof(path), "/v1/fees?period=%s", period);
	if (site)
		snprintf(path + n, sizeof(path) - (size_t)n, "&site=%lld", site);
	if (ctlconf_load(o, &c) != 0)
		return EXIT_USAGE;
	rc = hub_call("report fees", &c, "GET", path, NULL, false, &doc);
	ctlconf_free(&c);
	if (rc != 200)
		return 1;
	print_rows(doc, "rows", "site_id", fmt, fees_table, NULL);
	json_decref(doc);
	return 0;
}

int
cmd_report(int argc, char **argv)
{
	static const struct {
		const char		*name;
		const char *const	*main_cols;
	} kinds[] = {
		{ "kpis", kpis_main },
		{ "financials", financials_main },
		{ "vendors", vendors_main },
		{ "compliance", compliance_main },
	};
	struct report_table	 rt = { NULL, NULL };
	struct opts		 o;
	struct ctlconf		 c = { 0 };
	json_t			*doc;
	char			 err[256], path[160];
	const char		*fmt, *from, *to, *by;
	unsigned		 dfrom, dto;
	long long		 site;
	int			 n, rc;

	if (opts_parse(&o, argc, argv, "help! " CTLCONF_OPTS " format from to "
	    "site by period", err, sizeof(err)) != 0) {
		fprintf(stderr, "msoctl report: %s\n%s", err, report_usage);
		return EXIT_USAGE;
	}
	if (opts_get(&o, "help")) {
		fputs(report_usage, stdout);
		return 0;
	}
	if (o.npos != 1) {
		fprintf(stderr, "msoctl report: %s\n%s", o.npos ?
		    "one report at a time" : "which report?", report_usage);
		return EXIT_USAGE;
	}
	if (hub_format("report", &o, &fmt) != 0)
		return EXIT_USAGE;
	if (strcmp(o.pos[0], "fees") == 0)
		return report_fees(&o, fmt);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(o.pos[0], kinds[i].name) == 0) {
			rt.kind = kinds[i].name;
			rt.main_cols = kinds[i].main_cols;
		}
	if (rt.kind == NULL) {
		fprintf(stderr, "msoctl report: unknown report '%s'\n%s",
		    o.pos[0], report_usage);
		return EXIT_USAGE;
	}
	if (opts_get(&o, "period")) {
		fprintf(stderr, "msoctl report %s: --period is for report "
		    "fees; use --from and --to\n", rt.kind);
		return EXIT_USAGE;
	}
	from = opts_get(&o, "from");
	to = opts_get(&o, "to");
	by = opts_get(&o, "by") ? opts_get(&o, "by") : "franchise";
	if (from == NULL || to == NULL) {
		fprintf(stderr, "msoctl report %s: --from and --to are "
		    "required\n%s", rt.kind, report_usage);
		return EXIT_USAGE;
	}
	if (pbjson_parse_date(from, &dfrom) != 0) {
		fprintf(stderr, "msoctl report %s: --from: expected a date "
		    "YYYY-MM-DD, got '%s'\n", rt.kind, from);
		return EXIT_USAGE;
	}
	if (pbjson_parse_date(to, &dto) != 0) {
		fprintf(stderr, "msoctl report %s: --to: expected a date "
		    "YYYY-MM-DD, got '%s'\n", rt.kind, to);
		return EXIT_USAGE;
	}
	if (dfrom > dto) {
		fprintf(stderr, "msoctl report %s: --from %s is after --to "
		    "%s\n", rt.kind, from, to);
		return EXIT_USAGE;
	}
	if (strcmp(by, "day") && strcmp(by, "month") && strcmp(by, "site") &&
	    strcmp(by, "franchise")) {
		fprintf(stderr, "msoctl report %s: --by day, month, site or "
		    "franchise, not '%s'\n", rt.kind, by);
		return EXIT_USAGE;
	}
	if (site_opt("report", &o, &site) != 0)
		return EXIT_USAGE;
	n = snprintf(path, sizeof(path), "/v1/report/%s?from=%s&to=%s&by=%s",
	    rt.kind, from, to, by);
	if (site)
		snprintf(path + n, sizeof(path) - (size_t)n, "&site=%lld", site);
	if (ctlconf_load(&o, &c) != 0)
		return EXIT_USAGE;
	rc = hub_call("report", &c, "GET", path, NULL, false, &doc);
	ctlconf_free(&c);
	if (rc != 200)
		return 1;
	print_rows(doc, "rows", key_of(by), fmt, report_table, &rt);
	json_decref(doc);
	return 0;
}

/* ---- contracts ------------------------------------------------------- */

static void
contracts_table(json_t *doc, const struct sheet *s, void *arg)
{
	static const char *const heads[] = { "site", "contract", "vendor",
	    "status", "start", "end", "days left", "notice by", "renew",
	    "rebate" };
	static const char *const vendor[] = { "vendor_name", "vendor_id",
	    NULL };
	enum { NC = sizeof(heads) / sizeof(heads[0]) };
	struct grid	 g;
	char		 c[NC][CELL_MAX];
	char		*cells[NC];

	(void)doc;
	(void)arg;
	if (s->nrows == 0) {
		printf("(no contracts)\n");
		return;
	}
	grid_init(&g, NC);
	for (size_t i = 0; i < NC; i++) {
		cells[i] = c[i];
		snprintf(c[i], CELL_MAX, "%s", heads[i]);
	}
	g.right[0] = g.right[6] = g.right[9] = 1;
	grid_add(&g, cells);
	for (size_t r = 0; r < s->nrows; r++) {
		json_t *row = s->flat[r];

		fmt_cell(c[0], CELL_MAX, json_object_get(row, "site_id"),
		    SH_TEXT);
		fmt_cell(c[1], CELL_MAX, json_object_get(row, "contract_id"),
		    SH_TEXT);
		fmt_cell(c[2], CELL_MAX, first_of(s, r, vendor), SH_TEXT);
		fmt_cell(c[3], CELL_MAX, json_object_get(row, "status"),
		    SH_TEXT);
		fmt_cell(c[4], CELL_MAX, json_object_get(row, "start_date"),
		    SH_TEXT);
		fmt_cell(c[5], CELL_MAX, json_object_get(row, "end_date"),
		    SH_TEXT);
		fmt_cell(c[6], CELL_MAX, json_object_get(row, "days_to_end"),
		    SH_COUNT);
		fmt_cell(c[7], CELL_MAX, json_object_get(row, "notice_by"),
		    SH_TEXT);
		fmt_cell(c[8], CELL_MAX, json_object_get(row, "auto_renew"),
		    SH_TEXT);
		fmt_cell(c[9], CELL_MAX, json_object_get(row, "rebate_bp"),
		    SH_BP);
		grid_add(&g, cells);
	}
	grid_print(&g);
	grid_free(&g);
}

int
cmd_contracts(int argc, char **argv)
{
	struct opts	 o;
	struct ctlconf	 c = { 0 };
	json_t		*doc;
	char		 err[256], path[96];
	const char	*fmt;
	long long	 days;
	int		 rc;

	if (opts_parse(&o, argc, argv, "help! " CTLCONF_OPTS " format "
	    "expiring-within", err, sizeof(err)) != 0) {
		fprintf(stderr, "msoctl contracts: %s\n%s", err,
		    contracts_usage);
		return EXIT_USAGE;
	}
	if (o.npos != 0) {
		fprintf(stderr, "msoctl contracts: unexpected argument '%s'\n%s",
		    o.pos[0], contracts_usage);
		return EXIT_USAGE;
	}
	if (opts_get(&o, "help")) {
		fputs(contracts_usage, stdout);
		return 0;
	}
	if (hub_format("contracts", &o, &fmt) != 0)
		return EXIT_USAGE;
	if (opts_get_ll(&o, "expiring-within", -1, 0, 36600, &days, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "msoctl contracts: %s\n", err);
		return EXIT_USAGE;
	}
	if (days >= 0)
		snprintf(path, sizeof(path), "/v1/contracts?expiring_within=%lld",
		    days);
	else
		snprintf(path, sizeof(path), "/v1/contracts");
	if (ctlconf_load(&o, &c) != 0)
		return EXIT_USAGE;
	rc = hub_call("contracts", &c, "GET", path, NULL, false, &doc);
	ctlconf_free(&c);
	if (rc != 200)
		return 1;
	print_rows(doc, "contracts", "site_id", fmt, contracts_table, NULL);
	json_decref(doc);
	return 0;
}
