package froyo.builtin.host_owner_test

import data.froyo.builtin.host_owner

hosts := {"hosts": [
	{"name": "web1", "labels": {"owner": "team-web"}},
	{"name": "db1", "labels": {"team": "data"}},
]}

test_the_policy_is_off_until_asked_for if {
	count(host_owner.violations) == 0 with input as hosts with data.policy_data as {}
}

test_a_host_without_the_label_is_reported if {
	found := host_owner.violations with input as hosts with data.policy_data as {"levels": {"host-without-owner": "warn"}}
	count(found) == 1
	some finding in found
	finding.host == "db1"
}

test_the_label_is_configurable if {
	found := host_owner.violations with input as hosts with data.policy_data as {"owner_label": "team"}
	count(found) == 1
	some finding in found
	finding.host == "web1"
}
