/*
 * Wire codec throughput next to raw AES-256-GCM on the same machine in
 * the same run: seal+encode and decode+open of batches of 8 frames of
 * 16 KiB, of 8 x 256 KiB and of 48 x 1 KiB, binary and base64 bodies, and the malloc count
 * per batch once warm; also the two base64 codecs on the same payload
 * (base64 rows count binary bytes).  Prints a markdown table.
 *
 *	bench_wire [-t seconds_per_cell] [-r repeats]
 *
 * Every operation runs in slices of the given time (default 0.05 s),
 * interleaved, repeated (default 20 times); the best slice is kept, which
 * is what a noisy shared machine allows.  Time is the thread's CPU time.
 * MB/s counts frame payload bytes (10^6 bytes per MB).
 */
#include "gr_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "wire.h"

/* Allocations of the whole process (0 under ASan, which owns malloc). */
#include "alloc_count.h"

#define BENCH_WIRE_MAXFRAMES	48	/* Go's per-batch frame cap */

enum bench_wire_op {
	BW_RAW_SEAL, BW_RAW_OPEN,
	BW_SEAL_BIN, BW_OPEN_BIN,
	BW_SEAL_TXT, BW_OPEN_TXT,
	BW_B64E, BW_B64D,
	BW_B64E_EVP, BW_B64D_EVP,
	BW_SEAL_ZSTD, BW_OPEN_ZSTD,
	BW_NOPS
};

static const char *bench_wire_opname[BW_NOPS] = {
	"raw EVP AES-256-GCM encrypt",
	"raw EVP AES-256-GCM decrypt",
	"wire_batch_seal (binary)",
	"wire_batch_open (binary)",
	"wire_body_seal (base64 text)",
	"wire_body_open (base64 text)",
	"base64 encode, hand-written (used)",
	"base64 decode, hand-written (used)",
	"base64 encode, libcrypto EVP_EncodeBlock",
	"base64 decode, libcrypto EVP_DecodeBlock",
	"wire_batch_seal, zstd (text-like payload)",
	"wire_batch_open, zstd (text-like payload)",
};

struct bench_wire_ctx {
	struct wire_aead	*bw_aead;
	EVP_CIPHER_CTX		*bw_enc, *bw_dec;
	struct wire_frame	 bw_fr[BENCH_WIRE_MAXFRAMES];
	struct wire_frame	 bw_zfr[BENCH_WIRE_MAXFRAMES];
	size_t			 bw_nframes;
	uint8_t			*bw_text;	/* compressible payloads */
	struct wbuf		 bw_zbin;
	size_t			 bw_payload;	/* bytes per batch */
	uint8_t			*bw_data;	/* frame payloads, contiguous */
	uint8_t			*bw_ct;		/* raw ciphertext */
	uint8_t			 bw_tag[16];
	struct wbuf		 bw_bin, bw_txt, bw_scratch, bw_d64;
	char			*bw_b64;	/* payload as base64 */
	size_t			 bw_b64len;
	struct wire_batch	 bw_b;
};

static const uint8_t bench_wire_cid[WIRE_CID_LEN] = { 1, 2, 3 };
static const uint8_t bench_wire_iv[12] = { 9, 8, 7 };

static double
bench_wire_now(void)
{
	struct timespec ts;

	/*
	 * CPU time of this thread, not wall time: on a loaded machine the
	 * time spent preempted would otherwise land on whichever slice it
	 * hit.
	 */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
bench_wire_die(const char *what, const char *err)
{
	fprintf(stderr, "bench_wire: %s: %s\n", what, err ? err : "failed");
	exit(1);
}

/* One operation on one batch. */
static void
bench_wire_once(struct bench_wire_ctx *c, enum bench_wire_op op)
{
	static const struct wire_encopts zo = { WIRE_LAYOUT_V16, 1 };
	const char	*err = NULL;
	int		 l;

	switch (op) {
	case BW_RAW_SEAL:
		if (EVP_EncryptInit_ex(c->bw_enc, NULL, NULL, NULL,
		    bench_wire_iv) != 1 ||
		    EVP_EncryptUpdate(c->bw_enc, c->bw_ct, &l, c->bw_data,
		    (int)c->bw_payload) != 1 ||
		    EVP_EncryptFinal_ex(c->bw_enc, c->bw_ct + l, &l) != 1 ||
		    EVP_CIPHER_CTX_ctrl(c->bw_enc, EVP_CTRL_GCM_GET_TAG, 16,
		    c->bw_tag) != 1)
			bench_wire_die("raw seal", NULL);
		break;
	case BW_RAW_OPEN:
		if (EVP_DecryptInit_ex(c->bw_dec, NULL, NULL, NULL,
		    bench_wire_iv) != 1 ||
		    EVP_DecryptUpdate(c->bw_dec, c->bw_data, &l, c->bw_ct,
		    (int)c->bw_payload) != 1 ||
		    EVP_CIPHER_CTX_ctrl(c->bw_dec, EVP_CTRL_GCM_SET_TAG, 16,
		    c->bw_tag) != 1 ||
		    EVP_DecryptFinal_ex(c->bw_dec, c->bw_data + l, &l) != 1)
			bench_wire_die("raw open", NULL);
		break;
	case BW_SEAL_BIN:
		wbuf_reset(&c->bw_bin);
		if (wire_batch_seal(c->bw_aead, bench_wire_cid, c->bw_fr,
		    c->bw_nframes, NULL, &c->bw_bin, &err) != 0)
			bench_wire_die("seal", err);
		break;
	case BW_OPEN_BIN:
		if (wire_batch_open(c->bw_aead, c->bw_bin.wb_data,
		    c->bw_bin.wb_len, &c->bw_b, &err) != 0 ||
		    c->bw_b.b_nframes != c->bw_nframes)
			bench_wire_die("open", err);
		break;
	case BW_SEAL_TXT:
		wbuf_reset(&c->bw_txt);
		if (wire_body_seal(c->bw_aead, bench_wire_cid, c->bw_fr,
		    c->bw_nframes, NULL, 1, &c->bw_txt, &c->bw_scratch,
		    &err) != 0)
			bench_wire_die("seal text", err);
		break;
	case BW_OPEN_TXT:
		if (wire_body_open(c->bw_aead, c->bw_txt.wb_data,
		    c->bw_txt.wb_len, 1, &c->bw_b, &err) != 0 ||
		    c->bw_b.b_nframes != c->bw_nframes)
			bench_wire_die("open text", err);
		break;
	case BW_B64E:
		wire_b64_encode(c->bw_b64, c->bw_data, c->bw_payload);
		break;
	case BW_B64E_EVP:
		wire_b64_encode_evp(c->bw_b64, c->bw_data, c->bw_payload);
		break;
	case BW_B64D:
		if (wire_b64_decode(&c->bw_d64, c->bw_b64, c->bw_b64len,
		    &err) != 0)
			bench_wire_die("base64", err);
		break;
	case BW_B64D_EVP:
		if (wire_b64_decode_evp(&c->bw_d64, c->bw_b64, c->bw_b64len,
		    &err) != 0)
			bench_wire_die("base64 evp", err);
		break;
	case BW_SEAL_ZSTD:
		wbuf_reset(&c->bw_zbin);
		if (wire_batch_seal(c->bw_aead, bench_wire_cid, c->bw_zfr,
		    c->bw_nframes, &zo, &c->bw_zbin, &err) != 0)
			bench_wire_die("seal zstd", err);
		break;
	case BW_OPEN_ZSTD:
		if (wire_batch_open(c->bw_aead, c->bw_zbin.wb_data,
		    c->bw_zbin.wb_len, &c->bw_b, &err) != 0 ||
		    c->bw_b.b_bflags != WIRE_BF_ZSTD)
			bench_wire_die("open zstd", err);
		break;
	default:
		break;
	}
}

/*
 * One timed slice of one operation: keeps the best throughput (MB/s of
 * payload) and the worst allocation count per batch seen so far.
 */
static void
bench_wire_slice(struct bench_wire_ctx *c, enum bench_wire_op op,
    double secs, double *best, double *allocs)
{
	double	 t0, t;
	unsigned long a0, n = 0;

	a0 = alloc_count();
	t0 = bench_wire_now();
	do {
		bench_wire_once(c, op);
		n++;
	} while ((t = bench_wire_now() - t0) < secs);
	if ((double)(alloc_count() - a0) / n > *allocs)
		*allocs = (double)(alloc_count() - a0) / n;
	if (n * c->bw_payload / t / 1e6 > *best)
		*best = n * c->bw_payload / t / 1e6;
}

int
main(int argc, char *argv[])
{
	static const struct {
		size_t	 size, n;
	} sizes[] = {
		{ 16384, 8 }, { WIRE_MAX_PAYLOAD, 8 }, { 1024, 48 }
	};
	struct bench_wire_ctx c;
	uint8_t		 key[WIRE_KEY_LEN];
	double		 secs = 0.05, mbs[BW_NOPS], al[BW_NOPS];
	size_t		 si, i;
	int		 ch, reps = 20, op, r;
	char		 host[256];

	while ((ch = getopt(argc, argv, "t:r:")) != -1) {
		switch (ch) {
		case 't':
			secs = atof(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_wire [-t secs] "
			    "[-r repeats]\n");
			return (1);
		}
	}
	if (secs <= 0 || reps < 1)
		return (1);
	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "?");
	RAND_bytes(key, sizeof(key));

	printf("wire codec vs raw AES-256-GCM, random payload,\nbest of %d interleaved slices of %.2f s CPU time, %ld CPUs "
	    "online "
	    "(%s)\n\n", reps, secs,
	    sysconf(_SC_NPROCESSORS_ONLN), OpenSSL_version(OPENSSL_VERSION));
	printf("| batch | operation | MB/s | vs raw AES-GCM | "
	    "allocs/batch |\n");
	printf("|---|---|---:|---:|---:|\n");
	for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		memset(&c, 0, sizeof(c));
		wire_batch_init(&c.bw_b);
		c.bw_nframes = sizes[si].n;
		c.bw_payload = sizes[si].size * c.bw_nframes;
		if ((c.bw_data = malloc(c.bw_payload)) == NULL ||
		    (c.bw_ct = malloc(c.bw_payload + 16)) == NULL)
			bench_wire_die("malloc", NULL);
		RAND_bytes(c.bw_data, (int)c.bw_payload);
		/* Log-like text: compressible, but not trivially. */
		if ((c.bw_text = malloc(c.bw_payload)) == NULL)
			bench_wire_die("malloc", NULL);
		for (i = 0; i < c.bw_payload; i += 64)
			snprintf((char *)c.bw_text + i, c.bw_payload - i >= 64 ?
			    64 : c.bw_payload - i, "%08zx GET /item/%u "
			    "HTTP/1.1 200 %5u bytes ok\n", i,
			    (unsigned)(c.bw_data[i] * 7u), (unsigned)
			    (c.bw_data[i + 1] << 8 | c.bw_data[i + 2]));
		c.bw_b64len = wire_b64_enclen(c.bw_payload);
		if ((c.bw_b64 = malloc(c.bw_b64len)) == NULL)
			bench_wire_die("malloc", NULL);
		wire_b64_encode(c.bw_b64, c.bw_data, c.bw_payload);
		if ((c.bw_aead = wire_aead_new(key)) == NULL ||
		    (c.bw_enc = EVP_CIPHER_CTX_new()) == NULL ||
		    (c.bw_dec = EVP_CIPHER_CTX_new()) == NULL ||
		    EVP_EncryptInit_ex(c.bw_enc, EVP_aes_256_gcm(), NULL, key,
		    NULL) != 1 ||
		    EVP_DecryptInit_ex(c.bw_dec, EVP_aes_256_gcm(), NULL, key,
		    NULL) != 1)
			bench_wire_die("init", NULL);
		for (i = 0; i < c.bw_nframes; i++) {
			memset(c.bw_fr[i].f_sid, (int)i, WIRE_SID_LEN);
			c.bw_fr[i].f_seq = i + 1;
			c.bw_fr[i].f_payload = c.bw_data + i * sizes[si].size;
			c.bw_fr[i].f_len = sizes[si].size;
			c.bw_zfr[i] = c.bw_fr[i];
			c.bw_zfr[i].f_payload = c.bw_text +
			    i * sizes[si].size;
		}
		/*
		 * Warm up (open needs something sealed, so seal first),
		 * then interleave short slices of every operation so load
		 * from other processes hits raw and wire alike.
		 */
		for (op = 0; op < BW_NOPS; op++) {
			for (i = 0; i < 4; i++)
				bench_wire_once(&c, op);
			mbs[op] = al[op] = 0;
		}
		for (r = 0; r < reps; r++)
			for (op = 0; op < BW_NOPS; op++)
				bench_wire_slice(&c, op, secs, &mbs[op],
				    &al[op]);
		for (op = 0; op < BW_NOPS; op++)
			printf("| %zu x %zu KiB | %s | %.0f | %.0f%% | %.2f "
			    "|\n", c.bw_nframes, sizes[si].size / 1024,
			    bench_wire_opname[op], mbs[op],
			    100.0 * mbs[op] / mbs[op % 2 ? BW_RAW_OPEN :
			    BW_RAW_SEAL], al[op]);
		printf("| %zu x %zu KiB | body sizes | binary %zu B | "
		    "base64 %zu B | zstd %zu B |\n", c.bw_nframes,
		    sizes[si].size / 1024, c.bw_bin.wb_len, c.bw_txt.wb_len,
		    c.bw_zbin.wb_len);
		wire_aead_free(c.bw_aead);
		EVP_CIPHER_CTX_free(c.bw_enc);
		EVP_CIPHER_CTX_free(c.bw_dec);
		wbuf_free(&c.bw_bin);
		wbuf_free(&c.bw_txt);
		wbuf_free(&c.bw_scratch);
		wbuf_free(&c.bw_d64);
		free(c.bw_b64);
		free(c.bw_text);
		wbuf_free(&c.bw_zbin);
		wire_batch_free(&c.bw_b);
		free(c.bw_data);
		free(c.bw_ct);
	}
	return (0);
}
