//! Which layers of an image came from its base image.
//!
//! Image configs do not name their base. What they do carry is the build history, base image
//! entries first, and a base image built by a Dockerfile almost always ends with a `CMD` or
//! `ENTRYPOINT` (official images end with `CMD ["bash"]` or `CMD ["/bin/sh"]`). So the last
//! such instruction that is followed by more layers marks where the base ends. Without one, a
//! first layer that unpacks a root file system (`ADD file:… in /`, or the `debian.sh`/rootfs
//! build comments of official images) is taken as a one-layer base. Anything else: unknown, and
//! no layer is marked.

/// One history entry of an image config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryEntry<'a> {
    /// The `created_by` command, if recorded.
    pub created_by: Option<&'a str>,
    /// Whether the entry made no layer (`ENV`, `CMD`, …).
    pub empty_layer: bool,
}

/// How many layers, from the bottom, belong to the base image; 0 when it cannot be told.
/// `layers` is the number of layers in the manifest: a history that does not line up with it
/// is not trusted.
pub fn base_image_layers(history: &[HistoryEntry<'_>], layers: usize) -> usize {
    if history.iter().filter(|h| !h.empty_layer).count() != layers {
        return 0;
    }
    let mut made = 0;
    let mut boundary = None;
    for entry in history {
        if entry.empty_layer {
            if entry.created_by.is_some_and(is_final_instruction) && made > 0 {
                boundary = Some(made);
            }
        } else {
            made += 1;
        }
    }
    // A final instruction after the last layer is the image's own, not a base's.
    match boundary {
        Some(n) if n < layers => n,
        _ => usize::from(
            layers > 1
                && history
                    .iter()
                    .find(|h| !h.empty_layer)
                    .and_then(|h| h.created_by)
                    .is_some_and(is_rootfs),
        ),
    }
}

/// `CMD`/`ENTRYPOINT` in the classic builder's form (`/bin/sh -c #(nop)  CMD ["bash"]`) or
/// `BuildKit`'s (`CMD ["bash"]`).
fn is_final_instruction(created_by: &str) -> bool {
    let command = created_by
        .trim_start()
        .strip_prefix("/bin/sh -c #(nop)")
        .unwrap_or(created_by)
        .trim_start();
    command.starts_with("CMD ") || command.starts_with("ENTRYPOINT ")
}

/// A layer that unpacks a whole root file system.
fn is_rootfs(created_by: &str) -> bool {
    let command = created_by
        .trim_start()
        .strip_prefix("/bin/sh -c #(nop)")
        .unwrap_or(created_by)
        .trim_start();
    (command.starts_with("ADD file:") && command.trim_end().ends_with(" in /"))
        || command.starts_with("# debian.sh")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(cmd: &str) -> HistoryEntry<'_> {
        HistoryEntry {
            created_by: Some(cmd),
            empty_layer: false,
        }
    }

    fn meta(cmd: &str) -> HistoryEntry<'_> {
        HistoryEntry {
            created_by: Some(cmd),
            empty_layer: true,
        }
    }

    #[test]
    fn classic_builder_history_of_an_image_on_debian() {
        let history = [
            layer("/bin/sh -c #(nop) ADD file:5d6b639e8b6bcc011 in / "),
            meta("/bin/sh -c #(nop)  CMD [\"bash\"]"),
            layer("/bin/sh -c apt-get update && apt-get install -y curl"),
            layer("/bin/sh -c #(nop) COPY dir:abc in /app "),
            meta("/bin/sh -c #(nop)  CMD [\"/app/run\"]"),
        ];
        assert_eq!(base_image_layers(&history, 3), 1);
    }

    #[test]
    fn buildkit_history_with_a_multi_layer_base() {
        let history = [
            layer("# debian.sh --arch 'amd64' out/ 'bookworm' '@1700438400'"),
            meta("CMD [\"bash\"]"),
            layer("RUN /bin/sh -c apt-get install -y python3 # buildkit"),
            meta("ENV PYTHONUNBUFFERED=1"),
            meta("CMD [\"python3\"]"),
            layer("COPY requirements.txt . # buildkit"),
            layer("RUN /bin/sh -c pip install -r requirements.txt # buildkit"),
        ];
        // The python base (2 layers) ends at its CMD; the app adds 2.
        assert_eq!(base_image_layers(&history, 4), 2);
    }

    #[test]
    fn own_final_cmd_is_not_a_boundary() {
        let history = [layer("RUN make"), layer("COPY . ."), meta("CMD [\"run\"]")];
        assert_eq!(base_image_layers(&history, 2), 0);
        // A rootfs first layer with nothing else to go on: a one-layer base.
        let history = [
            layer("ADD file:abc in / "),
            layer("RUN x"),
            meta("CMD [\"x\"]"),
        ];
        assert_eq!(base_image_layers(&history, 2), 1);
        // A single-layer image is its own base, nothing to separate.
        assert_eq!(base_image_layers(&[layer("ADD file:abc in / ")], 1), 0);
    }

    #[test]
    fn history_that_does_not_line_up_is_not_trusted() {
        let history = [
            layer("ADD file:abc in / "),
            meta("CMD [\"bash\"]"),
            layer("RUN x"),
        ];
        assert_eq!(base_image_layers(&history, 3), 0);
        assert_eq!(base_image_layers(&[], 2), 0);
    }
}
