/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --bench-sessions FILE: benchmarks only. Installs TWAMP-Test sessions as if TWAMP-Control had
 * accepted and started them, with the control-session keys the file gives, so that tools/bench
 * can replay a capture of authenticated or encrypted test packets it made itself (with
 * tests/bench/benchgen, from the same file) at 100,000 sessions without 100,000 control
 * handshakes. The data path cannot tell these sessions from real ones: same table, same key pool,
 * same per-session state.
 *
 * One session per line, '#' starts a comment:
 *
 *   MODE SRC SPORT DST DPORT SID [AES HMAC]
 *
 * MODE is unauth, auth or enc; SRC/DST are the sender's and the reflector's IPv4 or IPv6
 * addresses, SPORT/DPORT their UDP ports (DPORT in control.test_ports, as the control server
 * would choose); SID 32 hex digits; AES (32 hex digits) and HMAC (64) are the control session's
 * AES and HMAC session keys (RFC 4656 §3.1), required for auth and enc: the test keys are derived
 * from them and the SID exactly as for a real session (RFC 4656 §4.1.2).
 *
 * TWAMP-Control itself need not be enabled: the session table and the key pool are sized by
 * control.max_sessions either way.
 *
 * Key material in a plain file is for benchmarks: the file must not be readable by group or
 * others (as the keystore), and the line buffer is wiped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_malloc.h>

#include "log.h"
#include "reflector.h"
#include "tw_bytes.h"
#include "tw_tcrypt.h"

/* Exactly n octets as 2n hex digits. */
static int
hex_field(const char *s, uint8_t *out, size_t n)
{
	return strlen(s) == 2 * n && tw_unhex(s, 2 * n, out, n) == (int)n ? 0 : -1;
}

static int
port_field(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* @return 0, or -1 with @err set (the line's problem, never a key). */
static int
parse_line(char *line, struct twr_session *s, uint8_t aes[TW_TCRYPT_AES_KEY_LEN],
	   uint8_t hmac[TW_TCRYPT_HMAC_KEY_LEN], const char **err)
{
	char *f[9], *save = NULL;
	int n = 0, fam;

	for (char *t = strtok_r(line, " \t\r\n", &save); t != NULL && n < 9;
	     t = strtok_r(NULL, " \t\r\n", &save))
		f[n++] = t;
	if (n != 6 && n != 8) {
		*err = "expected MODE SRC SPORT DST DPORT SID [AES HMAC]";
		return -1;
	}
	if (strcmp(f[0], "unauth") == 0)
		s->mode = TWR_SESS_UNAUTH;
	else if (strcmp(f[0], "auth") == 0)
		s->mode = TWR_SESS_AUTH;
	else if (strcmp(f[0], "enc") == 0)
		s->mode = TWR_SESS_ENC;
	else {
		*err = "MODE is unauth, auth or enc";
		return -1;
	}
	fam = strchr(f[1], ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(fam, f[1], s->key.src) != 1 || inet_pton(fam, f[3], s->key.dst) != 1) {
		*err = "SRC and DST are IPv4 or IPv6 addresses of one family";
		return -1;
	}
	s->key.family = fam == AF_INET ? 4 : 6;
	if (port_field(f[2], &s->key.sport) < 0 || port_field(f[4], &s->key.dport) < 0) {
		*err = "SPORT and DPORT are 1..65535";
		return -1;
	}
	if (hex_field(f[5], s->sid, sizeof(s->sid)) < 0) {
		*err = "SID is 32 hex digits";
		return -1;
	}
	if ((s->mode == TWR_SESS_UNAUTH) != (n == 6)) {
		*err = "AES and HMAC keys are given for auth and enc sessions, and only for them";
		return -1;
	}
	if (n == 8 && (hex_field(f[6], aes, TW_TCRYPT_AES_KEY_LEN) < 0 ||
		       hex_field(f[7], hmac, TW_TCRYPT_HMAC_KEY_LEN) < 0)) {
		*err = "AES is 32 hex digits, HMAC 64";
		return -1;
	}
	return 0;
}

int
twr_bench_sessions_load(struct twr_app *app, const char *path)
{
	uint8_t aes[TW_TCRYPT_AES_KEY_LEN], hmac[TW_TCRYPT_HMAC_KEY_LEN];
	char line[512];
	unsigned int lineno = 0, nb = 0;
	struct stat st;
	int ret = 0;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		ret = -errno;
		MAIN_LOG(ERR, "--bench-sessions %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0) {
		MAIN_LOG(ERR, "--bench-sessions %s holds keys and is readable by group or others "
			 "(chmod 600)", path);
		fclose(f);
		return -EPERM;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		struct twr_session *s;
		const char *err = NULL;
		char *hash = strchr(line, '#');

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			MAIN_LOG(ERR, "%s:%u: line too long", path, lineno);
			ret = -EINVAL;
			break;
		}
		if (hash != NULL)
			*hash = '\0';
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		s = rte_zmalloc("twr_session", sizeof(*s), RTE_CACHE_LINE_SIZE);
		if (s == NULL) {
			ret = -ENOMEM;
			MAIN_LOG(ERR, "%s:%u: out of memory", path, lineno);
			break;
		}
		if (parse_line(line, s, aes, hmac, &err) < 0) {
			MAIN_LOG(ERR, "%s:%u: %s", path, lineno, err);
			rte_free(s);
			ret = -EINVAL;
			break;
		}
		s->timeout_ns = UINT64_MAX;
		s->started = true;
		if (s->mode != TWR_SESS_UNAUTH) {
			ret = twr_session_keys_raw(s, aes, hmac);
			if (ret < 0) {
				MAIN_LOG(ERR, "%s:%u: no key slot (control.max_sessions %u): %s", path,
					 lineno, app->conf->control_max_sessions, strerror(-ret));
				rte_free(s);
				break;
			}
		}
		ret = rte_hash_lookup(app->sessions, &s->key) >= 0 ? -EEXIST :
		      twr_session_install(app, s);
		if (ret < 0) {
			MAIN_LOG(ERR, "%s:%u: cannot install the session (duplicate 5-tuple, or more "
				 "than control.max_sessions %u): %s", path, lineno,
				 app->conf->control_max_sessions, strerror(-ret));
			s->started = false;	/* not in the table: free it directly */
			twr_session_remove(app, s);
			break;
		}
		nb++;
	}
	tw_tcrypt_wipe(line, sizeof(line));
	tw_tcrypt_wipe(aes, sizeof(aes));
	tw_tcrypt_wipe(hmac, sizeof(hmac));
	fclose(f);
	if (ret < 0)
		return ret;
	MAIN_LOG(WARNING, "--bench-sessions: installed %u test session(s) from %s: benchmarks only, "
		 "no TWAMP-Control behind them", nb, path);
	return (int)nb;
}
