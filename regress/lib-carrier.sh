# Helpers for the carrier's end-to-end cases (regress/cases/carrier_*.sh).
# Source after lib.sh.  A whole tunnel runs on one host: one gooserelayd
# with a carrier: and an exit: section, the real workers from the build
# tree (GOOSERELAY_LIBEXEC), nginx as the target.

GOOSERELAY_LIBEXEC="$top_builddir"
export GOOSERELAY_LIBEXEC

# A whole tunnel needs both workers; a tree without the exit worker (it is
# built from another component) cannot run these cases.
[ -x "$top_builddir/gooserelay-exit" ] || gr_skip "gooserelay-exit not built"

# gc_ports: pick SOCKS, exit and nginx ports; make the docroot.
gc_ports() {
	SOCKS=$(gr_free_port)
	EXITP=$(gr_free_port)
	WEBP=$(gr_free_port)
	DOC="$T/www"
	mkdir -p "$DOC"
	# nginx workers run unprivileged: they must reach the docroot.
	chmod 755 "$T" "$DOC"
}

# gc_conf MODE [carrier-extra] [exit-extra]: write $T/conf.yaml.
# Extra text is YAML lines already indented by 2 spaces.
gc_conf() {
	_mode=$1; _cx=${2:-}; _ex=${3:-}
	{
		echo "tunnel_key: \"$(gr_key)\""
		echo "carrier:"
		echo "  socks_host: 127.0.0.1"
		echo "  socks_port: $SOCKS"
		echo "  transport_mode: $_mode"
		echo "  direct_stream_urls: [\"ws://127.0.0.1:${STREAMP:-$EXITP}/stream\"]"
		echo "  relay_urls: [\"http://127.0.0.1:$EXITP/tunnel\"]"
		echo "  stream_reconnect_backoff_ms: 200"
		[ -n "$_cx" ] && echo "$_cx"
		echo "exit:"
		echo "  server_host: 127.0.0.1"
		echo "  server_port: $EXITP"
		echo "  dns_servers: [\"${GC_DNS:-127.0.0.77}\"]"
		[ -n "$_ex" ] && echo "$_ex"
	} >"$T/conf.yaml"
}

# gc_start: run gooserelayd -d on $T/conf.yaml and wait for the carrier.
gc_start() {
	gr_spawn gooserelayd "$GOOSERELAYD" -d ${GC_VERBOSE:-} -f "$T/conf.yaml"
	gr_wait_port "$SOCKS" 15 || gr_fail "SOCKS port never opened"
	gr_wait_log "$T/gooserelayd.log" "carrier ready" 15 ||
	    gr_fail "carrier did not start"
}

# gc_fetch NAME [curl args...]: fetch /NAME through the tunnel into
# $T/NAME.out and compare its sha256 with the docroot's copy.
gc_fetch() {
	_n=$1; shift
	curl -sS --max-time "${GR_CURL_TIMEOUT:-120}" \
	    --socks5-hostname "127.0.0.1:$SOCKS" "$@" \
	    -o "$T/$_n.out" "http://127.0.0.1:$WEBP/$_n" ||
	    { gr_log "curl failed for $_n"; return 1; }
	[ "$(gr_sha "$T/$_n.out")" = "$(gr_sha "$DOC/$_n")" ] ||
	    { gr_log "sha256 mismatch for $_n"; return 1; }
	rm -f "$T/$_n.out"
}

# gc_parallel N FILE: N simultaneous fetches of FILE; all must match.
gc_parallel() {
	_n=$1; _f=$2; _pids=""
	for _i in $(seq 1 "$_n"); do
		curl -sS --max-time "${GR_CURL_TIMEOUT:-120}" \
		    --socks5-hostname "127.0.0.1:$SOCKS" \
		    -o "$T/par.$_i" "http://127.0.0.1:$WEBP/$_f" \
		    2>"$T/par.$_i.err" &
		_pids="$_pids $!"
	done
	_bad=0
	for _p in $_pids; do
		wait "$_p" || _bad=$((_bad + 1))
	done
	_want=$(gr_sha "$DOC/$_f")
	for _i in $(seq 1 "$_n"); do
		if [ "$(gr_sha "$T/par.$_i")" != "$_want" ]; then
			_bad=$((_bad + 1))
			gr_log "client $_i: $(stat -c %s "$T/par.$_i" 2>/dev/null) bytes; $(cat "$T/par.$_i.err")"
		fi
		rm -f "$T/par.$_i" "$T/par.$_i.err"
	done
	[ "$_bad" = 0 ] || { gr_log "$_bad of $_n parallel fetches failed"; return 1; }
}

# gc_worker_pid ROLE: pid of the supervisor's child running that worker.
gc_worker_pid() {
	pgrep -P "$(gr_pid gooserelayd)" -f "gooserelay-$1" | head -n1
}

# gc_socks_raw HEX...: send each chunk of raw bytes to the SOCKS port and
# print what the carrier answered (hex) and whether it then closed.
gc_socks_raw() {
	python3 "$top_srcdir/regress/tools/socksraw.py" "$SOCKS" "$@"
}

# gc_epoch LINE: seconds since the epoch of a "HH:MM:SS.mmm" log stamp is
# not available in every log format; use the wall clock of grep instead.
gc_now() {
	date +%s.%N
}
