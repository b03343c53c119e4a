//! A Dockerfile as Docker reads it: parser directives (`# escape=`), logical lines joined at
//! the escape character (comments and blank lines inside a continuation dropped), BuildKit
//! heredocs (`RUN <<EOF` … `EOF`, the body part of the instruction, never read as
//! instructions), `ONBUILD` instructions, and the stages `FROM` starts.

use std::collections::{HashMap, HashSet};

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Its first physical line, 1-based.
    pub line: u32,
    /// The keyword, upper case (`RUN`); for `ONBUILD RUN …`, `RUN`, with [`Self::onbuild`].
    pub keyword: String,
    /// What follows the keyword, continuations joined, heredoc bodies appended after a
    /// newline.
    pub args: String,
    /// It is the instruction of an `ONBUILD`.
    pub onbuild: bool,
}

/// One stage: its `FROM` and what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// The `FROM` line.
    pub line: u32,
    /// The image it starts from (`rust:1.88`, an earlier stage's name, `scratch`).
    pub base: String,
    /// `AS name`, lower case.
    pub alias: Option<String>,
    /// Its instructions after `FROM`.
    pub instructions: Vec<Instruction>,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    /// Instructions before the first `FROM` (`ARG`).
    pub preamble: Vec<Instruction>,
    /// The stages, in order.
    pub stages: Vec<Stage>,
}

impl Dockerfile {
    /// Parses `text`.
    pub fn parse(text: &str) -> Self {
        let mut out = Dockerfile::default();
        for instruction in instructions(text) {
            if instruction.keyword == "FROM" && !instruction.onbuild {
                let words: Vec<&str> = instruction.args.split_whitespace().collect();
                let base = words
                    .iter()
                    .find(|w| !w.starts_with("--"))
                    .map(|w| (*w).to_string())
                    .unwrap_or_default();
                let alias = words
                    .iter()
                    .position(|w| w.eq_ignore_ascii_case("AS"))
                    .and_then(|at| words.get(at + 1))
                    .map(|a| a.to_ascii_lowercase());
                out.stages.push(Stage {
                    line: instruction.line,
                    base,
                    alias,
                    instructions: Vec::new(),
                });
            } else if let Some(stage) = out.stages.last_mut() {
                stage.instructions.push(instruction);
            } else {
                out.preamble.push(instruction);
            }
        }
        out
    }

    /// The index of the stage named `name` defined before stage `before`.
    fn stage_named(
        &self,
        name: &str,
        before: usize,
        index: &HashMap<&str, usize>,
    ) -> Option<usize> {
        index
            .get(name.to_ascii_lowercase().as_str())
            .copied()
            .filter(|i| *i < before)
    }

    /// The final stage and the stages it is built `FROM`, nearest first: what it inherits.
    /// Linear in the number of stages (one lookup per link, no stage visited twice).
    pub fn final_chain(&self) -> Vec<&Stage> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, stage) in self.stages.iter().enumerate() {
            if let Some(alias) = &stage.alias {
                index.entry(alias.as_str()).or_insert(i);
            }
        }
        let mut chain = Vec::new();
        let Some(mut at) = self.stages.len().checked_sub(1) else {
            return chain;
        };
        let mut seen = std::collections::HashSet::new();
        loop {
            if !seen.insert(at) {
                break;
            }
            let stage = &self.stages[at];
            chain.push(stage);
            match self.stage_named(&stage.base, at, &index) {
                Some(parent) => at = parent,
                None => break,
            }
        }
        chain
    }

    /// The names of this file's stages (lowercase): a `FROM` of one is no image to pin. A
    /// set, so that asking of every stage stays linear in a file of many.
    pub fn stage_names(&self) -> HashSet<&str> {
        self.stages
            .iter()
            .filter_map(|s| s.alias.as_deref())
            .collect()
    }
}

/// The escape character a `# escape=` directive at the top sets (default `\`).
fn escape_char(text: &str) -> char {
    for line in text.lines() {
        let trimmed = line.trim();
        let Some(directive) = trimmed.strip_prefix('#') else {
            break;
        };
        let directive = directive.trim();
        if let Some(value) = directive
            .strip_prefix("escape")
            .map(str::trim_start)
            .and_then(|d| d.strip_prefix('='))
        {
            return match value.trim() {
                "`" => '`',
                _ => '\\',
            };
        }
        // Directives are `key=value` comments; any other comment ends them.
        if !directive.contains('=') {
            break;
        }
    }
    '\\'
}

/// Logical instructions with the number of their first physical line.
fn instructions(text: &str) -> Vec<Instruction> {
    let escape = escape_char(text);
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    let mut pending: Option<(u32, String)> = None;
    while let Some((i, raw)) = lines.next() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (start, mut joined) = pending.take().unwrap_or((number, String::new()));
        let continued = line.ends_with(escape);
        joined.push_str(line.strip_suffix(escape).unwrap_or(line));
        joined.push(' ');
        if continued {
            pending = Some((start, joined));
            continue;
        }
        // Heredocs: `<<EOF`, `<<-EOF`, `<<"EOF"`: their bodies follow, up to the delimiter.
        for delimiter in heredoc_delimiters(&joined) {
            joined.push('\n');
            for (_, body) in lines.by_ref() {
                if body.trim() == delimiter {
                    break;
                }
                joined.push_str(body);
                joined.push('\n');
            }
        }
        out.push(instruction(start, joined.trim()));
    }
    if let Some((start, joined)) = pending {
        out.push(instruction(start, joined.trim()));
    }
    out
}

fn instruction(line: u32, text: &str) -> Instruction {
    let (keyword, rest) = split_keyword(text);
    if keyword == "ONBUILD" {
        let (inner, args) = split_keyword(rest);
        return Instruction {
            line,
            keyword: inner,
            args: args.to_string(),
            onbuild: true,
        };
    }
    Instruction {
        line,
        keyword,
        args: rest.to_string(),
        onbuild: false,
    }
}

fn split_keyword(text: &str) -> (String, &str) {
    let text = text.trim_start();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (text[..end].to_ascii_uppercase(), text[end..].trim_start())
}

/// The delimiters of the heredocs an instruction opens (`<<EOF`, `<<-"EOF"`).
fn heredoc_delimiters(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("<<") {
        let after = rest[at + 2..].trim_start_matches('-');
        let name: String = after
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
            out.push(name);
        }
        rest = &rest[at + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredocs_escape_directives_and_onbuild_are_read_as_docker_reads_them() {
        let text = "# escape=`\nFROM debian:12 AS base\nRUN apt-get update && `\n    apt-get install -y curl\nRUN <<EOF\nset -e\nADD is a word here\napt-get install -y wget\nEOF\nONBUILD ADD . /app\nFROM base\nUSER 1000\n";
        let file = Dockerfile::parse(text);
        assert_eq!(file.stages.len(), 2);
        let base = &file.stages[0];
        assert_eq!(base.alias.as_deref(), Some("base"));
        let keywords: Vec<(&str, u32, bool)> = base
            .instructions
            .iter()
            .map(|i| (i.keyword.as_str(), i.line, i.onbuild))
            .collect();
        assert_eq!(
            keywords,
            [("RUN", 3, false), ("RUN", 5, false), ("ADD", 10, true)]
        );
        assert!(
            base.instructions[0]
                .args
                .contains("apt-get install -y curl")
        );
        assert!(
            base.instructions[1]
                .args
                .contains("apt-get install -y wget")
        );
        let chain: Vec<&str> = file.final_chain().iter().map(|s| s.base.as_str()).collect();
        assert_eq!(chain, ["base", "debian:12"]);
    }

    #[test]
    fn a_chain_of_many_stages_is_followed_in_linear_time() {
        let mut text = String::from("FROM scratch AS s0\n");
        for i in 1..100_000 {
            text.push_str(&format!("FROM s{} AS s{i}\n", i - 1));
        }
        let file = Dockerfile::parse(&text);
        assert_eq!(file.final_chain().len(), 100_000);
    }
}
