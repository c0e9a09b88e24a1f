//! The demo logs as Zeek's JSON writer would write them (`LogAscii::use_json=T`, with the
//! `_path` key Security Onion and Corelight add): each TSV row turned into one object, the
//! JSON twin of the TSV log, row for row.

use crate::format::escape::unescape;
use crate::format::types::ZeekType;

/// A log's fields as its TSV header names and types them.
pub(crate) struct JsonFields {
    path: String,
    fields: Vec<(String, ZeekType)>,
}

impl JsonFields {
    /// From the TSV header text (`#path`, `#fields` and `#types` lines).
    pub(crate) fn from_header(header: &str) -> JsonFields {
        let value = |marker: &str| -> Vec<String> {
            header
                .lines()
                .find_map(|line| line.strip_prefix(marker))
                .map(|rest| rest.split('\t').skip(1).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let names = value("#fields");
        let types = value("#types");
        JsonFields {
            path: value("#path").into_iter().next().unwrap_or_default(),
            fields: names
                .into_iter()
                .zip(types.iter().map(|t| ZeekType::parse(t)))
                .collect(),
        }
    }

    /// Append the JSON object of every TSV line of `tsv` to `out`.
    pub(crate) fn convert(&self, tsv: &[u8], out: &mut Vec<u8>) {
        for line in tsv.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            out.extend_from_slice(b"{\"_path\":");
            string(self.path.as_bytes(), out);
            for ((name, zeek_type), value) in self.fields.iter().zip(line.split(|&b| b == b'\t')) {
                // Unset fields are left out, as Zeek's JSON writer does.
                if value == b"-" {
                    continue;
                }
                out.push(b',');
                string(name.as_bytes(), out);
                out.push(b':');
                self.value(zeek_type, value, out);
            }
            out.extend_from_slice(b"}\n");
        }
    }

    fn value(&self, zeek_type: &ZeekType, raw: &[u8], out: &mut Vec<u8>) {
        match zeek_type {
            ZeekType::Time
            | ZeekType::Interval
            | ZeekType::Count
            | ZeekType::Int
            | ZeekType::Port
            | ZeekType::Double => out.extend_from_slice(raw),
            ZeekType::Bool => out.extend_from_slice(if raw == b"T" { b"true" } else { b"false" }),
            ZeekType::Enum | ZeekType::String if raw == b"(empty)" => string(b"", out),
            ZeekType::Enum | ZeekType::String => string(&unescape(raw), out),
            ZeekType::List(element) => {
                out.push(b'[');
                if raw != b"(empty)" {
                    for (i, item) in raw.split(|&b| b == b',').enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        self.value(element, item, out);
                    }
                }
                out.push(b']');
            }
        }
    }
}

/// A JSON string literal of `text`.
fn string(text: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &byte in text {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            // Zeek writes other bytes it cannot print as the text \xHH.
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\\\x{byte:02x}").as_bytes()),
            _ => out.push(byte),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_objects_without_unset_fields() {
        let header = "#separator \\x09\n#path\thttp\n#fields\tts\tid.resp_p\turi\tok\ttags\tmime\n\
                      #types\ttime\tport\tstring\tbool\tset[enum]\tvector[string]\n";
        let fields = JsonFields::from_header(header);
        let mut out = Vec::new();
        fields.convert(b"1.5\t81\t/a#\"b\"\tT\t(empty)\t-\n", &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "{\"_path\":\"http\",\"ts\":1.5,\"id.resp_p\":81,\"uri\":\"/a#\\\"b\\\"\",\
             \"ok\":true,\"tags\":[]}\n"
        );
    }
}
