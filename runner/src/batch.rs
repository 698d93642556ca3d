//! Runs the items of one batch on a few worker threads and reports each
//! outcome the moment it is known.
//!
//! Workers pull from one shared queue, so a slow item never holds back the
//! others. Each item runs under `catch_unwind`: a bug that panics fails that
//! item ([`ItemOutcome::Error`] saying so), not the batch or the runner.
//!
//! Invariant: `report` is called exactly once per item, from whichever thread
//! ran it.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

use froyo_runner_protocol::ItemOutcome;

/// Never more worker threads than this, whatever the engine asks for.
pub const MAX_WORKERS: usize = 256;

pub fn run<T: Send>(
    items: Vec<(u64, T)>,
    workers: usize,
    describe: impl Fn(&T) -> String + Sync,
    work: impl Fn(&T) -> ItemOutcome + Sync,
    report: impl Fn(u64, ItemOutcome) + Sync,
) {
    let workers = workers.clamp(1, MAX_WORKERS).min(items.len());
    let queue = Mutex::new(items.into_iter());
    let next = || queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).next();
    let drain = || {
        while let Some((id, item)) = next() {
            let outcome =
                panic::catch_unwind(AssertUnwindSafe(|| work(&item))).unwrap_or_else(|payload| {
                    let reason = payload
                        .downcast_ref::<&str>()
                        .map(|text| (*text).to_owned())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".to_owned());
                    ItemOutcome::Error {
                        message: format!(
                            "{}: internal error in the runner: {reason} (please report this bug)",
                            describe(&item)
                        ),
                        ops: Vec::new(),
                    }
                });
            report(id, outcome);
        }
    };
    if workers <= 1 {
        drain();
        return;
    }
    std::thread::scope(|scope| {
        let mut started = 0;
        for index in 0..workers {
            let spawned = std::thread::Builder::new()
                .name(format!("worker-{index}"))
                .stack_size(2 * 1024 * 1024)
                .spawn_scoped(scope, drain);
            match spawned {
                Ok(_) => started += 1,
                Err(error) => {
                    eprintln!(
                        "froyo-runner: cannot start worker thread ({error}); using {started}"
                    );
                    break;
                }
            }
        }
        // No thread could start: do the work here.
        if started == 0 {
            drain();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_reported_once_even_when_one_panics() {
        let items: Vec<(u64, u64)> = (0..50).map(|id| (id, id)).collect();
        let reports = Mutex::new(Vec::new());
        run(
            items,
            4,
            |item| format!("item {item}"),
            |item| {
                if *item == 7 {
                    panic!("boom");
                }
                ItemOutcome::Applied { ops: Vec::new() }
            },
            |id, outcome| reports.lock().unwrap().push((id, outcome)),
        );
        let mut reports = reports.into_inner().unwrap();
        reports.sort_by_key(|(id, _)| *id);
        assert_eq!(reports.len(), 50);
        assert!(reports.iter().enumerate().all(|(index, (id, _))| index as u64 == *id));
        assert_eq!(
            reports[7].1,
            ItemOutcome::Error {
                message: "item 7: internal error in the runner: boom (please report this bug)"
                    .into(),
                ops: vec![]
            }
        );
    }
}
