/*
 * SOCKS5 UDP ASSOCIATE in the carrier (udp.c, docs/udp.md): the
 * associations, the relay socket the supervisor passes with the SOCKS
 * listener, and the datagrams queued for the tunnel (udp_v1).  The hooks
 * into the shared files are one call each: local.c hands the request
 * over (udp_associate), tunnel.c fills batches from the queue
 * (udp_fill, udp_sealed, udp_unfill, udp_has_work), dispatches the
 * exit's datagrams and RSTs (udp_rx_frame, udp_rx_rst) and reports the
 * negotiated features (udp_features).
 */
#ifndef GR_CARRIER_UDP_H
#define GR_CARRIER_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct carrier;
struct lconn;
struct stats;
struct tunnel_batch;
struct wproc_conf;

/* A generation arrived: take its UDP relay socket, if any. */
void	udp_configure(struct carrier *, struct wproc_conf *);
/*
 * A SOCKS5 request with CMD 3 (req: its bytes, len of them): the
 * connection becomes the association's control connection.  lc is
 * freed (local_detach) whatever the outcome.
 */
void	udp_associate(struct lconn *, const uint8_t *req, size_t len);
/* tunnel_features() ran: answer waiting associations, or end them all. */
void	udp_features(struct carrier *);
int	udp_has_work(struct carrier *);
/* Add queued datagrams to a batch being filled (tunnel_fill). */
void	udp_fill(struct carrier *, struct tunnel_batch *, size_t maxf,
	    size_t *budget);
/* The batch is sealed: its datagrams are gone for good (no replay). */
void	udp_sealed(struct tunnel_batch *);
/* The batch was given up before it was sealed: queue them again. */
void	udp_unfill(struct carrier *, struct tunnel_batch *);
/* An ACK frame with a udp_v1 payload from the exit. */
void	udp_rx_frame(struct carrier *, const struct wire_frame *);
/* An RST for a session id the carrier has no TCP session for. */
void	udp_rx_rst(struct carrier *, const uint8_t sid[WIRE_SID_LEN]);
/* Shutdown: an RST for every association the exit knows; how many. */
size_t	udp_shutdown(struct carrier *);
void	udp_stats(struct stats *);

#endif /* GR_CARRIER_UDP_H */
