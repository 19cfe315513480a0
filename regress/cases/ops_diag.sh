#!/bin/bash
# The diagnostics bundle of a running daemon (real workers): a
# configuration full of distinctive secrets (tunnel key, socks user and
# password, upstream proxy credentials, long deployment ids, URL
# credentials), logged verbosely; gooserelayctl diag -o and gooserelayd -D
# both write a tar.gz whose files must hold none of them, and must hold
# what the bundle promises.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/regress/lib.sh"
. "$top_srcdir/regress/lib-carrier.sh"
. "$top_srcdir/regress/lib-ops.sh"
gr_need_test_hooks
gr_need_cmd nginx curl python3 tar
gr_setup
gc_ports
PROXYP=$(gr_free_port)

KEY=$(gr_key)
KEYU=$(echo "$KEY" | tr a-f A-F)
SOCKS_USER=sockuserQ7Zk
SOCKS_PASS=s0cksPassW0rd-Xq9Zr
PROXY_USER=proxyUserVv3
PROXY_PASS=pr0xyP4ssK8Jm
SCRIPT1=AKfycbzSecretDeploymentOne_4Gq8Lw2Jm9Pz7Rt5Yx3Nc6Vb1Hd0Fs
SCRIPT2=AKfycbxAnotherSecretDeploy_Tw0-9Kj7Hg5Fd3Sa1Qz8Xc6Vb4Nm2
URL_USER=relayUserM2n
URL_PASS=relayPassB7c4D
SECRETS="$KEY $KEYU $SOCKS_USER $SOCKS_PASS $PROXY_USER $PROXY_PASS
$SCRIPT1 $SCRIPT2 $URL_USER:$URL_PASS $URL_PASS"

# go_secret_conf A|B: transport_mode auto with a WebSocket stream to the
# real exit and as POST fallback either (A) Apps Script deployments
# fronted to 127.0.0.1:443 (nothing listens: they fail, and log about
# it) or (B) a direct POST relay with credentials in its URL (the carrier
# refuses to use it, and says so).  Credentials in the WebSocket URL are
# left out: today the carrier dies of a sandbox violation (SIGSYS) with
# them; test_diag covers their scrub.
go_secret_conf() {
	{
		echo "tunnel_key: \"$KEY\""
		echo "carrier:"
		echo "  socks_host: 127.0.0.1"
		echo "  socks_port: $SOCKS"
		echo "  socks_user: $SOCKS_USER"
		echo "  socks_pass: \"$SOCKS_PASS\""
		echo "  transport_mode: auto"
		if [ "$1" = A ]; then
			echo "  google_host: 127.0.0.1"
			echo "  script_keys:"
			echo "    - id: $SCRIPT1"
			echo "      account: acct-a"
			echo "    - $SCRIPT2"
		else
			echo "  relay_urls: [\"http://$URL_USER:$URL_PASS@127.0.0.1:$EXITP/tunnel\"]"
		fi
		echo "  direct_stream_urls: [\"ws://127.0.0.1:$EXITP/stream\"]"
		echo "  stream_reconnect_backoff_ms: 200"
		echo "exit:"
		echo "  server_host: 127.0.0.1"
		echo "  server_port: $EXITP"
		echo "  dns_servers: [\"127.0.0.77\"]"
		echo "  upstream_proxy: socks5://$PROXY_USER:$PROXY_PASS@127.0.0.1:$PROXYP"
	} >"$T/conf.yaml"
	"$GOOSERELAYD" -n -f "$T/conf.yaml" >"$T/check.txt" 2>&1 ||
	    gr_fail "configuration rejected: $(cat "$T/check.txt")"
	grep -q "ignored" "$T/check.txt" &&
	    gr_fail "part of the configuration ignored: $(cat "$T/check.txt")"
}

# go_traffic: a request through the tunnel (to the dead upstream proxy:
# it fails, and logs), so the workers have something to say.
go_traffic() {
	curl -sS --max-time 10 --socks5-hostname \
	    "$SOCKS_USER:$SOCKS_PASS@127.0.0.1:$SOCKS" -o /dev/null \
	    "http://127.0.0.1:$WEBP/" 2>/dev/null || true
}

GC_VERBOSE="-vv"
# B, with -D: the bundle is written once both workers are up.
go_secret_conf B
go_start -D "$T/startup.tar.gz"
gr_wait_log "$T/gooserelayd.log" "diagnostics bundle written" 20 ||
    gr_fail "-D bundle not written"
go_traffic
gr_stop gooserelayd
mv "$T/gooserelayd.log" "$T/gooserelayd-B.log"

# A, through gooserelayctl diag.
go_secret_conf A
go_start
go_traffic
# More lines than the old 64-line ring: each request is logged (debug).
for i in $(seq 1 100); do
	go_ctl status >/dev/null || gr_fail "status"
done
(cd "$T" && go_ctl diag -o ctl.tar.gz) >"$T/diag.out" ||
    gr_fail "gooserelayctl diag: $(cat "$T/diag.out")"
[ "$(cat "$T/diag.out")" = "$T/ctl.tar.gz" ] ||
    gr_fail "diag printed '$(cat "$T/diag.out")', not the path"
[ "$(stat -c %a "$T/ctl.tar.gz")" = 600 ] || gr_fail "bundle not mode 0600"
# Never overwritten.
go_ctl diag -o "$T/ctl.tar.gz" 2>"$T/diag2.err" &&
    gr_fail "diag overwrote an existing file"
# The default name, in the current directory.
(cd "$T" && go_ctl diag) >"$T/diag3.out" || gr_fail "diag without -o"
grep -Eq "^$T/gooserelayd-diag-[0-9]{8}T[0-9]{6}Z\.tar\.gz\$" \
    "$T/diag3.out" || gr_fail "default path: $(cat "$T/diag3.out")"

for b in startup ctl; do
	mkdir -p "$T/$b"
	tar -xzf "$T/$b.tar.gz" -C "$T/$b" || gr_fail "$b: not a tar.gz"
	d=$(echo "$T/$b"/gooserelayd-diag-*)
	for f in version.txt config.txt workers.txt stats.json log.txt \
	    system.txt; do
		[ -s "$d/$f" ] || gr_fail "$b: $f missing or empty"
	done
	for s in $SECRETS; do
		if grep -rlF -- "$s" "$T/$b"; then
			gr_fail "$b: secret $s found"
		fi
	done
	grep -q "carrier pid=[1-9]" "$d/workers.txt" ||
	    gr_fail "$b: worker states missing"
	grep -q '"role": "exit"' "$d/stats.json" ||
	    gr_fail "$b: exit stats missing"
	grep -q '"role": "carrier"' "$d/stats.json" ||
	    gr_fail "$b: carrier stats missing"
	grep -q "openssl" "$d/system.txt" || gr_fail "$b: system.txt"
	# The log ring holds the verbose startup, more than 64 lines.
	n=$(wc -l <"$d/log.txt")
	gr_log "$b: log.txt $n lines"
done
# The ring keeps the last few hundred lines.
[ "$(wc -l <"$(echo "$T"/ctl/gooserelayd-diag-*/log.txt)")" -gt 100 ] ||
    gr_fail "log ring kept 100 lines or fewer"
# Restart history: a crashed worker shows with its cause.
go_ctl test crash exit >/dev/null || gr_fail "test crash"
gr_wait_log "$T/gooserelayd.log" "exit: ready.*" 20
gr_wait_log "$T/gooserelayd.log" "exit: restarting" 20 ||
    gr_fail "exit not restarted"
go_ctl diag -o "$T/crash.tar.gz" >/dev/null || gr_fail "diag after crash"
mkdir -p "$T/crash"
tar -xzf "$T/crash.tar.gz" -C "$T/crash" || gr_fail "crash: not a tar.gz"
grep -q "exit 1 at .*SIGABRT" "$T"/crash/*/workers.txt ||
    gr_fail "crash cause missing: $(cat "$T"/crash/*/workers.txt)"
for s in $SECRETS; do
	grep -rlF -- "$s" "$T/crash" && gr_fail "crash: secret $s found"
done
gr_log "ok"
