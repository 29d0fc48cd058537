/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the static IKE SA file of RFC 7717 mode 128 (lib/ike/static.c, "SPIi SPIr PRF SK_d" per
 * line): the input is the file, which tw_ike_static_load() reads from a memfd of mode 600 (it
 * refuses files others can read). Seeds: config/lab-ike.keys and variants (make_corpus.py).
 *
 * Properties (abort(), not assert(): release builds define NDEBUG):
 *  - a table, or NULL with a message "PATH:LINE: ..." or "PATH: ..." of printable ASCII;
 *  - key hygiene (issue 6, part 4): no message holds 16 or more hex digits of an SK_d of the
 *    input (SPIs are not secret and may be quoted);
 *  - a table holds exactly the SA lines of the file, in order (checked against an independent
 *    reading of the lines when the file has no NUL and no overlong line): SPIs as written, both
 *    non-zero, 4 or 8 octets; secret = PRF(SK_d, "IPPM") of that line's PRF and SK_d, of the
 *    PRF's length; tw_ike_static_find() returns each entry for its own SPIs (no duplicates);
 *  - tw_ike_static_free() leaves nothing behind (ASan/LSan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_bytes.h"
#include "tw_ike_static.h"

#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	ERR_LEN = 512,
	MAX_LINE = 1000,			/* shorter than the loader's buffer: no edge case */
	WORDS = 5,
};

struct line_words {
	const char *w[WORDS];
	size_t n[WORDS];
	unsigned int nb;
};

/* Split data[i..end) at blanks (the loader's strtok set without '\n'). */
static void
words(const uint8_t *data, size_t i, size_t end, struct line_words *lw)
{
	size_t w;

	lw->nb = 0;
	while (i < end) {
		while (i < end && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r'))
			i++;
		for (w = i; w < end && data[w] != ' ' && data[w] != '\t' && data[w] != '\r'; w++)
			;
		if (w > i && lw->nb < WORDS) {
			lw->w[lw->nb] = (const char *)data + i;
			lw->n[lw->nb++] = w - i;
		}
		i = w;
	}
}

static bool
is_comment_or_blank(const uint8_t *data, size_t i, size_t end)
{
	while (i < end && (data[i] == ' ' || data[i] == '\t'))
		i++;
	return i == end || data[i] == '#' || data[i] == '\r';
}

struct skd_ctx {
	const uint8_t *data;
	size_t size;
};

/* A hex run of a message that is part of some line's fourth word (SK_d) leaks a key. */
static bool
skd_leaks(void *arg, const char *run, size_t len)
{
	const struct skd_ctx *x = arg;
	struct line_words lw;
	size_t i = 0, end;

	while (i < x->size) {
		for (end = i; end < x->size && x->data[end] != '\n'; end++)
			;
		words(x->data, i, end, &lw);
		if (lw.nb >= 4 && fuzz_hex_in(lw.w[3], lw.n[3], run, len))
			return true;
		i = end + 1;
	}
	return false;
}

/* The table against an independent reading of the file. */
static void
check_table(const struct tw_ike_static *t, const uint8_t *data, size_t size)
{
	const struct tw_ike_static_entry *e, *first = tw_ike_static_first(t);
	unsigned int n = tw_ike_static_count(t), k = 0;
	struct line_words lw;
	uint8_t spi_i[8], spi_r[8], skd[256], secret[TW_IKE_PRF_OUT_MAX], zi, zr;
	char word[64];
	size_t i, end, out_len;
	bool exact = memchr(data, '\0', size) == NULL;
	int prf, li, lr, l;

	CHECK(n <= TW_IKE_STATIC_MAX);
	CHECK((n == 0) == (first == NULL));
	for (i = 0; i < size && exact; i = end + 1) {
		for (end = i; end < size && data[end] != '\n'; end++)
			;
		exact = end - i < MAX_LINE;
	}
	if (!exact)
		return;
	for (i = 0; i < size; i = end + 1) {
		for (end = i; end < size && data[end] != '\n'; end++)
			;
		if (is_comment_or_blank(data, i, end))
			continue;
		words(data, i, end, &lw);
		CHECK(lw.nb == 4 && k < n);
		li = tw_unhex(lw.w[0], lw.n[0], spi_i, sizeof(spi_i));
		lr = tw_unhex(lw.w[1], lw.n[1], spi_r, sizeof(spi_r));
		CHECK(li == lr && (li == 4 || li == 8));
		zi = zr = 0;
		for (int j = 0; j < li; j++) {
			zi |= spi_i[j];
			zr |= spi_r[j];
		}
		CHECK(zi != 0 && zr != 0);
		/* this line's SA, and the first line's is the first entry */
		e = tw_ike_static_find(t, spi_i, spi_r, (size_t)li);
		CHECK(e != NULL && e->spi_len == li);
		CHECK(k > 0 || e == first);
		k++;
		CHECK(lw.n[2] < sizeof(word));
		memcpy(word, lw.w[2], lw.n[2]);
		word[lw.n[2]] = '\0';
		prf = tw_ike_prf_parse(word);
		CHECK(prf > 0 && (enum tw_ike_prf)prf == e->prf);
		CHECK(e->secret_len > 0 && e->secret_len == tw_ike_prf_out_len(e->prf));
		l = tw_unhex(lw.w[3], lw.n[3], skd, sizeof(skd));
		CHECK(l > 0);
		out_len = sizeof(secret);
		CHECK(tw_ike_ippm_secret(e->prf, skd, (size_t)l, secret, &out_len) == 0);
		CHECK(out_len == e->secret_len && memcmp(secret, e->secret, out_len) == 0);
	}
	/* every entry came from a line of its own: no line is listed twice */
	CHECK(k == n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skd_ctx x = { .data = data, .size = size };
	struct tw_ike_static *t;
	char path[64], *err;
	size_t n;

	err = malloc(ERR_LEN);
	CHECK(err != NULL);
	err[0] = '\0';
	fuzz_file(data, size, path, sizeof(path));
	t = tw_ike_static_load(path, err, ERR_LEN);
	if (t == NULL) {
		n = strlen(path);
		CHECK(fuzz_printable(err));
		CHECK(strncmp(err, path, n) == 0 && err[n] == ':' && err[n + 1] != '\0');
		if (fuzz_hex_runs(err, skd_leaks, &x)) {
			fprintf(stderr, "SK_d hex digits in message: %s\n", err);
			CHECK(!"hex digits of an SK_d are in the message");
		}
	} else {
		check_table(t, data, size);
		tw_ike_static_free(t);
	}
	free(err);
	return 0;
}
