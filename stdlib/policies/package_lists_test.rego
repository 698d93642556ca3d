package froyo.builtin.package_lists_test

import data.froyo.builtin.package_lists

packages := {"resources": [
	{"id": "telnet", "type": "linux.package", "properties": {"name": "telnetd", "state": "present"}},
	{"id": "web", "type": "linux.package", "properties": {"name": "nginx", "state": "present"}},
	{"id": "old", "type": "linux.package", "properties": {"name": "rsh-server", "state": "absent"}},
]}

test_a_denied_package_is_reported if {
	found := package_lists.violations with input as packages
		with data.policy_data as {"packages": {"deny": ["telnetd", "rsh-server"]}}
	count(found) == 1
	some finding in found
	finding.resource == "telnet"
	finding.path == ["name"]
}

test_a_package_off_the_allow_list_is_reported if {
	found := package_lists.violations with input as packages
		with data.policy_data as {"packages": {"allow": ["nginx"]}}
	count(found) == 1
	some finding in found
	finding.resource == "telnet"
}

test_without_lists_nothing_is_reported if {
	count(package_lists.violations) == 0 with input as packages with data.policy_data as {}
}
