/*
 * Lookup and rendering of the state x event tables (fsm.h).
 */
#include "gr_config.h"

#include <stdio.h>
#include <string.h>

#include "fsm.h"

#define FSM_MAXCOLS	32

int
fsm_column(const struct fsm *f, uint32_t event)
{
	unsigned	 i;

	for (i = 0; i < f->f_nevents; i++)
		if (f->f_events[i] == event)
			return (int)i;
	return -1;
}

unsigned
fsm_action(const struct fsm *f, unsigned state, uint32_t event)
{
	int		 col;
	unsigned	 act;

	if (state >= f->f_nstates || (col = fsm_column(f, event)) == -1)
		return FSM_REJECT;
	act = f->f_act[state * f->f_nevents + (unsigned)col];
	return act < f->f_nacts ? act : FSM_REJECT;
}

/* Cell text of (row, col) in the rendering's orientation. */
static const char *
fsm_cell(const struct fsm *f, unsigned row, unsigned col)
{
	unsigned	 st = f->f_transpose ? col : row;
	unsigned	 ev = f->f_transpose ? row : col;
	unsigned	 act = f->f_act[st * f->f_nevents + ev];

	return act < f->f_nacts ? f->f_actnames[act] : "?";
}

int
fsm_render(const struct fsm *f, char *buf, size_t len)
{
	const char *const	*rowname, *const *colname;
	unsigned		 nrows, ncols, r, c;
	size_t			 w[FSM_MAXCOLS + 1], off = 0, n;
	const char		*s, *corner;
	int			 k;

	nrows = f->f_transpose ? f->f_nevents : f->f_nstates;
	ncols = f->f_transpose ? f->f_nstates : f->f_nevents;
	rowname = f->f_transpose ? f->f_evnames : f->f_states;
	colname = f->f_transpose ? f->f_states : f->f_evnames;
	corner = f->f_transpose ? "event" : "state";
	if (ncols > FSM_MAXCOLS)
		return -1;
	/* Width of each column: its longest text, plus two blanks. */
	w[0] = strlen(corner);
	for (r = 0; r < nrows; r++)
		if (strlen(rowname[r]) > w[0])
			w[0] = strlen(rowname[r]);
	for (c = 0; c < ncols; c++) {
		w[c + 1] = strlen(colname[c]);
		for (r = 0; r < nrows; r++)
			if (strlen(fsm_cell(f, r, c)) > w[c + 1])
				w[c + 1] = strlen(fsm_cell(f, r, c));
	}
	for (r = 0; r <= nrows; r++) {
		for (c = 0; c <= ncols; c++) {
			if (r == 0)
				s = c == 0 ? corner : colname[c - 1];
			else
				s = c == 0 ? rowname[r - 1] :
				    fsm_cell(f, r - 1, c - 1);
			n = c == ncols ? 0 : w[c] + 2;
			k = snprintf(buf + off, len - off, "%-*s", (int)n, s);
			if (k < 0 || (size_t)k >= len - off)
				return -1;
			off += (size_t)k;
		}
		while (off > 0 && buf[off - 1] == ' ')
			off--;
		if (off + 2 > len)
			return -1;
		buf[off++] = '\n';
		buf[off] = '\0';
	}
	return (int)off;
}
