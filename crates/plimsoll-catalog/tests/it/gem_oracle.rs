//! The `gem` cataloger against Ruby itself: `Gem::Specification.load` (which evaluates a
//! gemspec, as `gem list` does) for every installed gemspec on this machine and in the fixtures,
//! and Bundler's `Bundler::LockfileParser` for every `Gemfile.lock` (the fixtures, and the one
//! `scripts/tools/gem.sh` makes with `bundle lock --local` from Debian's `ruby-*` gems).
//! Needs `PLIMSOLL_TOOLS_RUBY` and `PLIMSOLL_TOOLS_GEM_PROJECT`; skipped without them, except
//! under `CI`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use plimsoll_catalog::Cataloger;

fn gem_cataloger() -> Box<dyn Cataloger> {
    plimsoll_catalog::all()
        .into_iter()
        .find(|c| c.name() == "gem")
        .unwrap()
}

fn files(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            files(&entry.path(), keep, out);
        } else if kind.is_file() && keep(&entry.path()) {
            out.push(entry.path());
        }
    }
}

/// `name version platform licences` per file, from the tool's output (tab-separated).
fn run_ruby(ruby: &Path, script: &str, args: &[PathBuf], env: &[(&str, &Path)]) -> Vec<String> {
    let mut command = Command::new(ruby);
    command.arg("-e").arg(script).args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "ruby failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

const LOAD_SPECS: &str = r#"
ARGV.each do |f|
  s = Gem::Specification.load(f)
  platform = s.platform.to_s == "ruby" ? "" : s.platform.to_s
  puts [f, s.name, s.version.to_s, platform, s.licenses.join("|")].join("\t")
end
"#;

#[test]
fn gemspecs_agree_with_gem_specification_load() {
    let Some(ruby) = crate::tool_env("PLIMSOLL_TOOLS_RUBY") else {
        return;
    };
    let mut specs = Vec::new();
    let is_spec = |p: &Path| {
        p.extension().is_some_and(|e| e == "gemspec")
            && p.components().any(|c| c.as_os_str() == "specifications")
    };
    for root in [
        "/usr/lib/ruby/gems",
        "/usr/share/rubygems-integration",
        "/usr/lib/x86_64-linux-gnu/rubygems-integration",
        "/var/lib/gems",
    ] {
        files(Path::new(root), &is_spec, &mut specs);
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/gem");
    files(&fixtures, &is_spec, &mut specs);
    specs.sort();
    let want: BTreeSet<String> = run_ruby(&ruby, LOAD_SPECS, &specs, &[])
        .into_iter()
        .collect();
    let cataloger = gem_cataloger();
    let mut got = BTreeSet::new();
    for spec in &specs {
        let image_path = spec.to_str().unwrap();
        assert!(cataloger.wants(image_path), "{image_path}");
        let facts = cataloger
            .catalog(image_path, &fs_err::read(spec).unwrap())
            .unwrap();
        assert!(
            facts.warnings.is_empty(),
            "{image_path}: {:?}",
            facts.warnings
        );
        assert_eq!(facts.packages.len(), 1, "{image_path}");
        let p = &facts.packages[0];
        got.insert(
            [
                image_path,
                &p.name,
                &p.version,
                p.arch.as_deref().unwrap_or(""),
                &p.licenses.join("|"),
            ]
            .join("\t"),
        );
    }
    assert_eq!(got, want);
    eprintln!("gem oracle: {} gemspecs agree", specs.len());
    assert!(specs.len() >= 40, "only {} gemspecs found", specs.len());
}

const PARSE_LOCK: &str = r#"
require "bundler"
Bundler::LockfileParser.new(File.read(ARGV[0])).specs.each do |s|
  platform = s.platform.to_s == "ruby" ? "" : s.platform.to_s
  puts [s.name, s.version.to_s, platform].join("\t")
end
"#;

#[test]
fn gemfile_locks_agree_with_bundler() {
    let (Some(ruby), Some(project)) = (
        crate::tool_env("PLIMSOLL_TOOLS_RUBY"),
        crate::tool_env("PLIMSOLL_TOOLS_GEM_PROJECT"),
    ) else {
        return;
    };
    let mut locks = vec![project.join("Gemfile.lock")];
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/gem");
    files(
        &fixtures,
        &|p: &Path| p.file_name().is_some_and(|n| n == "Gemfile.lock"),
        &mut locks,
    );
    assert!(locks.len() >= 3, "{locks:?}");
    let cataloger = gem_cataloger();
    for lock in &locks {
        // Bundler wants a Gemfile to exist even just to parse a lockfile.
        let gemfile = project.join("Gemfile");
        let mut want: Vec<String> = run_ruby(
            &ruby,
            PARSE_LOCK,
            std::slice::from_ref(lock),
            &[("BUNDLE_GEMFILE", &gemfile)],
        );
        let image_path = "/app/Gemfile.lock";
        let facts = cataloger
            .catalog(image_path, &fs_err::read(lock).unwrap())
            .unwrap();
        assert!(
            facts.warnings.is_empty(),
            "{}: {:?}",
            lock.display(),
            facts.warnings
        );
        // Bundler 2.3 folds `x86_64-linux-gnu` into `x86_64-linux` (Gem::Platform); the lockfile
        // spelling is kept here, so platforms compare by the tool's prefix.
        let mut got: Vec<String> = facts
            .packages
            .iter()
            .map(|p| [p.name.as_str(), &p.version, p.arch.as_deref().unwrap_or("")].join("\t"))
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got.len(), want.len(), "{}", lock.display());
        for (g, w) in got.iter().zip(&want) {
            assert!(
                g.starts_with(w.as_str()),
                "{}: ours {g:?}, bundler {w:?}",
                lock.display()
            );
        }
        eprintln!("gem oracle: {} agrees ({} gems)", lock.display(), got.len());
    }
}
