//! Hosts can be reached as declared (`E0307`): an SSH host has an address,
//! and a jump host that is a bare name names a declared host.

use froyo_diagnostics::{Diagnostic, FileId, Span, registry};
use froyo_ir::{Host, Transport};

use super::Context;

pub fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    of_hosts(&context.ir.hosts, &|name| context.host_span(name), context.text_of)
}

/// The problems of `hosts` (all of the workspace's, in file order), each at
/// the span `span_of` gives its name; `text_of` gives a file's text.
pub fn of_hosts(
    hosts: &[&Host],
    span_of: &dyn Fn(&str) -> Span,
    text_of: &dyn Fn(FileId) -> Option<String>,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for host in hosts {
        let span = span_of(&host.name);
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
            let is_name = !jump.contains(['@', ':', '.', ',']) && jump != "none";
            if is_name && !hosts.iter().any(|other| other.name == *jump) {
                let names = hosts.iter().map(|other| other.name.as_str());
                let mut diagnostic = Diagnostic::new(
                    &registry::INVALID_HOST,
                    format!(
                        "host `{}` jumps through `{jump}`, which is not a declared host",
                        host.name
                    ),
                    super::quoted_in(text_of, span, jump).unwrap_or(span),
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
