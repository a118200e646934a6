/*
 * msoctl option reader; see opts.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

/* Is 'name' (n bytes) in 'takes'? *is_flag says whether it takes no value. */
static int
accepted(const char *takes, const char *name, size_t n, int *is_flag)
{
	const char	*p = takes;

	while (*p) {
		while (*p == ' ')
			p++;
		const char *start = p;
		while (*p && *p != ' ')
			p++;
		size_t len = (size_t)(p - start);
		int flag = len > 0 && start[len - 1] == '!';
		if (flag)
			len--;
		if (len == n && len > 0 && strncmp(start, name, n) == 0) {
			*is_flag = flag;
			return 1;
		}
	}
	return 0;
}

int
opts_parse(struct opts *o, int argc, char **argv, const char *takes,
    char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strncmp(a, "--", 2) != 0 || a[2] == '\0' ||
		    strcmp(a, "-") == 0) {
			if (o->npos == OPTS_POS_MAX) {
				snprintf(err, errlen, "too many arguments");
				return -1;
			}
			o->pos[o->npos++] = a;
			continue;
		}
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t n = eq ? (size_t)(eq - name) : strlen(name);
		int is_flag;
		if (!accepted(takes, name, n, &is_flag)) {
			snprintf(err, errlen, "unknown option --%.*s", (int)n,
			    name);
			return -1;
		}
		if (o->n == OPTS_MAX) {
			snprintf(err, errlen, "too many options");
			return -1;
		}
		const char *value;
		if (is_flag) {
			if (eq) {
				snprintf(err, errlen, "--%.*s takes no value",
				    (int)n, name);
				return -1;
			}
			value = "";
		} else if (eq)
			value = eq + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else {
			snprintf(err, errlen, "--%.*s needs a value", (int)n,
			    name);
			return -1;
		}
		/* keep the name NUL-terminated: copy into argv's own storage */
		if (eq)
			*(char *)eq = '\0';
		o->name[o->n] = name;
		o->value[o->n] = value;
		o->n++;
	}
	return 0;
}

const char *
opts_get(const struct opts *o, const char *name)
{
	const char	*v = NULL;

	for (size_t i = 0; i < o->n; i++)	/* the last one wins */
		if (strcmp(o->name[i], name) == 0)
			v = o->value[i];
	return v;
}

int
opts_get_ll(const struct opts *o, const char *name, long long def,
    long long min, long long max, long long *out, char *err, size_t errlen)
{
	const char	*v = opts_get(o, name);
	char		*end;

	if (v == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || x < min || x > max) {
		snprintf(err, errlen, "--%s: expected a whole number from %lld "
		    "to %lld, got '%s'", name, min, max, v);
		return -1;
	}
	*out = x;
	return 0;
}
