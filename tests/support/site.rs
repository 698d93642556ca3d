//! A workspace in a temporary directory for end-to-end tests of the `froyo`
//! binary on this machine: `localhost` through the local runner, resources
//! under `<tmp>/host` (`@ROOT@` in sources), state in `<tmp>/.froyo`.
#![allow(dead_code)] // Each test binary uses its own part of the helper.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    pub fn new(source: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("cue.mod")).unwrap();
        fs::create_dir_all(dir.path().join("host")).unwrap();
        fs::write(dir.path().join("cue.mod/module.cue"), "module: \"example.com/test\"\n").unwrap();
        fs::write(
            dir.path().join("hosts.cue"),
            "package site\n\nhosts: localhost: transport: \"local\"\n",
        )
        .unwrap();
        let site = Site { dir };
        site.write(source);
        site
    }

    pub fn write(&self, site: &str) {
        let text = site.replace("@ROOT@", &self.root().to_string_lossy());
        fs::write(self.dir.path().join("site.cue"), text).unwrap();
    }

    /// The directory the resources manage.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("host")
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }

    pub fn froyo(&self, args: &[&str]) -> Output {
        froyo_in(self.dir.path(), args)
    }
}

pub fn froyo_in(directory: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_froyo"))
        .args(args)
        .current_dir(directory)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Standard output and error, lossily decoded.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
