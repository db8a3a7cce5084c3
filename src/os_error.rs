//! Operating-system errors in words a user can act on ("File exists (os error 17)" says what
//! happened, not what to do).

use std::io::{Error, ErrorKind};

/// What went wrong and what to do about it.
pub fn explain(e: &Error) -> String {
    let advice = match e.kind() {
        ErrorKind::NotFound => "no such file or directory: check the path",
        ErrorKind::PermissionDenied => {
            "permission denied: use a path you may read and write, or change its permissions"
        }
        ErrorKind::AlreadyExists | ErrorKind::NotADirectory => {
            "a file is in the way where a directory is needed: choose another output directory \
             (--out) or move the file"
        }
        ErrorKind::IsADirectory => "this is a directory: give the path of a file",
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => {
            "no space left (the disk is full, or a quota or file size limit is reached): free some \
             space or write elsewhere (--out)"
        }
        ErrorKind::ReadOnlyFilesystem => "the file system is read-only: write elsewhere (--out)",
        ErrorKind::InvalidFilename => "the file name is not allowed here: choose another name",
        _ => return without_os_code(&e.to_string()),
    };
    advice.to_string()
}

/// "Broken pipe (os error 32)" -> "Broken pipe".
fn without_os_code(s: &str) -> String {
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_kinds_get_advice_and_others_lose_the_os_code() {
        let exists = Error::from_raw_os_error(17);
        assert!(explain(&exists).contains("--out"), "{}", explain(&exists));
        let missing = Error::from(ErrorKind::NotFound);
        assert!(explain(&missing).contains("check the path"));
        let pipe = Error::from_raw_os_error(32);
        assert!(!explain(&pipe).contains("os error"), "{}", explain(&pipe));
    }
}
