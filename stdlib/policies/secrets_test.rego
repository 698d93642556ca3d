package froyo.builtin.secrets_test

import data.froyo.builtin.secrets

resource(properties, sensitive) := {"resources": [{"id": "x", "type": "linux.file", "properties": properties, "sensitive": sensitive}]}

test_a_private_key_in_content_is_reported if {
	key := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
	found := secrets.violations with input as resource({"path": "/root/.ssh/id", "content": key}, [])
	count(found) == 1
	some finding in found
	finding.path == ["content"]
}

test_an_aws_key_in_a_nested_value_is_reported_at_its_path if {
	found := secrets.violations with input as resource({"env": {"KEY": "AKIAIOSFODNN7EXAMPLE"}}, [])
	some finding in found
	finding.path == ["env", "KEY"]
}

test_a_sensitive_field_is_not_reported if {
	count(secrets.violations) == 0 with input as resource({"env": {"KEY": "AKIAIOSFODNN7EXAMPLE"}}, ["env"])
}

test_ordinary_text_is_not_reported if {
	count(secrets.violations) == 0 with input as resource({"content": "BEGIN PUBLIC KEY and AKIA-short"}, [])
}

test_only_the_resource_with_the_key_is_reported if {
	found := secrets.violations with input as {"resources": [
		{"id": "clean", "type": "linux.file", "properties": {"content": "hello", "mode": "0644"}, "sensitive": []},
		{"id": "leaky", "type": "linux.exec", "properties": {"command": "deploy", "env": {"K": "ASIAIOSFODNN7EXAMPLE"}}, "sensitive": []},
		{"id": "named", "type": "linux.file", "properties": {"AKIAIOSFODNN7EXAMPLE": "only the name looks like a key"}, "sensitive": []},
	]}
	{[finding.resource, finding.path] | some finding in found} == {["leaky", ["env", "K"]]}
}
