/*
 * Allocation counter for tests and benchmarks: interposes the malloc
 * family for the whole process (libcrypto and libzstd included) and
 * forwards to glibc.  Include it in exactly one file of a program.  Not
 * possible under ASan, which owns malloc: ALLOC_COUNT_ENABLED is 0 there
 * and alloc_count() always returns 0.
 */
#ifndef GR_ALLOC_COUNT_H
#define GR_ALLOC_COUNT_H

#include <stddef.h>

#if defined(__GLIBC__) && !defined(GR_SANITIZERS)
#define ALLOC_COUNT_ENABLED	1
extern void	*__libc_malloc(size_t);
extern void	*__libc_calloc(size_t, size_t);
extern void	*__libc_realloc(void *, size_t);
extern void	 __libc_free(void *);
static unsigned long alloc_count_n;

void	*malloc(size_t);
void	*calloc(size_t, size_t);
void	*realloc(void *, size_t);
void	 free(void *);

void *
malloc(size_t n)
{
	alloc_count_n++;
	return (__libc_malloc(n));
}

void *
calloc(size_t a, size_t b)
{
	alloc_count_n++;
	return (__libc_calloc(a, b));
}

void *
realloc(void *p, size_t n)
{
	alloc_count_n++;
	return (__libc_realloc(p, n));
}

void
free(void *p)
{
	__libc_free(p);
}

static inline unsigned long
alloc_count(void)
{
	return (alloc_count_n);
}
#else
#define ALLOC_COUNT_ENABLED	0
static inline unsigned long
alloc_count(void)
{
	return (0);
}
#endif

#endif /* GR_ALLOC_COUNT_H */
