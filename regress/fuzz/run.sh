#!/bin/sh
# Build and run every libFuzzer harness regress/fuzz/fuzz_<name>.c for a
# bounded time (FUZZ_SECONDS, default 8) on a copy of its seed corpus
# regress/fuzz/corpus/<name>/.  Each harness names the project sources it
# needs on its first line and the libraries on its second:
#	/* FUZZ-SOURCES: common/a.c common/b.c */
#	/* FUZZ-LIBS: -lcrypto -lzstd */
# Fails if any harness fails to build or finds a crash, leak, timeout or
# undefined behaviour.  One line per harness.  Longer runs, from the
# build directory:
#	FUZZ_SECONDS=600 ../regress/fuzz/run.sh
# Binaries go to $top_builddir/regress/fuzz/bin/; crash inputs are kept in
# $top_builddir/regress/fuzz/crashes/.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# Run from a build directory (out-of-tree builds) or set top_builddir.
if [ -z "${top_builddir:-}" ]; then
	if [ -f ./gr_config.h ]; then top_builddir=$(pwd)
	else top_builddir=$top_srcdir; fi
fi
FUZZ_SECONDS=${FUZZ_SECONDS:-8}
FUZZ_CC=${FUZZ_CC:-clang}

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	echo "SKIP: $FUZZ_CC not found (install clang for the fuzz harnesses)"
	exit 77
fi
if [ ! -f "$top_builddir/gr_config.h" ]; then
	echo "FAIL: $top_builddir/gr_config.h missing (run configure first)"
	exit 1
fi

bindir=$top_builddir/regress/fuzz/bin
crashdir=$top_builddir/regress/fuzz/crashes
mkdir -p "$bindir" "$crashdir" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gr-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# The two header lines, without the comment markers.
fuzz_field() {
	sed -n "$2{s|^/\\* *$1:\\(.*\\)\\*/ *\$|\\1|p;}" "$3"
}

fail=0
nharness=0
for h in "$top_srcdir"/regress/fuzz/fuzz_*.c; do
	[ -f "$h" ] || continue
	nharness=$((nharness + 1))
	name=$(basename "$h" .c)
	short=${name#fuzz_}
	if ! head -n 1 "$h" | grep -q 'FUZZ-SOURCES:' ||
	    ! sed -n 2p "$h" | grep -q 'FUZZ-LIBS:'; then
		echo "FAIL: $name: first two lines must be FUZZ-SOURCES and FUZZ-LIBS comments"
		fail=1
		continue
	fi
	srcs=""
	incs="-I$top_builddir -I$top_srcdir -I$top_srcdir/common"
	for s in $(fuzz_field FUZZ-SOURCES 1 "$h"); do
		srcs="$srcs $top_srcdir/$s"
		incs="$incs -I$top_srcdir/$(dirname "$s")"
	done
	libs=$(fuzz_field FUZZ-LIBS 2 "$h")

	# shellcheck disable=SC2086
	if ! "$FUZZ_CC" -std=gnu11 -g -O1 \
	    -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	    -DGR_FUZZ=1 $incs -o "$bindir/$name" "$h" $srcs $libs \
	    >"$tmp/$name.build" 2>&1; then
		echo "FAIL: $name (build)"
		sed 's/^/	/' "$tmp/$name.build" | head -n 40
		fail=1
		continue
	fi

	corpus=$tmp/corpus-$short
	mkdir -p "$corpus"
	for c in "$top_srcdir/regress/fuzz/corpus/$short" \
	    "$top_srcdir/regress/fuzz/corpus/$name"; do
		[ -d "$c" ] && cp -R "$c/." "$corpus/"
	done

	# libFuzzer exits 77 on a crash by default: that would read as SKIP.
	if (cd "$tmp" && "$bindir/$name" -max_total_time="$FUZZ_SECONDS" \
	    -timeout=10 -rss_limit_mb=2560 -error_exitcode=1 \
	    -timeout_exitcode=1 -artifact_prefix="$crashdir/$name-" \
	    "$corpus" >"$tmp/$name.run" 2>&1); then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$tmp/$name.run" |
		    tail -n 1)
		echo "PASS: $name ${runs:-?} runs in ${FUZZ_SECONDS}s"
	else
		echo "FAIL: $name (see below; inputs in $crashdir)"
		tail -n 40 "$tmp/$name.run" | sed 's/^/	/'
		fail=1
	fi
done

if [ "$nharness" -eq 0 ]; then
	echo "FAIL: no harness found under $top_srcdir/regress/fuzz"
	exit 1
fi
exit $fail
