#!/bin/bash
# RSS of one exit worker holding N idle sessions (goal: 10,000 < 100 MiB).
# Each session is a real upstream TCP connection to a local nginx that
# waits for a request header.  Run from the build directory:
#	top_srcdir=.. top_builddir=. bash ../bench/exit_idle.sh [N]
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-exit.sh"
gr_setup
gr_need_cmd nginx
N=${1:-10000}
ulimit -n 65536 2>/dev/null || true

NP=$(gr_free_port)
mkdir -p "$T/nginx" "$T/www"
chmod 755 "$T"
cat >"$T/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
worker_rlimit_nofile 65536;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log crit;
events { worker_connections 30000; }
http {
	access_log off;
	client_header_timeout 300s;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server { listen 127.0.0.1:$NP backlog=4096; root $T/www; }
}
CONF
gr_spawn nginx nginx -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log"
gr_wait_port "$NP" 10 || gr_fail "nginx"

gr_exit_start "max_sessions: $((N + 100))"
XPID=$(sed -n 's/.*exit: ready (pid \([0-9]*\).*/\1/p' "$T/gooserelayd.log" | tail -1)
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$XPID/status"; }
R0=$(rss)
gr_spawn idle "$GRDRV" -u "$XURL" -k "$XKEY" -t 600 idle "$N" \
    "127.0.0.1:$NP" 30
gr_wait_log "$T/idle.log" '^opened' 120 || gr_fail "sessions not opened"
sleep 2
R1=$(rss)
cat "$T/idle.log"
echo "upstream connections established: $(ss -Htn state established \
    "( dport = :$NP )" | wc -l)"
echo "exit RSS: ${R0} KiB idle, ${R1} KiB with $N sessions;" \
    "$(( (R1 - R0) * 1024 / N )) bytes per session"
[ "$R1" -lt $((100 * 1024)) ] || echo "GOAL MISSED: >= 100 MiB"
