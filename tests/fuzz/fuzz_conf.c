/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz lib/conf: every input is both a YAML configuration for tw_conf_parse() and a keystore
 * file ("KeyID hex-passphrase" lines) for tw_conf_keystore_load(), which reads it from a memfd
 * of mode 600 (the loader refuses key files others can read). Seeds: the committed configs
 * (config/ *.yaml files), keystores, and configs with canary keys (make_corpus.py).
 *
 * Properties (abort(), not assert(): release builds define NDEBUG):
 *  - parse: 0, or -EINVAL/-ENOMEM with a message "fuzz.yaml:LINE:COL: ..." that is one line of
 *    printable ASCII (input bytes come back escaped);
 *  - keystore: 0, or -EINVAL with "PATH:LINE: ..." of printable ASCII;
 *  - key hygiene (issue 6, part 4): no message holds a secret of the input: a canary passphrase
 *    or its octets in hex, or 16 or more hex digits of a `secret`/`secret_hex` value (YAML) or
 *    of a keystore passphrase, unless those characters also appear in the input where they are
 *    not a secret (a KeyID, another value: those may be quoted back);
 *  - a parsed config is valid: every string terminated, every count within its array, every
 *    number within its documented range, addresses and port ranges well formed, keys with
 *    distinct non-empty ids and 1-256 octet secrets; tw_conf_wipe_keys() leaves no key octet;
 *  - tw_conf_changed() (the reload's comparison) against the defaults: as many callbacks as it
 *    counts, the same both ways round, and none against itself;
 *  - no leak and no read past the input (ASan/LSan).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "tw_conf.h"

#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	ERR_LEN = 512,
	MAX_SECRETS = 64,
};

/* Secrets the seeds carry; none may ever appear in a message. */
#define CANARY_PASS "canary-pass-Q7wX9z"
#define CANARY_RAW "canary-raw-K3vP8m"	/* secret_hex/keystore: hex of these octets */
static const char *const canaries[] = {
	CANARY_PASS,
	CANARY_RAW,
	"twamp-lab-secret",			/* config/lab.yaml */
};

/* What the input holds where, found by walking its YAML events independently of lib/conf. */
struct scan {
	char *secrets[MAX_SECRETS];		/* values of `secret` and `secret_hex` keys */
	size_t secret_lens[MAX_SECRETS];
	unsigned int nb_secrets;
	char *other;				/* every other scalar, anchor, tag, NUL-separated */
	size_t other_len;
	size_t other_cap;
};

static void
other_add(struct scan *s, const void *p, size_t n)
{
	if (s->other_len + n + 1 > s->other_cap) {
		s->other_cap = (s->other_len + n + 1) * 2;
		s->other = realloc(s->other, s->other_cap);
		CHECK(s->other != NULL);
	}
	memcpy(s->other + s->other_len, p, n);
	s->other_len += n;
	s->other[s->other_len++] = '\0';
}

static void
other_str(struct scan *s, const yaml_char_t *p)
{
	if (p != NULL)
		other_add(s, p, strlen((const char *)p));
}

/* A value right after a `secret` or `secret_hex` key of a mapping is a secret. */
static void
scan_yaml(const uint8_t *data, size_t size, struct scan *s)
{
	enum { DEPTH = 64 };
	bool is_map[DEPTH], want_key[DEPTH], secret_next[DEPTH];
	yaml_parser_t yp;
	yaml_event_t ev;
	int depth = 0;

	if (!yaml_parser_initialize(&yp))
		return;
	yaml_parser_set_input_string(&yp, data, size);
	is_map[0] = want_key[0] = secret_next[0] = false;
	while (yaml_parser_parse(&yp, &ev)) {
		bool done = ev.type == YAML_STREAM_END_EVENT;
		bool in_map = depth > 0 && depth < DEPTH && is_map[depth];
		const char *v;
		size_t n;

		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			v = (const char *)ev.data.scalar.value;
			n = ev.data.scalar.length;
			if (in_map && !want_key[depth] && secret_next[depth] &&
			    s->nb_secrets < MAX_SECRETS) {
				/* keep a copy: the event is freed below */
				s->secrets[s->nb_secrets] = malloc(n + 1);
				CHECK(s->secrets[s->nb_secrets] != NULL);
				memcpy(s->secrets[s->nb_secrets], v, n);
				s->secret_lens[s->nb_secrets++] = n;
			} else {
				other_add(s, v, n);
			}
			other_str(s, ev.data.scalar.anchor);
			other_str(s, ev.data.scalar.tag);
			if (in_map) {
				secret_next[depth] = want_key[depth] &&
					((n == 6 && memcmp(v, "secret", 6) == 0) ||
					 (n == 10 && memcmp(v, "secret_hex", 10) == 0));
				want_key[depth] = !want_key[depth];
			}
			break;
		case YAML_ALIAS_EVENT:
			other_str(s, ev.data.alias.anchor);
			if (in_map)
				want_key[depth] = !want_key[depth];
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (ev.type == YAML_SEQUENCE_START_EVENT) {
				other_str(s, ev.data.sequence_start.anchor);
				other_str(s, ev.data.sequence_start.tag);
			} else {
				other_str(s, ev.data.mapping_start.anchor);
				other_str(s, ev.data.mapping_start.tag);
			}
			if (in_map) {
				secret_next[depth] = false;
				want_key[depth] = !want_key[depth];
			}
			depth++;
			if (depth < DEPTH) {
				is_map[depth] = ev.type == YAML_MAPPING_START_EVENT;
				want_key[depth] = true;
				secret_next[depth] = false;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (done)
			break;
	}
	yaml_parser_delete(&yp);
}

/* Keystore lines: the second word is the passphrase in hex. */
static void
scan_keystore(const uint8_t *data, size_t size, struct scan *s)
{
	size_t i = 0;

	while (i < size && s->nb_secrets < MAX_SECRETS) {
		size_t end = i, w;
		unsigned int word = 0;

		while (end < size && data[end] != '\n')
			end++;
		while (i < end) {
			while (i < end && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r'))
				i++;
			for (w = i; w < end && data[w] != ' ' && data[w] != '\t' && data[w] != '\r';
			     w++)
				;
			if (w > i && word++ == 1 && s->nb_secrets < MAX_SECRETS) {
				s->secrets[s->nb_secrets] = malloc(w - i);
				CHECK(s->secrets[s->nb_secrets] != NULL);
				memcpy(s->secrets[s->nb_secrets], data + i, w - i);
				s->secret_lens[s->nb_secrets++] = w - i;
			} else if (w > i) {
				other_add(s, data + i, w - i);
			}
			i = w;
		}
		i = end + 1;
	}
}

struct run_ctx {
	const struct scan *s;
};

/* A hex run of a message: a leak if a secret holds it and nothing else in the input does. */
static bool
run_leaks(void *arg, const char *run, size_t len)
{
	const struct scan *s = ((struct run_ctx *)arg)->s;

	if (s->other != NULL && fuzz_hex_in(s->other, s->other_len, run, len))
		return false;
	for (unsigned int i = 0; i < s->nb_secrets; i++) {
		if (fuzz_hex_in(s->secrets[i], s->secret_lens[i], run, len))
			return true;
	}
	return false;
}

static bool
other_has(const struct scan *s, const char *needle)
{
	return s->other != NULL && memmem(s->other, s->other_len, needle, strlen(needle)) != NULL;
}

/* The hex of a canary's octets, as a secret_hex or keystore line carries it. */
static void
hex_of(const char *s, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (; *s != '\0'; s++) {
		*out++ = digits[(unsigned char)*s >> 4];
		*out++ = digits[(unsigned char)*s & 15];
	}
	*out = '\0';
}

/*
 * Key hygiene of one message. The scan is only done when the message holds something that
 * could be a secret (a canary, or a long hex run), which it almost never does.
 */
static void
check_hygiene(const char *msg, const uint8_t *data, size_t size, bool yaml)
{
	char hex[128];				/* 2 * the longest canary + 1 */
	struct scan s;
	struct run_ctx rc = { .s = &s };
	bool suspect = false;

	for (size_t i = 0; i < sizeof(canaries) / sizeof(canaries[0]); i++) {
		hex_of(canaries[i], hex);
		suspect |= strstr(msg, canaries[i]) != NULL || fuzz_hex_in(msg, strlen(msg), hex,
									   strlen(hex));
	}
	for (const char *p = msg; *p != '\0' && !suspect; p++) {
		size_t n = 0;

		while (fuzz_is_hex(p[n]))
			n++;
		suspect = n >= FUZZ_HEX_RUN;
		p += n > 0 ? n - 1 : 0;
	}
	if (!suspect)
		return;

	memset(&s, 0, sizeof(s));
	if (yaml)
		scan_yaml(data, size, &s);
	else
		scan_keystore(data, size, &s);
	for (size_t i = 0; i < sizeof(canaries) / sizeof(canaries[0]); i++) {
		hex_of(canaries[i], hex);
		if (strstr(msg, canaries[i]) != NULL && !other_has(&s, canaries[i])) {
			fprintf(stderr, "secret \"%s\" in message: %s\n", canaries[i], msg);
			CHECK(!"a canary secret is in the message");
		}
		if (fuzz_hex_in(msg, strlen(msg), hex, strlen(hex)) &&
		    !(s.other != NULL && fuzz_hex_in(s.other, s.other_len, hex, strlen(hex)))) {
			fprintf(stderr, "secret hex of \"%s\" in message: %s\n", canaries[i], msg);
			CHECK(!"a canary secret (hex) is in the message");
		}
	}
	if (fuzz_hex_runs(msg, run_leaks, &rc)) {
		fprintf(stderr, "secret hex digits in message: %s\n", msg);
		CHECK(!"hex digits of a secret are in the message");
	}
	free(s.other);
	for (unsigned int i = 0; i < s.nb_secrets; i++)
		free(s.secrets[i]);
}

/* "name:LINE:COL: text" (YAML) or "name:LINE: text" (keystore); one printable line. */
static void
check_message(const char *msg, const char *name, int fields)
{
	size_t n = strlen(name);
	const char *p;

	CHECK(fuzz_printable(msg));
	CHECK(strncmp(msg, name, n) == 0 && msg[n] == ':');
	p = msg + n + 1;
	for (int i = 0; i < fields; i++) {
		CHECK(*p >= '1' && *p <= '9');
		while (*p >= '0' && *p <= '9')
			p++;
		CHECK(*p == ':');
		p++;
	}
	CHECK(p[0] == ' ' && p[1] != '\0');
}

static bool
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

#define STR_OK(f) CHECK(terminated((f), sizeof(f)))

static void
check_addr(const struct tw_conf_addr *a, bool host)
{
	unsigned int max = a->family == 4 ? 32 : 128;

	CHECK(a->family == 4 || a->family == 6);
	CHECK(a->prefixlen >= 1 && a->prefixlen <= max);
	CHECK(!host || a->prefixlen == max);
	if (a->family == 4)
		for (int i = 4; i < 16; i++)
			CHECK(a->addr[i] == 0);
}

static void
check_ranges(const struct tw_conf_port_range *r, unsigned int n, unsigned int max)
{
	CHECK(n <= max);
	for (unsigned int i = 0; i < n; i++) {
		CHECK(r[i].lo >= 1 && r[i].lo <= r[i].hi);
		for (unsigned int j = 0; j < i; j++)
			CHECK(r[j].hi < r[i].lo || r[i].hi < r[j].lo);
	}
}

static void
check_keys(const struct tw_conf *c)
{
	CHECK(c->nb_keys <= TW_CONF_MAX_KEYS);
	for (unsigned int i = 0; i < c->nb_keys; i++) {
		const struct tw_conf_key *k = &c->keys[i];

		CHECK(terminated(k->id, sizeof(k->id)) && k->id[0] != '\0');
		CHECK(strlen(k->id) <= TW_CONF_KEYID_LEN);
		CHECK(k->secret_len >= 1 && k->secret_len <= TW_CONF_MAX_SECRET);
		for (unsigned int j = 0; j < i; j++)
			CHECK(strcmp(c->keys[j].id, k->id) != 0);
	}
}

static void
check_conf(const struct tw_conf *c)
{
	STR_OK(c->lcores);
	STR_OK(c->file_prefix);
	STR_OK(c->log_level);
	STR_OK(c->port_device);
	STR_OK(c->tap_name);
	STR_OK(c->clock_phc);
	STR_OK(c->keystore);
	STR_OK(c->ike_static_keys);
	STR_OK(c->ike_socket);
	CHECK(c->lcores[0] != '\0' && c->tap_name[0] != '\0');
	CHECK(c->nb_eal_args <= TW_CONF_MAX_EAL_ARGS);
	for (unsigned int i = 0; i < c->nb_eal_args; i++)
		STR_OK(c->eal_args[i]);
	CHECK(c->rx_desc >= 64 && c->rx_desc <= 32768);
	CHECK(c->tx_desc >= 64 && c->tx_desc <= 32768);
	CHECK(c->nb_mbufs >= 1023 && c->nb_mbufs <= 16777215);
	CHECK(c->mtu >= 68 && c->mtu <= 9600);
	CHECK(c->csum_offload >= TW_CONF_AUTO && c->csum_offload <= TW_CONF_ON);
	CHECK(c->rx_ts <= TW_CONF_RX_TS_SOFTWARE);
	CHECK(c->nb_addrs <= TW_CONF_MAX_ADDRS && c->nb_light_addrs <= TW_CONF_MAX_ADDRS);
	for (unsigned int i = 0; i < c->nb_addrs; i++)
		check_addr(&c->addrs[i], false);
	for (unsigned int i = 0; i < c->nb_light_addrs; i++)
		check_addr(&c->light_addrs[i], true);
	check_ranges(c->light_ports, c->nb_light_ports, TW_CONF_MAX_PORT_RANGES);
	check_ranges(c->control_test_ports, c->nb_control_test_ports, TW_CONF_MAX_PORT_RANGES);
	CHECK(c->max_flows >= 1 && c->max_flows <= 16777216);
	CHECK(c->flow_idle_timeout_s >= 1 && c->flow_idle_timeout_s <= 86400);
	CHECK(c->clock_synchronized >= TW_CONF_AUTO && c->clock_synchronized <= TW_CONF_ON);
	CHECK(c->clock_resync_ms >= 10 && c->clock_resync_ms <= 60000);
	CHECK(c->ts_format <= TW_CONF_TS_AUTO && c->clock_source <= TW_CONF_CLOCK_PHC);
	CHECK((c->clock_source == TW_CONF_CLOCK_PHC) == (c->clock_phc[0] != '\0'));
	CHECK(c->clock_error_ns <= 1000000000);
	CHECK(c->control_port >= 1);
	CHECK((c->control_modes & ~(uint32_t)127) == 0);
	CHECK(c->control_count >= 1024 && c->control_count <= (1u << 24));
	CHECK(c->control_max_conns >= 1 && c->control_max_conns_per_source >= 1);
	CHECK(c->control_max_sessions >= 1 && c->control_max_sessions_per_conn >= 1);
	CHECK(c->control_handshake_timeout_s >= 1 && c->control_refwait_s >= 1);
	CHECK(c->control_max_padding <= 9000);
	CHECK(c->ike_spi_layout <= TW_CONF_SPI_4_4 && c->ike_provider <= TW_CONF_IKE_DAEMON);
	CHECK(c->ike_timeout_ms >= 100 && c->ike_timeout_ms <= 60000);
	if (c->control_enabled) {
		CHECK(c->control_modes & 15);
		CHECK(c->exception_enabled && c->nb_addrs > 0);
		CHECK(c->ike_provider != TW_CONF_IKE_STATIC || c->ike_static_keys[0] != '\0');
		CHECK(c->ike_provider != TW_CONF_IKE_DAEMON || c->ike_socket[0] != '\0');
	}
	check_keys(c);
}

static void
changed_cb(void *arg, const char *section, const char *key)
{
	CHECK(section != NULL && key != NULL && section[0] != '\0' && key[0] != '\0');
	CHECK(fuzz_printable(section) && fuzz_printable(key));
	(*(int *)arg)++;
}

static void
check_changed(const struct tw_conf *c)
{
	static struct tw_conf defaults;
	static bool init;
	int n, calls = 0;

	if (!init) {
		tw_conf_defaults(&defaults);
		init = true;
	}
	n = tw_conf_changed(c, &defaults, changed_cb, &calls);
	CHECK(n >= 0 && n == calls);
	CHECK(tw_conf_changed(&defaults, c, NULL, NULL) == n);
	CHECK(tw_conf_changed(c, c, changed_cb, &calls) == 0 && calls == n);
}

static void
check_wiped(struct tw_conf *c)
{
	static const struct tw_conf_key zero;

	tw_conf_wipe_keys(c);
	CHECK(c->nb_keys == 0);
	for (unsigned int i = 0; i < TW_CONF_MAX_KEYS; i++)
		CHECK(memcmp(&c->keys[i], &zero, sizeof(zero)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tw_conf c;
	char path[64], *err;
	int rc;

	/* exactly ERR_LEN octets on the heap: ASan sees a write past the message buffer */
	err = malloc(ERR_LEN);
	CHECK(err != NULL);

	memset(&c, 0xa5, sizeof(c));
	rc = tw_conf_parse((const char *)data, size, "fuzz.yaml", &c, err, ERR_LEN);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == 0) {
		CHECK(err[0] == '\0');
		check_conf(&c);
		check_changed(&c);
	} else {
		check_message(err, "fuzz.yaml", 2);
		check_hygiene(err, data, size, true);
	}
	check_wiped(&c);

	/* The same octets as a keystore, added to one key already configured. */
	tw_conf_defaults(&c);
	snprintf(c.keys[0].id, sizeof(c.keys[0].id), "lab");
	c.keys[0].secret_len = 1;
	c.nb_keys = 1;
	fuzz_file(data, size, path, sizeof(path));
	err[0] = '\0';
	rc = tw_conf_keystore_load(path, &c, err, ERR_LEN);
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc != 0) {
		check_message(err, path, 1);
		check_hygiene(err, data, size, false);
	}
	check_keys(&c);
	check_wiped(&c);
	free(err);
	return 0;
}
