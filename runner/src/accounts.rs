//! Users and groups of the host: names ↔ ids, home directories, group membership.
//!
//! Read from `/etc/passwd` and `/etc/group` (parsed here, cached while the
//! file's inode, size and mtime stay the same, so a `useradd` run by an `exec`
//! operation is seen by the next lookup). A *name* that the files do not know
//! is also asked of `getent` when the host has it, which covers LDAP/SSSD
//! accounts that a static musl binary cannot reach through NSS. Ids are never
//! looked up through `getent` (a stat of many files owned by an unknown uid
//! would run it once per file); an unknown id is shown as its number.
//!
//! Invariant: lookups never fail loudly; "unknown" is `None`.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One line of `/etc/passwd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

/// One line of `/etc/group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

const PASSWD: &str = "/etc/passwd";
const GROUP: &str = "/etc/group";

pub fn user_by_name(name: &str) -> Option<User> {
    let from_files = users().iter().find(|user| user.name == name).cloned();
    from_files.or_else(|| getent("passwd", name).and_then(|line| parse_passwd_line(&line)))
}

pub fn user_by_uid(uid: u32) -> Option<User> {
    users().iter().find(|user| user.uid == uid).cloned()
}

pub fn group_by_name(name: &str) -> Option<Group> {
    let from_files = groups().iter().find(|group| group.name == name).cloned();
    from_files.or_else(|| getent("group", name).and_then(|line| parse_group_line(&line)))
}

pub fn group_by_gid(gid: u32) -> Option<Group> {
    groups().iter().find(|group| group.gid == gid).cloned()
}

/// The user's name for `uid`, or the number.
pub fn user_name(uid: u32) -> String {
    user_by_uid(uid).map_or_else(|| uid.to_string(), |user| user.name)
}

/// The group's name for `gid`, or the number.
pub fn group_name(gid: u32) -> String {
    group_by_gid(gid).map_or_else(|| gid.to_string(), |group| group.name)
}

/// A user given by name or by number (`"deploy"`, `"1000"`) as a uid.
pub fn resolve_uid(user: &str) -> Option<u32> {
    user_by_name(user).map(|entry| entry.uid).or_else(|| user.parse().ok())
}

/// A group given by name or by number as a gid.
pub fn resolve_gid(group: &str) -> Option<u32> {
    group_by_name(group).map(|entry| entry.gid).or_else(|| group.parse().ok())
}

/// The groups a process running as `user` gets: its primary group and every
/// group that lists it as a member (what `initgroups` computes).
pub fn groups_of(user: &User) -> Vec<u32> {
    let mut gids = vec![user.gid];
    for group in groups().iter() {
        if group.members.contains(&user.name) && !gids.contains(&group.gid) {
            gids.push(group.gid);
        }
    }
    gids
}

fn users() -> Arc<Vec<User>> {
    static CACHE: Cache<User> = Mutex::new(None);
    cached(&CACHE, PASSWD, parse_passwd_line)
}

fn groups() -> Arc<Vec<Group>> {
    static CACHE: Cache<Group> = Mutex::new(None);
    cached(&CACHE, GROUP, parse_group_line)
}

/// A parsed file and the stamp of the version it was parsed from.
type Cache<T> = Mutex<Option<(FileStamp, Arc<Vec<T>>)>>;

/// What tells two versions of a file apart without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    inode: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
}

fn cached<T>(cache: &Cache<T>, path: &str, parse_line: fn(&str) -> Option<T>) -> Arc<Vec<T>> {
    let Ok(metadata) = fs::metadata(path) else { return Arc::new(Vec::new()) };
    let stamp = FileStamp {
        inode: metadata.ino(),
        size: metadata.size(),
        mtime: metadata.mtime(),
        mtime_nsec: metadata.mtime_nsec(),
    };
    let mut slot = cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((cached_stamp, entries)) = slot.as_ref()
        && *cached_stamp == stamp
    {
        return Arc::clone(entries);
    }
    let text = fs::read(path).map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let entries: Arc<Vec<T>> =
        Arc::new(text.unwrap_or_default().lines().filter_map(parse_line).collect());
    *slot = Some((stamp, Arc::clone(&entries)));
    entries
}

/// The name of a `passwd` or `group` line and its fields after the password;
/// `None` for comments, NIS compat lines (`+`, `-`) and malformed lines.
fn name_and_fields(line: &str) -> Option<(&str, std::str::Split<'_, char>)> {
    let line = line.trim_end();
    if line.starts_with('#') || line.starts_with('+') || line.starts_with('-') {
        return None;
    }
    let mut fields = line.split(':');
    let name = fields.next().filter(|name| !name.is_empty())?;
    let _password = fields.next()?;
    Some((name, fields))
}

/// `name:password:uid:gid:gecos:home:shell`.
pub fn parse_passwd_line(line: &str) -> Option<User> {
    let (name, mut fields) = name_and_fields(line)?;
    let uid = fields.next()?.parse().ok()?;
    let gid = fields.next()?.parse().ok()?;
    let _gecos = fields.next()?;
    let home = fields.next().unwrap_or("/");
    Some(User { name: name.to_owned(), uid, gid, home: home.to_owned() })
}

/// `name:password:gid:member,member`.
pub fn parse_group_line(line: &str) -> Option<Group> {
    let (name, mut fields) = name_and_fields(line)?;
    let gid = fields.next()?.parse().ok()?;
    let members = fields
        .next()
        .unwrap_or("")
        .split(',')
        .filter(|member| !member.is_empty())
        .map(str::to_owned)
        .collect();
    Some(Group { name: name.to_owned(), gid, members })
}

/// `getent <database> <key>`'s one line, when the host has `getent` and knows the key.
fn getent(database: &str, key: &str) -> Option<String> {
    if key.is_empty() || key.starts_with('-') {
        return None;
    }
    let program =
        ["/usr/bin/getent", "/bin/getent"].into_iter().find(|path| Path::new(path).is_file())?;
    let output = std::process::Command::new(program)
        .arg(database)
        .arg(key)
        .env_clear()
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()?.lines().next().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lines() {
        assert_eq!(
            parse_passwd_line("deploy:x:1000:1001:Deploy User,,,:/home/deploy:/bin/bash\n"),
            Some(User { name: "deploy".into(), uid: 1000, gid: 1001, home: "/home/deploy".into() })
        );
        assert_eq!(parse_passwd_line("# comment"), None);
        assert_eq!(parse_passwd_line("+::::::"), None);
        assert_eq!(parse_passwd_line("broken:x:notanumber:1::/:"), None);
        assert_eq!(parse_passwd_line(""), None);
    }

    #[test]
    fn group_lines() {
        assert_eq!(
            parse_group_line("sudo:x:27:alice,bob"),
            Some(Group {
                name: "sudo".into(),
                gid: 27,
                members: vec!["alice".into(), "bob".into()]
            })
        );
        assert_eq!(
            parse_group_line("users:x:100:"),
            Some(Group { name: "users".into(), gid: 100, members: vec![] })
        );
        assert_eq!(parse_group_line("nogid:x::"), None);
    }

    #[test]
    fn root_is_known() {
        assert_eq!(user_name(0), "root");
        assert_eq!(group_name(0), "root");
        assert_eq!(resolve_uid("root"), Some(0));
        assert_eq!(resolve_uid("4242"), Some(4242));
        assert_eq!(resolve_uid("no-such-user-froyo"), None);
    }
}
