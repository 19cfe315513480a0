/*
 * Session engine micro-benchmark: TX (space/commit, drain, commit), RX in
 * order and reversed (reorder path), and memory for many idle sessions.
 * Prints numbers; asserts nothing (timing is not a test).
 *
 * usage: bench_session [MiB]
 */
#include "gr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session.h"

static double
bench_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Peak resident set (VmHWM) and current (VmRSS) in KiB, Linux only. */
static long
bench_rss_kib(const char *key)
{
	char	 line[256];
	FILE	*fp;
	long	 v = -1;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key) + 1, NULL, 10);
	fclose(fp);
	return (v);
}

static struct sess_txn		 bench_txn;
static struct wire_frame	 bench_out[64];

int
main(int argc, char *argv[])
{
	static const uint8_t	 sid[WIRE_SID_LEN];
	struct sess_cfg		 sc, rc;
	struct sess		*tx, *rx, **many;
	struct iovec		 iov[8];
	enum sess_abort_reason	 why;
	uint64_t		 total, done, frames = 0, ack;
	uint8_t			*p;
	size_t			 room, k, nsess = 10000, i;
	double			 t0, t;
	long			 rss0;
	int			 n, j;

	total = (argc > 1 ? strtoull(argv[1], NULL, 10) : 1024) << 20;
	sess_cfg_default(&sc);
	sc.sc_replay = 1;
	sess_cfg_default(&rc);
	rc.sc_rx_ack = 1;

	/* TX only: fill, drain 8 frames per batch, commit, ACK. */
	tx = sess_new(sid, NULL, &sc, NULL, 0);
	sess_txn_init(&bench_txn);
	t0 = bench_now();
	for (done = 0; done < total; ) {
		while (!sess_tx_paused(tx) && done < total) {
			sess_tx_space(tx, &p, &room);
			k = room < total - done ? room : total - done;
			p[0] = (uint8_t)done;	/* read(2) would fill it */
			sess_tx_commit(tx, k);
			done += k;
		}
		while ((n = sess_drain(tx, &bench_txn, bench_out, 8,
		    SIZE_MAX, 0)) > 0) {
			frames += n;
			sess_txn_commit(&bench_txn, 0);
			sess_replay_ack(tx, bench_out[n - 1].f_seq + 1, 0);
		}
	}
	t = bench_now() - t0;
	printf("tx: %llu MiB in %llu frames: %.3f s, %.0f MiB/s, "
	    "%.0f ns/frame (no payload copy)\n",
	    (unsigned long long)(total >> 20), (unsigned long long)frames, t,
	    (total >> 20) / t, t * 1e9 / frames);
	sess_unref(tx);

	/* TX -> RX, one memcpy into the RX queue; in order or reversed. */
	for (j = 0; j < 2; j++) {
		tx = sess_new(sid, NULL, &sc, NULL, 0);
		rx = sess_new(sid, NULL, &rc, NULL, 0);
		frames = 0;
		t0 = bench_now();
		for (done = 0; done < total; ) {
			while (!sess_tx_paused(tx) && done < total) {
				sess_tx_space(tx, &p, &room);
				k = room < total - done ? room : total - done;
				sess_tx_commit(tx, k);
				done += k;
			}
			while ((n = sess_drain(tx, &bench_txn, bench_out, 8,
			    SIZE_MAX, 0)) > 0) {
				frames += n;
				for (i = 0; i < (size_t)n; i++)
					sess_rx_frame(rx, &bench_out[j ?
					    n - 1 - i : i], 0, &why);
				sess_txn_commit(&bench_txn, 0);
				while ((n = sess_rx_iov(rx, iov, 8)) > 0) {
					for (k = 0, i = 0; i < (size_t)n; i++)
						k += iov[i].iov_len;
					sess_rx_consume(rx, k);
				}
				if (sess_ack_due(rx, &ack))
					sess_replay_ack(tx, ack, 0);
			}
		}
		t = bench_now() - t0;
		printf("tx->rx %s: %.3f s, %.0f MiB/s, %.0f ns/frame\n",
		    j ? "reversed (reorder copy)" : "in order", t,
		    (total >> 20) / t, t * 1e9 / frames);
		sess_unref(tx);
		sess_unref(rx);
	}

	/* Idle sessions that have carried a little traffic each way. */
	chunk_pool_trim(0);
	rss0 = bench_rss_kib("VmRSS:");
	if ((many = calloc(nsess, sizeof(*many))) == NULL)
		return (1);
	for (i = 0; i < nsess; i++) {
		struct wire_frame	 f;

		many[i] = sess_new(sid, NULL, &sc, NULL, 0);
		sess_set_target(many[i], "example.com:443", 15);
		sess_tx_write(many[i], "hello", 5);
		n = sess_drain(many[i], &bench_txn, bench_out, 8, SIZE_MAX, 0);
		sess_txn_commit(&bench_txn, 0);
		sess_replay_ack(many[i], 1, 0);
		memset(&f, 0, sizeof(f));
		f.f_payload = (const uint8_t *)"world";
		f.f_len = 5;
		sess_rx_frame(many[i], &f, 0, &why);
		sess_rx_consume(many[i], 5);
	}
	printf("idle: %zu sessions, sizeof(struct sess) %zu, RSS +%ld KiB "
	    "(%.0f B/session), chunks live %zu idle %zu\n", nsess,
	    sizeof(struct sess), bench_rss_kib("VmRSS:") - rss0,
	    (bench_rss_kib("VmRSS:") - rss0) * 1024.0 / nsess,
	    chunk_pool_live(), chunk_pool_idle());
	for (i = 0; i < nsess; i++)
		sess_unref(many[i]);
	free(many);
	return (0);
}
