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
