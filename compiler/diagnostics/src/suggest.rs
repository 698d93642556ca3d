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

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn only_close_names_are_suggested() {
        let ids = ["apache", "apache-svc", "php"];
        assert_eq!(did_you_mean("apache2", ids), Some("apache"));
        assert_eq!(did_you_mean("apache-service", ids), Some("apache-svc"));
        assert_eq!(did_you_mean("nginx", ids), None);
        assert_eq!(did_you_mean("contnet", ["content", "mode", "path"]), Some("content"));
    }

    #[test]
    fn ties_go_to_the_name_that_sorts_first_whatever_the_order() {
        assert_eq!(did_you_mean("abcdx", ["abcdy", "abcdz"]), Some("abcdy"));
        assert_eq!(did_you_mean("abcdx", ["abcdz", "abcdy"]), Some("abcdy"));
    }
}
