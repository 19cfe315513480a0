#!/bin/bash
# Host names in relay_urls / direct_stream_urls (supervisor/resolve.c):
# the supervisor resolves them at load and the sandboxed carrier dials
# the numeric addresses, never a name (which used to kill it with SIGSYS
# in a loop).  1 MiB+ transfers checked by sha256 over direct_post and
# direct_stream with "localhost" and "[::1]"; a name with an IPv6 address
# first that does not answer (falls back to the IPv4 one); a name that
# does not resolve: a clear error at -n and at start, the carrier runs
# without that endpoint, and the endpoint comes up once the name resolves
# (the supervisor retries), all without a sandbox violation.
# Only loopback; names other than localhost come from a private
# /etc/hosts in a mount namespace (lib-resolve.sh), never from DNS.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-resolve.sh"
gr_need_root
gr_need_cmd nginx curl python3 unshare mount
gr_setup
gc_ports
gr_mkfile "$DOC/2m" 2
gr_nginx "$WEBP" "$DOC"

# 1. localhost (the real /etc/hosts), both transports.
for mode in direct_post direct_stream; do
	gn_conf "$mode" localhost 127.0.0.1
	gn_start
	gr_wait_log "$T/gooserelayd.log" "host localhost is " 5 ||
	    gr_fail "$mode: no resolution logged"
	gc_fetch 2m || gr_fail "$mode via localhost: 2 MiB"
	gn_stop
	gr_log "$mode via localhost: ok"
done

# 2. Numeric IPv6 ([::1]) keeps working, both transports.
for mode in direct_post direct_stream; do
	gn_conf "$mode" "[::1]" "::1"
	gn_start
	gc_fetch 2m || gr_fail "$mode via [::1]: 2 MiB"
	gn_stop
	gr_log "$mode via [::1]: ok"
done

# 3. A name whose first address (::1) refuses: the carrier moves on to
# the next one the supervisor gave it (127.0.0.1, where the exit is).
gn_hosts "::1 tunnel.example" "127.0.0.1 tunnel.example localhost"
for mode in direct_post direct_stream; do
	gn_conf "$mode" tunnel.example 127.0.0.1
	gn_start ns
	gr_wait_log "$T/gooserelayd.log" \
	    "host tunnel.example is ::1 127.0.0.1" 5 ||
	    gr_fail "$mode: tunnel.example not resolved to both addresses"
	gc_fetch 2m || gr_fail "$mode via tunnel.example: 2 MiB"
	gn_stop
	gr_log "$mode via tunnel.example (IPv6 first, refused): ok"
done

# 4. A name that does not resolve: -n names file:line: key: host and the
# reason, and is not fatal (a unit's ExecStartPre runs -n at boot).
gn_hosts "127.0.0.1 localhost"
gn_conf auto nosuch.example 127.0.0.1
# Credentials in a URL never reach the messages.
sed -i 's|"http://nosuch|"http://gooseuser:s3cretpw@nosuch|' "$T/conf.yaml"
(gn_ns "$GOOSERELAYD" -n -f "$T/conf.yaml") >"$T/check.out" 2>&1 ||
    { cat "$T/check.out" >&2; gr_fail "-n failed on an unresolved name"; }
re="conf\.yaml:[0-9]+: relay_urls: host nosuch\.example: "
re="$re.*(not known|No address)"
grep -Eq "$re" "$T/check.out" ||
    { cat "$T/check.out" >&2; gr_fail "-n: no clear error"; }
grep -Eq "conf\.yaml:[0-9]+: direct_stream_urls: host nosuch\.example" \
    "$T/check.out" || { cat "$T/check.out" >&2; gr_fail "-n: no stream error"; }
! grep -q s3cretpw "$T/check.out" || gr_fail "-n: a password was printed"
gr_log "-n on an unresolved name: $(grep -m1 relay_urls "$T/check.out")"

# ... and at start: the same error, the carrier runs (no endpoint yet) and
# never crashes; once the name resolves the supervisor's retry brings the
# endpoint up without a SIGHUP.
gn_conf direct_post nosuch.example 127.0.0.1
gn_start ns
gr_wait_log "$T/gooserelayd.log" \
    "conf\.yaml:[0-9]+: relay_urls: host nosuch\.example: " 5 ||
    gr_fail "start: no clear error"
gn_no_sigsys
gn_hosts "127.0.0.1 nosuch.example localhost"
gr_wait_log "$T/gooserelayd.log" "host names resolved" 20 ||
    gr_fail "the retry did not pick up the name"
gr_wait_log "$T/gooserelayd.log" \
    "carrier: configuration generation 2 applied" 10 ||
    gr_fail "carrier did not take the new generation"
gc_fetch 2m || gr_fail "2 MiB after the name resolved"
gn_stop
gr_log "unresolved name at start, resolved later: ok"

# 5. The name moves (DNS change) and SIGHUP re-resolves it: the endpoint
# (same URL) dials the new address.  First it points at ::1, where no
# exit listens.  Then a SIGHUP while the name does not resolve keeps the
# last addresses.
for mode in direct_post direct_stream; do
	gn_hosts "::1 moved.example" "127.0.0.1 localhost"
	gn_conf "$mode" moved.example 127.0.0.1
	gn_start ns
	gr_wait_log "$T/gooserelayd.log" "host moved.example is ::1$" 5 ||
	    gr_fail "$mode: moved.example not resolved to ::1"
	gn_hosts "127.0.0.1 moved.example localhost"
	kill -HUP "$(gr_pid gooserelayd)"
	gr_wait_log "$T/gooserelayd.log" \
	    "carrier: configuration generation 2 applied" 10 ||
	    gr_fail "$mode: reload not applied"
	grep -q "host moved.example is 127.0.0.1" "$T/gooserelayd.log" ||
	    gr_fail "$mode: SIGHUP did not re-resolve"
	gc_fetch 2m || gr_fail "$mode: 2 MiB after the name moved"
	# DNS down at the next SIGHUP: the endpoint keeps its addresses.
	gn_hosts "127.0.0.1 localhost"
	kill -HUP "$(gr_pid gooserelayd)"
	gr_wait_log "$T/gooserelayd.log" \
	    "carrier: configuration generation 3 applied" 10 ||
	    gr_fail "$mode: second reload not applied"
	grep -Eq "_urls: entry 1: keeping the previous addresses \(127\.0\.0\.1\)" \
	    "$T/gooserelayd.log" || gr_fail "$mode: addresses not kept"
	gc_fetch 2m || gr_fail "$mode: 2 MiB after a reload without DNS"
	gn_stop
	gr_log "$mode: name moved, SIGHUP, SIGHUP without DNS: ok"
done
gr_log "ok"
