#!/bin/sh
# Build the "ippm" charon plugin (libstrongswan-ippm.so) against the Debian 12
# strongswan *source* package matching the installed strongswan-libcharon.
# Idempotent: sources and the configured tree are cached in $CACHE.
#
#   tools/strongswan/build.sh [CACHE_DIR]     (default /var/cache/twamp-reflector/strongswan)
#
# Needs root the first time (apt-get update/install, deb-src entry).
# Output: $CACHE/libstrongswan-ippm.so
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${1:-${IPPM_CACHE:-/var/cache/twamp-reflector/strongswan}}
SRCLIST=/etc/apt/sources.list.d/twr-src.sources
# Only the mediation (ME) define changes the layout of libcharon's public
# structs (daemon_t, ike_sa_t, peer_cfg_t, ...); Debian builds with it.
CONFIGURE_FLAGS="--prefix=/usr --sysconfdir=/etc --libdir=/usr/lib
 --libexecdir=/usr/lib --disable-defaults --enable-charon --enable-ikev1
 --enable-ikev2 --enable-mediation --disable-scripts"

log() { echo "build.sh: $*" >&2; }

DEBVER=$(dpkg-query -W -f '${Version}' strongswan-libcharon 2>/dev/null || true)
if [ -z "$DEBVER" ]; then
	log "strongswan-libcharon is not installed (apt-get install strongswan-charon strongswan-swanctl)"
	exit 1
fi
UPVER=${DEBVER%%-*}
log "installed strongswan-libcharon $DEBVER (upstream $UPVER)"
mkdir -p "$CACHE"
SRC="$CACHE/strongswan-$UPVER"

if [ ! -f "$SRC/.ippm-configured" ]; then
	missing=""
	for p in gcc make pkg-config libgmp-dev libssl-dev dpkg-dev; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		log "installing$missing"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
	fi
	if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ &&
	   ! grep -qs '^deb-src' /etc/apt/sources.list; then
		log "adding deb-src entries in $SRCLIST"
		cat > "$SRCLIST" <<'EOS'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
		apt-get update
	fi
	if [ ! -d "$SRC" ]; then
		# Prefer the exact installed version; fall back to other Debian
		# revisions of the same upstream version (the security archive
		# may not serve the newest .dsc; see README.rst).
		vers=$(apt-cache showsrc strongswan | sed -n 's/^Version: //p' | sort -ruV)
		ok=""
		tried=" "
		for v in "$DEBVER" $vers; do
			case "$v" in "$UPVER"-*) ;; *) continue ;; esac
			case "$tried" in *" $v "*) continue ;; esac
			tried="$tried$v "
			log "apt-get source strongswan=$v"
			if (cd "$CACHE" && apt-get source -q strongswan="$v" >&2); then
				ok=$v; break
			fi
		done
		[ -n "$ok" ] || { log "no strongswan $UPVER source package found"; exit 1; }
		echo "$ok" > "$SRC/.ippm-debian-version"
		[ "$ok" = "$DEBVER" ] ||
			log "WARNING: building against source $ok, installed is $DEBVER"
	fi
	log "configuring $SRC"
	# shellcheck disable=SC2086
	(cd "$SRC" && ./configure $CONFIGURE_FLAGS > configure.ippm.log 2>&1) ||
		{ log "configure failed, see $SRC/configure.ippm.log"; exit 1; }
	grep -q '^#define ME ' "$SRC/config.h" ||
		{ log "config.h lacks ME (mediation)"; exit 1; }
	touch "$SRC/.ippm-configured"
fi

OUT="$CACHE/libstrongswan-ippm.so"
log "compiling $OUT"
gcc -shared -fPIC -O2 -g -Wall -Wno-unused-parameter -Wno-pointer-sign \
	-Wno-format -include "$SRC/config.h" \
	-I"$SRC/src/libstrongswan" -I"$SRC/src/libcharon" \
	-o "$OUT.tmp" "$HERE/ippm/ippm_plugin.c" \
	-L/usr/lib/ipsec -lcharon -lstrongswan -Wl,-z,defs
# -z defs against Debian's own /usr/lib/ipsec/lib{charon,strongswan}.so: every
# symbol the plugin uses is exported by the installed libraries.
mv "$OUT.tmp" "$OUT"

echo "$OUT"
