#!/usr/bin/env python3
# summary.py [--total] BUILD_DIR...: the result of `make check` over every build. One line per
# build directory from its meson-logs/testlog.json, each failed test by name, and last the
# line 'N passed, N failed' over them all (skipped tests are counted on the build's line
# only); with --total only that last line. A directory without results counts as one
# failure: its build or its test run did not finish. Exit status 1 when anything failed.
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


def main(builds, total_only):
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
    print(f"{total_passed} passed, {total_failed} failed")
    return 1 if total_failed else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    total_only = args[:1] == ["--total"]
    if total_only:
        args = args[1:]
    if not args:
        sys.exit("usage: summary.py [--total] BUILD_DIR...")
    sys.exit(main(args, total_only))
