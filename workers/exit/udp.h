/*
 * udp_v1 datagrams in the exit (udp.c, docs/udp.md): one UDP socket per
 * association, replies queued per client and drained into responses.
 * The hooks into the shared files are one call each: route.c
 * (udp_route, udp_route_rst, udp_offered), drain.c (udp_drain,
 * udp_resp_done), client.c (udp_client_has_work, udp_client_close,
 * udp_client_free), exit.c (udp_configure, udp_shutdown), estats.c
 * (udp_stats).
 */
#ifndef GR_EXIT_UDP_H
#define GR_EXIT_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct stats;
struct xclient;
struct xresp;

/* A generation was applied: log the state, end associations if off. */
void	udp_configure(void);
/* Is udp_v1 offered in the probe reply? */
int	udp_offered(void);
/* An ACK frame whose payload is a datagram ("GUDP"). */
void	udp_route(struct xclient *, const struct wire_frame *);
/* An RST for a session id that is not a TCP session. */
void	udp_route_rst(struct xclient *, const uint8_t sid[WIRE_SID_LEN]);
int	udp_client_has_work(struct xclient *);
/*
 * Move queued replies into a response: at most maxframes in all, half
 * the room left while the client's TCP sessions have data too.
 */
void	udp_drain(struct xclient *, struct xresp *, size_t maxframes,
	    size_t *budget);
/* The response was written (delivered) or given up (back to the queue). */
void	udp_resp_done(struct xclient *, struct xresp *, int delivered);
/* The client's sessions are killed (run reset, stream grace). */
void	udp_client_close(struct xclient *);
/* The client is freed (it has no associations left). */
void	udp_client_free(struct xclient *);
void	udp_shutdown(void);
void	udp_stats(struct stats *);

#endif /* GR_EXIT_UDP_H */
