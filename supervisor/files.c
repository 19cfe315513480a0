/*
 * File duties of the supervisor: workers never open files, so the CA
 * bundle, the quota state and the resolver list are read here and sent
 * as bytes; the carrier's quota state comes back as bytes and is written
 * here, atomically (temp file + rename) and readable by root only.
 */
#include "gr_config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "supervisor.h"

/* Read a whole regular file of at most max bytes, NUL-terminated. */
int
files_read(const char *path, size_t max, char **buf, size_t *len)
{
	struct stat	 st;
	char		*p = NULL;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 &&
	    (errno != ELOOP ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1))
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto fail;
	}
	if ((p = malloc(st.st_size + 1)) == NULL)
		goto fail;
	while (off < (size_t)st.st_size) {
		n = read(fd, p + off, st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		off += n;
	}
	p[off] = '\0';
	close(fd);
	*buf = p;
	*len = off;
	return 0;
 fail:
	n = errno;
	free(p);
	close(fd);
	errno = n;
	return -1;
}

int
files_write_atomic(const char *path, const void *data, size_t len)
{
	char		 tmp[PATH_MAX];
	const char	*p = data;
	ssize_t		 n;
	int		 fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* mkstemp creates the file 0600. */
	if ((fd = mkstemp(tmp)) == -1)
		return -1;
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		p += n;
		len -= n;
	}
	if (fchmod(fd, 0600) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return 0;
 fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

/*
 * The exit's c-ares cannot read resolv.conf inside its chroot: give it
 * the nameserver lines, unless the configuration named servers itself.
 */
void
files_resolv_conf(struct exit_conf *ec, const char *path)
{
	char	*buf, *line, *save = NULL, *p, *e;
	size_t	 len;

	if (ec->ec_ndns > 0)
		return;
	if (path == NULL || path[0] == '\0')
		path = "/etc/resolv.conf";
	if (files_read(path, 1024 * 1024, &buf, &len) == -1) {
		log_warn("%s", path);
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line != NULL &&
	    ec->ec_ndns < CONF_MAX_DNS; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "nameserver", 10) != 0 ||
		    !isspace((unsigned char)line[10]))
			continue;
		for (p = line + 10; isspace((unsigned char)*p); p++)
			;
		for (e = p; *e != '\0' && !isspace((unsigned char)*e) &&
		    *e != '#' && *e != ';'; e++)
			;
		*e = '\0';
		if (*p == '\0' || (size_t)(e - p) >= CONF_HOST_LEN)
			continue;
		memcpy(ec->ec_dns[ec->ec_ndns++], p, e - p + 1);
	}
	free(buf);
}
