#!/bin/sh
# Install everything gooserelayd needs to build, run and test on Debian 12.
# Run as root.  Safe to run again.
set -e
PKGS="build-essential autoconf automake libtool pkg-config
libwebsockets-dev libwebsockets-evlib-ev libtls-dev libev-dev libyaml-dev
libc-ares-dev libseccomp-dev libcmocka-dev libssl-dev libzstd-dev zlib1g-dev
libjansson-dev libhttp-parser-dev uthash-dev libarchive-dev libsystemd-dev"
TESTPKGS="curl nginx dnsmasq-base mandoc clang libclang-rt-14-dev nodejs
shadowsocks-libev microsocks openssh-server openssh-client iproute2 procps
psmisc strace python3 bc debhelper dpkg-dev fakeroot lintian haproxy"
case "$1" in
--test) PKGS="$PKGS $TESTPKGS" ;;
esac
export DEBIAN_FRONTEND=noninteractive
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
