# Helpers for the fronted (Apps Script) cases: a test CA, the Google
# emulator (regress/emu/google-emu.js) on its own loopback address, and a
# fake exit.  Source after regress/lib.sh and gr_setup.

GR_EMU_DIR="$top_srcdir/regress/emu"
GR_CODEGS="$top_srcdir/contrib/apps-script/Code.gs"

# A deployment id of the real shape (AKfycb + 72 chars), from a label.
gr_deployment_id() {
	_x=$(printf '%s' "$1" | sha256sum | cut -c1-64)
	printf 'AKfycb%s%s' "$_x" "$(printf '%s' "$_x" | cut -c1-8)"
}

# gr_emu_addr: a loopback address of our own for port 443, so cases can
# run in parallel (127.0.0.0/8 is all loopback on Linux).
gr_emu_addr() {
	_h=$(printf '%s-%s' "$GR_CASE" "$$" | sha256sum | cut -c1-4)
	printf '127.%d.%d.%d' $((0x${_h%??} % 200 + 20)) \
	    $((0x${_h#??} % 250 + 1)) $(($$ % 250 + 2))
}

# gr_test_ca DIR: ca.pem, other-ca.pem (an unrelated CA), google.pem/.key
# for the Google names the emulator answers.
gr_test_ca() {
	_d=$1
	mkdir -p "$_d"
	(
	cd "$_d" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout ca.key -out ca.pem -days 3 -subj /CN=gr-test-ca
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout other-ca.key -out other-ca.pem -days 3 -subj /CN=other-ca
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout google.key -out google.csr -subj /CN=www.google.com
	printf 'subjectAltName=%s\n' "DNS:www.google.com,DNS:mail.google.com,DNS:accounts.google.com,DNS:script.google.com,DNS:script.googleusercontent.com,DNS:*.googleusercontent.com" >ext
	openssl x509 -req -in google.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -out google.pem -days 3 -extfile ext
	) >"$_d/openssl.log" 2>&1 || gr_fail "openssl could not make the test CA"
}

# gr_emu NAME ADDR CONFIG_JSON_FILE: start the emulator; sets
# EMU_CTL_<NAME> to its control port.
gr_emu() {
	_n=$1; _a=$2; _c=$3
	gr_need_cmd node curl openssl
	gr_spawn "$_n" node "$GR_EMU_DIR/google-emu.js" "$_c"
	gr_wait_log "$T/$_n.log" 'ready on' 15 || gr_fail "emulator $_n did not start"
	_cp=$(sed -n 's/.*ready on .* control \([0-9]*\).*/\1/p' "$T/$_n.log" | head -1)
	eval "EMU_CTL_$_n=$_cp"
}

# gr_emu_ctl NAME PATH?QUERY: talk to the emulator's control port.
gr_emu_ctl() {
	eval "_cp=\$EMU_CTL_$1"
	curl -sS --max-time 5 "http://127.0.0.1:$_cp$2"
}

# gr_fake_exit NAME PORT: node echo server standing in for POST /tunnel.
gr_fake_exit() {
	gr_spawn "$1" node "$GR_EMU_DIR/fake-exit.js" "$2"
	gr_wait_log "$T/$1.log" 'ready on' 10 || gr_fail "fake exit did not start"
}

# gr_emu_curl ADDR CA HOST PATH [curl args...]: HTTPS to the emulator with
# SNI = Host = HOST, dialing ADDR.
gr_emu_curl() {
	_a=$1; _ca=$2; _h=$3; _p=$4; shift 4
	curl -sS --max-time 20 --cacert "$_ca" --resolve "$_h:443:$_a" \
	    --resolve "script.googleusercontent.com:443:$_a" \
	    --resolve "accounts.google.com:443:$_a" \
	    "$@" "https://$_h$_p"
}

# ---- whole tunnel through the emulator (carrier apps_script + exit) ----

GOOSERELAY_LIBEXEC="$top_builddir"
export GOOSERELAY_LIBEXEC

# gf_setup: CA, emulator address, ports, docroot; does not start anything.
gf_setup() {
	gr_need_root
	gr_need_cmd node curl openssl nginx
	gr_test_ca "$T/ca"
	EMU_A=$(gr_emu_addr)
	SOCKS=$(gr_free_port)
	EXITP=$(gr_free_port)
	WEBP=$(gr_free_port)
	DOC="$T/www"
	mkdir -p "$DOC"
	# nginx's workers are not root: let them into the docroot.
	chmod 755 "$T" "$DOC"
	KEY=$(gr_key)
}

# gf_emu_conf "ID:mode ..." : emulator config with those deployments,
# each relaying to the exit (the id "loop" relays to Apps Script).
gf_emu_start() {
	{
		printf '{ "address": "%s", "port": 443, "cert": "%s",\n' \
		    "$EMU_A" "$T/ca/google.pem"
		printf '  "key": "%s", "code": "%s", "state_dir": "%s",\n' \
		    "$T/ca/google.key" "$GR_CODEGS" "$T"
		printf '  "refuse_sni": ["accounts.google.com"],\n'
		printf '  "deployments": {'
		_sep=""
		for _d in "$@"; do
			printf '%s\n    "%s": { "relay_urls": ["http://127.0.0.1:%s/tunnel"], "mode": "ok" }' \
			    "$_sep" "$_d" "$EXITP"
			_sep=","
		done
		printf '\n  } }\n'
	} >"$T/emu.json"
	gr_emu emu "$EMU_A" "$T/emu.json"
}

# gf_conf SCRIPT_KEYS_YAML [carrier-extra]: $T/conf.yaml for a whole
# tunnel: carrier apps_script via the emulator, exit on loopback.
gf_conf() {
	{
		echo "tunnel_key: \"$KEY\""
		echo "carrier:"
		echo "  socks_host: 127.0.0.1"
		echo "  socks_port: $SOCKS"
		echo "  transport_mode: apps_script"
		echo "  script_keys: $1"
		echo "  google_host: \"$EMU_A\""
		echo "  sni: [\"www.google.com\", \"mail.google.com\"]"
		echo "  ca_file: \"${GF_CA:-$T/ca/ca.pem}\""
		echo "  quota_state_path: \"$T/quota.json\""
		[ -n "${2:-}" ] && echo "$2"
		echo "exit:"
		echo "  server_host: 127.0.0.1"
		echo "  server_port: $EXITP"
		echo "  dns_servers: [\"127.0.0.77\"]"
	} >"$T/conf.yaml"
}

# gf_start [NAME] [CONF]: gooserelayd -d on $T/conf.yaml (or CONF);
# waits for the SOCKS port unless GF_NOWAIT is set.
gf_start() {
	_n=${1:-gooserelayd}
	gr_spawn "$_n" "$GOOSERELAYD" -d -f "${2:-$T/conf.yaml}"
	[ -n "${GF_NOWAIT:-}" ] && return 0
	gr_wait_port "$SOCKS" 20 || gr_fail "SOCKS port never opened"
}

# gf_split KEY2: split $T/conf.yaml into $T/exit.yaml (same key) and
# $T/carrier.yaml with tunnel_key KEY2 (two daemons, e.g. a key mismatch).
gf_split() {
	sed -n '/^exit:/,$p' "$T/conf.yaml" >"$T/exit.body"
	{ echo "tunnel_key: \"$KEY\""; cat "$T/exit.body"; } >"$T/exit.yaml"
	{ echo "tunnel_key: \"$1\""
	  sed -n '/^carrier:/,/^exit:/p' "$T/conf.yaml" | sed '$d'; } \
	    >"$T/carrier.yaml"
}

# gf_fetch NAME: fetch /NAME through the tunnel, compare sha256.
gf_fetch() {
	curl -sS --max-time "${GR_CURL_TIMEOUT:-180}" \
	    --socks5-hostname "127.0.0.1:$SOCKS" \
	    -o "$T/$1.out" "http://127.0.0.1:$WEBP/$1" ||
	    { gr_log "curl failed for $1"; return 1; }
	[ "$(gr_sha "$T/$1.out")" = "$(gr_sha "$DOC/$1")" ] ||
	    { gr_log "sha256 mismatch for $1"; return 1; }
	rm -f "$T/$1.out"
}

# gf_parallel N FILE: N simultaneous fetches, all must match.
gf_parallel() {
	_pids=""
	for _i in $(seq 1 "$1"); do
		curl -sS --max-time "${GR_CURL_TIMEOUT:-180}" \
		    --socks5-hostname "127.0.0.1:$SOCKS" \
		    -o "$T/par.$_i" "http://127.0.0.1:$WEBP/$2" &
		_pids="$_pids $!"
	done
	_bad=0
	for _p in $_pids; do
		wait "$_p" || _bad=$((_bad + 1))
	done
	_want=$(gr_sha "$DOC/$2")
	for _i in $(seq 1 "$1"); do
		[ "$(gr_sha "$T/par.$_i")" = "$_want" ] || _bad=$((_bad + 1))
		rm -f "$T/par.$_i"
	done
	[ "$_bad" = 0 ] || { gr_log "$_bad of $1 parallel fetches failed"; return 1; }
}
