/*
 * The configuration loader: a role's key table applied to defaults, then
 * flags, then its INI file, with a flag always beating the file. inih does
 * the INI parsing; we feed it lines through our own reader so that we know
 * each line's number (Debian builds inih without INI_HANDLER_LINENO) and
 * can report every malformed line, not only the first one inih remembers.
 * The reader also strips leading blanks, which turns off inih's multi-line
 * continuation values: an indented line is an ordinary line here.
 * Called at start and on reload, from the main thread only.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <ini.h>

#include "config.h"
#include "msosync/error.h"
#include "xmalloc.h"

/* inih keeps the section name in a buffer of this size (MAX_SECTION in
 * ini.c) and truncates longer ones silently; we refuse them instead. */
#define SECTION_MAX	50

typedef int (*section_fn)(void *arg, const char *section, int line);

struct reader {
	FILE			*fp;
	const char		*path;
	struct config_errors	*errs;
	char			*buf;
	size_t			 bufsz;
	int			 line;
	int			 bad_line;	/* last line we reported */
	int			 failed;	/* a callback returned nonzero */
	config_ini_fn		 fn;
	section_fn		 sfn;
	void			*arg;
};

static char *
xvasprintf(const char *fmt, va_list ap)
{
	char	*s;

	if (vasprintf(&s, fmt, ap) < 0) {
		fprintf(stderr, "fatal: out of memory\n");
		abort();
	}
	return s;
}

void
config_error(struct config_errors *errs, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	errs->msg = xrealloc(errs->msg, (errs->n + 1) * sizeof(*errs->msg));
	errs->msg[errs->n++] = s;
}

void
config_errors_free(struct config_errors *errs)
{
	if (errs == NULL)
		return;
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

static void
line_error(struct reader *r, const char *msg)
{
	config_error(r->errs, "%s:%d: %s", r->path, r->line, msg);
	r->bad_line = r->line;
}

/*
 * Where inih would end a section name or a key: at one of 'stop', or at
 * an inline comment (';' after a blank), whichever comes first. Must agree
 * with inih's own scan so that we reject exactly the lines it rejects.
 */
static const char *
scan(const char *s, const char *stop)
{
	int	was_space = 0;

	for (; *s != '\0'; s++) {
		if (stop != NULL && strchr(stop, *s) != NULL)
			break;
		if (was_space && *s == ';')
			break;
		was_space = *s == ' ' || *s == '\t' || *s == '\r' ||
		    *s == '\n' || *s == '\v' || *s == '\f';
	}
	return s;
}

/* Returns 0 when inih may see the line as it is. */
static int
check_line(struct reader *r, const char *s)
{
	const char	*e;
	char		 section[SECTION_MAX];
	size_t		 len;

	if (*s == '\0' || *s == '\n' || *s == '\r' || *s == ';' || *s == '#')
		return 0;
	if (*s == '[') {
		e = scan(s + 1, "]");
		if (*e != ']') {
			line_error(r, "expected ']' after the section name");
			return -1;
		}
		len = (size_t)(e - (s + 1));
		if (len >= sizeof(section)) {
			line_error(r, "section name too long");
			return -1;
		}
		memcpy(section, s + 1, len);
		section[len] = '\0';
		if (r->sfn != NULL && r->sfn(r->arg, section, r->line) != 0)
			r->failed = 1;
		return 0;
	}
	e = scan(s, "=:");
	if (*e != '=' && *e != ':') {
		line_error(r, "expected 'key = value'");
		return -1;
	}
	if (e == s) {
		line_error(r, "missing key name before '='");
		return -1;
	}
	return 0;
}

/*
 * inih's ini_reader: hand over one line at a time, counting them. A line
 * we reject goes to inih as an empty line so it is reported only once.
 */
static char *
next_line(char *str, int num, void *stream)
{
	struct reader	*r = stream;
	ssize_t		 n;
	char		*s;
	size_t		 len;

	if ((n = getline(&r->buf, &r->bufsz, r->fp)) < 0)
		return NULL;
	r->line++;
	s = r->buf;
	if (r->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (*s == ' ' || *s == '\t' || *s == '\v' || *s == '\f')
		s++;
	len = strcspn(s, "\n");
	if (strlen(r->buf) != (size_t)n)
		line_error(r, "NUL byte in line");
	else if (len + 2 > (size_t)num)
		line_error(r, "line too long");
	else if (check_line(r, s) == 0) {
		memcpy(str, s, len);
		str[len] = '\n';
		str[len + 1] = '\0';
		return str;
	}
	str[0] = '\n';
	str[1] = '\0';
	return str;
}

static int
on_pair(void *arg, const char *section, const char *key, const char *value)
{
	struct reader	*r = arg;

	if (r->fn(r->arg, section, key, value, r->line) != 0)
		r->failed = 1;
	return 1;	/* errors are ours to collect, not inih's */
}

static int
parse_ini(const char *path, config_ini_fn fn, section_fn sfn, void *arg,
    struct config_errors *errs)
{
	struct reader	r;
	size_t		nerr = errs->n;
	int		rc, saved;

	memset(&r, 0, sizeof(r));
	r.path = path;
	r.errs = errs;
	r.fn = fn;
	r.sfn = sfn;
	r.arg = arg;
	if ((r.fp = fopen(path, "r")) == NULL) {
		saved = errno;
		config_error(errs, "%s: %s", path, strerror(saved));
		return -saved;
	}
	rc = ini_parse_stream(next_line, &r, on_pair, &r);
	if (ferror(r.fp)) {
		saved = errno != 0 ? errno : EIO;
		config_error(errs, "%s: %s", path, strerror(saved));
		rc = -saved;
		goto out;
	}
	/* A line inih refused that our checks let through. */
	if (rc > 0 && rc != r.bad_line)
		config_error(errs, "%s:%d: syntax error", path, rc);
	rc = (errs->n != nerr || r.failed) ? MSOSYNC_ECONFIG : 0;
out:
	fclose(r.fp);
	free(r.buf);
	return rc;
}

int
config_read_ini(const char *path, config_ini_fn fn, void *arg,
    struct config_errors *errs)
{
	return parse_ini(path, fn, NULL, arg, errs);
}

/* Parse a decimal integer: optional '-', digits, nothing else. */
static int
parse_int(const char *s, long long *v)
{
	const char	*p = s;
	char		*end;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (*end != '\0' || errno == ERANGE)
		return -1;
	return 0;
}

int
config_set_value(const struct config_key *k, void *out, const char *value,
    char *err, size_t errlen)
{
	char		*field = (char *)out + k->offset;
	long long	 v;
	char		**sp;

	switch (k->type) {
	case CONFIG_STRING:
		/* An empty value leaves the key unset, as if never given. */
		sp = (char **)(void *)field;
		free(*sp);
		*sp = *value != '\0' ? xstrdup(value) : NULL;
		return 0;
	case CONFIG_INT:
		if (k->min == 0 && k->max == 0) {
			if (parse_int(value, &v) != 0) {
				snprintf(err, errlen, "expected an integer");
				return -1;
			}
		} else if (parse_int(value, &v) != 0 || v < k->min ||
		    v > k->max) {
			snprintf(err, errlen,
			    "expected an integer from %lld to %lld",
			    k->min, k->max);
			return -1;
		}
		*(long long *)(void *)field = v;
		return 0;
	case CONFIG_BOOL:
		if (strcmp(value, "true") == 0)
			*(bool *)(void *)field = true;
		else if (strcmp(value, "false") == 0)
			*(bool *)(void *)field = false;
		else {
			snprintf(err, errlen, "expected true or false");
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown key type");
	return -1;
}

/* Check 'value' for key 'k' without storing it. */
static int
check_value(const struct config_key *k, const char *value, char *err,
    size_t errlen)
{
	union {
		char		*s;
		long long	 i;
		bool		 b;
	}			 scratch;
	struct config_key	 tk = *k;
	int			 rc;

	memset(&scratch, 0, sizeof(scratch));
	tk.offset = 0;
	rc = config_set_value(&tk, &scratch, value, err, errlen);
	if (k->type == CONFIG_STRING)
		free(scratch.s);
	return rc;
}

void
config_free(const struct config_spec *spec, void *out)
{
	char	**sp;

	for (size_t i = 0; i < spec->nkeys; i++) {
		if (spec->keys[i].type != CONFIG_STRING)
			continue;
		sp = (char **)(void *)((char *)out + spec->keys[i].offset);
		free(*sp);
		*sp = NULL;
	}
}

/* Does the flag name 'f' (len bytes, without "--") name key 'name'? */
static int
flag_is(const char *f, size_t len, const char *name)
{
	if (strlen(name) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (f[i] != (name[i] == '_' ? '-' : name[i]))
			return 0;
	return 1;
}

static const struct config_key *
find_key(const struct config_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->nkeys; i++)
		if (strcmp(spec->keys[i].name, name) == 0)
			return &spec->keys[i];
	return NULL;
}

/* What config_load knows about each key while it works. */
struct loader {
	const struct config_spec	*spec;
	void				*out;
	struct config_errors		*errs;
	const char			*path;
	struct config_cli		*cli;	/* line, by_flag of each key */
	bool				 given[CONFIG_KEYS_MAX];
};

static int
on_section(void *arg, const char *section, int line)
{
	struct loader	*l = arg;

	if (strcmp(section, l->spec->section) == 0)
		return 0;
	config_error(l->errs, "%s:%d: unknown section [%s]", l->path, line,
	    section);
	return 1;
}

static int
on_key(void *arg, const char *section, const char *key, const char *value,
    int line)
{
	struct loader		*l = arg;
	const struct config_key	*k;
	size_t			 i;
	char			 msg[128];

	if (*section == '\0') {
		config_error(l->errs, "%s:%d: key '%s' is outside [%s]",
		    l->path, line, key, l->spec->section);
		return 1;
	}
	if (strcmp(section, l->spec->section) != 0)
		return 0;	/* on_section has said so once */
	if ((k = find_key(l->spec, key)) == NULL) {
		config_error(l->errs, "%s:%d: unknown key '%s' in [%s]",
		    l->path, line, key, section);
		return 1;
	}
	i = (size_t)(k - l->spec->keys);
	if (l->cli->line[i] != 0) {
		config_error(l->errs, "%s:%d: duplicate key '%s' (first on "
		    "line %d)", l->path, line, key, l->cli->line[i]);
		return 1;
	}
	l->cli->line[i] = line;
	/* The file's value is checked even when a flag overrides it, so
	 * that -n reports a broken file before the flag is dropped. */
	if ((l->cli->by_flag[i] ? check_value(k, value, msg, sizeof(msg)) :
	    config_set_value(k, l->out, value, msg, sizeof(msg))) != 0) {
		config_error(l->errs, "%s:%d: %s: %s", l->path, line, key, msg);
		l->given[i] = true;	/* bad, not missing */
		return 1;
	}
	l->given[i] = true;
	return 0;
}

/* Is the next argument usable as a flag's value? */
static int
is_value(const char *s)
{
	return s != NULL && strncmp(s, "--", 2) != 0;
}

/*
 * One pass over argv: the loader's own options into cli, every key flag
 * stored into out at once, so that the file, read later, can skip them.
 */
static void
parse_argv(struct loader *l, int argc, char **argv, struct config_cli *cli)
{
	const struct config_spec	*spec = l->spec;
	const char			*a, *name, *eq, *value;
	size_t				 len, k;
	char				 msg[128];

	for (int i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "-n") == 0 || strcmp(a, "--check") == 0) {
			cli->check = true;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cli->help = true;
			continue;
		}
		if (strcmp(a, "--version") == 0) {
			cli->version = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (a[0] == '-' && a[1] != '\0')
				config_error(l->errs, "%s: unknown option", a);
			else
				config_error(l->errs, "'%s': unexpected argument",
				    a);
			continue;
		}
		name = a + 2;
		if ((eq = strchr(name, '=')) != NULL) {
			len = (size_t)(eq - name);
			value = eq + 1;
		} else {
			len = strlen(name);
			value = NULL;
		}
		if (flag_is(name, len, "check") || flag_is(name, len, "help") ||
		    flag_is(name, len, "version")) {
			config_error(l->errs, "--%.*s: takes no value",
			    (int)len, name);
			continue;
		}
		for (k = 0; k < spec->nkeys; k++)
			if (flag_is(name, len, spec->keys[k].name))
				break;
		if (k == spec->nkeys && !flag_is(name, len, "config")) {
			config_error(l->errs, "--%.*s: unknown option",
			    (int)len, name);
			continue;
		}
		if (value == NULL) {
			if (!is_value(i + 1 < argc ? argv[i + 1] : NULL)) {
				config_error(l->errs, "--%.*s: missing value",
				    (int)len, name);
				continue;
			}
			value = argv[++i];
		}
		if (k == spec->nkeys) {
			if (*value == '\0')
				config_error(l->errs, "--config: missing value");
			else
				cli->config_file = value;
			continue;
		}
		if (config_set_value(&spec->keys[k], l->out, value, msg,
		    sizeof(msg)) != 0)
			config_error(l->errs, "--%.*s: %s", (int)len, name, msg);
		l->cli->by_flag[k] = true;
		l->given[k] = true;
	}
}

static void
set_defaults(const struct config_spec *spec, void *out)
{
	const struct config_key	*k;
	char			*field;
	char			 msg[128];

	for (size_t i = 0; i < spec->nkeys; i++) {
		k = &spec->keys[i];
		field = (char *)out + k->offset;
		switch (k->type) {
		case CONFIG_STRING:
			*(char **)(void *)field = NULL;
			break;
		case CONFIG_INT:
			*(long long *)(void *)field = 0;
			break;
		case CONFIG_BOOL:
			*(bool *)(void *)field = false;
			break;
		}
		/* A default the table cannot parse is the programmer's bug. */
		if (k->def != NULL &&
		    config_set_value(k, out, k->def, msg, sizeof(msg)) != 0) {
			fprintf(stderr, "config: default of '%s': %s\n",
			    k->name, msg);
			abort();
		}
	}
}

static int
is_missing(const struct config_key *k, void *out, bool given)
{
	if (k->type == CONFIG_STRING)
		return *(char **)(void *)((char *)out + k->offset) == NULL;
	return !given && k->def == NULL;
}

/* The flag of key 'name': '_' written '-'. The caller frees it. */
static char *
flag_name(const char *name)
{
	char	*flag = xstrdup(name);

	for (char *p = flag; *p != '\0'; p++)
		if (*p == '_')
			*p = '-';
	return flag;
}

int
config_load(const struct config_spec *spec, void *out, int argc, char **argv,
    struct config_cli *cli, struct config_errors *errs)
{
	struct loader		l;
	struct config_cli	local;
	const struct config_key	*k;
	char			*flag;

	assert(spec->nkeys <= CONFIG_KEYS_MAX);
	if (cli == NULL)
		cli = &local;
	memset(cli, 0, sizeof(*cli));
	errs->msg = NULL;
	errs->n = 0;
	memset(&l, 0, sizeof(l));
	l.spec = spec;
	l.out = out;
	l.errs = errs;
	l.cli = cli;

	set_defaults(spec, out);
	parse_argv(&l, argc, argv, cli);
	if (cli->help || cli->version) {
		config_errors_free(errs);
		return 0;
	}
	if (cli->config_file != NULL) {
		l.path = cli->config_file;
		(void)parse_ini(l.path, on_key, on_section, &l, errs);
	}
	for (size_t i = 0; i < spec->nkeys; i++) {
		k = &spec->keys[i];
		if (!k->required || !is_missing(k, out, l.given[i]))
			continue;
		flag = flag_name(k->name);
		config_error(errs, "%s: missing required key '%s' (or --%s)",
		    cli->config_file != NULL ? cli->config_file : "config",
		    k->name, flag);
		free(flag);
	}
	/* 'out' is kept even so: the role's own checks run on it too. */
	return errs->n != 0 ? MSOSYNC_ECONFIG : 0;
}

void
config_key_error(const struct config_spec *spec, const struct config_cli *cli,
    struct config_errors *errs, const char *key, const char *fmt, ...)
{
	const struct config_key	*k = find_key(spec, key);
	size_t			 i;
	va_list			 ap;
	char			*msg, *flag;

	assert(k != NULL);
	i = (size_t)(k - spec->keys);
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (cli->by_flag[i]) {
		flag = flag_name(key);
		config_error(errs, "--%s: %s", flag, msg);
		free(flag);
	} else if (cli->line[i] != 0)
		config_error(errs, "%s:%d: %s: %s", cli->config_file,
		    cli->line[i], key, msg);
	else
		config_error(errs, "%s: %s", key, msg);
	free(msg);
}

/* A port: 1 to 65535 in decimal digits. Returns it, or -1. */
static long
parse_port(const char *s)
{
	long	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if ((v = v * 10 + (*s - '0')) > 65535)
			return -1;
	}
	return v >= 1 ? v : -1;
}

/*
 * Split "HOST:PORT" or "[IPv6]:PORT" into host (brackets kept) and check
 * the port. 'form' names what was expected, for the message.
 */
static int
split_host_port(const char *s, const char *form, char *host, size_t hostlen,
    char *err, size_t errlen)
{
	const char	*colon;
	size_t		 n;

	if (s[0] != '[')
		colon = strrchr(s, ':');
	else if ((colon = strchr(s, ']')) != NULL)
		colon = colon[1] == ':' ? colon + 1 : NULL;
	if (colon == NULL || colon == s) {
		snprintf(err, errlen, "expected %s, not '%s'", form, s);
		return -1;
	}
	if (parse_port(colon + 1) < 0) {
		snprintf(err, errlen, "port '%s' is not a number from 1 to "
		    "65535", colon + 1);
		return -1;
	}
	if ((n = (size_t)(colon - s)) >= hostlen) {
		snprintf(err, errlen, "host name too long");
		return -1;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}

static bool
is_ipv4(const char *h)
{
	struct in_addr	a;

	return inet_pton(AF_INET, h, &a) == 1;
}

static bool
is_ipv6_bracketed(const char *h)
{
	struct in6_addr	a;
	char		buf[INET6_ADDRSTRLEN];
	size_t		n = strlen(h);

	if (n < 3 || h[0] != '[' || h[n - 1] != ']' || n - 2 >= sizeof(buf))
		return false;
	memcpy(buf, h + 1, n - 2);
	buf[n - 2] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

/*
 * A DNS name: labels of letters, digits and '-' (not first or last) joined
 * by dots. Digits and dots alone would be an IPv4 address, or nothing.
 */
static bool
is_hostname(const char *h)
{
	size_t	label = 0;
	bool	digits_only = true;

	if (strlen(h) > 253)
		return false;
	for (const char *p = h;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			if (*p == '\0')
				return !digits_only;
			label = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p == '-' && label > 0)) {
			digits_only = false;
			label++;
		} else if (*p >= '0' && *p <= '9')
			label++;
		else
			return false;
	}
}

int
config_check_http_listen(const char *s, char *err, size_t errlen)
{
	char	host[256];

	if (split_host_port(s != NULL ? s : "", "HOST:PORT", host,
	    sizeof(host), err, errlen) != 0)
		return -1;
	if (is_ipv4(host) || is_ipv6_bracketed(host) || is_hostname(host))
		return 0;
	snprintf(err, errlen, "'%s' is not an IPv4 address, [IPv6] address "
	    "or host name", host);
	return -1;
}

int
config_check_zmq_tcp(const char *s, bool bind, char *err, size_t errlen)
{
	char	host[256];

	if (s == NULL || strncmp(s, "tcp://", 6) != 0) {
		snprintf(err, errlen, "expected tcp://HOST:PORT, not '%s'",
		    s != NULL ? s : "");
		return -1;
	}
	if (split_host_port(s + 6, "tcp://HOST:PORT", host, sizeof(host),
	    err, errlen) != 0)
		return -1;
	if (host[0] == '[') {
		snprintf(err, errlen, "IPv6 addresses are not supported");
		return -1;
	}
	if (is_ipv4(host))
		return 0;
	if (bind && (strcmp(host, "*") == 0 || if_nametoindex(host) != 0))
		return 0;
	if (!bind && is_hostname(host))
		return 0;
	snprintf(err, errlen, bind ? "'%s' is not an IPv4 address, '*' or a "
	    "network interface" : "'%s' is not an IPv4 address or host name",
	    host);
	return -1;
}

int
config_check_zmq_ipc(const char *s, char *err, size_t errlen)
{
	size_t	max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;

	if (s == NULL || strncmp(s, "ipc://", 6) != 0 || s[6] == '\0') {
		snprintf(err, errlen, "expected ipc://PATH, not '%s'",
		    s != NULL ? s : "");
		return -1;
	}
	if (strlen(s + 6) > max) {
		snprintf(err, errlen, "socket path longer than %zu bytes", max);
		return -1;
	}
	return 0;
}

void
config_usage(const struct config_spec *spec, FILE *f)
{
	const struct config_key	*k;
	int			 w = 0, n;
	char			 flag[128];

	for (size_t i = 0; i < spec->nkeys; i++) {
		n = (int)strlen(spec->keys[i].name) + (int)strlen("--=VALUE");
		if (n > w)
			w = n;
	}
	for (size_t i = 0; i < spec->nkeys; i++) {
		k = &spec->keys[i];
		n = snprintf(flag, sizeof(flag), "--%s=VALUE", k->name);
		for (int j = 2; j < n && flag[j] != '='; j++)
			if (flag[j] == '_')
				flag[j] = '-';
		fprintf(f, "  %-*s  ", w, flag);
		if (k->help != NULL && *k->help != '\0')
			fprintf(f, " %s", k->help);
		if (k->required)
			fprintf(f, " (required)");
		else if (k->def != NULL && *k->def != '\0')
			fprintf(f, " (default: %s)", k->def);
		fputc('\n', f);
	}
}
