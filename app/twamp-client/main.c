/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twamp-client: TWAMP Light Session-Sender (RFC 5357 Appendix I) on kernel UDP sockets.
 *
 * main.c only turns the command line into a struct test_params and a struct client_opts,
 * opens the socket, runs the session and picks the exit code; the session itself is sender.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "tw_wire.h"

#define NSEC_PER_SEC UINT64_C(1000000000)

enum long_only {
	OPT_JSON = 256,
	OPT_MAX_LOSS,
	OPT_CHECK,
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
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: twamp-client [options] ADDR[:PORT]\n"
		"TWAMP Light Session-Sender (RFC 5357 Appendix I). IPv6: [2001:db8::1]:862,\n"
		"or a bare 2001:db8::1 with -p.\n"
		"  -p, --port N          reflector UDP port (default %d)\n"
		"  -c, --count N         packets to send (default %d)\n"
		"  -i, --interval T      interval: 10ms, 100us, 1s, 0.5 (s) (default 10ms)\n"
		"  -r, --rate PPS        packets per second, instead of -i\n"
		"  -s, --padding N       Packet Padding after the 14 sender octets (default %d:\n"
		"                        41-octet packets, the reflector's answer size, RFC 6038)\n"
		"  -d, --dscp N          DSCP 0-63 for test packets\n"
		"  -l, --local ADDR[:PORT]  bind address and port\n"
		"  -w, --wait T          wait for late reflections after the last send (def. 1s)\n"
		"  -v, --per-packet      one line per packet (with --json: a \"packets\" array)\n"
		"      --json            one JSON object on stdout instead of the text report\n"
		"      --max-loss PCT    exit 3 if loss is above PCT percent (default 100)\n"
		"      --check           verify every reflected field, exit 4 on any violation\n"
		"  -4, -6                resolve ADDR as IPv4 / IPv6 only\n"
		"  -h, --help\n"
		"exit: 0 ok, 1 usage/setup error, 3 loss above --max-loss, 4 --check violation\n",
		CLIENT_DEFAULT_PORT, CLIENT_DEFAULT_COUNT, CLIENT_DEFAULT_PADDING);
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

static int
parse_args(int argc, char **argv, struct client_opts *o)
{
	char host[256], port[16], defport[16];
	const char *local = NULL;
	bool have_i = false, have_r = false;
	int family = AF_UNSPEC;
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->tp.mode = TEST_MODE_UNAUTH;
	o->tp.count = CLIENT_DEFAULT_COUNT;
	o->tp.interval_ns = 10 * 1000 * 1000;
	o->tp.padding = CLIENT_DEFAULT_PADDING;
	o->tp.wait_ns = NSEC_PER_SEC;
	o->dscp = -1;
	o->max_loss = 100.0;
	snprintf(defport, sizeof(defport), "%d", CLIENT_DEFAULT_PORT);

	while ((c = getopt_long(argc, argv, "p:c:i:r:s:d:l:w:v46h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_u64(optarg, 1, 65535, &v) != 0)
				return fail_usage("bad port '%s'", optarg);
			snprintf(defport, sizeof(defport), "%u", (unsigned int)v);
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
		case 'r': {
			char *end;
			double pps;

			errno = 0;
			pps = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(pps > 0 && pps <= 1e6))
				return fail_usage("bad rate '%s' (0 < PPS <= 1000000)", optarg);
			o->tp.interval_ns = (uint64_t)(1e9 / pps + 0.5);
			have_r = true;
			break;
		}
		case 's':
			if (parse_u64(optarg, 0,
				      CLIENT_MAX_UDP_PAYLOAD - TW_WIRE_SENDER_UNAUTH_MIN, &v) != 0)
				return fail_usage("bad padding '%s' (0..65493)", optarg);
			o->tp.padding = (uint32_t)v;
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
	if (optind != argc - 1)
		return fail_usage("%s", optind == argc ? "missing reflector address" :
						       "only one reflector address");

	if (sock_split_hostport(argv[optind], host, sizeof(host), port, sizeof(port)) != 0 ||
	    host[0] == '\0')
		return fail_usage("bad reflector address '%s'", argv[optind]);
	if (port[0] != '\0' && parse_u64(port, 1, 65535, &v) != 0)
		return fail_usage("bad port in '%s'", argv[optind]);
	if (sock_resolve(host, port[0] != '\0' ? port : defport, family, false, &o->tp.peer,
			 &o->tp.peer_len) != 0)
		return -1;
	sock_addr_str((const struct sockaddr *)&o->tp.peer, o->peer_str, sizeof(o->peer_str));

	if (local != NULL) {
		if (sock_split_hostport(local, host, sizeof(host), port, sizeof(port)) != 0)
			return fail_usage("bad local address '%s'", local);
		if (port[0] != '\0' && parse_u64(port, 0, 65535, &v) != 0)
			return fail_usage("bad port in '%s'", local);
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

int
main(int argc, char **argv)
{
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);
	char local_str[CLIENT_ADDRSTR] = "?";
	struct tw_measure_summary sum;
	struct sender_result res;
	struct report_ctx rc;
	struct client_opts o;
	int ret, fd;

	if (parse_args(argc, argv, &o) != 0)
		return CLIENT_EXIT_SETUP;
	fd = sock_open_test(&o);
	if (fd < 0)
		return CLIENT_EXIT_SETUP;
	install_signals();

	if (sender_run(&o.tp, fd, &res) != 0) {
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
	if (o.tp.check)
		check_summary(&res.check, &sum);

	rc = (struct report_ctx){ .o = &o, .res = &res, .s = &sum, .local_str = local_str };
	if (o.json) {
		report_json(stdout, &rc);
	} else {
		if (o.per_packet)
			report_per_packet(stdout, &rc);
		report_human(stdout, &rc);
	}
	fflush(stdout);

	if (sum.sent == 0 && res.send_errors > 0) {
		fprintf(stderr, "twamp-client: no test packet could be sent\n");
		ret = CLIENT_EXIT_SETUP;
	} else if (o.tp.check && res.check.violations > 0) {
		/* A conformance failure outranks loss: the numbers cannot be trusted. */
		ret = CLIENT_EXIT_CHECK;
	} else if (sum.loss_pct > o.max_loss) {
		ret = CLIENT_EXIT_LOSS;
	} else {
		ret = CLIENT_EXIT_OK;
	}
	tw_measure_free(res.m);
	return ret;
}
