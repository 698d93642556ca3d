//! Property tests of what `@embed` reads from user text (`froyo_eval::embed`):
//! no attribute or pattern makes it panic; an accepted path never leaves
//! the CUE file's directory; glob elements match as their definition says.

use froyo_eval::embed::{Target, glob_match, parse_attribute};
use proptest::prelude::*;

/// Attribute bodies made of the pieces attributes are built from.
fn attribute_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("file=".to_string()),
        Just("glob=".to_string()),
        Just("type=".to_string()),
        Just("allowEmptyGlob".to_string()),
        Just(", ".to_string()),
        Just("/".to_string()),
        Just("..".to_string()),
        Just(".".to_string()),
        Just("*".to_string()),
        Just("**".to_string()),
        Just("?".to_string()),
        Just("[a-z]".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("^".to_string()),
        Just("\\".to_string()),
        Just("\"".to_string()),
        Just("#".to_string()),
        Just("json".to_string()),
        Just("text".to_string()),
        Just("é".to_string()),
        "[a-z]{1,4}".prop_map(|s| s),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
}

/// `name` as a pattern that matches only itself.
fn escaped(name: &str) -> String {
    name.chars().flat_map(|c| if "*?[\\".contains(c) { vec!['\\', c] } else { vec![c] }).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn accepted_paths_stay_below_the_directory(body in attribute_like()) {
        let text = format!("@embed({body})");
        if let Some(Ok(spec)) = parse_attribute(&text) {
            let path = match &spec.target {
                Target::File(path) | Target::Glob(path) => path.clone(),
            };
            prop_assert!(!path.is_empty() && !path.starts_with('/'), "{path}");
            prop_assert!(path.split('/').all(|element| !matches!(element, "" | "." | "..")), "{path}");
        }
    }

    #[test]
    fn glob_elements_match_as_defined(pattern in attribute_like(), name in "[a-z.*?\\[\\]\\\\é]{0,8}") {
        // Never panics, whatever the pattern.
        let _ = glob_match(&pattern, &name);
        prop_assert!(glob_match(&escaped(&name), &name), "{name}");
        prop_assert!(glob_match("*", &name));
        prop_assert_eq!(glob_match("?", &name), name.chars().count() == 1);
    }
}
