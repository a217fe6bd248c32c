//! The two values that make an SBOM document unique: when it was made and its serial number.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

use crate::{Error, Result};

/// Creation time and serial of one document.
///
/// Passed in rather than read inside the writers, so tests render byte-identical documents and
/// a caller could later honour `SOURCE_DATE_EPOCH` without touching the formats.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Creation {
    /// When the document was made.
    pub(crate) timestamp: OffsetDateTime,
    /// Random (v4) UUID: the CycloneDX `serialNumber` and the tail of the SPDX `documentNamespace`.
    pub(crate) serial: Uuid,
}

impl Creation {
    /// The current time and a fresh random serial.
    pub(crate) fn now() -> Self {
        Creation {
            timestamp: OffsetDateTime::now_utc(),
            serial: Uuid::new_v4(),
        }
    }

    /// The time in UTC to the second, `2026-11-26T12:00:00Z`.
    ///
    /// SPDX 2.3 §6.9 requires exactly this shape (`YYYY-MM-DDThh:mm:ssZ`, no fraction, UTC), and
    /// it is also a valid JSON-schema `date-time` for CycloneDX, so both formats share it.
    pub(crate) fn timestamp_rfc3339(&self) -> Result<String> {
        let utc = self.timestamp.to_offset(UtcOffset::UTC);
        let whole_seconds = utc - time::Duration::nanoseconds(i64::from(utc.nanosecond()));
        whole_seconds.format(&Rfc3339).map_err(Error::Timestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_whole_seconds() {
        let ts = OffsetDateTime::from_unix_timestamp_nanos(1_795_000_000_123_456_789)
            .unwrap()
            .to_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
        let creation = Creation {
            timestamp: ts,
            serial: Uuid::nil(),
        };
        assert_eq!(
            creation.timestamp_rfc3339().unwrap(),
            "2026-11-18T11:06:40Z"
        );
    }

    #[test]
    fn serials_are_random_v4() {
        let (a, b) = (Creation::now(), Creation::now());
        assert_ne!(a.serial, b.serial);
        assert_eq!(a.serial.get_version_num(), 4);
    }
}
