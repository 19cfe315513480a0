# Benchmarks (issue 7); not run by make check except in --quick mode
# (regress/cases/bench_quick.sh).  bench/run.sh drives them.
noinst_PROGRAMS += bench/sink bench/grbench
bench_sink_SOURCES = bench/sink.c
bench_sink_LDADD = $(EV_LIBS)
bench_grbench_SOURCES = bench/grbench.c
bench_grbench_LDADD = -lpthread -lm
EXTRA_DIST += bench/run.sh bench/summarize.py bench/README bench/echo_ab.sh \
	bench/shaped.sh bench/shaped_summary.py bench/loop_ab.sh \
	bench/echo_syscalls.sh \
	regress/cases/bench_quick.sh
TESTS += regress/cases/bench_quick.sh

# UDP through SOCKS5 UDP ASSOCIATE (issue 17): bench/udp_bench.sh.
noinst_PROGRAMS += bench/udpbench
bench_udpbench_SOURCES = bench/udpbench.c
EXTRA_DIST += bench/udp_bench.sh
