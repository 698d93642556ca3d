//! Hosts can be reached as declared (`E0307`): an SSH host has an address,
//! and a jump host that is a bare name names a declared host.

use froyo_diagnostics::{Diagnostic, registry};
use froyo_ir::Transport;

use super::Context;

pub fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for host in &context.ir.hosts {
        let span = context.host_span(&host.name);
        if host.transport == Transport::Ssh && host.address.is_none() {
            diagnostics.push(
                Diagnostic::new(
                    &registry::INVALID_HOST,
                    format!("host `{}` has no address to connect to", host.name),
                    span,
                )
                .with_primary_label("no `address`")
                .with_help(
                    "add `address: \"…\"`, or `transport: \"local\"` for the machine froyo runs on",
                ),
            );
        }
        if let Some(jump) = &host.jump_host {
            let is_name = !jump.contains(['@', ':', '.']);
            if is_name && !context.ir.hosts.iter().any(|other| other.name == *jump) {
                let names = context.ir.hosts.iter().map(|other| other.name.as_str());
                let mut diagnostic = Diagnostic::new(
                    &registry::INVALID_HOST,
                    format!(
                        "host `{}` jumps through `{jump}`, which is not a declared host",
                        host.name
                    ),
                    context.quoted_in(span, jump).unwrap_or(span),
                )
                .with_primary_label("unknown host");
                if let Some(suggestion) = super::did_you_mean(jump, names) {
                    diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
                }
                diagnostics.push(diagnostic);
            }
        }
    }
    diagnostics
}
