#!/usr/bin/python3
"""Baseline for bench/modelscan/run.sh: what picklescan does to a pickle
file, written from its description, not its code. It reads the whole
file into memory, walks every pickle in it with pickletools.genops,
tracks the memo for STACK_GLOBAL operands, and collects the globals.

    /usr/bin/python3 bench/modelscan/genops_baseline.py FILE

Prints the globals found and the seconds spent.
"""
import io
import pickletools
import sys
import time


def list_globals(data):
    found = set()
    f = io.BytesIO(data)
    while f.tell() < len(data):
        memo, strings = {}, []
        try:
            ops = list(pickletools.genops(f))
        except Exception as e:  # trailing bytes that are not a pickle
            if not found:
                raise
            print("stopped: %s" % e, file=sys.stderr)
            break
        for op, arg, _ in ops:
            name = op.name
            if name in ("GLOBAL", "INST"):
                found.add(tuple(arg.split(" ", 1)))
            elif name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING",
                          "BINSTRING", "SHORT_BINSTRING"):
                strings.append(arg)
            elif name == "MEMOIZE":
                memo[len(memo)] = strings[-1] if strings else None
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[arg] = strings[-1] if strings else None
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                strings.append(memo.get(arg))
            elif name == "STACK_GLOBAL":
                mod, nm = (strings[-2:] + [None, None])[:2] if len(strings) >= 2 else (None, None)
                found.add((mod or "unknown", nm or "unknown"))
    return found


def main():
    start = time.perf_counter()
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    found = list_globals(data)
    elapsed = time.perf_counter() - start
    for g in sorted(found, key=str):
        print("%s.%s" % g)
    print("seconds %.3f" % elapsed, file=sys.stderr)


if __name__ == "__main__":
    main()
