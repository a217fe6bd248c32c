//! Ruby gems, from two kinds of file:
//!
//! - [`gemspec`]: an installed gem's specification, `…/specifications/<name>-<version>.gemspec`
//!   (and `…/specifications/default/…` for the default gems bundled with Ruby). `RubyGems` writes
//!   these with `Gem::Specification#to_ruby`, in a fixed shape (`s.name = "rake".freeze`); they
//!   are read line by line and never evaluated. A project's own hand-written `*.gemspec` outside
//!   a `specifications` directory is not read: it is the application, not an installed gem.
//! - [`gemfile_lock`]: Bundler's `Gemfile.lock` (or `gems.locked`, its alternative name).
//!
//! An image that ships both a lockfile and the installed gems reports each gem twice, with
//! different `found_in`, as npm does.

mod gemfile_lock;
mod gemspec;

use plimsoll_types::FileFacts;

use crate::{Cataloger, Result};

const SPECIFICATIONS: &str = "/specifications";
const SPECIFICATIONS_DEFAULT: &str = "/specifications/default";
const GEMSPEC: &str = ".gemspec";
const LOCKFILES: [&str; 2] = ["/Gemfile.lock", "/gems.locked"];

/// Reads installed gem specifications and Bundler lockfiles.
pub(crate) struct GemCataloger;

impl GemCataloger {
    const NAME: &'static str = "gem";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

impl Cataloger for GemCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        is_lockfile(path) || is_installed_gemspec(path)
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let text = String::from_utf8_lossy(contents);
        let mut facts = FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            ..FileFacts::default()
        };
        if is_lockfile(path) {
            gemfile_lock::read(path, &text, &mut facts);
        } else {
            gemspec::read(path, &text, &mut facts);
        }
        Ok(facts)
    }
}

fn is_lockfile(path: &str) -> bool {
    LOCKFILES.iter().any(|name| path.ends_with(name))
}

/// `…/specifications/<file>.gemspec` or `…/specifications/default/<file>.gemspec`, with a
/// non-empty file stem and no deeper directory.
fn is_installed_gemspec(path: &str) -> bool {
    let Some(stem_path) = path.strip_suffix(GEMSPEC) else {
        return false;
    };
    let Some((dir, stem)) = stem_path.rsplit_once('/') else {
        return false;
    };
    if stem.is_empty() {
        return false;
    }
    dir.ends_with(SPECIFICATIONS) || dir.ends_with(SPECIFICATIONS_DEFAULT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    #[test]
    fn wants_installed_specs_and_lockfiles() {
        let c = GemCataloger;
        for yes in [
            "/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
            "/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec",
            "/usr/local/bundle/specifications/rack-3.0.8.gemspec",
            "/var/lib/gems/3.1.0/specifications/nokogiri-1.15.4-x86_64-linux.gemspec",
            "/usr/share/rubygems-integration/all/specifications/webrick-1.8.1.gemspec",
            "/app/Gemfile.lock",
            "/Gemfile.lock",
            "/app/gems.locked",
        ] {
            assert!(c.wants(yes), "{yes}");
        }
        for no in [
            "/app/myapp.gemspec",
            "/usr/local/bundle/specifications/.gemspec",
            "/usr/local/bundle/specifications/rack-3.0.8.gemspec.bak",
            "/usr/local/bundle/specifications/sub/dir/rack-3.0.8.gemspec",
            "/usr/local/bundle/gems/rack-3.0.8/rack.gemspec",
            "/usr/local/bundle/myspecifications/rack-3.0.8.gemspec",
            "/app/Gemfile",
            "/app/Gemfile.lock.bak",
            "/app/MyGemfile.lock",
            "specifications/rack.gemspec",
        ] {
            assert!(!c.wants(no), "{no}");
        }
    }

    #[test]
    fn debian_ruby_tree() {
        let facts = testutil::catalog_fixture(&GemCataloger, "gem", "debian-ruby");
        assert!(facts.iter().all(|f| f.warnings.is_empty()));
        let mut all = testutil::summaries(&facts);
        all.sort();
        assert!(all.contains(&"rake 13.0.6 lic=MIT".to_owned()), "{all:?}");
        assert!(
            all.contains(&"webrick 1.8.1 lic=Ruby|BSD-2-Clause".to_owned()),
            "{all:?}"
        );
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let root = testutil::fixture("gem", "debian-ruby");
        let spec = fs_err::read(
            root.join("usr/share/rubygems-integration/all/specifications/webrick-1.8.1.gemspec"),
        )
        .unwrap();
        testutil::assert_no_panic(&GemCataloger, "/s/specifications/x.gemspec", &spec);
        let lock =
            fs_err::read(testutil::fixture("gem", "bundler").join("app/Gemfile.lock")).unwrap();
        testutil::assert_no_panic(&GemCataloger, "/app/Gemfile.lock", &lock);
    }
}
