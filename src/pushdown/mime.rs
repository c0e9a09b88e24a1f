//! Classifying responses by MIME type while parsing: `resp_mime_types` (a vector) maps to the
//! first category, in the mapping's order, that any of its types belongs to.

use arrow_array::cast::AsArray;
use arrow_array::types::UInt32Type;
use arrow_array::{Array, ArrayRef, DictionaryArray, StringArray, UInt32Array};
use arrow_schema::DataType;
use std::collections::HashMap;
use std::sync::Arc;

/// The derived column's name, and the field it is computed from.
pub const MIME_CATEGORY: &str = "mime_category";
pub const MIME_SOURCE: &str = "resp_mime_types";

#[derive(Debug, Clone, PartialEq)]
pub struct MimeCategories {
    names: Vec<String>,
    /// Each MIME type's first category.
    category_of: HashMap<String, u32>,
}

impl MimeCategories {
    /// `mapping`: category name and its MIME types, in priority order.
    pub fn new(mapping: Vec<(String, Vec<String>)>) -> MimeCategories {
        let mut category_of = HashMap::new();
        let mut names = Vec::with_capacity(mapping.len());
        for (index, (name, types)) in mapping.into_iter().enumerate() {
            for mime_type in types {
                category_of.entry(mime_type).or_insert(index as u32);
            }
            names.push(name);
        }
        MimeCategories { names, category_of }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The arrow type of the derived column: a dictionary whose values are the category
    /// names, the same in every batch (Python casts it to a Polars Enum).
    pub fn data_type() -> DataType {
        DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8))
    }

    pub fn category(&self, types: impl Iterator<Item = Option<impl AsRef<str>>>) -> Option<u32> {
        types
            .flatten()
            .filter_map(|t| self.category_of.get(t.as_ref()).copied())
            .min()
    }

    /// Classify every row of `source` (the parsed `resp_mime_types`: a list of strings, a
    /// single string, or `None` when the log has no such field).
    pub fn classify(&self, source: Option<&ArrayRef>, rows: usize) -> ArrayRef {
        let keys: UInt32Array = match source.map(|a| (a, a.data_type())) {
            Some((array, DataType::List(_))) => {
                let lists = array.as_list::<i32>();
                (0..rows)
                    .map(|row| {
                        if lists.is_null(row) {
                            return None;
                        }
                        let values = lists.value(row);
                        match values.data_type() {
                            DataType::Utf8View => self.category(values.as_string_view().iter()),
                            _ => None,
                        }
                    })
                    .collect()
            }
            Some((array, DataType::Utf8View)) => {
                let strings = array.as_string_view();
                (0..rows)
                    .map(|row| {
                        self.category(std::iter::once(
                            strings.is_valid(row).then(|| strings.value(row)),
                        ))
                    })
                    .collect()
            }
            _ => (0..rows).map(|_| None).collect(),
        };
        let values = Arc::new(StringArray::from_iter_values(&self.names));
        // Every key is an index of `names` (categories come from the mapping's positions).
        Arc::new(DictionaryArray::<UInt32Type>::new(keys, values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{ListBuilder, StringViewBuilder};

    fn report() -> MimeCategories {
        MimeCategories::new(vec![
            (
                "exploit".into(),
                vec!["application/pdf".into(), "application/zip".into()],
            ),
            (
                "executable".into(),
                vec!["application/x-dosexec".into(), "application/zip".into()],
            ),
        ])
    }

    #[test]
    fn first_category_in_mapping_order_wins() {
        let mut lists = ListBuilder::new(StringViewBuilder::new());
        for row in [
            vec![Some("text/html")],
            vec![Some("application/x-dosexec"), Some("application/pdf")],
            vec![Some("application/x-dosexec")],
            vec![],
            vec![None, Some("application/zip")],
        ] {
            for value in row {
                lists.values().append_option(value);
            }
            lists.append(true);
        }
        lists.append(false);
        let source: ArrayRef = Arc::new(lists.finish());
        let column = report().classify(Some(&source), 6);
        let column = column.as_dictionary::<UInt32Type>();
        let keys: Vec<Option<u32>> = column.keys().iter().collect();
        assert_eq!(keys, [None, Some(0), Some(1), None, Some(0), None]);
        assert_eq!(column.values().as_string::<i32>().value(1), "executable");
    }

    #[test]
    fn a_log_without_the_field_has_no_categories() {
        let column = report().classify(None, 3);
        assert_eq!(column.null_count(), 3);
    }
}
