//! Load errors with their position, rendered hurl-style with the offending line and a caret.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem in a scenario, fragment or target file, found before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: PathBuf,
    /// 1-based; 0 when unknown.
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The offending source line, for the caret display.
    pub source_line: Option<String>,
    /// How many characters the caret underlines.
    pub width: usize,
}

impl InputError {
    pub fn new(file: &Path, message: impl Into<String>) -> InputError {
        InputError {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
            source_line: None,
            width: 1,
        }
    }

    /// Places the error at `line:column` of `text`, underlining the token there.
    pub fn at(mut self, text: &str, line: usize, column: usize) -> InputError {
        self.line = line;
        self.column = column;
        if let Some(src) = text.lines().nth(line.saturating_sub(1)) {
            let rest: String = src.chars().skip(column.saturating_sub(1)).collect();
            self.width = rest.trim_end().chars().take_while(|c| !c.is_whitespace()).count().max(1);
            self.source_line = Some(src.to_string());
        }
        self
    }

    /// Places the error at the first occurrence of `needle` in `text` (for problems found
    /// after parsing, such as an undefined variable), searching from line `from` on.
    pub fn find(self, text: &str, needle: &str, from: usize) -> InputError {
        for (i, line) in text.lines().enumerate().skip(from.saturating_sub(1)) {
            if let Some(col) = line.find(needle) {
                let column = line[..col].chars().count() + 1;
                let mut e = self.at(text, i + 1, column);
                e.width = needle.chars().count().max(1);
                return e;
            }
        }
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        if self.line == 0 {
            return write!(f, "  --> {}", self.file.display());
        }
        writeln!(f, "  --> {}:{}:{}", self.file.display(), self.line, self.column)?;
        if let Some(src) = &self.source_line {
            let num = self.line.to_string();
            let pad = " ".repeat(num.len());
            writeln!(f, "{pad} |")?;
            writeln!(f, "{num} | {src}")?;
            write!(f, "{pad} | {}{}", " ".repeat(self.column.saturating_sub(1)), "^".repeat(self.width))?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// Every problem found in a set of files (loading goes on to report them all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

/// Converts a serde_yaml error into a positioned load error.
pub fn from_yaml(file: &Path, text: &str, e: &serde_yaml::Error) -> InputError {
    let mut message = e.to_string();
    // serde_yaml appends " at line L column C"; the position is shown separately.
    if let Some(i) = message.rfind(" at line ") {
        message.truncate(i);
    }
    // A value error is reported at its key; point at the quoted offending value instead
    // when it is on that line.
    let quoted = message.split('\'').nth(1).filter(|q| !q.is_empty()).map(str::to_string);
    let err = InputError::new(file, message);
    match e.location() {
        Some(l) => {
            // Buffered values (internally tagged enums) lose their position: look for the
            // quoted value from the reported line on, then anywhere.
            match quoted.filter(|q| text.contains(q.as_str())) {
                Some(q) if text.lines().skip(l.line().saturating_sub(1)).any(|x| x.contains(q.as_str())) => {
                    err.find(text, &q, l.line())
                }
                Some(q) => err.find(text, &q, 1),
                None => err.at(text, l.line(), l.column()),
            }
        }
        None => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_line_and_a_caret_under_the_token() {
        let text = "id: X\nsteps:\n  - call: transfer.withdrw\n";
        let e =
            InputError::new(Path::new("s.yaml"), "unknown API 'transfer.withdrw'").find(text, "transfer.withdrw", 1);
        assert_eq!(
            e.to_string(),
            "error: unknown API 'transfer.withdrw'\n  --> s.yaml:3:11\n  |\n3 |   - call: transfer.withdrw\n  |           ^^^^^^^^^^^^^^^^"
        );
    }
}
