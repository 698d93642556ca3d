#!/usr/bin/env python3
"""Generate a CUE package of N resource-like structs, for export benchmarks.

    bench/gen-resources.py OUTPUT_DIR [--count N] [--files F]

Writes one package (`package bench`) as several files into OUTPUT_DIR:

  schema.cue         definitions (#Base, #Package, #File, #Service, #User)
                     with defaults, bounds and regexp constraints
  hosts.cue          50 hosts under a pattern constraint ([Name=string]: ...)
  resources_NN.cue   the resources, spread over F files (default 10); each file
                     also generates some of its resources with a comprehension
  derived.cue        comprehensions over all resources (a service index with
                     nested list comprehensions, counts per kind)

Exactly N resources (default 10,000) are declared, every one unified with its
definition and with a pattern constraint on `resources`. The output is
deterministic: the same arguments give the same bytes. The package exports
without errors (`froyo export OUTPUT_DIR`, `cue export` in OUTPUT_DIR).

Only the Python 3 standard library is used.
"""
import argparse
import os
import sys

ROLES = ["web", "db", "cache", "worker", "edge"]
KINDS = ["package", "file", "service", "user"]

SCHEMA = """package bench

// Every resource has a kind, a name, a host selector and dependencies.
#Base: {
	id:   string
	kind: "package" | "file" | "service" | "user"
	name: string & =~"^[a-z0-9][a-z0-9._-]*$"
	on: [string]: string
	require: *[] | [...string]
	labels: [string]: string
}

#Package: {
	#Base
	kind:    "package"
	version: *"latest" | string
	state:   *"present" | "absent"
}

#File: {
	#Base
	kind:    "file"
	path:    string & =~"^/"
	mode:    *"0644" | =~"^0[0-7]{3}$"
	owner:   *"root" | string
	content: string
	size:    len(content)
}

#Service: {
	#Base
	kind:    "service"
	state:   *"running" | "stopped"
	enabled: *true | bool
	restart: *"on-failure" | "always" | "never"
}

#User: {
	#Base
	kind:  "user"
	name:  string
	uid:   int & >=1000 & <65536
	shell: *"/bin/bash" | string
	home:  "/home/\\(name)"
}

// The key of a resource is its id.
resources: [ID=string]: id: ID
"""


def hosts_file():
    lines = ["package bench", "", "hosts: [Name=string]: {", "\tname:    Name",
             "\taddress: string", "\tuser:    *\"deploy\" | string", "\tport:    *22 | int & >0 & <65536",
             "\tlabels: role: string", "}", ""]
    for index in range(50):
        role = ROLES[index % len(ROLES)]
        extra = ", port: 2222" if index % 7 == 0 else ""
        lines.append(f'hosts: "host-{index:02d}": {{address: "10.0.{index // 10}.{index % 10 + 1}", '
                     f'labels: role: "{role}"{extra}}}')
    return "\n".join(lines) + "\n"


def resource(index):
    kind = KINDS[index % len(KINDS)]
    role = ROLES[(index // len(KINDS)) % len(ROLES)]
    if kind == "package":
        version = f', version: "1.{index % 10}.{index % 7}"' if index % 3 else ""
        return f'"pkg-{index:05d}": #Package & {{name: "pkg{index}", on: role: "{role}"{version}}}'
    if kind == "file":
        mode = ', mode: "0600"' if index % 5 == 0 else ""
        return (f'"file-{index:05d}": #File & {{name: "file{index}", on: role: "{role}", '
                f'path: "/etc/app/{index}.conf", content: "name=\\(name)\\nindex={index}\\n"{mode}, '
                f'labels: tier: "{role}"}}')
    if kind == "service":
        state = ', state: "stopped"' if index % 9 == 0 else ""
        return (f'"svc-{index:05d}": #Service & {{name: "svc{index}", on: role: "{role}", '
                f'require: ["pkg-{index - 2:05d}", "file-{index - 1:05d}"]{state}}}')
    return f'"user-{index:05d}": #User & {{name: "user{index}", on: role: "{role}", uid: {1000 + index}}}'


def resources_file(number, indexes, generated):
    lines = ["package bench", "", "resources: {"]
    for index in indexes:
        lines.append("\t" + resource(index))
    lines.append("}")
    if generated:
        names = ", ".join(f'"{name}"' for name in generated)
        lines += [
            "",
            f"// Generated resources: one package per name.",
            "resources: {",
            f"\tfor n in [{names}] {{",
            f'\t\t"gen-{number:02d}-\\(n)": #Package & {{name: "gen{number}-\\(n)", on: role: "web"}}',
            "\t}",
            "}",
        ]
    return "\n".join(lines) + "\n"


DERIVED = """package bench

// Services with their systemd units and what they start after.
services: {
	for id, r in resources if r.kind == "service" {
		"\\(id)": {
			unit:  "\\(r.name).service"
			state: r.state
			after: [for d in r.require {"\\(d).target"}]
		}
	}
}

counts: {
	for k in ["package", "file", "service", "user"] {
		"\\(k)": len([for _, r in resources if r.kind == k {r.id}])
	}
}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", help="directory to write the package into (created if missing)")
    parser.add_argument("--count", type=int, default=10_000, help="number of resources (default 10000)")
    parser.add_argument("--files", type=int, default=10, help="number of resource files (default 10)")
    args = parser.parse_args()
    if args.count < 1 or args.files < 1:
        parser.error("--count and --files must be positive")

    os.makedirs(args.output, exist_ok=True)
    files = {"schema.cue": SCHEMA, "hosts.cue": hosts_file(), "derived.cue": DERIVED}
    per_file = [args.count // args.files + (1 if n < args.count % args.files else 0) for n in range(args.files)]
    start = 0
    for number, size in enumerate(per_file):
        # A tenth of each file's resources (at most 20) comes from a comprehension.
        generated_count = min(20, size // 10)
        explicit = list(range(start, start + size - generated_count))
        generated = [f"g{item}" for item in range(generated_count)]
        start += size - generated_count
        files[f"resources_{number:02d}.cue"] = resources_file(number, explicit, generated)
    for name, text in files.items():
        with open(os.path.join(args.output, name), "w", encoding="utf-8") as out:
            out.write(text)
    total = sum(len(text.encode()) for text in files.values())
    print(f"wrote {args.count} resources in {len(files)} files ({total / 1024:.0f} KiB) to {args.output}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
