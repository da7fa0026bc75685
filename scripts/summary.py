#!/usr/bin/env python3
# summary.py [--total] [--also NAME=STATUS]... BUILD_DIR...: the result of `make check` over
# every build. One line per build directory from its meson-logs/testlog.json, each failed
# test by name, and last the line 'N passed, N failed' over them all (skipped tests are
# counted on the build's line only); with --total only that last line. A directory without
# results counts as one failure: its build or its test run did not finish. --also counts one
# more check that ran outside meson (fuzz/run in .ci/run): passed when its exit STATUS is 0.
# Exit status 1 when anything failed.
import json
import os
import sys


def summarize(build):
    log = os.path.join(build, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        return 0, 1, 0, [f"no test results: the build or the test run did not finish "
                         f"(see {build}/make-build.log)"]
    passed = failed = skipped = 0
    notes = []
    with open(log) as f:
        for line in f:
            test = json.loads(line)
            result = test.get("result", "")
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
                notes.append(f"FAIL {test.get('name', '?')} ({result}): "
                             f"see {build}/meson-logs/testlog.txt")
    return passed, failed, skipped, notes


def main(builds, also, total_only):
    total_passed = total_failed = 0
    width = max(len(b) for b in builds)
    for build in builds:
        passed, failed, skipped, notes = summarize(build)
        total_passed += passed
        total_failed += failed
        if total_only:
            continue
        print(f"{build:<{width}}  {passed} passed, {failed} failed, {skipped} skipped")
        for note in notes:
            print(f"{'':<{width}}  {note}")
    for name, status in also:
        ok = status == "0"
        total_passed += ok
        total_failed += not ok
        if not total_only:
            print(f"{name:<{width}}  {'passed' if ok else f'failed (exit status {status})'}")
    print(f"{total_passed} passed, {total_failed} failed")
    return 1 if total_failed else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    total_only = False
    also = []
    while args and args[0] in ("--total", "--also"):
        if args[0] == "--total":
            total_only = True
            args = args[1:]
        elif len(args) > 1 and "=" in args[1]:
            also.append(tuple(args[1].split("=", 1)))
            args = args[2:]
        else:
            sys.exit("summary.py: --also wants NAME=STATUS")
    if not args:
        sys.exit("usage: summary.py [--total] [--also NAME=STATUS]... BUILD_DIR...")
    sys.exit(main(args, also, total_only))
