/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Addresses and the kernel UDP sockets the test sessions run on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"

int
sock_split_hostport(const char *s, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *h = s, *p = "", *colon;
	size_t hl;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL)
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(end - h);
		if (end[1] == ':')
			p = end + 2;
		else if (end[1] != '\0')
			return -EINVAL;
		if (*p == '\0' && end[1] == ':')
			return -EINVAL;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			/* Exactly one colon: host:port. */
			hl = (size_t)(colon - s);
			p = colon + 1;
			if (*p == '\0')
				return -EINVAL;
		} else {
			/* No colon, or several: a name, an IPv4 address or a bare IPv6 address. */
			hl = strlen(s);
		}
	}
	if (hl >= hostlen || strlen(p) >= portlen)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	strcpy(port, p);
	return 0;
}

int
sock_resolve(const char *host, const char *port, int family, bool passive,
	     struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_DGRAM,
		.ai_protocol = IPPROTO_UDP,
		.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0),
	};
	struct addrinfo *ai = NULL;
	int ret;

	ret = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints, &ai);
	if (ret != 0) {
		fprintf(stderr, "twamp-client: %s: %s\n", host[0] != '\0' ? host : "(any)",
			gai_strerror(ret));
		return -1;
	}
	if (ai->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(ai);
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

void
sock_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	socklen_t salen = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						      sizeof(struct sockaddr_in);

	if (getnameinfo(sa, salen, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(buf, len, "?");
		return;
	}
	if (sa->sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%s", host, serv);
	else
		snprintf(buf, len, "%s:%s", host, serv);
}

bool
sock_addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

		/* A scope of 0 on our side means "whatever the kernel chose". */
		if (x->sin6_scope_id != 0 && y->sin6_scope_id != 0 &&
		    x->sin6_scope_id != y->sin6_scope_id)
			return false;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

static int
setopt(int fd, int level, int name, int val, const char *what, bool required)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)) == 0)
		return 0;
	if (required) {
		fprintf(stderr, "twamp-client: setsockopt %s: %s\n", what, strerror(errno));
		return -1;
	}
	return 0;
}

uint16_t
sock_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

void
sock_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

int
sock_open_udp(int family, const struct sockaddr_storage *local, socklen_t local_len, int dscp)
{
	int fd;

	if (local_len != 0 && local->ss_family != family) {
		fprintf(stderr, "twamp-client: local and reflector addresses are of different "
			"families\n");
		return -1;
	}
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0) {
		fprintf(stderr, "twamp-client: socket: %s\n", strerror(errno));
		return -1;
	}

	/*
	 * Replies arrive while we sleep between sends; a burst of late ones must not overflow the
	 * socket and be mistaken for loss. SO_RCVBUFFORCE passes rmem_max when we may (root),
	 * else the kernel clamps SO_RCVBUF. Drops that still happen are counted by SO_RXQ_OVFL.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int){ CLIENT_RCVBUF }, sizeof(int)) != 0)
		setopt(fd, SOL_SOCKET, SO_RCVBUF, CLIENT_RCVBUF, "SO_RCVBUF", false);
	setopt(fd, SOL_SOCKET, SO_RXQ_OVFL, 1, "SO_RXQ_OVFL", false);
	/* T4 is the kernel's receive time, not the time we got around to reading the socket. */
	if (setopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS", true) != 0)
		goto fail;

	if (family == AF_INET) {
		/* RFC 5357 §4.1.2 / RFC 4656 §4.1.2: send with TTL 255 so the Sender TTL the
		 * reflector returns tells the hop count. */
		if (setopt(fd, IPPROTO_IP, IP_TTL, CLIENT_TEST_TTL, "IP_TTL", true) != 0 ||
		    setopt(fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL", true) != 0)
			goto fail;
		if (dscp >= 0 && setopt(fd, IPPROTO_IP, IP_TOS, dscp << 2, "IP_TOS", true) != 0)
			goto fail;
	} else {
		if (setopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, CLIENT_TEST_TTL,
			   "IPV6_UNICAST_HOPS", true) != 0 ||
		    setopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT", true) != 0)
			goto fail;
		if (dscp >= 0 &&
		    setopt(fd, IPPROTO_IPV6, IPV6_TCLASS, dscp << 2, "IPV6_TCLASS", true) != 0)
			goto fail;
	}

	if (local_len != 0 && bind(fd, (const struct sockaddr *)local, local_len) != 0) {
		char a[CLIENT_ADDRSTR];

		sock_addr_str((const struct sockaddr *)local, a, sizeof(a));
		fprintf(stderr, "twamp-client: bind %s: %s\n", a, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int
sock_open_test(const struct client_opts *o)
{
	return sock_open_udp(o->tp.peer.ss_family, &o->local, o->local_len, o->dscp);
}
