package froyo.builtin.exec_guard_test

import data.froyo.builtin.exec_guard

run(properties) := {"resources": [{"id": "x", "type": "linux.exec", "properties": properties}]}

test_an_unguarded_command_is_reported if {
	found := exec_guard.violations with input as run({"command": "make", "refresh_only": false})
	count(found) == 1
	some finding in found
	finding.path == ["command"]
}

test_guards_and_refresh_only_count if {
	count(exec_guard.violations) == 0 with input as run({"command": "make", "creates": "/x", "refresh_only": false})
	count(exec_guard.violations) == 0 with input as run({"command": "make", "unless": "true", "refresh_only": false})
	count(exec_guard.violations) == 0 with input as run({"command": "make", "onlyif": "false", "refresh_only": false})
	count(exec_guard.violations) == 0 with input as run({"command": "make", "refresh_only": true})
}
