# Helpers for regress/cases/carrier_names.sh: host names in the carrier's
# URLs.  Source after lib.sh and lib-carrier.sh.
#
# A name other than localhost must never reach the machine's resolver:
# gn_ns runs a command in a private mount namespace where /etc/hosts is
# $T/hosts and /etc/nsswitch.conf says "hosts: files", so names come from
# that file only and no DNS query leaves the process.  The real files are
# not touched (bind mounts vanish with the namespace).

# gn_conf MODE HOST EXIT_HOST [carrier-extra]: $T/conf.yaml with both URL
# lists naming HOST ("localhost", "[::1]", "tunnel.example", ...).
gn_conf() {
	_mode=$1; _h=$2; _eh=$3; _cx=${4:-}
	{
		echo "tunnel_key: \"$(gr_key)\""
		echo "carrier:"
		echo "  socks_host: 127.0.0.1"
		echo "  socks_port: $SOCKS"
		echo "  transport_mode: $_mode"
		echo "  direct_stream_urls: [\"ws://$_h:$EXITP/stream\"]"
		echo "  relay_urls:"
		echo "    - \"http://$_h:$EXITP/tunnel\""
		echo "  stream_reconnect_backoff_ms: 200"
		echo "  endpoint_blacklist_base_ms: 200"
		[ -n "$_cx" ] && echo "$_cx"
		echo "exit:"
		echo "  server_host: \"$_eh\""
		echo "  server_port: $EXITP"
		echo "  dns_servers: [\"127.0.0.77\"]"
	} >"$T/conf.yaml"
}

# gn_hosts LINE...: (re)write $T/hosts in place (the bind mount follows
# the inode, so a running namespace sees the change).
gn_hosts() {
	[ -f "$T/hosts" ] || : >"$T/hosts"
	printf '%s\n' "$@" >"$T/hosts"
}

# gn_ns CMD...: CMD in the private mount namespace.  It execs, keeping
# the pid: call it in the background (gr_spawn) or in a ( subshell ).
gn_ns() {
	[ -f "$T/hosts" ] || gn_hosts "127.0.0.1 localhost"
	printf 'hosts: files\n' >"$T/nsswitch.conf"
	exec unshare -m sh -c 'mount --bind "$0" /etc/hosts &&
	    mount --bind "$1" /etc/nsswitch.conf && shift && exec "$@"' \
	    "$T/hosts" "$T/nsswitch.conf" "$@"
}

# gn_start [ns]: gooserelayd -d on $T/conf.yaml (in the namespace if
# asked); waits for the carrier and the exit.
gn_start() {
	rm -f "$T/gooserelayd.log"
	set -- "${1:-}" "$GOOSERELAYD" -d -s "$T/ctl.sock" -f "$T/conf.yaml"
	if [ "$1" = ns ]; then
		shift
		gr_spawn gooserelayd gn_ns "$@"
	else
		shift
		gr_spawn gooserelayd "$@"
	fi
	gr_wait_port "$SOCKS" 15 || gr_fail "SOCKS port never opened"
	gr_wait_log "$T/gooserelayd.log" "carrier ready" 15 ||
	    gr_fail "carrier did not start"
	gr_wait_log "$T/gooserelayd.log" "exit:? ready" 15 ||
	    gr_fail "exit did not start"
}

# gn_stop: stop the daemon; its log must show no sandbox violation and
# no worker killed by any signal.
gn_stop() {
	gr_stop gooserelayd
	gn_no_sigsys
}

gn_no_sigsys() {
	_re="SIGSYS|signal 31|sandbox violation|killed by signal"
	if grep -Eq "$_re" "$T/gooserelayd.log"; then
		grep -E "$_re" "$T/gooserelayd.log" >&2
		gr_fail "a worker hit the sandbox or crashed"
	fi
}
