/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "tw_bytes.h"
#include "tw_ctrl_crypto.h"
#include "tw_ike_static.h"

struct tw_ike_static {
	unsigned int n;
	struct tw_ike_static_entry e[TW_IKE_STATIC_MAX];
};

static bool
all_zero(const uint8_t *p, size_t n)
{
	uint8_t z = 0;

	for (size_t i = 0; i < n; i++)
		z |= p[i];
	return z == 0;
}

/* Parse one non-comment line into e. @return NULL or an error message. */
static const char *
parse_line(char *line, struct tw_ike_static_entry *e)
{
	char *save, *spi_i, *spi_r, *prf, *skd;
	uint8_t sk_d[256];
	size_t out_len = sizeof(e->secret);
	int li, lr, ls, p, ret;

	spi_i = strtok_r(line, " \t\r\n", &save);
	spi_r = strtok_r(NULL, " \t\r\n", &save);
	prf = strtok_r(NULL, " \t\r\n", &save);
	skd = strtok_r(NULL, " \t\r\n", &save);
	if (skd == NULL || strtok_r(NULL, " \t\r\n", &save) != NULL)
		return "expected \"SPIi SPIr PRF SK_d\"";
	li = tw_unhex(spi_i, strlen(spi_i), e->spi_i, sizeof(e->spi_i));
	lr = tw_unhex(spi_r, strlen(spi_r), e->spi_r, sizeof(e->spi_r));
	if (li != lr || (li != 8 && li != 4))
		return "SPIi and SPIr must both be 8 octets (16 hex digits), or both 4";
	/* RFC 7296 §3.1: an established IKE SA has two non-zero SPIs. */
	if (all_zero(e->spi_i, (size_t)li) || all_zero(e->spi_r, (size_t)lr))
		return "an SPI of zero names no IKE SA";
	e->spi_len = (uint8_t)li;
	p = tw_ike_prf_parse(prf);
	if (p < 0)
		return "unknown PRF (prfsha1, prfaesxcbc, prfsha256, prfsha384, prfsha512, prfaescmac)";
	e->prf = (enum tw_ike_prf)p;
	ls = tw_unhex(skd, strlen(skd), sk_d, sizeof(sk_d));
	/* Never echo key material into the message. */
	if (ls <= 0)
		return "SK_d is not an even number of hex digits (1-256 octets)";
	ret = tw_ike_ippm_secret(e->prf, sk_d, (size_t)ls, e->secret, &out_len);
	OPENSSL_cleanse(sk_d, sizeof(sk_d));
	if (ret < 0)
		return "cannot derive PRF(SK_d, \"IPPM\")";
	e->secret_len = (uint8_t)out_len;
	return NULL;
}

struct tw_ike_static *
tw_ike_static_load(const char *path, char *err, size_t errlen)
{
	char line[1024];
	struct tw_ike_static *t = NULL;
	unsigned int lineno = 0;
	struct stat st;
	FILE *f = NULL;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s: accessible by group or others (mode %03o): chmod 600 it",
			 path, (unsigned int)(st.st_mode & 0777));
		goto fail;
	}
	/* The derived secrets live in here: pages of their own, never in a core dump. */
	t = tw_secmem_alloc(sizeof(*t));
	f = fdopen(fd, "r");
	if (t == NULL || f == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	fd = -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct tw_ike_static_entry e = { 0 };
		const char *msg;
		size_t i;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			goto fail;
		}
		for (i = 0; line[i] == ' ' || line[i] == '\t'; i++)
			;
		if (line[i] == '#' || line[i] == '\n' || line[i] == '\r' || line[i] == '\0')
			continue;
		msg = parse_line(line + i, &e);
		if (msg == NULL && tw_ike_static_find(t, e.spi_i, e.spi_r, e.spi_len) != NULL)
			msg = "this SPI pair is listed twice";
		if (msg == NULL && t->n == TW_IKE_STATIC_MAX)
			msg = "too many SAs";
		if (msg != NULL) {
			OPENSSL_cleanse(&e, sizeof(e));
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			goto fail;
		}
		t->e[t->n++] = e;
		OPENSSL_cleanse(&e, sizeof(e));
	}
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	return t;
fail:
	OPENSSL_cleanse(line, sizeof(line));
	if (f != NULL)
		fclose(f);
	if (fd >= 0)
		close(fd);
	tw_ike_static_free(t);
	return NULL;
}

const struct tw_ike_static_entry *
tw_ike_static_find(const struct tw_ike_static *t, const uint8_t *spi_i, const uint8_t *spi_r,
		   size_t spi_len)
{
	/* SPIs are not secret (they travel in the clear in IKE and in the Key ID). */
	for (unsigned int i = 0; t != NULL && i < t->n; i++) {
		const struct tw_ike_static_entry *e = &t->e[i];

		if (e->spi_len == spi_len && memcmp(e->spi_i, spi_i, spi_len) == 0 &&
		    memcmp(e->spi_r, spi_r, spi_len) == 0)
			return e;
	}
	return NULL;
}

const struct tw_ike_static_entry *
tw_ike_static_first(const struct tw_ike_static *t)
{
	return t != NULL && t->n > 0 ? &t->e[0] : NULL;
}

unsigned int
tw_ike_static_count(const struct tw_ike_static *t)
{
	return t != NULL ? t->n : 0;
}

void
tw_ike_static_free(struct tw_ike_static *t)
{
	if (t == NULL)
		return;
	tw_secmem_free(t, sizeof(*t));	/* wipes */
}
