/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf: one row per rule. A valid row lists only the fields that differ from the defaults
 * ("section.key=value" lines); the parsed struct is printed back in the same form and every
 * field is compared, so a row also proves nothing else moved. An invalid row gives the exact
 * error, with line and column, that the operator would see.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <sys/stat.h>

#include "tw_conf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum {
	LIST_LEN = 8448,		/* 32 eal args of 255 bytes, with commas */
	LINE_MAX_LEN = LIST_LEN + 32,
	NB_FIELDS = 50,
};

/* Long inputs, spelled out so the boundary is visible in the row. */
#define S16 "abcdefghijklmnop"
#define S64 S16 S16 S16 S16
#define S255 S64 S64 S64 S16 S16 S16 "abcdefghijklmno"
#define A8 "a, a, a, a, a, a, a, a, "
#define ARGS32 A8 A8 A8 A8
#define P8(x) x "1, " x "2, " x "3, " x "4, " x "5, " x "6, " x "7, " x "8, "
#define PORTS64 P8("1") P8("2") P8("3") P8("4") P8("5") P8("6") P8("7") P8("8")
#define PORTS64_EXP "[11,12,13,14,15,16,17,18,21,22,23,24,25,26,27,28,31,32,33,34,35,36,37,38," \
	"41,42,43,44,45,46,47,48,51,52,53,54,55,56,57,58,61,62,63,64,65,66,67,68,71,72,73,74," \
	"75,76,77,78,81,82,83,84,85,86,87,88]"
#define ADDRS16 "192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4, 192.0.2.5, 192.0.2.6, " \
	"192.0.2.7, 192.0.2.8, 192.0.2.9, 192.0.2.10, 192.0.2.11, 192.0.2.12, 192.0.2.13, " \
	"192.0.2.14, 192.0.2.15, 192.0.2.16"
#define ADDRS16_EXP "[192.0.2.1/32,192.0.2.2/32,192.0.2.3/32,192.0.2.4/32,192.0.2.5/32," \
	"192.0.2.6/32,192.0.2.7/32,192.0.2.8/32,192.0.2.9/32,192.0.2.10/32,192.0.2.11/32," \
	"192.0.2.12/32,192.0.2.13/32,192.0.2.14/32,192.0.2.15/32,192.0.2.16/32]"

/* Most rows need a reflector address, or light (on by default) refuses the config. */
#define ADDR "exception: {addresses: [192.0.2.1]}\n"
#define ADDR_EXP "exception.addresses=[192.0.2.1/32]\nlight.addresses=[192.0.2.1/32]\n"

/* Written out by hand, not from tw_conf_defaults(), so the defaults are tested too. */
static const char defaults[] =
	"eal.lcores=0,1\n"
	"eal.file_prefix=\n"
	"eal.log_level=\n"
	"eal.args=[--no-huge,-m,512,--no-pci]\n"
	"port.device=\n"
	"port.rx_desc=1024\n"
	"port.tx_desc=1024\n"
	"port.mbufs=8191\n"
	"port.mtu=1500\n"
	"port.checksum_offload=auto\n"
	"port.promiscuous=true\n"
	"port.rx_timestamp=auto\n"
	"port.distribution=auto\n"
	"port.rx_worker_weight=50\n"
	"exception.enabled=true\n"
	"exception.tap=twr0\n"
	"exception.addresses=[]\n"
	"light.enabled=true\n"
	"light.ports=[862]\n"
	"light.addresses=[]\n"
	"light.max_flows=65536\n"
	"light.flow_idle_timeout=900\n"
	"clock.synchronized=auto\n"
	"clock.resync_interval_ms=1000\n"
	"clock.timestamp_format=auto\n"
	"clock.source=realtime\n"
	"clock.phc=\n"
	"clock.error_ns=0\n"
	"control.enabled=false\n"
	"control.port=862\n"
	"control.modes=0x71\n"
	"control.count=1024\n"
	"control.test_ports=[20100-20199]\n"
	"control.max_connections=64\n"
	"control.max_connections_per_source=8\n"
	"control.connection_rate_per_source=20\n"
	"control.connection_burst_per_source=40\n"
	"control.max_sessions=1024\n"
	"control.max_sessions_per_connection=64\n"
	"control.handshake_timeout=10\n"
	"control.refwait=900\n"
	"control.max_padding=1400\n"
	"control.keystore=\n"
	"control.keys=[]\n"
	"control.ike_static_keys=\n"
	"control.ike_spi_layout=8+8\n"
	"control.ike_provider=none\n"
	"control.ike_socket=\n"
	"control.ike_timeout_ms=2000\n";

struct valid_row {
	const char *name;
	const char *yaml;
	const char *expect;	/* "key=value\n" lines that differ from the defaults */
};

struct invalid_row {
	const char *name;
	const char *yaml;
	const char *err;
	size_t len;		/* of yaml, which may hold NUL bytes */
};

static const struct valid_row valid_rows[] = {
	{ "control: every key",
	  "exception: {addresses: [198.18.0.1/24]}\n"
	  "control:\n"
	  "  enabled: true\n"
	  "  port: 8620\n"
	  "  modes: [unauthenticated, authenticated, encrypted, mixed, individual-session-control,"
	  " reflect-octets, symmetrical-size]\n"
	  "  count: 2048\n"
	  "  test_ports: [\"30000-30099\", 31000]\n"
	  "  max_connections: 10\n"
	  "  max_connections_per_source: 2\n"
	  "  max_sessions: 100\n"
	  "  max_sessions_per_connection: 5\n"
	  "  handshake_timeout: 3\n"
	  "  refwait: 60\n"
	  "  max_padding: 0\n"
	  "  keys:\n"
	  "    - {id: lab, secret: twamp-lab-secret}\n"
	  "    - id: hexkey\n"
	  "      secret_hex: 00ff10\n",
	  "exception.addresses=[198.18.0.1/24]\nlight.addresses=[198.18.0.1/32]\n"
	  "control.enabled=true\ncontrol.port=8620\ncontrol.modes=0x7f\ncontrol.count=2048\n"
	  "control.test_ports=[30000-30099,31000]\ncontrol.max_connections=10\n"
	  "control.max_connections_per_source=2\ncontrol.max_sessions=100\n"
	  "control.max_sessions_per_connection=5\ncontrol.handshake_timeout=3\n"
	  "control.refwait=60\ncontrol.max_padding=0\n"
	  "control.keys=[lab:7477616d702d6c61622d736563726574,hexkey:00ff10]\n" },
	{ "control: unauthenticated only, keystore path",
	  "exception: {addresses: [198.18.0.1]}\ncontrol: {enabled: yes, modes: [unauthenticated],"
	  " keystore: keys.pfs}\n",
	  "exception.addresses=[198.18.0.1/32]\nlight.addresses=[198.18.0.1/32]\n"
	  "control.enabled=true\ncontrol.modes=0x1\ncontrol.keystore=keys.pfs\n" },
	{ "control: IKEv2-derived keys only, draft layout",
	  "exception: {addresses: [198.18.0.1]}\ncontrol: {enabled: true, modes: [encrypted],"
	  " ike_static_keys: /etc/twr/ike.keys, ike_spi_layout: \"4+4\"}\n",
	  "exception.addresses=[198.18.0.1/32]\nlight.addresses=[198.18.0.1/32]\n"
	  "control.enabled=true\ncontrol.modes=0x4\ncontrol.ike_static_keys=/etc/twr/ike.keys\n"
	  "control.ike_spi_layout=4+4\ncontrol.ike_provider=static\n" },
	{ "control: IKEv2-derived keys from the IKE daemon",
	  "exception: {addresses: [198.18.0.1]}\ncontrol: {enabled: true, modes: [authenticated,"
	  " encrypted], ike_socket: /run/x/ippm.sock, ike_timeout_ms: 500}\n",
	  "exception.addresses=[198.18.0.1/32]\nlight.addresses=[198.18.0.1/32]\n"
	  "control.enabled=true\ncontrol.modes=0x6\ncontrol.ike_provider=ike-daemon\n"
	  "control.ike_socket=/run/x/ippm.sock\ncontrol.ike_timeout_ms=500\n" },
	{ "control: ike-daemon on the plugin's default socket",
	  "exception: {addresses: [198.18.0.1]}\ncontrol: {enabled: true, modes: [mixed],"
	  " ike_provider: ike-daemon}\n",
	  "exception.addresses=[198.18.0.1/32]\nlight.addresses=[198.18.0.1/32]\n"
	  "control.enabled=true\ncontrol.modes=0x8\ncontrol.ike_provider=ike-daemon\n"
	  "control.ike_socket=/run/strongswan/ippm.sock\n" },
	{ "control: both providers named, the explicit one wins",
	  "exception: {addresses: [198.18.0.1]}\ncontrol: {enabled: true, modes: [encrypted],"
	  " ike_provider: static, ike_static_keys: /k, ike_socket: /s}\n",
	  "exception.addresses=[198.18.0.1/32]\nlight.addresses=[198.18.0.1/32]\n"
	  "control.enabled=true\ncontrol.modes=0x4\ncontrol.ike_static_keys=/k\n"
	  "control.ike_provider=static\ncontrol.ike_socket=/s\n" },
	{ "control disabled needs nothing",
	  "light: {enabled: false}\ncontrol: {enabled: false, modes: [encrypted]}\n",
	  "light.enabled=false\ncontrol.modes=0x4\n" },
	{ "empty file is the defaults", "", "" },
	{ "comments only", "# nothing here\n\n   \n", "" },
	{ "empty document", "---\n...\n", "" },
	{ "null document", "~\n", "" },
	{ "empty mapping", "{}\n", "" },
	{ "exception addresses v4+v6 with prefix, copied to light as host addresses",
	  "exception:\n  addresses: [198.18.0.1/24, \"2001:db8::1/64\"]\n",
	  "exception.addresses=[198.18.0.1/24,2001:db8::1/64]\n"
	  "light.addresses=[198.18.0.1/32,2001:db8::1/128]\n" },
	{ "addresses without prefix, block list, unquoted v6",
	  "exception:\n  addresses:\n    - 198.18.0.1\n    - 2001:db8::1\n",
	  "exception.addresses=[198.18.0.1/32,2001:db8::1/128]\n"
	  "light.addresses=[198.18.0.1/32,2001:db8::1/128]\n" },
	{ "address host bits and /1 /32 /128 prefixes",
	  "exception: {addresses: [10.1.2.3/1, 10.1.2.4/32, '2001:db8::2/128', "
	  "'::ffff:1.2.3.4/96']}",
	  "exception.addresses=[10.1.2.3/1,10.1.2.4/32,2001:db8::2/128,::ffff:1.2.3.4/96]\n"
	  "light.addresses=[10.1.2.3/32,10.1.2.4/32,2001:db8::2/128,::ffff:1.2.3.4/128]\n" },
	{ "16 addresses is the maximum", "exception: {addresses: [" ADDRS16 "]}\n",
	  "exception.addresses=" ADDRS16_EXP "\nlight.addresses=" ADDRS16_EXP "\n" },
	{ "light addresses given: not copied",
	  "exception: {addresses: [198.18.0.1/24]}\n"
	  "light: {addresses: [198.18.0.2, '2001:db8::7']}",
	  "exception.addresses=[198.18.0.1/24]\n"
	  "light.addresses=[198.18.0.2/32,2001:db8::7/128]\n" },
	{ "light addresses with host-length prefix",
	  "light: {addresses: [198.18.0.2/32, '2001:db8::7/128']}",
	  "light.addresses=[198.18.0.2/32,2001:db8::7/128]\n" },
	{ "light disabled needs no address", "light: {enabled: false}\n", "light.enabled=false\n" },
	{ "light disabled, explicit empty light addresses",
	  ADDR "light: {enabled: no, addresses: []}\n",
	  "exception.addresses=[192.0.2.1/32]\nlight.enabled=false\nlight.addresses=[]\n" },
	{ "eal section",
	  ADDR "eal:\n  lcores: \"0-3\"\n  file_prefix: twr-test_1.x\n"
	  "  log_level: \"twamp.*:info\"\n  args: [--no-huge, -m, \"1024\", --vdev, 'net_null0']\n",
	  ADDR_EXP "eal.lcores=0-3\neal.file_prefix=twr-test_1.x\neal.log_level=twamp.*:info\n"
	  "eal.args=[--no-huge,-m,1024,--vdev,net_null0]\n" },
	{ "lcores as a plain number", ADDR "eal: {lcores: 2}\n", ADDR_EXP "eal.lcores=2\n" },
	{ "lcores with ranges", ADDR "eal: {lcores: '10,0-3,5-5,64'}\n",
	  ADDR_EXP "eal.lcores=10,0-3,5-5,64\n" },
	{ "empty eal args and empty strings",
	  ADDR "eal: {args: [], file_prefix: '', log_level: \"\"}",
	  ADDR_EXP "eal.args=[]\n" },
	{ "32 eal args is the maximum", ADDR "eal: {args: [" ARGS32 "]}",
	  ADDR_EXP "eal.args=[a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a]\n" },
	{ "255-byte strings fit", ADDR "port: {device: " S255 "}\neal: {args: [" S255 "]}\n",
	  ADDR_EXP "port.device=" S255 "\neal.args=[" S255 "]\n" },
	{ "port section, lower bounds",
	  ADDR "port:\n  device: \"net_af_packet0,iface=veth0\"\n  rx_desc: 64\n  tx_desc: 64\n"
	  "  mbufs: 1023\n  mtu: 68\n  checksum_offload: off\n  promiscuous: false\n",
	  ADDR_EXP "port.device=net_af_packet0,iface=veth0\nport.rx_desc=64\nport.tx_desc=64\n"
	  "port.mbufs=1023\nport.mtu=68\nport.checksum_offload=off\nport.promiscuous=false\n" },
	{ "port section, upper bounds, quoted integers",
	  ADDR "port: {device: '0000:3b:00.0', rx_desc: 32768, tx_desc: '32768', "
	  "mbufs: 16777215, mtu: 9600, checksum_offload: on, promiscuous: yes}\n",
	  ADDR_EXP "port.device=0000:3b:00.0\nport.rx_desc=32768\nport.tx_desc=32768\n"
	  "port.mbufs=16777215\nport.mtu=9600\nport.checksum_offload=on\n" },
	{ "tristate spellings true/false/auto", ADDR "port: {checksum_offload: True}\n"
	  "clock: {synchronized: FALSE}\n",
	  ADDR_EXP "port.checksum_offload=on\nclock.synchronized=off\n" },
	{ "tristate spellings yes/no",
	  ADDR "port: {checksum_offload: no}\nclock: {synchronized: yes}",
	  ADDR_EXP "port.checksum_offload=off\nclock.synchronized=on\n" },
	{ "tristate auto given explicitly", ADDR "port: {checksum_offload: auto}\n"
	  "clock: {synchronized: Auto}", ADDR_EXP },
	{ "bool spellings", "port: {promiscuous: Off}\nlight: {enabled: ON}\n"
	  "exception: {enabled: 'no', addresses: [192.0.2.1]}\n",
	  ADDR_EXP "port.promiscuous=false\nexception.enabled=false\n" },
	{ "exception section",
	  "exception:\n  enabled: true\n  tap: tw_r-0.abcdefgh\n  addresses: ['2001:db8::1/64']\n",
	  "exception.tap=tw_r-0.abcdefgh\nexception.addresses=[2001:db8::1/64]\n"
	  "light.addresses=[2001:db8::1/128]\n" },
	{ "one-character tap name", "exception: {tap: t, addresses: [192.0.2.1]}\n",
	  ADDR_EXP "exception.tap=t\n" },
	{ "light section, all keys, lower bounds",
	  ADDR "light:\n  enabled: true\n  ports: [862, \"20000-20099\"]\n  max_flows: 1\n"
	  "  flow_idle_timeout: 1\n",
	  ADDR_EXP "light.ports=[862,20000-20099]\nlight.max_flows=1\n"
	  "light.flow_idle_timeout=1\n" },
	{ "light upper bounds", ADDR "light: {max_flows: 16777216, flow_idle_timeout: 86400}",
	  ADDR_EXP "light.max_flows=16777216\nlight.flow_idle_timeout=86400\n" },
	{ "port range edges 1 and 65535, quoted single port",
	  ADDR "light: {ports: [\"1\", 65535, 2-3, '4-4']}",
	  ADDR_EXP "light.ports=[1,65535,2-3,4]\n" },
	{ "whole port space", ADDR "light: {ports: [1-65535]}",
	  ADDR_EXP "light.ports=[1-65535]\n" },
	{ "adjacent ranges do not overlap", ADDR "light: {ports: [10-19, 20-29, 9]}",
	  ADDR_EXP "light.ports=[10-19,20-29,9]\n" },
	{ "64 port entries is the maximum", ADDR "light: {ports: [" PORTS64 "]}",
	  ADDR_EXP "light.ports=" PORTS64_EXP "\n" },
	{ "empty port list", ADDR "light: {ports: []}", ADDR_EXP "light.ports=[]\n" },
	{ "clock section, lower bound, ptp",
	  ADDR "clock:\n  synchronized: no\n  resync_interval_ms: 10\n  timestamp_format: ptp\n",
	  ADDR_EXP "clock.synchronized=off\nclock.resync_interval_ms=10\n"
	  "clock.timestamp_format=ptp\n" },
	{ "clock upper bound, NTP in capitals",
	  ADDR "clock: {resync_interval_ms: 60000, timestamp_format: NTP}",
	  ADDR_EXP "clock.resync_interval_ms=60000\nclock.timestamp_format=ntp\n" },
	{ "clock from a PTP hardware clock, claimed error",
	  ADDR "clock: {source: phc, phc: /dev/ptp0, error_ns: 200, synchronized: yes}\n"
	  "port: {rx_timestamp: hardware}\n",
	  ADDR_EXP "port.rx_timestamp=hardware\nclock.synchronized=on\nclock.source=phc\n"
	  "clock.phc=/dev/ptp0\nclock.error_ns=200\n" },
	{ "clock TAI, software RX timestamps",
	  ADDR "clock: {source: tai}\nport: {rx_timestamp: software}\n",
	  ADDR_EXP "port.rx_timestamp=software\nclock.source=tai\n" },
	{ "software distribution", ADDR "port: {distribution: software}\n",
	  ADDR_EXP "port.distribution=software\n" },
	{ "RX worker weight bounds", ADDR "port: {distribution: software, rx_worker_weight: 0}\n",
	  ADDR_EXP "port.distribution=software\nport.rx_worker_weight=0\n" },
	{ "RX worker weight, equal share", ADDR "port: {rx_worker_weight: 100}\n",
	  ADDR_EXP "port.rx_worker_weight=100\n" },
	{ "RSS distribution, capitals", ADDR "port:\n  distribution: RSS\n",
	  ADDR_EXP "port.distribution=rss\n" },
	{ "distribution auto given explicitly", ADDR "port: {distribution: auto}\n", ADDR_EXP },
	{ "sections with no keys are defaults", ADDR "eal:\nport:\nlight: ~\nclock: {}\n",
	  ADDR_EXP },
	{ "quoted keys, comments, explicit document markers",
	  "%YAML 1.1\n---\n\"exception\": # the TAP\n  'addresses': [192.0.2.1] # one\n...\n",
	  ADDR_EXP },
	{ "full example",
	  "eal:\n"
	  "  lcores: \"0,1\"\n"
	  "  file_prefix: twr\n"
	  "  log_level: \"twamp.*:info\"\n"
	  "  args: [--no-huge, -m, \"512\", --no-pci]\n"
	  "port:\n"
	  "  device: \"net_af_packet0,iface=veth0\"\n"
	  "  rx_desc: 1024\n"
	  "  tx_desc: 1024\n"
	  "  mbufs: 8191\n"
	  "  mtu: 1500\n"
	  "  checksum_offload: auto\n"
	  "  promiscuous: true\n"
	  "exception:\n"
	  "  enabled: true\n"
	  "  tap: twr0\n"
	  "  addresses: [198.18.0.1/24, \"2001:db8::1/64\"]\n"
	  "light:\n"
	  "  enabled: true\n"
	  "  ports: [862, \"20000-20099\"]\n"
	  "  max_flows: 65536\n"
	  "  flow_idle_timeout: 900\n"
	  "clock:\n"
	  "  synchronized: auto\n"
	  "  resync_interval_ms: 1000\n"
	  "  timestamp_format: ntp\n",
	  "eal.file_prefix=twr\neal.log_level=twamp.*:info\n"
	  "port.device=net_af_packet0,iface=veth0\n"
	  "exception.addresses=[198.18.0.1/24,2001:db8::1/64]\n"
	  "light.ports=[862,20000-20099]\nlight.addresses=[198.18.0.1/32,2001:db8::1/128]\n"
	  "clock.timestamp_format=ntp\n" },
};

/* sizeof, not strlen: a row may contain NUL bytes. */
#define ROW(name, yaml, err) { name, yaml, err, sizeof(yaml) - 1 }

static const struct invalid_row invalid_rows[] = {
	/* control */
	ROW("control needs the exception path", "control: {enabled: true}\n",
	  "t.yaml:1:1: control: TWAMP-Control is served by the kernel on the exception path: "
	  "enable exception and give it addresses"),
	ROW("secured modes need keys",
	  "exception: {addresses: [198.18.0.1]}\ncontrol: {enabled: true, modes: [authenticated]}\n",
	  "t.yaml:1:1: control.modes: authenticated, encrypted and mixed modes need keys "
	  "(control.keys, control.keystore or an IKE key provider: control.ike_static_keys, "
	  "control.ike_socket)"),
	ROW("IKEv2-derived keys need a secured mode",
	  "exception: {addresses: [198.18.0.1]}\ncontrol: {enabled: true, modes: [unauthenticated],"
	  " ike_static_keys: /k}\n",
	  "t.yaml:1:1: control.ike_provider: IKEv2-derived keys (mode 128) need authenticated, "
	  "encrypted or mixed in control.modes"),
	ROW("PHC source without a device", "clock: {source: phc}\n",
	  "t.yaml:1:1: clock.source: phc needs clock.phc (e.g. /dev/ptp0)"),
	ROW("PHC device without the PHC source", "clock: {phc: /dev/ptp0}\n",
	  "t.yaml:1:1: clock.phc is used with clock.source: phc only"),
	ROW("unknown RX timestamp source", "port: {rx_timestamp: nic}\n",
	  "t.yaml:1:22: port.rx_timestamp: \"nic\" is not one of auto, hardware or software"),
	ROW("unknown distribution", "port: {distribution: rr}\n",
	  "t.yaml:1:22: port.distribution: \"rr\" is not one of auto, rss or software"),
	ROW("RX worker weight above 100", "port: {rx_worker_weight: 101}\n",
	  "t.yaml:1:26: port.rx_worker_weight: \"101\" is out of range (0-100)"),
	ROW("distribution as a list", "port: {distribution: [rss]}\n",
	  "t.yaml:1:22: port.distribution: expected auto, rss or software, got a list"),
	ROW("two IKE key providers without a choice",
	  "exception: {addresses: [198.18.0.1]}\ncontrol: {enabled: true, modes: [encrypted],"
	  " ike_static_keys: /k, ike_socket: /s}\n",
	  "t.yaml:1:1: control: ike_static_keys and ike_socket name two key providers: set "
	  "control.ike_provider"),
	ROW("static provider without its file",
	  "exception: {addresses: [198.18.0.1]}\ncontrol: {enabled: true, modes: [encrypted],"
	  " ike_provider: static}\n",
	  "t.yaml:1:1: control.ike_provider: static needs control.ike_static_keys"),
	ROW("unknown IKE key provider", "control: {ike_provider: vici}\n",
	  "t.yaml:1:25: control.ike_provider: \"vici\" is not one of none, static or ike-daemon"),
	ROW("IKE lookup timeout too short", "control: {ike_timeout_ms: 10}\n",
	  "t.yaml:1:27: control.ike_timeout_ms: \"10\" is out of range (100-60000)"),
	ROW("bad SPI layout", "control: {ike_spi_layout: 8}\n",
	  "t.yaml:1:27: control.ike_spi_layout: \"8\" is not one of \"8+8\" or \"4+4\""),
	ROW("no security mode offered",
	  "exception: {addresses: [198.18.0.1]}\ncontrol: {enabled: true, modes: [reflect-octets]}\n",
	  "t.yaml:1:1: control.modes: offer at least one of unauthenticated, authenticated, "
	  "encrypted or mixed"),
	ROW("unknown mode", "control: {modes: [unauthenticated, fast]}\n",
	  "t.yaml:1:36: control.modes: \"fast\" is not a mode (unauthenticated, authenticated, "
	  "encrypted, mixed, individual-session-control, reflect-octets, symmetrical-size)"),
	ROW("mode twice", "control: {modes: [mixed, mixed]}\n",
	  "t.yaml:1:26: control.modes: \"mixed\" is listed twice"),
	ROW("count below the RFC 4656 minimum", "control: {count: 1023}\n",
	  "t.yaml:1:18: control.count: \"1023\" is out of range (1024-16777216)"),
	ROW("test ports overlap light ports",
	  "exception: {addresses: [198.18.0.1]}\nlight: {ports: [20150]}\ncontrol: {enabled: true}\n",
	  "t.yaml:1:1: control.test_ports: 20100-20199 overlaps light.ports 20150"),
	ROW("test port range reversed", "control: {test_ports: [\"9-8\"]}\n",
	  "t.yaml:1:24: control.test_ports: \"9-8\" is not a port range (\"low-high\", 1-65535, "
	  "low <= high)"),
	ROW("key without secret", "control: {keys: [{id: a}]}\n",
	  "t.yaml:1:18: control.keys: each key needs a non-empty id and secret (or secret_hex)"),
	ROW("key with unknown field", "control: {keys: [{id: a, pass: b}]}\n",
	  "t.yaml:1:26: control.keys: unknown key \"pass\" (expected id, secret or secret_hex)"),
	ROW("KeyID too long", "control: {keys: [{id: " S64 S16 "x, secret: s}]}\n",
	  "t.yaml:1:23: control.keys: KeyID \"abcdefghijklmnopabcdefghijklmnopabcdefgh\"... is "
	  "longer than 80 octets"),
	ROW("bad hex secret (never echoed)", "control: {keys: [{id: a, secret_hex: 0g}]}\n",
	  "t.yaml:1:38: control.keys: secret_hex is not an even number of hex digits (1-256 "
	  "octets)"),
	ROW("KeyID twice", "control: {keys: [{id: a, secret: x}, {id: a, secret: y}]}\n",
	  "t.yaml:1:38: control.keys: KeyID \"a\" is listed twice"),
	/* fuzz_conf (seed-keys-escape): the KeyID came back raw, a tab and a newline in the
	 * message; it must be escaped like every other value quoted from the input */
	ROW("KeyID twice, with control characters",
	  "control: {keys: [{id: \"k\\ty\\n\", secret: x}, {id: \"k\\ty\\n\", secret: y}]}\n",
	  "t.yaml:1:45: control.keys: KeyID \"k\\x09y\\x0a\" is listed twice"),
	ROW("keys is a scalar", "control: {keys: lab}\n",
	  "t.yaml:1:17: control.keys: expected a list of {id, secret}, got a scalar"),
	ROW("key item is a scalar", "control: {keys: [lab]}\n",
	  "t.yaml:1:18: control.keys: expected {id: KEYID, secret: PASSPHRASE}, got a scalar"),
	/* structure */
	ROW("unknown section", "prot:\n  mtu: 1500\n",
	  "t.yaml:1:1: unknown section \"prot\" (expected eal, port, exception, light, clock or control)"),
	ROW("unknown key in port", "port:\n  device: x\n  prot: 1\n",
	  "t.yaml:3:3: unknown key \"prot\" in section \"port\""),
	ROW("unknown key in eal", "eal: {lcore: 0}",
	  "t.yaml:1:7: unknown key \"lcore\" in section \"eal\""),
	ROW("unknown key in exception", "exception:\n  address: []\n",
	  "t.yaml:2:3: unknown key \"address\" in section \"exception\""),
	ROW("unknown key in light", "light:\n  port: 862\n",
	  "t.yaml:2:3: unknown key \"port\" in section \"light\""),
	ROW("unknown key in clock", "clock:\n  sync: yes\n",
	  "t.yaml:2:3: unknown key \"sync\" in section \"clock\""),
	ROW("keys are case-sensitive", "port: {MTU: 1500}",
	  "t.yaml:1:8: unknown key \"MTU\" in section \"port\""),
	ROW("merge key is just an unknown key", "port: {<<: {}}",
	  "t.yaml:1:8: unknown key \"<<\" in section \"port\""),
	ROW("unknown key with odd bytes is escaped", "port: {\"m\\x01\\\"\": 1}",
	  "t.yaml:1:8: unknown key \"m\\x01\\\"\" in section \"port\""),
	ROW("duplicate key", "port:\n  mtu: 1500\n  mtu: 9000\n",
	  "t.yaml:3:3: duplicate key \"mtu\" in section \"port\""),
	ROW("duplicate key, flow", "light: {ports: [1], enabled: true, ports: [2]}",
	  "t.yaml:1:36: duplicate key \"ports\" in section \"light\""),
	ROW("duplicate section", "port: {}\nclock: {}\nport: {}\n",
	  "t.yaml:3:1: duplicate section \"port\""),
	ROW("top level is a list", "- port\n",
	  "t.yaml:1:1: expected a mapping of sections (eal, port, exception, light, clock, control), "
	  "got a list"),
	ROW("top level is a scalar", "port\n",
	  "t.yaml:1:1: expected a mapping of sections (eal, port, exception, light, clock, control), "
	  "got a scalar"),
	ROW("section is a scalar", "port: 1500\n",
	  "t.yaml:1:7: port: expected a mapping of keys, got a scalar"),
	ROW("section is a list", "clock:\n  - ntp\n",
	  "t.yaml:2:3: clock: expected a mapping of keys, got a list"),
	ROW("complex key", "? [port]\n: {}\n", "t.yaml:1:3: expected a section name, got a list"),
	ROW("null section name", "? \n: {}\n", "t.yaml:1:2: expected a section name, got nothing"),
	ROW("null key in section", "port:\n  ? \n  : 1\n",
	  "t.yaml:2:4: port: expected a key, got nothing"),
	ROW("two documents", "port: {mtu: 1500}\n---\nport: {mtu: 9000}\n",
	  "t.yaml:2:1: only one YAML document is allowed"),

	/* types */
	ROW("list where an integer is expected", "port: {mtu: [1500]}",
	  "t.yaml:1:13: port.mtu: expected an integer (68-9600), got a list"),
	ROW("mapping where a string is expected", "port:\n  device:\n    name: x\n",
	  "t.yaml:3:5: port.device: expected a string, got a mapping"),
	ROW("missing value", "port:\n  mtu:\n",
	  "t.yaml:2:7: port.mtu: expected an integer (68-9600), got nothing"),
	ROW("null value", "clock: {timestamp_format: null}",
	  "t.yaml:1:27: clock.timestamp_format: expected auto, ntp or ptp, got nothing"),
	ROW("list where a bool is expected", "port: {promiscuous: [yes]}",
	  "t.yaml:1:21: port.promiscuous: expected true or false, got a list"),
	ROW("list where a tristate is expected", "clock: {synchronized: []}",
	  "t.yaml:1:23: clock.synchronized: expected auto, yes or no, got a list"),
	ROW("scalar where a list is expected", "eal: {args: --no-huge}",
	  "t.yaml:1:13: eal.args: expected a list of strings, got a scalar"),
	ROW("mapping where a list is expected", "light: {ports: {lo: 1}}",
	  "t.yaml:1:16: light.ports: expected a list of ports or \"low-high\" ranges, "
	  "got a mapping"),
	ROW("nested list in args", "eal:\n  args: [a, [b]]\n",
	  "t.yaml:2:13: eal.args: expected a string, got a list"),
	ROW("null list element", "light:\n  ports:\n    - 862\n    -\n",
	  "t.yaml:4:6: light.ports: expected a port or a \"low-high\" range, got nothing"),
	ROW("mapping as address", "exception: {addresses: [{a: b}]}",
	  "t.yaml:1:25: exception.addresses: expected an address, got a mapping"),

	/* integers */
	ROW("rx_desc below range", "port: {rx_desc: 63}",
	  "t.yaml:1:17: port.rx_desc: \"63\" is out of range (64-32768)"),
	ROW("rx_desc above range", "port: {rx_desc: 32769}",
	  "t.yaml:1:17: port.rx_desc: \"32769\" is out of range (64-32768)"),
	ROW("tx_desc below range", "port: {tx_desc: 63}",
	  "t.yaml:1:17: port.tx_desc: \"63\" is out of range (64-32768)"),
	ROW("tx_desc above uint16", "port: {tx_desc: 65600}",
	  "t.yaml:1:17: port.tx_desc: \"65600\" is out of range (64-32768)"),
	ROW("mbufs below range", "port: {mbufs: 1022}",
	  "t.yaml:1:15: port.mbufs: \"1022\" is out of range (1023-16777215)"),
	ROW("mbufs above range", "port: {mbufs: 16777216}",
	  "t.yaml:1:15: port.mbufs: \"16777216\" is out of range (1023-16777215)"),
	ROW("mtu below range", "port:\n  mtu: 67\n",
	  "t.yaml:2:8: port.mtu: \"67\" is out of range (68-9600)"),
	ROW("mtu above range", "port:\n  mtu: 9601\n",
	  "t.yaml:2:8: port.mtu: \"9601\" is out of range (68-9600)"),
	ROW("max_flows zero", "light: {max_flows: 0}",
	  "t.yaml:1:20: light.max_flows: \"0\" is out of range (1-16777216)"),
	ROW("max_flows above range", "light: {max_flows: 16777217}",
	  "t.yaml:1:20: light.max_flows: \"16777217\" is out of range (1-16777216)"),
	ROW("flow_idle_timeout zero", "light: {flow_idle_timeout: 0}",
	  "t.yaml:1:28: light.flow_idle_timeout: \"0\" is out of range (1-86400)"),
	ROW("flow_idle_timeout above range", "light: {flow_idle_timeout: 86401}",
	  "t.yaml:1:28: light.flow_idle_timeout: \"86401\" is out of range (1-86400)"),
	ROW("resync below range", "clock: {resync_interval_ms: 9}",
	  "t.yaml:1:29: clock.resync_interval_ms: \"9\" is out of range (10-60000)"),
	ROW("resync above range", "clock: {resync_interval_ms: 60001}",
	  "t.yaml:1:29: clock.resync_interval_ms: \"60001\" is out of range (10-60000)"),
	ROW("uint32 overflow", "light: {max_flows: 4294967296}",
	  "t.yaml:1:20: light.max_flows: \"4294967296\" is out of range (1-16777216)"),
	ROW("uint64 overflow", "light: {max_flows: 184467440737095516161}",
	  "t.yaml:1:20: light.max_flows: \"184467440737095516161\" is out of range (1-16777216)"),
	ROW("negative", "port: {mtu: -1500}",
	  "t.yaml:1:13: port.mtu: \"-1500\" is not a decimal integer (68-9600)"),
	ROW("plus sign", "port: {mtu: +1500}",
	  "t.yaml:1:13: port.mtu: \"+1500\" is not a decimal integer (68-9600)"),
	ROW("hex", "port: {mtu: 0x5dc}",
	  "t.yaml:1:13: port.mtu: \"0x5dc\" is not a decimal integer (68-9600)"),
	ROW("leading zero (YAML 1.1 octal)", "port: {mtu: 01500}",
	  "t.yaml:1:13: port.mtu: \"01500\" is not a decimal integer (68-9600)"),
	ROW("fraction", "port: {mtu: 1500.0}",
	  "t.yaml:1:13: port.mtu: \"1500.0\" is not a decimal integer (68-9600)"),
	ROW("spaces inside quotes", "port: {mtu: ' 1500'}",
	  "t.yaml:1:13: port.mtu: \" 1500\" is not a decimal integer (68-9600)"),
	ROW("bool as integer", "port: {mtu: true}",
	  "t.yaml:1:13: port.mtu: \"true\" is not a decimal integer (68-9600)"),

	/* strings */
	ROW("device too long", "port: {device: " S255 "x}",
	  "t.yaml:1:16: port.device: \"" S16 S16 "abcdefgh\"... "
	  "is too long (256 bytes, at most 255)"),
	ROW("log_level too long", "eal: {log_level: " S255 "x}",
	  "t.yaml:1:18: eal.log_level: \"" S16 S16 "abcdefgh\"... "
	  "is too long (256 bytes, at most 255)"),
	ROW("eal arg too long", "eal: {args: [a, " S255 "x]}",
	  "t.yaml:1:17: eal.args: \"" S16 S16 "abcdefgh\"... is too long (256 bytes, at most 255)"),
	ROW("33 eal args", "eal: {args: [" ARGS32 "b]}",
	  "t.yaml:1:110: eal.args: more than 32 arguments"),
	ROW("empty lcores", "eal: {lcores: ''}",
	  "t.yaml:1:15: eal.lcores: \"\" is not an lcore list such as \"0,1\" or \"0,2-5\""),
	ROW("lcores with a space", "eal: {lcores: '0, 1'}",
	  "t.yaml:1:15: eal.lcores: \"0, 1\" is not an lcore list such as \"0,1\" or \"0,2-5\""),
	ROW("lcores trailing comma", "eal: {lcores: '0,1,'}",
	  "t.yaml:1:15: eal.lcores: \"0,1,\" is not an lcore list such as \"0,1\" or \"0,2-5\""),
	ROW("lcores empty item", "eal: {lcores: '0,,1'}",
	  "t.yaml:1:15: eal.lcores: \"0,,1\" is not an lcore list such as \"0,1\" or \"0,2-5\""),
	ROW("lcores reversed range", "eal: {lcores: 3-1}",
	  "t.yaml:1:15: eal.lcores: \"3-1\" is not an lcore list such as \"0,1\" or \"0,2-5\""),
	ROW("lcores open range", "eal: {lcores: '2-'}",
	  "t.yaml:1:15: eal.lcores: \"2-\" is not an lcore list such as \"0,1\" or \"0,2-5\""),
	ROW("lcores leading zero", "eal: {lcores: '01'}",
	  "t.yaml:1:15: eal.lcores: \"01\" is not an lcore list such as \"0,1\" or \"0,2-5\""),
	ROW("lcores cpu map (--lcores syntax)", "eal: {lcores: '(0-1)@0'}",
	  "t.yaml:1:15: eal.lcores: \"(0-1)@0\" is not an lcore list such as \"0,1\" or \"0,2-5\""),
	ROW("lcores hex mask", "eal: {lcores: 0x3}",
	  "t.yaml:1:15: eal.lcores: \"0x3\" is not an lcore list such as \"0,1\" or \"0,2-5\""),
	ROW("file_prefix with a slash", "eal: {file_prefix: ../x}",
	  "t.yaml:1:20: eal.file_prefix: \"../x\" is not a file prefix "
	  "(at most 255 characters of A-Z a-z 0-9 _ . -)"),
	ROW("file_prefix too long", "eal: {file_prefix: " S255 "x}",
	  "t.yaml:1:20: eal.file_prefix: \"" S16 S16 "abcdefgh\"... is not a file prefix "
	  "(at most 255 characters of A-Z a-z 0-9 _ . -)"),
	ROW("empty tap name", "exception: {tap: \"\"}",
	  "t.yaml:1:18: exception.tap: \"\" is not an interface name "
	  "(1-15 characters of A-Z a-z 0-9 _ . -)"),
	ROW("16-character tap name", "exception: {tap: " S16 "}",
	  "t.yaml:1:18: exception.tap: \"" S16 "\" is not an interface name "
	  "(1-15 characters of A-Z a-z 0-9 _ . -)"),
	ROW("tap name with a slash", "exception: {tap: a/b}",
	  "t.yaml:1:18: exception.tap: \"a/b\" is not an interface name "
	  "(1-15 characters of A-Z a-z 0-9 _ . -)"),
	ROW("tap name ..", "exception: {tap: ..}",
	  "t.yaml:1:18: exception.tap: \"..\" is not an interface name "
	  "(1-15 characters of A-Z a-z 0-9 _ . -)"),
	ROW("escaped NUL in a string", "port: {device: \"net_null0\\0,x\"}",
	  "t.yaml:1:16: port.device: value contains a NUL character"),
	ROW("non-ASCII is escaped in messages", "exception: {tap: \"t\\u00e9\"}",
	  "t.yaml:1:18: exception.tap: \"t\\xc3\\xa9\" is not an interface name "
	  "(1-15 characters of A-Z a-z 0-9 _ . -)"),

	/* words */
	ROW("bool neither", "port: {promiscuous: maybe}",
	  "t.yaml:1:21: port.promiscuous: \"maybe\" is not true or false"),
	ROW("bool as number", "light: {enabled: 1}",
	  "t.yaml:1:18: light.enabled: \"1\" is not true or false"),
	ROW("exception enabled neither", "exception: {enabled: y}",
	  "t.yaml:1:22: exception.enabled: \"y\" is not true or false"),
	ROW("checksum_offload neither", "port: {checksum_offload: hw}",
	  "t.yaml:1:26: port.checksum_offload: \"hw\" is not one of auto, on or off"),
	ROW("synchronized neither", "clock: {synchronized: sometimes}",
	  "t.yaml:1:23: clock.synchronized: \"sometimes\" is not one of auto, yes or no"),
	ROW("timestamp_format neither", "clock: {timestamp_format: gps}",
	  "t.yaml:1:27: clock.timestamp_format: \"gps\" is not one of auto, ntp or ptp"),

	/* addresses */
	ROW("bad IPv4 octet", "exception: {addresses: [198.18.0.256]}",
	  "t.yaml:1:25: exception.addresses: \"198.18.0.256\" is not an IPv4 or IPv6 address "
	  "(with optional /prefix, 1-32 or 1-128)"),
	ROW("IPv4 prefix 33", "exception: {addresses: [198.18.0.1/33]}",
	  "t.yaml:1:25: exception.addresses: \"198.18.0.1/33\" is not an IPv4 or IPv6 address "
	  "(with optional /prefix, 1-32 or 1-128)"),
	ROW("IPv6 prefix 129", "exception: {addresses: ['2001:db8::1/129']}",
	  "t.yaml:1:25: exception.addresses: \"2001:db8::1/129\" is not an IPv4 or IPv6 address "
	  "(with optional /prefix, 1-32 or 1-128)"),
	ROW("prefix 0", "exception:\n  addresses:\n    - 198.18.0.1/0\n",
	  "t.yaml:3:7: exception.addresses: \"198.18.0.1/0\" is not an IPv4 or IPv6 address "
	  "(with optional /prefix, 1-32 or 1-128)"),
	ROW("junk after prefix", "exception: {addresses: [198.18.0.1/24x]}",
	  "t.yaml:1:25: exception.addresses: \"198.18.0.1/24x\" is not an IPv4 or IPv6 address "
	  "(with optional /prefix, 1-32 or 1-128)"),
	ROW("empty prefix", "exception: {addresses: [198.18.0.1/]}",
	  "t.yaml:1:25: exception.addresses: \"198.18.0.1/\" is not an IPv4 or IPv6 address "
	  "(with optional /prefix, 1-32 or 1-128)"),
	ROW("zone index", "exception: {addresses: ['fe80::1%eth0']}",
	  "t.yaml:1:25: exception.addresses: \"fe80::1%eth0\" is not an IPv4 or IPv6 address "
	  "(with optional /prefix, 1-32 or 1-128)"),
	ROW("host name", "light: {addresses: [reflector.example]}",
	  "t.yaml:1:21: light.addresses: \"reflector.example\" is not an IPv4 or IPv6 address "
	  "(with optional /prefix, 1-32 or 1-128)"),
	ROW("duplicate address, other prefix",
	  "exception: {addresses: [198.18.0.1/24, 198.18.0.1]}",
	  "t.yaml:1:40: exception.addresses: \"198.18.0.1\" is listed twice"),
	ROW("duplicate IPv6, other spelling",
	  "exception: {addresses: ['2001:db8::1/64', '2001:0db8:0:0::1']}",
	  "t.yaml:1:43: exception.addresses: \"2001:0db8:0:0::1\" is listed twice"),
	ROW("17 addresses", "exception: {addresses: [" ADDRS16 ", 192.0.2.17]}",
	  "t.yaml:1:208: exception.addresses: more than 16 addresses"),
	ROW("light address with a prefix", "light: {addresses: [198.18.0.0/24]}",
	  "t.yaml:1:21: light.addresses: \"198.18.0.0/24\" is a prefix; give the reflector's "
	  "address without /len"),
	ROW("light duplicate address", "light: {addresses: ['2001:db8::1', '2001:db8::1/128']}",
	  "t.yaml:1:36: light.addresses: \"2001:db8::1/128\" is listed twice"),

	/* ports */
	ROW("port 70000", "light:\n  ports: [862, \"70000\"]\n",
	  "t.yaml:2:16: light.ports: \"70000\" is not a port (1-65535)"),
	ROW("port 0", "light: {ports: [0]}",
	  "t.yaml:1:17: light.ports: \"0\" is not a port (1-65535)"),
	ROW("port 65536", "light: {ports: [65536]}",
	  "t.yaml:1:17: light.ports: \"65536\" is not a port (1-65535)"),
	ROW("port with leading zero", "light: {ports: [0862]}",
	  "t.yaml:1:17: light.ports: \"0862\" is not a port (1-65535)"),
	ROW("port name", "light: {ports: [twamp]}",
	  "t.yaml:1:17: light.ports: \"twamp\" is not a port (1-65535)"),
	ROW("reversed range", "light: {ports: [\"20099-20000\"]}",
	  "t.yaml:1:17: light.ports: \"20099-20000\" is not a port range (\"low-high\", 1-65535, "
	  "low <= high)"),
	ROW("range to 65536", "light: {ports: [1-65536]}",
	  "t.yaml:1:17: light.ports: \"1-65536\" is not a port range (\"low-high\", 1-65535, "
	  "low <= high)"),
	ROW("range from 0", "light: {ports: [0-10]}",
	  "t.yaml:1:17: light.ports: \"0-10\" is not a port range (\"low-high\", 1-65535, "
	  "low <= high)"),
	ROW("open range", "light: {ports: [20000-]}",
	  "t.yaml:1:17: light.ports: \"20000-\" is not a port range (\"low-high\", 1-65535, "
	  "low <= high)"),
	ROW("negative port", "light: {ports: [-5]}",
	  "t.yaml:1:17: light.ports: \"-5\" is not a port range (\"low-high\", 1-65535, "
	  "low <= high)"),
	ROW("range with spaces", "light: {ports: [\"1 - 5\"]}",
	  "t.yaml:1:17: light.ports: \"1 - 5\" is not a port range (\"low-high\", 1-65535, "
	  "low <= high)"),
	ROW("three-part range", "light: {ports: [1-2-3]}",
	  "t.yaml:1:17: light.ports: \"1-2-3\" is not a port range (\"low-high\", 1-65535, "
	  "low <= high)"),
	ROW("duplicate port", "light: {ports: [862, 862]}",
	  "t.yaml:1:22: light.ports: 862 overlaps 862"),
	ROW("overlapping ranges", "light: {ports: [20000-20099, 862, 20050-20200]}",
	  "t.yaml:1:35: light.ports: 20050-20200 overlaps 20000-20099"),
	ROW("port inside a range", "light: {ports: [800-900, 862]}",
	  "t.yaml:1:26: light.ports: 862 overlaps 800-900"),
	ROW("65 port entries", "light: {ports: [" PORTS64 "99]}",
	  "t.yaml:1:273: light.ports: more than 64 entries"),

	/* light address rule */
	ROW("no address at all, light section absent", "port: {mtu: 1500}\n",
	  "t.yaml:1:1: light: no reflector addresses (set exception.addresses or light.addresses)"),
	ROW("no address at all, light section present",
	  "port: {mtu: 1500}\nlight:\n  ports: [862]\n",
	  "t.yaml:2:1: light: no reflector addresses (set exception.addresses or light.addresses)"),
	ROW("explicit empty light addresses", ADDR "\nlight: {addresses: []}\n",
	  "t.yaml:3:1: light: no reflector addresses (set exception.addresses or light.addresses)"),
	ROW("light enabled explicitly, no address", "light: {enabled: true}",
	  "t.yaml:1:1: light: no reflector addresses (set exception.addresses or light.addresses)"),

	/* YAML features we refuse */
	ROW("anchor", "port: &p {mtu: 1500}\n", "t.yaml:1:7: anchors (&p) are not supported"),
	ROW("alias", "port: {mtu: *m}\n", "t.yaml:1:13: aliases (*m) are not supported"),
	ROW("billion laughs", "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
	  "t.yaml:1:1: unknown section \"a\" (expected eal, port, exception, light, clock or control)"),
	ROW("billion laughs inside a section", "eal: {args: &a [x, x], log_level: *a}\n",
	  "t.yaml:1:13: anchors (&a) are not supported"),
	ROW("standard tag", "port: {mtu: !!int 1500}",
	  "t.yaml:1:13: tags (!!int) are not supported"),
	ROW("local tag", "port: !cfg {mtu: 1500}", "t.yaml:1:7: tags (!cfg) are not supported"),

	/* syntax */
	ROW("unterminated flow mapping", "port: {mtu: 1500\n",
	  "t.yaml:2:1: did not find expected ',' or '}' (while parsing a flow mapping at 1:7)"),
	ROW("bad indentation", "port:\n  mtu: 1500\n mtu: 9000\n",
	  "t.yaml:3:2: did not find expected key (while parsing a block mapping at 1:1)"),
	ROW("tab indentation", "port:\n\tmtu: 1500\n",
	  "t.yaml:2:1: found character that cannot start any token "
	  "(while scanning for the next token at 2:1)"),
	ROW("unterminated quote", "port: {device: 'net_null0\n",
	  "t.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar at 1:16)"),
	ROW("undefined escape", "port: {device: \"a\\qb\"}",
	  "t.yaml:1:18: found unknown escape character (while parsing a quoted scalar at 1:16)"),
	ROW("raw NUL byte", "port:\n  mtu: 15\0000\n",
	  "t.yaml:2:10: control characters are not allowed (#x0)"),
	ROW("invalid UTF-8", "port: {device: \"\xc3(\"}",
	  "t.yaml:1:18: invalid trailing UTF-8 octet (#x28)"),
	ROW("control character", "port: {device: a\x01}",
	  "t.yaml:1:17: control characters are not allowed (#x1)"),
};

/* Print the struct back as "key=value" lines, in the order of `defaults`. */
static void
fmt_addrs(char *buf, size_t size, const struct tw_conf_addr *a, unsigned int n)
{
	char s[INET6_ADDRSTRLEN];
	size_t o = 0;
	unsigned int i;

	o += snprintf(buf + o, size - o, "[");
	for (i = 0; i < n; i++) {
		assert_true(a[i].family == 4 || a[i].family == 6);
		assert_non_null(inet_ntop(a[i].family == 4 ? AF_INET : AF_INET6, a[i].addr, s,
					  sizeof(s)));
		o += snprintf(buf + o, size - o, "%s%s/%u", i ? "," : "", s, a[i].prefixlen);
	}
	snprintf(buf + o, size - o, "]");
}

static const char *
tri(enum tw_conf_tristate t)
{
	return t == TW_CONF_AUTO ? "auto" : t == TW_CONF_ON ? "on" : t == TW_CONF_OFF ? "off" : "?";
}

static const char *
yesno(bool b)
{
	return b ? "true" : "false";
}

static unsigned int
dump(const struct tw_conf *c, char out[][LINE_MAX_LEN])
{
	char list[LIST_LEN];
	unsigned int i, n = 0;
	size_t o;

	snprintf(out[n++], LINE_MAX_LEN, "eal.lcores=%s", c->lcores);
	snprintf(out[n++], LINE_MAX_LEN, "eal.file_prefix=%s", c->file_prefix);
	snprintf(out[n++], LINE_MAX_LEN, "eal.log_level=%s", c->log_level);
	o = snprintf(list, sizeof(list), "[");
	for (i = 0; i < c->nb_eal_args && i < TW_CONF_MAX_EAL_ARGS; i++)
		o += snprintf(list + o, sizeof(list) - o, "%s%s", i ? "," : "", c->eal_args[i]);
	snprintf(list + o, sizeof(list) - o, "]");
	snprintf(out[n++], LINE_MAX_LEN, "eal.args=%s", list);

	snprintf(out[n++], LINE_MAX_LEN, "port.device=%s", c->port_device);
	snprintf(out[n++], LINE_MAX_LEN, "port.rx_desc=%u", c->rx_desc);
	snprintf(out[n++], LINE_MAX_LEN, "port.tx_desc=%u", c->tx_desc);
	snprintf(out[n++], LINE_MAX_LEN, "port.mbufs=%u", c->nb_mbufs);
	snprintf(out[n++], LINE_MAX_LEN, "port.mtu=%u", c->mtu);
	snprintf(out[n++], LINE_MAX_LEN, "port.checksum_offload=%s", tri(c->csum_offload));
	snprintf(out[n++], LINE_MAX_LEN, "port.promiscuous=%s", yesno(c->promiscuous));
	snprintf(out[n++], LINE_MAX_LEN, "port.rx_timestamp=%s",
		 c->rx_ts == TW_CONF_RX_TS_AUTO ? "auto" :
		 c->rx_ts == TW_CONF_RX_TS_HARDWARE ? "hardware" :
		 c->rx_ts == TW_CONF_RX_TS_SOFTWARE ? "software" : "?");
	snprintf(out[n++], LINE_MAX_LEN, "port.distribution=%s",
		 c->distribution == TW_CONF_DIST_AUTO ? "auto" :
		 c->distribution == TW_CONF_DIST_RSS ? "rss" :
		 c->distribution == TW_CONF_DIST_SOFTWARE ? "software" : "?");
	snprintf(out[n++], LINE_MAX_LEN, "port.rx_worker_weight=%u", c->dist_rx_weight);

	snprintf(out[n++], LINE_MAX_LEN, "exception.enabled=%s", yesno(c->exception_enabled));
	snprintf(out[n++], LINE_MAX_LEN, "exception.tap=%s", c->tap_name);
	assert_true(c->nb_addrs <= TW_CONF_MAX_ADDRS);
	fmt_addrs(list, sizeof(list), c->addrs, c->nb_addrs);
	snprintf(out[n++], LINE_MAX_LEN, "exception.addresses=%s", list);

	snprintf(out[n++], LINE_MAX_LEN, "light.enabled=%s", yesno(c->light_enabled));
	assert_true(c->nb_light_ports <= TW_CONF_MAX_PORT_RANGES);
	o = snprintf(list, sizeof(list), "[");
	for (i = 0; i < c->nb_light_ports; i++) {
		const struct tw_conf_port_range *r = &c->light_ports[i];

		if (r->lo == r->hi)
			o += snprintf(list + o, sizeof(list) - o, "%s%u", i ? "," : "", r->lo);
		else
			o += snprintf(list + o, sizeof(list) - o, "%s%u-%u", i ? "," : "", r->lo,
				      r->hi);
	}
	snprintf(list + o, sizeof(list) - o, "]");
	snprintf(out[n++], LINE_MAX_LEN, "light.ports=%s", list);
	assert_true(c->nb_light_addrs <= TW_CONF_MAX_ADDRS);
	fmt_addrs(list, sizeof(list), c->light_addrs, c->nb_light_addrs);
	snprintf(out[n++], LINE_MAX_LEN, "light.addresses=%s", list);
	snprintf(out[n++], LINE_MAX_LEN, "light.max_flows=%u", c->max_flows);
	snprintf(out[n++], LINE_MAX_LEN, "light.flow_idle_timeout=%u", c->flow_idle_timeout_s);

	snprintf(out[n++], LINE_MAX_LEN, "clock.synchronized=%s", tri(c->clock_synchronized));
	snprintf(out[n++], LINE_MAX_LEN, "clock.resync_interval_ms=%u", c->clock_resync_ms);
	snprintf(out[n++], LINE_MAX_LEN, "clock.timestamp_format=%s",
		 c->ts_format == TW_CONF_TS_NTP ? "ntp" :
		 c->ts_format == TW_CONF_TS_PTP ? "ptp" :
		 c->ts_format == TW_CONF_TS_AUTO ? "auto" : "?");
	snprintf(out[n++], LINE_MAX_LEN, "clock.source=%s",
		 c->clock_source == TW_CONF_CLOCK_REALTIME ? "realtime" :
		 c->clock_source == TW_CONF_CLOCK_TAI ? "tai" :
		 c->clock_source == TW_CONF_CLOCK_PHC ? "phc" : "?");
	snprintf(out[n++], LINE_MAX_LEN, "clock.phc=%s", c->clock_phc);
	snprintf(out[n++], LINE_MAX_LEN, "clock.error_ns=%u", c->clock_error_ns);

	snprintf(out[n++], LINE_MAX_LEN, "control.enabled=%s", c->control_enabled ? "true" : "false");
	snprintf(out[n++], LINE_MAX_LEN, "control.port=%u", c->control_port);
	snprintf(out[n++], LINE_MAX_LEN, "control.modes=0x%x", c->control_modes);
	snprintf(out[n++], LINE_MAX_LEN, "control.count=%u", c->control_count);
	o = snprintf(list, sizeof(list), "[");
	for (i = 0; i < c->nb_control_test_ports; i++) {
		const struct tw_conf_port_range *r = &c->control_test_ports[i];

		if (r->lo == r->hi)
			o += snprintf(list + o, sizeof(list) - o, "%s%u", i ? "," : "", r->lo);
		else
			o += snprintf(list + o, sizeof(list) - o, "%s%u-%u", i ? "," : "", r->lo,
				      r->hi);
	}
	snprintf(list + o, sizeof(list) - o, "]");
	snprintf(out[n++], LINE_MAX_LEN, "control.test_ports=%s", list);
	snprintf(out[n++], LINE_MAX_LEN, "control.max_connections=%u", c->control_max_conns);
	snprintf(out[n++], LINE_MAX_LEN, "control.max_connections_per_source=%u",
		 c->control_max_conns_per_source);
	snprintf(out[n++], LINE_MAX_LEN, "control.connection_rate_per_source=%u",
		 c->control_conn_rate);
	snprintf(out[n++], LINE_MAX_LEN, "control.connection_burst_per_source=%u",
		 c->control_conn_burst);
	snprintf(out[n++], LINE_MAX_LEN, "control.max_sessions=%u", c->control_max_sessions);
	snprintf(out[n++], LINE_MAX_LEN, "control.max_sessions_per_connection=%u",
		 c->control_max_sessions_per_conn);
	snprintf(out[n++], LINE_MAX_LEN, "control.handshake_timeout=%u",
		 c->control_handshake_timeout_s);
	snprintf(out[n++], LINE_MAX_LEN, "control.refwait=%u", c->control_refwait_s);
	snprintf(out[n++], LINE_MAX_LEN, "control.max_padding=%u", c->control_max_padding);
	snprintf(out[n++], LINE_MAX_LEN, "control.keystore=%s", c->keystore);
	/* Keys print as id:hex so a row can pin the exact secret octets. */
	o = snprintf(list, sizeof(list), "[");
	for (i = 0; i < c->nb_keys; i++) {
		o += snprintf(list + o, sizeof(list) - o, "%s%s:", i ? "," : "", c->keys[i].id);
		for (unsigned int j = 0; j < c->keys[i].secret_len; j++)
			o += snprintf(list + o, sizeof(list) - o, "%02x", c->keys[i].secret[j]);
	}
	snprintf(list + o, sizeof(list) - o, "]");
	snprintf(out[n++], LINE_MAX_LEN, "control.keys=%s", list);
	snprintf(out[n++], LINE_MAX_LEN, "control.ike_static_keys=%s", c->ike_static_keys);
	snprintf(out[n++], LINE_MAX_LEN, "control.ike_spi_layout=%s",
		 c->ike_spi_layout == TW_CONF_SPI_4_4 ? "4+4" : "8+8");
	snprintf(out[n++], LINE_MAX_LEN, "control.ike_provider=%s",
		 c->ike_provider == TW_CONF_IKE_STATIC ? "static" :
		 c->ike_provider == TW_CONF_IKE_DAEMON ? "ike-daemon" : "none");
	snprintf(out[n++], LINE_MAX_LEN, "control.ike_socket=%s", c->ike_socket);
	snprintf(out[n++], LINE_MAX_LEN, "control.ike_timeout_ms=%u", c->ike_timeout_ms);
	return n;
}

/* Split "k=v\n..." into lines; `over` replaces the line with the same key. */
static unsigned int
expected(const char *over, char out[][LINE_MAX_LEN])
{
	const char *s, *nl, *eq;
	unsigned int n = 0, i;
	size_t klen;

	for (s = defaults; *s != '\0'; s = nl + 1) {
		nl = strchr(s, '\n');
		assert_non_null(nl);
		assert_true(n < NB_FIELDS);
		snprintf(out[n++], LINE_MAX_LEN, "%.*s", (int)(nl - s), s);
	}
	for (s = over; *s != '\0'; s = nl + 1) {
		nl = strchr(s, '\n');
		assert_non_null(nl);	/* every override line ends in \n */
		eq = memchr(s, '=', (size_t)(nl - s));
		assert_non_null(eq);
		klen = (size_t)(eq - s) + 1;
		for (i = 0; i < n; i++) {
			if (strncmp(out[i], s, klen) == 0)
				break;
		}
		if (i == n)
			fail_msg("test row names an unknown field: %.*s", (int)(nl - s), s);
		snprintf(out[i], LINE_MAX_LEN, "%.*s", (int)(nl - s), s);
	}
	return n;
}

static void
assert_conf(const struct tw_conf *c, const char *over)
{
	static char want[NB_FIELDS][LINE_MAX_LEN], got[NB_FIELDS + 1][LINE_MAX_LEN];
	unsigned int nw, ng, i;

	nw = expected(over, want);
	ng = dump(c, got);
	assert_int_equal(nw, ng);
	for (i = 0; i < nw; i++)
		assert_string_equal(got[i], want[i]);
}

static void
test_valid(void **state)
{
	const struct valid_row *r = *state;
	struct tw_conf c;
	char err[512] = "";
	int rc;

	rc = tw_conf_parse(r->yaml, strlen(r->yaml), "t.yaml", &c, err, sizeof(err));
	if (rc != 0)
		fail_msg("rc %d: %s", rc, err);
	assert_conf(&c, r->expect);
}

static void
test_invalid(void **state)
{
	const struct invalid_row *r = *state;
	struct tw_conf c;
	char err[512] = "";

	assert_int_equal(tw_conf_parse(r->yaml, r->len, "t.yaml", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, r->err);
}

static void
test_defaults(void **state)
{
	struct tw_conf c;

	(void)state;

	memset(&c, 0xa5, sizeof(c));
	tw_conf_defaults(&c);
	assert_conf(&c, "");
}

struct addr_row {
	const char *in;
	int rc;
	uint8_t family;
	uint8_t prefixlen;
	uint8_t addr[16];
};

static const struct addr_row addr_rows[] = {
	{ "198.18.0.1", 0, 4, 32, { 198, 18, 0, 1 } },
	{ "198.18.0.1/24", 0, 4, 24, { 198, 18, 0, 1 } },
	{ "0.0.0.0/1", 0, 4, 1, { 0 } },
	{ "255.255.255.255/32", 0, 4, 32, { 255, 255, 255, 255 } },
	{ "2001:db8::1", 0, 6, 128, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
	{ "2001:db8::1/64", 0, 6, 64, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
	{ "::/128", 0, 6, 128, { 0 } },
	{ "::ffff:192.0.2.1/120", 0, 6, 120, { [10] = 0xff, 0xff, 192, 0, 2, 1 } },
	{ "FE80::A/10", 0, 6, 10, { 0xfe, 0x80, [15] = 0x0a } },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 0, 6, 128,
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff } },
	{ "", -EINVAL, 0, 0, { 0 } },
	{ "/24", -EINVAL, 0, 0, { 0 } },
	{ "198.18.0.1/", -EINVAL, 0, 0, { 0 } },
	{ "198.18.0.1/0", -EINVAL, 0, 0, { 0 } },
	{ "198.18.0.1/33", -EINVAL, 0, 0, { 0 } },
	{ "198.18.0.1/024", -EINVAL, 0, 0, { 0 } },
	{ "198.18.0.1/+24", -EINVAL, 0, 0, { 0 } },
	{ "198.18.0.1/24/8", -EINVAL, 0, 0, { 0 } },
	{ "198.18.0.1/24 ", -EINVAL, 0, 0, { 0 } },
	{ "198.18.0.1/99999999999999999999", -EINVAL, 0, 0, { 0 } },
	{ " 198.18.0.1", -EINVAL, 0, 0, { 0 } },
	{ "198.18.0", -EINVAL, 0, 0, { 0 } },
	{ "198.018.0.1", -EINVAL, 0, 0, { 0 } },
	{ "2001:db8::1/129", -EINVAL, 0, 0, { 0 } },
	{ "2001:db8::1/0", -EINVAL, 0, 0, { 0 } },
	{ "2001:db8:::1", -EINVAL, 0, 0, { 0 } },
	{ "fe80::1%eth0", -EINVAL, 0, 0, { 0 } },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555", -EINVAL, 0, 0, { 0 } },
	{ "localhost", -EINVAL, 0, 0, { 0 } },
};

static void
test_addr_parse(void **state)
{
	struct tw_conf_addr a;
	unsigned int i;

	(void)state;

	for (i = 0; i < ARRAY_SIZE(addr_rows); i++) {
		const struct addr_row *r = &addr_rows[i];

		memset(&a, 0x5a, sizeof(a));
		if (tw_conf_addr_parse(r->in, &a) != r->rc)
			fail_msg("\"%s\": expected %d", r->in, r->rc);
		if (r->rc != 0)
			continue;
		assert_int_equal(a.family, r->family);
		assert_int_equal(a.prefixlen, r->prefixlen);
		assert_memory_equal(a.addr, r->addr, 16);
	}
	assert_int_equal(tw_conf_addr_parse(NULL, &a), -EINVAL);
	assert_int_equal(tw_conf_addr_parse("192.0.2.1", NULL), -EINVAL);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
test_load(void **state)
{
	static const char cfg[] =
		"port:\n  device: net_null0\nexception:\n  addresses: [192.0.2.1]\n";
	char path[] = "/tmp/test_conf_XXXXXX";
	char err[512], want[600];
	struct tw_conf c;
	int fd;

	(void)state;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	write_file(path, cfg, sizeof(cfg) - 1);
	assert_int_equal(tw_conf_load(path, &c, err, sizeof(err)), 0);
	assert_conf(&c, ADDR_EXP "port.device=net_null0\n");

	/* Errors name the file. */
	write_file(path, "port:\n  mtu: 10\n", 16);
	assert_int_equal(tw_conf_load(path, &c, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2:8: port.mtu: \"10\" is out of range (68-9600)", path);
	assert_string_equal(err, want);

	assert_int_equal(unlink(path), 0);
}

/* Write `text` to dir/name with `mode`. */
static void
write_named(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* Keystore: the pfs text format, relative to the config, refused when others can read it. */
static void
test_keystore(void **state)
{
	static const struct {
		const char *text;
		mode_t mode;
		int rc;
		const char *err;	/* suffix after the path, or NULL for success */
	} rows[] = {
		{ "# lab keys\n\nlab 7477616d702d6c61622d736563726574\n  other\t00ff\n", 0600, 0,
		  NULL },
		{ "lab 00\n", 0640, -EPERM, "keystore is accessible by group or others (mode 640): "
		  "chmod 600 it" },
		{ "lab 00\n", 0604, -EPERM, "keystore is accessible by group or others (mode 604): "
		  "chmod 600 it" },
		{ "lab\n", 0600, -EINVAL, ":1: expected \"KeyID hex-passphrase\"" },
		{ "lab 0\n", 0600, -EINVAL, ":1: passphrase is not an even number of hex digits "
		  "(1-256 octets)" },
		{ "a 00\nb 01 extra\n", 0600, -EINVAL, ":2: expected \"KeyID hex-passphrase\"" },
		{ "a 00\na 01\n", 0600, -EINVAL, ":2: KeyID listed twice" },
	};
	char dir[] = "/tmp/test_conf_ks.XXXXXX", cfg[600], err[600], want[700];
	static struct tw_conf c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_named(dir, "t.yaml", "exception: {addresses: [198.18.0.1]}\n"
		   "control: {enabled: true, modes: [authenticated], keystore: keys.pfs,\n"
		   "          keys: [{id: inline, secret: s}]}\n", 0644);
	snprintf(cfg, sizeof(cfg), "%s/t.yaml", dir);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		int rc;

		write_named(dir, "keys.pfs", rows[i].text, rows[i].mode);
		rc = tw_conf_load(cfg, &c, err, sizeof(err));
		if (rows[i].err == NULL) {
			assert_int_equal(rc, 0);
			assert_int_equal(c.nb_keys, 3);
			assert_string_equal(c.keys[0].id, "inline");
			assert_string_equal(c.keys[1].id, "lab");
			assert_int_equal(c.keys[1].secret_len, 16);
			assert_memory_equal(c.keys[1].secret, "twamp-lab-secret", 16);
			assert_string_equal(c.keys[2].id, "other");
			assert_int_equal(c.keys[2].secret_len, 2);
			assert_memory_equal(c.keys[2].secret, "\x00\xff", 2);
			tw_conf_wipe_keys(&c);
			assert_int_equal(c.nb_keys, 0);
			assert_int_equal(c.keys[1].secret[0], 0);
			continue;
		}
		assert_int_equal(rc, rows[i].rc);
		snprintf(want, sizeof(want), "%s/keys.pfs%s%s", dir, rows[i].err[0] == ':' ? "" : ": ",
			 rows[i].err);
		assert_string_equal(err, want);
	}
	snprintf(want, sizeof(want), "%s/keys.pfs", dir);
	unlink(want);
	assert_int_equal(tw_conf_load(cfg, &c, err, sizeof(err)), -ENOENT);
	unlink(cfg);
	rmdir(dir);
}

static void
test_load_missing(void **state)
{
	char err[512];
	struct tw_conf c;

	(void)state;

	assert_int_equal(tw_conf_load("/nonexistent/twr.yaml", &c, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/twr.yaml: cannot open: No such file or directory");
	assert_int_equal(tw_conf_load("/", &c, err, sizeof(err)), -EISDIR);
	assert_string_equal(err, "/: cannot read: Is a directory");
}

/* 1 MiB of comments is accepted; one more byte is refused before parsing. */
static void
test_load_too_big(void **state)
{
	enum { MIB = 1 << 20 };
	char path[] = "/tmp/test_conf_XXXXXX";
	char err[512], want[600];
	struct tw_conf c;
	char *big;
	size_t i;
	int fd;

	(void)state;

	big = malloc(MIB + 1);
	assert_non_null(big);
	for (i = 0; i < MIB + 1; i++)
		big[i] = (i % 64 == 63) ? '\n' : i % 64 == 0 ? '#' : 'x';
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	write_file(path, big, MIB);
	assert_int_equal(tw_conf_load(path, &c, err, sizeof(err)), 0);
	write_file(path, big, MIB + 1);
	assert_int_equal(tw_conf_load(path, &c, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than 1 MiB, too big to be a configuration file",
		 path);
	assert_string_equal(err, want);

	assert_int_equal(unlink(path), 0);
	free(big);
}

/* Messages are cut to the buffer, always terminated; no buffer at all is fine too. */
static void
test_errbuf(void **state)
{
	static const char bad[] = "port: {mtu: 1}";
	struct tw_conf c;
	char err[12], big[512];

	(void)state;

	memset(err, 'x', sizeof(err));
	assert_int_equal(tw_conf_parse(bad, strlen(bad), "t.yaml", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:1:13");
	memset(err, 'x', sizeof(err));
	assert_int_equal(tw_conf_parse(bad, strlen(bad), "a-very-long-file-name.yaml", &c, err,
				       sizeof(err)), -EINVAL);
	assert_string_equal(err, "a-very-long");
	assert_int_equal(tw_conf_parse(bad, strlen(bad), "t.yaml", &c, NULL, 0), -EINVAL);
	err[0] = 'x';
	assert_int_equal(tw_conf_parse(bad, strlen(bad), "t.yaml", &c, err, 0), -EINVAL);
	assert_int_equal(err[0], 'x');
	assert_int_equal(tw_conf_parse(NULL, 0, "t.yaml", &c, err, sizeof(err)), 0);
	assert_int_equal(tw_conf_parse(NULL, 1, "t.yaml", &c, err, sizeof(err)), -EINVAL);
	/* Text need not be NUL-terminated: only len bytes are read. */
	assert_int_equal(tw_conf_parse("port: {mtu: 1500}}}}", 17, "t.yaml", &c, big, sizeof(big)),
			 -EINVAL);
	assert_string_equal(big, "t.yaml:1:1: light: no reflector addresses "
			    "(set exception.addresses or light.addresses)");
}

/* Inputs meant to exhaust something: each must fail fast and cleanly. */
static void
test_hostile(void **state)
{
	enum { DEEP = 200000 };
	struct tw_conf c;
	char err[512];
	char *s;
	size_t i;

	(void)state;

	s = malloc(DEEP + 64);
	assert_non_null(s);

	/* Deep nesting at the top, inside a section, and inside a key. */
	memset(s, '[', DEEP);
	assert_int_equal(tw_conf_parse(s, DEEP, "t.yaml", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:1:1: expected a mapping of sections "
			    "(eal, port, exception, light, clock, control), got a list");
	i = (size_t)snprintf(s, 64, "eal: {args: ");
	memset(s + i, '[', DEEP);
	assert_int_equal(tw_conf_parse(s, i + DEEP, "t.yaml", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:1:14: eal.args: expected a string, got a list");
	i = (size_t)snprintf(s, 64, "port: ");
	memset(s + i, '{', DEEP);
	assert_int_equal(tw_conf_parse(s, i + DEEP, "t.yaml", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:1:8: port: expected a key, got a mapping");

	/* A 200 kB scalar. */
	i = (size_t)snprintf(s, 64, "port: {device: ");
	memset(s + i, 'd', DEEP);
	assert_int_equal(tw_conf_parse(s, i + DEEP, "t.yaml", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:1:16: port.device: "
			    "\"dddddddddddddddddddddddddddddddddddddddd\"... "
			    "is too long (200000 bytes, at most 255)");

	/* All NULs. */
	memset(s, 0, DEEP);
	assert_int_equal(tw_conf_parse(s, DEEP, "t.yaml", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:1:1: control characters are not allowed (#x0)");
	free(s);
}

/*
 * A poor man's fuzzer, so every build runs some: mutate a full config byte by byte and
 * truncate it. Nothing may crash, leak (valgrind, ASan) or return an unexpected code, and an
 * error must always be a "t.yaml:L:C: " message.
 */
static void
test_mutations(void **state)
{
	const char *base = valid_rows[ARRAY_SIZE(valid_rows) - 1].yaml;
	static const char alphabet[] = "\0\t\n\r -:[]{},'\"&*!#|>%@`~?\\/0123456789aZ\x80\xff\xc3";
	size_t len = strlen(base), i, j;
	uint32_t x = 2463534242u;
	char buf[4096], err[512];
	struct tw_conf c;
	int rc;

	(void)state;

	assert_true(len < sizeof(buf));
	for (i = 0; i < 4000; i++) {
		size_t n = len;

		memcpy(buf, base, len);
		for (j = 0; j < 1 + i % 4; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[x % len] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
		}
		if (i % 3 == 0)
			n = (x >> 8) % (len + 1);
		rc = tw_conf_parse(buf, n, "t.yaml", &c, err, sizeof(err));
		if (rc == 0)
			continue;
		assert_int_equal(rc, -EINVAL);
		assert_memory_equal(err, "t.yaml:", 7);
	}
}

struct changed_rec {
	char names[16][64];
	int n;
};

static void
changed_cb(void *arg, const char *section, const char *key)
{
	struct changed_rec *r = arg;

	assert_true(r->n < 16);
	snprintf(r->names[r->n++], sizeof(r->names[0]), "%s.%s", section, key);
}

/* A reload names exactly the keys that differ, lists and secrets included. */
static void
test_changed(void **state)
{
	static const char base[] =
		"exception: {addresses: [198.18.0.1/24]}\n"
		"light: {ports: [862]}\n"
		"control: {enabled: true, modes: [authenticated], max_connections: 10,\n"
		"          keys: [{id: a, secret: one}]}\n";
	static const char other[] =
		"exception: {addresses: [198.18.0.1/24]}\n"
		"light: {ports: [862, 863]}\n"
		"control: {enabled: true, modes: [authenticated], max_connections: 12,\n"
		"          keys: [{id: a, secret: two}]}\n"
		"clock: {error_ns: 500}\n";
	static struct tw_conf a, b;
	struct changed_rec r = { .n = 0 };
	char err[256];

	(void)state;
	assert_int_equal(tw_conf_parse(base, strlen(base), "a.yaml", &a, err, sizeof(err)), 0);
	assert_int_equal(tw_conf_parse(base, strlen(base), "a.yaml", &b, err, sizeof(err)), 0);
	assert_int_equal(tw_conf_changed(&a, &b, changed_cb, &r), 0);
	assert_int_equal(tw_conf_parse(other, strlen(other), "b.yaml", &b, err, sizeof(err)), 0);
	assert_int_equal(tw_conf_changed(&a, &b, changed_cb, &r), 4);
	assert_string_equal(r.names[0], "light.ports");
	assert_string_equal(r.names[1], "clock.error_ns");
	assert_string_equal(r.names[2], "control.max_connections");
	assert_string_equal(r.names[3], "control.keys");
	assert_int_equal(tw_conf_changed(&a, &b, NULL, NULL), 4);
}

int
main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(valid_rows) + ARRAY_SIZE(invalid_rows) + 10];
	unsigned int n = 0, i;

	for (i = 0; i < ARRAY_SIZE(valid_rows); i++)
		tests[n++] = (struct CMUnitTest){ .name = valid_rows[i].name,
						  .test_func = test_valid,
						  .initial_state = (void *)&valid_rows[i] };
	for (i = 0; i < ARRAY_SIZE(invalid_rows); i++)
		tests[n++] = (struct CMUnitTest){ .name = invalid_rows[i].name,
						  .test_func = test_invalid,
						  .initial_state = (void *)&invalid_rows[i] };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_defaults);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_addr_parse);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_load);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_load_missing);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_keystore);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_changed);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_load_too_big);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_errbuf);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_hostile);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_mutations);
	if (n != ARRAY_SIZE(tests))
		return 1;
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
