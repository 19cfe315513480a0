# Shared helpers for end-to-end cases in regress/cases/.  Source it:
#	. "$top_srcdir/regress/lib.sh"
# Every process a case starts goes through gr_spawn, so gr_cleanup can stop
# exactly those pids.  Every wait is bounded.  Loopback addresses only.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

GOOSERELAYD="$top_builddir/gooserelayd"
GOOSERELAYCTL="$top_builddir/gooserelayctl"
GR_LIBEXEC="$top_builddir"
GR_CASE=$(basename "$0" .sh)
GR_PIDS=""
GR_KEEP=${GR_KEEP:-0}

gr_log() {
	printf '%s [%s] %s\n' "$(date +%H:%M:%S.%N | cut -c1-12)" "$GR_CASE" "$*" >&2
}

gr_fail() {
	gr_log "FAIL: $*"
	GR_FAILED=1
	exit 1
}

# Exit 77 (automake SKIP).  Only for a case that cannot apply here (e.g.
# needs root), never to hide a failure.
gr_skip() {
	gr_log "SKIP: $*"
	exit 77
}

gr_need_root() {
	[ "$(id -u)" = 0 ] || gr_skip "needs root"
}

# The cases that drive gooserelayctl test crash|open-file: a test build
# without the hooks is misconfigured, so this fails instead of skipping.
gr_need_test_hooks() {
	grep -q '^#define GR_TEST_HOOKS 1' "$top_builddir/gr_config.h" ||
	    gr_fail "built without test hooks: reconfigure with" \
	    "--enable-test-hooks (scripts/quickstart.sh test does)"
}

gr_need_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || gr_fail "missing command $c (run scripts/install-deps.sh --test)"
	done
}

gr_setup() {
	mkdir -p "$top_builddir/regress/tmp"
	T=$(mktemp -d "$top_builddir/regress/tmp/$GR_CASE.XXXXXX")
	# nginx workers run as nobody and must reach docroots below $T.
	chmod 755 "$T"
	export T
	trap gr_cleanup EXIT
	trap 'exit 1' INT TERM
}

# gr_spawn NAME CMD...: run CMD in the background, output to $T/NAME.log.
gr_spawn() {
	_n=$1; shift
	"$@" >"$T/$_n.log" 2>&1 &
	_p=$!
	GR_PIDS="$GR_PIDS $_p"
	echo "$_p" >"$T/$_n.pid"
	eval "PID_$(echo "$_n" | tr -c 'A-Za-z0-9_\n' _)=$_p"
}

gr_pid() {
	cat "$T/$1.pid"
}

# Stop one spawned process by name: TERM, bounded wait, then KILL.
gr_stop() {
	_p=$(gr_pid "$1") || return 0
	gr_kill_pid "$_p"
}

gr_kill_pid() {
	_p=$1
	kill -TERM "$_p" 2>/dev/null || return 0
	_i=0
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	kill -KILL "$_p" 2>/dev/null || true
	wait "$_p" 2>/dev/null || true
}

gr_cleanup() {
	_rc=$?
	for _p in $GR_PIDS; do
		gr_kill_pid "$_p"
	done
	gr_port_unlock
	if [ "$_rc" != 0 ] && [ "$_rc" != 77 ]; then
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "---- $f (last 40 lines)" >&2
			tail -n 40 "$f" >&2
		done
	fi
	if [ "$GR_KEEP" = 0 ] && [ "$_rc" = 0 ]; then
		rm -rf "$T"
	fi
	exit "$_rc"
}

# gr_wait_log FILE REGEX [SECONDS]: wait until FILE has a line matching.
gr_wait_log() {
	_f=$1; _re=$2; _s=${3:-10}
	_i=0; _max=$((_s * 20))
	while [ $_i -lt $_max ]; do
		grep -Eq -- "$_re" "$_f" 2>/dev/null && return 0
		sleep 0.05; _i=$((_i + 1))
	done
	gr_log "timeout (${_s}s) waiting for /$_re/ in $_f"
	return 1
}

# gr_wait_port PORT [SECONDS] [HOST]: wait until a TCP port accepts.
gr_wait_port() {
	_port=$1; _s=${2:-10}; _h=${3:-127.0.0.1}
	_i=0; _max=$((_s * 20))
	while [ $_i -lt $_max ]; do
		# bash: cases may run under dash, which has no /dev/tcp.
		if bash -c "exec 3<>/dev/tcp/$_h/$_port" 2>/dev/null; then
			return 0
		fi
		sleep 0.05; _i=$((_i + 1))
	done
	gr_log "timeout (${_s}s) waiting for port $_h:$_port"
	return 1
}

# gr_port_in_use PORT: some TCP socket (any address, any state) has it.
gr_port_in_use() {
	if command -v ss >/dev/null 2>&1; then
		[ -n "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]
	else
		bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
	fi
}

# gr_port_listening PORT: something listens on it (TCP, any address).
gr_port_listening() {
	if command -v ss >/dev/null 2>&1; then
		[ -n "$(ss -Htln "( sport = :$1 )" 2>/dev/null)" ]
	else
		bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
	fi
}

# A free TCP port for this case.  Taken below the kernel's ephemeral
# range (so no client connection can be holding it), with no socket on
# it, and locked for this case until it ends (a directory per port:
# mkdir is atomic), so two cases running at once never get the same one
# even before either binds it.  A lock whose case is gone is taken over.
GR_PORTLOCKS=${TMPDIR:-/tmp}/gooserelay-regress-ports
gr_free_port() {
	mkdir -p "$GR_PORTLOCKS" 2>/dev/null
	_lo=32768; _hi=60999
	_r=$(cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null) &&
	    [ -n "$_r" ] && _lo=${_r%%[!0-9]*} && _hi=${_r##*[!0-9]}
	if [ "$_lo" -gt 16384 ]; then
		_base=$((_lo - 12000)); _span=11999
	else
		_base=$((_hi + 1)); _span=$((65535 - _hi))
	fi
	_n=0
	while [ $_n -lt 500 ]; do
		_n=$((_n + 1))
		_fp=$((_base + $(od -An -N2 -tu2 /dev/urandom) % _span))
		_fl=$GR_PORTLOCKS/$_fp
		if ! mkdir "$_fl" 2>/dev/null; then
			_fo=$(cat "$_fl/pid" 2>/dev/null)
			[ -n "$_fo" ] && ! kill -0 "$_fo" 2>/dev/null || continue
			rm -rf "$_fl"
			mkdir "$_fl" 2>/dev/null || continue
		fi
		echo $$ >"$_fl/pid"
		# Busy anyway: keep the lock, it goes with the case.
		gr_port_in_use "$_fp" && continue
		echo "$_fp"
		return 0
	done
	gr_log "no free port after $_n tries"
	return 1
}

# Release this case's port locks (gr_cleanup).
gr_port_unlock() {
	for _fl in "$GR_PORTLOCKS"/*; do
		[ "$(cat "$_fl/pid" 2>/dev/null)" = "$$" ] && rm -rf "$_fl"
	done
	return 0
}

# gr_wait_udp ADDR PORT [SECONDS]: wait until a UDP socket is bound there.
gr_wait_udp() {
	_ua=$1; _up=$2; _s=${3:-10}
	case $_ua in *:*) _ua="[$_ua]" ;; esac
	_i=0; _max=$((_s * 20))
	while [ $_i -lt $_max ]; do
		ss -Hlun "( sport = :$_up )" 2>/dev/null |
		    grep -qF -- "$_ua:$_up" && return 0
		sleep 0.05; _i=$((_i + 1))
	done
	gr_log "timeout (${_s}s) waiting for udp $_ua:$_up"
	return 1
}

gr_key() {
	od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

# gr_mkfile PATH MIB: random file; prints nothing.
gr_mkfile() {
	head -c "$(($2 * 1024 * 1024))" /dev/urandom >"$1"
}

gr_sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# gr_nginx PORT DOCROOT: nginx serving DOCROOT on 127.0.0.1:PORT.
gr_nginx() {
	_port=$1; _root=$2
	mkdir -p "$T/nginx"
	cat >"$T/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	sendfile on;
	server {
		listen 127.0.0.1:$_port;
		listen [::1]:$_port;
		root $_root;
	}
}
EOF
	gr_spawn nginx nginx -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log"
	gr_wait_port "$_port" 10 || gr_fail "nginx did not start"
}

# gr_dnsmasq ADDR: a resolver on ADDR:53 answering only *.example names
# given as extra --address=/name/ip arguments.
gr_dnsmasq() {
	_addr=$1; shift
	gr_spawn dnsmasq dnsmasq --no-daemon --no-resolv --no-hosts \
	    --listen-address="$_addr" --bind-interfaces --port=53 \
	    --local=/example/ --pid-file="$T/dnsmasq.pidfile" "$@"
	gr_wait_udp "$_addr" 53 10 || gr_fail "dnsmasq did not start on $_addr"
}

# gr_curl_socks PORT URL OUT: fetch URL through SOCKS5 (remote DNS).
gr_curl_socks() {
	curl -sS --max-time "${GR_CURL_TIMEOUT:-120}" \
	    --socks5-hostname "127.0.0.1:$1" -o "$3" "$2"
}
