/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Wire formats: TWAMP-Test packet layouts (RFC 5357 §4), the Ethernet/VLAN/IPv4/IPv6/UDP frame
 * parser the data path classifies with, and the in-place rewrite that turns a Session-Sender
 * packet into the Session-Reflector's answer.
 *
 * Every function takes (buf, len) of outside bytes and never reads past len: each is a fuzz
 * entry point. Nothing here allocates or reads a clock.
 */
#ifndef TW_WIRE_H
#define TW_WIRE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Explicit byte-order types for on-wire fields (the value is stored big-endian). */
typedef uint16_t tw_be16_t;
typedef uint32_t tw_be32_t;
typedef uint64_t tw_be64_t;

/* A 64-bit NTP or PTP timestamp as it sits on the wire (RFC 4656 §4.1.2). */
struct tw_ts64 {
	tw_be32_t sec;
	tw_be32_t frac;
} __attribute__((packed));

/* RFC 5357 §4.1.2, unauthenticated Session-Sender packet (followed by Packet Padding). */
struct tw_test_sender_unauth {
	tw_be32_t seq;
	struct tw_ts64 ts;
	tw_be16_t err_est;
} __attribute__((packed));
static_assert(sizeof(struct tw_test_sender_unauth) == 14, "RFC 5357 §4.1.2 layout");

/* RFC 5357 §4.2.1, unauthenticated Session-Reflector packet (followed by Packet Padding). */
struct tw_test_refl_unauth {
	tw_be32_t seq;
	struct tw_ts64 tx_ts;		/* T3 */
	tw_be16_t err_est;
	uint8_t mbz0[2];
	struct tw_ts64 rx_ts;		/* T2 */
	tw_be32_t sender_seq;
	struct tw_ts64 sender_ts;	/* T1 */
	tw_be16_t sender_err_est;
	uint8_t mbz1[2];
	uint8_t sender_ttl;
} __attribute__((packed));
static_assert(sizeof(struct tw_test_refl_unauth) == 41, "RFC 5357 §4.2.1 layout");

enum tw_wire_limits {
	TW_WIRE_SENDER_UNAUTH_MIN = sizeof(struct tw_test_sender_unauth),
	TW_WIRE_REFL_UNAUTH_MIN = sizeof(struct tw_test_refl_unauth),
	TW_WIRE_ETH_HLEN = 14,
	TW_WIRE_VLAN_HLEN = 4,
	TW_WIRE_MAX_VLANS = 2,		/* 802.1Q, or 802.1ad + 802.1Q (QinQ) */
	TW_WIRE_IPV4_HLEN = 20,
	TW_WIRE_IPV6_HLEN = 40,
	TW_WIRE_UDP_HLEN = 8,
	TW_WIRE_REFL_TTL = 255,		/* RFC 5357 §4.2: reflector sends with TTL 255 */
};

/* Offsets of fields inside the reflector packet, for stamping T3 late. */
enum tw_wire_refl_off {
	TW_REFL_OFF_SEQ = 0,
	TW_REFL_OFF_TX_TS = 4,
	TW_REFL_OFF_ERR_EST = 12,
	TW_REFL_OFF_RX_TS = 16,
	TW_REFL_OFF_SENDER_SEQ = 24,
	TW_REFL_OFF_SENDER_TS = 28,
	TW_REFL_OFF_SENDER_ERR_EST = 36,
	TW_REFL_OFF_SENDER_TTL = 40,
};

enum tw_wire_ethertype {
	TW_ETH_P_IPV4 = 0x0800,
	TW_ETH_P_ARP = 0x0806,
	TW_ETH_P_VLAN = 0x8100,
	TW_ETH_P_QINQ = 0x88a8,
	TW_ETH_P_IPV6 = 0x86dd,
};

enum { TW_IPPROTO_UDP = 17 };

/*
 * What the frame parser found. Everything that is not TW_PARSE_UDP is handed to the exception
 * path or dropped by the caller; the distinction between "not ours" and "broken" matters because
 * broken frames aimed at a test port are counted drops, while other traffic belongs to the kernel.
 */
enum tw_parse_result {
	TW_PARSE_UDP = 0,	/* well-formed IPv4/IPv6 UDP, offsets filled */
	TW_PARSE_NOT_IP,	/* ARP, LLDP, other ethertypes: exception path */
	TW_PARSE_NOT_UDP,	/* ICMP, TCP, IPv6 with extension headers...: exception path */
	TW_PARSE_IP_FRAG,	/* IPv4 fragment: exception path (the kernel reassembles) */
	TW_PARSE_IP_OPTIONS,	/* IPv4 header with options: exception path */
	TW_PARSE_RUNT,		/* shorter than its headers say: drop */
	TW_PARSE_BAD_L3,	/* bad version, IHL, total length or header checksum: drop */
	TW_PARSE_BAD_L4,	/* UDP length inconsistent with IP length: drop */
};

struct tw_wire_frame {
	uint16_t l3_off;	/* offset of the IP header (after VLAN tags) */
	uint16_t l4_off;	/* offset of the UDP header */
	uint16_t pl_off;	/* offset of the UDP payload */
	uint16_t pl_len;	/* UDP payload length (from the UDP header) */
	uint16_t frame_len;	/* length of the frame up to the end of the IP datagram */
	uint8_t ipv6;		/* 0 = IPv4, 1 = IPv6 */
	uint8_t nb_vlans;
	uint8_t ttl;		/* received IPv4 TTL / IPv6 Hop Limit */
	uint8_t pad;
	uint16_t src_port;	/* host order */
	uint16_t dst_port;
	const uint8_t *src_addr;	/* points into the frame: 4 or 16 octets */
	const uint8_t *dst_addr;
};

/*
 * Parse Ethernet, up to two VLAN tags, an IPv4 header without options or an IPv6 header without
 * extension headers, and UDP. IPv4 header checksum is verified unless l3_csum_ok says the NIC
 * did. Trailing bytes after the IP datagram (Ethernet padding) are allowed and ignored.
 */
enum tw_parse_result tw_wire_parse(const uint8_t *buf, size_t len, bool l3_csum_ok,
				   struct tw_wire_frame *f);

/* Internet checksum helpers (RFC 1071). Partial sums are 32-bit, unfolded. */
uint32_t tw_wire_sum(const uint8_t *buf, size_t len, uint32_t sum);
uint16_t tw_wire_fold(uint32_t sum);
/* Verify the UDP checksum of a parsed frame (IPv4 checksum 0 = none, accepted; IPv6 0 = bad). */
bool tw_wire_udp_csum_ok(const uint8_t *buf, const struct tw_wire_frame *f);

/* Values the reflector writes into an unauthenticated reflected packet. */
struct tw_wire_refl_fields {
	uint32_t seq;		/* reflector sequence number */
	uint64_t rx_ts;		/* T2, host-order NTP or PTP */
	uint16_t err_est;	/* reflector Error Estimate, host order */
	/*
	 * The received IPv4 header / UDP checksums were verified in software (not only reported
	 * good by a NIC), so the answer's can be derived from them incrementally (RFC 1624).
	 */
	bool l3_sw_verified;
	bool l4_sw_verified;
	/*
	 * RFC 6038 reflect octets in the standard (not symmetrical) format: this many octets of
	 * the request's Packet Padding (from payload octet 14) come back at the start of the
	 * answer's Packet Padding (octet 41); the answer grows if it must. 0: padding stays where
	 * it arrived (RFC 5357 §4.2.1).
	 */
	uint16_t reflect_len;
};

enum tw_wire_csum_mode {
	TW_CSUM_SW = 0,		/* compute IPv4 header and UDP checksums in software */
	TW_CSUM_OFFLOAD,	/* IPv4 hdr checksum zeroed, UDP checksum = pseudo-header sum (NIC fills) */
};

/*
 * Rewrite a parsed, matched Session-Sender packet into the Session-Reflector packet in place:
 * swap MAC addresses, IP addresses and UDP ports, set TTL/Hop Limit to 255, write the RFC 5357
 * §4.2.1 fields (Sender fields copied from the request, MBZ zeroed, T3 left zero for
 * tw_wire_stamp_tx()), keep the padding beyond 41 octets as received, and fix lengths and
 * checksums. The reply's UDP payload is max(request payload, 41) octets: when the request is
 * shorter, the frame grows and `cap` (bytes available at buf) must allow it.
 * Trailing Ethernet padding beyond the IP datagram is dropped from the reply.
 * @return new frame length, or 0 if cap is too small (the frame is then unchanged).
 */
size_t tw_wire_reflect_unauth(uint8_t *buf, size_t cap, const struct tw_wire_frame *f,
			      const struct tw_wire_refl_fields *v, enum tw_wire_csum_mode csum);

/*
 * Turn a parsed frame's headers around for its answer: swap MAC addresses, IP addresses and UDP
 * ports, set TTL/Hop Limit to 255 (RFC 5357 §4.2), the IP and UDP lengths for a UDP datagram of
 * udp_len octets, and the IPv4 header checksum (derived incrementally when the request's was
 * verified in software, zero in TW_CSUM_OFFLOAD mode). The UDP checksum is left zero for the
 * caller, who knows when the payload is final. Every kind of answer shares this.
 */
void tw_wire_turn_around(uint8_t *buf, const struct tw_wire_frame *f, uint16_t udp_len,
			 enum tw_wire_csum_mode csum, bool l3_sw_verified);

/*
 * Write T3 (host-order NTP/PTP) into a frame built by tw_wire_reflect_unauth(), updating the UDP
 * checksum incrementally (RFC 1624) in TW_CSUM_SW mode. `ts_off` is the frame offset of the
 * timestamp and `l4_off` that of the UDP header (unchanged by the rewrite).
 */
void tw_wire_stamp_tx(uint8_t *buf, uint16_t l4_off, uint16_t ts_off, uint64_t ts,
		      enum tw_wire_csum_mode csum);

#endif /* TW_WIRE_H */
