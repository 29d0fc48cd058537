/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-client: TWAMP Control-Client and Session-Sender (RFC 5357 §3, §4.1), or TWAMP Light
 * Session-Sender (RFC 5357 Appendix I, the default), on kernel sockets.
 *
 * main.c only turns the command line into a struct client_opts; light mode opens the socket, runs
 * the session and picks the exit code here, control mode is control.c; the session itself is
 * sender.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "pace.h"
#include "tw_conf.h"
#include "tw_wire.h"

#define NSEC_PER_SEC UINT64_C(1000000000)

enum long_only {
	OPT_JSON = 256,
	OPT_MAX_LOSS,
	OPT_CHECK,
	OPT_CONTROL,
	OPT_LIGHT,
	OPT_MODE,
	OPT_ISC,
	OPT_REFLECT_OCTETS,
	OPT_SYMMETRICAL,
	OPT_PASSPHRASE,
	OPT_PASSPHRASE_FILE,
	OPT_KEYSTORE,
	OPT_SESSIONS,
	OPT_TEST_PORT,
	OPT_TIMEOUT,
	OPT_CONTROL_TIMEOUT,
	OPT_IKE_STATIC,
	OPT_IKE_SOCKET,
	OPT_IKE_DAEMON,
	OPT_IKE_SPIS,
	OPT_SPI_LAYOUT,
	OPT_PTP,
	OPT_EXPECT_FORMAT,
	OPT_BATCH,
};

static const struct option long_opts[] = {
	{ "port", required_argument, NULL, 'p' },
	{ "count", required_argument, NULL, 'c' },
	{ "interval", required_argument, NULL, 'i' },
	{ "rate", required_argument, NULL, 'r' },
	{ "padding", required_argument, NULL, 's' },
	{ "dscp", required_argument, NULL, 'd' },
	{ "local", required_argument, NULL, 'l' },
	{ "wait", required_argument, NULL, 'w' },
	{ "per-packet", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "max-loss", required_argument, NULL, OPT_MAX_LOSS },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "control", no_argument, NULL, OPT_CONTROL },
	{ "light", no_argument, NULL, OPT_LIGHT },
	{ "control-port", required_argument, NULL, 'P' },
	{ "modes", required_argument, NULL, 'A' },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "isc", no_argument, NULL, OPT_ISC },
	{ "reflect-octets", required_argument, NULL, OPT_REFLECT_OCTETS },
	{ "symmetrical", no_argument, NULL, OPT_SYMMETRICAL },
	{ "keyid", required_argument, NULL, 'k' },
	{ "passphrase", required_argument, NULL, OPT_PASSPHRASE },
	{ "passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE },
	{ "keystore", required_argument, NULL, OPT_KEYSTORE },
	{ "sessions", required_argument, NULL, OPT_SESSIONS },
	{ "test-port", required_argument, NULL, OPT_TEST_PORT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "control-timeout", required_argument, NULL, OPT_CONTROL_TIMEOUT },
	{ "ike-static", required_argument, NULL, OPT_IKE_STATIC },
	{ "ike-socket", required_argument, NULL, OPT_IKE_SOCKET },
	{ "ike-daemon", no_argument, NULL, OPT_IKE_DAEMON },
	{ "ike-spis", required_argument, NULL, OPT_IKE_SPIS },
	{ "spi-layout", required_argument, NULL, OPT_SPI_LAYOUT },
	{ "ptp", no_argument, NULL, OPT_PTP },
	{ "expect-format", required_argument, NULL, OPT_EXPECT_FORMAT },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: twamp-client [options] ADDR[:PORT]             TWAMP Light (default)\n"
		"       twamp-client --control [options] SERVER[:PORT]  TWAMP-Control + Test\n"
		"TWAMP Light Session-Sender (RFC 5357 Appendix I), or Control-Client and Session-\n"
		"Sender (RFC 5357 §3, §4.1). IPv6: [2001:db8::1]:862, or a bare 2001:db8::1 with -p/-P.\n"
		"Test packets:\n"
		"  -c, --count N         packets to send per session (default %d)\n"
		"  -i, --interval T      interval: 10ms, 100us, 1s, 0.5 (s) (default 10ms)\n"
		"  -r, --rate PPS        packets per second, instead of -i: 200, 500k, 1.5M, or\n"
		"                        max (as fast as the sender can)\n"
		"      --batch N         up to N packets per sendmmsg() and reflections per\n"
		"                        recvmmsg() (1..%d, default 1: one sendto() each); a batch\n"
		"                        leaves when its last packet is due, T1 is read once per\n"
		"                        batch, T4 stays the kernel's per packet; for high rates\n"
		"  -s, --padding N       Packet Padding after the sender's fixed part (default %d:\n"
		"                        41-octet packets, the reflector's answer size, RFC 6038;\n"
		"                        %d in authenticated/encrypted modes, 0 with --symmetrical)\n"
		"  -d, --dscp N          DSCP 0-63 for test packets (and the Type-P Descriptor)\n"
		"  -l, --local ADDR[:PORT]  bind address and (first test) port\n"
		"  -w, --wait T          wait for late reflections after the last send (def. 1s)\n"
		"  -4, -6                resolve ADDR as IPv4 / IPv6 only\n"
		"      --ptp             T1 in PTPv2 truncated format, Z bit set (RFC 8186); with\n"
		"                        --control also ask for PTPv2 reflector timestamps (Modes\n"
		"                        512) where the server offers them\n"
		"Light mode:\n"
		"  -p, --port N          reflector UDP port (default %d)\n"
		"Control mode (--control):\n"
		"  -P, --control-port N  TWAMP-Control TCP port (default %d)\n"
		"  -A, --modes MODES     acceptable security modes: letters O/U A E M or words\n"
		"                        unauthenticated,authenticated,encrypted,mixed (default all;\n"
		"                        the strongest in common wins: E > A > M > O)\n"
		"      --mode MODE       use this security mode only\n"
		"  -k, --keyid ID        KeyID of the shared secret (RFC 4656 §3.1)\n"
		"      --passphrase TEXT  the shared secret (visible to ps: prefer the next two)\n"
		"      --passphrase-file F  the secret is the first line of F (mode 600)\n"
		"      --keystore F      \"KeyID hex-passphrase\" lines (mode 600), -k picks one\n"
		"      --ike-static F    RFC 7717 mode 128: the key is PRF(SK_d, \"IPPM\") of an IKEv2\n"
		"                        SA of F (\"SPIi SPIr PRF SK_d\" hex lines, mode 600), its SPIs\n"
		"                        the Key ID; the first SA, or --ike-spis; 128 is required\n"
		"                        (no fallback to a passphrase), with -A/--mode as usual\n"
		"      --ike-socket S    RFC 7717 mode 128 with the newest IKEv2 SA with the reflector,\n"
		"                        SPIs and key from the local IKE daemon's \"ippm\" socket S\n"
		"                        (strongSwan + tools/strongswan plugin); within\n"
		"                        --control-timeout; SK_d never leaves the daemon\n"
		"      --ike-daemon      --ike-socket " TW_CONF_IKE_SOCKET_DEFAULT "\n"
		"      --ike-spis I:R    the SA with these SPIs (hex, 8 or 4 octets), not the first\n"
		"                        of --ike-static / the newest of --ike-socket\n"
		"      --spi-layout L    SPIs in the Key ID: 8+8 (default, RFC 7296 SPIs) or 4+4\n"
		"                        (the draft's layout: --ike-static needs SAs with 4-octet\n"
		"                        SPIs, --ike-socket sends the first 4 octets of each)\n"
		"      --sessions N      test sessions on the connection, run at once (default 1)\n"
		"      --test-port N     ask for reflector ports N, N+1, ... (default: server picks)\n"
		"      --timeout T       Request-TW-Session Timeout (default 2s)\n"
		"      --control-timeout T  connect and wait for each control reply (default 10s)\n"
		"      --isc             individual session control (RFC 5938) when offered\n"
		"      --reflect-octets N  ask the reflector to return N padding octets (RFC 6038)\n"
		"      --symmetrical     symmetrical size sender packets (RFC 6038) when offered\n"
		"Report:\n"
		"  -v, --per-packet      one line per packet (with --json: a \"packets\" array)\n"
		"      --json            one JSON object on stdout instead of the text report\n"
		"      --max-loss PCT    exit 3 if loss is above PCT percent (default 100)\n"
		"      --check           verify every reflected field, exit 4 on any violation\n"
		"      --expect-format F  with --check: the reflector's T2/T3 must be ntp, ptp or\n"
		"                        any (Z bit); default: light, the format of our T1;\n"
		"                        control, ptp iff Modes 512 was negotiated\n"
		"  -h, --help\n"
		"exit: 0 ok, 1 usage/setup error, 2 TWAMP-Control failure or refusal (also: the\n"
		"      server lacks mode 128, or knows no IKE SA with our SPIs: Accept 6),\n"
		"      3 loss above --max-loss, 4 --check violation\n",
		CLIENT_DEFAULT_COUNT, PACE_MAX_BATCH, CLIENT_DEFAULT_PADDING, CLIENT_AUTH_PADDING,
		CLIENT_DEFAULT_PORT, CLIENT_DEFAULT_PORT);
}

static int __attribute__((format(printf, 1, 2)))
fail_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "twamp-client: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'twamp-client --help'.\n");
	return -1;
}

/* Unsigned decimal in [lo, hi]. */
static int
parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s == '\0' || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "10ms", "100us", "250ns", "1s", or a bare number of seconds ("0.01"). */
static int
parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1e9 },
	};
	char *end;
	double v;

	if (*s == '\0' || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			double r = v * units[i].mult;

			if (r > 86400e9)	/* a day: anything longer is a typo */
				return -EINVAL;
			*ns = (uint64_t)(r + 0.5);
			return 0;
		}
	}
	return -EINVAL;
}

static int
parse_percent(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0 && v <= 100))
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * Security modes: comma-separated words (unauthenticated/open, authenticated, encrypted, mixed)
 * or letters (O or U, A, E, M, as in owping/twping -A). @return the TW_CTRL_MODE_* bits or 0.
 */
static uint32_t
parse_modes(const char *arg)
{
	static const struct {
		const char *word;
		uint32_t bit;
	} words[] = {
		{ "unauthenticated", TW_CTRL_MODE_UNAUTH }, { "unauth", TW_CTRL_MODE_UNAUTH },
		{ "open", TW_CTRL_MODE_UNAUTH },	    { "authenticated", TW_CTRL_MODE_AUTH },
		{ "auth", TW_CTRL_MODE_AUTH },		    { "encrypted", TW_CTRL_MODE_ENCRYPTED },
		{ "mixed", TW_CTRL_MODE_MIXED },
	};
	char buf[128], *tok, *save = NULL;
	uint32_t modes = 0;

	if (strlen(arg) >= sizeof(buf))
		return 0;
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			if (strcasecmp(tok, words[i].word) == 0)
				break;
		}
		if (i < sizeof(words) / sizeof(words[0])) {
			modes |= words[i].bit;
			continue;
		}
		for (const char *p = tok; *p != '\0'; p++) {
			switch (*p) {
			case 'O':
			case 'o':
			case 'U':
			case 'u':
				modes |= TW_CTRL_MODE_UNAUTH;
				break;
			case 'A':
			case 'a':
				modes |= TW_CTRL_MODE_AUTH;
				break;
			case 'E':
			case 'e':
				modes |= TW_CTRL_MODE_ENCRYPTED;
				break;
			case 'M':
			case 'm':
				modes |= TW_CTRL_MODE_MIXED;
				break;
			default:
				return 0;
			}
		}
		if (*tok == '\0')
			return 0;
	}
	return modes;
}

/* Hex octets, 8 or 4 of them (16 or 8 digits). @return the count or -EINVAL. */
static int
parse_spi(const char *s, size_t len, uint8_t out[8])
{
	size_t n = len / 2;

	if (len != 16 && len != 8)
		return -EINVAL;
	memset(out, 0, 8);
	for (size_t i = 0; i < len; i++) {
		int c = s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -EINVAL;
		out[i / 2] = (uint8_t)(out[i / 2] << 4 | d);
	}
	return (int)n;
}

/* --ike-spis SPIi:SPIr, both of the same length. */
static int
parse_spis(const char *arg, struct client_opts *o)
{
	const char *colon = strchr(arg, ':');
	int ni, nr;

	if (colon == NULL)
		return -EINVAL;
	ni = parse_spi(arg, (size_t)(colon - arg), o->ike_spi_i);
	nr = parse_spi(colon + 1, strlen(colon + 1), o->ike_spi_r);
	if (ni < 0 || nr < 0 || ni != nr)
		return -EINVAL;
	o->ike_spi_len = (uint8_t)ni;
	o->ike_spis_set = true;
	return 0;
}

/* Take a secret out of argv so that ps and /proc/PID/cmdline stop showing it. */
static const char *
take_secret(char *arg)
{
	char *copy = strdup(arg);

	explicit_bzero(arg, strlen(arg));
	return copy;
}

static int
parse_args(int argc, char **argv, struct client_opts *o)
{
	char host[256], port[16], defport[16], ctlport[16];
	const char *local = NULL, *light_only = NULL, *control_only = NULL;
	bool have_i = false, have_r = false, light = false, layout_set = false;
	int family = AF_UNSPEC;
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->tp.mode = TEST_MODE_UNAUTH;
	o->tp.count = CLIENT_DEFAULT_COUNT;
	o->tp.interval_ns = 10 * 1000 * 1000;
	o->tp.batch = 1;
	o->tp.padding = CLIENT_DEFAULT_PADDING;
	o->tp.wait_ns = NSEC_PER_SEC;
	o->dscp = -1;
	o->max_loss = 100.0;
	o->modes = CLIENT_MODES_ALL;
	o->nb_sessions = 1;
	o->timeout_ns = 2 * NSEC_PER_SEC;
	o->control_timeout_ns = 10 * NSEC_PER_SEC;
	snprintf(defport, sizeof(defport), "%d", CLIENT_DEFAULT_PORT);
	snprintf(ctlport, sizeof(ctlport), "%d", CLIENT_DEFAULT_PORT);

	while ((c = getopt_long(argc, argv, "p:c:i:r:s:d:l:w:vP:A:k:46h", long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'p':
			if (parse_u64(optarg, 1, 65535, &v) != 0)
				return fail_usage("bad port '%s'", optarg);
			snprintf(defport, sizeof(defport), "%u", (unsigned int)v);
			light_only = "-p (use -P/--control-port or --test-port)";
			break;
		case 'c':
			if (parse_u64(optarg, 1, TW_MEASURE_MAX_COUNT, &v) != 0)
				return fail_usage("bad count '%s' (1..50000000)", optarg);
			o->tp.count = (uint32_t)v;
			break;
		case 'i':
			if (parse_duration(optarg, &o->tp.interval_ns) != 0 ||
			    o->tp.interval_ns < 1000)
				return fail_usage("bad interval '%s' (at least 1us)", optarg);
			have_i = true;
			break;
		case 'r':
			if (pace_parse_rate(optarg, &o->tp.pps_milli) != 0)
				return fail_usage("bad rate '%s' (0 < PPS <= 100M, k/M suffix, or max)",
						  optarg);
			o->tp.rate_max = o->tp.pps_milli == 0;
			/* The one-sendto() path paces by interval: the nearest ns (1 at least,
			 * 0 for max); --batch uses the exact rate. */
			o->tp.interval_ns = 0;
			if (!o->tp.rate_max) {
				o->tp.interval_ns = (uint64_t)(1e12 / (double)o->tp.pps_milli + 0.5);
				if (o->tp.interval_ns == 0)
					o->tp.interval_ns = 1;
			}
			have_r = true;
			break;
		case OPT_BATCH:
			if (parse_u64(optarg, 1, PACE_MAX_BATCH, &v) != 0)
				return fail_usage("bad --batch '%s' (1..%d)", optarg, PACE_MAX_BATCH);
			o->tp.batch = (uint32_t)v;
			break;
		case 's':
			if (parse_u64(optarg, 0,
				      CLIENT_MAX_UDP_PAYLOAD - TW_WIRE_SENDER_UNAUTH_MIN, &v) != 0)
				return fail_usage("bad padding '%s' (0..65493)", optarg);
			o->tp.padding = (uint32_t)v;
			o->padding_set = true;
			break;
		case 'd':
			if (parse_u64(optarg, 0, 63, &v) != 0)
				return fail_usage("bad DSCP '%s' (0..63)", optarg);
			o->dscp = (int)v;
			break;
		case 'l':
			local = optarg;
			break;
		case 'w':
			if (parse_duration(optarg, &o->tp.wait_ns) != 0)
				return fail_usage("bad wait '%s'", optarg);
			break;
		case 'v':
			o->per_packet = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_MAX_LOSS:
			if (parse_percent(optarg, &o->max_loss) != 0)
				return fail_usage("bad --max-loss '%s' (0..100)", optarg);
			break;
		case OPT_CHECK:
			o->tp.check = true;
			break;
		case OPT_PTP:
			o->tp.ptp = true;
			break;
		case OPT_EXPECT_FORMAT:
			if (strcmp(optarg, "ntp") == 0)
				o->tp.expect = TS_FMT_NTP;
			else if (strcmp(optarg, "ptp") == 0)
				o->tp.expect = TS_FMT_PTP;
			else if (strcmp(optarg, "any") == 0)
				o->tp.expect = TS_FMT_ANY;
			else
				return fail_usage("bad --expect-format '%s' (ntp, ptp or any)",
						  optarg);
			o->expect_set = true;
			break;
		case OPT_CONTROL:
			o->control = true;
			break;
		case OPT_LIGHT:
			light = true;
			break;
		case 'P':
			if (parse_u64(optarg, 1, 65535, &v) != 0)
				return fail_usage("bad control port '%s'", optarg);
			snprintf(ctlport, sizeof(ctlport), "%u", (unsigned int)v);
			control_only = "-P/--control-port";
			break;
		case 'A':
			o->modes = parse_modes(optarg);
			if (o->modes == 0)
				return fail_usage("bad modes '%s' (letters OAEM or words "
						  "unauthenticated,authenticated,encrypted,mixed)",
						  optarg);
			control_only = "-A/--modes";
			break;
		case OPT_MODE:
			o->force_mode = parse_modes(optarg);
			if (o->force_mode == 0 || (o->force_mode & (o->force_mode - 1)) != 0)
				return fail_usage("bad --mode '%s' (one of unauthenticated, "
						  "authenticated, encrypted, mixed)", optarg);
			control_only = "--mode";
			break;
		case OPT_ISC:
			o->isc = true;
			control_only = "--isc";
			break;
		case OPT_REFLECT_OCTETS:
			if (parse_u64(optarg, 1, CLIENT_MAX_UDP_PAYLOAD - TW_TCRYPT_REFL_LEN, &v) != 0)
				return fail_usage("bad --reflect-octets '%s' (1..65395)", optarg);
			o->reflect_octets = true;
			o->reflect_len = (uint16_t)v;
			control_only = "--reflect-octets";
			break;
		case OPT_SYMMETRICAL:
			o->symmetrical = true;
			control_only = "--symmetrical";
			break;
		case 'k':
			o->keyid = optarg;
			control_only = "-k/--keyid";
			break;
		case OPT_PASSPHRASE:
			if (o->passphrase != NULL)
				return fail_usage("%s", "--passphrase given twice");
			o->passphrase = take_secret(optarg);
			if (o->passphrase == NULL)
				return fail_usage("%s", "out of memory");
			control_only = "--passphrase";
			break;
		case OPT_PASSPHRASE_FILE:
			o->passphrase_file = optarg;
			control_only = "--passphrase-file";
			break;
		case OPT_KEYSTORE:
			o->keystore = optarg;
			control_only = "--keystore";
			break;
		case OPT_SESSIONS:
			if (parse_u64(optarg, 1, CLIENT_MAX_SESSIONS, &v) != 0)
				return fail_usage("bad --sessions '%s' (1..%d)", optarg,
						  CLIENT_MAX_SESSIONS);
			o->nb_sessions = (uint32_t)v;
			control_only = "--sessions";
			break;
		case OPT_TEST_PORT:
			if (parse_u64(optarg, 1, 65535, &v) != 0)
				return fail_usage("bad --test-port '%s'", optarg);
			o->test_port = (uint16_t)v;
			control_only = "--test-port";
			break;
		case OPT_TIMEOUT:
			if (parse_duration(optarg, &o->timeout_ns) != 0)
				return fail_usage("bad --timeout '%s'", optarg);
			control_only = "--timeout";
			break;
		case OPT_CONTROL_TIMEOUT:
			if (parse_duration(optarg, &o->control_timeout_ns) != 0 ||
			    o->control_timeout_ns < 1000000)
				return fail_usage("bad --control-timeout '%s' (at least 1ms)", optarg);
			control_only = "--control-timeout";
			break;
		case OPT_IKE_STATIC:
			o->ike_static = optarg;
			control_only = "--ike-static";
			break;
		case OPT_IKE_SOCKET:
			o->ike_socket = optarg;
			control_only = "--ike-socket";
			break;
		case OPT_IKE_DAEMON:
			o->ike_socket = TW_CONF_IKE_SOCKET_DEFAULT;
			control_only = "--ike-daemon";
			break;
		case OPT_IKE_SPIS:
			if (parse_spis(optarg, o) != 0)
				return fail_usage("bad --ike-spis '%s' (SPIi:SPIr, 16 or 8 hex digits "
						  "each)", optarg);
			control_only = "--ike-spis";
			break;
		case OPT_SPI_LAYOUT:
			if (strcmp(optarg, "8+8") == 0)
				o->spi_layout = TW_CTRL_SPI_8_8;
			else if (strcmp(optarg, "4+4") == 0)
				o->spi_layout = TW_CTRL_SPI_4_4;
			else
				return fail_usage("bad --spi-layout '%s' (8+8 or 4+4)", optarg);
			layout_set = true;
			control_only = "--spi-layout";
			break;
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
			break;
		case 'h':
			usage(stdout);
			exit(CLIENT_EXIT_OK);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (have_i && have_r)
		return fail_usage("%s", "use -i or -r, not both");
	if (o->expect_set && !o->tp.check)
		return fail_usage("%s", "--expect-format needs --check");
	/* Light has no negotiation: by default our reflector answers a sender in the sender's
	 * format, so expect that; control.c sets it from the negotiated Mode. */
	if (!o->expect_set)
		o->tp.expect = o->tp.ptp ? TS_FMT_PTP : TS_FMT_NTP;
	if (light && o->control)
		return fail_usage("%s", "--light or --control, not both");
	if (!o->control && control_only != NULL)
		return fail_usage("%s needs --control", control_only);
	if (o->control && light_only != NULL)
		return fail_usage("%s is for light mode", light_only);
	if (o->force_mode != 0) {
		/* --mode alone means that mode; with -A it must be one of them. */
		if (o->modes == CLIENT_MODES_ALL)
			o->modes = o->force_mode;
		else if (!(o->modes & o->force_mode))
			return fail_usage("%s", "--mode is not among the -A modes");
	}
	if ((o->passphrase != NULL) + (o->passphrase_file != NULL) + (o->keystore != NULL) > 1)
		return fail_usage("%s", "use one of --passphrase, --passphrase-file, --keystore");
	if (o->ike_static != NULL && o->ike_socket != NULL)
		return fail_usage("%s", "use --ike-static or --ike-socket/--ike-daemon, not both");
	if (o->ike_static == NULL && o->ike_socket == NULL && (o->ike_spis_set || layout_set))
		return fail_usage("%s needs --ike-static or --ike-socket",
				  o->ike_spis_set ? "--ike-spis" : "--spi-layout");
	if (o->ike_static != NULL || o->ike_socket != NULL) {
		const char *opt = o->ike_static != NULL ? "--ike-static" : "--ike-socket";

		/* RFC 7717 mode 128 or nothing: no passphrase to fall back to. */
		if (o->keyid != NULL || o->passphrase != NULL || o->passphrase_file != NULL ||
		    o->keystore != NULL)
			return fail_usage("%s replaces -k, --passphrase, --passphrase-file and "
					  "--keystore", opt);
		/* 128 combines with 2, 4 or 8 (RFC 7717 §5.3): never with an open mode. */
		o->modes &= (uint32_t)TW_CTRL_MODE_CIPHER_CONTROL;
		if (o->modes == 0)
			return fail_usage("%s needs an authenticated, encrypted or mixed mode "
					  "(-A/--mode)", opt);
		if (o->ike_spis_set && o->ike_spi_len != tw_ctrl_spi_len(o->spi_layout))
			return fail_usage("--ike-spis with %u-octet SPIs needs --spi-layout %s",
					  (unsigned int)o->ike_spi_len,
					  o->ike_spi_len == 4 ? "4+4" : "8+8");
	}
	if (o->test_port != 0 && o->test_port + o->nb_sessions - 1 > 65535)
		return fail_usage("%s", "--test-port + --sessions goes past port 65535");
	if (optind != argc - 1)
		return fail_usage("%s", optind == argc ? "missing reflector address" :
						       "only one reflector address");

	if (sock_split_hostport(argv[optind], host, sizeof(host), port, sizeof(port)) != 0 ||
	    host[0] == '\0')
		return fail_usage("bad reflector address '%s'", argv[optind]);
	if (port[0] != '\0' && parse_u64(port, 1, 65535, &v) != 0)
		return fail_usage("bad port in '%s'", argv[optind]);
	if (sock_resolve(host, port[0] != '\0' ? port : o->control ? ctlport : defport, family,
			 false, &o->tp.peer, &o->tp.peer_len) != 0)
		return -1;
	sock_addr_str((const struct sockaddr *)&o->tp.peer, o->peer_str, sizeof(o->peer_str));

	if (local != NULL) {
		if (sock_split_hostport(local, host, sizeof(host), port, sizeof(port)) != 0)
			return fail_usage("bad local address '%s'", local);
		if (port[0] != '\0' && parse_u64(port, 0, 65535, &v) != 0)
			return fail_usage("bad port in '%s'", local);
		if (o->control && port[0] != '\0' && v + o->nb_sessions - 1 > 65535)
			return fail_usage("%s", "-l port + --sessions goes past port 65535");
		o->local_port = port[0] != '\0' && v != 0;
		/* The local address must be of the reflector's family. */
		if (sock_resolve(host, port[0] != '\0' ? port : "0", o->tp.peer.ss_family, true,
				 &o->local, &o->local_len) != 0)
			return -1;
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	sender_stop();
}

static void
install_signals(void)
{
	struct sigaction sa;

	/* No SA_RESTART: the sleep in the sender must return so it sees the stop request. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void
free_opts(struct client_opts *o)
{
	if (o->passphrase != NULL) {
		explicit_bzero((char *)o->passphrase, strlen(o->passphrase));
		free((char *)o->passphrase);
		o->passphrase = NULL;
	}
}

static int
run_light(struct client_opts *o)
{
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);
	char local_str[CLIENT_ADDRSTR] = "?";
	struct tw_measure_summary sum;
	struct sender_result res;
	struct report_ctx rc;
	int ret, fd;

	fd = sock_open_test(o);
	if (fd < 0)
		return CLIENT_EXIT_SETUP;
	if (sender_run(&o->tp, fd, &res) != 0) {
		close(fd);
		return CLIENT_EXIT_SETUP;
	}
	if (getsockname(fd, (struct sockaddr *)&local, &local_len) == 0)
		sock_addr_str((const struct sockaddr *)&local, local_str, sizeof(local_str));
	close(fd);

	if (tw_measure_summarize(res.m, &sum) != 0) {
		fprintf(stderr, "twamp-client: out of memory computing the report\n");
		tw_measure_free(res.m);
		return CLIENT_EXIT_SETUP;
	}
	if (o->tp.check)
		check_summary(&res.check, &sum);

	rc = (struct report_ctx){ .o = o, .res = &res, .s = &sum, .local_str = local_str };
	if (o->json) {
		report_json(stdout, &rc);
	} else {
		if (o->per_packet)
			report_per_packet(stdout, res.m);
		report_human(stdout, &rc);
	}
	fflush(stdout);

	if (sum.sent == 0 && res.send_errors > 0) {
		fprintf(stderr, "twamp-client: no test packet could be sent\n");
		ret = CLIENT_EXIT_SETUP;
	} else if (o->tp.check && res.check.violations > 0) {
		/* A conformance failure outranks loss: the numbers cannot be trusted. */
		ret = CLIENT_EXIT_CHECK;
	} else if (sum.loss_pct > o->max_loss) {
		ret = CLIENT_EXIT_LOSS;
	} else {
		ret = CLIENT_EXIT_OK;
	}
	tw_measure_free(res.m);
	return ret;
}

int
main(int argc, char **argv)
{
	struct client_opts o;
	int ret;

	if (parse_args(argc, argv, &o) != 0) {
		free_opts(&o);
		return CLIENT_EXIT_SETUP;
	}
	install_signals();
	ret = o.control ? control_run(&o) : run_light(&o);
	free_opts(&o);
	return ret;
}
