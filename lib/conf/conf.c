/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * YAML configuration: the libyaml event stream is walked against a fixed two-level schema
 * (section -> key -> scalar or list of scalars). The event API rather than the document API,
 * because it lets us refuse aliases before they are expanded, stop at the first unexpected node
 * (so deep nesting and huge documents cost nothing) and keep the mark of every node for the
 * error message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "tw_bytes.h"
#include "tw_conf.h"

enum conf_limits {
	CONF_MAX_FILE = 1 << 20,	/* a config is a page of text; more is a mistake */
	SHOW_MAX = 40,			/* input bytes of a bad value quoted back in an error */
	SHOW_BUF = 4 * SHOW_MAX + 8,	/* every byte may become \xNN, plus quotes and "..." */
	RANGE_BUF = 16,			/* "65535-65535" */
};

struct parser {
	yaml_parser_t yp;
	yaml_event_t ev;		/* the current event, owned while have_ev */
	bool have_ev;
	const char *name;
	const char *text;
	size_t len;
	char *errbuf;
	size_t errlen;
	struct tw_conf *c;
	unsigned int nb_sections;	/* sections present in the document */
	bool light_seen;
	yaml_mark_t light_mark;
	bool light_addrs_set;		/* light.addresses given, even as [] */
	bool ike_provider_set;		/* control.ike_provider given */
};

struct key {
	const char *name;
	int (*parse)(struct parser *p, const char *sect, const struct key *k);
	size_t off;		/* of the field in struct tw_conf */
	size_t size;		/* of that field */
	uint32_t min;		/* integers: lowest value; strings: shortest length */
	uint32_t max;		/* integers: highest value; strings: the field size decides */
	const char *charset;	/* strings: allowed bytes, NULL = any */
	const char *hint;	/* what a valid value looks like, for messages */
	const char *const *choices;	/* key_choice: the words, NULL-terminated; the field (an
					 * enum) gets the index of the one given */
};

struct section {
	const char *name;
	const struct key *keys;
	unsigned int nb_keys;
};

static const char ifname_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
static const char lcore_chars[] = "0123456789,-";

static const char *const default_eal_args[] = { "--no-huge", "-m", "512", "--no-pci" };

void
tw_conf_defaults(struct tw_conf *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	snprintf(c->lcores, sizeof(c->lcores), "0,1");
	for (i = 0; i < sizeof(default_eal_args) / sizeof(default_eal_args[0]); i++)
		snprintf(c->eal_args[i], sizeof(c->eal_args[i]), "%s", default_eal_args[i]);
	c->nb_eal_args = i;

	c->rx_desc = 1024;
	c->tx_desc = 1024;
	c->nb_mbufs = 8191;
	c->mtu = 1500;
	c->csum_offload = TW_CONF_AUTO;
	c->promiscuous = true;
	c->dist_rx_weight = 50;

	c->exception_enabled = true;
	snprintf(c->tap_name, sizeof(c->tap_name), "twr0");

	c->light_enabled = true;
	c->light_ports[0].lo = 862;	/* RFC 5357 well-known TWAMP port */
	c->light_ports[0].hi = 862;
	c->nb_light_ports = 1;
	c->max_flows = 65536;
	c->flow_idle_timeout_s = 900;

	c->clock_synchronized = TW_CONF_AUTO;
	c->clock_resync_ms = 1000;
	c->ts_format = TW_CONF_TS_AUTO;

	c->control_enabled = false;	/* needs the exception path and addresses: opt in */
	c->control_port = 862;		/* RFC 5357 §3.1 well-known TWAMP-Control port */
	/* Secured modes need keys, so they are offered only when the config names them. */
	c->control_modes = TW_CONF_MODE_UNAUTH | TW_CONF_MODE_ISC | TW_CONF_MODE_REFLECT_OCTETS |
			   TW_CONF_MODE_SYMMETRICAL;
	c->control_count = 1024;	/* RFC 4656 §3.1: Count MUST be at least 1024 */
	c->control_test_ports[0].lo = 20100;
	c->control_test_ports[0].hi = 20199;
	c->nb_control_test_ports = 1;
	c->control_max_conns = 64;
	c->control_max_conns_per_source = 8;
	c->control_conn_rate = 20;
	c->control_conn_burst = 40;
	c->control_max_sessions = 1024;
	c->control_max_sessions_per_conn = 64;
	c->control_handshake_timeout_s = 10;
	c->control_refwait_s = 900;
	c->control_max_padding = 1400;
	c->ike_timeout_ms = 2000;
}

/* Errors */

static int __attribute__((format(printf, 4, 0)))
vfail_at(struct parser *p, size_t line, size_t col, const char *fmt, va_list ap)
{
	int n;

	if (p->errbuf == NULL || p->errlen == 0)
		return -EINVAL;
	n = snprintf(p->errbuf, p->errlen, "%s:%zu:%zu: ", p->name, line, col);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->errbuf + n, p->errlen - n, fmt, ap);
	return -EINVAL;
}

static int __attribute__((format(printf, 4, 5)))
fail_at(struct parser *p, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(p, line, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* libyaml marks are 0-based; people count from 1. */
static int __attribute__((format(printf, 3, 4)))
fail(struct parser *p, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(p, m->line + 1, m->column + 1, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Print a name or value from the input for a message. Input bytes are arbitrary (control
 * characters, bytes from escapes, NULs), so everything but printable ASCII is escaped and long
 * values are cut: the message must stay one readable line.
 */
static const char *
show_bytes(char *buf, size_t size, const char *s, size_t n, bool quote)
{
	size_t i, o = 0;

	if (quote)
		buf[o++] = '"';
	for (i = 0; i < n && i < SHOW_MAX && o + 8 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (quote && (ch == '"' || ch == '\\')) {
			buf[o++] = '\\';
			buf[o++] = (char)ch;
		} else if (ch >= 0x20 && ch < 0x7f) {
			buf[o++] = (char)ch;
		} else {
			o += snprintf(buf + o, size - o, "\\x%02x", ch);
		}
	}
	if (quote)
		buf[o++] = '"';
	if (i < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* A value, in double quotes, as the user would write it in YAML. */
static const char *
show(char *buf, size_t size, const char *s, size_t n)
{
	return show_bytes(buf, size, s, n, true);
}

/* An anchor name, or a tag as it appears in the source. */
static const char *
show_name(char *buf, size_t size, const yaml_char_t *name, bool tag)
{
	static const char yaml_tag[] = "tag:yaml.org,2002:";
	const char *s = (const char *)name;
	size_t o = 0;

	/* libyaml resolves "!!int" to its long form; print it back the short way. */
	if (tag && strncmp(s, yaml_tag, sizeof(yaml_tag) - 1) == 0) {
		s += sizeof(yaml_tag) - 1;
		buf[o++] = '!';
		buf[o++] = '!';
	}
	show_bytes(buf + o, size - o, s, strlen(s), false);
	return buf;
}

static int
syntax_error(struct parser *p)
{
	const yaml_parser_t *y = &p->yp;
	const char *problem = y->problem != NULL ? y->problem : "YAML syntax error";

	switch (y->error) {
	case YAML_MEMORY_ERROR:
		fail_at(p, 1, 1, "out of memory");
		return -ENOMEM;
	case YAML_READER_ERROR: {
		/* Reader errors carry a byte offset, not a mark: count lines ourselves. */
		size_t off = y->problem_offset < p->len ? y->problem_offset : p->len;
		size_t i, line = 1, col = 1;

		for (i = 0; i < off; i++) {
			if (p->text[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		if (y->problem_value != -1)
			return fail_at(p, line, col, "%s (#x%X)", problem,
				       (unsigned int)y->problem_value);
		return fail_at(p, line, col, "%s", problem);
	}
	default:
		if (y->context != NULL)
			return fail(p, &y->problem_mark, "%s (%s at %zu:%zu)", problem, y->context,
				    y->context_mark.line + 1, y->context_mark.column + 1);
		return fail(p, &y->problem_mark, "%s", problem);
	}
}

/* Events */

static bool
is_null(const yaml_event_t *e)
{
	const char *v = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;

	if (e->type != YAML_SCALAR_EVENT || e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return n == 0 || (n == 1 && v[0] == '~') ||
	       (n == 4 && (memcmp(v, "null", 4) == 0 || memcmp(v, "Null", 4) == 0 ||
			   memcmp(v, "NULL", 4) == 0));
}

static const char *
kind(const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SCALAR_EVENT:
		return is_null(e) ? "nothing" : "a scalar";
	default:
		return "something else";
	}
}

/*
 * Advance to the next event. Aliases are refused here, once for every caller: expanding them is
 * the classic "billion laughs" and a config has no use for them. Anchors and tags go too, since
 * an anchor nobody can refer to and a type tag we would ignore can only mislead.
 */
static int
next(struct parser *p)
{
	char b[SHOW_BUF];
	const yaml_char_t *anchor = NULL, *tag = NULL;

	if (p->have_ev) {
		yaml_event_delete(&p->ev);
		p->have_ev = false;
	}
	if (!yaml_parser_parse(&p->yp, &p->ev))
		return syntax_error(p);
	p->have_ev = true;

	switch (p->ev.type) {
	case YAML_ALIAS_EVENT:
		return fail(p, &p->ev.start_mark, "aliases (*%s) are not supported",
			    show_name(b, sizeof(b), p->ev.data.alias.anchor, false));
	case YAML_SCALAR_EVENT:
		anchor = p->ev.data.scalar.anchor;
		tag = p->ev.data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = p->ev.data.sequence_start.anchor;
		tag = p->ev.data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = p->ev.data.mapping_start.anchor;
		tag = p->ev.data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor != NULL)
		return fail(p, &p->ev.start_mark, "anchors (&%s) are not supported",
			    show_name(b, sizeof(b), anchor, false));
	if (tag != NULL)
		return fail(p, &p->ev.start_mark, "tags (%s) are not supported",
			    show_name(b, sizeof(b), tag, true));
	return 0;
}

static const char *
ev_str(const struct parser *p)
{
	return (const char *)p->ev.data.scalar.value;
}

static size_t
ev_len(const struct parser *p)
{
	return p->ev.data.scalar.length;
}

/* The current event must be a non-null scalar without embedded NUL (values become C strings). */
static int
want_scalar(struct parser *p, const char *sect, const char *key, const char *what)
{
	if (p->ev.type != YAML_SCALAR_EVENT || is_null(&p->ev))
		return fail(p, &p->ev.start_mark, "%s.%s: expected %s, got %s", sect, key, what,
			    kind(&p->ev));
	if (memchr(ev_str(p), '\0', ev_len(p)) != NULL)
		return fail(p, &p->ev.start_mark, "%s.%s: value contains a NUL character", sect,
			    key);
	return 0;
}

static int
value_scalar(struct parser *p, const char *sect, const struct key *k, const char *what)
{
	int rc = next(p);

	if (rc != 0)
		return rc;
	return want_scalar(p, sect, k->name, what);
}

/*
 * Walk a list of scalars: call item() with each element as the current event.
 * The value must be a list; an element must be a scalar.
 */
static int
value_list(struct parser *p, const char *sect, const struct key *k, const char *what,
	   const char *what_item,
	   int (*item)(struct parser *p, const char *sect, const struct key *k, unsigned int i))
{
	unsigned int i;
	int rc;

	rc = next(p);
	if (rc != 0)
		return rc;
	if (p->ev.type != YAML_SEQUENCE_START_EVENT)
		return fail(p, &p->ev.start_mark, "%s.%s: expected a list of %s, got %s", sect,
			    k->name, what, kind(&p->ev));
	for (i = 0;; i++) {
		rc = next(p);
		if (rc != 0)
			return rc;
		if (p->ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		rc = want_scalar(p, sect, k->name, what_item);
		if (rc != 0)
			return rc;
		rc = item(p, sect, k, i);
		if (rc != 0)
			return rc;
	}
}

static bool
str_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* ASCII-only, so the locale cannot change what "TRUE" means. */
static bool
word_eq(const char *s, size_t n, const char *lit)
{
	size_t i;

	if (strlen(lit) != n)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch != lit[i])
			return false;
	}
	return true;
}

/*
 * Decimal only: no sign, no 0x, and no leading zero, which YAML 1.1 reads as octal.
 * @return 0, -EINVAL (not a decimal number), -ERANGE (above UINT32_MAX).
 */
static int
parse_dec(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

static void *
field(struct parser *p, const struct key *k)
{
	return (char *)p->c + k->off;
}

/* Value parsers, one per kind of key */

static int
key_str(struct parser *p, const char *sect, const struct key *k)
{
	char b[SHOW_BUF];
	const char *s;
	size_t n;
	int rc;

	rc = value_scalar(p, sect, k, k->hint != NULL ? k->hint : "a string");
	if (rc != 0)
		return rc;
	s = ev_str(p);
	n = ev_len(p);
	if (n >= k->size && k->hint == NULL)
		return fail(p, &p->ev.start_mark, "%s.%s: %s is too long (%zu bytes, at most %zu)",
			    sect, k->name, show(b, sizeof(b), s, n), n, k->size - 1);
	if (n < k->min || n >= k->size || (k->charset != NULL && strspn(s, k->charset) != n))
		return fail(p, &p->ev.start_mark, "%s.%s: %s is not %s", sect, k->name,
			    show(b, sizeof(b), s, n), k->hint);
	/* Linux refuses "." and ".." as interface names. */
	if (k->charset == ifname_chars && (str_eq(s, n, ".") || str_eq(s, n, "..")))
		return fail(p, &p->ev.start_mark, "%s.%s: %s is not %s", sect, k->name,
			    show(b, sizeof(b), s, n), k->hint);
	memcpy(field(p, k), s, n);
	((char *)field(p, k))[n] = '\0';
	return 0;
}

static int
key_uint(struct parser *p, const char *sect, const struct key *k)
{
	char b[SHOW_BUF], what[64];
	uint32_t v;
	int rc;

	snprintf(what, sizeof(what), "an integer (%u-%u)", k->min, k->max);
	rc = value_scalar(p, sect, k, what);
	if (rc != 0)
		return rc;
	rc = parse_dec(ev_str(p), ev_len(p), &v);
	if (rc == -EINVAL)
		return fail(p, &p->ev.start_mark, "%s.%s: %s is not a decimal integer (%u-%u)",
			    sect, k->name, show(b, sizeof(b), ev_str(p), ev_len(p)), k->min,
			    k->max);
	if (rc != 0 || v < k->min || v > k->max)
		return fail(p, &p->ev.start_mark, "%s.%s: %s is out of range (%u-%u)", sect,
			    k->name, show(b, sizeof(b), ev_str(p), ev_len(p)), k->min, k->max);
	if (k->size == sizeof(uint16_t))
		*(uint16_t *)field(p, k) = (uint16_t)v;
	else
		*(uint32_t *)field(p, k) = v;
	return 0;
}

/*
 * EAL -l syntax, checked here so that a typo is reported against the file and the app can take
 * the first number as the control lcore: N or N-M (N <= M), comma-separated.
 */
static bool
lcore_list_ok(const char *s, size_t n)
{
	size_t start = 0, end, dash;
	uint32_t lo, hi;

	for (;;) {
		for (end = start; end < n && s[end] != ','; end++)
			;
		for (dash = start; dash < end && s[dash] != '-'; dash++)
			;
		if (dash == end) {
			if (parse_dec(s + start, end - start, &lo) != 0)
				return false;
		} else if (parse_dec(s + start, dash - start, &lo) != 0 ||
			   parse_dec(s + dash + 1, end - dash - 1, &hi) != 0 || lo > hi) {
			return false;
		}
		if (end == n)
			return true;
		start = end + 1;
	}
}

static int
key_lcores(struct parser *p, const char *sect, const struct key *k)
{
	char b[SHOW_BUF];
	int rc;

	rc = key_str(p, sect, k);
	if (rc != 0)
		return rc;
	if (!lcore_list_ok(ev_str(p), ev_len(p)))
		return fail(p, &p->ev.start_mark, "%s.%s: %s is not %s", sect, k->name,
			    show(b, sizeof(b), ev_str(p), ev_len(p)), k->hint);
	return 0;
}

/* @return 1 true, 0 false, -1 neither. YAML 1.1 spellings, as users write them. */
static int
bool_word(const char *s, size_t n)
{
	if (word_eq(s, n, "true") || word_eq(s, n, "yes") || word_eq(s, n, "on"))
		return 1;
	if (word_eq(s, n, "false") || word_eq(s, n, "no") || word_eq(s, n, "off"))
		return 0;
	return -1;
}

static int
key_bool(struct parser *p, const char *sect, const struct key *k)
{
	char b[SHOW_BUF];
	int rc, v;

	rc = value_scalar(p, sect, k, "true or false");
	if (rc != 0)
		return rc;
	v = bool_word(ev_str(p), ev_len(p));
	if (v < 0)
		return fail(p, &p->ev.start_mark, "%s.%s: %s is not true or false", sect, k->name,
			    show(b, sizeof(b), ev_str(p), ev_len(p)));
	*(bool *)field(p, k) = v == 1;
	return 0;
}

static int
key_tristate(struct parser *p, const char *sect, const struct key *k)
{
	char b[SHOW_BUF];
	int rc, v;

	rc = value_scalar(p, sect, k, k->hint);
	if (rc != 0)
		return rc;
	if (word_eq(ev_str(p), ev_len(p), "auto")) {
		*(enum tw_conf_tristate *)field(p, k) = TW_CONF_AUTO;
		return 0;
	}
	v = bool_word(ev_str(p), ev_len(p));
	if (v < 0)
		return fail(p, &p->ev.start_mark, "%s.%s: %s is not one of %s", sect, k->name,
			    show(b, sizeof(b), ev_str(p), ev_len(p)), k->hint);
	*(enum tw_conf_tristate *)field(p, k) = v == 1 ? TW_CONF_ON : TW_CONF_OFF;
	return 0;
}

/* One word of k->choices (ASCII case ignored); the enum field gets its index. */
static int
key_choice(struct parser *p, const char *sect, const struct key *k)
{
	char b[SHOW_BUF];
	int rc;

	rc = value_scalar(p, sect, k, k->hint);
	if (rc != 0)
		return rc;
	for (int i = 0; k->choices[i] != NULL; i++) {
		if (word_eq(ev_str(p), ev_len(p), k->choices[i])) {
			*(int *)field(p, k) = i;
			return 0;
		}
	}
	return fail(p, &p->ev.start_mark, "%s.%s: %s is not one of %s", sect, k->name,
		    show(b, sizeof(b), ev_str(p), ev_len(p)), k->hint);
}

static int
arg_item(struct parser *p, const char *sect, const struct key *k, unsigned int i)
{
	char b[SHOW_BUF];
	struct tw_conf *c = p->c;
	size_t n = ev_len(p);

	if (i >= TW_CONF_MAX_EAL_ARGS)
		return fail(p, &p->ev.start_mark, "%s.%s: more than %u arguments", sect, k->name,
			    TW_CONF_MAX_EAL_ARGS);
	if (n >= TW_CONF_MAX_STR)
		return fail(p, &p->ev.start_mark, "%s.%s: %s is too long (%zu bytes, at most %u)",
			    sect, k->name, show(b, sizeof(b), ev_str(p), n), n,
			    TW_CONF_MAX_STR - 1);
	memcpy(c->eal_args[i], ev_str(p), n);
	c->eal_args[i][n] = '\0';
	c->nb_eal_args = i + 1;
	return 0;
}

static int
key_args(struct parser *p, const char *sect, const struct key *k)
{
	/* Given args replace the defaults, they do not add to them. */
	p->c->nb_eal_args = 0;
	return value_list(p, sect, k, "strings", "a string", arg_item);
}

/*
 * One address into a[i]. Duplicates are refused whatever their prefix: the same address twice
 * on the TAP, or in the reflect list, is always a copy-paste slip.
 */
static int
addr_item(struct parser *p, const char *sect, const struct key *k, unsigned int i,
	  struct tw_conf_addr *a, unsigned int *nb, bool host_only)
{
	char b[SHOW_BUF];
	struct tw_conf_addr x;
	unsigned int j;

	if (i >= TW_CONF_MAX_ADDRS)
		return fail(p, &p->ev.start_mark, "%s.%s: more than %u addresses", sect, k->name,
			    TW_CONF_MAX_ADDRS);
	show(b, sizeof(b), ev_str(p), ev_len(p));
	if (tw_conf_addr_parse(ev_str(p), &x) != 0)
		return fail(p, &p->ev.start_mark,
			    "%s.%s: %s is not an IPv4 or IPv6 address (with optional /prefix, "
			    "1-32 or 1-128)", sect, k->name, b);
	if (host_only && x.prefixlen != (x.family == 4 ? 32 : 128))
		return fail(p, &p->ev.start_mark,
			    "%s.%s: %s is a prefix; give the reflector's address without /len",
			    sect, k->name, b);
	for (j = 0; j < i; j++) {
		if (a[j].family == x.family && memcmp(a[j].addr, x.addr, sizeof(x.addr)) == 0)
			return fail(p, &p->ev.start_mark, "%s.%s: %s is listed twice", sect,
				    k->name, b);
	}
	a[i] = x;
	*nb = i + 1;
	return 0;
}

static int
exc_addr_item(struct parser *p, const char *sect, const struct key *k, unsigned int i)
{
	return addr_item(p, sect, k, i, p->c->addrs, &p->c->nb_addrs, false);
}

static int
light_addr_item(struct parser *p, const char *sect, const struct key *k, unsigned int i)
{
	return addr_item(p, sect, k, i, p->c->light_addrs, &p->c->nb_light_addrs, true);
}

static int
key_exc_addrs(struct parser *p, const char *sect, const struct key *k)
{
	p->c->nb_addrs = 0;
	return value_list(p, sect, k, "addresses", "an address", exc_addr_item);
}

static int
key_light_addrs(struct parser *p, const char *sect, const struct key *k)
{
	p->light_addrs_set = true;
	p->c->nb_light_addrs = 0;
	return value_list(p, sect, k, "addresses", "an address", light_addr_item);
}

static const char *
fmt_range(char *buf, size_t size, const struct tw_conf_port_range *r)
{
	if (r->lo == r->hi)
		snprintf(buf, size, "%u", r->lo);
	else
		snprintf(buf, size, "%u-%u", r->lo, r->hi);
	return buf;
}

/* One port or "lo-hi" range into r[i]; overlaps within the list are refused. */
static int
range_item(struct parser *p, const char *sect, const struct key *k, unsigned int i,
	   struct tw_conf_port_range *r, unsigned int *nb)
{
	char b[SHOW_BUF], r1[RANGE_BUF], r2[RANGE_BUF];
	const char *s = ev_str(p);
	size_t n = ev_len(p);
	const char *dash = memchr(s, '-', n);
	uint32_t lo, hi;
	unsigned int j;

	if (i >= TW_CONF_MAX_PORT_RANGES)
		return fail(p, &p->ev.start_mark, "%s.%s: more than %u entries", sect, k->name,
			    TW_CONF_MAX_PORT_RANGES);
	if (dash == NULL) {
		if (parse_dec(s, n, &lo) != 0 || lo < 1 || lo > UINT16_MAX)
			return fail(p, &p->ev.start_mark, "%s.%s: %s is not a port (1-65535)",
				    sect, k->name, show(b, sizeof(b), s, n));
		hi = lo;
	} else if (parse_dec(s, (size_t)(dash - s), &lo) != 0 ||
		   parse_dec(dash + 1, n - (size_t)(dash - s) - 1, &hi) != 0 ||
		   lo < 1 || hi > UINT16_MAX || lo > hi) {
		return fail(p, &p->ev.start_mark,
			    "%s.%s: %s is not a port range (\"low-high\", 1-65535, low <= high)",
			    sect, k->name, show(b, sizeof(b), s, n));
	}
	r[i].lo = (uint16_t)lo;
	r[i].hi = (uint16_t)hi;
	/* An overlap means one of the two entries is not what the author meant. */
	for (j = 0; j < i; j++) {
		if (r[j].lo <= hi && lo <= r[j].hi)
			return fail(p, &p->ev.start_mark, "%s.%s: %s overlaps %s", sect, k->name,
				    fmt_range(r1, sizeof(r1), &r[i]),
				    fmt_range(r2, sizeof(r2), &r[j]));
	}
	*nb = i + 1;
	return 0;
}

static int
port_item(struct parser *p, const char *sect, const struct key *k, unsigned int i)
{
	return range_item(p, sect, k, i, p->c->light_ports, &p->c->nb_light_ports);
}

static int
key_ports(struct parser *p, const char *sect, const struct key *k)
{
	p->c->nb_light_ports = 0;
	return value_list(p, sect, k, "ports or \"low-high\" ranges",
			  "a port or a \"low-high\" range", port_item);
}

static int
test_port_item(struct parser *p, const char *sect, const struct key *k, unsigned int i)
{
	return range_item(p, sect, k, i, p->c->control_test_ports,
			  &p->c->nb_control_test_ports);
}

static int
key_test_ports(struct parser *p, const char *sect, const struct key *k)
{
	p->c->nb_control_test_ports = 0;
	return value_list(p, sect, k, "ports or \"low-high\" ranges",
			  "a port or a \"low-high\" range", test_port_item);
}

static const struct {
	const char *name;
	uint32_t bit;
} mode_names[] = {
	{ "unauthenticated", TW_CONF_MODE_UNAUTH },
	{ "authenticated", TW_CONF_MODE_AUTH },
	{ "encrypted", TW_CONF_MODE_ENC },
	{ "mixed", TW_CONF_MODE_MIXED },
	{ "individual-session-control", TW_CONF_MODE_ISC },
	{ "reflect-octets", TW_CONF_MODE_REFLECT_OCTETS },
	{ "symmetrical-size", TW_CONF_MODE_SYMMETRICAL },
};

static int
mode_item(struct parser *p, const char *sect, const struct key *k, unsigned int i)
{
	char b[SHOW_BUF];
	size_t j;

	for (j = 0; j < sizeof(mode_names) / sizeof(mode_names[0]); j++) {
		if (word_eq(ev_str(p), ev_len(p), mode_names[j].name)) {
			if (p->c->control_modes & mode_names[j].bit)
				return fail(p, &p->ev.start_mark, "%s.%s: %s is listed twice",
					    sect, k->name, show(b, sizeof(b), ev_str(p),
								ev_len(p)));
			p->c->control_modes |= mode_names[j].bit;
			return 0;
		}
	}
	return fail(p, &p->ev.start_mark,
		    "%s.%s: %s is not a mode (unauthenticated, authenticated, encrypted, mixed, "
		    "individual-session-control, reflect-octets, symmetrical-size)", sect, k->name,
		    show(b, sizeof(b), ev_str(p), ev_len(p)));
}

static int
key_modes(struct parser *p, const char *sect, const struct key *k)
{
	p->c->control_modes = 0;
	return value_list(p, sect, k, "mode names", "a mode name", mode_item);
}

static int
add_key(struct parser *p, const yaml_mark_t *m, const struct tw_conf_key *key)
{
	struct tw_conf *c = p->c;
	char b[SHOW_BUF];
	unsigned int j;

	if (c->nb_keys >= TW_CONF_MAX_KEYS)
		return fail(p, m, "control.keys: more than %u keys", TW_CONF_MAX_KEYS);
	for (j = 0; j < c->nb_keys; j++) {
		/* The id came from the input: escaped, so the message stays one printable line. */
		if (strcmp(c->keys[j].id, key->id) == 0)
			return fail(p, m, "control.keys: KeyID %s is listed twice",
				    show(b, sizeof(b), key->id, strlen(key->id)));
	}
	c->keys[c->nb_keys++] = *key;
	return 0;
}

/*
 * control.keys: a list of {id: KEYID, secret: PASSPHRASE} or {id: KEYID, secret_hex: HEX}.
 * The passphrase is used as the RFC 4656 §3.1 shared secret, octet for octet.
 */
static int
key_keys(struct parser *p, const char *sect, const struct key *k)
{
	char b[SHOW_BUF];
	struct tw_conf_key key;
	yaml_mark_t item_mark;
	int rc;

	rc = next(p);
	if (rc != 0)
		return rc;
	if (p->ev.type != YAML_SEQUENCE_START_EVENT)
		return fail(p, &p->ev.start_mark, "%s.%s: expected a list of {id, secret}, got %s",
			    sect, k->name, kind(&p->ev));
	for (;;) {
		bool have_id = false, have_secret = false;

		rc = next(p);
		if (rc != 0)
			return rc;
		if (p->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (p->ev.type != YAML_MAPPING_START_EVENT)
			return fail(p, &p->ev.start_mark,
				    "%s.%s: expected {id: KEYID, secret: PASSPHRASE}, got %s", sect,
				    k->name, kind(&p->ev));
		item_mark = p->ev.start_mark;
		memset(&key, 0, sizeof(key));
		for (;;) {
			const char *s;
			size_t n;
			bool is_id, is_secret, is_hex;

			rc = next(p);
			if (rc != 0)
				goto out;
			if (p->ev.type == YAML_MAPPING_END_EVENT)
				break;
			rc = want_scalar(p, sect, k->name, "id, secret or secret_hex");
			if (rc != 0)
				goto out;
			is_id = str_eq(ev_str(p), ev_len(p), "id");
			is_secret = str_eq(ev_str(p), ev_len(p), "secret");
			is_hex = str_eq(ev_str(p), ev_len(p), "secret_hex");
			if (!is_id && !is_secret && !is_hex) {
				rc = fail(p, &p->ev.start_mark, "%s.%s: unknown key %s (expected id, "
					  "secret or secret_hex)", sect, k->name,
					  show(b, sizeof(b), ev_str(p), ev_len(p)));
				goto out;
			}
			if ((is_id && have_id) || (!is_id && have_secret)) {
				rc = fail(p, &p->ev.start_mark, "%s.%s: duplicate %s", sect,
					  k->name, is_id ? "id" : "secret");
				goto out;
			}
			rc = value_scalar(p, sect, k, is_id ? "a KeyID" : "a secret");
			if (rc != 0)
				goto out;
			s = ev_str(p);
			n = ev_len(p);
			if (is_id) {
				if (n > TW_CONF_KEYID_LEN) {
					rc = fail(p, &p->ev.start_mark, "%s.%s: KeyID %s is longer "
						  "than %u octets", sect, k->name,
						  show(b, sizeof(b), s, n), TW_CONF_KEYID_LEN);
					goto out;
				}
				memcpy(key.id, s, n);
				have_id = true;
			} else if (is_secret) {
				if (n > TW_CONF_MAX_SECRET) {
					rc = fail(p, &p->ev.start_mark, "%s.%s: secret longer than %u "
						  "octets", sect, k->name, TW_CONF_MAX_SECRET);
					goto out;
				}
				memcpy(key.secret, s, n);
				key.secret_len = (uint16_t)n;
				have_secret = true;
			} else {
				int len = tw_unhex(s, n, key.secret, sizeof(key.secret));

				/* Never echo secret material into an error message. */
				if (len < 0) {
					rc = fail(p, &p->ev.start_mark, "%s.%s: secret_hex is not an "
						  "even number of hex digits (1-%u octets)", sect,
						  k->name, TW_CONF_MAX_SECRET);
					goto out;
				}
				key.secret_len = (uint16_t)len;
				have_secret = true;
			}
		}
		if (!have_id || !have_secret || key.id[0] == '\0' || key.secret_len == 0) {
			rc = fail(p, &item_mark, "%s.%s: each key needs a non-empty id and secret "
				  "(or secret_hex)", sect, k->name);
			goto out;
		}
		rc = add_key(p, &item_mark, &key);
		if (rc != 0)
			goto out;
		explicit_bzero(&key, sizeof(key));
	}
	return 0;
out:
	explicit_bzero(&key, sizeof(key));
	return rc;
}

/* Schema */

#define FIELD(f) offsetof(struct tw_conf, f), sizeof(((struct tw_conf *)NULL)->f)

/* Indexed by the enums they set (tw_conf.h); key_choice writes them as int. */
_Static_assert(sizeof(enum tw_conf_ts_format) == sizeof(int) &&
	       sizeof(enum tw_conf_clock_source) == sizeof(int) &&
	       sizeof(enum tw_conf_rx_ts) == sizeof(int) &&
	       sizeof(enum tw_conf_distribution) == sizeof(int) &&
	       sizeof(enum tw_conf_spi_layout) == sizeof(int) &&
	       sizeof(enum tw_conf_ike_provider) == sizeof(int), "enum fields are int-sized");
static const char *const ts_formats[] = { "ntp", "ptp", "auto", NULL };
static const char *const clock_sources[] = { "realtime", "tai", "phc", NULL };
static const char *const rx_ts_sources[] = { "auto", "hardware", "software", NULL };
static const char *const distributions[] = { "auto", "rss", "software", NULL };
static const char *const spi_layouts[] = { "8+8", "4+4", NULL };
static const char *const ike_providers[] = { "none", "static", "ike-daemon", NULL };

static const struct key eal_keys[] = {
	{ "lcores", key_lcores, FIELD(lcores), 1, 0, lcore_chars,
	  "an lcore list such as \"0,1\" or \"0,2-5\"" },
	{ "file_prefix", key_str, FIELD(file_prefix), 0, 0, ifname_chars,
	  "a file prefix (at most 255 characters of A-Z a-z 0-9 _ . -)" },
	{ "log_level", key_str, FIELD(log_level), 0, 0, NULL, NULL },
	{ "args", key_args, 0, 0, 0, 0, NULL, NULL },
};

static const struct key port_keys[] = {
	{ "device", key_str, FIELD(port_device), 0, 0, NULL, NULL },
	{ "rx_desc", key_uint, FIELD(rx_desc), 64, 32768, NULL, NULL },
	{ "tx_desc", key_uint, FIELD(tx_desc), 64, 32768, NULL, NULL },
	{ "mbufs", key_uint, FIELD(nb_mbufs), 1023, 16777215, NULL, NULL },
	{ "mtu", key_uint, FIELD(mtu), 68, 9600, NULL, NULL },
	{ "checksum_offload", key_tristate, FIELD(csum_offload), 0, 0, NULL, "auto, on or off" },
	{ "promiscuous", key_bool, FIELD(promiscuous), 0, 0, NULL, NULL },
	{ "rx_timestamp", key_choice, FIELD(rx_ts), 0, 0, NULL, "auto, hardware or software",
	  rx_ts_sources },
	{ "distribution", key_choice, FIELD(distribution), 0, 0, NULL, "auto, rss or software",
	  distributions },
	{ "rx_worker_weight", key_uint, FIELD(dist_rx_weight), 0, 100, NULL, NULL },
};

static const struct key exception_keys[] = {
	{ "enabled", key_bool, FIELD(exception_enabled), 0, 0, NULL, NULL },
	{ "tap", key_str, FIELD(tap_name), 1, 0, ifname_chars,
	  "an interface name (1-15 characters of A-Z a-z 0-9 _ . -)" },
	{ "addresses", key_exc_addrs, 0, 0, 0, 0, NULL, NULL },
};

static const struct key light_keys[] = {
	{ "enabled", key_bool, FIELD(light_enabled), 0, 0, NULL, NULL },
	{ "ports", key_ports, 0, 0, 0, 0, NULL, NULL },
	{ "addresses", key_light_addrs, 0, 0, 0, 0, NULL, NULL },
	{ "max_flows", key_uint, FIELD(max_flows), 1, 16777216, NULL, NULL },
	{ "flow_idle_timeout", key_uint, FIELD(flow_idle_timeout_s), 1, 86400, NULL, NULL },
};

static int
key_ike_provider(struct parser *p, const char *sect, const struct key *k)
{
	int rc = key_choice(p, sect, k);

	p->ike_provider_set = rc == 0;
	return rc;
}


static const struct key control_keys[] = {
	{ "enabled", key_bool, FIELD(control_enabled), 0, 0, NULL, NULL },
	{ "port", key_uint, FIELD(control_port), 1, 65535, NULL, NULL },
	{ "modes", key_modes, 0, 0, 0, 0, NULL, NULL },
	/* RFC 4656 §3.1: "MUST be a power of 2" is not said, but Count MUST be >= 1024. */
	{ "count", key_uint, FIELD(control_count), 1024, 1u << 24, NULL, NULL },
	{ "test_ports", key_test_ports, 0, 0, 0, 0, NULL, NULL },
	{ "max_connections", key_uint, FIELD(control_max_conns), 1, 65536, NULL, NULL },
	{ "max_connections_per_source", key_uint, FIELD(control_max_conns_per_source), 1, 65536,
	  NULL, NULL },
	{ "connection_rate_per_source", key_uint, FIELD(control_conn_rate), 0, 100000, NULL,
	  NULL },
	{ "connection_burst_per_source", key_uint, FIELD(control_conn_burst), 1, 100000, NULL,
	  NULL },
	{ "max_sessions", key_uint, FIELD(control_max_sessions), 1, 1u << 20, NULL, NULL },
	{ "max_sessions_per_connection", key_uint, FIELD(control_max_sessions_per_conn), 1, 65536,
	  NULL, NULL },
	{ "handshake_timeout", key_uint, FIELD(control_handshake_timeout_s), 1, 3600, NULL, NULL },
	{ "refwait", key_uint, FIELD(control_refwait_s), 1, 86400, NULL, NULL },
	{ "max_padding", key_uint, FIELD(control_max_padding), 0, 9000, NULL, NULL },
	{ "keystore", key_str, FIELD(keystore), 1, 0, NULL, NULL },
	{ "keys", key_keys, 0, 0, 0, 0, NULL, NULL },
	{ "ike_static_keys", key_str, FIELD(ike_static_keys), 1, 0, NULL, NULL },
	{ "ike_spi_layout", key_choice, FIELD(ike_spi_layout), 0, 0, NULL,
	  "\"8+8\" or \"4+4\"", spi_layouts },
	{ "ike_provider", key_ike_provider, FIELD(ike_provider), 0, 0, NULL,
	  "none, static or ike-daemon", ike_providers },
	{ "ike_socket", key_str, FIELD(ike_socket), 1, 0, NULL, NULL },
	{ "ike_timeout_ms", key_uint, FIELD(ike_timeout_ms), 100, 60000, NULL, NULL },
};

static const struct key clock_keys[] = {
	{ "synchronized", key_tristate, FIELD(clock_synchronized), 0, 0, NULL, "auto, yes or no" },
	{ "resync_interval_ms", key_uint, FIELD(clock_resync_ms), 10, 60000, NULL, NULL },
	{ "timestamp_format", key_choice, FIELD(ts_format), 0, 0, NULL, "auto, ntp or ptp",
	  ts_formats },
	{ "source", key_choice, FIELD(clock_source), 0, 0, NULL, "realtime, tai or phc",
	  clock_sources },
	{ "phc", key_str, FIELD(clock_phc), 1, 0, NULL, NULL },
	{ "error_ns", key_uint, FIELD(clock_error_ns), 1, 1000000000, NULL, NULL },
};

#define SECTION(n, k) { n, k, sizeof(k) / sizeof((k)[0]) }

static const struct section sections[] = {
	SECTION("eal", eal_keys),
	SECTION("port", port_keys),
	SECTION("exception", exception_keys),
	SECTION("light", light_keys),
	SECTION("clock", clock_keys),
	SECTION("control", control_keys),
};

/*
 * Which keys differ between two loaded configurations: for a reload (SIGHUP), so the application
 * can apply what it may and name what needs a restart. Keys parsed into a field compare the
 * field; the others (lists) compare what they fill.
 */
/* Whether two secrets differ, in time that does not depend on where. */
static bool
ct_differ(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d != 0;
}

static bool
custom_changed(const struct tw_conf *a, const struct tw_conf *b, const char *sect,
	       const char *key)
{
#define DIFF(f) (memcmp(&a->f, &b->f, sizeof(a->f)) != 0)
	if (strcmp(sect, "eal") == 0 && strcmp(key, "args") == 0)
		return a->nb_eal_args != b->nb_eal_args || DIFF(eal_args);
	if (strcmp(sect, "exception") == 0 && strcmp(key, "addresses") == 0)
		return a->nb_addrs != b->nb_addrs || DIFF(addrs);
	if (strcmp(sect, "light") == 0 && strcmp(key, "ports") == 0)
		return a->nb_light_ports != b->nb_light_ports || DIFF(light_ports);
	if (strcmp(sect, "light") == 0 && strcmp(key, "addresses") == 0)
		return a->nb_light_addrs != b->nb_light_addrs || DIFF(light_addrs);
	if (strcmp(sect, "control") == 0 && strcmp(key, "modes") == 0)
		return DIFF(control_modes);
	if (strcmp(sect, "control") == 0 && strcmp(key, "test_ports") == 0)
		return a->nb_control_test_ports != b->nb_control_test_ports ||
		       DIFF(control_test_ports);
	if (strcmp(sect, "control") == 0 && strcmp(key, "keys") == 0)
		/* the keystore's keys included: they are merged into keys[] */
		return a->nb_keys != b->nb_keys ||
		       ct_differ(a->keys, b->keys, sizeof(a->keys));
	return false;
#undef DIFF
}

int
tw_conf_changed(const struct tw_conf *a, const struct tw_conf *b,
		void (*cb)(void *arg, const char *section, const char *key), void *arg)
{
	int n = 0;

	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		const struct section *sec = &sections[i];

		for (size_t j = 0; j < sec->nb_keys; j++) {
			const struct key *k = &sec->keys[j];
			bool changed = k->size > 0 ?
				memcmp((const char *)a + k->off, (const char *)b + k->off,
				       k->size) != 0 :
				custom_changed(a, b, sec->name, k->name);

			if (changed) {
				n++;
				if (cb != NULL)
					cb(arg, sec->name, k->name);
			}
		}
	}
	return n;
}

/* Walking the document */

static int
parse_keys(struct parser *p, const struct section *sec)
{
	char b[SHOW_BUF];
	uint32_t seen = 0;	/* bit i: sec->keys[i] already given */
	unsigned int i;
	int rc;

	for (;;) {
		rc = next(p);
		if (rc != 0)
			return rc;
		if (p->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (p->ev.type != YAML_SCALAR_EVENT || is_null(&p->ev))
			return fail(p, &p->ev.start_mark, "%s: expected a key, got %s", sec->name,
				    kind(&p->ev));
		for (i = 0; i < sec->nb_keys; i++) {
			if (str_eq(ev_str(p), ev_len(p), sec->keys[i].name))
				break;
		}
		show(b, sizeof(b), ev_str(p), ev_len(p));
		if (i == sec->nb_keys)
			return fail(p, &p->ev.start_mark, "unknown key %s in section \"%s\"", b,
				    sec->name);
		if (seen & (UINT32_C(1) << i))
			return fail(p, &p->ev.start_mark, "duplicate key %s in section \"%s\"", b,
				    sec->name);
		seen |= UINT32_C(1) << i;
		rc = sec->keys[i].parse(p, sec->name, &sec->keys[i]);
		if (rc != 0)
			return rc;
	}
}

static int
parse_sections(struct parser *p)
{
	char b[SHOW_BUF];
	uint32_t seen = 0;
	const struct section *sec;
	unsigned int i;
	int rc;

	for (;;) {
		rc = next(p);
		if (rc != 0)
			return rc;
		if (p->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (p->ev.type != YAML_SCALAR_EVENT || is_null(&p->ev))
			return fail(p, &p->ev.start_mark, "expected a section name, got %s",
				    kind(&p->ev));
		for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
			if (str_eq(ev_str(p), ev_len(p), sections[i].name))
				break;
		}
		show(b, sizeof(b), ev_str(p), ev_len(p));
		if (i == sizeof(sections) / sizeof(sections[0]))
			return fail(p, &p->ev.start_mark,
				    "unknown section %s (expected eal, port, exception, light, "
				    "clock or control)", b);
		if (seen & (UINT32_C(1) << i))
			return fail(p, &p->ev.start_mark, "duplicate section %s", b);
		seen |= UINT32_C(1) << i;
		sec = &sections[i];
		p->nb_sections++;
		if (sec->keys == light_keys) {
			p->light_seen = true;
			p->light_mark = p->ev.start_mark;
		}

		rc = next(p);
		if (rc != 0)
			return rc;
		if (p->ev.type == YAML_MAPPING_START_EVENT)
			rc = parse_keys(p, sec);
		else if (!is_null(&p->ev))	/* "port:" alone means all defaults */
			rc = fail(p, &p->ev.start_mark, "%s: expected a mapping of keys, got %s",
				  sec->name, kind(&p->ev));
		if (rc != 0)
			return rc;
	}
}

static int
parse_stream(struct parser *p)
{
	int rc;

	rc = next(p);	/* STREAM-START */
	if (rc != 0)
		return rc;
	rc = next(p);
	if (rc != 0 || p->ev.type == YAML_STREAM_END_EVENT)
		return rc;	/* nothing but comments and blanks: defaults */

	rc = next(p);	/* the root node, after DOCUMENT-START */
	if (rc != 0)
		return rc;
	if (p->ev.type == YAML_MAPPING_START_EVENT)
		rc = parse_sections(p);
	else if (!is_null(&p->ev))
		rc = fail(p, &p->ev.start_mark, "expected a mapping of sections "
			  "(eal, port, exception, light, clock, control), got %s", kind(&p->ev));
	if (rc != 0)
		return rc;

	rc = next(p);	/* DOCUMENT-END */
	if (rc != 0)
		return rc;
	rc = next(p);
	if (rc != 0)
		return rc;
	if (p->ev.type != YAML_STREAM_END_EVENT)
		return fail(p, &p->ev.start_mark, "only one YAML document is allowed");
	return 0;
}

/* Cross-key rules, once every key is known. */
static int
finish(struct parser *p)
{
	struct tw_conf *c = p->c;

	/*
	 * An empty document is the defaults, which are valid as such; the app refuses them later
	 * for want of port.device. Cross-checks are for configs someone actually wrote.
	 */
	if (p->nb_sections == 0)
		return 0;
	/*
	 * Light reflects for single addresses; the TAP's prefix lengths mean nothing there, so
	 * the copies get host length and light_addrs always holds host addresses.
	 */
	if (!p->light_addrs_set) {
		unsigned int i;

		for (i = 0; i < c->nb_addrs; i++) {
			c->light_addrs[i] = c->addrs[i];
			c->light_addrs[i].prefixlen = c->addrs[i].family == 4 ? 32 : 128;
		}
		c->nb_light_addrs = c->nb_addrs;
	}
	if (c->clock_source == TW_CONF_CLOCK_PHC && c->clock_phc[0] == '\0')
		return fail_at(p, 1, 1, "clock.source: phc needs clock.phc (e.g. /dev/ptp0)");
	if (c->clock_source != TW_CONF_CLOCK_PHC && c->clock_phc[0] != '\0')
		return fail_at(p, 1, 1, "clock.phc is used with clock.source: phc only");
	if (c->control_enabled) {
		const uint32_t secured = TW_CONF_MODE_AUTH | TW_CONF_MODE_ENC | TW_CONF_MODE_MIXED;
		unsigned int i, j;

		if (!(c->control_modes & (secured | TW_CONF_MODE_UNAUTH)))
			return fail_at(p, 1, 1, "control.modes: offer at least one of "
				       "unauthenticated, authenticated, encrypted or mixed");
		if (!p->ike_provider_set) {
			if (c->ike_static_keys[0] != '\0' && c->ike_socket[0] != '\0')
				return fail_at(p, 1, 1, "control: ike_static_keys and ike_socket "
					       "name two key providers: set control.ike_provider");
			c->ike_provider = c->ike_static_keys[0] != '\0' ? TW_CONF_IKE_STATIC :
					  c->ike_socket[0] != '\0' ? TW_CONF_IKE_DAEMON :
					  TW_CONF_IKE_NONE;
		}
		if (c->ike_provider == TW_CONF_IKE_STATIC && c->ike_static_keys[0] == '\0')
			return fail_at(p, 1, 1, "control.ike_provider: static needs "
				       "control.ike_static_keys");
		if (c->ike_provider == TW_CONF_IKE_DAEMON && c->ike_socket[0] == '\0')
			snprintf(c->ike_socket, sizeof(c->ike_socket), "%s",
				 TW_CONF_IKE_SOCKET_DEFAULT);
		if (c->ike_provider != TW_CONF_IKE_NONE && !(c->control_modes & secured))
			return fail_at(p, 1, 1, "control.ike_provider: IKEv2-derived keys (mode "
				       "128) need authenticated, encrypted or mixed in control.modes");
		if ((c->control_modes & secured) && c->nb_keys == 0 && c->keystore[0] == '\0' &&
		    c->ike_provider == TW_CONF_IKE_NONE)
			return fail_at(p, 1, 1, "control.modes: authenticated, encrypted and mixed "
				       "modes need keys (control.keys, control.keystore or an IKE key "
				       "provider: control.ike_static_keys, control.ike_socket)");
		if (!c->exception_enabled || c->nb_addrs == 0)
			return fail_at(p, 1, 1, "control: TWAMP-Control is served by the kernel on "
				       "the exception path: enable exception and give it addresses");
		for (i = 0; c->light_enabled && i < c->nb_control_test_ports; i++) {
			for (j = 0; j < c->nb_light_ports; j++) {
				char r1[RANGE_BUF], r2[RANGE_BUF];

				if (c->control_test_ports[i].lo <= c->light_ports[j].hi &&
				    c->light_ports[j].lo <= c->control_test_ports[i].hi)
					return fail_at(p, 1, 1, "control.test_ports: %s overlaps "
						       "light.ports %s",
						       fmt_range(r1, sizeof(r1),
								 &c->control_test_ports[i]),
						       fmt_range(r2, sizeof(r2), &c->light_ports[j]));
			}
		}
	}
	if (c->light_enabled && c->nb_light_addrs == 0) {
		static const char msg[] = "light: no reflector addresses "
			"(set exception.addresses or light.addresses)";

		if (p->light_seen)
			return fail(p, &p->light_mark, "%s", msg);
		return fail_at(p, 1, 1, "%s", msg);
	}
	return 0;
}

int
tw_conf_parse(const char *text, size_t len, const char *name, struct tw_conf *c, char *errbuf,
	      size_t errlen)
{
	struct parser p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.name = name != NULL ? name : "<config>";
	p.text = text != NULL ? text : "";
	p.len = text != NULL ? len : 0;
	p.errbuf = errbuf;
	p.errlen = errlen;
	p.c = c;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (c == NULL || (text == NULL && len > 0))
		return fail_at(&p, 1, 1, "no configuration given");

	tw_conf_defaults(c);
	if (!yaml_parser_initialize(&p.yp)) {
		fail_at(&p, 1, 1, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p.yp, (const unsigned char *)p.text, p.len);
	rc = parse_stream(&p);
	if (rc == 0)
		rc = finish(&p);
	if (p.have_ev)
		yaml_event_delete(&p.ev);
	yaml_parser_delete(&p.yp);
	return rc;
}

/* A relative file name in the configuration is relative to the configuration file. */
static int
relative_to(const char *conf_path, char field[TW_CONF_MAX_STR], const char *what, char *errbuf,
	    size_t errlen)
{
	const char *slash = strrchr(conf_path, '/');
	char full[TW_CONF_MAX_STR * 2];

	if (field[0] == '\0' || field[0] == '/' || slash == NULL)
		return 0;
	snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - conf_path), conf_path, field);
	if (strlen(full) >= TW_CONF_MAX_STR) {
		if (errbuf != NULL)
			snprintf(errbuf, errlen, "%s: %s: path too long", conf_path, what);
		return -ENAMETOOLONG;
	}
	snprintf(field, TW_CONF_MAX_STR, "%s", full);
	return 0;
}

int
tw_conf_load(const char *path, struct tw_conf *c, char *errbuf, size_t errlen)
{
	size_t len = 0;
	char *buf;
	ssize_t n;
	int fd, rc;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (errbuf != NULL)
			snprintf(errbuf, errlen, "%s: cannot open: %s", path, strerror(-rc));
		return rc;
	}
	/* One byte over the cap tells "exactly 1 MiB" from "more". */
	buf = malloc(CONF_MAX_FILE + 1);
	if (buf == NULL) {
		close(fd);
		if (errbuf != NULL)
			snprintf(errbuf, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (len <= CONF_MAX_FILE) {
		n = read(fd, buf + len, CONF_MAX_FILE + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			if (errbuf != NULL)
				snprintf(errbuf, errlen, "%s: cannot read: %s", path,
					 strerror(-rc));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONF_MAX_FILE) {
		rc = -EFBIG;
		if (errbuf != NULL)
			snprintf(errbuf, errlen,
				 "%s: larger than 1 MiB, too big to be a configuration file", path);
		goto out;
	}
	rc = tw_conf_parse(buf, len, path, c, errbuf, errlen);
	if (rc == 0)
		rc = relative_to(path, c->ike_static_keys, "control.ike_static_keys", errbuf,
				 errlen);
	if (rc == 0)
		rc = relative_to(path, c->ike_socket, "control.ike_socket", errbuf, errlen);
	if (rc == 0 && c->keystore[0] != '\0') {
		char ks[TW_CONF_MAX_STR * 2];
		const char *slash = strrchr(path, '/');

		/* A relative keystore path is relative to the configuration file. */
		if (c->keystore[0] != '/' && slash != NULL)
			snprintf(ks, sizeof(ks), "%.*s/%s", (int)(slash - path), path, c->keystore);
		else
			snprintf(ks, sizeof(ks), "%s", c->keystore);
		rc = tw_conf_keystore_load(ks, c, errbuf, errlen);
	}
out:
	explicit_bzero(buf, len);
	free(buf);
	close(fd);
	return rc;
}

static void
ks_fail(char *errbuf, size_t errlen, const char *path, unsigned int line, const char *msg)
{
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s:%u: %s", path, line, msg);
}

int
tw_conf_keystore_load(const char *path, struct tw_conf *c, char *errbuf, size_t errlen)
{
	char line[TW_CONF_KEYID_LEN + 2 * TW_CONF_MAX_SECRET + 64];
	struct tw_conf_key key;
	unsigned int lineno = 0;
	struct stat st;
	FILE *f;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (errbuf != NULL)
			snprintf(errbuf, errlen, "%s: cannot open keystore: %s", path,
				 strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		if (errbuf != NULL)
			snprintf(errbuf, errlen, "%s: keystore is not a regular file", path);
		return -EINVAL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		if (errbuf != NULL)
			snprintf(errbuf, errlen, "%s: keystore is accessible by group or others "
				 "(mode %03o): chmod 600 it", path, (unsigned int)(st.st_mode & 0777));
		return -EPERM;
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *id, *hex, *end;
		int len;
		size_t i;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			ks_fail(errbuf, errlen, path, lineno, "line too long");
			rc = -EINVAL;
			break;
		}
		for (i = 0; line[i] == ' ' || line[i] == '\t'; i++)
			;
		if (line[i] == '#' || line[i] == '\n' || line[i] == '\r' || line[i] == '\0')
			continue;
		id = strtok_r(line + i, " \t\r\n", &end);
		hex = strtok_r(NULL, " \t\r\n", &end);
		if (id == NULL || hex == NULL || strtok_r(NULL, " \t\r\n", &end) != NULL) {
			ks_fail(errbuf, errlen, path, lineno,
				"expected \"KeyID hex-passphrase\"");
			rc = -EINVAL;
			break;
		}
		memset(&key, 0, sizeof(key));
		if (strlen(id) > TW_CONF_KEYID_LEN) {
			ks_fail(errbuf, errlen, path, lineno, "KeyID longer than 80 octets");
			rc = -EINVAL;
			break;
		}
		memcpy(key.id, id, strlen(id));
		len = tw_unhex(hex, strlen(hex), key.secret, sizeof(key.secret));
		if (len <= 0) {
			ks_fail(errbuf, errlen, path, lineno,
				"passphrase is not an even number of hex digits (1-256 octets)");
			rc = -EINVAL;
			break;
		}
		key.secret_len = (uint16_t)len;
		if (c->nb_keys >= TW_CONF_MAX_KEYS) {
			ks_fail(errbuf, errlen, path, lineno, "more than 64 keys");
			rc = -EINVAL;
			break;
		}
		for (i = 0; i < c->nb_keys; i++) {
			if (strcmp(c->keys[i].id, key.id) == 0)
				break;
		}
		if (i < c->nb_keys) {
			ks_fail(errbuf, errlen, path, lineno, "KeyID listed twice");
			rc = -EINVAL;
			break;
		}
		c->keys[c->nb_keys++] = key;
	}
	explicit_bzero(line, sizeof(line));
	explicit_bzero(&key, sizeof(key));
	fclose(f);
	return rc;
}

void
tw_conf_wipe_keys(struct tw_conf *c)
{
	explicit_bzero(c->keys, sizeof(c->keys));
	c->nb_keys = 0;
}

int
tw_conf_addr_parse(const char *s, struct tw_conf_addr *a)
{
	char buf[INET6_ADDRSTRLEN];
	struct tw_conf_addr r;
	const char *slash;
	unsigned int max;
	uint32_t plen;
	size_t n;

	if (s == NULL || a == NULL)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	slash = strchr(s, '/');
	n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, r.addr) == 1) {
		r.family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, r.addr) == 1) {
		r.family = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
	plen = max;
	/* /0 on an interface address would put the whole Internet on-link: refuse it. */
	if (slash != NULL && (parse_dec(slash + 1, strlen(slash + 1), &plen) != 0 || plen < 1 ||
			      plen > max))
		return -EINVAL;
	r.prefixlen = (uint8_t)plen;
	*a = r;
	return 0;
}
