/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the harnesses of the file loaders (fuzz_conf, fuzz_ike_static): the input
 * as a file the loader can open (a memfd, mode 600 like a real key file), and the checks every
 * loader error message must pass (one printable line; no secret from the input in it).
 */
#ifndef FUZZ_FILE_H
#define FUZZ_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(c)                                                                    \
	do {                                                                        \
		if (!(c)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                    \
		}                                                                   \
	} while (0)

/*
 * Put data[0..size) in a file that stays open for the life of the process; path gets a name
 * that open(2) reopens it by. The file is mode 600: loaders refuse key files others can read.
 */
static inline void
fuzz_file(const uint8_t *data, size_t size, char *path, size_t path_len)
{
	static int fd = -1;
	size_t off = 0;
	ssize_t n;

	if (fd < 0) {
		fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		CHECK(fd >= 0);
		CHECK(fchmod(fd, 0600) == 0);
	}
	CHECK(ftruncate(fd, 0) == 0);
	while (off < size) {
		n = pwrite(fd, data + off, size - off, (off_t)off);
		CHECK(n > 0);
		off += (size_t)n;
	}
	snprintf(path, path_len, "/proc/self/fd/%d", fd);
}

/* An error message is one line of printable ASCII: input bytes must come back escaped. */
static inline bool
fuzz_printable(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	}
	return true;
}

static inline bool
fuzz_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

enum { FUZZ_HEX_RUN = 16 };		/* 8 octets of a key in hex: never a coincidence */

/*
 * Call seen(arg, run, len) for every run of at least FUZZ_HEX_RUN hex digits in msg. Fixed
 * message texts and file names have none, so each one came from the input.
 * @return true if seen() returned true for one of them.
 */
static inline bool
fuzz_hex_runs(const char *msg, bool (*seen)(void *arg, const char *run, size_t len), void *arg)
{
	size_t i = 0, j;

	while (msg[i] != '\0') {
		if (!fuzz_is_hex(msg[i])) {
			i++;
			continue;
		}
		for (j = i; fuzz_is_hex(msg[j]); j++)
			;
		if (j - i >= FUZZ_HEX_RUN && seen(arg, msg + i, j - i))
			return true;
		i = j;
	}
	return false;
}

/* Case-insensitive memmem for hex text: a key may come back in either case. */
static inline bool
fuzz_hex_in(const char *hay, size_t hay_len, const char *needle, size_t len)
{
	for (size_t i = 0; len > 0 && i + len <= hay_len; i++) {
		size_t k;

		for (k = 0; k < len; k++) {
			char a = hay[i + k], b = needle[k];

			if (a >= 'A' && a <= 'F')
				a = (char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'F')
				b = (char)(b - 'A' + 'a');
			if (a != b)
				break;
		}
		if (k == len)
			return true;
	}
	return false;
}

#endif /* FUZZ_FILE_H */
