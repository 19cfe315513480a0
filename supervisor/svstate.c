/*
 * The supervisor's shared state: options, event loop and the committed
 * configuration.  Every supervisor file may read it; it calls nothing.
 * The files point one way (scripts/depgraph.py, regress/cases/
 * arch_circles.sh): supervisor.c at the top owns the loop and wires the
 * callbacks of the files below it (worker.c's hooks, resolve.c's push),
 * so that no lower file calls a higher one.
 */
#include "gr_config.h"

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "supervisor.h"

struct sv_opts	 sv_opts;
struct ev_loop	*sv_loop;
struct gr_conf	*sv_conf;
uint32_t	 sv_gen = 1;
char		*sv_ca;
size_t		 sv_calen;
int		 sv_shutting_down;
