//! The official JSON schemas, compiled once per test with every `$ref` resolved locally.

use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

const CYCLONEDX_1_6: &str = include_str!("../../testdata/schemas/bom-1.6.schema.json");
const CYCLONEDX_SPDX_IDS: &str = include_str!("../../testdata/schemas/spdx.schema.json");
const CYCLONEDX_JSF: &str = include_str!("../../testdata/schemas/jsf-0.82.schema.json");
const SPDX_2_3: &str = include_str!("../../testdata/schemas/spdx-2.3.schema.json");
const SARIF_2_1_0: &str = include_str!("../../testdata/schemas/sarif-schema-2.1.0.json");

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("vendored schema is JSON")
}

/// CycloneDX 1.6. Its `$ref`s to `spdx.schema.json` (licence ids) and `jsf-0.82.schema.json`
/// (signatures) resolve against its `$id` to the URIs registered here; `offline` turns any other
/// reference into a build error instead of a download.
pub(crate) fn cyclonedx() -> Validator {
    let registry = Registry::new()
        .add(
            "http://cyclonedx.org/schema/spdx.schema.json",
            parse(CYCLONEDX_SPDX_IDS),
        )
        .and_then(|r| {
            r.add(
                "http://cyclonedx.org/schema/jsf-0.82.schema.json",
                parse(CYCLONEDX_JSF),
            )
        })
        .and_then(jsonschema::RegistryBuilder::prepare)
        .expect("CycloneDX sub-schemas register");
    jsonschema::options()
        .with_draft(Draft::Draft7)
        .should_validate_formats(true)
        .with_registry(&registry)
        .offline()
        .build(&parse(CYCLONEDX_1_6))
        .expect("CycloneDX 1.6 schema compiles")
}

/// SPDX 2.3: one self-contained schema.
pub(crate) fn spdx() -> Validator {
    jsonschema::options()
        .with_draft(Draft::Draft7)
        .should_validate_formats(true)
        .offline()
        .build(&parse(SPDX_2_3))
        .expect("SPDX 2.3 schema compiles")
}

/// SARIF 2.1.0 (OASIS, errata 01): one self-contained schema, written for JSON Schema draft-04
/// (its `$schema`; it still names itself with draft-04's `id`, not `$id`).
pub(crate) fn sarif() -> Validator {
    jsonschema::options()
        .with_draft(Draft::Draft4)
        .should_validate_formats(true)
        .offline()
        .build(&parse(SARIF_2_1_0))
        .expect("SARIF 2.1.0 schema compiles")
}

/// Every violation, one per line with where it is, or empty when `document` is valid.
pub(crate) fn violations(validator: &Validator, document: &Value) -> Vec<String> {
    validator
        .iter_errors(document)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}
