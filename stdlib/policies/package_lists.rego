# package-not-allowed: a package on the workspace's deny list, or off its allow list.
#
# Why: organisations keep lists of software that must never be installed (`telnetd`,
# `rsh-server`) or of the only software that may be. The lists live in the workspace's CUE,
# beside the configuration they govern, so a review sees both.
#
# Configure in the workspace package:
#
# ```cue
# policy_data: packages: {
# 	deny: ["telnetd", "rsh-server"]
# 	// When set, only these packages may be installed.
# 	allow: ["nginx", "curl"]
# }
# ```
#
# Without lists this policy reports nothing. A package whose `state` is `absent` is never
# reported: removing a denied package is what the list asks for.
#
# Fix: remove the resource, set `state: "absent"`, or change the list.
package froyo.builtin.package_lists

policy := {
	"name": "package-not-allowed",
	"code": "P0003",
	"level": "deny",
	"summary": "A package is on the workspace's deny list, or not on its allow list.",
}

installed contains resource if {
	some resource in input.resources
	resource.type == "linux.package"
	resource.properties.state != "absent"
}

violations contains finding if {
	some resource in installed
	name := resource.properties.name
	name in data.policy_data.packages.deny
	finding := {
		"msg": sprintf("package `%s` is on the deny list (`policy_data.packages.deny`)", [name]),
		"resource": resource.id,
		"path": ["name"],
	}
}

violations contains finding if {
	allow := data.policy_data.packages.allow
	some resource in installed
	name := resource.properties.name
	not name in allow
	finding := {
		"msg": sprintf("package `%s` is not on the allow list (`policy_data.packages.allow`)", [name]),
		"resource": resource.id,
		"path": ["name"],
	}
}
