#!/usr/bin/env python3
# scripts/depgraph.py: the graph of references between C files, derived
# from the sources, and the circles in it.
#
#	depgraph.py [--dot] [--check] GROUP...
#
# A GROUP is a name and a list of files or directories, "name=a.c,b/,..."
# (a directory stands for its *.c files); a file may be prefixed with "-"
# to leave it out ("supervisor=supervisor/,-supervisor/gooserelayctl.c").
# Within a group, file A points at file B when A names a function or a
# global variable that B defines with external linkage: a call, a function
# pointer taken, a variable read.  A callback that B was handed at run
# time is no arrow from B to A: that is how a lower file reaches upwards
# without knowing who is above it.
#
# Prints every arrow with the names that make it, then the circles
# (strongly connected sets of two files or more).  --check prints only
# the circles and exits 1 when a group has one (regress/cases/
# arch_circles.sh runs it on the groups that must have none).  --dot
# prints the graph for graphviz instead.
#
# The parse is lexical and relies on the tree's style(9): a function
# definition has its name at the start of a line, its type on the line
# before; a global has its type at the start of a line.  Comments,
# strings and preprocessor lines are dropped first.

import os
import re
import sys

IDENT = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
FUNCDEF = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)\s*\(')
# A top-level variable definition: starts at column 0 with a type; ends
# on the line or opens an initializer list there.
VARDEF = re.compile(r'^(?!static\b|extern\b|typedef\b|struct\s+\w+\s*\{|'
                    r'enum\s+\w*\s*\{|union\b|return\b)[A-Za-z_][^;(){}]*?'
                    r'\b([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])*\s*'
                    r'(=[^;]*;|;|=\s*\{\s*$)')
KEYWORDS = set('if else for while do switch case return sizeof static '
               'const struct union enum typedef extern void int char '
               'unsigned signed long short double float goto break '
               'continue default volatile register inline'.split())


def strip(text):
    """Comments, strings, character constants and preprocessor lines
    out; line breaks kept so that column 0 still means column 0."""
    out = []
    i, n = 0, len(text)
    bol = True
    while i < n:
        c = text[i]
        if bol and c == '#':
            # A preprocessor line, with its continuations.
            while i < n and text[i] != '\n':
                if text[i] == '\\' and i + 1 < n and text[i + 1] == '\n':
                    out.append('\n')
                    i += 2
                    continue
                i += 1
            continue
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append('\n' * text.count('\n', i, j))
            i = j
            continue
        if text.startswith('//', i):
            while i < n and text[i] != '\n':
                i += 1
            continue
        if c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(c + c)
            i = j + 1
            bol = False
            continue
        out.append(c)
        bol = c == '\n'
        i += 1
    return ''.join(out)


def definitions(path):
    """Names with external linkage that the file defines."""
    lines = strip(open(path, encoding='utf-8',
                       errors='replace').read()).split('\n')
    names = set()
    depth = 0
    for k, line in enumerate(lines):
        if depth == 0:
            m = FUNCDEF.match(line)
            if m and m.group(1) not in KEYWORDS:
                prev = lines[k - 1] if k > 0 else ''
                # static on the line before (or on this one) keeps the
                # name inside the file.
                if not re.match(r'\s*static\b', prev):
                    # A definition, not a prototype: a '{' comes before
                    # the next ';'.
                    rest = '\n'.join(lines[k:k + 40])
                    b, s = rest.find('{'), rest.find(';')
                    if b >= 0 and (s < 0 or b < s):
                        names.add(m.group(1))
            else:
                m = VARDEF.match(line)
                if m and m.group(1) not in KEYWORDS:
                    names.add(m.group(1))
        depth += line.count('{') - line.count('}')
        if depth < 0:
            depth = 0
    return names


def uses(path):
    return set(IDENT.findall(strip(open(path, encoding='utf-8',
                                        errors='replace').read())))


def expand(spec, root):
    files, drop = [], set()
    for part in spec.split(','):
        part = part.strip()
        if not part:
            continue
        neg = part.startswith('-')
        part = part.lstrip('-')
        full = os.path.join(root, part)
        if os.path.isdir(full):
            got = sorted(os.path.join(part, f) for f in os.listdir(full)
                         if f.endswith('.c'))
        elif os.path.isfile(full):
            got = [part]
        else:
            sys.exit('depgraph: no such file or directory: ' + part)
        if neg:
            drop.update(got)
        else:
            files.extend(got)
    seen = []
    for f in files:
        if f not in drop and f not in seen:
            seen.append(f)
    return seen


def graph(files, root):
    defs = {f: definitions(os.path.join(root, f)) for f in files}
    owner = {}
    for f, names in defs.items():
        for name in names:
            owner.setdefault(name, f)
    edges = {}
    for f in files:
        for name in uses(os.path.join(root, f)):
            g = owner.get(name)
            if g and g != f:
                edges.setdefault((f, g), set()).add(name)
    return edges


def circles(files, edges):
    """Tarjan's strongly connected components of two files or more."""
    succ = {f: sorted(g for (a, g) in edges if a == f) for f in files}
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for f in files:
        if f not in index:
            visit(f)
    return out


def main(argv):
    dot = check = False
    groups = []
    for a in argv:
        if a == '--dot':
            dot = True
        elif a == '--check':
            check = True
        elif '=' in a:
            groups.append(a.split('=', 1))
        else:
            sys.exit('usage: depgraph.py [--dot] [--check] name=files,...')
    if not groups:
        sys.exit('usage: depgraph.py [--dot] [--check] name=files,...')
    root = os.environ.get('top_srcdir') or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..')
    bad = 0
    for name, spec in groups:
        files = expand(spec, root)
        edges = graph(files, root)
        circ = circles(files, edges)
        if dot:
            print('digraph "%s" {' % name)
            for (a, b) in sorted(edges):
                print('\t"%s" -> "%s";' % (a, b))
            print('}')
            continue
        if not check:
            print('group %s: %d files, %d arrows' %
                  (name, len(files), len(edges)))
            for (a, b) in sorted(edges):
                names = sorted(edges[(a, b)])
                more = ' ...' if len(names) > 4 else ''
                print('  %s -> %s  (%s%s)' %
                      (a, b, ', '.join(names[:4]), more))
        for c in circ:
            bad += 1
            print('group %s: circle of %d files: %s' %
                  (name, len(c), ' '.join(c)))
            inner = sorted((a, b) for (a, b) in edges
                           if a in c and b in c)
            for (a, b) in inner:
                print('  %s -> %s  (%s)' %
                      (a, b, ', '.join(sorted(edges[(a, b)]))))
        if not circ and not dot:
            print('group %s: no circle' % name)
    return 1 if (check and bad) else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
