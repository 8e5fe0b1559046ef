#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""btf_compare.py A.txt B.txt [--label-a A] [--label-b B] [--examples N]

Compares two BTF blobs type by type, from their `bpftool btf dump file X`
text dumps (raw format). Every named type, function, variable and decl tag
gets a canonical description: its kind, name, size, members (name, bit
offset, bitfield size, member type), enumerators and values, prototype
(return and parameter types), linkage; a referenced type is described by its
kind and name when it has a name (it is compared on its own), inline when it
is anonymous (pointers, arrays, const, prototypes, anonymous structs). Two
entries match exactly when the descriptions are equal. Names with several
definitions (a merged blob holds every module's) are compared as multisets.

Prints, per group (types, functions, variables, decl tags): entries in A and
in B, exact matches, names only in A, only in B, and names in both whose
definitions differ, then the differing kinds and up to N examples of each
class, with the two descriptions.
"""
import collections
import re
import sys

HEAD = re.compile(r"^\[(\d+)\] (\S+) '([^']*)'(.*)$")
MEMBER = re.compile(r"^\t'([^']*)' (.*)$")
SECVAR = re.compile(r"^\ttype_id=(\d+) offset=(\d+) size=(\d+)")
ATTR = re.compile(r"(\w+)=([^\s,]+)")

GROUP = {
    "STRUCT": "types", "UNION": "types", "ENUM": "types", "ENUM64": "types",
    "TYPEDEF": "types", "INT": "types", "FLOAT": "types", "FWD": "types",
    "FUNC": "functions", "VAR": "variables", "DECL_TAG": "decl tags",
    "DATASEC": "variables",
}
NAMED_REF = {"STRUCT", "UNION", "ENUM", "ENUM64", "TYPEDEF", "INT", "FLOAT",
             "FWD"}


def parse(path):
    types = {}
    cur = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = HEAD.match(line)
            if m:
                tid, kind, name, rest = m.groups()
                cur = {"kind": kind, "name": "" if name == "(anon)" else name,
                       "attrs": dict(ATTR.findall(rest)), "members": []}
                types[int(tid)] = cur
                continue
            if cur is None:
                continue
            m = MEMBER.match(line)
            if m:
                cur["members"].append((m.group(1), dict(ATTR.findall(m.group(2)))))
                continue
            m = SECVAR.match(line)
            if m:
                cur["members"].append(("", {"type_id": m.group(1),
                                            "offset": m.group(2),
                                            "size": m.group(3)}))
    return types


class Describer:
    def __init__(self, types):
        self.t = types
        self.memo = {}

    def ref(self, tid, depth=0):
        tid = int(tid)
        if tid == 0:
            return "void"
        t = self.t.get(tid)
        if t is None:
            return "?%d" % tid
        if t["name"] and t["kind"] in NAMED_REF:
            return "%s %s" % (t["kind"].lower(), t["name"])
        if depth > 40:
            return "..."
        key = (tid, "ref")
        if key not in self.memo:
            self.memo[key] = self.body(tid, depth + 1)
        return self.memo[key]

    def body(self, tid, depth=0):
        t = self.t[tid]
        k, a = t["kind"], t["attrs"]
        if k in ("STRUCT", "UNION"):
            ms = ",".join("%s@%s%s:%s" % (n, ma.get("bits_offset"),
                                          "/" + ma["bitfield_size"] if "bitfield_size" in ma else "",
                                          self.ref(ma.get("type_id", 0), depth))
                          for n, ma in t["members"])
            return "%s %s size=%s {%s}" % (k.lower(), t["name"], a.get("size"), ms)
        if k in ("ENUM", "ENUM64"):
            vs = ",".join("%s=%s" % (n, ma.get("val")) for n, ma in t["members"])
            return "%s %s size=%s %s {%s}" % (k.lower(), t["name"], a.get("size"),
                                              a.get("encoding", ""), vs)
        if k == "INT":
            return "int %s size=%s bits=%s enc=%s" % (t["name"], a.get("size"),
                                                       a.get("nr_bits"), a.get("encoding"))
        if k == "FLOAT":
            return "float %s size=%s" % (t["name"], a.get("size"))
        if k == "FWD":
            return "fwd %s %s" % (a.get("fwd_kind"), t["name"])
        if k in ("TYPEDEF", "PTR", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG"):
            return "%s %s -> %s" % (k.lower(), t["name"], self.ref(a.get("type_id", 0), depth))
        if k == "ARRAY":
            return "array[%s] of %s" % (a.get("nr_elems"), self.ref(a.get("type_id", 0), depth))
        if k == "FUNC_PROTO":
            ps = ",".join("%s:%s" % (n, self.ref(ma.get("type_id", 0), depth))
                          for n, ma in t["members"])
            return "proto (%s) -> %s" % (ps, self.ref(a.get("ret_type_id", 0), depth))
        if k == "FUNC":
            return "func %s %s %s" % (t["name"], a.get("linkage"),
                                      self.ref(a.get("type_id", 0), depth))
        if k == "VAR":
            return "var %s %s %s" % (t["name"], a.get("linkage", "").rstrip(","),
                                     self.ref(a.get("type_id", 0), depth))
        if k == "DECL_TAG":
            tgt = self.t.get(int(a.get("type_id", 0)))
            what = "%s %s" % (tgt["kind"].lower(), tgt["name"]) if tgt else "?"
            return "decl_tag %s on %s comp=%s" % (t["name"], what, a.get("component_idx"))
        if k == "DATASEC":
            vs = ",".join("%s@%s" % (self.ref(ma["type_id"], depth), ma["offset"])
                          for _, ma in t["members"])
            return "datasec %s {%s}" % (t["name"], vs)
        return "%s %s" % (k.lower(), t["name"])


def entries(types):
    d = Describer(types)
    out = collections.defaultdict(collections.Counter)  # (group,kind,name) -> descs
    for tid, t in types.items():
        k = t["kind"]
        if k not in GROUP or not t["name"]:
            continue
        key = "enum" if k in ("ENUM", "ENUM64") else k.lower()
        out[(GROUP[k], key, t["name"])][d.body(tid)] += 1
    return out


def main():
    args = sys.argv[1:]
    la, lb, nex = "A", "B", 5
    pos = []
    i = 0
    while i < len(args):
        if args[i] == "--label-a":
            la = args[i + 1]; i += 2
        elif args[i] == "--label-b":
            lb = args[i + 1]; i += 2
        elif args[i] == "--examples":
            nex = int(args[i + 1]); i += 2
        else:
            pos.append(args[i]); i += 1
    if len(pos) != 2:
        sys.exit(__doc__)
    ea, eb = entries(parse(pos[0])), entries(parse(pos[1]))
    groups = ["types", "functions", "variables", "decl tags"]
    stats = {g: collections.Counter() for g in groups}
    ex = collections.defaultdict(list)
    diff_kinds = collections.Counter()
    for key in set(ea) | set(eb):
        g = key[0]
        ca, cb = ea.get(key, collections.Counter()), eb.get(key, collections.Counter())
        s = stats[g]
        s["a"] += sum(ca.values())
        s["b"] += sum(cb.values())
        s["match"] += sum((ca & cb).values())
        s["names"] += 1
        if not cb:
            s["only_a"] += 1
            ex[(g, "only in " + la)].append(key)
        elif not ca:
            s["only_b"] += 1
            ex[(g, "only in " + lb)].append(key)
        elif set(ca) == set(cb):
            s["same"] += 1
            if ca != cb:
                s["copies"] += 1
                ex[(g, "same definitions, another number of copies")].append(
                    (key, sum(ca.values()), sum(cb.values())))
        else:
            s["differ"] += 1
            diff_kinds[(g, key[1])] += 1
            ex[(g, "defined differently")].append(
                (key, sorted(set(ca) - set(cb))[:1], sorted(set(cb) - set(ca))[:1]))
    print("named entries (a name with several definitions counts each):")
    print("  %-10s %9s %9s %9s" % ("group", la, lb, "exact"))
    for g in groups:
        s = stats[g]
        print("  %-10s %9d %9d %9d  (%.2f%% of %s)" % (
            g, s["a"], s["b"], s["match"],
            100.0 * s["match"] / s["a"] if s["a"] else 100.0, la))
    print("names (kind + name; same = the same set of definitions):")
    print("  %-10s %9s %9s %9s %9s %9s" % ("group", "names", "same", "only-" + la[:6],
                                          "only-" + lb[:6], "differ"))
    for g in groups:
        s = stats[g]
        print("  %-10s %9d %9d %9d %9d %9d" % (g, s["names"], s["same"], s["only_a"],
                                              s["only_b"], s["differ"]))
    if diff_kinds:
        print("names defined differently, by kind: " +
              ", ".join("%s %s %d" % (g, k, n) for (g, k), n in sorted(diff_kinds.items())))
    for (g, cls), items in sorted(ex.items()):
        items = sorted(items, key=lambda x: str(x))
        print("-- %s, %s: %d names, e.g." % (g, cls, len(items)))
        for it in items[:nex]:
            if cls == "defined differently":
                key, da, db = it
                print("   %s %s" % (key[1], key[2]))
                print("     %s: %s" % (la, (da[0] if da else "-")[:400]))
                print("     %s: %s" % (lb, (db[0] if db else "-")[:400]))
            elif cls.startswith("same definitions"):
                key, na, nb = it
                print("   %s %s: %d in %s, %d in %s" % (key[1], key[2], na, la, nb, lb))
            else:
                print("   %s %s" % (it[1], it[2]))

if __name__ == "__main__":
    main()
