#!/bin/bash
# The Debian package (debian/, issue 15): dpkg-buildpackage builds it
# from a clean copy of the tree (no tests inside the build), lintian finds
# no error, it installs the unit, sysusers and tmpfiles files, man pages
# and the sample config, creates the service user, gooserelayd -n accepts
# the sample, and the installed daemon (its workers from /usr/libexec)
# carries a download end to end; then the package is purged again.
# Installing to /usr cannot disturb the rest of the suite, which runs the
# build tree's binaries (lib.sh, GOOSERELAY_LIBEXEC), nor a /usr/local
# install from the quick-start demo.  Cases of several checkouts on one
# machine take turns (flock); a gooserelayd package this case did not
# install is never touched: the case fails and says so.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
command -v dpkg-buildpackage >/dev/null 2>&1 ||
    gr_skip "dpkg-buildpackage not installed (scripts/install-deps.sh --test)"
gr_need_root
gr_need_cmd dh lintian fakeroot flock nginx curl python3
gr_setup
PKG=gooserelayd
INSTALLED=0

deb_purge() {
	[ "$INSTALLED" = 1 ] || return 0
	[ -f "$T/gooserelayd.pid" ] && gr_stop gooserelayd
	dpkg -P "$PKG" >"$T/purge.log" 2>&1 ||
	    { cat "$T/purge.log" >&2; return 1; }
	INSTALLED=0
}
trap '_x=$?; deb_purge || _x=1; (exit $_x); gr_cleanup' EXIT

# dpkg takes no waiting lock of its own: retry while another dpkg runs.
deb_dpkg() {
	_i=0
	until dpkg "$@" >"$T/dpkg.log" 2>&1; do
		grep -q 'lock' "$T/dpkg.log" || return 1
		_i=$((_i + 1))
		[ $_i -lt 120 ] || return 1
		sleep 1
	done
}

exec 9>/run/lock/gooserelayd-pkg-deb.lock
flock -w 900 9 || gr_fail "another pkg_deb.sh held the lock for 15 minutes"
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q installed; then
	gr_fail "a $PKG package is installed on this machine; this case" \
	    "installs and purges its own, so remove that one first"
fi

# A clean copy: tracked and new files, no build directories.
mkdir "$T/src"
if git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top_srcdir" && git ls-files -z --cached --others \
	    --exclude-standard | xargs -0 sh -c 'for f; do
		[ -e "$f" ] && printf "%s\0" "$f"; done' sh |
	    tar --null -T - -cf -) | tar -xf - -C "$T/src"
else
	(cd "$top_srcdir" && tar --exclude='./build*' --exclude=./.git \
	    --exclude=./autom4te.cache --exclude=./regress/tmp -cf - .) |
	    tar -xf - -C "$T/src"
fi
[ -f "$T/src/debian/rules" ] || gr_fail "no debian/rules in the copy"

gr_log "dpkg-buildpackage"
t0=$(date +%s)
(cd "$T/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
    dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1 ||
    { tail -40 "$T/build.log" >&2; gr_fail "dpkg-buildpackage failed"; }
gr_log "built in $(($(date +%s) - t0)) s"
DEB=$(ls "$T"/${PKG}_*_*.deb | head -n1)
[ -f "$DEB" ] || gr_fail "no .deb"
# No test ran inside the build.
grep -q 'regress/cases/.*\.sh' "$T/build.log" && gr_fail "tests ran in the build"

lintian --fail-on error "$T"/${PKG}_*.changes >"$T/lintian.log" 2>&1 ||
    { cat "$T/lintian.log" >&2; gr_fail "lintian reports errors"; }
gr_log "lintian: $(grep -c '^[EW]:' "$T/lintian.log") tags," \
    "$(grep -c '^E:' "$T/lintian.log") errors"

dpkg-deb -f "$DEB" Depends | grep -q 'libwebsockets-evlib-ev' ||
    gr_fail "Depends lacks libwebsockets-evlib-ev: $(dpkg-deb -f "$DEB" Depends)"
dpkg-deb -c "$DEB" | awk '{ print $6 }' >"$T/contents"
for f in ./usr/sbin/gooserelayd ./usr/sbin/gooserelayctl \
    ./usr/libexec/gooserelay-carrier ./usr/libexec/gooserelay-exit \
    ./lib/systemd/system/gooserelayd.service \
    ./usr/lib/sysusers.d/gooserelayd.conf \
    ./usr/lib/tmpfiles.d/gooserelayd.conf \
    ./usr/share/man/man8/gooserelayd.8.gz \
    ./usr/share/man/man8/gooserelayctl.8.gz \
    ./usr/share/man/man5/gooserelayd.yaml.5.gz \
    ./etc/gooserelayd.yaml.sample; do
	grep -qx "$f" "$T/contents" || gr_fail "$f not in the package"
done
grep -q '^\./etc/rc\.d' "$T/contents" && gr_fail "OpenBSD rc.d script packaged"

INSTALLED=1
deb_dpkg -i "$DEB" || { cat "$T/dpkg.log" >&2; gr_fail "dpkg -i"; }
dpkg-query -W -f='${Status}' "$PKG" | grep -q 'install ok installed' ||
    gr_fail "not installed: $(dpkg-query -W -f='${Status}' "$PKG")"
getent passwd gooserelay >/dev/null || gr_fail "no service user"
[ -d /var/empty ] || gr_fail "no /var/empty"
grep -q '^ExecStart=/usr/sbin/gooserelayd -d -f /etc/gooserelayd.yaml$' \
    /lib/systemd/system/gooserelayd.service || gr_fail "unit paths"
# Built --with-systemd: readiness through sd_notify (issue 15).
grep -q '^Type=notify$' /lib/systemd/system/gooserelayd.service &&
    grep -q '^NotifyAccess=main$' /lib/systemd/system/gooserelayd.service ||
    gr_fail "unit is not Type=notify with NotifyAccess=main"
dpkg-deb -f "$DEB" Depends | grep -q 'libsystemd0' ||
    gr_fail "Depends lacks libsystemd0: $(dpkg-deb -f "$DEB" Depends)"
/usr/sbin/gooserelayd -n -f /etc/gooserelayd.yaml.sample >"$T/n.log" 2>&1 ||
    gr_fail "gooserelayd -n on the sample: $(cat "$T/n.log")"
/usr/sbin/gooserelayd -V | grep -q seccomp || gr_fail "not built with seccomp"

# The installed daemon, nothing from the build tree, end to end.
SOCKS=$(gr_free_port); EXITP=$(gr_free_port); WEBP=$(gr_free_port)
mkdir -p "$T/www"
chmod 755 "$T" "$T/www"
gr_mkfile "$T/www/2m" 2
gr_nginx "$WEBP" "$T/www"
cat >"$T/tunnel.yaml" <<EOF
tunnel_key: "$(gr_key)"
carrier:
  socks_host: 127.0.0.1
  socks_port: $SOCKS
  transport_mode: direct_stream
  direct_stream_urls: ["ws://127.0.0.1:$EXITP/stream"]
exit:
  server_host: 127.0.0.1
  server_port: $EXITP
  dns_servers: ["127.0.0.77"]
EOF
gr_spawn gooserelayd env -u GOOSERELAY_LIBEXEC /usr/sbin/gooserelayd -d \
    -f "$T/tunnel.yaml" -s "$T/ctl.sock"
gr_wait_log "$T/gooserelayd.log" "carrier: ready" 20 ||
    gr_fail "installed carrier did not start"
gr_wait_log "$T/gooserelayd.log" "exit: ready" 20 ||
    gr_fail "installed exit did not start"
for w in carrier exit; do
	p=$(pgrep -P "$(gr_pid gooserelayd)" -f "gooserelay-$w" | head -n1)
	[ "$(readlink "/proc/$p/exe")" = "/usr/libexec/gooserelay-$w" ] ||
	    gr_fail "$w runs $(readlink "/proc/$p/exe")"
done
curl -sS --max-time 60 --socks5-hostname "127.0.0.1:$SOCKS" \
    -o "$T/2m.out" "http://127.0.0.1:$WEBP/2m" || gr_fail "curl through it"
[ "$(gr_sha "$T/2m.out")" = "$(gr_sha "$T/www/2m")" ] || gr_fail "sha256"
/usr/sbin/gooserelayctl -s "$T/ctl.sock" status >"$T/status" ||
    gr_fail "gooserelayctl status"

gr_stop gooserelayd
rm -f "$T/gooserelayd.pid"
deb_purge || gr_fail "dpkg -P"
[ -e /usr/sbin/gooserelayd ] && gr_fail "/usr/sbin/gooserelayd left behind"
[ -e /etc/gooserelayd.yaml.sample ] && gr_fail "sample left after purge"
gr_log "ok"
