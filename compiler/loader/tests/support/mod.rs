//! What the loader's tests share: multi-file fixtures written to disk.

use std::fs;
use std::path::Path;

/// Writes `fixture` under `root`: `//- path` starts a file, the lines up to
/// the next header are its text.
pub fn write_fixture(root: &Path, fixture: &str) {
    let mut current: Option<(String, String)> = None;
    let flush = |entry: Option<(String, String)>| {
        if let Some((path, text)) = entry {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
    };
    for line in fixture.lines() {
        if let Some(path) = line.strip_prefix("//- ") {
            flush(current.take());
            current = Some((path.trim().to_string(), String::new()));
        } else if let Some((_, text)) = &mut current {
            text.push_str(line);
            text.push('\n');
        }
    }
    flush(current);
}
