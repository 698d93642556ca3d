package froyo.builtin.world_writable_test

import data.froyo.builtin.world_writable

file(id, mode) := {"id": id, "type": "linux.file", "properties": {"path": "/etc/x", "mode": mode}}

directory(id, mode) := {"id": id, "type": "linux.directory", "properties": {"path": "/srv/x", "mode": mode}}

test_a_world_writable_file_is_reported if {
	found := world_writable.violations with input as {"resources": [file("x", "0666")]}
	count(found) == 1
	some finding in found
	finding.resource == "x"
	finding.path == ["mode"]
}

test_three_digit_modes_count if {
	count(world_writable.violations) == 1 with input as {"resources": [file("x", "777")]}
}

test_a_private_file_is_not_reported if {
	count(world_writable.violations) == 0 with input as {"resources": [file("x", "0644"), file("y", "0600")]}
}

test_a_sticky_directory_is_not_reported if {
	count(world_writable.violations) == 0 with input as {"resources": [directory("tmp", "1777")]}
}

test_a_world_writable_directory_is_reported if {
	count(world_writable.violations) == 1 with input as {"resources": [directory("x", "0777")]}
}

test_a_file_without_mode_is_not_reported if {
	count(world_writable.violations) == 0 with input as {"resources": [{"id": "x", "type": "linux.file", "properties": {"path": "/x"}}]}
}
