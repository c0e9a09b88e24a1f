//! Recognising a line's keys without scanning or hashing them. Zeek writes a log's keys in
//! one order and leaves unset fields out, so the key after a given key is nearly always one
//! of the few seen after it before. Each key remembers those successors, and the next key is
//! found by comparing the line against them, 16 bytes at a time.

use std::collections::HashMap;

/// How many successors a key remembers: enough for the optional fields Zeek leaves out.
const SUCCESSORS: usize = 4;
const NONE: u32 = u32::MAX;

/// A key as it appears in the line, quotes included, ready for a 16-byte compare (two
/// 8-byte halves, masked to the key's length).
struct Pattern {
    head: [u64; 2],
    mask: [u64; 2],
    quoted: Box<[u8]>,
}

impl Pattern {
    fn new(quoted: &[u8]) -> Pattern {
        let mut head = [0u8; 16];
        let n = quoted.len().min(16);
        head[..n].copy_from_slice(&quoted[..n]);
        let mut mask = [0u8; 16];
        mask[..n].fill(0xff);
        let half = |bytes: &[u8; 16], at: usize| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(word)
        };
        Pattern {
            head: [half(&head, 0), half(&head, 8)],
            mask: [half(&mask, 0), half(&mask, 8)],
            quoted: quoted.into(),
        }
    }

    #[inline(always)]
    fn matches(&self, line: &[u8], at: usize) -> bool {
        match line.get(at..at + 16) {
            Some(bytes) => {
                let mut low = [0u8; 8];
                let mut high = [0u8; 8];
                low.copy_from_slice(&bytes[..8]);
                high.copy_from_slice(&bytes[8..]);
                (u64::from_le_bytes(low) & self.mask[0]) == self.head[0]
                    && (u64::from_le_bytes(high) & self.mask[1]) == self.head[1]
                    && (self.quoted.len() <= 16 || line[at + 16..].starts_with(&self.quoted[16..]))
            }
            None => line[at..].starts_with(&self.quoted),
        }
    }
}

struct Key<T> {
    pattern: Pattern,
    value: T,
    successors: [u32; SUCCESSORS],
}

/// The keys of a chunk, each with what the parser attaches to it (`T`, its column).
pub struct Keys<T> {
    keys: Vec<Key<T>>,
    by_text: HashMap<Box<[u8]>, u32>,
    first: [u32; SUCCESSORS],
}

/// Where the parser is in a line: at its first key, or after a known key.
#[derive(Debug, Clone, Copy)]
pub struct After(u32);

impl After {
    pub const START: After = After(NONE);
}

impl<T: Copy> Keys<T> {
    pub fn new() -> Self {
        Keys {
            keys: Vec::new(),
            by_text: HashMap::new(),
            first: [NONE; SUCCESSORS],
        }
    }

    fn successors(&self, after: After) -> &[u32; SUCCESSORS] {
        match after.0 {
            NONE => &self.first,
            key => &self.keys[key as usize].successors,
        }
    }

    /// The key that follows `after` if the line at `at` continues with one it was followed
    /// by before: its value, where it is and how long it is with its quotes.
    #[inline(always)]
    pub fn predict(&self, after: After, line: &[u8], at: usize) -> Option<(T, After, usize)> {
        for &key in self.successors(after) {
            if key == NONE {
                return None;
            }
            let entry = &self.keys[key as usize];
            if entry.pattern.matches(line, at) {
                return Some((entry.value, After(key), entry.pattern.quoted.len()));
            }
        }
        None
    }

    /// The value of a key seen before (`quoted` is its text with the quotes).
    pub fn get(&self, quoted: &[u8]) -> Option<T> {
        self.by_text
            .get(quoted)
            .map(|&key| self.keys[key as usize].value)
    }

    /// A key found by scanning becomes a successor of `after`; `value` is attached to it if
    /// it is new (else the value it has is kept).
    pub fn learn(&mut self, after: After, quoted: &[u8], value: T) -> After {
        let key = match self.by_text.get(quoted) {
            Some(&key) => key,
            None => {
                self.keys.push(Key {
                    pattern: Pattern::new(quoted),
                    value,
                    successors: [NONE; SUCCESSORS],
                });
                let key = (self.keys.len() - 1) as u32;
                self.by_text.insert(quoted.into(), key);
                key
            }
        };
        let successors = match after.0 {
            NONE => &mut self.first,
            before => &mut self.keys[before as usize].successors,
        };
        if !successors.contains(&key) {
            successors.rotate_right(1);
            successors[0] = key;
        }
        After(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_keys_of_every_length_anywhere_in_a_line() {
        for len in 0..40 {
            let key: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let quoted = [&b"\""[..], &key, b"\""].concat();
            let pattern = Pattern::new(&quoted);
            for tail in [&b""[..], b":1", b":1234567890123456789012345"] {
                let line = [&quoted[..], tail].concat();
                assert!(pattern.matches(&line, 0), "len {len} tail {tail:?}");
                let shifted = [&b"{ "[..], &line].concat();
                assert!(pattern.matches(&shifted, 2));
                let mut other = line.clone();
                let last = quoted.len() - 2;
                if len > 0 {
                    other[last] = b'#';
                    assert!(!pattern.matches(&other, 0), "len {len} differs at its end");
                }
                assert!(!pattern.matches(&line[..quoted.len() - 1], 0));
            }
        }
    }

    #[test]
    fn successors_are_learnt_per_key() {
        let mut keys: Keys<usize> = Keys::new();
        let line = br#""a":1,"b":2,"c":3"#;
        assert!(keys.predict(After::START, line, 0).is_none());
        let after_a = keys.learn(After::START, br#""a""#, 10);
        assert_eq!(keys.get(br#""a""#), Some(10));
        keys.learn(after_a, br#""b""#, 11);
        let (value, _, len) = keys
            .predict(After::START, line, 0)
            .expect("a after the start");
        assert_eq!((value, len), (10, 3));
        assert_eq!(keys.predict(after_a, line, 6).map(|p| p.0), Some(11));
        // "c" was never seen after "a": the caller scans it.
        assert!(keys.predict(after_a, line, 12).is_none());
        keys.learn(after_a, br#""c""#, 12);
        assert_eq!(keys.predict(after_a, line, 12).map(|p| p.0), Some(12));
        assert_eq!(keys.predict(after_a, line, 6).map(|p| p.0), Some(11));
        // A known key keeps its value.
        keys.learn(After::START, br#""a""#, 99);
        assert_eq!(keys.get(br#""a""#), Some(10));
    }
}
