/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP-Control encode/decode. Each function copies between a packed wire struct and the host
 * view, so the offsets live in one place (tw_ctrl_msg.h) and the static_asserts there pin them.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "tw_ctrl_msg.h"

static bool
nonzero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc != 0;
}

int
tw_ctrl_greeting_encode(const struct tw_ctrl_greeting *m, uint8_t *buf, size_t len)
{
	struct tw_ctrl_wire_greeting w;

	if (len < sizeof(w))
		return -ENOBUFS;
	memset(&w, 0, sizeof(w));
	w.modes = htobe32(m->modes);
	memcpy(w.challenge, m->challenge, sizeof(w.challenge));
	memcpy(w.salt, m->salt, sizeof(w.salt));
	w.count = htobe32(m->count);
	memcpy(buf, &w, sizeof(w));
	return sizeof(w);
}

int
tw_ctrl_greeting_decode(const uint8_t *buf, size_t len, struct tw_ctrl_greeting *m)
{
	struct tw_ctrl_wire_greeting w;

	if (len < sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, buf, sizeof(w));
	m->modes = be32toh(w.modes);
	memcpy(m->challenge, w.challenge, sizeof(m->challenge));
	memcpy(m->salt, w.salt, sizeof(m->salt));
	m->count = be32toh(w.count);
	/* RFC 4656 §3.1 calls the first 12 octets "Unused", not MBZ: they are not checked. */
	m->mbz = nonzero(w.mbz, sizeof(w.mbz));
	return 0;
}

int
tw_ctrl_setup_encode(const struct tw_ctrl_setup *m, uint8_t *buf, size_t len)
{
	struct tw_ctrl_wire_setup w;

	if (len < sizeof(w))
		return -ENOBUFS;
	w.mode = htobe32(m->mode);
	memcpy(w.keyid, m->keyid, sizeof(w.keyid));
	memcpy(w.token, m->token, sizeof(w.token));
	memcpy(w.client_iv, m->client_iv, sizeof(w.client_iv));
	memcpy(buf, &w, sizeof(w));
	return sizeof(w);
}

int
tw_ctrl_setup_decode(const uint8_t *buf, size_t len, struct tw_ctrl_setup *m)
{
	struct tw_ctrl_wire_setup w;

	if (len < sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, buf, sizeof(w));
	m->mode = be32toh(w.mode);
	memcpy(m->keyid, w.keyid, sizeof(m->keyid));
	memcpy(m->token, w.token, sizeof(m->token));
	memcpy(m->client_iv, w.client_iv, sizeof(m->client_iv));
	return 0;
}

int
tw_ctrl_server_start_encode(const struct tw_ctrl_server_start *m, uint8_t *buf, size_t len)
{
	struct tw_ctrl_wire_server_start w;

	if (len < sizeof(w))
		return -ENOBUFS;
	memset(&w, 0, sizeof(w));
	w.accept = m->accept;
	memcpy(w.server_iv, m->server_iv, sizeof(w.server_iv));
	w.start_time = htobe64(m->start_time);
	memcpy(buf, &w, sizeof(w));
	return sizeof(w);
}

int
tw_ctrl_server_start_decode(const uint8_t *buf, size_t len, struct tw_ctrl_server_start *m)
{
	struct tw_ctrl_wire_server_start w;

	if (len < sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, buf, sizeof(w));
	m->accept = w.accept;
	memcpy(m->server_iv, w.server_iv, sizeof(m->server_iv));
	m->start_time = be64toh(w.start_time);
	m->mbz = nonzero(w.mbz0, sizeof(w.mbz0)) || nonzero(w.mbz1, sizeof(w.mbz1));
	return 0;
}

int
tw_ctrl_request_encode(const struct tw_ctrl_request *m, uint8_t *buf, size_t len)
{
	struct tw_ctrl_wire_request w;

	if (len < sizeof(w))
		return -ENOBUFS;
	if (m->ipvn > 15)
		return -EINVAL;
	memset(&w, 0, sizeof(w));
	w.command = TW_CTRL_CMD_REQUEST;
	w.ipvn = m->ipvn;
	w.conf_sender = m->conf_sender;
	w.conf_receiver = m->conf_receiver;
	w.nb_slots = htobe32(m->nb_slots);
	w.nb_packets = htobe32(m->nb_packets);
	w.sender_port = htobe16(m->sender_port);
	w.receiver_port = htobe16(m->receiver_port);
	/* An IPv4 address is followed by 12 MBZ octets (RFC 4656 §3.5). */
	memcpy(w.sender_addr, m->sender_addr, m->ipvn == 4 ? 4 : 16);
	memcpy(w.receiver_addr, m->receiver_addr, m->ipvn == 4 ? 4 : 16);
	memcpy(w.sid, m->sid, sizeof(w.sid));
	w.padding_len = htobe32(m->padding_len);
	w.start_time = htobe64(m->start_time);
	w.timeout = htobe64(m->timeout);
	w.type_p = htobe32(m->type_p);
	w.octets_reflected = htobe16(m->octets_reflected);
	w.padding_reflect = htobe16(m->padding_reflect);
	memcpy(w.hmac, m->hmac, sizeof(w.hmac));
	memcpy(buf, &w, sizeof(w));
	return sizeof(w);
}

int
tw_ctrl_request_decode(const uint8_t *buf, size_t len, struct tw_ctrl_request *m)
{
	struct tw_ctrl_wire_request w;

	if (len < sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, buf, sizeof(w));
	if (w.command != TW_CTRL_CMD_REQUEST)
		return -EBADMSG;
	memset(m, 0, sizeof(*m));
	m->ipvn = w.ipvn & 0x0f;
	m->conf_sender = w.conf_sender;
	m->conf_receiver = w.conf_receiver;
	m->nb_slots = be32toh(w.nb_slots);
	m->nb_packets = be32toh(w.nb_packets);
	m->sender_port = be16toh(w.sender_port);
	m->receiver_port = be16toh(w.receiver_port);
	memcpy(m->sender_addr, w.sender_addr, sizeof(m->sender_addr));
	memcpy(m->receiver_addr, w.receiver_addr, sizeof(m->receiver_addr));
	memcpy(m->sid, w.sid, sizeof(m->sid));
	m->padding_len = be32toh(w.padding_len);
	m->start_time = be64toh(w.start_time);
	m->timeout = be64toh(w.timeout);
	m->type_p = be32toh(w.type_p);
	m->octets_reflected = be16toh(w.octets_reflected);
	m->padding_reflect = be16toh(w.padding_reflect);
	memcpy(m->hmac, w.hmac, sizeof(m->hmac));
	m->mbz = (w.ipvn & 0xf0) != 0 || nonzero(w.mbz, sizeof(w.mbz));
	if (m->ipvn == 4) {
		m->mbz = m->mbz || nonzero(&w.sender_addr[4], 12) ||
			 nonzero(&w.receiver_addr[4], 12);
		memset(&m->sender_addr[4], 0, 12);
		memset(&m->receiver_addr[4], 0, 12);
	}
	return 0;
}

int
tw_ctrl_accept_encode(const struct tw_ctrl_accept_msg *m, uint8_t *buf, size_t len)
{
	struct tw_ctrl_wire_accept w;

	if (len < sizeof(w))
		return -ENOBUFS;
	memset(&w, 0, sizeof(w));
	w.accept = m->accept;
	w.port = htobe16(m->port);
	memcpy(w.sid, m->sid, sizeof(w.sid));
	w.reflected_octets = htobe16(m->reflected_octets);
	w.server_octets = htobe16(m->server_octets);
	memcpy(w.hmac, m->hmac, sizeof(w.hmac));
	memcpy(buf, &w, sizeof(w));
	return sizeof(w);
}

int
tw_ctrl_accept_decode(const uint8_t *buf, size_t len, struct tw_ctrl_accept_msg *m)
{
	struct tw_ctrl_wire_accept w;

	if (len < sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, buf, sizeof(w));
	m->accept = w.accept;
	m->port = be16toh(w.port);
	memcpy(m->sid, w.sid, sizeof(m->sid));
	m->reflected_octets = be16toh(w.reflected_octets);
	m->server_octets = be16toh(w.server_octets);
	memcpy(m->hmac, w.hmac, sizeof(m->hmac));
	m->mbz = w.mbz0 != 0 || nonzero(w.mbz1, sizeof(w.mbz1));
	return 0;
}

int
tw_ctrl_start_encode(const struct tw_ctrl_cmd *m, uint8_t *buf, size_t len)
{
	struct tw_ctrl_wire_start w;

	if (len < sizeof(w))
		return -ENOBUFS;
	if (m->command != TW_CTRL_CMD_START)
		return -EINVAL;
	memset(&w, 0, sizeof(w));
	w.command = TW_CTRL_CMD_START;
	memcpy(w.hmac, m->hmac, sizeof(w.hmac));
	memcpy(buf, &w, sizeof(w));
	return sizeof(w);
}

int
tw_ctrl_start_decode(const uint8_t *buf, size_t len, struct tw_ctrl_cmd *m)
{
	struct tw_ctrl_wire_start w;

	if (len < sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, buf, sizeof(w));
	if (w.command != TW_CTRL_CMD_START)
		return -EBADMSG;
	memset(m, 0, sizeof(*m));
	m->command = w.command;
	memcpy(m->hmac, w.hmac, sizeof(m->hmac));
	m->mbz = nonzero(w.mbz, sizeof(w.mbz));
	return 0;
}

int
tw_ctrl_start_ack_encode(const struct tw_ctrl_cmd *m, uint8_t *buf, size_t len)
{
	struct tw_ctrl_wire_start_ack w;

	if (len < sizeof(w))
		return -ENOBUFS;
	memset(&w, 0, sizeof(w));
	w.accept = m->accept;
	memcpy(w.hmac, m->hmac, sizeof(w.hmac));
	memcpy(buf, &w, sizeof(w));
	return sizeof(w);
}

int
tw_ctrl_start_ack_decode(const uint8_t *buf, size_t len, struct tw_ctrl_cmd *m)
{
	struct tw_ctrl_wire_start_ack w;

	if (len < sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, buf, sizeof(w));
	memset(m, 0, sizeof(*m));
	m->accept = w.accept;
	memcpy(m->hmac, w.hmac, sizeof(m->hmac));
	m->mbz = nonzero(w.mbz, sizeof(w.mbz));
	return 0;
}

int
tw_ctrl_stop_encode(const struct tw_ctrl_cmd *m, uint8_t *buf, size_t len)
{
	struct tw_ctrl_wire_stop w;

	if (len < sizeof(w))
		return -ENOBUFS;
	if (m->command != TW_CTRL_CMD_STOP)
		return -EINVAL;
	memset(&w, 0, sizeof(w));
	w.command = TW_CTRL_CMD_STOP;
	w.accept = m->accept;
	w.nb_sessions = htobe32(m->nb_sessions);
	memcpy(w.hmac, m->hmac, sizeof(w.hmac));
	memcpy(buf, &w, sizeof(w));
	return sizeof(w);
}

int
tw_ctrl_stop_decode(const uint8_t *buf, size_t len, struct tw_ctrl_cmd *m)
{
	struct tw_ctrl_wire_stop w;

	if (len < sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, buf, sizeof(w));
	if (w.command != TW_CTRL_CMD_STOP)
		return -EBADMSG;
	m->command = w.command;
	m->accept = w.accept;
	m->nb_sessions = be32toh(w.nb_sessions);
	memcpy(m->hmac, w.hmac, sizeof(m->hmac));
	m->mbz = nonzero(w.mbz0, sizeof(w.mbz0)) || nonzero(w.mbz1, sizeof(w.mbz1));
	return 0;
}

size_t
tw_ctrl_nmsg_len(uint32_t n)
{
	if (n > TW_CTRL_MAX_SESSIONS)
		return 0;
	return TW_CTRL_NMSG_HDR_LEN + (size_t)n * TW_CTRL_SID_LEN + TW_CTRL_HMAC_LEN;
}

static bool
is_nmsg(uint8_t command)
{
	return command == TW_CTRL_CMD_START_N || command == TW_CTRL_CMD_START_N_ACK ||
	       command == TW_CTRL_CMD_STOP_N || command == TW_CTRL_CMD_STOP_N_ACK;
}

int
tw_ctrl_nmsg_encode(const struct tw_ctrl_nmsg *m, uint8_t *buf, size_t len)
{
	struct tw_ctrl_wire_nmsg_hdr h;
	size_t total = tw_ctrl_nmsg_len(m->nb_sessions);

	if (!is_nmsg(m->command) || total == 0 || (m->nb_sessions > 0 && m->sids == NULL))
		return -EINVAL;
	if (len < total)
		return -ENOBUFS;
	memset(&h, 0, sizeof(h));
	h.command = m->command;
	h.accept = m->command == TW_CTRL_CMD_START_N ? 0 : m->accept;
	h.nb_sessions = htobe32(m->nb_sessions);
	memcpy(buf, &h, sizeof(h));
	if (m->nb_sessions > 0)
		memcpy(buf + sizeof(h), m->sids, (size_t)m->nb_sessions * TW_CTRL_SID_LEN);
	memcpy(buf + total - TW_CTRL_HMAC_LEN, m->hmac, TW_CTRL_HMAC_LEN);
	return (int)total;
}

int
tw_ctrl_nmsg_decode(const uint8_t *buf, size_t len, struct tw_ctrl_nmsg *m)
{
	struct tw_ctrl_wire_nmsg_hdr h;
	uint32_t n;
	size_t total;

	if (len < TW_CTRL_NMSG_HDR_LEN + TW_CTRL_HMAC_LEN)
		return -EMSGSIZE;
	memcpy(&h, buf, sizeof(h));
	if (!is_nmsg(h.command))
		return -EBADMSG;
	n = be32toh(h.nb_sessions);
	total = tw_ctrl_nmsg_len(n);
	if (total == 0 || len < total)
		return -EMSGSIZE;
	m->command = h.command;
	m->accept = h.accept;
	m->nb_sessions = n;
	m->sids = (const uint8_t(*)[TW_CTRL_SID_LEN])(buf + sizeof(h));
	memcpy(m->hmac, buf + total - TW_CTRL_HMAC_LEN, TW_CTRL_HMAC_LEN);
	m->mbz = nonzero(h.mbz0, sizeof(h.mbz0)) || nonzero(h.mbz1, sizeof(h.mbz1)) ||
		 (h.command == TW_CTRL_CMD_START_N && h.accept != 0);
	if (h.command == TW_CTRL_CMD_START_N)
		m->accept = 0;
	return 0;
}

int
tw_ctrl_typep_dscp(uint32_t type_p)
{
	/* RFC 4656 §3.5: "00" then the DSCP; anything else (PHB ID form, stray bits) is not the
	 * DSCP form TWAMP uses (RFC 5357 §3.5). */
	if ((type_p & ~0x3f000000u) != 0)
		return -EINVAL;
	return (int)(type_p >> 24);
}
