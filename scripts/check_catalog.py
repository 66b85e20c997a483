#!/usr/bin/env python3
"""Checks a translated catalog against locales/en.ftl: it parses, it has exactly the
same message ids, and each message uses the same variables. Usage:
    python3 scripts/check_catalog.py locales/de.ftl [more.ftl ...]
Needs `pip install fluent.syntax`."""
import re
import sys
from pathlib import Path

from fluent.syntax import parse, serialize
from fluent.syntax.ast import Junk, Message

EN = Path(__file__).resolve().parent.parent / "locales" / "en.ftl"


def messages(path):
    resource = parse(Path(path).read_text(encoding="utf-8"))
    junk = [e for e in resource.body if isinstance(e, Junk)]
    for j in junk:
        print(f"{path}: does not parse: {j.annotations[0].message}: {j.content[:80]!r}")
    out = {}
    for entry in resource.body:
        if isinstance(entry, Message):
            text = serialize(type(resource)([entry]))
            out[entry.id.name] = set(re.findall(r"\$([a-z_-]+)", text))
    return out, not junk


def main():
    english, _ = messages(EN)
    ok = True
    for path in sys.argv[1:]:
        theirs, parsed = messages(path)
        ok &= parsed
        for key in sorted(set(english) - set(theirs)):
            print(f"{path}: missing `{key}`")
            ok = False
        for key in sorted(set(theirs) - set(english)):
            print(f"{path}: `{key}` is not in en.ftl")
            ok = False
        for key in sorted(set(english) & set(theirs)):
            if english[key] != theirs[key]:
                print(f"{path}: `{key}` uses {sorted(theirs[key])}, English uses {sorted(english[key])}")
                ok = False
    print("ok" if ok else "problems found")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
