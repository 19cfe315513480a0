/*
 * The carrier's transports behind one interface (issue 14), in the style
 * of relayd's relay/protocol tables and tmux's window modes: each
 * transport fills a const struct transport_ops; the tunnel core
 * (transport.c) holds the table, decides from transport_mode once which
 * transports run and which one carries (the fallback policy), and is
 * the only caller of the operations.
 *
 *	local.c, tunnel.c, rxwin.c, failover.c, cstats.c, carrier.c
 *		|  transport_*()
 *	transport.c  (which transports, which one carries, fallback)
 *		|  ops->to_*()
 *	stream.c (direct_stream)   post.c (direct_post, apps_script;
 *	                                   endpoints: direct.c, fronted.c)
 *
 * A transport never calls another one: what it needs to know of the
 * others it asks the core (transport_preempted()), and what it has to say
 * (the stream went away) it tells the core (transport_lost()).
 */
#ifndef GR_CARRIER_TRANSPORT_H
#define GR_CARRIER_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct carrier;
struct carrier_conf;
struct stats_endpoint;

/* The transports, in the core's order of preference. */
enum transport_id {
	TR_STREAM = 0,		/* direct_stream: stream.c */
	TR_POST,		/* direct_post / apps_script: post.c */
	TR_MAX
};

struct transport_ops {
	const char	*to_name;
	/* Before the sandbox: contexts that open files.  -1: fatal. */
	int		(*to_preinit)(struct carrier *);
	/* Each configuration generation (start and reload).  -1: refused. */
	int		(*to_configure)(struct carrier *, const uint8_t *ca,
			    size_t calen);
	void		(*to_start)(struct carrier *);
	void		(*to_stop)(struct carrier *);
	/* Sessions have something to send: take it. */
	void		(*to_kick)(struct carrier *);
	/* Conditions changed (fallback, window opened): look again. */
	void		(*to_wake)(struct carrier *);
	/* Health: 1 if it can carry the tunnel now. */
	int		(*to_up)(struct carrier *);
	/* Local apps took received bytes: reading may resume. */
	void		(*to_drained)(struct carrier *);
	/* 1: it switched to the v1.5 layout for a v1.5 server. */
	int		(*to_v15)(struct carrier *);
	/* 1: its answers confirm the frames sent (no GACKs needed). */
	int		(*to_local_ack)(struct carrier *);
	/* How long a new session's SYN may wait for its first bytes, s. */
	double		(*to_syn_hold)(struct carrier *);
	/* A liveness probe now (failover.c).  1: one went out. */
	int		(*to_probe)(struct carrier *);
	/* Stats: state (0 down, 1 connecting, 2 up), failures, retry. */
	int		(*to_state)(struct carrier *, int *state,
			    unsigned int *fails, int64_t *retry_ms);
	void		(*to_counts)(struct carrier *, uint64_t *ok,
			    uint64_t *fail, uint64_t *drop);
	/* Stats row i of its endpoints; -1 past the end. */
	int		(*to_endpoint)(struct carrier *, size_t,
			    struct stats_endpoint *, char *name, size_t,
			    char *account, size_t);
};

extern const struct transport_ops stream_transport;	/* stream.c */
extern const struct transport_ops post_transport;	/* post.c */

/* transport.c */
int		 transport_preinit(struct carrier *, const char **failed);
int		 transport_configure(struct carrier *, const uint8_t *ca,
		    size_t calen);
void		 transport_start(struct carrier *);
void		 transport_stop(struct carrier *);
void		 transport_kick(struct carrier *);
void		 transport_wake(struct carrier *);
void		 transport_drained(struct carrier *);
int		 transport_up(struct carrier *, enum transport_id);
int		 transport_any_up(struct carrier *);
int		 transport_preempted(struct carrier *, enum transport_id);
void		 transport_lost(struct carrier *, enum transport_id);
int		 transport_probe(struct carrier *, enum transport_id);
int		 transport_v15(struct carrier *);
int		 transport_local_ack(struct carrier *);
int		 transport_state(struct carrier *, enum transport_id, int *,
		    unsigned int *, int64_t *);
void		 transport_counts(struct carrier *, enum transport_id,
		    uint64_t *ok, uint64_t *fail, uint64_t *drop);
int		 transport_endpoint(struct carrier *, enum transport_id, size_t,
		    struct stats_endpoint *, char *, size_t, char *, size_t);
uint64_t	 transport_fallbacks(void);
int		 transport_post_fronted(const struct carrier_conf *);
int		 transport_fronted_only(const struct carrier_conf *);
int		 transport_stream_may_carry(const struct carrier_conf *);
double		 transport_syn_hold(struct carrier *);
const char	*transport_mode_name(const struct carrier_conf *);
double		 transport_rst_bound(const struct carrier_conf *);

#endif /* GR_CARRIER_TRANSPORT_H */
