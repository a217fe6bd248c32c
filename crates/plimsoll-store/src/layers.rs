use std::collections::HashMap;

use sqlx::QueryBuilder;

use plimsoll_types::{Digest, LayerFacts};

use crate::codec;
use crate::error::Result;
use crate::store::Store;

/// Digests per `IN (…)` list of [`Store::layer_facts_many`]: far below `SQLite`'s limit of bound
/// variables, and a few statement shapes for the statement cache.
const DIGESTS_PER_QUERY: usize = 500;

impl Store {
    /// The cached facts of a layer, if they were computed with the analyzer key `analyzer` (an
    /// opaque string the caller builds from the cataloger versions). Facts stored under another
    /// key are a miss.
    pub async fn layer_facts(&self, digest: &Digest, analyzer: &str) -> Result<Option<LayerFacts>> {
        let blob: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT facts FROM layer_facts WHERE digest = $1 AND analyzer = $2")
                .bind(digest.as_str())
                .bind(analyzer)
                .fetch_optional(&self.pool)
                .await
                .map_err(self.query_err("read layer facts"))?;
        blob.map(|blob| self.decode_facts(digest.as_str(), &blob))
            .transpose()
    }

    /// The cached facts of many layers under one analyzer key, in one query per 500 digests
    /// (warm re-scans). Misses are absent from the map.
    pub async fn layer_facts_many(
        &self,
        digests: &[Digest],
        analyzer: &str,
    ) -> Result<HashMap<Digest, LayerFacts>> {
        let mut found = HashMap::with_capacity(digests.len());
        for chunk in digests.chunks(DIGESTS_PER_QUERY) {
            let mut query =
                QueryBuilder::new("SELECT digest, facts FROM layer_facts WHERE analyzer = ");
            query.push_bind(analyzer).push(" AND digest IN (");
            let mut list = query.separated(", ");
            for digest in chunk {
                list.push_bind(digest.as_str());
            }
            query.push(")");
            let rows: Vec<(String, Vec<u8>)> = query
                .build_query_as()
                .fetch_all(&self.pool)
                .await
                .map_err(self.query_err("read layer facts"))?;
            for (digest, blob) in rows {
                let facts = self.decode_facts(&digest, &blob)?;
                found.insert(facts.digest.clone(), facts);
            }
        }
        Ok(found)
    }

    /// Stores (or replaces) the facts of a layer under the analyzer key `analyzer`.
    pub async fn put_layer_facts(&self, facts: &LayerFacts, analyzer: &str) -> Result<()> {
        let blob = self.encode(facts, || format!("layer facts of {}", facts.digest))?;
        sqlx::query(
            "INSERT INTO layer_facts \
               (digest, analyzer, diff_id, compressed_size, uncompressed_size, stored_at, facts) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (digest, analyzer) DO UPDATE SET \
               diff_id = excluded.diff_id, compressed_size = excluded.compressed_size, \
               uncompressed_size = excluded.uncompressed_size, stored_at = excluded.stored_at, \
               facts = excluded.facts",
        )
        .bind(facts.digest.as_str())
        .bind(analyzer)
        .bind(facts.diff_id.as_str())
        .bind(codec::to_db(facts.compressed_size))
        .bind(codec::to_db(facts.uncompressed_size))
        .bind(codec::now_ms())
        .bind(blob)
        .execute(&self.pool)
        .await
        .map_err(self.query_err("store layer facts"))?;
        Ok(())
    }

    fn decode_facts(&self, digest: &str, blob: &[u8]) -> Result<LayerFacts> {
        let what = || format!("layer facts of {digest}");
        let facts: LayerFacts = self.decode(blob, what)?;
        if facts.digest.as_str() != digest {
            return Err(self.corrupt(what(), format!("they describe layer {}", facts.digest)));
        }
        Ok(facts)
    }
}
