# world-writable: a file or directory that every user of the host may write.
#
# Why: a world-writable file lets any local account (or a compromised service) change what
# the file says: a configuration, a script that root runs, a web page.
# A world-writable directory lets anyone add, replace or remove files in it unless it has
# the sticky bit (`1777`, as `/tmp` has).
#
# Example: `linux.#File & {path: "/etc/app.conf", mode: "0666"}`.
#
# Fix: drop the write bit for others (`0644`, `0755`), or give the users who must write a
# group and make it group-writable (`0664`).
package froyo.builtin.world_writable

policy := {
	"name": "world-writable",
	"code": "P0001",
	"level": "deny",
	"summary": "A file or directory is writable by every user of the host.",
}

kinds := {"linux.file": "file", "linux.directory": "directory"}

# The permission digit of "others": the last digit of the octal mode.
others_write(mode) if {
	digit := substring(mode, count(mode) - 1, 1)
	digit in {"2", "3", "6", "7"}
}

# A directory with the sticky bit (`1777`) lets only owners remove their files.
sticky(mode) if {
	count(mode) == 4
	substring(mode, 0, 1) in {"1", "3", "5", "7"}
}

violations contains finding if {
	some resource in input.resources
	kind := kinds[resource.type]
	mode := resource.properties.mode
	others_write(mode)
	not exempt(resource, mode)
	finding := {
		"msg": sprintf("%s `%s` would be writable by every user (mode %s)", [kind, resource.properties.path, mode]),
		"resource": resource.id,
		"path": ["mode"],
	}
}

exempt(resource, mode) if {
	resource.type == "linux.directory"
	sticky(mode)
}
