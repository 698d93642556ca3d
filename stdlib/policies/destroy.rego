# destroy-without-allow: a plan that removes something from a host, made without
# `--allow-destroy`.
#
# Why: `state: "absent"` deletes: a file's content, a user's account, a package. One wrong
# label selector or a copied resource can turn a removal meant for one host into a removal
# on many. A second, explicit yes keeps that from happening by accident.
#
# This policy runs on plans: it sees what would actually be deleted on each host, not
# what the configuration says (an absent file that is already gone is not a change).
#
# Fix: review the deletions the plan shows, then run again with `--allow-destroy`.
package froyo.builtin.destroy

policy := {
	"name": "destroy-without-allow",
	"code": "P0007",
	"level": "deny",
	"summary": "A plan deletes something and `--allow-destroy` was not given.",
}

plan_violations contains finding if {
	not input.options.allow_destroy
	some instance in input.instances
	instance.action == "delete"
	finding := {
		"msg": sprintf("%s would be deleted on `%s`; pass --allow-destroy to allow it", [instance.address, instance.host]),
		"resource": instance.resource,
		"host": instance.host,
		"path": ["state"],
	}
}
