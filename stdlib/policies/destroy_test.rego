package froyo.builtin.destroy_test

import data.froyo.builtin.destroy

plan(allow) := {
	"options": {"allow_destroy": allow},
	"instances": [
		{"host": "web1", "resource": "old", "address": "linux.file.old", "action": "delete"},
		{"host": "web1", "resource": "new", "address": "linux.file.new", "action": "create"},
	],
}

test_a_deletion_is_denied_without_allow_destroy if {
	found := destroy.plan_violations with input as plan(false)
	count(found) == 1
	some finding in found
	finding.resource == "old"
	finding.host == "web1"
}

test_allow_destroy_allows_it if {
	count(destroy.plan_violations) == 0 with input as plan(true)
}
