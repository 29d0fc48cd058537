/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared secret of authenticated, encrypted and mixed modes (RFC 4656 §3.1: a KeyID, up to
 * 80 octets of UTF-8, and a secret the server knows under that KeyID; lib/ctrl turns it into the
 * Token key with PBKDF2 and the greeting's Salt and Count).
 *
 * Three sources, one at a time: --passphrase TEXT (its octets), --passphrase-file F (its first
 * line), --keystore F ("KeyID hex-passphrase" lines, the owampd/twampd pfs format, read by the
 * same lib/conf parser as the reflector's control.keystore). Files that group or others may
 * access are refused. No secret is ever printed; every copy is wiped.
 *
 * RFC 7717 mode 128: the secret is PRF(SK_d, "IPPM") of an IKEv2 SA; the SA's SPIs go in the
 * Set-Up-Response Key ID instead of a KeyID. Two key providers:
 *  - --ike-static F: lib/ike's static file ("SPIi SPIr PRF SK_d" lines, SK_d never kept);
 *  - --ike-socket S: the local IKE daemon's "ippm" socket (tools/strongswan), asked for the
 *    newest IKEv2 SA with the reflector's address (or the SA of --ike-spis); it answers with the
 *    SPIs, the PRF and the derived secret, SK_d never leaves the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "tw_conf.h"
#include "tw_ike.h"
#include "tw_ike_kpc.h"
#include "tw_ike_static.h"

static int __attribute__((format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "twamp-client: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return -1;
}

static int
set_keyid(struct client_key *k, const char *id)
{
	size_t n = strlen(id);

	/* RFC 4656 §3.1: KeyID is UTF-8, zero-padded to 80 octets (so it cannot contain a NUL). */
	if (n == 0 || n > TW_CTRL_KEYID_LEN)
		return fail("KeyID must be 1 to %d octets", TW_CTRL_KEYID_LEN);
	memset(k->keyid, 0, sizeof(k->keyid));
	memcpy(k->keyid, id, n);
	memcpy(k->keyid_str, id, n);
	k->keyid_str[n] = '\0';
	return 0;
}

static int
set_secret(struct client_key *k, const uint8_t *p, size_t n)
{
	if (n == 0 || n > sizeof(k->secret))
		return fail("the passphrase must be 1 to %zu octets", sizeof(k->secret));
	memcpy(k->secret, p, n);
	k->secret_len = n;
	return 0;
}

/* --passphrase-file: the first line, without its end of line; the file private to its owner. */
static int
load_passphrase_file(const char *path, struct client_key *k)
{
	uint8_t buf[TW_CTRL_SECRET_MAX + 2];
	struct stat st;
	ssize_t n;
	size_t len;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail("%s: not a regular file", path);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return fail("%s: passphrase file is accessible by group or others (mode %03o): "
			    "chmod 600 it", path, (unsigned int)(st.st_mode & 0777));
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return fail("%s: %s", path, strerror(errno));
	len = (size_t)n;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			len = i;
			break;
		}
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len > TW_CTRL_SECRET_MAX) {
		explicit_bzero(buf, sizeof(buf));
		return fail("%s: passphrase longer than %d octets", path, TW_CTRL_SECRET_MAX);
	}
	rc = set_secret(k, buf, len);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

static int
load_keystore(const struct client_opts *o, struct client_key *k)
{
	struct tw_conf *c = calloc(1, sizeof(*c));
	const struct tw_conf_key *key = NULL;
	char err[512];
	int rc;

	if (c == NULL)
		return fail("out of memory");
	/* Same parser and permission rule as the reflector's control.keystore. */
	rc = tw_conf_keystore_load(o->keystore, c, err, sizeof(err));
	if (rc != 0) {
		fail("%s", err);
		goto out;
	}
	if (o->keyid != NULL) {
		for (unsigned int i = 0; i < c->nb_keys; i++) {
			if (strcmp(c->keys[i].id, o->keyid) == 0)
				key = &c->keys[i];
		}
		if (key == NULL) {
			rc = fail("%s: no KeyID '%s'", o->keystore, o->keyid);
			goto out;
		}
	} else if (c->nb_keys == 1) {
		key = &c->keys[0];
	} else {
		rc = fail("%s holds %u keys: choose one with -k KEYID", o->keystore, c->nb_keys);
		goto out;
	}
	rc = set_keyid(k, key->id);
	if (rc == 0)
		rc = set_secret(k, key->secret, key->secret_len);
out:
	tw_conf_wipe_keys(c);
	free(c);
	return rc;
}

int
keys_load(const struct client_opts *o, struct client_key *k)
{
	int rc;

	memset(k, 0, sizeof(*k));
	if (o->keystore != NULL) {
		rc = load_keystore(o, k);
	} else if (o->passphrase != NULL || o->passphrase_file != NULL) {
		if (o->keyid == NULL)
			return fail("a passphrase needs its KeyID (-k KEYID)");
		rc = set_keyid(k, o->keyid);
		if (rc == 0 && o->passphrase != NULL)
			rc = set_secret(k, (const uint8_t *)o->passphrase, strlen(o->passphrase));
		else if (rc == 0)
			rc = load_passphrase_file(o->passphrase_file, k);
	} else {
		if (o->keyid != NULL)
			return fail("-k needs --passphrase, --passphrase-file or --keystore");
		return 0;
	}
	if (rc != 0) {
		keys_wipe(k);
		return -1;
	}
	k->present = true;
	return 0;
}

void
keys_wipe(struct client_key *k)
{
	explicit_bzero(k, sizeof(*k));
}

void
keys_hex(const uint8_t *p, size_t n, char *buf)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = digits[p[i] >> 4];
		buf[2 * i + 1] = digits[p[i] & 15];
	}
	buf[2 * n] = '\0';
}

static int
ike_load_static(const struct client_opts *o, struct client_ike *ik)
{
	const struct tw_ike_static_entry *e;
	struct tw_ike_static *t;
	size_t want = tw_ctrl_spi_len(o->spi_layout);
	char err[512], hi[17], hr[17];
	int rc = -1;

	err[0] = '\0';
	/* lib/ike refuses files that group or others may access, as keys_load() does. */
	t = tw_ike_static_load(o->ike_static, err, sizeof(err));
	if (t == NULL)
		return fail("%s", err[0] != '\0' ? err : o->ike_static);
	if (o->ike_spis_set) {
		e = tw_ike_static_find(t, o->ike_spi_i, o->ike_spi_r, o->ike_spi_len);
		if (e == NULL) {
			keys_hex(o->ike_spi_i, o->ike_spi_len, hi);
			keys_hex(o->ike_spi_r, o->ike_spi_len, hr);
			fail("%s: no IKE SA with SPIs %s:%s", o->ike_static, hi, hr);
			goto out;
		}
	} else {
		e = tw_ike_static_first(t);
		if (e == NULL) {
			fail("%s: no IKE SA in the file", o->ike_static);
			goto out;
		}
	}
	if (e->spi_len != want) {
		keys_hex(e->spi_i, e->spi_len, hi);
		keys_hex(e->spi_r, e->spi_len, hr);
		fail("%s: IKE SA %s:%s has %u-octet SPIs, --spi-layout %s needs %zu-octet ones%s",
		     o->ike_static, hi, hr, (unsigned int)e->spi_len,
		     o->spi_layout == TW_CTRL_SPI_4_4 ? "4+4" : "8+8", want,
		     o->ike_spis_set ? "" : " (name one with --ike-spis)");
		goto out;
	}
	if (e->secret_len == 0 || e->secret_len > sizeof(e->secret)) {
		fail("%s: IKE SA with an unusable derived key (%u octets)", o->ike_static,
		     (unsigned int)e->secret_len);
		goto out;
	}
	ik->layout = o->spi_layout;
	ik->spi_len = (uint8_t)want;
	memcpy(ik->spi_i, e->spi_i, want);
	memcpy(ik->spi_r, e->spi_r, want);
	ik->prf = (int)e->prf;
	ik->provider = "static";
	memcpy(ik->secret, e->secret, e->secret_len);
	ik->secret_len = e->secret_len;
	ik->present = true;
	rc = 0;
out:
	tw_ike_static_free(t);	/* wipes its copies */
	return rc;
}

struct ike_answer {
	int status;
	struct tw_ike_kp_response r;
};

static void
ike_answer(void *arg, uint64_t tag, int status, const struct tw_ike_kp_response *resp)
{
	struct ike_answer *a = arg;

	(void)tag;
	a->status = status;
	if (resp != NULL)
		a->r = *resp;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One request to the IKE daemon, answered within timeout_ms. @return 0 or -errno. */
static int
ike_ask(const char *path, struct tw_ike_kpc *k, uint64_t timeout_ms, struct ike_answer *a)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint64_t deadline = mono_ms() + timeout_ms;
	const uint8_t *out;
	uint8_t buf[256];
	size_t len;
	int fd, ret = 0;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		goto out;
	}
	while ((len = tw_ike_kpc_pending_out(k, &out)) > 0) {
		ssize_t n = send(fd, out, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		tw_ike_kpc_written(k, (size_t)n);
	}
	while (tw_ike_kpc_inflight(k) > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = mono_ms();
		ssize_t n;

		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) == 0) {
			ret = -ETIMEDOUT;
			break;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n == 0 ? -ECONNRESET : -errno;
			break;
		}
		if (tw_ike_kpc_input(k, buf, (size_t)n, ike_answer, a) < 0) {
			ret = -EBADMSG;
			break;
		}
	}
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return ret;
}

static int
ike_load_daemon(const struct client_opts *o, struct client_ike *ik)
{
	static struct tw_ike_kpc k;	/* one request; static: it is large */
	const struct sockaddr_storage *peer = &o->tp.peer;
	struct ike_answer a = { .status = -EIO };
	size_t want = tw_ctrl_spi_len(o->spi_layout);
	char what[96], hi[17], hr[17];
	int rc = -1, ret;

	tw_ike_kpc_init(&k);
	if (o->ike_spis_set) {
		keys_hex(o->ike_spi_i, o->ike_spi_len, hi);
		keys_hex(o->ike_spi_r, o->ike_spi_len, hr);
		snprintf(what, sizeof(what), "IKE SA with SPIs %s:%s", hi, hr);
		ret = tw_ike_kpc_submit_spis(&k, 0, UINT64_MAX, o->ike_spi_i, o->ike_spi_r,
					     o->ike_spi_len);
	} else {
		/* The reflector's address, as the IKE daemon knows its peer (no port). */
		const void *addr = peer->ss_family == AF_INET ?
				(const void *)&((const struct sockaddr_in *)peer)->sin_addr :
				(const void *)&((const struct sockaddr_in6 *)peer)->sin6_addr;
		char txt[INET6_ADDRSTRLEN] = "?";

		inet_ntop(peer->ss_family, addr, txt, sizeof(txt));
		snprintf(what, sizeof(what), "IKE SA with %s", txt);
		ret = tw_ike_kpc_submit_peer(&k, 0, UINT64_MAX, peer->ss_family, addr);
	}
	if (ret == 0)
		ret = ike_ask(o->ike_socket, &k, o->control_timeout_ns / 1000000, &a);
	if (ret < 0) {
		fail("IKE daemon at %s: %s%s", o->ike_socket,
		     ret == -ENOENT || ret == -ECONNREFUSED ? "unreachable (is charon running with "
		     "the ippm plugin?): " : ret == -ETIMEDOUT ? "no answer in time" :
		     ret == -EBADMSG ? "malformed answer" : "", ret == -ETIMEDOUT ||
		     ret == -EBADMSG ? "" : strerror(-ret));
		goto out;
	}
	if (a.status == -ENOENT) {
		fail("the IKE daemon at %s knows no established %s: bring one up first "
		     "(e.g. swanctl --initiate --ike NAME)", o->ike_socket, what);
		rc = -2;
		goto out;
	}
	if (a.status != 0) {
		fail("the IKE daemon at %s could not derive the key of the %s", o->ike_socket,
		     what);
		goto out;
	}
	if (a.r.key_len == 0 || a.r.key_len > sizeof(ik->secret)) {
		fail("the IKE daemon at %s sent an unusable key (%zu octets)", o->ike_socket,
		     a.r.key_len);
		goto out;
	}
	ik->layout = o->spi_layout;
	ik->spi_len = (uint8_t)want;
	/* By SPIs: the daemon's SA is the one asked for. By peer: the SPIs come with the key;
	 * the draft's 4 + 4 layout sends their first four octets. */
	memcpy(ik->spi_i, o->ike_spis_set ? o->ike_spi_i : a.r.spi_i, want);
	memcpy(ik->spi_r, o->ike_spis_set ? o->ike_spi_r : a.r.spi_r, want);
	ik->prf = (int)a.r.prf;
	ik->provider = "ike-daemon";
	memcpy(ik->secret, a.r.key, a.r.key_len);
	ik->secret_len = a.r.key_len;
	ik->present = true;
	rc = 0;
out:
	tw_ike_kp_response_wipe(&a.r);
	tw_ike_kpc_init(&k);
	return rc;
}

int
keys_load_ike(const struct client_opts *o, struct client_ike *ik)
{
	memset(ik, 0, sizeof(*ik));
	if (o->ike_static != NULL)
		return ike_load_static(o, ik);
	if (o->ike_socket != NULL)
		return ike_load_daemon(o, ik);
	return 0;
}

void
keys_ike_wipe(struct client_ike *ik)
{
	explicit_bzero(ik, sizeof(*ik));
}
