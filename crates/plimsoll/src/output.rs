//! Where reports go: stdout, or a file written atomically.

use std::io::{IsTerminal, Write};
use std::path::Path;

/// Whether to default to the human format: only when a person reads stdout.
pub(crate) fn stdout_is_terminal(output: Option<&Path>) -> bool {
    output.is_none() && std::io::stdout().is_terminal()
}

/// Runs `write` into `output` (or stdout). A file is written beside the target and renamed,
/// so a failed run never leaves half a report.
pub(crate) fn write_report(
    output: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    if let Some(path) = output {
        let tmp = path.with_extension("plimsoll-partial");
        let mut file = std::io::BufWriter::new(fs_err::File::create(&tmp)?);
        let written = write(&mut file).and_then(|()| Ok(file.flush()?));
        drop(file);
        if let Err(e) = written {
            let _ = fs_err::remove_file(&tmp);
            return Err(e.context(format!("writing {}", path.display())));
        }
        fs_err::rename(&tmp, path)?;
    } else {
        let mut stdout = std::io::stdout().lock();
        write(&mut stdout)?;
        stdout.flush()?;
    }
    Ok(())
}
