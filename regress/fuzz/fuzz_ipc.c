/* FUZZ-SOURCES: common/ipc.c common/msg.c common/fsm.c common/wproc_fsm.c supervisor/worker_fsm.c */
/* FUZZ-LIBS: -lev */
/*
 * IPC receive path: arbitrary bytes from a peer (a compromised worker,
 * from the supervisor's point of view) go through the real recvmsg/
 * parse/table-check code on a socketpair.  Every message that reaches
 * the handler must satisfy its table row; anything else must end in the
 * error callback, never a crash.  The first byte picks the receiver's
 * direction and state.
 */
#include "gr_config.h"

#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "fsm.h"
#include "ipc.h"
#include "msg.h"
#include "worker_fsm.h"
#include "wproc.h"

static int		 fuzz_ipc_dir;
static enum proc_role	 fuzz_ipc_role;
static unsigned		 fuzz_ipc_state;
static uint64_t		 fuzz_ipc_once;
static int		 fuzz_ipc_error;

static void
fuzz_ipc_dispatch(struct ipc *ipc, struct imsg *imsg, void *arg)
{
	const struct msg_desc	*md;

	md = msg_lookup(imsg->hdr.type);
	if (md == NULL || md->md_dir != fuzz_ipc_dir ||
	    imsg->datalen < md->md_minlen || imsg->datalen > md->md_maxlen ||
	    (md->md_fd == MSG_FD_REQUIRED && imsg->fd == -1) ||
	    (md->md_roles & RL(fuzz_ipc_role)) == 0)
		abort();
	if (md->md_flags & MSG_F_ONCE) {
		if (fuzz_ipc_once & (1ULL << msg_index(md->md_type)))
			abort();
		fuzz_ipc_once |= 1ULL << msg_index(md->md_type);
	}
	(void)fsm_action(fuzz_ipc_dir == MSG_DIR_W2S ? &worker_fsm :
	    &wproc_fsm, fuzz_ipc_state, imsg->hdr.type);
	if (imsg->datalen > 0)
		/* Touch every byte: ASan checks the bounds. */
		(void)memchr(imsg->data, 0xa5, imsg->datalen);
	if (imsg->fd != -1)
		close(imsg->fd);
}

static void
fuzz_ipc_err(struct ipc *ipc, const char *why, void *arg)
{
	if (why == NULL || *why == '\0')
		abort();
	fuzz_ipc_error = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ev_loop	*loop;
	struct ipc		*ipc;
	int			 sp[2], i;

	if (size < 1 || size > 100000)
		return 0;
	if (loop == NULL)
		loop = ev_loop_new(GR_EV_FLAGS);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		return 0;
	fuzz_ipc_dir = (data[0] & 1) ? MSG_DIR_W2S : MSG_DIR_S2W;
	fuzz_ipc_role = (data[0] & 2) ? PROC_EXIT : PROC_CARRIER;
	fuzz_ipc_state = (data[0] >> 2) & 15;
	fuzz_ipc_once = 0;
	fuzz_ipc_error = 0;
	ipc = ipc_new(loop, sp[0], fuzz_ipc_dir, fuzz_ipc_role,
	    fuzz_ipc_dispatch, fuzz_ipc_err, NULL);
	if (ipc == NULL) {
		close(sp[0]);
		close(sp[1]);
		return 0;
	}
	if (size > 1 && write(sp[1], data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	close(sp[1]);
	/* Bounded: the data and the EOF are already in the socket. */
	for (i = 0; i < 64 && !fuzz_ipc_error; i++)
		ev_run(loop, EVRUN_NOWAIT);
	if (!fuzz_ipc_error)
		abort();	/* EOF must always be reported */
	ipc_free(ipc);
	return 0;
}
