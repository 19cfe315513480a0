#!/usr/bin/env python3
"""
Call and include circles among C files (issue 14).  For each directory
given, a file A has an edge to file B when A calls a function defined
(non-static) in B, or when A includes B's header (B.h next to B.c).
Prints the strongly connected components with more than one file and,
per component, the number of cross-file call sites inside it.

Usage: scripts/circles.py [-c] workers/carrier [more dirs]
(-c: calls only, no include edges)
style(9) is assumed: a function's name starts in column 0, followed by
'(' and, on a later line, the opening brace in column 0.
"""
import os
import re
import sys

DEF = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)\(')
CALL = re.compile(r'\b([A-Za-z_][A-Za-z0-9_]*)\s*\(')
INC = re.compile(r'^#include\s+"([^"]+)"', re.M)


def strip(src):
	src = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'),
	    src, flags=re.S)
	src = re.sub(r'"(\\.|[^"\\\n])*"', '""', src)
	return src


def scan(paths):
	defs = {}		# function -> file (non-static only)
	text = {}
	incs = {}
	for p in paths:
		src = open(p, encoding='utf-8', errors='replace').read()
		incs[p] = INC.findall(src)
		s = strip(src)
		text[p] = s
		lines = s.split('\n')
		for i, l in enumerate(lines):
			m = DEF.match(l)
			if not m or m.group(1).isupper():
				continue
			prev = lines[i - 1] if i > 0 else ''
			if prev.startswith('static'):
				continue
			defs.setdefault(m.group(1), p)
	return defs, text, incs


def scc(nodes, edges):
	index, low, onst, st, out = {}, {}, set(), [], []
	n = [0]

	def visit(v):
		index[v] = low[v] = n[0]
		n[0] += 1
		st.append(v)
		onst.add(v)
		for w in edges.get(v, ()):
			if w not in index:
				visit(w)
				low[v] = min(low[v], low[w])
			elif w in onst:
				low[v] = min(low[v], index[w])
		if low[v] == index[v]:
			c = []
			while True:
				w = st.pop()
				onst.discard(w)
				c.append(w)
				if w == v:
					break
			out.append(c)
	sys.setrecursionlimit(10000)
	for v in nodes:
		if v not in index:
			visit(v)
	return out


def main():
	paths = []
	args = sys.argv[1:]
	calls_only = args[:1] == ['-c']
	if calls_only:
		args = args[1:]
	for d in args:
		for f in sorted(os.listdir(d)):
			if f.endswith('.c'):
				paths.append(os.path.join(d, f))
	defs, text, incs = scan(paths)
	edges, sites = {}, {}
	for p in paths:
		for m in CALL.finditer(text[p]):
			q = defs.get(m.group(1))
			if q is None or q == p:
				continue
			edges.setdefault(p, set()).add(q)
			sites[(p, q)] = sites.get((p, q), 0) + 1
		for h in incs[p]:
			q = os.path.join(os.path.dirname(p), h[:-2] + '.c')
			if h.endswith('.h') and q in text and q != p and \
			    not calls_only:
				edges.setdefault(p, set()).add(q)
	comps = [c for c in scc(paths, edges) if len(c) > 1]
	total = 0
	for c in sorted(comps, key=len, reverse=True):
		cs = set(c)
		k = sum(v for (a, b), v in sites.items() if a in cs and b in cs)
		total += k
		print('circle of %d files, %d call sites inside: %s' % (len(c),
		    k, ' '.join(sorted(os.path.basename(x) for x in c))))
	print('circles: %d, files in circles: %d, call sites inside: %d' %
	    (len(comps), sum(len(c) for c in comps), total))


main()
