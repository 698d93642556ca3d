//! "Did you mean …?": the one way every stage suggests a name.

/// The candidate closest to `name`, when one is close enough to be a typo
/// (Jaro-Winkler similarity of at least 0.8); never `name` itself. Of
/// equally close candidates, the one that sorts first, so that the answer
/// does not depend on the order of a hash set.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, candidate)| *score >= 0.8 && *candidate != name)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, candidate)| candidate)
}

/// For qualified names (`linux.file`): the candidate whose last segment is
/// closest to `name`'s, one of the same qualifier first. A shared prefix
/// such as `linux.fi` says nothing about the name, so only the last
/// segments are compared (`linux.firewall` is not a typo of `linux.file`).
pub fn did_you_mean_qualified<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let last = |text: &'a str| text.rsplit_once('.').map_or(text, |(_, last)| last);
    let (qualifier, short) = name.rsplit_once('.').unwrap_or(("", name));
    let candidates: Vec<&'a str> = candidates.into_iter().collect();
    let best = did_you_mean(short, candidates.iter().map(|candidate| last(candidate)))?;
    let mut matching = candidates.into_iter().filter(|candidate| last(candidate) == best);
    let first = matching.next()?;
    Some(
        std::iter::once(first)
            .chain(matching)
            .find(|candidate| candidate.rsplit_once('.').is_some_and(|(q, _)| q == qualifier))
            .unwrap_or(first),
    )
}

/// `diagnostic` with the candidate closest to `name` (by
/// [`did_you_mean_qualified`]) as a did-you-mean help, or, when none is
/// close, a note listing every candidate ("the {what} are `a`, `b`, …").
pub fn suggest_or_list<'a>(
    diagnostic: crate::Diagnostic,
    name: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
    what: &str,
) -> crate::Diagnostic {
    match did_you_mean_qualified(name, candidates.clone()) {
        Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
        None => {
            let all: Vec<String> =
                candidates.into_iter().map(|candidate| format!("`{candidate}`")).collect();
            diagnostic.with_note(format!("the {what} are {}", all.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{did_you_mean, did_you_mean_qualified};

    #[test]
    fn only_close_names_are_suggested() {
        let ids = ["apache", "apache-svc", "php"];
        assert_eq!(did_you_mean("apache2", ids), Some("apache"));
        assert_eq!(did_you_mean("apache-service", ids), Some("apache-svc"));
        assert_eq!(did_you_mean("nginx", ids), None);
        assert_eq!(did_you_mean("contnet", ["content", "mode", "path"]), Some("content"));
    }

    #[test]
    fn qualified_names_compare_their_last_segments() {
        let types = ["linux.file", "linux.group", "probe.http"];
        assert_eq!(did_you_mean_qualified("linux.fiel", types), Some("linux.file"));
        assert_eq!(did_you_mean_qualified("linux.firewall", types), None);
        assert_eq!(did_you_mean_qualified("linux.htpp", types), Some("probe.http"));
    }

    #[test]
    fn ties_go_to_the_name_that_sorts_first_whatever_the_order() {
        assert_eq!(did_you_mean("abcdx", ["abcdy", "abcdz"]), Some("abcdy"));
        assert_eq!(did_you_mean("abcdx", ["abcdz", "abcdy"]), Some("abcdy"));
    }
}
