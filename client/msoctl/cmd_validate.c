/*
 * msoctl validate FILE|-: run NDJSON events through the same mapper and
 * validation the agent uses, without an agent, and summarise them. The
 * first step of the demo, and a check for a POS integrator's export.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "clock.h"
#include "cmds.h"
#include "events.pb-c.h"
#include "msosync/error.h"
#include "opts.h"
#include "pbjson.h"
#include "validate.h"

#define SHOW_ERRORS	10

int
cmd_validate(int argc, char **argv)
{
	struct opts	 o;
	char		 err[PBJSON_ERR_MAX], id[PBJSON_ERR_MAX];
	FILE		*f;
	char		*line = NULL;
	size_t		 cap = 0, lineno = 0, good = 0, bad = 0;
	size_t		 per_body[MSOSYNC__EVENT__BODY_VOID + 1] = { 0 };
	long long	 sales = 0;
	ssize_t		 n;
	int64_t		 now = clock_now_ms();
	int		 usage;

	usage = opts_parse(&o, argc, argv, "", err, sizeof(err)) != 0;
	if (usage || o.npos != 1) {
		fprintf(stderr, "msoctl validate: %s\nusage: msoctl validate "
		    "FILE|-\n", usage ? err : "expected one FILE");
		return EXIT_USAGE;
	}
	if (strcmp(o.pos[0], "-") == 0)
		f = stdin;
	else if ((f = fopen(o.pos[0], "r")) == NULL) {
		perror(o.pos[0]);
		return 1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		ProtobufCMessage	*m;
		Msosync__Event		*ev;

		lineno++;
		/* a fault at the line's end is then not placed on the next */
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (pbjson_decode_text(&msosync__event__descriptor, line,
		    (size_t)n, NULL, &m, err, sizeof(err)) != 0) {
			if (bad++ >= SHOW_ERRORS)
				continue;
			/* named by its event_id, if it has one, as below */
			if (pbjson_peek_string(line, (size_t)n, "event_id", id,
			    sizeof(id)) == 0)
				fprintf(stderr, "%s:%zu: %s: %s\n", o.pos[0],
				    lineno, id, err);
			else
				fprintf(stderr, "%s:%zu: %s\n", o.pos[0],
				    lineno, err);
			continue;
		}
		ev = (Msosync__Event *)m;
		if (validate_event(ev, now, err, sizeof(err)) != 0) {
			if (bad++ < SHOW_ERRORS)
				fprintf(stderr, "%s:%zu: %s: %s\n", o.pos[0],
				    lineno, ev->event_id, err);
		} else {
			good++;
			per_body[ev->body_case]++;
			if (ev->body_case == MSOSYNC__EVENT__BODY_SALE)
				sales += ev->sale->amount_cents;
		}
		protobuf_c_message_free_unpacked(m, NULL);
	}
	free(line);
	if (f != stdin)
		fclose(f);

	printf("%zu events valid, %zu invalid\n", good, bad);
	for (unsigned i = 0; i < msosync__event__descriptor.n_fields; i++) {
		const ProtobufCFieldDescriptor *fd =
		    &msosync__event__descriptor.fields[i];
		if (fd->id >= MSOSYNC__EVENT__BODY_SALE &&
		    fd->id <= MSOSYNC__EVENT__BODY_VOID && per_body[fd->id])
			printf("  %-18s %8zu\n", fd->name, per_body[fd->id]);
	}
	printf("  sale lines total   %8lld.%02lld\n", sales / 100, sales % 100);
	return bad ? 1 : 0;
}
