//! Tags set on image repositories (`{name}:set-tags`, `:unset-tags`, `:get-tags`): each names a
//! tag object by database, schema and name (defaulting to the repository's) and gives it a value.

use serde::{Deserialize, Serialize};

use super::ident::resolve;
use super::{At, Kind, Result, SnowflakeError, SnowflakeState, missing};

/// Tags per repository.
pub const MAX_TAGS: usize = 50;
/// Longest tag value.
pub const MAX_VALUE: usize = 256;

/// One tag on a repository, with resolved identifiers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoTag {
    pub tag_database: String,
    pub tag_schema: String,
    pub tag_name: String,
    pub tag_value: String,
}

/// A tag as a request names it (identifiers as written).
#[derive(Debug, Clone, Default)]
pub struct TagRef {
    pub database: Option<String>,
    pub schema: Option<String>,
    pub name: String,
}

impl TagRef {
    /// `(database, schema, name)` resolved, with the repository's database and schema as
    /// defaults.
    fn resolve(&self, db: &str, schema: &str) -> Result<(String, String, String)> {
        let part = |raw: &Option<String>, default: &str| match raw {
            Some(r) => resolve(r).map(|i| i.name),
            None => Ok(default.to_owned()),
        };
        Ok((part(&self.database, db)?, part(&self.schema, schema)?, resolve(&self.name)?.name))
    }
}

impl SnowflakeState {
    /// Sets (or changes the value of) each tag; all or nothing.
    pub fn set_tags(
        &mut self,
        account: &str,
        (db, schema): At<'_>,
        repo: &str,
        if_exists: bool,
        tags: &[(TagRef, String)],
    ) -> Result<()> {
        let (db_name, schema_name) = (resolve(db)?.name, resolve(schema)?.name);
        let mut resolved = Vec::new();
        for (r, value) in tags {
            if value.chars().count() > MAX_VALUE {
                return Err(SnowflakeError::TagValueTooLong);
            }
            resolved.push((r.resolve(&db_name, &schema_name)?, value.clone()));
        }
        let Some(r) = self.repository_mut(account, (db, schema), repo)? else {
            return if if_exists { Ok(()) } else { Err(missing(Kind::ImageRepository, repo)) };
        };
        let mut next = r.tags.clone();
        for ((d, sch, n), value) in resolved {
            match next
                .iter_mut()
                .find(|t| (&t.tag_database, &t.tag_schema, &t.tag_name) == (&d, &sch, &n))
            {
                Some(t) => t.tag_value = value,
                None => next.push(RepoTag {
                    tag_database: d,
                    tag_schema: sch,
                    tag_name: n,
                    tag_value: value,
                }),
            }
        }
        if next.len() > MAX_TAGS {
            return Err(SnowflakeError::TooManyTags);
        }
        next.sort();
        r.tags = next;
        Ok(())
    }

    /// Removes each named tag (a tag that is not set is no error).
    pub fn unset_tags(
        &mut self,
        account: &str,
        (db, schema): At<'_>,
        repo: &str,
        if_exists: bool,
        refs: &[TagRef],
    ) -> Result<()> {
        let (db_name, schema_name) = (resolve(db)?.name, resolve(schema)?.name);
        let gone =
            refs.iter().map(|r| r.resolve(&db_name, &schema_name)).collect::<Result<Vec<_>>>()?;
        let Some(r) = self.repository_mut(account, (db, schema), repo)? else {
            return if if_exists { Ok(()) } else { Err(missing(Kind::ImageRepository, repo)) };
        };
        r.tags.retain(|t| {
            !gone
                .iter()
                .any(|(d, sch, n)| (&t.tag_database, &t.tag_schema, &t.tag_name) == (d, sch, n))
        });
        Ok(())
    }

    /// The repository's tags, sorted.
    pub fn get_tags(
        &self,
        account: &str,
        (db, schema): At<'_>,
        repo: &str,
    ) -> Result<Vec<RepoTag>> {
        Ok(self.fetch_image_repository(account, (db, schema), repo)?.item.tags)
    }
}
