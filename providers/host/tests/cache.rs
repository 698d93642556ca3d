//! The compiled-component cache: a second `Host::new` loads every provider
//! from disk (and is faster); a corrupt file is recompiled and replaced.

use std::time::Instant;

use froyo_providers::{Host, HostOptions};

#[test]
fn second_host_loads_from_cache_and_corruption_recompiles() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options =
        HostOptions { cache_dir: Some(dir.path().to_path_buf()), ..HostOptions::default() };

    let t = Instant::now();
    let cold = Host::new(options.clone()).expect("cold host");
    let cold_time = t.elapsed();
    for t in cold.types() {
        assert_eq!(cold.from_cache(&t), Some(false), "{t} compiled on a cold cache");
    }
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("cache dir exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 8, "one artifact per built-in provider: {files:?}");
    assert!(files.iter().all(|f| f.extension().is_some_and(|e| e == "cwasm")));
    let modified =
        |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).expect("mtime");
    let before: Vec<_> = files.iter().map(|f| modified(f)).collect();

    let t = Instant::now();
    let warm = Host::new(options.clone()).expect("warm host");
    let warm_time = t.elapsed();
    for t in warm.types() {
        assert_eq!(warm.from_cache(&t), Some(true), "{t} loaded from the cache");
    }
    let after: Vec<_> = files.iter().map(|f| modified(f)).collect();
    assert_eq!(before, after, "cache files are reused, not rewritten");
    assert!(warm_time < cold_time, "warm {warm_time:?} should beat cold {cold_time:?}");
    eprintln!("Host::new cold {cold_time:?}, warm {warm_time:?}");

    // Corrupt one artifact: it is recompiled and overwritten. The hosts map
    // their artifacts into memory, so they go first (froyo itself only ever
    // replaces cache files by rename, never rewrites them in place).
    drop(cold);
    drop(warm);
    std::fs::write(&files[0], b"garbage").expect("corrupt");
    let again = Host::new(options.clone()).expect("host after corruption");
    let recompiled: Vec<_> =
        again.types().into_iter().filter(|t| again.from_cache(t) == Some(false)).collect();
    assert_eq!(recompiled.len(), 1, "exactly the corrupted one is recompiled: {recompiled:?}");
    assert!(std::fs::metadata(&files[0]).expect("rewritten").len() > 1000);
    let fixed = Host::new(options).expect("host after repair");
    assert!(fixed.types().iter().all(|t| fixed.from_cache(t) == Some(true)));
}

#[test]
fn no_cache_dir_means_no_files() {
    let h = Host::new(HostOptions { cache_dir: None, ..HostOptions::default() }).expect("host");
    assert_eq!(h.types().len(), 8);
    assert!(h.types().iter().all(|t| h.from_cache(t) == Some(false)));
}
