/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: the data port (any ethdev: a PCI NIC or a vdev), one RX/TX queue pair per worker, and
 * the exception path, a net_tap port whose kernel interface carries the reflector's addresses
 * and the data port's MAC, so the kernel answers ARP/ND, ICMP and (later) TWAMP-Control and IKE
 * as if it owned the NIC.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "log.h"
#include "reflector.h"

#define TAP_VDEV_NAME "net_tap_exc0"

RTE_LOG_REGISTER(tw_logtype_port, twamp.port, INFO);

static int
find_port(const char *device, uint16_t *port)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	size_t n = strcspn(device, ",");

	if (n >= sizeof(name))
		return -ENAMETOOLONG;
	memcpy(name, device, n);
	name[n] = '\0';
	if (rte_eth_dev_get_port_by_name(name, port) == 0)
		return 0;
	/* A PCI device may be named in another form (domain omitted): take the only port. */
	if (rte_eth_dev_count_avail() == 1) {
		RTE_ETH_FOREACH_DEV(*port)
			return 0;
	}
	return -ENODEV;
}

static int
setup_port(uint16_t port, uint16_t nb_q, uint16_t nb_rxd, uint16_t nb_txd, uint16_t mtu,
	   struct rte_mempool *pool, bool want_tx_csum, bool *tx_csum, bool *rx_csum,
	   bool want_rx_ts, bool *rx_ts)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	const uint64_t txc = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	const uint64_t rxc = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	int socket = rte_eth_dev_socket_id(port);
	int ret;

	if (socket < 0)
		socket = (int)rte_socket_id();
	ret = rte_eth_dev_info_get(port, &info);
	if (ret < 0)
		return ret;
	if (nb_q > info.max_rx_queues || nb_q > info.max_tx_queues) {
		PORT_LOG(ERR, "port %u (%s) has %u RX / %u TX queues, %u are needed (with "
			 "port.distribution: rss, one pair per worker; software needs one)",
			 port, info.driver_name, info.max_rx_queues, info.max_tx_queues, nb_q);
		return -EINVAL;
	}
	/*
	 * net_af_packet spreads received frames over all of its qpairs sockets with PACKET_FANOUT,
	 * whether we poll them or not: a queue nobody polls silently loses its share.
	 */
	if (strcmp(info.driver_name, "net_af_packet") == 0 && info.max_rx_queues != nb_q) {
		PORT_LOG(ERR, "port %u: net_af_packet has qpairs=%u but %u queue pair(s) are used: "
			 "set qpairs=%u in port.device (or port.distribution: software, qpairs=1)",
			 port, info.max_rx_queues, nb_q, nb_q);
		return -EINVAL;
	}
	if (nb_q > 1) {
		/* RSS on the 5-tuple keeps each sender's flow, and its sequence counter, on one worker. */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) &
						   info.flow_type_rss_offloads;
	}
	*tx_csum = want_tx_csum && (info.tx_offload_capa & txc) == txc;
	if (*tx_csum)
		conf.txmode.offloads |= txc;
	*rx_csum = (info.rx_offload_capa & rxc) == rxc;
	if (*rx_csum)
		conf.rxmode.offloads |= rxc;
	/* Per-packet receive timestamps, asked for only where advertised (net_pcap, which stamps
	 * anyway, refuses a configuration that asks). */
	*rx_ts = want_rx_ts && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP);
	if (*rx_ts)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;

	ret = rte_eth_dev_configure(port, nb_q, nb_q, &conf);
	if (ret < 0)
		return ret;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret < 0)
		return ret;
	for (uint16_t q = 0; q < nb_q; q++) {
		struct rte_eth_rxconf rxq = info.default_rxconf;
		struct rte_eth_txconf txq = info.default_txconf;

		rxq.offloads = conf.rxmode.offloads;
		txq.offloads = conf.txmode.offloads;
		ret = rte_eth_rx_queue_setup(port, q, nb_rxd, (unsigned int)socket, &rxq, pool);
		if (ret < 0)
			return ret;
		ret = rte_eth_tx_queue_setup(port, q, nb_txd, (unsigned int)socket, &txq);
		if (ret < 0)
			return ret;
	}
	ret = rte_eth_dev_set_mtu(port, mtu);
	if (ret < 0 && ret != -ENOTSUP)
		PORT_LOG(WARNING, "port %u: cannot set MTU %u: %s", port, mtu, rte_strerror(-ret));
	return rte_eth_dev_start(port);
}

/* Send one rtnetlink request and wait for its ack. @return 0 or -errno. */
static int
nl_request(struct nlmsghdr *req)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	int fd, ret = -EIO;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n >= (ssize_t)(NLMSG_HDRLEN + sizeof(struct nlmsgerr))) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (h->nlmsg_type == NLMSG_ERROR)
			ret = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
out:
	close(fd);
	return ret;
}

/* Append an attribute; buf is the whole request buffer, h its header at offset 0. */
static void
nl_attr(char *buf, unsigned short type, const void *data, unsigned short len)
{
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct rtattr *a = (struct rtattr *)(buf + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Put one address on the TAP interface (ip addr add ADDR/LEN dev IF nodad). */
static int
tap_add_addr(unsigned int ifindex, const struct tw_conf_addr *a)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg ifa;
		char attrs[128];
	} req;
	/* No Duplicate Address Detection: the address is ours by configuration, and DAD would keep
	 * it tentative (unusable) for a second after every start. */
	uint32_t flags = IFA_F_NODAD;
	unsigned short alen = a->family == 4 ? 4 : 16;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.h.nlmsg_type = RTM_NEWADDR;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	req.ifa.ifa_family = a->family == 4 ? AF_INET : AF_INET6;
	req.ifa.ifa_prefixlen = a->prefixlen;
	req.ifa.ifa_index = ifindex;
	nl_attr((char *)&req, IFA_LOCAL, a->addr, alen);
	nl_attr((char *)&req, IFA_ADDRESS, a->addr, alen);
	nl_attr((char *)&req, IFA_FLAGS, &flags, sizeof(flags));
	return nl_request(&req.h);
}

int
twr_tap_configure_addrs(const struct twr_app *app)
{
	const struct tw_conf *c = app->conf;
	unsigned int ifindex = if_nametoindex(c->tap_name);
	char txt[64];

	if (ifindex == 0) {
		EXC_LOG(ERR, "exception interface %s not found", c->tap_name);
		return -ENODEV;
	}
	for (unsigned int i = 0; i < c->nb_addrs; i++) {
		const struct tw_conf_addr *a = &c->addrs[i];
		int ret = tap_add_addr(ifindex, a);

		inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, txt, sizeof(txt));
		if (ret < 0) {
			EXC_LOG(ERR, "cannot add %s/%u to %s: %s", txt, a->prefixlen, c->tap_name,
				strerror(-ret));
			return ret;
		}
		EXC_LOG(INFO, "%s/%u on %s", txt, a->prefixlen, c->tap_name);
	}
	return 0;
}

static unsigned int
pool_size(const struct twr_app *app, uint16_t nb_rxd, uint16_t nb_txd)
{
	/* Every place an mbuf can wait: NIC rings, our rings, bursts in flight, per-lcore caches. */
	unsigned int per_worker = nb_rxd + nb_txd + 2 * TWR_RING_SIZE + 4 * TWR_BURST + 256;

	if (app->dist == TWR_DIST_SOFTWARE)
		per_worker += 2 * TWR_DIST_RING_SIZE;	/* its packet and answer rings */
	return app->nb_workers * per_worker + 2 * 1024 + 256 * 2;
}

/*
 * port.distribution: rss needs a queue pair per worker; software uses one, whatever the port
 * has. auto takes rss when the port can (with one worker the two are the same thing).
 */
static int
pick_distribution(struct twr_app *app)
{
	const struct tw_conf *c = app->conf;
	struct rte_eth_dev_info info;
	uint16_t maxq;
	int ret;

	ret = rte_eth_dev_info_get(app->port, &info);
	if (ret < 0)
		return ret;
	maxq = RTE_MIN(info.max_rx_queues, info.max_tx_queues);
	if (app->nb_workers == 1 || c->distribution == TW_CONF_DIST_RSS ||
	    (c->distribution == TW_CONF_DIST_AUTO && maxq >= app->nb_workers)) {
		app->dist = TWR_DIST_RSS;
		app->nb_queues = app->nb_workers;
	} else {
		app->dist = TWR_DIST_SOFTWARE;
		app->nb_queues = 1;
		if (app->nb_workers > TWR_DIST_MAX_WORKERS) {
			PORT_LOG(ERR, "software distribution feeds at most %u workers, not %u",
				 TWR_DIST_MAX_WORKERS, app->nb_workers);
			return -EINVAL;
		}
	}
	PORT_LOG(INFO, "data port %u (%s, %u RX / %u TX queues): %s distribution over %u "
		 "worker(s), %u queue pair(s)", app->port, info.driver_name, info.max_rx_queues,
		 info.max_tx_queues, app->dist == TWR_DIST_RSS ? "RSS" : "software",
		 app->nb_workers, app->nb_queues);
	return 0;
}

/*
 * The data port's link. net_af_packet and net_af_xdp report a link that never changes: for them
 * the kernel interface they sit on ("iface=" in port.device) tells, through its IFF_RUNNING.
 * @return 0 (down), 1 (up), -1 (unknown).
 */
static int
data_link(const struct twr_app *app)
{
	const char *dev = app->conf->port_device, *p = strstr(dev, "iface=");
	struct rte_eth_link link;
	struct ifreq ifr;
	int fd, up;

	if ((strncmp(dev, "net_af_packet", 13) != 0 && strncmp(dev, "net_af_xdp", 10) != 0) ||
	    p == NULL)
		return rte_eth_link_get_nowait(app->port, &link) == 0 ? link.link_status : -1;
	memset(&ifr, 0, sizeof(ifr));
	p += strlen("iface=");
	memcpy(ifr.ifr_name, p, RTE_MIN(strcspn(p, ","), sizeof(ifr.ifr_name) - 1));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	up = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 ? (ifr.ifr_flags & IFF_RUNNING) != 0 : -1;
	close(fd);
	return up;
}

int
twr_ports_init(struct twr_app *app)
{
	const struct tw_conf *c = app->conf;
	struct rte_ether_addr mac;
	unsigned int nb_mbufs = c->nb_mbufs, need;
	bool rx_ts_offload;
	uint16_t dataroom;
	int socket, ret;

	app->tap_port = UINT16_MAX;
	ret = find_port(c->port_device, &app->port);
	if (ret < 0) {
		PORT_LOG(ERR, "no ethdev for port.device \"%s\" (was it probed? see EAL messages)",
			 c->port_device);
		return ret;
	}
	socket = rte_eth_dev_socket_id(app->port);
	if (socket < 0)
		socket = (int)rte_socket_id();
	ret = pick_distribution(app);
	if (ret < 0)
		return ret;

	need = pool_size(app, c->rx_desc, c->tx_desc);
	if (nb_mbufs < need) {
		PORT_LOG(NOTICE, "port.mbufs %u is too few for %u workers; using %u", nb_mbufs,
			 app->nb_workers, need);
		nb_mbufs = need;
	}
	/* One mbuf per frame: an MTU-sized frame with two VLAN tags must fit without scatter. */
	dataroom = RTE_MBUF_DEFAULT_DATAROOM;
	if ((unsigned int)c->mtu + RTE_ETHER_HDR_LEN + 2 * 4 + RTE_ETHER_CRC_LEN > dataroom)
		dataroom = (uint16_t)(c->mtu + RTE_ETHER_HDR_LEN + 2 * 4 + RTE_ETHER_CRC_LEN);
	app->pool = rte_pktmbuf_pool_create("twr_pool", nb_mbufs, 256, 0,
					    (uint16_t)(dataroom + RTE_PKTMBUF_HEADROOM), socket);
	if (app->pool == NULL) {
		PORT_LOG(ERR, "cannot create mbuf pool of %u: %s", nb_mbufs, rte_strerror(rte_errno));
		return -rte_errno;
	}

	ret = setup_port(app->port, app->nb_queues, c->rx_desc, c->tx_desc, c->mtu, app->pool,
			 c->csum_offload != TW_CONF_OFF, &app->tx_csum_offload, &app->rx_csum_offload,
			 c->rx_ts != TW_CONF_RX_TS_SOFTWARE, &rx_ts_offload);
	app->port_open = true;
	if (ret < 0) {
		PORT_LOG(ERR, "cannot start port %u: %s", app->port, rte_strerror(-ret));
		return ret;
	}
	ret = twr_rx_ts_init(app, rx_ts_offload);
	if (ret < 0)
		return ret;
	app->data_link_up = data_link(app) == 1;
	if (c->csum_offload == TW_CONF_ON && !app->tx_csum_offload) {
		PORT_LOG(ERR, "port.checksum_offload is on but port %u cannot offload IPv4/UDP checksums",
			 app->port);
		return -ENOTSUP;
	}
	if (c->promiscuous) {
		ret = rte_eth_promiscuous_enable(app->port);
		if (ret < 0 && ret != -ENOTSUP)
			PORT_LOG(WARNING, "port %u: promiscuous mode: %s", app->port, rte_strerror(-ret));
	}
	rte_eth_macaddr_get(app->port, &mac);
	PORT_LOG(INFO, "data port %u (%s): " RTE_ETHER_ADDR_PRT_FMT ", %u queue pair(s), "
		 "TX checksum %s, RX checksum %s", app->port, c->port_device,
		 RTE_ETHER_ADDR_BYTES(&mac), app->nb_queues,
		 app->tx_csum_offload ? "offloaded" : "software",
		 app->rx_csum_offload ? "offloaded" : "software");

	if (c->exception_enabled) {
		char args[128];
		bool txc, rxc, rxts;
		uint16_t tap;

		/* The kernel interface wears the data port's MAC: its ARP/ND answers then name the
		 * port that peers actually reach. */
		snprintf(args, sizeof(args), "iface=%s,mac=" RTE_ETHER_ADDR_PRT_FMT, c->tap_name,
			 RTE_ETHER_ADDR_BYTES(&mac));
		ret = rte_vdev_init(TAP_VDEV_NAME, args);
		if (ret < 0) {
			EXC_LOG(ERR, "cannot create exception interface %s: %s", c->tap_name,
				rte_strerror(-ret));
			return ret;
		}
		ret = rte_eth_dev_get_port_by_name(TAP_VDEV_NAME, &tap);
		if (ret < 0)
			return ret;
		ret = setup_port(tap, 1, 512, 512, c->mtu, app->pool, false, &txc, &rxc, false,
				 &rxts);
		if (ret < 0) {
			EXC_LOG(ERR, "cannot start exception port: %s", rte_strerror(-ret));
			return ret;
		}
		app->tap_port = tap;
		ret = twr_tap_configure_addrs(app);
		if (ret < 0)
			return ret;
		app->tap_link_up = 1;	/* configured up with its addresses: the watch starts here */
		EXC_LOG(INFO, "exception path: port %u <-> kernel interface %s", tap, c->tap_name);
	}
	return 0;
}

/*
 * Ten times a second: link changes of the data port (logged, counted: the workers keep polling
 * and resume by themselves) and of the exception interface. Setting the kernel side of the TAP
 * down flushes its IPv6 addresses (unless keep_addr_on_down), so when it comes back up the
 * reflector's addresses are put back (RTM_NEWADDR with NLM_F_REPLACE: existing ones are kept).
 */
void
twr_ports_watch(struct twr_app *app)
{
	struct rte_eth_link link;
	int up = app->port_open ? data_link(app) : -1;

	if (up >= 0 && up != app->data_link_up) {
		link.link_status = (uint16_t)up;
		app->data_link_up = link.link_status;
		app->data_link_changes++;
		PORT_LOG(NOTICE, "data port %u: link %s", app->port, link.link_status ? "up" : "down");
	}
	if (app->tap_port != UINT16_MAX && rte_eth_link_get_nowait(app->tap_port, &link) == 0 &&
	    link.link_status != app->tap_link_up) {
		app->tap_link_up = link.link_status;
		app->tap_link_changes++;
		EXC_LOG(NOTICE, "exception interface %s: %s", app->conf->tap_name,
			link.link_status ? "up again: restoring its addresses" : "down");
		if (link.link_status && twr_tap_configure_addrs(app) < 0) {
			EXC_LOG(ERR, "exception interface %s: addresses not restored; retrying",
				app->conf->tap_name);
			app->tap_link_up = 0;	/* seen as "up again" at the next look */
		}
	}
}

void
twr_ports_close(struct twr_app *app)
{
	twr_rx_ts_close(app);
	if (app->tap_port != UINT16_MAX) {
		rte_eth_dev_stop(app->tap_port);
		rte_eth_dev_close(app->tap_port);
		rte_vdev_uninit(TAP_VDEV_NAME);
		app->tap_port = UINT16_MAX;
	}
	if (app->port_open) {
		rte_eth_dev_stop(app->port);
		rte_eth_dev_close(app->port);
		app->port_open = false;
	}
}
