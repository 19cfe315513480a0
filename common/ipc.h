/*
 * imsg-like framing over a UNIX socketpair with SCM_RIGHTS fd passing,
 * driven by libev: the read watcher is always on, the write watcher only
 * while the output queue is non-empty.  Header (host byte order):
 * { u32 type; u16 len; u16 flags; u32 peerid; u32 pid }, len includes the
 * header and is at most MSG_MAX_SIZE.  Every received message is checked
 * against the table in msg.c before the dispatch callback sees it.
 */
#ifndef GR_IPC_H
#define GR_IPC_H

#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct ev_loop;

struct imsg_hdr {
	uint32_t	 type;
	uint16_t	 len;
	uint16_t	 flags;
	uint32_t	 peerid;
	uint32_t	 pid;
};

struct imsg {
	struct imsg_hdr	 hdr;
	int		 fd;		/* -1 if none; the handler owns it */
	void		*data;
	size_t		 datalen;
};

struct ipc;

/* A valid message.  The handler must close imsg->fd if it keeps none. */
typedef void	(*ipc_dispatch_cb)(struct ipc *, struct imsg *, void *);
/*
 * The peer is gone (why = "EOF") or broke the protocol (why = the reason
 * from msg_check or the framing).  The ipc stops reading; the owner
 * decides: the supervisor kills that worker, a worker exits.
 */
typedef void	(*ipc_error_cb)(struct ipc *, const char *why, void *);

/*
 * recv_dir: MSG_DIR_S2W in a worker, MSG_DIR_W2S in the supervisor;
 * role: the worker's role (its own, or the one the supervisor talks to).
 * Both directions keep to the message table: a message of another role,
 * in the wrong direction, or a once-only one twice is refused on send
 * (-1, EINVAL) and a protocol violation on receive.
 */
struct ipc	*ipc_new(struct ev_loop *, int fd, int recv_dir,
		    enum proc_role role, ipc_dispatch_cb, ipc_error_cb,
		    void *arg);
void		 ipc_free(struct ipc *);		/* closes the fd */
enum proc_role	 ipc_role(const struct ipc *);
int		 ipc_fd(const struct ipc *);

/* Queue one message; fd (or -1) is closed after sending.  0 or -1. */
int		 ipc_send(struct ipc *, uint32_t type, uint32_t peerid,
		    int fd, const void *, size_t);
int		 ipc_sendv(struct ipc *, uint32_t type, uint32_t peerid,
		    uint16_t flags, int fd, const struct iovec *, int);
/* Send a payload of any size as pieces flagged IMSGF_MORE. */
int		 ipc_send_big(struct ipc *, uint32_t type, uint32_t peerid,
		    const void *, size_t);
size_t		 ipc_queued(const struct ipc *);
/* Write out the queue synchronously (shutdown paths); 0 or -1. */
int		 ipc_flush(struct ipc *);

/* Low-level framing, exposed for unit tests and fuzzing. */
struct ipc_rbuf;
/*
 * Parse one message from buf[0..len): returns bytes consumed, 0 if more
 * data is needed, -1 on a framing error (*why set).
 */
long		 ipc_parse(const uint8_t *, size_t, struct imsg_hdr *,
		    const char **why);

#endif /* GR_IPC_H */
