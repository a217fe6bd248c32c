//! The `composer` cataloger against Composer's own loaders (Debian's `composer` 2.5): for
//! `vendor/composer/installed.json`, `InstalledFilesystemRepository` (which reads both the
//! Composer 1 array and the Composer 2 object); for `composer.lock`, `ArrayLoader` over
//! `packages` and `packages-dev`, as `Locker` loads them. Files: the fixtures and the project
//! `scripts/tools/composer.sh` locks and installs offline. Needs `PLIMSOLL_TOOLS_PHP`,
//! `PLIMSOLL_TOOLS_COMPOSER_AUTOLOAD` and `PLIMSOLL_TOOLS_COMPOSER_PROJECT`; skipped without
//! them, except under `CI`.

use std::path::{Path, PathBuf};
use std::process::Command;

const LOAD: &str = r#"
require getenv('COMPOSER_AUTOLOAD');
[$_, $file] = $argv;
if (substr($file, -strlen('composer.lock')) === 'composer.lock') {
    $data = json_decode(file_get_contents($file), true);
    $loader = new Composer\Package\Loader\ArrayLoader(null, true);
    $packages = [];
    foreach (array_merge($data['packages'] ?? [], $data['packages-dev'] ?? []) as $p) {
        $packages[] = $loader->load($p);
    }
} else {
    $repo = new Composer\Repository\InstalledFilesystemRepository(new Composer\Json\JsonFile($file));
    $packages = $repo->getPackages();
}
foreach ($packages as $p) {
    echo $p->getPrettyName(), "\t", $p->getPrettyVersion(), "\t", implode('|', $p->getLicense()), "\n";
}
"#;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs_err::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            files(&path, out);
        } else if path.ends_with("composer.lock") || path.ends_with("composer/installed.json") {
            out.push(path);
        }
    }
}

#[test]
fn lockfiles_and_installed_json_agree_with_composer() {
    let (Some(php), Some(autoload), Some(project)) = (
        crate::tool_env("PLIMSOLL_TOOLS_PHP"),
        crate::tool_env("PLIMSOLL_TOOLS_COMPOSER_AUTOLOAD"),
        crate::tool_env("PLIMSOLL_TOOLS_COMPOSER_PROJECT"),
    ) else {
        return;
    };
    let mut inputs = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/composer"),
        &mut inputs,
    );
    files(&project, &mut inputs);
    assert!(inputs.len() >= 5, "{inputs:?}");
    let cataloger = plimsoll_catalog::all()
        .into_iter()
        .find(|c| c.name() == "composer")
        .unwrap();
    for file in &inputs {
        let output = Command::new(&php)
            .args(["-r", LOAD, "--"])
            .arg(file)
            .env("COMPOSER_AUTOLOAD", &autoload)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "php on {}: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let mut want: Vec<String> = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        let path = file.to_str().unwrap();
        assert!(cataloger.wants(path), "{path}");
        let facts = cataloger
            .catalog(path, &fs_err::read(file).unwrap())
            .unwrap();
        assert!(facts.warnings.is_empty(), "{path}: {:?}", facts.warnings);
        let mut got: Vec<String> = facts
            .packages
            .iter()
            .map(|p| [p.name.as_str(), &p.version, &p.licenses.join("|")].join("\t"))
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{path}");
        assert!(!got.is_empty(), "{path}");
        eprintln!("composer oracle: {path} agrees ({} packages)", got.len());
    }
}
