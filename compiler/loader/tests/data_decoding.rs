//! Property tests of the data-file decoders (`froyo_loader::data`): no input
//! makes them panic; what they produce is well-formed CUE whose values sit
//! where the file's values are; errors point inside the file.

use froyo_loader::data::{DataKind, decode};
use proptest::prelude::*;

const KINDS: [DataKind; 4] = [DataKind::Json, DataKind::JsonLines, DataKind::Yaml, DataKind::Toml];

/// Text made of the pieces these formats are built from, so that the
/// decoders get past their first byte often.
fn data_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(": ".to_string()),
        Just(" = ".to_string()),
        Just(", ".to_string()),
        Just("\n".to_string()),
        Just("\n  ".to_string()),
        Just("- ".to_string()),
        Just("---\n".to_string()),
        Just("\"s\\u00e9\"".to_string()),
        Just("'q'".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("!!str ".to_string()),
        Just("[t]\n".to_string()),
        Just("1979-05-27".to_string()),
        Just(".inf".to_string()),
        Just("0x1F".to_string()),
        Just("1e3".to_string()),
        Just("007".to_string()),
        Just("#c\n".to_string()),
        Just("é".to_string()),
        "[a-z]{1,3}".prop_map(|s| s),
        "-?[0-9]{1,3}(\\.[0-9]{0,2})?".prop_map(|s| s),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn decoders_never_panic_and_produce_parseable_cue(text in data_like()) {
        for kind in KINDS {
            match decode(kind, &text) {
                Ok(file) => {
                    prop_assert!(!file.values.is_empty());
                    for (index, range) in file.values.iter().enumerate() {
                        prop_assert!(range.start <= range.end && range.end <= file.text.len());
                        let value = file.value_text(index);
                        prop_assert_eq!(value.len(), file.text.len());
                        let parse = froyo_syntax::parse(&value);
                        prop_assert!(
                            parse.errors().is_empty(),
                            "{:?} of {:?} gave CUE that does not parse: {:?}\n{}",
                            kind, text, parse.errors(), value
                        );
                    }
                    // Line-aligned: no more lines than the file has.
                    if kind == DataKind::Yaml || kind == DataKind::Toml {
                        prop_assert!(file.text.matches('\n').count() <= text.matches('\n').count() + 1);
                    }
                }
                Err(error) => {
                    prop_assert!(error.range.start <= error.range.end && error.range.end <= text.len());
                    prop_assert!(text.is_char_boundary(error.range.start) && text.is_char_boundary(error.range.end));
                    prop_assert!(!error.message.is_empty());
                }
            }
        }
    }
}
