#!/bin/sh
# The supervisor reads files for the workers: the CA bundle arrives in
# pieces, whole; the quota state is loaded into the carrier and written
# back atomically (new inode, mode 0600); the exit gets the resolver
# list from resolv_conf.
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-foundation.sh"
gr_fd_need_user
gr_setup
gr_fd_libexec
sport=$(gr_free_port)
eport=$(gr_free_port)
# A CA bundle larger than one IPC message (64 KiB).
for i in 1 2 3 4 5; do cat /etc/ssl/certs/ca-certificates.crt; done >"$T/ca.pem"
printf '{"quota":"state","n":1}\n' >"$T/quota.json"
chmod 644 "$T/quota.json"
ino1=$(stat -c %i "$T/quota.json")
printf 'search example\nnameserver 127.0.0.53\n# comment\nnameserver ::1\n' >"$T/resolv.conf"
cat >"$T/c.yaml" <<EOT
carrier:
  socks_host: 127.0.0.1
  socks_port: $sport
  tunnel_key: $FD_KEY
  transport_mode: direct_stream
  direct_stream_urls: [ "wss://127.0.0.1:$eport/stream" ]
  quota_state_path: $T/quota.json
  ca_file: $T/ca.pem
exit:
  server_host: 127.0.0.1
  server_port: $eport
  tunnel_key: $FD_KEY
  resolv_conf: $T/resolv.conf
EOT
"$GOOSERELAYD" -n -f "$T/c.yaml" || gr_fail "config does not check"
gr_fd_start gr -f "$T/c.yaml"
gr_fd_wait_state carrier running 10 || gr_fail "carrier not running"
gr_fd_wait_state exit running 10 || gr_fail "exit not running"
size=$(stat -c %s "$T/ca.pem")
gr_wait_log "$FD_LOG" "carrier: CA bundle $size bytes, NUL-ended" 5 ||
    gr_fail "CA bundle ($size bytes) did not arrive whole"
qsize=$(stat -c %s "$T/quota.json")
gr_wait_log "$FD_LOG" "carrier: quota state received \\($qsize bytes\\)" 5 ||
    gr_fail "quota state not loaded"
_i=0
while [ "$(stat -c %a "$T/quota.json")" != 600 ] && [ $_i -lt 100 ]; do
	sleep 0.05; _i=$((_i + 1))
done
[ "$(stat -c %a "$T/quota.json")" = 600 ] || gr_fail "quota state not rewritten 0600"
[ "$(stat -c %i "$T/quota.json")" != "$ino1" ] || gr_fail "quota state not replaced by rename"
grep -qx '{"quota":"state","n":1}' "$T/quota.json" || gr_fail "quota state content changed"
ls "$T"/quota.json.* >/dev/null 2>&1 && gr_fail "temporary file left behind"
gr_wait_log "$FD_LOG" 'exit: dns server 127\.0\.0\.53' 5 || gr_fail "resolver 1"
gr_wait_log "$FD_LOG" 'exit: dns server ::1' 5 || gr_fail "resolver 2"
gr_log "PASS"
