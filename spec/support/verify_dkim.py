"""dkimpy verifies the DKIM signatures of a batch of messages for
dkim_verifiers.lua, in one process (each start costs a good part of a
second).

Usage: /usr/bin/python3 verify_dkim.py KEYS FILE...

KEYS holds one line per key, "<selector>._domainkey.<domain>" TAB
"<TXT record>": dkimpy's dnsfunc answers from it, so no DNS is asked. Each
FILE is a raw message (bytes, CRLF line ends). Prints one Lua table
constructor: for each FILE in order, { result = "...", comment = "..." }
for its first signature: "pass", "fail" (the signature or the body hash does not verify),
"permerror" (dkimpy refused the signature or the key, with its reason) or
"none" (no signature).
"""

import sys

import dkim


def lua_string(text):
    return '"' + "".join(
        c if " " <= c <= "~" and c not in '"\\' else "\\%d" % b
        for c, b in ((chr(b), b) for b in text.encode("utf-8"))
    ) + '"'


def verify(message, records):
    checker = dkim.DKIM(message)
    if not checker.present():
        return "none", ""
    try:
        ok = checker.verify(dnsfunc=lambda name, timeout=5: records.get(name.lower().rstrip(b".")))
    # dkimpy raises where it cannot check a signature, and PyNaCl under it
    # for an Ed25519 key given another algorithm's signature.
    except Exception as problem:  # pylint: disable=broad-except
        # A body hash that does not match is raised too, not returned: RFC
        # 6376 section 6.3 makes it a failure like a bad signature.
        if str(problem).startswith("body hash mismatch"):
            return "fail", str(problem)
        return "permerror", "%s: %s" % (type(problem).__name__, problem)
    return ("pass", "") if ok else ("fail", "signature did not verify")


def main():
    records = {}
    with open(sys.argv[1], "rb") as keys:
        for line in keys.read().split(b"\n"):
            name, tab, record = line.partition(b"\t")
            if tab:
                records[name.lower()] = record
    results = []
    for path in sys.argv[2:]:
        with open(path, "rb") as message:
            result, comment = verify(message.read(), records)
        results.append("{ result = %s, comment = %s }" % (lua_string(result), lua_string(comment)))
    print("{ " + ", ".join(results) + " }")


main()
