//! A Starlark file → froyo's bridge (prelude, `config`, limits): resources or
//! diagnostics, never a panic.
#![no_main]

use std::sync::Arc;

use froyo_diagnostics::FileId;
use froyo_eval::Data;
use froyo_starlark::{Files, Options, run};
use libfuzzer_sys::fuzz_target;

struct One(Arc<str>);

impl Files for One {
    fn read(&self, path: &str) -> Option<(FileId, Arc<str>)> {
        (path == "fuzz.star").then(|| (FileId(0), self.0.clone()))
    }
}

fuzz_target!(|data: &[u8]| {
    let files = One(String::from_utf8_lossy(data).into());
    let config = Arc::new(Data::Struct(vec![("name".into(), Data::String("fuzz".into()))]));
    let options = Options {
        max_steps: 20_000,
        max_heap_bytes: 64 << 20,
        max_resources: 1_000,
        ..Options::default()
    };
    let _ = run("fuzz.star", &files, config, &options);
});
