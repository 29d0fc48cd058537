/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration: one YAML file (libyaml) parsed once into a validated struct tw_conf, which the
 * app then treats as const. Every error names file:line:column and what was expected.
 * Unknown keys are errors: a typo must never silently fall back to a default.
 */
#ifndef TW_CONF_H
#define TW_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tw_conf_limits {
	TW_CONF_MAX_EAL_ARGS = 32,
	TW_CONF_MAX_STR = 256,
	TW_CONF_MAX_ADDRS = 16,
	TW_CONF_MAX_PORT_RANGES = 64,
	TW_CONF_IFNAMSIZ = 16,		/* IFNAMSIZ, including the NUL */
	TW_CONF_MAX_KEYS = 64,
	TW_CONF_KEYID_LEN = 80,		/* RFC 4656 §3.1: KeyID is 80 octets (UTF-8, zero-padded) */
	TW_CONF_MAX_SECRET = 256,
};

/* TWAMP-Control Modes bits (RFC 4656 §3.1, RFC 5618, RFC 5938, RFC 6038). */
enum tw_conf_mode {
	TW_CONF_MODE_UNAUTH = 1,
	TW_CONF_MODE_AUTH = 2,
	TW_CONF_MODE_ENC = 4,
	TW_CONF_MODE_MIXED = 8,
	TW_CONF_MODE_ISC = 16,		/* individual session control */
	TW_CONF_MODE_REFLECT_OCTETS = 32,
	TW_CONF_MODE_SYMMETRICAL = 64,
};

/* Where the IKE SA's SPIs sit in Key ID (RFC 7717 mode 128; docs/control.rst). */
/* RFC 7717 mode 128: where the IKEv2-derived shared secrets come from. */
enum tw_conf_ike_provider {
	TW_CONF_IKE_NONE = 0,		/* mode 128 not offered */
	TW_CONF_IKE_STATIC,		/* control.ike_static_keys: a file of SAs */
	TW_CONF_IKE_DAEMON,		/* control.ike_socket: the IKE daemon's "ippm" socket */
};

#define TW_CONF_IKE_SOCKET_DEFAULT "/run/strongswan/ippm.sock"

enum tw_conf_spi_layout {
	TW_CONF_SPI_8_8 = 0,		/* RFC 7296 §3.1 SPI size: SPIi (8), SPIr (8) */
	TW_CONF_SPI_4_4 = 1,		/* draft-ietf-ippm-ipsec-06 Figure 3: 4 + 4 */
};

/* A shared secret for a KeyID (RFC 4656 §3.1). Wipe with tw_conf_wipe_keys() when done. */
struct tw_conf_key {
	char id[TW_CONF_KEYID_LEN + 1];
	uint16_t secret_len;
	uint8_t secret[TW_CONF_MAX_SECRET];
};

enum tw_conf_tristate {
	TW_CONF_AUTO = -1,
	TW_CONF_OFF = 0,
	TW_CONF_ON = 1,
};

struct tw_conf_addr {
	uint8_t family;		/* 4 or 6 */
	uint8_t prefixlen;	/* 32/128 when the YAML gave no /len */
	uint8_t addr[16];	/* network order; IPv4 uses the first 4 octets */
};

struct tw_conf_port_range {
	uint16_t lo;
	uint16_t hi;		/* inclusive; lo == hi for a single port */
};

/* Format of T2/T3 (RFC 4656 §4.1.2 NTP, or RFC 8186 PTPv2 truncated, Z bit of Error Estimate) */
enum tw_conf_ts_format {
	TW_CONF_TS_NTP = 0,		/* always NTP; Modes bit 512 (RFC 8186) not offered */
	TW_CONF_TS_PTP = 1,		/* TWAMP Light: always PTP; Control: 512 offered, PTP if chosen */
	TW_CONF_TS_AUTO = 2,		/* TWAMP Light: the sender's Z bit; Control: 512 offered */
};

/* The wall clock the timestamp model follows (clock.source). */
enum tw_conf_clock_source {
	TW_CONF_CLOCK_REALTIME = 0,	/* CLOCK_REALTIME (UTC, what NTP disciplines) */
	TW_CONF_CLOCK_TAI = 1,		/* CLOCK_TAI minus the kernel's TAI offset (UTC) */
	TW_CONF_CLOCK_PHC = 2,		/* a PTP hardware clock, clock.phc (/dev/ptpN), TAI -> UTC */
};

/* Where T2 comes from (port.rx_timestamp). */
enum tw_conf_rx_ts {
	TW_CONF_RX_TS_AUTO = 0,		/* the NIC's per-packet timestamp when it has one */
	TW_CONF_RX_TS_HARDWARE = 1,	/* the NIC's, or refuse to start */
	TW_CONF_RX_TS_SOFTWARE = 2,	/* the TSC, once per RX burst */
};

/* How received packets reach the workers (port.distribution). */
enum tw_conf_distribution {
	TW_CONF_DIST_AUTO = 0,		/* rss when the port has a queue pair per worker, else software */
	TW_CONF_DIST_RSS = 1,		/* one queue pair per worker, the port's RSS: or refuse to start */
	TW_CONF_DIST_SOFTWARE = 2,	/* one queue pair; worker 0 hashes the 5-tuple to the workers */
};

struct tw_conf {
	/* eal: */
	char lcores[TW_CONF_MAX_STR];		/* "0,1": first is the main (control) lcore */
	char file_prefix[TW_CONF_MAX_STR];	/* EAL --file-prefix ("" = EAL default) */
	char log_level[TW_CONF_MAX_STR];	/* EAL --log-level value ("" = none given) */
	char eal_args[TW_CONF_MAX_EAL_ARGS][TW_CONF_MAX_STR];
	unsigned int nb_eal_args;

	/* port: */
	char port_device[TW_CONF_MAX_STR];	/* vdev devargs "net_af_packet0,iface=x" or PCI */
	uint16_t rx_desc;			/* default 1024 */
	uint16_t tx_desc;			/* default 1024 */
	uint32_t nb_mbufs;			/* default 8191 */
	uint16_t mtu;				/* default 1500 */
	enum tw_conf_tristate csum_offload;	/* default auto */
	bool promiscuous;			/* default true */
	enum tw_conf_rx_ts rx_ts;		/* default auto */
	enum tw_conf_distribution distribution;	/* default auto */
	uint16_t dist_rx_weight;		/* software: worker 0's share, % of another's; 50 */

	/* exception: */
	bool exception_enabled;			/* default true */
	char tap_name[TW_CONF_IFNAMSIZ];	/* default "twr0" */
	struct tw_conf_addr addrs[TW_CONF_MAX_ADDRS];	/* the reflector's own addresses */
	unsigned int nb_addrs;

	/* light: (TWAMP Light, RFC 5357 Appendix I) */
	bool light_enabled;			/* default true */
	struct tw_conf_port_range light_ports[TW_CONF_MAX_PORT_RANGES];
	unsigned int nb_light_ports;		/* default: one range, 862 */
	struct tw_conf_addr light_addrs[TW_CONF_MAX_ADDRS];	/* default: copy of addrs */
	unsigned int nb_light_addrs;
	uint32_t max_flows;			/* per worker, default 65536 */
	uint32_t flow_idle_timeout_s;		/* default 900 (RFC 5357 REFWAIT) */

	/* clock: */
	enum tw_conf_tristate clock_synchronized;	/* default auto: ask the kernel */
	uint32_t clock_resync_ms;		/* default 1000 */
	enum tw_conf_ts_format ts_format;	/* default auto */
	enum tw_conf_clock_source clock_source;	/* default realtime */
	char clock_phc[TW_CONF_MAX_STR];	/* clock.phc: /dev/ptpN, with source phc */
	/* clock.error_ns: the error bound to claim for a clock disciplined outside the kernel's
	 * view (PTP on a PHC; "synchronized: yes"); 0: the kernel's estimate, at least 1 us */
	uint32_t clock_error_ns;

	/* control: (TWAMP-Control server, RFC 5357 §3) */
	bool control_enabled;			/* default false */
	uint16_t control_port;			/* default 862 */
	uint32_t control_modes;			/* TW_CONF_MODE_* bits offered; default 1|16|32|64 */
	uint32_t control_count;			/* PBKDF2 iterations in the greeting, default 1024 */
	struct tw_conf_port_range control_test_ports[TW_CONF_MAX_PORT_RANGES];
	unsigned int nb_control_test_ports;	/* default 20100-20199 */
	uint32_t control_max_conns;		/* default 64 */
	uint32_t control_max_conns_per_source;	/* default 8 */
	uint32_t control_conn_rate;		/* new connections/s per source, default 20; 0 off */
	uint32_t control_conn_burst;		/* ... at most this many at once, default 40 */
	uint32_t control_max_sessions;		/* total, default 1024 */
	uint32_t control_max_sessions_per_conn;	/* default 64 */
	uint32_t control_handshake_timeout_s;	/* per step, default 10 */
	uint32_t control_refwait_s;		/* RFC 5357 §3.8 REFWAIT, default 900 */
	uint32_t control_max_padding;		/* octets, default 1400 */
	char keystore[TW_CONF_MAX_STR];		/* "KeyID hex-passphrase" file, "" = none */
	/* RFC 7717 mode 128: "SPIi SPIr PRF SK_d" file of the static key provider ("" = none;
	 * relative to the config file once loaded), and the Key ID SPI layout. */
	char ike_static_keys[TW_CONF_MAX_STR];
	enum tw_conf_spi_layout ike_spi_layout;	/* default 8+8 */
	/* control.ike_provider: given, or implied by which of ike_static_keys / ike_socket is set
	 * (both: an error); ike-daemon without ike_socket uses TW_CONF_IKE_SOCKET_DEFAULT. */
	enum tw_conf_ike_provider ike_provider;	/* default none */
	char ike_socket[TW_CONF_MAX_STR];	/* UNIX socket of the IKE daemon's ippm plugin */
	uint32_t ike_timeout_ms;		/* per lookup, default 2000 */
	struct tw_conf_key keys[TW_CONF_MAX_KEYS];	/* inline control.keys, then the keystore's */
	unsigned int nb_keys;
};

/* Fill every field with its default. */
void tw_conf_defaults(struct tw_conf *c);

/*
 * Compare two configurations key by key (for a reload): cb(arg, "control", "max_connections")
 * for every key whose value differs (secrets are compared in constant time and never shown).
 * @return how many keys differ.
 */
int tw_conf_changed(const struct tw_conf *a, const struct tw_conf *b,
		    void (*cb)(void *arg, const char *section, const char *key), void *arg);

/*
 * Parse YAML text. `name` is used in error messages (the file name).
 * On error, errbuf gets "name:line:col: message" (line and column 1-based) and the struct is
 * left in an unspecified state.
 * @return 0, or -EINVAL (bad content), -ENOMEM.
 */
int tw_conf_parse(const char *text, size_t len, const char *name, struct tw_conf *c,
		  char *errbuf, size_t errlen);

/* Read and parse a file. @return 0, -errno of open/read (with errbuf set), or as tw_conf_parse. */
int tw_conf_load(const char *path, struct tw_conf *c, char *errbuf, size_t errlen);

/*
 * Load a keystore file: one "KeyID hex-passphrase" per line (the owampd/twampd pfs format),
 * blank lines and # comments allowed. Keys are appended to c->keys. The file must not be
 * readable or writable by group or others (a key file anyone can read is no secret).
 * @return 0, -EPERM (permissions), -EINVAL (content, errbuf "path:line: message"), -errno.
 */
int tw_conf_keystore_load(const char *path, struct tw_conf *c, char *errbuf, size_t errlen);

/* Overwrite every secret in c (keys and their count). */
void tw_conf_wipe_keys(struct tw_conf *c);

/* Parse "198.18.0.1/24", "2001:db8::1/64", "198.18.0.1" into a. @return 0 or -EINVAL. */
int tw_conf_addr_parse(const char *s, struct tw_conf_addr *a);

#endif /* TW_CONF_H */
