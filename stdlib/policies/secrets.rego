# secret-in-plain-field: a value that looks like a private key or a cloud access key, in a
# field that is not sensitive.
#
# Why: values of fields that are not marked `@sensitive()` are printed in plans, kept in
# state and shown in the editor; a key written there leaks to every terminal, log and
# backup that sees them, and to everyone who can read the repository.
#
# What is recognised: PEM private keys (`-----BEGIN … PRIVATE KEY-----`), OpenSSH private
# keys, AWS access key ids (`AKIA…`, `ASIA…`) and Google API keys (`AIza…`).
#
# Fix: keep the key out of the workspace. Deploy it from a file the workspace does not
# commit (`source:` of a `linux.#File`), or pass it through a sensitive field (`env` of a
# `linux.#Exec`).
package froyo.builtin.secrets

policy := {
	"name": "secret-in-plain-field",
	"code": "P0006",
	"level": "deny",
	"summary": "A value that looks like a private key or a cloud access key is in a field that is not sensitive.",
}

patterns := {
	"a private key": `-----BEGIN ([A-Z0-9]+ )?PRIVATE KEY-----`,
	"an AWS access key": `(^|[^0-9A-Za-z])(AKIA|ASIA)[0-9A-Z]{16}([^0-9A-Za-z]|$)`,
	"a Google API key": `(^|[^0-9A-Za-z_-])AIza[0-9A-Za-z_-]{35}([^0-9A-Za-z_-]|$)`,
}

# One cheap test per string first: only strings that contain a marker are
# matched against the patterns.
markers := `PRIVATE KEY-----|AKIA|ASIA|AIza`

# Cheaper still, one test for all resources, then one per resource: their
# properties as JSON text. JSON escapes none of the markers' characters, so
# text without a marker has no string with one. Most workspaces stop at the
# first test, most resources at the second.
any_marked if regex.match(markers, json.marshal([resource.properties | some resource in input.resources]))

marked contains resource if {
	any_marked
	some resource in input.resources
	regex.match(markers, json.marshal(resource.properties))
}

# Strings at the top of the properties (most of them), without `walk`.
suspects contains [resource, [name], value] if {
	some resource in marked
	some name, value in resource.properties
	is_string(value)
	regex.match(markers, value)
}

# Strings inside maps and lists.
suspects contains [resource, array.concat([name], path), text] if {
	some resource in marked
	some name, value in resource.properties
	not is_string(value)
	walk(value, [path, text])
	is_string(text)
	regex.match(markers, text)
}

violations contains finding if {
	some [resource, path, text] in suspects
	not path[0] in resource.sensitive
	some what, pattern in patterns
	regex.match(pattern, text)
	finding := {
		"msg": sprintf("`%s` of `%s` holds what looks like %s, in a field that is not sensitive", [concat(".", [sprintf("%v", [segment]) | some segment in path]), resource.id, what]),
		"resource": resource.id,
		"path": path,
	}
}
