#!/bin/bash
# SOCKS5 edge cases: auth ok, wrong password, unsupported commands,
# malformed greeting/request, IPv6 literal, a name the exit cannot resolve.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_root
gr_need_cmd nginx curl python3 dnsmasq
gr_setup
gc_ports
gr_mkfile "$DOC/1m" 1
gr_nginx "$WEBP" "$DOC"
# A resolver address of our own, so parallel cases do not collide.
GC_DNS=127.0.$((RANDOM % 200 + 20)).77
gr_dnsmasq "$GC_DNS" --address=/web.example/127.0.0.1
gc_conf direct_stream "  socks_user: alice
  socks_pass: s3cret"
gc_start

# auth ok, by name through the exit's resolver
curl -sS --max-time 30 --socks5-hostname "127.0.0.1:$SOCKS" \
    --proxy-user alice:s3cret -o "$T/a.out" \
    "http://web.example:$WEBP/1m" || gr_fail "auth ok: curl failed"
[ "$(gr_sha "$T/a.out")" = "$(gr_sha "$DOC/1m")" ] || gr_fail "auth ok: sha"

# IPv6 literal
curl -sS --max-time 30 --socks5-hostname "127.0.0.1:$SOCKS" \
    --proxy-user alice:s3cret -o "$T/b.out" \
    "http://[::1]:$WEBP/1m" || gr_fail "IPv6 literal: curl failed"
[ "$(gr_sha "$T/b.out")" = "$(gr_sha "$DOC/1m")" ] || gr_fail "IPv6: sha"

# wrong password: RFC 1929 failure status, then closed
r=$(gc_socks_raw 050102 0105616c696365027878)
[ "$r" = "05020101 closed" ] ||
    gr_fail "wrong password answered '$r'"
curl -s --max-time 10 --socks5-hostname "127.0.0.1:$SOCKS" \
    --proxy-user alice:nope "http://127.0.0.1:$WEBP/1m" -o /dev/null &&
    gr_fail "wrong password accepted"

# no acceptable method (no-auth only while auth is required)
r=$(gc_socks_raw 050100)
[ "$r" = "05ff closed" ] || gr_fail "no-auth offer answered '$r'"

# malformed greeting (SOCKS4) is answered and closed
r=$(gc_socks_raw 04010050)
[ "$r" = "05ff closed" ] || gr_fail "SOCKS4 greeting answered '$r'"

# BIND: reply 0x07, closed.  UDP ASSOCIATE (issue 17): the exit offers
# udp_v1, so success with the relay's address (the SOCKS address and
# port), and the control connection stays open.
auth=$(python3 -c 'import sys; u=b"alice"; p=b"s3cret"; print((bytes([1,len(u)])+u+bytes([len(p)])+p).hex())')
r=$(gc_socks_raw 050102 "$auth" 05020001000000000000)
[ "$r" = "0502010005070001000000000000 closed" ] ||
    gr_fail "BIND answered '$r'"
gr_wait_log "$T/gooserelayd.log" "features.* udp_v1" 20 ||
    gr_fail "the exit did not offer udp_v1"
r=$(gc_socks_raw 050102 "$auth" 05030001000000000000)
[ "$r" = "05020100050000017f000001$(printf %04x "$SOCKS") open" ] ||
    gr_fail "UDP ASSOCIATE answered '$r'"

# malformed request: bad address type -> 0x08, closed
r=$(gc_socks_raw 050102 "$auth" 05010009000000000000)
[ "$r" = "0502010005080001000000000000 closed" ] ||
    gr_fail "bad address type answered '$r'"

# a name the exit cannot resolve: connect succeeds, then the session dies
curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$SOCKS" \
    --proxy-user alice:s3cret -o "$T/c.out" \
    "http://nxdomain.example:$WEBP/1m" 2>"$T/c.err" &&
    gr_fail "unresolvable name: curl succeeded"
[ -s "$T/c.out" ] && gr_fail "unresolvable name: got bytes"

# the tunnel still works afterwards
curl -sS --max-time 30 --socks5-hostname "127.0.0.1:$SOCKS" \
    --proxy-user alice:s3cret -o "$T/d.out" \
    "http://127.0.0.1:$WEBP/1m" || gr_fail "after errors: curl failed"
gr_log "ok"
