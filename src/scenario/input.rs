//! Reading input files (scenarios, fragments, profiles, targets, client scenarios) without
//! trusting them: only regular files, at most [`MAX_INPUT_BYTES`], UTF-8 text, a bounded
//! nesting depth checked before the YAML parser sees the text, one document whose top level
//! is a mapping. The content of a file that is not YAML is never echoed in an error.

use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;

use super::error::{InputError, from_yaml};

/// Largest input file read.
pub const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;

/// Deepest nesting of mappings and sequences accepted (scenarios need about ten).
pub const MAX_NESTING: usize = 64;

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() { "a directory" } else { "not a regular file" }
}

/// Reads a text input file: a regular file of at most [`MAX_INPUT_BYTES`] in UTF-8.
pub fn read_text(path: &Path) -> Result<String, InputError> {
    read_text_limited(path, MAX_INPUT_BYTES)
}

/// Largest saved run read back (`--baseline`, `obharness report`).
pub const MAX_RUN_JSON_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a text file: a regular file of at most `limit` bytes in UTF-8.
pub fn read_text_limited(path: &Path, limit: u64) -> Result<String, InputError> {
    let cannot = |why: String| InputError::new(path, format!("cannot read: {why}"));
    // Looked at before opening: opening a FIFO for reading blocks until a writer comes.
    let meta = std::fs::metadata(path).map_err(|e| cannot(e.to_string()))?;
    if !meta.is_file() {
        return Err(cannot(format!("{} (only regular files are read)", file_kind(&meta))));
    }
    let too_big = || cannot(format!("larger than {} MiB", limit / (1024 * 1024)));
    if meta.len() > limit {
        return Err(too_big());
    }
    let file = std::fs::File::open(path).map_err(|e| cannot(e.to_string()))?;
    // What was opened may not be what was looked at: check again, and read a bounded amount.
    let meta = file.metadata().map_err(|e| cannot(e.to_string()))?;
    if !meta.is_file() {
        return Err(cannot(format!("{} (only regular files are read)", file_kind(&meta))));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| cannot(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let valid = std::str::from_utf8(valid).unwrap_or("");
        let line = valid.matches('\n').count() + 1;
        let column = valid.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
        let mut err = InputError::new(path, "not UTF-8 text: save the file as UTF-8");
        err.line = line;
        err.column = column;
        err
    })
}

/// Whether errors may quote the file's lines: only for files named as YAML (or JSON).
fn is_yaml_name(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
}

/// An error about a file not named as YAML keeps its position but neither its source line
/// nor a message that could quote the content (`include: /etc/shadow`).
fn quiet(path: &Path, what: &str, mut e: InputError) -> InputError {
    if !is_yaml_name(path) {
        e.source_line = None;
        e.message = format!("not a valid {what} (content not shown: the file is not named *.yaml, *.yml or *.json)");
    }
    e
}

/// Reads and parses one YAML input file as `T` (`what` names the format for messages).
pub fn load_yaml<T: DeserializeOwned>(path: &Path, what: &str) -> Result<(String, T), InputError> {
    let text = read_text(path)?;
    let value = parse_yaml(path, &text, what)?;
    Ok((text, value))
}

/// Parses YAML text as `T`: nesting bounded first, one document, a mapping at the top.
pub fn parse_yaml<T: DeserializeOwned>(path: &Path, text: &str, what: &str) -> Result<T, InputError> {
    if let Some((line, column)) = too_deep(text) {
        let mut e = InputError::new(path, format!("nested more than {MAX_NESTING} levels deep"));
        e.line = line;
        e.column = column;
        return Err(e);
    }
    if let Some(line) = second_document(text) {
        let e = InputError::new(path, format!("a second YAML document: a {what} file holds one document"));
        return Err(quiet(path, what, e.at(text, line, 1)));
    }
    match serde_yaml::from_str::<serde_yaml::Value>(text) {
        Ok(serde_yaml::Value::Mapping(_)) => {}
        Ok(serde_yaml::Value::Null) => {
            return Err(InputError::new(path, format!("the file is empty: expected a {what}")));
        }
        Ok(_) => {
            // Whatever this file is, its content stays out of the message.
            let mut e = InputError::new(path, format!("not a YAML mapping: expected a {what}"));
            e.line = 1;
            e.column = 1;
            return Err(e);
        }
        Err(e) => {
            return Err(quiet(path, what, from_yaml(path, text, &e)));
        }
    }
    serde_yaml::from_str::<T>(text).map_err(|e| quiet(path, what, from_yaml(path, text, &e)))
}

/// The line where a second YAML document starts, if any.
fn second_document(text: &str) -> Option<usize> {
    let mut started = false;
    for (i, line) in text.lines().enumerate() {
        let marker = line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace);
        if marker {
            if started {
                return Some(i + 1);
            }
            started = true;
        } else if line.starts_with("...") && line[3..].chars().next().is_none_or(char::is_whitespace) {
            started = true;
        } else {
            let t = line.trim();
            if !t.is_empty() && !t.starts_with('#') && !line.starts_with('%') {
                started = true;
            }
        }
    }
    None
}

/// A cheap scan for nesting beyond [`MAX_NESTING`] (flow brackets, block indentation and
/// compact `- - -` sequences), before the parser spends time on it: the (line, column)
/// where the limit is passed.
pub fn too_deep(text: &str) -> Option<(usize, usize)> {
    let mut flow = 0usize;
    let mut indents: Vec<usize> = Vec::new();
    let mut quote: Option<char> = None;
    for (i, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut j = 0;
        if flow == 0 && quote.is_none() {
            let indent = chars.iter().take_while(|c| **c == ' ').count();
            let rest = &chars[indent..];
            if !rest.is_empty() && rest[0] != '#' {
                while indents.last().is_some_and(|&top| top >= indent) {
                    indents.pop();
                }
                indents.push(indent);
                // Compact nesting on one line: `- - - x`, `- a: - b`.
                let mut compact = 0;
                let mut k = indent;
                while k < chars.len() {
                    if (chars[k] == '-' || chars[k] == '?') && chars.get(k + 1).is_none_or(|c| *c == ' ') {
                        compact += 1;
                        k += 2;
                        while chars.get(k) == Some(&' ') {
                            k += 1;
                        }
                    } else {
                        break;
                    }
                }
                if indents.len() + compact > MAX_NESTING {
                    return Some((i + 1, k.min(chars.len()) + 1));
                }
                j = k;
            }
        }
        while j < chars.len() {
            let c = chars[j];
            match quote {
                Some('"') => {
                    if c == '\\' {
                        j += 1;
                    } else if c == '"' {
                        quote = None;
                    }
                }
                Some(_) => {
                    if c == '\'' {
                        quote = None;
                    }
                }
                None => {
                    let after_space = j == 0 || matches!(chars[j - 1], ' ' | '\t' | '[' | '{' | ',' | ':');
                    match c {
                        '#' if j == 0 || matches!(chars[j - 1], ' ' | '\t') => break,
                        '"' | '\'' if after_space => quote = Some(c),
                        '[' | '{' => {
                            flow += 1;
                            if flow + indents.len() > MAX_NESTING {
                                return Some((i + 1, j + 1));
                            }
                        }
                        ']' | '}' => flow = flow.saturating_sub(1),
                        _ => {}
                    }
                }
            }
            j += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_measured_before_parsing() {
        assert_eq!(too_deep("a: { b: [1, 2], c: \"[[[[\" }\n"), None);
        let deep = format!("key: {}{}\n", "[".repeat(100), "]".repeat(100));
        assert_eq!(too_deep(&deep), Some((1, 6 + MAX_NESTING - 1)));
        let dashes = format!("{}x\n", "- ".repeat(100));
        assert!(too_deep(&dashes).is_some());
        let mut indented = String::new();
        for d in 0..100 {
            indented.push_str(&format!("{}k{d}:\n", " ".repeat(d)));
        }
        assert!(too_deep(&indented).is_some());
        assert_eq!(too_deep("title: don't [stop]\nx: '[['  # [[[\n"), None);
    }

    #[test]
    fn an_alias_bomb_is_refused_quickly() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(", ")));
        }
        text.push_str("steps: *a9\n");
        let started = std::time::Instant::now();
        let r = parse_yaml::<serde_yaml::Value>(Path::new("bomb.yaml"), &text, "scenario");
        assert!(r.is_err(), "expanded: {:?}", r.map(|_| ()));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn a_second_document_is_found_on_its_line() {
        assert_eq!(second_document("a: 1\n---\nb: 2\n"), Some(2));
        assert_eq!(second_document("---\na: 1\n--- \nb: 2\n"), Some(3));
        assert_eq!(second_document("# c\n---\na: 1\n"), None);
    }
}
