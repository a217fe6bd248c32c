//! Which files are read at all (a cheap test on path and size) and which count as configuration.

/// Largest file scanned. Credentials live in small text files; bigger files are data, logs and
/// bundles whose cost would dominate the scan.
pub const MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// Trees that hold distribution-managed documentation, locale data, headers and package
/// databases: never a user's credential, and the bulk of a base image's text.
const SKIPPED_TREES: &[&str] = &[
    "/usr/share/doc/",
    "/usr/share/man/",
    "/usr/share/info/",
    "/usr/share/locale/",
    "/usr/share/i18n/",
    "/usr/share/zoneinfo/",
    "/usr/share/common-licenses/",
    "/usr/share/mime/",
    "/usr/share/terminfo/",
    "/usr/lib/terminfo/",
    "/lib/terminfo/",
    "/usr/lib/locale/",
    "/usr/include/",
    "/usr/local/include/",
    // Public CA certificates: PEM, but never a private key.
    "/usr/share/ca-certificates/",
    "/etc/ssl/certs/",
    // Package databases (read by the catalogers, not by the secret scanner).
    "/var/lib/dpkg/",
    "/var/lib/apt/",
    "/var/cache/apt/",
    "/var/cache/debconf/",
    "/lib/apk/db/",
    "/var/lib/rpm/",
    "/usr/lib/sysimage/rpm/",
    // Package-managed executables: in the Debian test rootfs, ELF files here were 20 MB of
    // the 28 MB otherwise read, all refused by the NUL probe. Tools an image adds by hand go
    // to /usr/local/bin, which is read.
    "/usr/bin/",
    "/usr/sbin/",
    "/bin/",
    "/sbin/",
    "/usr/libexec/",
    "/usr/lib/apt/",
    // Virtual file systems that a careless `docker commit` may capture.
    "/proc/",
    "/sys/",
    "/dev/",
];

/// Extensions of compiled, compressed and media files: binary (the NUL test would refuse them
/// after reading) or archives whose members the scanner cannot see.
#[rustfmt::skip]
const SKIPPED_EXTENSIONS: &[&str] = &[
    // objects and libraries, byte code
    "so", "a", "o", "lo", "dll", "dylib", "pyc", "pyo", "class", "wasm", "node", "beam",
    // archives and compressed data
    "gz", "tgz", "xz", "bz2", "zst", "lz4", "lzma", "zip", "jar", "war", "ear", "whl", "egg",
    "tar", "deb", "rpm", "apk", "7z",
    // images, fonts, media, documents
    "png", "jpg", "jpeg", "gif", "ico", "bmp", "webp", "tif", "tiff", "svg", "ttf", "otf",
    "woff", "woff2", "eot", "pfb", "pcf", "mp3", "mp4", "ogg", "wav", "pdf",
    // message catalogs, compiled databases, binary keyrings
    "mo", "gmo", "cache", "db", "gpg",
    // source maps: their `sourcesContent` repeats the scripts beside them
    "map",
];

/// Whether the scanner reads a file: within the size cap, outside skipped trees, not of a
/// binary or archive type.
pub(crate) fn wants(path: &str, size: u64) -> bool {
    if size == 0 || size > MAX_FILE_SIZE {
        return false;
    }
    if SKIPPED_TREES.iter().any(|tree| path.starts_with(tree)) {
        return false;
    }
    if is_multiarch_library(path) || is_third_party_test(path) || is_library_source(path) {
        return false;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    // Package metadata (`PKG-INFO`, `METADATA`, `RECORD`): a copy of the project's README and
    // file hashes. PyJWT's README example token made a `jwt` finding in Debian's python3-jwt.
    if path.contains(".dist-info/") || path.contains(".egg-info/") {
        return false;
    }
    // Versioned shared objects: `libssl.so.3`, `libc.so.6`.
    if name.contains(".so.") {
        return false;
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => !SKIPPED_EXTENSIONS
            .iter()
            .any(|skipped| ext.eq_ignore_ascii_case(skipped)),
        _ => true,
    }
}

/// A multiarch library directory (`/usr/lib/x86_64-linux-gnu/…`, `/lib/aarch64-linux-gnu/…`):
/// shared objects, plugins and Perl's compiled core, 2.5 MB of text and no secrets in the
/// Debian rootfs.
fn is_multiarch_library(path: &str) -> bool {
    let rest = path
        .strip_prefix("/usr/lib/")
        .or_else(|| path.strip_prefix("/lib/"));
    rest.and_then(|rest| rest.split_once('/'))
        .is_some_and(|(dir, _)| dir.contains("-linux-"))
}

/// Installed language libraries: Python's `site-`/`dist-packages` and standard library,
/// `node_modules`, Ruby gems, Perl modules.
const LIBRARY_TREES: &[&str] = &[
    "/site-packages/",
    "/dist-packages/",
    "/node_modules/",
    "/usr/lib/python",
    "/usr/local/lib/python",
    "/usr/lib/ruby/",
    "/usr/local/lib/ruby/",
    "/var/lib/gems/",
    "/usr/local/bundle/",
    "/usr/share/perl",
];

/// Source and documentation extensions of those libraries.
const LIBRARY_SOURCE_EXTENSIONS: &[&str] = &[
    "py", "pyi", "js", "mjs", "cjs", "ts", "mts", "cts", "jsx", "tsx", "rb", "pm", "pl", "md",
    "markdown", "rst", "txt", "html",
];

/// Published metadata and documentation files of those libraries, by name.
const LIBRARY_DOC_NAMES: &[&str] = &["package.json", "LICENSE", "LICENCE", "README", "CHANGELOG"];

/// Source code and documentation of an installed third-party library
/// (`…/site-packages/requests/api.py`, `…/node_modules/express/lib/router.js`,
/// `…/node_modules/debug/README.md`): published code, not where an image's own
/// credentials live, and most of an application image's text. Measured: Python and node
/// trees are 40 % and 92 % wanted bytes without this rule, which alone made the scan cost
/// 12–35 % of a layer's analysis (the budget for all catalogers is 10 %). Configuration files
/// and keys in those trees (`.env`, `.json`, `.pem`, …) are still read, and the image's own
/// code (`/app`, `/srv`, `/opt/<app>`) is scanned in full.
fn is_library_source(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split_once('.').map_or(name, |(stem, _)| stem);
    let ext = name.rsplit_once('.').map(|(_, ext)| ext);
    (ext.is_some_and(|ext| LIBRARY_SOURCE_EXTENSIONS.contains(&ext))
        || LIBRARY_DOC_NAMES.contains(&name)
        || LIBRARY_DOC_NAMES.contains(&stem))
        && LIBRARY_TREES.iter().any(|tree| path.contains(tree))
}

/// Trees of third-party code installed by a package manager or toolchain: their tests carry
/// deliberately public keys and tokens.
const THIRD_PARTY_ROOTS: &[&str] = &[
    // Software installed by the distribution or a vendor installer: google-cloud-sdk under
    // /usr/lib carries 40 test keys and example credentials in its `tests/` trees.
    "/usr/lib/",
    "/usr/local/lib/",
    "/usr/share/",
    // CPython's own test suite (`test/certdata/*.pem`: 14 private keys in python3.12) and
    // site-/dist-packages, wherever a virtualenv lives.
    "/lib/python",
    "/node_modules/",
    // Crate sources: sqlx's `tests/certs/**/*.key`, aws-lc's `*_test.cc` (21 keys here).
    "/.cargo/registry/",
    "/usr/local/cargo/registry/",
    // Go toolchain and module cache: `crypto/tls/example_test.go`, `testdata/example-key.pem`.
    "/usr/local/go/",
    "/usr/lib/go-",
    "/usr/share/go-",
    "/go/pkg/mod/",
];

/// Directory names that hold tests, their fixtures and documentation examples. The examples
/// matter as much as the tests: awscli's `examples/**/*.rst` quote AWS's documented example
/// keys (`AKIAIOSFODNN7EXAMPLE`, 58 times in awscli 1.x) and boto3's `examples/` too.
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "testdata",
    "test_data",
    "test-data",
    "__tests__",
    "fixtures",
    "example",
    "examples",
    "doc",
    "docs",
];

/// A test, fixture or example inside a third-party tree: a path under [`THIRD_PARTY_ROOTS`]
/// with a [`TEST_DIRS`] directory, or a file named `*_test.*`, `test_*` or `example*`
/// (botocore's `data/<service>/<version>/examples-1.json`: example access keys, and example
/// passwords such as `"NewPassword": "]35d/{pB9Fo9wJ"`). A user's own tests (`/app/tests/…`)
/// are still scanned: that is where real keys get committed by mistake.
fn is_third_party_test(path: &str) -> bool {
    if !THIRD_PARTY_ROOTS.iter().any(|root| path.contains(root)) {
        return false;
    }
    let mut segments = path.split('/').rev();
    let name = segments.next().unwrap_or_default();
    let stem = name.split_once('.').map_or(name, |(stem, _)| stem);
    stem.ends_with("_test")
        || stem.starts_with("test_")
        || stem.starts_with("example")
        || segments.any(|dir| TEST_DIRS.contains(&dir))
}

/// Extensions of configuration files, where `password = …` is a setting rather than code.
const CONFIG_EXTENSIONS: &[&str] = &[
    "env",
    "ini",
    "conf",
    "cfg",
    "cnf",
    "yaml",
    "yml",
    "properties",
    "toml",
    "json",
];

/// Whether `path` names a configuration file (`.env`, `.env.production`, `app.ini`, …).
pub(crate) fn is_config_like(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == ".env" || name.starts_with(".env.") {
        return true;
    }
    name.rsplit_once('.').is_some_and(|(_, ext)| {
        CONFIG_EXTENSIONS
            .iter()
            .any(|config| ext.eq_ignore_ascii_case(config))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_limits() {
        assert!(wants("/app/.env", 1));
        assert!(wants("/app/.env", MAX_FILE_SIZE));
        assert!(!wants("/app/.env", MAX_FILE_SIZE + 1));
        assert!(!wants("/app/.env", 0));
    }

    #[test]
    fn skips_distribution_trees_and_binary_types() {
        assert!(!wants("/usr/share/doc/bash/README", 10));
        assert!(!wants("/usr/share/zoneinfo/Asia/Tokyo", 10));
        assert!(!wants("/var/lib/dpkg/status", 10));
        assert!(!wants("/usr/lib/x86_64-linux-gnu/libssl.so.3", 10));
        assert!(!wants("/usr/lib/x86_64-linux-gnu/perl-base/Carp.pm", 10));
        assert!(!wants("/lib/aarch64-linux-gnu/libc.so.6", 10));
        assert!(!wants("/usr/bin/bash", 10));
        assert!(wants("/usr/local/bin/deploy.sh", 10));
        assert!(wants("/usr/lib/node_modules/app/config.json", 10));
        assert!(!wants("/app/lib/native.so", 10));
        assert!(!wants("/app/logo.PNG", 10));
        assert!(!wants("/app/app.jar", 10));
        // Not a skipped tree: only the prefix with its slash counts.
        assert!(wants("/usr/share/documents/notes.txt", 10));
        // Dot files have no extension; files without one are read.
        assert!(wants("/root/.git-credentials", 10));
        assert!(wants("/root/.aws/credentials", 10));
        assert!(wants("/home/app/.ssh/id_ed25519", 10));
        assert!(wants("/etc/ssl/private/server.key", 10));
        assert!(wants("/app/.so", 10));
    }

    #[test]
    fn skips_library_source_but_not_library_config_or_own_code() {
        for path in [
            "/usr/local/lib/python3.11/site-packages/requests/api.py",
            "/usr/lib/python3/dist-packages/yaml/__init__.py",
            "/usr/lib/python3.11/http/client.py",
            "/app/node_modules/express/lib/router/index.js",
            "/usr/lib/node_modules/npm/lib/cli.mjs",
            "/usr/local/bundle/gems/rack-3.0.8/lib/rack.rb",
            "/usr/share/perl5/Debconf/Config.pm",
            "/app/node_modules/debug/README.md",
            "/app/node_modules/debug/package.json",
            "/app/node_modules/debug/LICENSE",
            "/usr/local/lib/python3.11/site-packages/requests-2.32.3.dist-info/LICENSE.txt",
        ] {
            assert!(!wants(path, 10), "{path}");
        }
        for path in [
            "/app/settings.py",
            "/srv/api/index.js",
            "/opt/tool/main.rb",
            "/app/node_modules/.env",
            "/usr/local/lib/python3.11/site-packages/app/config.yaml",
            "/app/node_modules/some-lib/key.pem",
            "/app/README.md",
            "/app/package.json",
        ] {
            assert!(wants(path, 10), "{path}");
        }
    }

    #[test]
    fn skips_tests_of_third_party_trees_only() {
        for path in [
            "/usr/lib/python3.12/test/certdata/keycert.pem",
            "/usr/local/lib/python3.12/site-packages/jwt/tests/keys/testkey_rsa.priv",
            "/app/node_modules/ssh2/test/fixtures/id_rsa",
            "/usr/local/cargo/registry/src/index.crates.io-x/sqlx-0.9.0/tests/certs/keys/ca.key",
            "/usr/local/go/src/crypto/tls/example_test.go",
            "/usr/share/go-1.19/src/crypto/tls/testdata/example-key.pem",
            "/root/go/pkg/mod/golang.org/x/crypto@v0.1.0/ssh/testdata/keys.go",
            "/usr/lib/python3/dist-packages/foo/test_keys.py",
            "/usr/lib/python3/dist-packages/PyJWT-2.6.0.egg-info/PKG-INFO",
            "/usr/local/lib/python3.11/site-packages/awscli/examples/iam/create-role.rst",
            "/usr/local/lib/python3.11/site-packages/botocore/data/iam/2010-05-08/examples-1.json",
        ] {
            assert!(!wants(path, 10), "{path}");
        }
        for path in [
            "/app/tests/fixtures/id_rsa",
            "/usr/lib/python3/dist-packages/app/settings.json",
            "/app/node_modules/.env",
            "/srv/testdata/id_rsa",
        ] {
            assert!(wants(path, 10), "{path}");
        }
    }

    #[test]
    fn config_like_files() {
        for path in [
            "/app/.env",
            "/app/.env.production",
            "/app/prod.env",
            "/etc/app/config.YAML",
            "/etc/my.cnf",
            "/app/appsettings.json",
            "/app/application.properties",
        ] {
            assert!(is_config_like(path), "{path}");
        }
        for path in [
            "/app/settings.py",
            "/app/index.js",
            "/app/README.md",
            "/app/env",
        ] {
            assert!(!is_config_like(path), "{path}");
        }
    }
}
