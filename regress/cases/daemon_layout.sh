#!/bin/sh
# A worker binary from another build (regress/fakeworker_skew: the same
# code with another layout identity, as after a package upgrade while
# the daemon runs) is refused at HELLO with a line naming both builds,
# and not restarted: the role is marked failed while the other worker
# serves on.  With no other role left, gooserelayd exits 1.  (Before:
# HELLO carried only the protocol version, and the skewed worker ran.)
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-foundation.sh"
gr_fd_need_user
gr_setup
gr_fd_libexec
[ -x "$top_builddir/regress/fakeworker_skew" ] ||
    gr_fail "regress/fakeworker_skew not built (make check builds it)"
ln -sf "$top_builddir/regress/fakeworker_skew" "$FD_LIBEXEC/gooserelay-exit"
sport=$(gr_free_port)
eport=$(gr_free_port)
cat >"$T/c.yaml" <<EOT
carrier:
  socks_host: 127.0.0.1
  socks_port: $sport
  tunnel_key: $FD_KEY
  transport_mode: direct_stream
  direct_stream_urls: [ "ws://127.0.0.1:$eport/stream" ]
exit:
  server_host: 127.0.0.1
  server_port: $eport
  tunnel_key: $FD_KEY
EOT
chmod 600 "$T/c.yaml"
gr_fd_start gr -f "$T/c.yaml"
gr_wait_log "$FD_LOG" 'exit: refusing .*/gooserelay-exit: it is gooserelayd [^ ]+ with IPC layout [0-9a-f]{8}, this supervisor gooserelayd [^ ]+ with layout [0-9a-f]{8}' 15 ||
    gr_fail "no clear refusal"
line=$(grep 'exit: refusing' "$FD_LOG")
gr_log "$line"
l1=$(echo "$line" | sed 's/.*IPC layout \([0-9a-f]*\),.*/\1/')
l2=$(echo "$line" | sed 's/.* with layout \([0-9a-f]*\);.*/\1/')
[ "$l1" != "$l2" ] || gr_fail "both layouts read $l1"
echo "$line" | grep -q 'not restarting it' || gr_fail "does not say it is not restarted"
# Failed is final: no timer would start it again.
gr_fd_wait_state exit failed 10 || gr_fail "exit not marked failed"
gr_fd_wait_state carrier running 10 || gr_fail "the carrier does not run on"
[ "$(grep -c 'exit: started pid' "$FD_LOG")" = 1 ] ||
    gr_fail "the refused binary was started again"
gr_fd_http "$sport" >"$T/out" || gr_fail "the carrier does not serve"
kill -0 "$FD_PID" || gr_fail "gooserelayd exited"

# An exit-only daemon with only the refused binary: nothing can run.
kill -TERM "$FD_PID"
wait "$FD_PID"
gr_fd_exit_conf "$T/e.json" "$eport"
gr_fd_start gr2 -f "$T/e.json"
rc=0
wait "$FD_PID" || rc=$?
[ "$rc" = 1 ] || gr_fail "exit-only daemon: status $rc, want 1"
grep -q 'giving up: no worker can run' "$FD_LOG" || gr_fail "no reason given"
gr_log "PASS"
