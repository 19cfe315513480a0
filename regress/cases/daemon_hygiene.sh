#!/bin/sh
# Small things operators trip on (issue 18):
#  - a configuration file that holds tunnel_key but is readable or
#    writable by others is named, with its mode, by -n and at start;
#  - workers do not inherit the supervisor's environment (a variable
#    set for gooserelayd is not in a worker's /proc/PID/environ);
#  - -s naming an existing regular file is refused and the file left
#    alone (before: it was deleted);
#  - -n checks that ca_file exists and is readable (file:line: key).
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-foundation.sh"
gr_fd_need_user
gr_setup
gr_fd_libexec
port=$(gr_free_port)
gr_fd_exit_conf "$T/c.json" "$port"

# Mode.
chmod 644 "$T/c.json"
"$GOOSERELAYD" -n -f "$T/c.json" >"$T/n.out" 2>&1 || gr_fail "-n: $(cat "$T/n.out")"
grep -q "warning: $T/c.json holds tunnel_key but its mode is 0644 (readable or writable by others): chmod 600 $T/c.json" "$T/n.out" ||
    gr_fail "-n did not warn about mode 0644: $(cat "$T/n.out")"
chmod 600 "$T/c.json"
"$GOOSERELAYD" -n -f "$T/c.json" >"$T/n.out" 2>&1 || gr_fail "-n: $(cat "$T/n.out")"
grep -q 'holds tunnel_key' "$T/n.out" && gr_fail "warned about mode 0600"
chmod 660 "$T/c.json"

# Environment: only what a worker needs.
export GR_HYGIENE_SECRET=do-not-inherit
gr_fd_start gr -f "$T/c.json"
unset GR_HYGIENE_SECRET
gr_fd_wait_state exit running 10 || gr_fail "exit not running"
grep -q "$T/c.json holds tunnel_key but its mode is 0660" "$FD_LOG" ||
    gr_fail "no mode warning at start"
pid=$(gr_fd_field exit pid)
tr '\0' '\n' <"/proc/$pid/environ" >"$T/environ"
grep -q GR_HYGIENE_SECRET "$T/environ" && gr_fail "the worker inherited the environment"
grep -v -E '^(TZ|ASAN_OPTIONS|UBSAN_OPTIONS|LSAN_OPTIONS|GOOSERELAY_TEST_REJECT)=' "$T/environ" |
    grep -q . && gr_fail "unexpected variables in a worker: $(cat "$T/environ")"
kill -TERM "$FD_PID"
wait "$FD_PID" || gr_fail "SIGTERM exit status"

# -s at a regular file.
printf 'precious\n' >"$T/file"
gr_spawn sfile "$GOOSERELAYD" -d -s "$T/file" -X "$FD_LIBEXEC" -f "$T/c.json"
gr_fd_gone "$(gr_pid sfile)" 10 || gr_fail "started with -s naming a regular file"
rc=0
wait "$(gr_pid sfile)" || rc=$?
[ "$rc" != 0 ] || gr_fail "-s naming a regular file: exit status 0"
grep -q "control socket $T/file: exists and is not a socket (a regular file); refusing to replace it" "$T/sfile.log" ||
    gr_fail "no clear error: $(cat "$T/sfile.log")"
[ "$(cat "$T/file")" = precious ] || gr_fail "the file was changed or removed"

# -n and ca_file.
cat >"$T/ca.yaml" <<EOT
carrier:
  socks_port: $port
  tunnel_key: $FD_KEY
  transport_mode: direct_stream
  direct_stream_urls: [ "wss://127.0.0.1:$port/stream" ]
  ca_file: $T/missing.pem
EOT
chmod 600 "$T/ca.yaml"
"$GOOSERELAYD" -n -f "$T/ca.yaml" >"$T/n.out" 2>&1 && gr_fail "-n accepted a missing ca_file"
grep -q "ca.yaml:6: ca_file: cannot read $T/missing.pem: No such file or directory" "$T/n.out" ||
    gr_fail "no file:line: ca_file: $(cat "$T/n.out")"
mkdir "$T/dir.pem"
sed -i "s|$T/missing.pem|$T/dir.pem|" "$T/ca.yaml"
"$GOOSERELAYD" -n -f "$T/ca.yaml" >"$T/n.out" 2>&1 && gr_fail "-n accepted a directory as ca_file"
grep -q "ca.yaml:6: ca_file: $T/dir.pem is not a regular file" "$T/n.out" ||
    gr_fail "directory ca_file: $(cat "$T/n.out")"
cp /etc/ssl/certs/ca-certificates.crt "$T/ok.pem"
sed -i "s|$T/dir.pem|$T/ok.pem|" "$T/ca.yaml"
"$GOOSERELAYD" -n -f "$T/ca.yaml" >"$T/n.out" 2>&1 || gr_fail "-n: $(cat "$T/n.out")"
gr_log "PASS"
