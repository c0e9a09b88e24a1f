//! Field lists of standard logs, for logs written without a header (such as the MACCDC 2012
//! data most tutorials use). The registry is the data file `schemas.txt` beside this module.

use crate::error::{Error, Result};

const REGISTRY: &str = include_str!("schemas.txt");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinSchema {
    pub log_type: &'static str,
    pub version: &'static str,
    pub fields: Vec<&'static str>,
    pub types: Vec<&'static str>,
}

/// Every schema in the registry, in file order.
pub fn builtin_schemas() -> Vec<BuiltinSchema> {
    REGISTRY
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let mut parts = line.splitn(3, '\t');
            let log_type = parts.next()?;
            let version = parts.next()?;
            let (fields, types) = parts
                .next()?
                .split(' ')
                .filter_map(|pair| pair.split_once(':'))
                .unzip();
            Some(BuiltinSchema {
                log_type,
                version,
                fields,
                types,
            })
        })
        .collect()
}

/// The schema of `log_type` with `field_count` fields.
pub fn schema_for(log_type: &str, field_count: usize) -> Result<BuiltinSchema> {
    let candidates: Vec<BuiltinSchema> = builtin_schemas()
        .into_iter()
        .filter(|s| s.log_type == log_type)
        .collect();
    if candidates.is_empty() {
        let mut known: Vec<&str> = builtin_schemas().iter().map(|s| s.log_type).collect();
        known.dedup();
        return Err(Error::header(format!(
            "no built-in field list for log type {log_type:?} (known: {}); pass fields= and types=",
            known.join(", ")
        )));
    }
    let counts: Vec<String> = candidates
        .iter()
        .map(|s| format!("{} has {}", s.version, s.fields.len()))
        .collect();
    candidates
        .into_iter()
        .find(|s| s.fields.len() == field_count)
        .ok_or_else(|| {
            Error::header(format!(
                "a headerless {log_type} log with {field_count} fields matches no built-in field \
             list ({}); pass fields= and types=",
                counts.join(", ")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_well_formed() {
        let schemas = builtin_schemas();
        assert!(schemas.len() >= 5);
        for schema in &schemas {
            assert_eq!(
                schema.fields.len(),
                schema.types.len(),
                "{}",
                schema.version
            );
            // Every log starts with its time, except the list of loaded scripts.
            if schema.log_type != "loaded_scripts" {
                assert_eq!(schema.fields[0], "ts");
                assert_eq!(schema.types[0], "time");
            }
        }
        // Newest first within a log type.
        let conn: Vec<&str> = schemas
            .iter()
            .filter(|s| s.log_type == "conn")
            .map(|s| s.version)
            .collect();
        assert_eq!(conn, ["zeek-7+", "zeek-3..6", "bro-2.x"]);
    }

    #[test]
    fn a_field_count_two_versions_share_picks_the_newest() -> Result<()> {
        assert_eq!(schema_for("notice", 26)?.version, "zeek-6");
        assert_eq!(schema_for("ssl", 19)?.version, "zeek-6");
        assert_eq!(schema_for("ssl", 20)?.version, "bro-2.x");
        Ok(())
    }

    #[test]
    fn picks_by_field_count() -> Result<()> {
        assert_eq!(schema_for("conn", 20)?.version, "bro-2.x");
        assert_eq!(schema_for("conn", 22)?.fields[21], "ip_proto");
        assert_eq!(schema_for("http", 27)?.fields[26], "resp_mime_types");
        assert_eq!(schema_for("http", 30)?.fields[11], "version");
        Ok(())
    }

    #[test]
    fn explains_a_mismatch() {
        match schema_for("conn", 7) {
            Err(err) => assert!(err.message.contains("7 fields"), "{}", err.message),
            Ok(schema) => panic!("7 fields matched {}", schema.version),
        }
        assert!(schema_for("nosuchlog", 3).is_err());
    }
}
