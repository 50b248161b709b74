"""``make bench``: a data set at ten times a national year, and the figures measured on it.

Benchmarks are not tests: nothing here runs in ``make test`` except the untimed checks of the
data set's shape in ``tests/bench/``.
"""
