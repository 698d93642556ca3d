//! The built-in policies' section of `docs/policy.md`, generated from the
//! comment each policy file opens with and its metadata, and checked by a
//! test (`FROYO_UPDATE_DOCS=1 cargo test -p froyo-policy builtin_reference`).

use crate::set::PolicySet;

/// Where the generated section starts and ends in `docs/policy.md`.
pub const BEGIN: &str = "<!-- built-in policies: generated from stdlib/policies by `FROYO_UPDATE_DOCS=1 cargo test -p froyo-policy builtin_reference`; do not edit -->";
pub const END: &str = "<!-- end of built-in policies -->";

/// One section per built-in policy, in code order.
pub fn builtin_reference() -> String {
    let set = PolicySet::load(Vec::new(), &serde_json::Value::Null);
    let mut policies: Vec<_> = set.policies.iter().filter(|policy| policy.builtin(&set)).collect();
    policies.sort_by(|a, b| a.code.cmp(&b.code));
    let mut text = String::new();
    text.push_str("| code | name | level | stage | what it reports |\n|---|---|---|---|---|\n");
    for policy in &policies {
        let stage = if policy.plan { "plan" } else { "check" };
        text.push_str(&format!(
            "| {} | [{}](#{}) | {} | {stage} | {} |\n",
            policy.code,
            policy.name,
            policy.code.to_lowercase(),
            policy.level.as_str(),
            policy.summary
        ));
    }
    for policy in &policies {
        let source = &set.sources[policy.source];
        text.push_str(&format!(
            "\n### {}\n\n`{}`, level `{}`, in `stdlib/policies/{}` (tests beside it).\n{}\n\n{}\n",
            policy.code,
            policy.name,
            policy.level.as_str(),
            source.path.rsplit('/').next().unwrap_or(""),
            policy.summary,
            crate::diagnostics::explanation(&set, policy)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_reference() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/policy.md");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) else {
            panic!("docs/policy.md lacks the markers of the built-in policies' section");
        };
        let expected = format!(
            "{}{BEGIN}\n\n{}\n{}",
            &text[..start],
            super::builtin_reference(),
            &text[end..]
        );
        if std::env::var_os("FROYO_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &expected).unwrap();
            return;
        }
        assert!(
            text == expected,
            "docs/policy.md is out of date: FROYO_UPDATE_DOCS=1 cargo test -p froyo-policy builtin_reference"
        );
    }
}
