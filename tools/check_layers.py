#!/usr/bin/env python3
"""Checks that every `#include "X/..."` in src/<layer>/ is allowed by the layer table of
docs/ARCHITECTURE.md: lower layers never include higher ones. Exit 1 with one line per
violation. Run by scripts/test before the build."""
import os, re, sys

# layer -> layers it may include (besides itself and common)
ALLOWED = {
    "common": set(),
    "runtime": set(),
    "image": set(),
    "store": set(),
    "kube": set(),
    "shim": {"runtime"},
    "engine": {"image", "runtime", "shim"},
    "build": {"engine", "image"},
    "compose": set(),
    "cluster": {"kube", "engine", "image"},
    "api": {"engine", "build", "image", "kube", "store"},
    "cli": {"compose", "kube", "runtime", "image", "build"},
    "app": None,  # anything: wiring only
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/')

def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    bad = []
    for layer in sorted(os.listdir(root)):
        path = os.path.join(root, layer)
        if not os.path.isdir(path):
            continue
        if layer not in ALLOWED:
            bad.append("src/%s: layer is not in the table of tools/check_layers.py" % layer)
            continue
        allowed = ALLOWED[layer]
        for dirpath, _, files in os.walk(path):
            for f in files:
                if not f.endswith((".h", ".cc")):
                    continue
                fp = os.path.join(dirpath, f)
                for n, line in enumerate(open(fp, encoding="utf-8"), 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = m.group(1)
                    if target in (layer, "common") or allowed is None:
                        continue
                    if target in ALLOWED and target not in allowed:
                        bad.append("%s:%d: %s may not include %s/" % (
                            os.path.relpath(fp, os.path.join(root, "..")), n, layer, target))
    for b in bad:
        print(b)
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())
