"""Shared entry point for the integration tests: puts tests/lib on the path and
runs unittest with the --poolgate binary given by CTest."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from world import parse_args  # noqa: E402

POOLGATE = None


def main():
    global POOLGATE
    args, rest = parse_args()
    POOLGATE = os.path.abspath(args.poolgate)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


def poolgate():
    return POOLGATE
