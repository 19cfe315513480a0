# Benchmarks (issue 7); not run by make check except in --quick mode.
