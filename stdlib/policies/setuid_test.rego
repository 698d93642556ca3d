package froyo.builtin.setuid_test

import data.froyo.builtin.setuid

file(mode) := {"resources": [{"id": "x", "type": "linux.file", "properties": {"path": "/bin/x", "mode": mode}}]}

test_setuid_is_reported if {
	some finding in setuid.violations with input as file("4755")
	contains(finding.msg, "setuid")
	finding.path == ["mode"]
}

test_setgid_is_reported if {
	some finding in setuid.violations with input as file("2755")
	contains(finding.msg, "setgid")
}

test_both_are_named if {
	some finding in setuid.violations with input as file("6755")
	contains(finding.msg, "setuid and setgid")
}

test_plain_and_sticky_modes_are_not_reported if {
	count(setuid.violations) == 0 with input as file("0755")
	count(setuid.violations) == 0 with input as file("755")
	count(setuid.violations) == 0 with input as file("1777")
}
