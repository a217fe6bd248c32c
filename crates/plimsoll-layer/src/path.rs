use crate::{Error, Result};

/// Turns a tar entry path into the absolute, normalised path it has inside the image:
/// `./usr/lib/` → `/usr/lib`, `//etc///passwd` → `/etc/passwd`, `a/./b` → `/a/b`.
///
/// A `..` component is refused even when it would stay inside the root (`a/../b`): well-formed
/// layers never contain one, and accepting them invites confusion between what the scanner
/// sees and what a container runtime extracts.
pub fn normalise_entry_path(raw: &str) -> Result<String> {
    let mut out = String::with_capacity(raw.len() + 1);
    for component in raw.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                return Err(Error::UnsafePath {
                    path: raw.to_owned(),
                });
            }
            c => {
                out.push('/');
                out.push_str(c);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises() {
        for (raw, want) in [
            ("./usr/lib/", "/usr/lib"),
            ("usr/lib/os-release", "/usr/lib/os-release"),
            ("/etc//passwd", "/etc/passwd"),
            ("a/./b", "/a/b"),
            ("./", "/"),
            ("", "/"),
        ] {
            assert_eq!(normalise_entry_path(raw).unwrap(), want, "{raw}");
        }
    }

    #[test]
    fn refuses_parent_components() {
        for raw in ["../../etc/passwd", "a/../b", "/..", "usr/.."] {
            assert!(
                matches!(normalise_entry_path(raw), Err(Error::UnsafePath { .. })),
                "{raw}"
            );
        }
    }
}
