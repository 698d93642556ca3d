# setuid-mode: a file or directory with the setuid or setgid bit.
#
# Why: a setuid program runs as its owner (often root) whoever starts it, a setgid one with
# its group: one bug in it is a way to root. Such bits are rare on purpose and should be
# reviewed each time one appears.
#
# Example: `linux.#File & {path: "/usr/local/bin/tool", mode: "4755"}`.
#
# Fix: drop the leading digit (`0755`); if the program really needs the bit, lower this
# policy's level for the workspace (`policy_data: levels: "setuid-mode": "advisory"`) or
# allow it once with `--allow-policy setuid-mode --reason …`.
package froyo.builtin.setuid

policy := {
	"name": "setuid-mode",
	"code": "P0002",
	"level": "warn",
	"summary": "A file or directory has the setuid or setgid bit.",
}

kinds := {"linux.file": "file", "linux.directory": "directory"}

# The special digit: the first of four; 4 is setuid, 2 setgid, 1 sticky.
bits(mode) := "setuid and setgid" if {
	count(mode) == 4
	substring(mode, 0, 1) in {"6", "7"}
} else := "setuid" if {
	count(mode) == 4
	substring(mode, 0, 1) in {"4", "5"}
} else := "setgid" if {
	count(mode) == 4
	substring(mode, 0, 1) in {"2", "3"}
}

violations contains finding if {
	some resource in input.resources
	kind := kinds[resource.type]
	mode := resource.properties.mode
	which := bits(mode)
	finding := {
		"msg": sprintf("%s `%s` would be %s (mode %s)", [kind, resource.properties.path, which, mode]),
		"resource": resource.id,
		"path": ["mode"],
	}
}
