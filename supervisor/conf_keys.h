/*
 * Internals of the configuration parser (libconf.a): the key table, the
 * parse context and the helpers the conf_*.c files share.  The files
 * point one way: conf_load.c -> conf_check.c -> conf_keys.c ->
 * conf_values.c, conf_dump.c -> conf.c, conf_defaults.c (conf_show.c and
 * conf_demo.c sit beside conf_load.c at the top).  Nothing outside
 * supervisor/conf*.c includes this; the public interface is confparse.h.
 */
#ifndef GR_CONF_KEYS_H
#define GR_CONF_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "confparse.h"

/* Where a key may appear. */
#define KS_TOP		0
#define KS_CARRIER	1
#define KS_EXIT		2

/* Which struct the value lives in. */
#define KB_GLOBAL	0	/* struct gr_conf */
#define KB_CARRIER	1	/* struct carrier_conf */
#define KB_EXIT		2	/* struct exit_conf */

enum conf_ktype {
	KT_BOOL,	/* int */
	KT_UINT,	/* unsigned of k_len bytes (2, 4 or 8) */
	KT_STR,		/* char[k_len], any text */
	KT_HOST,	/* char[k_len], host name or IP literal */
	KT_PATH,	/* char[k_len], file path ("" allowed) */
	KT_ENUM,	/* int, index into k_enum */
	KT_FN,		/* k_fn parses, k_dump prints */
	KT_IGNORE	/* GooseRelayVPN diagnostics key we do not implement */
};

#define KF_ZERO_DEFAULT	0x01	/* 0 means "use the default" (GooseRelayVPN) */
#define KF_SECRET	0x02	/* never print the value */
#define KF_NODUMP	0x04	/* alias or ignored: not an effective value */

struct conf_ctx;
struct conf_key;

typedef void	(*conf_key_fn)(struct conf_ctx *, const struct conf_key *,
		    yaml_node_t *);
typedef void	(*conf_dump_fn)(const struct gr_conf *, const struct conf_key *,
		    char *, size_t);

struct conf_key {
	const char		*k_name;
	uint8_t			 k_sect;
	uint8_t			 k_base;
	uint8_t			 k_type;
	uint8_t			 k_flags;
	size_t			 k_off;
	size_t			 k_len;
	uint64_t		 k_min;
	uint64_t		 k_max;
	const char *const	*k_enum;
	conf_key_fn		 k_fn;
	conf_dump_fn		 k_dump;
};

/* A performance_mode preset value: applies unless the key was set. */
struct conf_preset {
	const char		*p_key;
	uint8_t			 p_sect;
	int			 p_perf;
	uint64_t		 p_value;
};

struct conf_ctx {
	const char		*cx_name;	/* file name for messages */
	struct gr_conf		*cx_conf;
	confparse_msg_cb	 cx_cb;
	void			*cx_arg;
	int			 cx_errors;
	int			 cx_warnings;
	yaml_document_t		*cx_doc;
	int			 cx_sect;	/* KS_* being parsed */
	uint32_t		 cx_sect_line[3];	/* line of each section */
	uint32_t		 cx_line[CONF_MAX_KEYS]; /* set at, 0 = not */
	uint32_t		 cx_kline;	/* line of the key being read */
	uint32_t		 cx_key_line;	/* where gc_key was set */
	char			 cx_dir[CONF_PATH_LEN];	/* of the file */
	int			 cx_have_key;
	int			 cx_key_tried;	/* a tunnel_key was given */
	int			 cx_v15_direct;	/* carrier keys read as v1.5's
						 * direct mode: script_keys
						 * unread (conf_load.c) */
	const struct conf_key	*cx_keys;	/* the table being parsed */
	size_t			 cx_nkeys;
};

/* conf_keys.c */
extern const struct conf_key	conf_keys[];
extern const size_t		conf_nkeys;
extern const struct conf_preset	conf_presets[];
extern const size_t		conf_npresets;
int	conf_keys_find(int, const char *);
void	*conf_keys_ptr(struct gr_conf *, const struct conf_key *);
const void *conf_keys_cptr(const struct gr_conf *, const struct conf_key *);
extern const char *const conf_keys_perf_names[];
extern const char *const conf_keys_transport_names[];

/* conf.c: the context's helpers, the bottom of the parser. */
void	conf_msg(struct conf_ctx *, int, yaml_node_t *, const char *,
	    const char *, ...) __attribute__((__format__ (printf, 5, 6)));
void	conf_msgl(struct conf_ctx *, int, uint32_t, const char *,
	    const char *, ...) __attribute__((__format__ (printf, 5, 6)));
uint32_t conf_line(yaml_node_t *);
yaml_node_t *conf_node(struct conf_ctx *, int);
const char *conf_scalar(struct conf_ctx *, const struct conf_key *,
	    yaml_node_t *, const char *);
int	conf_is_null(yaml_node_t *);
void	conf_mark(struct conf_ctx *, const struct conf_key *, yaml_node_t *);
void	conf_mark_name(struct conf_ctx *, int, const char *, uint32_t);
int	conf_find(const struct conf_ctx *, int, const char *);
int	conf_copy(char *, size_t, const char *);
int	conf_trim(char *, size_t, const char *);

/* conf_defaults.c (conf_defaults_carrier/_exit: confparse.h) */
void	conf_defaults_init(struct gr_conf *, const char *);
/* 1 if sessions may travel through Apps Script (and spend quota). */
int	conf_defaults_uses_apps(const struct carrier_conf *);
/* Fill the storm guard keys left at 0 with the transport's defaults. */
void	conf_defaults_limits(struct carrier_conf *);

/* conf_values.c: KT_FN parsers and the checks they share. */
void	conf_values_tunnel_key(struct conf_ctx *, const struct conf_key *,
	    yaml_node_t *);
void	conf_values_script_keys(struct conf_ctx *, const struct conf_key *,
	    yaml_node_t *);
void	conf_values_google_host(struct conf_ctx *, const struct conf_key *,
	    yaml_node_t *);
void	conf_values_sni(struct conf_ctx *, const struct conf_key *,
	    yaml_node_t *);
void	conf_values_relay_urls(struct conf_ctx *, const struct conf_key *,
	    yaml_node_t *);
void	conf_values_stream_urls(struct conf_ctx *, const struct conf_key *,
	    yaml_node_t *);
void	conf_values_instance_id(struct conf_ctx *, const struct conf_key *,
	    yaml_node_t *);
void	conf_values_listen_addr(struct conf_ctx *, const struct conf_key *,
	    yaml_node_t *);
void	conf_values_upstream_proxy(struct conf_ctx *, const struct conf_key *,
	    yaml_node_t *);
void	conf_values_dns_servers(struct conf_ctx *, const struct conf_key *,
	    yaml_node_t *);
const char *conf_values_host_error(const char *, int);
const char *conf_values_dns_error(const char *);

/* conf_check.c: after the whole file is read. */
void	conf_check_all(struct conf_ctx *);
int	conf_check_resolv(const char *, struct exit_conf *);

/* conf_dump.c: printers for KT_FN keys. */
void	conf_dump_scripts(const struct gr_conf *, const struct conf_key *,
	    char *, size_t);
void	conf_dump_ghosts(const struct gr_conf *, const struct conf_key *,
	    char *, size_t);
void	conf_dump_sni(const struct gr_conf *, const struct conf_key *,
	    char *, size_t);
void	conf_dump_relay(const struct gr_conf *, const struct conf_key *,
	    char *, size_t);
void	conf_dump_stream(const struct gr_conf *, const struct conf_key *,
	    char *, size_t);
void	conf_dump_secret(const struct gr_conf *, const struct conf_key *,
	    char *, size_t);
void	conf_dump_proxy(const struct gr_conf *, const struct conf_key *,
	    char *, size_t);
void	conf_dump_dns(const struct gr_conf *, const struct conf_key *,
	    char *, size_t);
void	conf_dump_instance(const struct gr_conf *, const struct conf_key *,
	    char *, size_t);

#endif /* GR_CONF_KEYS_H */
