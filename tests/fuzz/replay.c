/*
 * A main() for the harnesses where libFuzzer is not at hand (a gcc build,
 * valgrind): run LLVMFuzzerTestOneInput once on every file named, or on
 * every file of every directory named, in name order. The seed corpora,
 * the bad-input catalogue and the regression inputs of past findings are
 * thus replayed by every build as unit tests (fuzz_replay_<target>); a
 * broken property aborts, exactly as under libFuzzer.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static size_t	nrun;

static int
run_file(const char *path)
{
	FILE	*f;
	uint8_t	*data = NULL, *exact;
	size_t	 len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 4096;
			data = xrealloc(data, cap);
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		perror(path);
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	/* an exact-size copy, so reads past the input are caught */
	exact = xmalloc(len ? len : 1);
	memcpy(exact, data, len);
	free(data);
	(void)LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	nrun++;
	return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
run_path(const char *path)
{
	struct dirent	**list;
	struct stat	  sb;
	char		 *sub;
	int		  n, rc = 0;

	if (stat(path, &sb) == -1) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(sb.st_mode))
		return run_file(path);
	if ((n = scandir(path, &list, NULL, by_name)) == -1) {
		perror(path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		sub = xasprintf("%s/%s", path, list[i]->d_name);
		if (list[i]->d_name[0] != '.' && stat(sub, &sb) == 0 &&
		    S_ISREG(sb.st_mode) && run_file(sub) != 0)
			rc = -1;
		free(sub);
		free(list[i]);
	}
	free(list);
	return rc;
}

int
main(int argc, char **argv)
{
	int	rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR ...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i]) != 0)
			rc = 1;
	printf("%zu inputs replayed\n", nrun);
	return rc == 0 && nrun > 0 ? 0 : 1;
}
