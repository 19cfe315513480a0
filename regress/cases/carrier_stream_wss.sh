#!/bin/bash
# direct_stream over wss://: nginx terminates TLS (a test CA, passed with
# ca_file) and proxies the WebSocket upgrade to the exit's plain /stream.
# On wss:// the carrier keeps libwebsockets for both directions (its own
# framing is ws:// only), so this is the path that must keep working:
# 1 MiB and 10 simultaneous clients, bytes checked by sha256, and the
# Basic auth from the URL's userinfo checked by nginx.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
gr_need_cmd nginx curl openssl base64
gr_setup
gc_ports
TLSP=$(gr_free_port)
gr_mkfile "$DOC/1m" 1
gr_nginx "$WEBP" "$DOC"

# A CA and a server certificate for 127.0.0.1.
(
	cd "$T" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout ca.key -out ca.pem -days 2 -subj /CN=gr-wss-ca &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 &&
	printf 'subjectAltName=IP:127.0.0.1\n' >ext &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -out srv.pem -days 2 -extfile ext
) >"$T/openssl.log" 2>&1 || gr_fail "openssl could not make the test CA"

# A second nginx: TLS in front of the exit, Basic auth on the upgrade.
AUTH=$(printf '%s' 'goose:pw@1' | base64)
mkdir -p "$T/tls"
cat >"$T/tls/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $T/tls/nginx.pid;
error_log $T/tls/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/tls/body;
	proxy_temp_path $T/tls/proxy;
	fastcgi_temp_path $T/tls/fcgi;
	uwsgi_temp_path $T/tls/uwsgi;
	scgi_temp_path $T/tls/scgi;
	server {
		listen 127.0.0.1:$TLSP ssl;
		ssl_certificate $T/srv.pem;
		ssl_certificate_key $T/srv.key;
		location /stream {
			if (\$http_authorization != "Basic $AUTH") {
				return 401;
			}
			proxy_pass http://127.0.0.1:$EXITP;
			proxy_http_version 1.1;
			proxy_set_header Upgrade \$http_upgrade;
			proxy_set_header Connection "upgrade";
			proxy_buffering off;
			proxy_read_timeout 60s;
		}
	}
}
EOF
gr_spawn nginx_tls nginx -c "$T/tls/nginx.conf" -e "$T/tls/error.log"
gr_wait_port "$TLSP" 10 || gr_fail "TLS nginx did not start"

cat >"$T/conf.yaml" <<EOF
tunnel_key: "$(gr_key)"
carrier:
  socks_host: 127.0.0.1
  socks_port: $SOCKS
  transport_mode: direct_stream
  direct_stream_urls: ["wss://goose:pw%401@127.0.0.1:$TLSP/stream"]
  ca_file: $T/ca.pem
  stream_reconnect_backoff_ms: 200
exit:
  server_host: 127.0.0.1
  server_port: $EXITP
  dns_servers: ["127.0.0.77"]
EOF
"$GOOSERELAYD" -n -f "$T/conf.yaml" >"$T/check.out" 2>&1 ||
    gr_fail "config does not check ($(cat "$T/check.out"))"
gc_start
gr_wait_log "$T/gooserelayd.log" \
    "stream: connected to wss://127.0.0.1:$TLSP/stream" 15 ||
    gr_fail "stream never connected over TLS"
gc_fetch 1m || gr_fail "1 MiB over wss://"
gc_parallel 10 1m || gr_fail "10 simultaneous clients over wss://"
if grep -q "pw@1\|pw%401" "$T/gooserelayd.log"; then
	gr_fail "the password reached the log"
fi
gr_log "ok"
