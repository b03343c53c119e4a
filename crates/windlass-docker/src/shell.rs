//! Just enough of a RUN script's shell syntax for the lint to judge each command by itself:
//! the commands between `&&`, `||`, `;`, `|` and line ends, their words with quotes removed,
//! and whether a real pipe joins two of them — not a `|` in quotes (`sed 's|a|b|'`), not a
//! `case` pattern's alternatives (`*/arm64 | */aarch64 )`).

/// Words before a command's program: the shell's keywords and the runners of a command.
const PREFIXES: &[&str] = &[
    "sudo", "env", "do", "then", "else", "elif", "!", "{", "(", "exec", "time", "nohup",
];

/// A script, read.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Script {
    /// Each command's words, quotes removed.
    pub commands: Vec<Vec<String>>,
    /// Whether a pipe joins two commands.
    pub pipes: bool,
}

impl Script {
    /// The commands whose program is `program` (after `sudo`, `env` and `NAME=value`
    /// assignments), each with its arguments.
    pub fn invocations<'a>(&'a self, program: &'a str) -> impl Iterator<Item = &'a [String]> {
        self.commands.iter().filter_map(move |words| {
            let start = words.iter().position(|w| {
                !(PREFIXES.contains(&w.as_str()) || (w.contains('=') && !w.starts_with('-')))
            })?;
            (words[start] == program).then(|| &words[start + 1..])
        })
    }
}

/// Reads `script`.
pub fn parse(script: &str) -> Script {
    let chars: Vec<char> = script.chars().collect();
    let mut out = Script::default();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    // Open `case` blocks, and where the current case item began (for its pattern).
    let mut cases = 0usize;
    let mut item_start = 0usize;
    let mut i = 0;
    let end_word = |word: &mut String, in_word: &mut bool, words: &mut Vec<String>| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' => {
                in_word = true;
                let close = chars[i + 1..]
                    .iter()
                    .position(|&q| q == c)
                    .map_or(chars.len(), |p| i + 1 + p);
                let quoted: String = chars[i + 1..close.min(chars.len())].iter().collect();
                // A command substitution in double quotes runs commands of its own:
                // `"$(dpkg --print-architecture | awk ...)"` pipes.
                if c == '"'
                    && let Some(at) = quoted.find("$(").or_else(|| quoted.find('`'))
                {
                    out.pipes |= parse(&quoted[at + 1..]).pipes;
                }
                word.push_str(&quoted);
                i = close + 1;
                continue;
            }
            '\\' if i + 1 < chars.len() => {
                // A line continuation is a space; any other escaped character is itself.
                if chars[i + 1] == '\n' {
                    end_word(&mut word, &mut in_word, &mut words);
                } else {
                    in_word = true;
                    word.push(chars[i + 1]);
                }
                i += 2;
                continue;
            }
            ' ' | '\t' => end_word(&mut word, &mut in_word, &mut words),
            '\n' | ';' | '&' | '|' => {
                end_word(&mut word, &mut in_word, &mut words);
                let double = i + 1 < chars.len() && chars[i + 1] == c;
                if c == '|' && !double && !case_pattern(&chars, i, cases, item_start) {
                    out.pipes = true;
                }
                if c == ';' && double {
                    item_start = i + 2;
                }
                push_command(&mut out, &mut words, &mut cases, &mut item_start, i);
                i += if double { 2 } else { 1 };
                continue;
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
        i += 1;
    }
    end_word(&mut word, &mut in_word, &mut words);
    push_command(
        &mut out,
        &mut words,
        &mut cases,
        &mut item_start,
        chars.len(),
    );
    out
}

/// Ends the command in `words`, keeping count of `case` blocks.
fn push_command(
    out: &mut Script,
    words: &mut Vec<String>,
    cases: &mut usize,
    item_start: &mut usize,
    at: usize,
) {
    if words.is_empty() {
        return;
    }
    if words[0] == "case" {
        *cases += 1;
        *item_start = at + 1;
    }
    if words.iter().any(|w| w == "esac") {
        *cases = cases.saturating_sub(1);
    }
    out.commands.push(std::mem::take(words));
}

/// Whether the `|` at `at` separates the alternatives of a `case` pattern: inside a case
/// block, with no `(` left open since the item began, and a `)` before the line ends.
fn case_pattern(chars: &[char], at: usize, cases: usize, item_start: usize) -> bool {
    // `case $x in a | b)` on one line: the item starts after ` in `.
    let line_start = chars[..at]
        .iter()
        .rposition(|&c| c == '\n')
        .map_or(0, |p| p + 1);
    let line: String = chars[line_start..at].iter().collect();
    let opened_here = line.trim_start().starts_with("case ") && line.contains(" in ");
    if cases == 0 && !opened_here {
        return false;
    }
    let start = if opened_here {
        line_start + line.find(" in ").unwrap_or(0) + 4
    } else {
        item_start.min(at)
    };
    let before: String = chars[start..at].iter().collect();
    let open = before.matches('(').count() > before.matches(')').count();
    let rest: String = chars[at + 1..]
        .iter()
        .take_while(|&&c| c != '\n' && c != ';')
        .collect();
    !open && rest.contains(')')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_split_on_operators_outside_quotes() {
        let s = parse("apt-get update && apt-get install -y \\\n  curl 'a b' ; echo \"x && y\"");
        assert_eq!(
            s.commands,
            [
                vec!["apt-get", "update"],
                vec!["apt-get", "install", "-y", "curl", "a b"],
                vec!["echo", "x && y"],
            ]
        );
        assert!(!s.pipes);
    }

    #[test]
    fn a_pipe_is_a_pipe_only_outside_quotes_and_case_patterns() {
        assert!(parse("curl -s x | tar xz").pipes);
        assert!(parse("x=$(curl x | sha256sum)").pipes);
        assert!(!parse("sed -i 's|a|b|' f").pipes);
        assert!(!parse("a || b").pipes);
        let case =
            "case \"$P\" in \\\n */amd64 ) A=x ;; \\\n */arm64 | */arm64/* ) A=y ;; \\\n esac";
        assert!(!parse(case).pipes, "{:?}", parse(case));
        assert!(!parse("case $x in a | b) echo ;; esac").pipes);
        assert!(parse("case $x in a) echo | cat ;; esac; ls | wc").pipes);
    }

    #[test]
    fn a_substitution_in_double_quotes_pipes_and_a_loop_runs_its_body() {
        let s = parse("arch=\"$(dpkg --print-architecture | awk -F- '{ print $NF }')\"");
        assert!(s.pipes);
        let s = parse("for f in $(cat list); do wget -P d \"$f\"; done");
        assert_eq!(s.invocations("wget").count(), 1);
    }

    #[test]
    fn a_program_is_found_after_sudo_and_assignments() {
        let s = parse("DEBIAN_FRONTEND=noninteractive sudo apt-get install -y wget && wget -q u");
        let apt: Vec<_> = s.invocations("apt-get").collect();
        assert_eq!(apt, [["install", "-y", "wget"]]);
        let wget: Vec<_> = s.invocations("wget").collect();
        assert_eq!(wget, [["-q", "u"]]);
    }
}
