/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replay driver for the fuzz harnesses: runs LLVMFuzzerTestOneInput() over every file in the
 * directories (or files) named on the command line, so every build, with any compiler, checks
 * the committed corpus (seeds and every crash ever fixed). The libFuzzer build links the harness
 * with -fsanitize=fuzzer instead of this file.
 *
 * Each input is copied into a heap buffer of exactly its size, so a sanitizer build
 * (-Db_sanitize=address,undefined) or valgrind sees any read past the end.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	FILE *f;

	f = fopen(path, "rb");
	if (f == NULL || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	len = (size_t)st.st_size;
	buf = malloc(len ? len : 1);
	if (buf == NULL || fread(buf, 1, len, f) != len) {
		fprintf(stderr, "%s: read failed\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int
filter_regular(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int
main(int argc, char **argv)
{
	unsigned int runs = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct dirent **names;
		struct stat st;
		int n;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) < 0)
				return 1;
			runs++;
			continue;
		}
		/* Sorted, so a failure always happens at the same input. */
		n = scandir(argv[i], &names, filter_regular, alphasort);
		if (n < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		for (int j = 0; j < n; j++) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(path) < 0)
					return 1;
				runs++;
			}
			free(names[j]);
		}
		free(names);
	}
	printf("%s: %u inputs replayed\n", argv[0], runs);
	return runs > 0 ? 0 : 1;
}
