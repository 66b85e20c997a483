#!/usr/bin/env python3
"""Checks the minimum supported Rust version: no package the workspace builds (from the
lock file, for this platform) declares a `rust-version` above the one each workspace
member declares. Reads `cargo metadata`; no network."""
import json
import subprocess
import sys


def version(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


metadata = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform",
         subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True)
         .stdout.split("host: ")[1].split()[0]],
        capture_output=True, text=True, check=True,
    ).stdout
)
packages = {p["id"]: p for p in metadata["packages"]}
nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}
failed = False
for member in metadata["workspace_members"]:
    declared = packages[member].get("rust_version")
    name = packages[member]["name"]
    if not declared:
        print(f"{name}: no rust-version in Cargo.toml")
        failed = True
        continue
    # Everything the member builds with: its dependencies of every kind, transitively.
    seen, stack = set(), [member]
    while stack:
        for dep in nodes[stack.pop()]["deps"]:
            if dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                stack.append(dep["pkg"])
    above = sorted(
        (packages[p]["name"], packages[p]["version"], packages[p]["rust_version"])
        for p in seen
        if packages[p].get("rust_version")
        and version(packages[p]["rust_version"]) > version(declared)
    )
    if above:
        failed = True
        print(f"{name} declares rust-version {declared}, but these need more:")
        for dep, v, needs in above:
            print(f"  {dep} {v} needs {needs}")
    else:
        print(f"{name}: rust-version {declared} covers its {len(seen)} dependencies")
sys.exit(1 if failed else 0)
