#!/bin/sh
# Print "N passed, N failed" for a build directory after make check, and
# the log of every failed test.
dir=${1:-build}
pass=0; fail=0; skip=0
for trs in $(find "$dir" -name '*.trs' 2>/dev/null); do
	r=$(sed -n 's/^:test-result: //p' "$trs" | head -1)
	case "$r" in
	PASS|XFAIL) pass=$((pass + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)); echo "== failed: ${trs%.trs}.log"
	   tail -n 60 "${trs%.trs}.log" ;;
	esac
done
echo "$pass passed, $fail failed, $skip skipped"
