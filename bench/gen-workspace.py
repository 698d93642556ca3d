#!/usr/bin/env python3
"""Writes a froyo workspace of COUNT resources over FILES files, half CUE and
half Starlark, for the `froyo check` benchmark (bench/check-workspace).

The CUE files declare resources unified with the standard library's schemas
(files, directories, packages, services, users, commands), with host
selectors and `require`/`notify` edges inside each file; the Starlark files
loop over data read from `config` and declare files and commands the same
way. hosts.cue declares 20 hosts in four roles.

Usage: bench/gen-workspace.py DIRECTORY [--count 10000] [--files 100]
"""

import argparse
import os

ROLES = ["web", "db", "cache", "worker"]


def cue_file(index, count):
    lines = [
        "package site",
        "",
        'import "froyo.dev/linux"',
        "",
        f"// Application {index}: its directory, configuration, package and service.",
        f"apps: app{index}: {{name: \"app{index}\", port: {8000 + index}, role: \"{ROLES[index % 4]}\"}}",
        "",
        "resources: {",
    ]
    role = ROLES[index % 4]
    for item in range(count):
        rid = f"c{index}-{item}"
        kind = item % 6
        on = f'on: role: "{role}"'
        if kind == 0:
            lines.append(f'\t"{rid}": linux.#Directory & {{{on}, path: "/srv/app{index}/d{item}", mode: "0755"}}')
        elif kind == 1:
            # The service two items on, when the file has it (not past the
            # end of a file whose size is not a multiple of 6).
            notify = f', notify: ["c{index}-{item + 2}"]' if item + 2 < count else ""
            lines.append(
                f'\t"{rid}": linux.#File & {{{on}, path: "/srv/app{index}/d{item - 1}/config", '
                f'content: "port = \\(apps.app{index}.port)\\n", mode: "0644", require: ["c{index}-{item - 1}"]'
                f'{notify}}}'
            )
        elif kind == 2:
            lines.append(f'\t"{rid}": linux.#Package & {{{on}, name: "pkg{index}-{item}", state: "present"}}')
        elif kind == 3:
            lines.append(
                f'\t"{rid}": linux.#Service & {{{on}, name: "svc{index}-{item}", require: ["c{index}-{item - 1}"]}}'
            )
        elif kind == 4:
            lines.append(f'\t"{rid}": linux.#User & {{{on}, name: "user{index}x{item}", groups: ["app"]}}')
        else:
            lines.append(
                f'\t"{rid}": linux.#Exec & {{{on}, command: "/usr/local/bin/setup {item}", '
                f'creates: "/srv/app{index}/.done{item}", env: {{APP: "app{index}"}}}}'
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


def star_file(index, count):
    role = ROLES[index % 4]
    return f'''# Generated: {count} resources for shard {index}.
ROLE = "{role}"

def shard(n):
    base = "/opt/shard{index}"
    linux.directory("s{index}-root", on = {{"role": ROLE}}, path = base, mode = "0755")
    for i in range(n - 1):
        if i % 2 == 0:
            linux.file(
                "s{index}-f%d" % i,
                on = {{"role": ROLE}},
                path = "%s/file%d.conf" % (base, i),
                content = "app = %s\\n" % config.apps["app%d" % (i % len(config.apps))].name,
                require = ["s{index}-root"],
            )
        else:
            linux.exec(
                "s{index}-e%d" % i,
                on = {{"role": ROLE}},
                command = "/usr/bin/true %d" % i,
                onlyif = "test -f %s/file%d.conf" % (base, i - 1),
                require = ["s{index}-f%d" % (i - 1)],
            )

shard({count})
'''


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--files", type=int, default=100)
    args = parser.parse_args()
    os.makedirs(os.path.join(args.directory, "cue.mod"), exist_ok=True)
    with open(os.path.join(args.directory, "cue.mod", "module.cue"), "w") as out:
        out.write('module: "example.com/bench"\n')
    hosts = ["package site", "", "hosts: {"]
    for host in range(20):
        hosts.append(
            f'\th{host}: {{address: "10.0.{host // 250}.{host % 250 + 1}", user: "deploy", become: true, '
            f'labels: {{role: "{ROLES[host % 4]}", zone: "z{host % 3}"}}}}'
        )
    hosts.append("}")
    with open(os.path.join(args.directory, "hosts.cue"), "w") as out:
        out.write("\n".join(hosts) + "\n")
    cue_files = args.files // 2
    star_files = args.files - cue_files
    per_file = args.count // args.files
    for index in range(cue_files):
        with open(os.path.join(args.directory, f"app{index:03}.cue"), "w") as out:
            out.write(cue_file(index, per_file))
    for index in range(star_files):
        with open(os.path.join(args.directory, f"shard{index:03}.star"), "w") as out:
            out.write(star_file(index, per_file))
    total = (cue_files + star_files) * per_file
    print(f"{total} resources in {cue_files} CUE files and {star_files} Starlark files (+ hosts.cue)")


if __name__ == "__main__":
    main()
