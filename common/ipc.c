/*
 * imsg-like framing over a UNIX stream socketpair, on libev.  One
 * recvmsg() may bring several messages and several fds; fds arrive with
 * the first byte of the sendmsg() that carried them, so they are queued
 * in arrival order and matched to messages flagged IMSGF_HASFD.  Every
 * message is checked against the table (msg.c) before dispatch.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "ipc.h"
#include "msg.h"

#define IPC_MAXFDS_QUEUED	16	/* received fds not yet matched */
#define IPC_MAXFDS_RECV		8	/* fds accepted per recvmsg() */
#define IPC_RBUF_SIZE		(2 * MSG_MAX_SIZE)

struct ipc_out {
	struct ipc_out	*io_next;
	size_t		 io_len;
	size_t		 io_off;
	int		 io_fd;
	uint8_t		 io_data[];
};

struct ipc {
	struct ev_loop	*i_loop;
	int		 i_fd;
	int		 i_recv_dir;
	enum proc_role	 i_role;	/* the worker's, at either end */
	uint64_t	 i_once_rx;	/* MSG_F_ONCE types received */
	uint64_t	 i_once_tx;	/* ... and sent */
	ipc_dispatch_cb	 i_dispatch;
	ipc_error_cb	 i_error;
	void		*i_arg;
	ev_io		 i_rio;
	ev_io		 i_wio;
	int		 i_busy;	/* inside a callback */
	int		 i_freed;	/* ipc_free() called while busy */
	int		 i_dead;	/* error reported, stop reading */
	uint8_t		*i_rbuf;
	size_t		 i_rlen;
	int		 i_fds[IPC_MAXFDS_QUEUED];
	int		 i_nfds;
	struct ipc_out	*i_head;
	struct ipc_out	*i_tail;
	size_t		 i_queued;
};

static void	ipc_read_cb(struct ev_loop *, ev_io *, int);
static void	ipc_write_cb(struct ev_loop *, ev_io *, int);

long
ipc_parse(const uint8_t *buf, size_t len, struct imsg_hdr *hdr,
    const char **why)
{
	if (len < MSG_HDR_SIZE)
		return 0;
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->len < MSG_HDR_SIZE) {
		*why = "message length shorter than its header";
		return -1;
	}
	if (hdr->flags & ~(IMSGF_HASFD | IMSGF_MORE)) {
		*why = "unknown header flags";
		return -1;
	}
	if (len < hdr->len)
		return 0;
	return hdr->len;
}

struct ipc *
ipc_new(struct ev_loop *loop, int fd, int recv_dir, enum proc_role role,
    ipc_dispatch_cb dispatch, ipc_error_cb error, void *arg)
{
	struct ipc	*ipc;
	int		 fl;

	if ((ipc = calloc(1, sizeof(*ipc))) == NULL)
		return NULL;
	if ((ipc->i_rbuf = malloc(IPC_RBUF_SIZE)) == NULL) {
		free(ipc);
		return NULL;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		free(ipc->i_rbuf);
		free(ipc);
		return NULL;
	}
	ipc->i_loop = loop;
	ipc->i_fd = fd;
	ipc->i_recv_dir = recv_dir;
	ipc->i_role = role;
	ipc->i_dispatch = dispatch;
	ipc->i_error = error;
	ipc->i_arg = arg;
	ev_io_init(&ipc->i_rio, ipc_read_cb, fd, EV_READ);
	ipc->i_rio.data = ipc;
	ev_io_init(&ipc->i_wio, ipc_write_cb, fd, EV_WRITE);
	ipc->i_wio.data = ipc;
	ev_io_start(loop, &ipc->i_rio);
	return ipc;
}

static void
ipc_destroy(struct ipc *ipc)
{
	struct ipc_out	*io;
	int		 i;

	ev_io_stop(ipc->i_loop, &ipc->i_rio);
	ev_io_stop(ipc->i_loop, &ipc->i_wio);
	while ((io = ipc->i_head) != NULL) {
		ipc->i_head = io->io_next;
		if (io->io_fd != -1)
			close(io->io_fd);
		free(io);
	}
	for (i = 0; i < ipc->i_nfds; i++)
		close(ipc->i_fds[i]);
	if (ipc->i_fd != -1)
		close(ipc->i_fd);
	free(ipc->i_rbuf);
	free(ipc);
}

void
ipc_free(struct ipc *ipc)
{
	if (ipc == NULL)
		return;
	if (ipc->i_busy) {
		/* Freed from inside its own callback: finish there. */
		ipc->i_freed = 1;
		ipc->i_dead = 1;
		ev_io_stop(ipc->i_loop, &ipc->i_rio);
		ev_io_stop(ipc->i_loop, &ipc->i_wio);
		return;
	}
	ipc_destroy(ipc);
}

enum proc_role
ipc_role(const struct ipc *ipc)
{
	return ipc->i_role;
}

int
ipc_fd(const struct ipc *ipc)
{
	return ipc->i_fd;
}

size_t
ipc_queued(const struct ipc *ipc)
{
	return ipc->i_queued;
}

/* Report an error once and stop reading; the owner decides what follows. */
static void
ipc_fail(struct ipc *ipc, const char *why)
{
	if (ipc->i_dead)
		return;
	ipc->i_dead = 1;
	ev_io_stop(ipc->i_loop, &ipc->i_rio);
	ev_io_stop(ipc->i_loop, &ipc->i_wio);
	if (ipc->i_error != NULL)
		ipc->i_error(ipc, why, ipc->i_arg);
}

int
ipc_sendv(struct ipc *ipc, uint32_t type, uint32_t peerid, uint16_t flags,
    int fd, const struct iovec *iov, int iovcnt)
{
	const struct msg_desc	*md;
	struct ipc_out		*io;
	struct imsg_hdr		 hdr;
	size_t			 len = 0, off;
	int			 i, idx;

	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	/*
	 * The sender keeps the table too: never another role's message,
	 * never the wrong direction, a once-only message once.
	 */
	md = msg_lookup(type);
	idx = msg_index(type);
	if (md == NULL || len > MSG_MAX_PAYLOAD || ipc->i_dead ||
	    md->md_dir == ipc->i_recv_dir ||
	    (md->md_roles & RL(ipc->i_role)) == 0 ||
	    ((md->md_flags & MSG_F_ONCE) &&
	    (ipc->i_once_tx & (1ULL << idx)))) {
		if (fd != -1)
			close(fd);
		errno = EINVAL;
		return -1;
	}
	if (md->md_flags & MSG_F_ONCE)
		ipc->i_once_tx |= 1ULL << idx;
	if ((io = malloc(sizeof(*io) + MSG_HDR_SIZE + len)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = MSG_HDR_SIZE + len;
	hdr.flags = (flags & IMSGF_MORE) | (fd != -1 ? IMSGF_HASFD : 0);
	hdr.peerid = peerid;
	hdr.pid = getpid();
	memcpy(io->io_data, &hdr, sizeof(hdr));
	off = MSG_HDR_SIZE;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > 0)
			memcpy(io->io_data + off, iov[i].iov_base,
			    iov[i].iov_len);
		off += iov[i].iov_len;
	}
	io->io_next = NULL;
	io->io_len = off;
	io->io_off = 0;
	io->io_fd = fd;
	if (ipc->i_tail != NULL)
		ipc->i_tail->io_next = io;
	else
		ipc->i_head = io;
	ipc->i_tail = io;
	ipc->i_queued++;
	ev_io_start(ipc->i_loop, &ipc->i_wio);
	return 0;
}

int
ipc_send(struct ipc *ipc, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	struct iovec	 iov;

	iov.iov_base = (void *)data;
	iov.iov_len = len;
	return ipc_sendv(ipc, type, peerid, 0, fd, &iov, data != NULL ? 1 : 0);
}

int
ipc_send_big(struct ipc *ipc, uint32_t type, uint32_t peerid,
    const void *data, size_t len)
{
	const uint8_t	*p = data;
	struct iovec	 iov;
	size_t		 n;

	do {
		n = len > MSG_MAX_PAYLOAD ? MSG_MAX_PAYLOAD : len;
		iov.iov_base = (void *)p;
		iov.iov_len = n;
		if (ipc_sendv(ipc, type, peerid, n < len ? IMSGF_MORE : 0,
		    -1, &iov, 1) == -1)
			return -1;
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

/* Write as much of the queue as the socket takes: 0, or -1 on error. */
static int
ipc_write_some(struct ipc *ipc)
{
	struct ipc_out	*io;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cmsgbuf;
	ssize_t		 n;

	while ((io = ipc->i_head) != NULL) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = io->io_data + io->io_off;
		iov.iov_len = io->io_len - io->io_off;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (io->io_off == 0 && io->io_fd != -1) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			msg.msg_control = cmsgbuf.buf;
			msg.msg_controllen = sizeof(cmsgbuf.buf);
			cmsg = CMSG_FIRSTHDR(&msg);
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cmsg), &io->io_fd, sizeof(int));
		}
		n = sendmsg(ipc->i_fd, &msg, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		if (io->io_off == 0 && io->io_fd != -1) {
			/* The fd went with the first byte. */
			close(io->io_fd);
			io->io_fd = -1;
		}
		io->io_off += n;
		if (io->io_off < io->io_len)
			continue;
		ipc->i_head = io->io_next;
		if (ipc->i_head == NULL)
			ipc->i_tail = NULL;
		ipc->i_queued--;
		free(io);
	}
	return 0;
}

static void
ipc_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipc	*ipc = w->data;

	ipc->i_busy++;
	if (ipc_write_some(ipc) == -1)
		ipc_fail(ipc, errno == EPIPE || errno == ECONNRESET ?
		    "EOF" : "write error");
	else if (ipc->i_head == NULL)
		ev_io_stop(loop, &ipc->i_wio);
	ipc->i_busy--;
	if (ipc->i_busy == 0 && ipc->i_freed)
		ipc_destroy(ipc);
}

int
ipc_flush(struct ipc *ipc)
{
	struct timeval	 tv = { 2, 0 };
	int		 fl, rv = 0;

	if (ipc->i_head == NULL)
		return 0;
	/*
	 * Blocking writes with a send timeout: a peer that stopped reading
	 * cannot hold an exiting process forever.
	 */
	if ((fl = fcntl(ipc->i_fd, F_GETFL)) == -1)
		return -1;
	(void)fcntl(ipc->i_fd, F_SETFL, fl & ~O_NONBLOCK);
	(void)setsockopt(ipc->i_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (ipc->i_head != NULL) {
		if (ipc_write_some(ipc) == -1) {
			rv = -1;
			break;
		}
		if (ipc->i_head != NULL && errno == EAGAIN) {
			rv = -1;	/* timed out */
			break;
		}
	}
	(void)fcntl(ipc->i_fd, F_SETFL, fl);
	if (ipc->i_head == NULL)
		ev_io_stop(ipc->i_loop, &ipc->i_wio);
	return rv;
}

/* Receive bytes and fds; returns -1 and sets *why on EOF or error. */
static int
ipc_recv(struct ipc *ipc, const char **why)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(IPC_MAXFDS_RECV * sizeof(int))];
	}		 cmsgbuf;
	ssize_t		 n;
	int		 fds[IPC_MAXFDS_RECV], nfds, i, bad = 0;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = ipc->i_rbuf + ipc->i_rlen;
	iov.iov_len = IPC_RBUF_SIZE - ipc->i_rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	n = recvmsg(ipc->i_fd, &msg, MSG_CMSG_CLOEXEC);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		*why = errno == ECONNRESET ? "EOF" : "read error";
		return -1;
	}
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS) {
			bad = 1;
			continue;
		}
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfds > IPC_MAXFDS_RECV)
			nfds = IPC_MAXFDS_RECV;
		memcpy(fds, CMSG_DATA(cmsg), nfds * sizeof(int));
		for (i = 0; i < nfds; i++) {
#ifdef GR_NO_CMSG_CLOEXEC
			(void)fcntl(fds[i], F_SETFD, FD_CLOEXEC);
#endif
			if (ipc->i_nfds < IPC_MAXFDS_QUEUED)
				ipc->i_fds[ipc->i_nfds++] = fds[i];
			else {
				close(fds[i]);
				bad = 1;
			}
		}
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		*why = "control data truncated (too many fds)";
		return -1;
	}
	if (bad) {
		*why = "unexpected control data or too many fds";
		return -1;
	}
	if (n == 0) {
		*why = "EOF";
		return -1;
	}
	ipc->i_rlen += n;
	return 0;
}

static int
ipc_take_fd(struct ipc *ipc)
{
	int	 fd;

	if (ipc->i_nfds == 0)
		return -1;
	fd = ipc->i_fds[0];
	ipc->i_nfds--;
	memmove(ipc->i_fds, ipc->i_fds + 1, ipc->i_nfds * sizeof(int));
	return fd;
}

/* Check and dispatch every complete message in the buffer. */
static void
ipc_dispatch_all(struct ipc *ipc)
{
	const struct msg_desc	*md;
	struct imsg		 imsg;
	const char		*why = NULL;
	size_t			 off = 0;
	long			 n;
	int			 hasfd, idx;

	while (!ipc->i_dead) {
		n = ipc_parse(ipc->i_rbuf + off, ipc->i_rlen - off, &imsg.hdr,
		    &why);
		if (n == 0)
			break;
		if (n == -1) {
			ipc_fail(ipc, why);
			return;
		}
		hasfd = (imsg.hdr.flags & IMSGF_HASFD) != 0;
		if ((why = msg_check_flags(imsg.hdr.type,
		    imsg.hdr.flags)) != NULL ||
		    (why = msg_check(imsg.hdr.type, ipc->i_recv_dir,
		    ipc->i_role, n - MSG_HDR_SIZE, hasfd)) != NULL) {
			ipc_fail(ipc, why);
			return;
		}
		idx = msg_index(imsg.hdr.type);
		md = msg_lookup(imsg.hdr.type);
		if (md->md_flags & MSG_F_ONCE) {
			if (ipc->i_once_rx & (1ULL << idx)) {
				ipc_fail(ipc, "message allowed once only");
				return;
			}
			ipc->i_once_rx |= 1ULL << idx;
		}
		imsg.fd = -1;
		if (hasfd && (imsg.fd = ipc_take_fd(ipc)) == -1) {
			ipc_fail(ipc, "flagged fd did not arrive");
			return;
		}
		imsg.data = n > MSG_HDR_SIZE ? ipc->i_rbuf + off +
		    MSG_HDR_SIZE : NULL;
		imsg.datalen = n - MSG_HDR_SIZE;
		off += n;
		ipc->i_dispatch(ipc, &imsg, ipc->i_arg);
		if (ipc->i_freed)
			return;
	}
	if (off > 0 && !ipc->i_freed) {
		memmove(ipc->i_rbuf, ipc->i_rbuf + off, ipc->i_rlen - off);
		ipc->i_rlen -= off;
	}
	/* An fd that no message claimed is a protocol violation. */
	if (!ipc->i_dead && ipc->i_rlen == 0 && ipc->i_nfds > 0)
		ipc_fail(ipc, "file descriptor without a message");
}

static void
ipc_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipc	*ipc = w->data;
	const char	*why = NULL;

	ipc->i_busy++;
	if (ipc_recv(ipc, &why) == -1) {
		/* Deliver what arrived before the EOF first. */
		ipc_dispatch_all(ipc);
		if (!ipc->i_freed)
			ipc_fail(ipc, why);
	} else
		ipc_dispatch_all(ipc);
	ipc->i_busy--;
	if (ipc->i_busy == 0 && ipc->i_freed)
		ipc_destroy(ipc);
}
