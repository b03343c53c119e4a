//! A small YAML writer: just what workflow files need (maps, lists, scalars, literal blocks),
//! with quoting decided here so that no value can change meaning or break the file.

/// A YAML value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A mapping, in the given key order.
    Map(Vec<(String, Node)>),
    /// A sequence.
    Seq(Vec<Node>),
    /// A string, quoted when it needs to be.
    Str(String),
    /// A number or boolean, written as is.
    Plain(String),
    /// A multi-line string, written as a literal block (`|`).
    Block(String),
    /// An empty mapping, `{}`.
    EmptyMap,
    /// A plain value followed by a comment: `actions/checkout@<sha> # v4.2.2`.
    Commented(String, String),
}

/// A mapping from pairs.
pub fn map<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Node)>) -> Node {
    Node::Map(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

/// A string.
pub fn s(text: impl Into<String>) -> Node {
    Node::Str(text.into())
}

/// A plain scalar (number, boolean).
pub fn plain(text: impl ToString) -> Node {
    Node::Plain(text.to_string())
}

/// A list of strings.
pub fn strs<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Node {
    Node::Seq(items.into_iter().map(|i| Node::Str(i.into())).collect())
}

/// Whether a string must be quoted to stay a string.
fn needs_quotes(text: &str) -> bool {
    const RESERVED: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n",
    ];
    text.is_empty()
        || RESERVED.contains(&text.to_ascii_lowercase().as_str())
        || text.parse::<f64>().is_ok()
        || text.starts_with(|c: char| "!&*-?{}[],#|>@`\"'%:= ".contains(c))
        || text.ends_with([' ', ':'])
        || text.contains(": ")
        || text.contains(" #")
        || text.contains('\n')
        || text.contains('\t')
}

fn scalar(text: &str) -> String {
    if needs_quotes(text) {
        format!("'{}'", text.replace('\'', "''"))
    } else {
        text.to_string()
    }
}

/// The document text.
pub fn render(node: &Node) -> String {
    let mut out = String::new();
    write_value(&mut out, node, 0);
    out
}

fn write_value(out: &mut String, node: &Node, indent: usize) {
    match node {
        Node::Map(pairs) => {
            for (key, value) in pairs {
                write_key_value(out, key, value, indent);
            }
        }
        Node::Seq(items) => {
            for item in items {
                out.push_str(&" ".repeat(indent));
                out.push_str("- ");
                match item {
                    Node::Map(pairs) if !pairs.is_empty() => {
                        // The first pair on the dash's line, the rest aligned under it.
                        let mut first = true;
                        for (key, value) in pairs {
                            if first {
                                let mut line = String::new();
                                write_key_value(&mut line, key, value, indent + 2);
                                out.push_str(line.trim_start());
                                first = false;
                            } else {
                                write_key_value(out, key, value, indent + 2);
                            }
                        }
                    }
                    other => {
                        out.push_str(&inline(other));
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

fn write_key_value(out: &mut String, key: &str, value: &Node, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Node::Map(pairs) if !pairs.is_empty() => {
            out.push_str(&format!("{pad}{}:\n", scalar(key)));
            write_value(out, value, indent + 2);
        }
        Node::Seq(items) if !items.is_empty() => {
            out.push_str(&format!("{pad}{}:\n", scalar(key)));
            write_value(out, value, indent + 2);
        }
        Node::Block(text) => {
            out.push_str(&format!("{pad}{}: |\n", scalar(key)));
            for line in text.lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    out.push_str(&format!("{pad}  {line}\n"));
                }
            }
        }
        other => out.push_str(&format!("{pad}{}: {}\n", scalar(key), inline(other))),
    }
}

fn inline(node: &Node) -> String {
    match node {
        Node::Str(text) => scalar(text),
        Node::Plain(text) => text.clone(),
        Node::EmptyMap | Node::Map(_) => "{}".into(),
        Node::Seq(items) => format!(
            "[{}]",
            items.iter().map(inline).collect::<Vec<_>>().join(", ")
        ),
        Node::Block(text) => scalar(text),
        Node::Commented(value, comment) => format!("{} # {comment}", scalar(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_nested_maps_lists_and_quotes_what_would_change_meaning() {
        let doc = map([
            ("name", s("ci")),
            ("on", map([("push", map([("branches", strs(["main"]))]))])),
            ("permissions", Node::EmptyMap),
            (
                "odd",
                strs(["yes", "1.0", "a: b", "- x", "it's", "${{ github.ref }}"]),
            ),
            (
                "steps",
                Node::Seq(vec![
                    map([
                        ("name", s("Check out")),
                        ("with", map([("fetch-depth", plain(0))])),
                    ]),
                    map([("run", Node::Block("cargo xtask ci\necho done".into()))]),
                ]),
            ),
        ]);
        assert_eq!(
            render(&doc),
            "name: ci\n'on':\n  push:\n    branches:\n      - main\npermissions: {}\nodd:\n  - 'yes'\n  - '1.0'\n  - 'a: b'\n  - '- x'\n  - it's\n  - ${{ github.ref }}\nsteps:\n  - name: Check out\n    with:\n      fetch-depth: 0\n  - run: |\n      cargo xtask ci\n      echo done\n"
        );
    }
}
