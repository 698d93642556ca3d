# host-without-owner: a host without the label that names who owns it.
#
# Why: when a machine misbehaves at night, its labels are how people find who to call.
# Organisations that require an owner label want it on every host from the start.
#
# This policy is off until the workspace asks for it, by naming the label:
#
# ```cue
# policy_data: owner_label: "owner"
# ```
#
# or by giving it a level (`policy_data: levels: "host-without-owner": "warn"`; the label is
# then `owner`).
#
# Fix: add the label (`labels: owner: "team-web"`).
package froyo.builtin.host_owner

policy := {
	"name": "host-without-owner",
	"code": "P0005",
	"level": "warn",
	"summary": "A host has no owner label.",
}

label := data.policy_data.owner_label if data.policy_data.owner_label

else := "owner"

# Off unless the workspace names the label or sets this policy's level.
enabled if data.policy_data.owner_label

enabled if data.policy_data.levels["host-without-owner"]

violations contains finding if {
	enabled
	some host in input.hosts
	not host.labels[label]
	finding := {
		"msg": sprintf("host `%s` has no `%s` label", [host.name, label]),
		"host": host.name,
		"path": ["labels"],
	}
}
