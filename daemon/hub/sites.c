/*
 * The sites file, read into an immutable registry: sites in id order for
 * sites_get and the /v1/sites listing, and every public key (current and
 * next) in one sorted index for the ZAP handler's lookups.
 *
 * config_read_ini hands us key lines only, so a section header is never
 * seen by itself: a "[site 9]" with no keys, or one repeated right after
 * itself, would pass unnoticed. We therefore scan the file once for its
 * section headers first (with the reader's own rules: leading blanks and
 * a UTF-8 mark skipped, the name ending at ']' or at an inline comment),
 * and then file each key under the last header above it. Should the two
 * reads ever disagree (the file replaced in between), a key is filed
 * under its section's name instead, so nothing is lost, only the line of
 * a "missing key" message may be a key's rather than the header's.
 *
 * Errors are collected, then sorted by line, so that -n lists them in the
 * order an operator fixes them. Loop thread only (start and SIGHUP).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "keys.h"
#include "msosync/error.h"
#include "sites.h"
#include "xmalloc.h"

/* config.c refuses longer section names; we skip what it refuses. */
#define SECTION_MAX	50
#define CENTS_MAX	100000000000LL	/* one billion dollars */

/* One value of every key, as config_set_value stores it. */
struct raw {
	char		*name;
	char		*public_key;
	char		*next_public_key;
	char		*state;
	char		*timezone;
	char		*tax_id;
	char		*fee_model;
	char		*fee_base;
	long long	 fee_fixed_cents;
	long long	 fee_percent_bp;
	long long	 fee_floor_cents;
	long long	 fee_cap_cents;
	bool		 revoked;
};

enum {
	K_NAME, K_PUBLIC_KEY, K_NEXT_PUBLIC_KEY, K_STATE, K_TIMEZONE,
	K_TAX_ID, K_FEE_MODEL, K_FEE_FIXED, K_FEE_PERCENT, K_FEE_BASE,
	K_FEE_FLOOR, K_FEE_CAP, K_REVOKED, NKEYS
};

#define KEY(n, t, f, lo, hi) \
	{ n, t, offsetof(struct raw, f), NULL, false, lo, hi, NULL }
static const struct config_key keys[NKEYS] = {
	[K_NAME] = KEY("name", CONFIG_STRING, name, 0, 0),
	[K_PUBLIC_KEY] = KEY("public_key", CONFIG_STRING, public_key, 0, 0),
	[K_NEXT_PUBLIC_KEY] = KEY("next_public_key", CONFIG_STRING,
	    next_public_key, 0, 0),
	[K_STATE] = KEY("state", CONFIG_STRING, state, 0, 0),
	[K_TIMEZONE] = KEY("timezone", CONFIG_STRING, timezone, 0, 0),
	[K_TAX_ID] = KEY("tax_id", CONFIG_STRING, tax_id, 0, 0),
	[K_FEE_MODEL] = KEY("fee_model", CONFIG_STRING, fee_model, 0, 0),
	[K_FEE_FIXED] = KEY("fee_fixed_cents", CONFIG_INT, fee_fixed_cents,
	    0, CENTS_MAX),
	[K_FEE_PERCENT] = KEY("fee_percent_bp", CONFIG_INT, fee_percent_bp,
	    0, 10000),
	[K_FEE_BASE] = KEY("fee_base", CONFIG_STRING, fee_base, 0, 0),
	[K_FEE_FLOOR] = KEY("fee_floor_cents", CONFIG_INT, fee_floor_cents,
	    0, CENTS_MAX),
	[K_FEE_CAP] = KEY("fee_cap_cents", CONFIG_INT, fee_cap_cents,
	    0, CENTS_MAX),
	[K_REVOKED] = KEY("revoked", CONFIG_BOOL, revoked, 0, 0),
};
#undef KEY

static const struct config_spec spec = { "site", keys, NKEYS };

static const char *const model_names[] = {
	[SITE_FEE_FIXED] = "fixed",
	[SITE_FEE_PERCENT] = "percent",
	[SITE_FEE_FIXED_PLUS_PERCENT] = "fixed_plus_percent",
};

static const char *const base_names[] = {
	[SITE_FEE_GROSS_SALES] = "gross_sales",
	[SITE_FEE_NET_REVENUE] = "net_revenue",
	[SITE_FEE_COLLECTIONS] = "collections",
};

/* The 50 states, DC and the inhabited territories. */
static const char us_states[] =
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD "
    "MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC "
    "SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP";

/* One "[...]" header of the file and what was read under it. */
struct section {
	char		*name;
	int		 line;
	uint32_t	 id;
	bool		 name_ok;
	bool		 duplicate;	/* an earlier section has this id */
	int		 key_line[NKEYS];
	bool		 bad[NKEYS];	/* given, but refused */
	struct raw	 raw;
};

struct loader {
	const char		*path;
	struct config_errors	*errs;
	struct section		*sec;
	size_t			 nsec;
	size_t			 nscanned;	/* sec[0..nscanned) from the scan */
	size_t			 cur;		/* header above the last key */
};

struct keyent {
	uint8_t			 bin[32];
	const struct site	*site;
};

struct sites {
	struct site	*v;		/* by id */
	size_t		 n;
	struct keyent	*idx;		/* by key bytes */
	size_t		 nidx;
};

/* An error at 'line' of the file, or of the file as a whole at line 0. */
static void
err_at(struct loader *l, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
err_at(struct loader *l, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		fprintf(stderr, "fatal: out of memory\n");
		abort();
	}
	va_end(ap);
	config_error(l->errs, "%s:%d: %s", l->path, line, msg);
	free(msg);
}

/* "site N" with N a decimal from 1 to UINT32_MAX, without leading zeros. */
static int
parse_name(const char *name, uint32_t *id)
{
	unsigned long long	v = 0;
	const char		*p;

	if (strncmp(name, "site ", 5) != 0)
		return -1;
	p = name + 5;
	if (*p < '1' || *p > '9')
		return -1;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*id = (uint32_t)v;
	return 0;
}

static struct section *
add_section(struct loader *l, const char *name, int line)
{
	struct section	*s;

	l->sec = xrealloc(l->sec, (l->nsec + 1) * sizeof(*l->sec));
	s = &l->sec[l->nsec++];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->line = line;
	s->name_ok = parse_name(name, &s->id) == 0;
	return s;
}

/*
 * Where config.c's reader ends a section name: at ']' or at an inline
 * comment (';' after a blank). Returns a pointer to the ']' or NULL.
 */
static const char *
header_end(const char *s)
{
	int	was_space = 0;

	for (; *s != '\0'; s++) {
		if (*s == ']')
			return s;
		if (was_space && *s == ';')
			return NULL;
		was_space = *s == ' ' || *s == '\t' || *s == '\r' ||
		    *s == '\n' || *s == '\v' || *s == '\f';
	}
	return NULL;
}

/* Find every section header, so that keyless sections are seen too. */
static int
scan_headers(struct loader *l)
{
	FILE		*fp;
	char		*buf = NULL, *s, name[SECTION_MAX];
	const char	*e;
	size_t		 bufsz = 0, len;
	ssize_t		 n;
	int		 line = 0, rc = 0;

	if ((fp = fopen(l->path, "r")) == NULL)
		return -errno;
	while ((n = getline(&buf, &bufsz, fp)) >= 0) {
		line++;
		s = buf;
		if (strlen(buf) != (size_t)n)
			continue;	/* config.c reports the NUL */
		if (line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3;
		s += strspn(s, " \t\v\f");
		if (*s != '[' || (e = header_end(s + 1)) == NULL)
			continue;
		len = (size_t)(e - (s + 1));
		if (len >= sizeof(name))
			continue;	/* config.c reports it too long */
		memcpy(name, s + 1, len);
		name[len] = '\0';
		add_section(l, name, line);
	}
	if (ferror(fp))
		rc = errno != 0 ? -errno : -EIO;
	fclose(fp);
	free(buf);
	l->nscanned = l->nsec;
	return rc;
}

/* The section a key at 'line' of section 'name' belongs to. */
static struct section *
section_of(struct loader *l, const char *name, int line)
{
	while (l->cur + 1 < l->nscanned && l->sec[l->cur + 1].line < line)
		l->cur++;
	if (l->cur < l->nscanned && l->sec[l->cur].line < line &&
	    strcmp(l->sec[l->cur].name, name) == 0)
		return &l->sec[l->cur];
	for (size_t i = l->nscanned; i < l->nsec; i++)
		if (strcmp(l->sec[i].name, name) == 0)
			return &l->sec[i];
	return add_section(l, name, line);
}

static const struct config_key *
find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
name_index(const char *const *names, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], value) == 0)
			return (int)i;
	return -1;
}

static int
is_state(const char *v)
{
	const char	*p;

	if (strlen(v) != 2)
		return 0;
	/* codes start every third character of the list */
	for (p = us_states; (p = strstr(p, v)) != NULL; p++)
		if ((p - us_states) % 3 == 0)
			return 1;
	return 0;
}

/* An IANA zone name's characters; whether the zone exists is tzdata's. */
static int
is_timezone(const char *v)
{
	size_t	len = strlen(v);

	return len > 0 && len <= 64 && v[0] != '/' && v[len - 1] != '/' &&
	    strstr(v, "..") == NULL && strspn(v,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/_+-") == len;
}

/* Check the text of string key k; returns a message or NULL when good. */
static const char *
check_string(size_t k, const char *v)
{
	switch (k) {
	case K_PUBLIC_KEY:
		if (!keys_is_public_z85(v))
			return "expected a 40-character Z85 public key";
		break;
	case K_NEXT_PUBLIC_KEY:
		if (*v != '\0' && !keys_is_public_z85(v))
			return "expected a 40-character Z85 public key";
		break;
	case K_STATE:
		if (*v != '\0' && !is_state(v))
			return "expected a two-letter US state code such as TX";
		break;
	case K_TIMEZONE:
		if (*v != '\0' && !is_timezone(v))
			return "expected an IANA time zone name such as "
			    "America/Chicago";
		break;
	case K_FEE_MODEL:
		if (name_index(model_names, 3, v) < 0)
			return "expected fixed, percent or fixed_plus_percent";
		break;
	case K_FEE_BASE:
		if (name_index(base_names, 3, v) < 0)
			return "expected gross_sales, net_revenue or "
			    "collections";
		break;
	}
	return NULL;
}

static int
on_key(void *arg, const char *section, const char *key, const char *value,
    int line)
{
	struct loader		*l = arg;
	struct section		*s;
	const struct config_key	*k;
	const char		*why;
	size_t			 i;
	char			 msg[128];

	if (*section == '\0') {
		err_at(l, line, "key '%s' is outside a [site ID] section", key);
		return 1;
	}
	s = section_of(l, section, line);
	if (!s->name_ok)
		return 0;	/* the section is reported once, as a whole */
	if ((k = find_key(key)) == NULL) {
		err_at(l, line, "site %u: unknown key '%s'", s->id, key);
		return 1;
	}
	i = (size_t)(k - keys);
	if (s->key_line[i] != 0) {
		err_at(l, line, "site %u: duplicate key '%s' (first on line %d)",
		    s->id, key, s->key_line[i]);
		return 1;
	}
	s->key_line[i] = line;
	why = k->type == CONFIG_STRING ? check_string(i, value) : NULL;
	if (why == NULL && config_set_value(k, &s->raw, value, msg,
	    sizeof(msg)) != 0)
		why = msg;
	if (why != NULL) {
		err_at(l, line, "site %u: %s: %s", s->id, key, why);
		s->bad[i] = true;
		return 1;
	}
	return 0;
}

static int
cmp_section_id(const void *a, const void *b)
{
	const struct section	*x = *(const struct section *const *)a;
	const struct section	*y = *(const struct section *const *)b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Report bad section names, and every repeat of an id after its first. */
static void
check_sections(struct loader *l)
{
	struct section	**by_id;
	size_t		  n = 0, first = 0;

	by_id = xcalloc(l->nsec + 1, sizeof(*by_id));
	for (size_t i = 0; i < l->nsec; i++) {
		if (l->sec[i].name_ok)
			by_id[n++] = &l->sec[i];
		else
			err_at(l, l->sec[i].line, "bad section [%s]: expected "
			    "[site ID] with ID a whole number from 1 to %u",
			    l->sec[i].name, UINT32_MAX);
	}
	qsort(by_id, n, sizeof(*by_id), cmp_section_id);
	for (size_t i = 1; i < n; i++) {
		if (by_id[i]->id != by_id[first]->id) {
			first = i;
			continue;
		}
		by_id[i]->duplicate = true;
		err_at(l, by_id[i]->line, "duplicate site id %u (first on "
		    "line %d)", by_id[i]->id, by_id[first]->line);
	}
	free(by_id);
}

/*
 * Which fee keys each model needs, and which mean nothing to it. The
 * floor and cap clamp the whole fee (DESIGN §6), so every model takes them.
 */
static const struct {
	unsigned	needs;
	unsigned	refuses;
} model_keys[] = {
	[SITE_FEE_FIXED] = { 1u << K_FEE_FIXED, 1u << K_FEE_PERCENT |
	    1u << K_FEE_BASE },
	[SITE_FEE_PERCENT] = { 1u << K_FEE_PERCENT, 1u << K_FEE_FIXED },
	[SITE_FEE_FIXED_PLUS_PERCENT] = { 1u << K_FEE_FIXED |
	    1u << K_FEE_PERCENT, 0 },
};

static bool
is_good(const struct section *s, size_t k)
{
	return s->key_line[k] != 0 && !s->bad[k];
}

/* The checks that need all of a site's keys. */
static void
check_site(struct loader *l, const struct section *s)
{
	const struct raw	*r = &s->raw;
	const char		*model;
	int			 m;

	if (s->key_line[K_PUBLIC_KEY] == 0)
		err_at(l, s->line, "site %u: missing required key "
		    "'public_key'", s->id);
	if (s->key_line[K_FEE_MODEL] == 0)
		err_at(l, s->line, "site %u: missing required key "
		    "'fee_model'", s->id);
	if (!is_good(s, K_FEE_MODEL))
		return;
	m = name_index(model_names, 3, r->fee_model);
	model = model_names[m];
	for (size_t k = 0; k < NKEYS; k++) {
		if ((model_keys[m].needs & 1u << k) && s->key_line[k] == 0)
			err_at(l, s->key_line[K_FEE_MODEL], "site %u: "
			    "fee_model %s needs %s", s->id, model,
			    keys[k].name);
		if ((model_keys[m].refuses & 1u << k) && s->key_line[k] != 0)
			err_at(l, s->key_line[k], "site %u: %s does not apply "
			    "to fee_model %s", s->id, keys[k].name, model);
	}
	if (is_good(s, K_FEE_FLOOR) && is_good(s, K_FEE_CAP) &&
	    r->fee_cap_cents != 0 && r->fee_floor_cents > r->fee_cap_cents)
		err_at(l, s->key_line[K_FEE_FLOOR], "site %u: fee_floor_cents "
		    "%lld is above fee_cap_cents %lld", s->id,
		    r->fee_floor_cents, r->fee_cap_cents);
}

static bool
is_usable(const struct section *s)
{
	return s->name_ok && !s->duplicate;
}

/* One use of a public key in the file. */
struct keyuse {
	uint8_t		 bin[32];
	uint32_t	 id;
	int		 line;
	const char	*what;		/* "public_key", "next_public_key" */
};

static int
cmp_keyuse(const void *a, const void *b)
{
	const struct keyuse	*x = a, *y = b;
	int			 c;

	if ((c = memcmp(x->bin, y->bin, sizeof(x->bin))) != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* A key names one site only: the ZAP handler maps a key to one id. */
static void
check_keys(struct loader *l)
{
	struct keyuse		*u;
	const struct section	*s;
	const char		*z;
	size_t			 n = 0, first = 0;

	u = xcalloc(2 * l->nsec + 1, sizeof(*u));
	for (size_t i = 0; i < l->nsec; i++) {
		s = &l->sec[i];
		if (!is_usable(s))
			continue;
		for (size_t k = K_PUBLIC_KEY; k <= K_NEXT_PUBLIC_KEY; k++) {
			z = k == K_PUBLIC_KEY ? s->raw.public_key :
			    s->raw.next_public_key;
			if (!is_good(s, k) || z == NULL ||
			    keys_decode_public(z, u[n].bin) != 0)
				continue;
			u[n].id = s->id;
			u[n].line = s->key_line[k];
			u[n].what = keys[k].name;
			n++;
		}
	}
	qsort(u, n, sizeof(*u), cmp_keyuse);
	for (size_t i = 1; i < n; i++) {
		if (memcmp(u[i].bin, u[first].bin, sizeof(u[i].bin)) != 0) {
			first = i;
			continue;
		}
		err_at(l, u[i].line, "site %u: %s is also the %s of site %u "
		    "(line %d)", u[i].id, u[i].what, u[first].what,
		    u[first].id, u[first].line);
	}
	free(u);
}

static void
set_key(struct site_key *k, const char *z85)
{
	if (keys_decode_public(z85, k->bin) != 0)
		abort();	/* checked when read */
	memcpy(k->z85, z85, sizeof(k->z85));
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static void
fill_site(struct site *t, const struct section *s)
{
	const struct raw	*r = &s->raw;

	t->id = s->id;
	t->name = xstrdup(or_empty(r->name));
	if (r->state != NULL)		/* two letters, checked when read */
		memcpy(t->state, r->state, sizeof(t->state));
	t->timezone = xstrdup(or_empty(r->timezone));
	t->tax_id = xstrdup(or_empty(r->tax_id));
	t->fee_model = (enum site_fee_model)name_index(model_names, 3,
	    r->fee_model);
	t->fee_base = r->fee_base != NULL ?
	    (enum site_fee_base)name_index(base_names, 3, r->fee_base) :
	    SITE_FEE_GROSS_SALES;
	t->fee_fixed_cents = r->fee_fixed_cents;
	t->fee_percent_bp = (uint32_t)r->fee_percent_bp;
	t->fee_floor_cents = r->fee_floor_cents;
	t->fee_cap_cents = r->fee_cap_cents;
	t->revoked = r->revoked;
	set_key(&t->key, r->public_key);
	if (r->next_public_key != NULL) {
		t->has_next_key = true;
		set_key(&t->next_key, r->next_public_key);
	}
}

static int
cmp_site(const void *a, const void *b)
{
	const struct site	*x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int
cmp_keyent(const void *a, const void *b)
{
	const struct keyent	*x = a, *y = b;

	return memcmp(x->bin, y->bin, sizeof(x->bin));
}

/* Only called on a file without errors: every section is a site. */
static struct sites *
build(const struct loader *l)
{
	struct sites	*ss = xcalloc(1, sizeof(*ss));
	struct site	*t;

	ss->v = xcalloc(l->nsec + 1, sizeof(*ss->v));
	for (size_t i = 0; i < l->nsec; i++)
		fill_site(&ss->v[ss->n++], &l->sec[i]);
	qsort(ss->v, ss->n, sizeof(*ss->v), cmp_site);
	ss->idx = xcalloc(2 * ss->n + 1, sizeof(*ss->idx));
	for (size_t i = 0; i < ss->n; i++) {
		t = &ss->v[i];
		memcpy(ss->idx[ss->nidx].bin, t->key.bin, 32);
		ss->idx[ss->nidx++].site = t;
		if (t->has_next_key) {
			memcpy(ss->idx[ss->nidx].bin, t->next_key.bin, 32);
			ss->idx[ss->nidx++].site = t;
		}
	}
	qsort(ss->idx, ss->nidx, sizeof(*ss->idx), cmp_keyent);
	return ss;
}

/* The line of a "path:line: ..." message; 0 for "path: ...". */
static long
msg_line(const char *msg, const char *path)
{
	size_t	len = strlen(path);

	if (strncmp(msg, path, len) != 0 || msg[len] != ':')
		return 0;
	return strtol(msg + len + 1, NULL, 10);
}

struct sorted {
	long	 line;
	size_t	 i;
};

static int
cmp_sorted(const void *a, const void *b)
{
	const struct sorted	*x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Move the messages of 'from' to 'to' in line order, keeping ties' order. */
static void
move_sorted(struct config_errors *from, struct config_errors *to,
    const char *path)
{
	struct sorted	*o;

	if (from->n == 0)
		return;
	o = xcalloc(from->n, sizeof(*o));
	for (size_t i = 0; i < from->n; i++) {
		o[i].line = msg_line(from->msg[i], path);
		o[i].i = i;
	}
	qsort(o, from->n, sizeof(*o), cmp_sorted);
	to->msg = xrealloc(to->msg, (to->n + from->n) * sizeof(*to->msg));
	for (size_t i = 0; i < from->n; i++)
		to->msg[to->n++] = from->msg[o[i].i];
	free(o);
	free(from->msg);
	from->msg = NULL;
	from->n = 0;
}

int
sites_load(const char *path, struct sites **out, struct config_errors *errs)
{
	struct loader		l;
	struct config_errors	tmp = { NULL, 0 };
	int			rc;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	l.path = path;
	l.errs = &tmp;
	if ((rc = scan_headers(&l)) != 0) {
		config_error(&tmp, "%s: %s", path, strerror(-rc));
		goto done;
	}
	rc = config_read_ini(path, on_key, &l, &tmp);
	if (rc != 0 && rc != MSOSYNC_ECONFIG)
		goto done;	/* unreadable; config.c has said why */
	check_sections(&l);
	for (size_t i = 0; i < l.nsec; i++)
		if (is_usable(&l.sec[i]))
			check_site(&l, &l.sec[i]);
	check_keys(&l);
	if (tmp.n != 0 || rc != 0) {
		rc = MSOSYNC_ECONFIG;
		goto done;
	}
	*out = build(&l);
done:
	move_sorted(&tmp, errs, path);
	for (size_t i = 0; i < l.nsec; i++) {
		config_free(&spec, &l.sec[i].raw);
		free(l.sec[i].name);
	}
	free(l.sec);
	return rc;
}

void
sites_free(struct sites **sp)
{
	struct sites	*ss;

	if (sp == NULL || (ss = *sp) == NULL)
		return;
	for (size_t i = 0; i < ss->n; i++) {
		free(ss->v[i].name);
		free(ss->v[i].timezone);
		free(ss->v[i].tax_id);
	}
	free(ss->v);
	free(ss->idx);
	free(ss);
	*sp = NULL;
}

const struct site *
sites_by_key(const struct sites *ss, const uint8_t pub[32])
{
	struct keyent		 want;
	const struct keyent	*e;

	if (ss == NULL)
		return NULL;
	memcpy(want.bin, pub, sizeof(want.bin));
	e = bsearch(&want, ss->idx, ss->nidx, sizeof(*ss->idx), cmp_keyent);
	return e != NULL ? e->site : NULL;
}

const struct site *
sites_get(const struct sites *ss, uint32_t id)
{
	struct site	want;

	if (ss == NULL)
		return NULL;
	want.id = id;
	return bsearch(&want, ss->v, ss->n, sizeof(*ss->v), cmp_site);
}

size_t
sites_count(const struct sites *ss)
{
	return ss != NULL ? ss->n : 0;
}

const struct site *
sites_at(const struct sites *ss, size_t i)
{
	return i < sites_count(ss) ? &ss->v[i] : NULL;
}

bool
sites_is_active(const struct sites *ss, uint32_t id)
{
	const struct site	*t = sites_get(ss, id);

	return t != NULL && !t->revoked;
}

const char *
sites_fee_model_name(enum site_fee_model m)
{
	return (size_t)m < 3 ? model_names[m] : "unknown";
}

const char *
sites_fee_base_name(enum site_fee_base b)
{
	return (size_t)b < 3 ? base_names[b] : "unknown";
}
