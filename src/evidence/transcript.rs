//! The transcript of a bundle (`transcript.jsonl`): the records of `target::record` (every
//! exchange with the target and the simulator's journal), one JSON object per line, each
//! holding its position and the hash of the line before it, so that removing, adding,
//! reordering or editing an entry breaks the chain at that place.

use serde_json::Value;

/// The hash chain of a transcript: one JSON object per line, each holding its position
/// (`seq`, from 1) and the SHA-256 of the line before it (`prev`; 64 zeros for the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// `transcript.jsonl`: the lines, each ending in `\n`.
    pub text: String,
    pub entries: usize,
    /// SHA-256 (hex) of the last line (64 zeros when empty).
    pub head: String,
}

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Default)]
struct ChainBuilder {
    text: String,
    entries: usize,
    prev: Option<String>,
}

impl ChainBuilder {
    /// Appends `body` (a JSON object) as a line that starts with its `seq` and `prev`.
    fn push(&mut self, body: Value) {
        let rest = match &body {
            Value::Object(m) if !m.is_empty() => body.to_string(),
            _ => "{}".to_string(),
        };
        let head = format!("{{\"seq\":{},\"prev\":\"{}\"", self.entries + 1, self.prev.as_deref().unwrap_or(GENESIS));
        let line = if rest == "{}" { format!("{head}}}") } else { format!("{head},{}", &rest[1..]) };
        self.prev = Some(super::sha256_hex(line.as_bytes()));
        self.text.push_str(&line);
        self.text.push('\n');
        self.entries += 1;
    }

    fn finish(self) -> Chain {
        Chain { text: self.text, entries: self.entries, head: self.prev.unwrap_or_else(|| GENESIS.to_string()) }
    }
}

/// Builds a chain of `bodies` (JSON objects), for tests and tools.
pub fn chain_of(bodies: impl IntoIterator<Item = Value>) -> Chain {
    let mut b = ChainBuilder::default();
    for body in bodies {
        b.push(body);
    }
    b.finish()
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The entry (1-based line) found broken.
    pub entry: usize,
    pub why: String,
}

/// Checks a transcript's chain: each line a JSON object with `seq` = its position and `prev` =
/// the hash of the line before, the last line hashing to `head`. Returns the number of entries.
pub fn check_chain(text: &str, head: &str) -> Result<usize, ChainBreak> {
    let mut prev = GENESIS.to_string();
    let mut n = 0;
    if !text.is_empty() && !text.ends_with('\n') {
        let last = text.lines().count();
        return Err(ChainBreak { entry: last, why: "the last entry is cut short (no line end)".into() });
    }
    for (i, line) in text.lines().enumerate() {
        let entry = i + 1;
        let v: Value = serde_json::from_str(line)
            .map_err(|e| ChainBreak { entry, why: format!("not a JSON object ({e}): the entry was changed") })?;
        if v["seq"].as_u64() != Some(entry as u64) {
            return Err(ChainBreak {
                entry,
                why: format!(
                    "holds seq {} at position {entry}: entries were removed, added or reordered",
                    v["seq"].as_u64().map_or("(none)".to_string(), |s| s.to_string())
                ),
            });
        }
        if v["prev"].as_str() != Some(prev.as_str()) {
            return Err(ChainBreak {
                entry,
                why: format!(
                    "its prev hash does not match entry {}: entry {} was changed, or entries were removed or reordered",
                    entry - 1,
                    entry - 1
                ),
            });
        }
        prev = super::sha256_hex(line.as_bytes());
        n = entry;
    }
    if prev != head {
        return Err(ChainBreak {
            entry: n,
            why: if n == 0 {
                "the transcript is empty but the manifest's chain head is not: entries were removed".into()
            } else {
                format!(
                    "entry {n} does not hash to the manifest's chain head: it was changed, or entries after it were removed"
                )
            },
        });
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Chain {
        chain_of((1..=4).map(|i| json!({ "kind": "exchange", "n": i })))
    }

    #[test]
    fn a_chain_checks_and_any_edit_names_the_entry() {
        let c = sample();
        assert_eq!(check_chain(&c.text, &c.head), Ok(4));
        let lines: Vec<&str> = c.text.lines().collect();
        let join = |ls: &[&str]| ls.iter().map(|l| format!("{l}\n")).collect::<String>();

        let removed = join(&[lines[0], lines[2], lines[3]]);
        let e = check_chain(&removed, &c.head).unwrap_err();
        assert_eq!(e.entry, 2, "{e:?}");
        assert!(e.why.contains("removed"), "{e:?}");

        let swapped = join(&[lines[0], lines[2], lines[1], lines[3]]);
        assert_eq!(check_chain(&swapped, &c.head).unwrap_err().entry, 2);

        let edited = c.text.replacen("\"n\":2", "\"n\":9", 1);
        let e = check_chain(&edited, &c.head).unwrap_err();
        assert_eq!(e.entry, 3, "the entry after the edited one notices: {e:?}");
        assert!(e.why.contains("entry 2 was changed"), "{e:?}");

        let last_edited = c.text.replacen("\"n\":4", "\"n\":9", 1);
        assert_eq!(check_chain(&last_edited, &c.head).unwrap_err().entry, 4);

        let truncated = join(&lines[..3]);
        let e = check_chain(&truncated, &c.head).unwrap_err();
        assert_eq!(e.entry, 3);
        assert!(e.why.contains("chain head"), "{e:?}");

        // Renumbered after a removal: the prev hash still gives it away.
        let renumbered = join(&[lines[0], &lines[2].replacen("\"seq\":3", "\"seq\":2", 1), lines[3]]);
        assert_eq!(check_chain(&renumbered, &c.head).unwrap_err().entry, 2);
    }

    #[test]
    fn an_empty_transcript_has_the_genesis_head() {
        let c = chain_of(Vec::new());
        assert_eq!((c.entries, c.head.as_str(), c.text.as_str()), (0, GENESIS, ""));
        assert_eq!(check_chain("", GENESIS), Ok(0));
        assert!(check_chain("", &sample().head).is_err());
    }
}
