/*
 * ippm - strongSwan charon plugin exporting the RFC 7717 /
 * draft-ietf-ippm-ipsec O/TWAMP shared secret of an IKEv2 SA:
 *
 *     secret = PRF(SK_d, "IPPM")      (PRF = the SA's negotiated PRF)
 *
 * SK_d itself never leaves charon; only the derived secret is returned,
 * over a local UNIX stream socket (see ../README.rst for the protocol).
 *
 * Copyright (C) 2026 twamp-reflector contributors
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation; either version 2 of the License, or (at your
 * option) any later version.  See <http://www.fsf.org/copyleft/gpl.txt>.
 *
 * This program is distributed in the hope that it will be useful, but
 * WITHOUT ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
 * or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU General Public License
 * for more details.
 */

#include <sys/stat.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>

#include <daemon.h>
#include <plugins/plugin.h>
#include <threading/thread.h>
#include <sa/ikev2/keymat_v2.h>

#define IPPM_DEFAULT_SOCKET "unix:///run/strongswan/ippm.sock"

#define IPPM_VERSION 1
#define IPPM_REQ_BY_SPI 1
#define IPPM_REQ_BY_PEER 2

#define IPPM_OK 0
#define IPPM_NO_SA 1
#define IPPM_ERROR 2

typedef struct {
	plugin_t plugin;
	stream_service_t *service;
} private_ippm_plugin_t;

/**
 * Derive PRF(SK_d, "IPPM") of the IKE_SA with the given ID.
 * Returns IPPM_OK, IPPM_NO_SA or IPPM_ERROR; *out is allocated on success.
 */
static int derive(ike_sa_id_t *id, uint16_t *prf_id, chunk_t *out)
{
	ike_sa_t *ike_sa;
	keymat_v2_t *keymat;
	pseudo_random_function_t alg;
	prf_t *prf = NULL;
	chunk_t skd = chunk_empty;
	int status = IPPM_ERROR;

	ike_sa = charon->ike_sa_manager->checkout(charon->ike_sa_manager, id);
	if (!ike_sa)
	{
		return IPPM_NO_SA;
	}
	if (ike_sa->get_version(ike_sa) != IKEV2 ||
		(ike_sa->get_state(ike_sa) != IKE_ESTABLISHED &&
		 ike_sa->get_state(ike_sa) != IKE_REKEYING))
	{
		charon->ike_sa_manager->checkin(charon->ike_sa_manager, ike_sa);
		return IPPM_NO_SA;
	}
	keymat = (keymat_v2_t*)ike_sa->get_keymat(ike_sa);
	alg = keymat->get_skd(keymat, &skd);
	if (skd.len && alg != PRF_UNDEFINED && alg <= 0xffff)
	{
		prf = lib->crypto->create_prf(lib->crypto, alg);
	}
	if (prf && prf->set_key(prf, skd) &&
		prf->allocate_bytes(prf, chunk_from_str("IPPM"), out) &&
		out->len > 0 && out->len <= 255)
	{
		*prf_id = alg;
		status = IPPM_OK;
	}
	else
	{
		chunk_clear(out);
		DBG1(DBG_CFG, "ippm: deriving secret with %N failed",
			 pseudo_random_function_names, alg);
	}
	DESTROY_IF(prf);
	charon->ike_sa_manager->checkin(charon->ike_sa_manager, ike_sa);
	return status;
}

/**
 * Find the newest ESTABLISHED IKEv2 SA whose peer address equals host (port
 * ignored): after a rekey or a make-before-break reauthentication the old and
 * the new SA may briefly both be established.  Newest = largest
 * STAT_ESTABLISHED (monotonic seconds), then largest unique ID (allocated in
 * creation order) for SAs established within the same second.
 */
static ike_sa_id_t *find_by_peer(host_t *host)
{
	enumerator_t *enumerator;
	ike_sa_t *ike_sa;
	ike_sa_id_t *id = NULL;
	uint32_t t, best_t = 0, u, best_u = 0;

	enumerator = charon->ike_sa_manager->create_enumerator(
											charon->ike_sa_manager, TRUE);
	while (enumerator->enumerate(enumerator, &ike_sa))
	{
		if (ike_sa->get_version(ike_sa) != IKEV2 ||
			ike_sa->get_state(ike_sa) != IKE_ESTABLISHED ||
			!host->ip_equals(host, ike_sa->get_other_host(ike_sa)))
		{
			continue;
		}
		t = ike_sa->get_statistic(ike_sa, STAT_ESTABLISHED);
		u = ike_sa->get_unique_id(ike_sa);
		if (!id || t > best_t || (t == best_t && u > best_u))
		{
			DESTROY_IF(id);
			id = ike_sa->get_id(ike_sa)->clone(ike_sa->get_id(ike_sa));
			best_t = t;
			best_u = u;
		}
	}
	enumerator->destroy(enumerator);
	return id;
}

/**
 * Find the ESTABLISHED or REKEYING IKEv2 SA whose SPIi starts with the 4
 * octets spi_i and whose SPIr starts with the 4 octets spi_r (the draft's
 * 4 + 4 Key ID layout), both in wire order.  *ambiguous is set if more than
 * one SA matches (then NULL is returned).
 */
static ike_sa_id_t *find_by_spi4(u_char *spi_i, u_char *spi_r, bool *ambiguous)
{
	enumerator_t *enumerator;
	ike_sa_t *ike_sa;
	ike_sa_id_t *id = NULL, *sa_id;
	uint64_t si, sr;
	int matches = 0;

	enumerator = charon->ike_sa_manager->create_enumerator(
											charon->ike_sa_manager, TRUE);
	while (enumerator->enumerate(enumerator, &ike_sa))
	{
		if (ike_sa->get_version(ike_sa) != IKEV2 ||
			(ike_sa->get_state(ike_sa) != IKE_ESTABLISHED &&
			 ike_sa->get_state(ike_sa) != IKE_REKEYING))
		{
			continue;
		}
		sa_id = ike_sa->get_id(ike_sa);
		/* charon stores SPIs in network order: the first 4 octets in
		 * memory are the first 4 on the wire */
		si = sa_id->get_initiator_spi(sa_id);
		sr = sa_id->get_responder_spi(sa_id);
		if (memeq(&si, spi_i, 4) && memeq(&sr, spi_r, 4) && ++matches == 1)
		{
			id = sa_id->clone(sa_id);
		}
	}
	enumerator->destroy(enumerator);
	*ambiguous = matches > 1;
	if (*ambiguous)
	{
		DESTROY_IF(id);
		id = NULL;
	}
	return id;
}

/**
 * Read len octets of a request.  A client may keep its connection open between
 * requests (the reflector does): charon's shutdown must be able to cancel the
 * thread waiting here, or the stream service, and so charon, waits until the
 * client closes.  Only reads are cancellable: nothing is held while reading,
 * and derive() runs with an IKE_SA checked out, which must not be cancelled.
 */
static bool read_request(stream_t *stream, void *buf, size_t len)
{
	bool old, ok;

	old = thread_cancelability(TRUE);
	ok = stream->read_all(stream, buf, len);
	thread_cancelability(old);
	return ok;
}

/**
 * Handle one request; returns FALSE if the connection should be closed
 */
static bool handle(stream_t *stream)
{
	u_char hdr[3], buf[32], resp[5 + 255 + 16];
	uint64_t spi_i = 0, spi_r = 0;
	uint16_t prf_id = 0;
	chunk_t key = chunk_empty;
	ike_sa_id_t *id;
	host_t *host;
	size_t len = 5;
	int status = IPPM_ERROR, type;

	if (!read_request(stream, hdr, sizeof(hdr)))
	{
		return FALSE;
	}
	type = hdr[1];
	if (hdr[0] != IPPM_VERSION)
	{
		type = 0;
	}
	else if (type == IPPM_REQ_BY_SPI && hdr[2] == 8)
	{
		if (!read_request(stream, buf, 16))
		{
			return FALSE;
		}
		/* charon stores SPIs in network order, as they are on the wire */
		memcpy(&spi_i, buf, 8);
		memcpy(&spi_r, buf + 8, 8);
		/* the initiator SPI may be ours or the peer's: try both roles */
		id = ike_sa_id_create(IKEV2_MAJOR_VERSION, spi_i, spi_r, TRUE);
		status = derive(id, &prf_id, &key);
		id->destroy(id);
		if (status == IPPM_NO_SA)
		{
			id = ike_sa_id_create(IKEV2_MAJOR_VERSION, spi_i, spi_r, FALSE);
			status = derive(id, &prf_id, &key);
			id->destroy(id);
		}
	}
	else if (type == IPPM_REQ_BY_SPI && hdr[2] == 4)
	{
		bool ambiguous;

		if (!read_request(stream, buf, 8))
		{
			return FALSE;
		}
		id = find_by_spi4(buf, buf + 4, &ambiguous);
		status = ambiguous ? IPPM_ERROR : IPPM_NO_SA;
		if (ambiguous)
		{
			DBG1(DBG_CFG, "ippm: SPIs %.8x.../%.8x... match more than one "
				 "IKE_SA", untoh32(buf), untoh32(buf + 4));
		}
		if (id)
		{
			status = derive(id, &prf_id, &key);
			id->destroy(id);
		}
	}
	else if (type == IPPM_REQ_BY_PEER && (hdr[2] == 4 || hdr[2] == 6))
	{
		size_t alen = hdr[2] == 4 ? 4 : 16;

		if (!read_request(stream, buf, alen))
		{
			return FALSE;
		}
		host = host_create_from_chunk(hdr[2] == 4 ? AF_INET : AF_INET6,
									  chunk_create(buf, alen), 0);
		id = host ? find_by_peer(host) : NULL;
		DESTROY_IF(host);
		status = host ? IPPM_NO_SA : IPPM_ERROR;
		if (id)
		{
			status = derive(id, &prf_id, &key);
			spi_i = id->get_initiator_spi(id);
			spi_r = id->get_responder_spi(id);
			id->destroy(id);
		}
	}
	else
	{
		type = 0;
	}

	memset(resp, 0, sizeof(resp));
	resp[0] = IPPM_VERSION;
	resp[1] = status;
	if (status == IPPM_OK)
	{
		resp[2] = prf_id >> 8;
		resp[3] = prf_id & 0xff;
		resp[4] = key.len;
		memcpy(resp + 5, key.ptr, key.len);
		len += key.len;
		if (type == IPPM_REQ_BY_PEER)
		{
			memcpy(resp + len, &spi_i, 8);
			memcpy(resp + len + 8, &spi_r, 8);
			len += 16;
		}
	}
	chunk_clear(&key);
	if (!stream->write_all(stream, resp, len))
	{
		memwipe(resp, sizeof(resp));
		return FALSE;
	}
	memwipe(resp, sizeof(resp));
	/* close the connection after a malformed request (framing is lost) */
	return type != 0;
}

static bool on_accept(private_ippm_plugin_t *this, stream_t *stream)
{
	while (handle(stream))
	{
		/* serve requests until the client closes the connection */
	}
	return FALSE;
}

METHOD(plugin_t, get_name, char*,
	private_ippm_plugin_t *this)
{
	return "ippm";
}

static bool plugin_cb(private_ippm_plugin_t *this,
					  plugin_feature_t *feature, bool reg, void *cb_data)
{
	char *uri, *path, *dir;

	if (!reg)
	{
		DESTROY_IF(this->service);
		this->service = NULL;
		return TRUE;
	}
	uri = lib->settings->get_str(lib->settings, "%s.plugins.ippm.socket",
								 IPPM_DEFAULT_SOCKET, lib->ns);
	if (strpfx(uri, "unix://"))
	{	/* create the parent directory if missing, restrict the socket */
		path = uri + strlen("unix://");
		dir = path_dirname(path);
		if (dir && mkdir(dir, 0750) != 0 && errno != EEXIST)
		{
			DBG1(DBG_CFG, "ippm: creating %s failed: %s", dir,
				 strerror(errno));
		}
		free(dir);
	}
	this->service = lib->streams->create_service(lib->streams, uri, 10);
	if (!this->service)
	{
		DBG1(DBG_CFG, "ippm: creating socket '%s' failed", uri);
		return FALSE;
	}
	if (strpfx(uri, "unix://"))
	{
		chmod(uri + strlen("unix://"), 0600);
	}
	this->service->on_accept(this->service, (stream_service_cb_t)on_accept,
							 this, JOB_PRIO_CRITICAL, 2);
	DBG1(DBG_CFG, "ippm: serving PRF(SK_d, \"IPPM\") on '%s'", uri);
	return TRUE;
}

METHOD(plugin_t, get_features, int,
	private_ippm_plugin_t *this, plugin_feature_t *features[])
{
	static plugin_feature_t f[] = {
		PLUGIN_CALLBACK((plugin_feature_callback_t)plugin_cb, NULL),
			PLUGIN_PROVIDE(CUSTOM, "ippm"),
	};
	*features = f;
	return countof(f);
}

METHOD(plugin_t, destroy, void,
	private_ippm_plugin_t *this)
{
	DESTROY_IF(this->service);
	free(this);
}

plugin_t *ippm_plugin_create()
{
	private_ippm_plugin_t *this;

	INIT(this,
		.plugin = {
			.get_name = _get_name,
			.get_features = _get_features,
			.destroy = _destroy,
		},
	);
	return &this->plugin;
}
