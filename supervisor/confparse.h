/*
 * YAML configuration parser (libyaml), supervisor only.  Workers never
 * parse files: they get struct carrier_conf / struct exit_conf over IPC.
 */
#ifndef GR_CONFPARSE_H
#define GR_CONFPARSE_H

#include <stdio.h>

#include "conf.h"

/* Origin of an effective value (gr_conf gc_origin_kind). */
#define CONF_ORIGIN_DEFAULT	0	/* built-in default */
#define CONF_ORIGIN_PRESET	1	/* performance_mode preset */
#define CONF_ORIGIN_FILE	2	/* set in the file, at gc_origin_line */
#define CONF_ORIGIN_DEMO	3	/* embedded loopback demo */
#define CONF_ORIGIN_DERIVED	4	/* computed from another key or file */

/* Receives every diagnostic as "file:line: key: reason". */
typedef void	(*confparse_msg_cb)(int is_error, const char *msg, void *arg);

/*
 * Parse path into conf (defaults first).  Every error is reported through
 * cb (or printed to stderr if cb is NULL), parsing goes on to find them
 * all.  Returns the number of errors (0 = usable).  Unknown keys are
 * warnings.  GooseRelayVPN client_config.json / server_config.json files
 * are accepted unchanged (the role follows from the keys).
 */
int	confparse_file(const char *path, struct gr_conf *,
	    confparse_msg_cb cb, void *arg);
/* Same, from memory (tests, fuzzing); name is used in messages. */
int	confparse_mem(const char *name, const char *buf, size_t len,
	    struct gr_conf *, confparse_msg_cb cb, void *arg);
/*
 * The embedded loopback demo: carrier + exit on 127.0.0.1, direct_stream,
 * a fresh random key, free ports chosen by the caller.
 */
void	confparse_demo(struct gr_conf *, unsigned short socks_port,
	    unsigned short exit_port);
/* Print every effective value (for -n -v); secrets are redacted. */
void	confparse_dump(const struct gr_conf *, FILE *);
/* "default", "preset latency", "file.yaml:12", ... for one key. */
const char *confparse_origin(const struct gr_conf *, const char *section,
	    const char *key, char *, size_t);
/* Built-in defaults of each section (conf_defaults.c). */
void	conf_defaults_carrier(struct carrier_conf *);
void	conf_defaults_exit(struct exit_conf *);
/* Shorten a deployment id to first6...last6 for logs. */
const char *confparse_short_id(const char *, char *, size_t);

#endif /* GR_CONFPARSE_H */
