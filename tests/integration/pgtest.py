"""Shared entry point for the integration tests: runs unittest with the
--poolgate binary given by CTest. The helpers are the poolgate_test package
(tests/pylib), which CTest puts on PYTHONPATH."""
import os
import sys
import unittest

from poolgate_test.world import parse_args

POOLGATE = None


def main():
    global POOLGATE
    args, rest = parse_args()
    POOLGATE = os.path.abspath(args.poolgate)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


def poolgate():
    return POOLGATE
