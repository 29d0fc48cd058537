/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * benchgen: the bench's input. Writes a capture of IPv4 TWAMP-Test Session-Sender packets for
 * tools/bench (replayed forever by net_pcap's infinite_rx) and, for the TWAMP-Control modes, the
 * session list the reflector installs with --bench-sessions, with the keys the packets were
 * sealed with. The secured packets are sealed by lib/tcrypt's OpenSSL reference engine (not the
 * IPsec-MB engine the reflector verifies them with), from test keys derived from the listed
 * control-session keys and SID as RFC 4656 §4.1.2 says, so a packet the reflector accepts is one
 * the two engines agree on.
 *
 *   benchgen -m light|unauth|auth|enc -s min|IPLEN -n SESSIONS [-p PACKETS] -o CAPTURE
 *            [-S SESSIONFILE]
 *
 * Session i is 198.18.1.0 + i (the 198.18.0.0/15 benchmark range), UDP port 40000, to
 * 198.18.0.1 port 862 (light) or 20100 + i % 100 (control.test_ports' default range). The
 * capture holds max(SESSIONS, PACKETS) packets, one session after the other, so every session is
 * hit once per pass over the capture. IPLEN is the IPv4 packet's length (28 + the TWAMP-Test
 * packet); min is the mode's smallest request: 41 octets of TWAMP-Test payload unauthenticated
 * (room for the 41-octet answer, RFC 5357 §4.2.1), 48 authenticated or encrypted (RFC 4656
 * §4.1.2; the answer grows to 112).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tw_bytes.h"
#include "tw_tcrypt.h"

enum mode { M_LIGHT, M_UNAUTH, M_AUTH, M_ENC };

static const uint8_t refl_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t cli_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static void
die(const char *msg)
{
	fprintf(stderr, "benchgen: %s\n", msg);
	exit(2);
}

/* RFC 1071: the complement of the folded sum (lib/wire's helpers sum and fold). */
static uint16_t
csum(uint32_t sum)
{
	return (uint16_t)~tw_wire_fold(sum);
}

/* Deterministic key material: the bench needs repeatable inputs, not secret ones. */
static void
fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint64_t x = 0x9e3779b97f4a7c15ull * (seed + 1);

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

static void
hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

int
main(int argc, char **argv)
{
	const char *out = NULL, *sess_out = NULL, *size = "min";
	enum mode mode = M_LIGHT;
	unsigned long sessions = 1, packets = 64, iplen, plen;
	FILE *pc, *sf = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "m:s:n:p:o:S:")) != -1) {
		switch (opt) {
		case 'm':
			mode = strcmp(optarg, "light") == 0 ? M_LIGHT :
			       strcmp(optarg, "unauth") == 0 ? M_UNAUTH :
			       strcmp(optarg, "auth") == 0 ? M_AUTH :
			       strcmp(optarg, "enc") == 0 ? M_ENC : (die("-m light|unauth|auth|enc"),
								     M_LIGHT);
			break;
		case 's':
			size = optarg;
			break;
		case 'n':
			sessions = strtoul(optarg, NULL, 10);
			break;
		case 'p':
			packets = strtoul(optarg, NULL, 10);
			break;
		case 'o':
			out = optarg;
			break;
		case 'S':
			sess_out = optarg;
			break;
		default:
			die("usage: benchgen -m MODE -s min|IPLEN -n SESSIONS [-p PACKETS] -o CAPTURE "
			    "[-S SESSIONFILE]");
		}
	}
	if (out == NULL || sessions == 0 || sessions > 131000 || packets == 0 || packets > 1000000)
		die("-o CAPTURE needed; 1 <= SESSIONS <= 131000; 1 <= PACKETS <= 1000000");
	if ((mode != M_LIGHT) != (sess_out != NULL))
		die("-S SESSIONFILE for the TWAMP-Control modes, and only for them");
	if (strcmp(size, "min") == 0)
		plen = mode == M_AUTH || mode == M_ENC ? TW_TCRYPT_SENDER_LEN : 41;
	else {
		iplen = strtoul(size, NULL, 10);
		if (iplen < 28 + 41 || iplen > 9000)
			die("-s: min, or an IPv4 length of 69..9000");
		plen = iplen - 28;
		if ((mode == M_AUTH || mode == M_ENC) && plen < TW_TCRYPT_SENDER_LEN)
			die("-s: authenticated and encrypted requests are at least 48 octets");
	}
	if (packets < sessions)
		packets = sessions;

	pc = fopen(out, "wb");
	if (pc == NULL)
		die(strerror(errno));
	if (sess_out != NULL) {
		int fd;

		/* Keys: not for anyone else's eyes, as the reflector insists (0600). */
		unlink(sess_out);
		fd = open(sess_out, O_WRONLY | O_CREAT | O_EXCL, 0600);
		sf = fd < 0 ? NULL : fdopen(fd, "w");
		if (sf == NULL)
			die(strerror(errno));
		fprintf(sf, "# benchgen -m %s: MODE SRC SPORT DST DPORT SID [AES HMAC]\n",
			mode == M_UNAUTH ? "unauth" : mode == M_AUTH ? "auth" : "enc");
	}
	{
		/* pcap file header: v2.4, microseconds, Ethernet */
		uint32_t gh[6] = { 0xa1b2c3d4, 2 | 4u << 16, 0, 0, 65535, 1 };

		fwrite(gh, sizeof(gh), 1, pc);
	}

	for (unsigned long k = 0; k < packets; k++) {
		uint32_t i = (uint32_t)(k % sessions), src = 0xc6120100u + i;	/* 198.18.1.0 + i */
		uint16_t dport = mode == M_LIGHT ? 862 : (uint16_t)(20100 + i % 100);
		uint8_t frame[14 + 9000], *ip = frame + 14, *udp = ip + 20, *pl = udp + 8;
		uint8_t sid[16], aes[16], hmac[32];
		size_t flen = 14 + 28 + plen;
		uint32_t sum, rec[4];

		memset(frame, 0, flen);
		memcpy(frame, refl_mac, 6);
		memcpy(frame + 6, cli_mac, 6);
		tw_wr16(frame + 12, 0x0800);
		ip[0] = 0x45;
		tw_wr16(ip + 2, (uint16_t)(28 + plen));
		tw_wr16(ip + 4, (uint16_t)k);
		tw_wr16(ip + 6, 0x4000);	/* DF */
		ip[8] = 64;
		ip[9] = 17;
		tw_wr32(ip + 12, src);
		tw_wr32(ip + 16, 0xc6120001u);	/* 198.18.0.1 */
		tw_wr16(ip + 10, csum(tw_wire_sum(ip, 20, 0)));
		tw_wr16(udp, 40000);
		tw_wr16(udp + 2, dport);
		tw_wr16(udp + 4, (uint16_t)(8 + plen));
		/* RFC 5357 §4.1.2 / RFC 4656 §4.1.2: Sequence Number, Timestamp, Error Estimate */
		tw_wr32(pl, (uint32_t)(k / sessions));
		tw_wr32(pl + 4, 0xeeb00000u + (uint32_t)k);
		tw_wr32(pl + 8, 0x12345678);
		tw_wr16(pl + (mode == M_AUTH || mode == M_ENC ? TW_TCRYPT_SND_OFF_ERR_EST : 12), 0x0001);
		fill(sid, sizeof(sid), 3 * i);
		fill(aes, sizeof(aes), 3 * i + 1);
		fill(hmac, sizeof(hmac), 3 * i + 2);
		if (mode == M_AUTH || mode == M_ENC) {
			struct tw_tcrypt_sess ts;

			/* Authenticated/encrypted layout: Timestamp at octet 16 (RFC 4656 §4.1.2). */
			memset(pl + 4, 0, 12);
			tw_wr32(pl + TW_TCRYPT_SND_OFF_TS, 0xeeb00000u + (uint32_t)k);
			tw_wr32(pl + TW_TCRYPT_SND_OFF_TS + 4, 0x12345678);
			if (tw_tcrypt_session_init(NULL, &ts, mode == M_ENC ? TW_TCRYPT_MODE_ENC :
						   TW_TCRYPT_MODE_AUTH, 0, aes, hmac, sid) < 0 ||
			    tw_tcrypt_ref_seal(&ts, TW_TCRYPT_SENDER, pl, plen) != TW_TCRYPT_OK)
				die("cannot seal a request (lib/tcrypt reference engine)");
			tw_tcrypt_session_wipe(&ts);
		}
		/* UDP checksum over the pseudo-header (RFC 768); 0 is sent as 0xffff. */
		sum = tw_wire_sum(ip + 12, 8, 17 + (uint32_t)(8 + plen));
		sum = tw_wire_sum(udp, 8 + plen, sum);
		tw_wr16(udp + 6, csum(sum) ? csum(sum) : 0xffff);

		rec[0] = (uint32_t)(k / 1000000);
		rec[1] = (uint32_t)(k % 1000000);
		rec[2] = rec[3] = (uint32_t)flen;
		fwrite(rec, sizeof(rec), 1, pc);
		fwrite(frame, flen, 1, pc);

		if (sf != NULL && k < sessions) {
			struct in_addr a = { .s_addr = htonl(src) };

			fprintf(sf, "%s %s 40000 198.18.0.1 %u ",
				mode == M_UNAUTH ? "unauth" : mode == M_AUTH ? "auth" : "enc",
				inet_ntoa(a), dport);
			hex(sf, sid, sizeof(sid));
			if (mode != M_UNAUTH) {
				fputc(' ', sf);
				hex(sf, aes, sizeof(aes));
				fputc(' ', sf);
				hex(sf, hmac, sizeof(hmac));
			}
			fputc('\n', sf);
		}
	}
	if (fclose(pc) != 0 || (sf != NULL && fclose(sf) != 0))
		die(strerror(errno));
	printf("%lu packets of %lu octets (IPv4 %lu), %lu session(s)\n", packets,
	       14 + 28 + plen, 28 + plen, sessions);
	return 0;
}
