/*
 * gooserelayctl: talk to gooserelayd over its control socket
 * (ctlproto.h).  One request per connection; the reply text is printed
 * and the exit status is 0 for success, 1 for an error reply or no
 * daemon.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctlproto.h"

static __attribute__((noreturn)) void
gooserelayctl_usage(void)
{
	fprintf(stderr, "usage: gooserelayctl [-s socket] command [arg ...]\n"
	    "commands: status | reload | log verbose | log brief |\n"
	    "          stats [--json] | diag [-o file]"
#ifdef GR_TEST_HOOKS
	    " |\n          test open-file|crash|fill-fds|release-fds "
	    "carrier|exit"
#endif
	    "\n");
	exit(1);
}

static int
gooserelayctl_io(int fd, void *buf, size_t len, int wr)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		n = wr ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * diag [-o file]: the daemon writes the file and its cwd is /, so send
 * an absolute path; the default name is made here, in our cwd.
 */
static int
gooserelayctl_diag(int argc, char *argv[], char *cmd, size_t len)
{
	char		 cwd[PATH_MAX], ts[32];
	const char	*file = NULL;
	time_t		 now = time(NULL);
	struct tm	 tm;
	int		 n;

	if (argc == 3 && strcmp(argv[1], "-o") == 0)
		file = argv[2];
	else if (argc != 1)
		gooserelayctl_usage();
	if ((file == NULL || file[0] != '/') &&
	    getcwd(cwd, sizeof(cwd)) == NULL) {
		fprintf(stderr, "gooserelayctl: getcwd: %s\n",
		    strerror(errno));
		return -1;
	}
	if (file == NULL) {
		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
		n = snprintf(cmd, len, "diag %s/gooserelayd-diag-%s.tar.gz",
		    strcmp(cwd, "/") == 0 ? "" : cwd, ts);
	} else if (file[0] == '/')
		n = snprintf(cmd, len, "diag %s", file);
	else
		n = snprintf(cmd, len, "diag %s/%s",
		    strcmp(cwd, "/") == 0 ? "" : cwd, file);
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "gooserelayctl: path too long\n");
		return -1;
	}
	return n;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct ctl_req		 req;
	struct ctl_rep		 rep;
	struct timeval		 tv = { (time_t)CTL_RELOAD_TIMEOUT_S + 5, 0 };
	const char		*path = RUNSTATEDIR "/gooserelayd.sock";
	char			 cmd[CTL_REQ_MAX + 1], *text;
	size_t			 len = 0, n;
	int			 ch, fd, i;

	while ((ch = getopt(argc, argv, "+s:")) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		default:
			gooserelayctl_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		gooserelayctl_usage();
	cmd[0] = '\0';
	if (strcmp(argv[0], "diag") == 0) {
		if ((i = gooserelayctl_diag(argc, argv, cmd,
		    sizeof(cmd))) == -1)
			return 1;
		len = i;
		argc = 0;	/* the request is complete */
	}
	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (len + n + 1 > CTL_REQ_MAX) {
			fprintf(stderr, "gooserelayctl: request too long\n");
			return 1;
		}
		if (i > 0)
			cmd[len++] = ' ';
		memcpy(cmd + len, argv[i], n);
		len += n;
		cmd[len] = '\0';
	}

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >=
	    (int)sizeof(sun.sun_path)) {
		fprintf(stderr, "gooserelayctl: socket path too long\n");
		return 1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "gooserelayctl: %s: %s (is gooserelayd "
		    "running?)\n", path, strerror(errno));
		return 1;
	}
	/* A reload may take a moment; a hung daemon must not hang us. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	req.cr_magic = CTL_MAGIC;
	req.cr_len = len;
	if (gooserelayctl_io(fd, &req, sizeof(req), 1) == -1 ||
	    gooserelayctl_io(fd, cmd, len, 1) == -1 ||
	    gooserelayctl_io(fd, &rep, sizeof(rep), 0) == -1) {
		fprintf(stderr, "gooserelayctl: %s: no reply\n", path);
		return 1;
	}
	if (rep.cp_magic != CTL_MAGIC || rep.cp_len > CTL_REP_MAX) {
		fprintf(stderr, "gooserelayctl: malformed reply\n");
		return 1;
	}
	if ((text = malloc(rep.cp_len + 1)) == NULL ||
	    gooserelayctl_io(fd, text, rep.cp_len, 0) == -1) {
		fprintf(stderr, "gooserelayctl: short reply\n");
		return 1;
	}
	text[rep.cp_len] = '\0';
	fputs(text, rep.cp_status == CTL_OK ? stdout : stderr);
	free(text);
	close(fd);
	return rep.cp_status == CTL_OK ? 0 : 1;
}
