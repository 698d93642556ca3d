# exec-without-guard: a command that runs on every apply.
#
# Why: a `linux.exec` without `creates`, `unless` or `onlyif`, and not `refresh_only`, runs
# each time froyo applies, so the configuration never converges: every plan shows it, and
# a command that is not idempotent (appending to a file, creating a user) does its work again.
#
# Example: `linux.#Exec & {command: "useradd app"}`.
#
# Fix: add a guard (`creates: "/home/app"`, `unless: "id app"`), or set `refresh_only: true`
# and `notify` it from the resource whose change should run it.
package froyo.builtin.exec_guard

policy := {
	"name": "exec-without-guard",
	"code": "P0004",
	"level": "warn",
	"summary": "A command has no guard and is not `refresh_only`, so it runs on every apply.",
}

guards := ["creates", "unless", "onlyif"]

guarded(properties) if {
	some guard in guards
	properties[guard]
}

guarded(properties) if properties.refresh_only == true

violations contains finding if {
	some resource in input.resources
	resource.type == "linux.exec"
	not guarded(resource.properties)
	finding := {
		"msg": sprintf("command `%s` has no guard: it runs on every apply", [resource.id]),
		"resource": resource.id,
		"path": ["command"],
	}
}
