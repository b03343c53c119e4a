//! Reading YAML a repository holds (its workflows, its compose files) without letting it
//! exhaust memory or the stack: a document whose aliases expand to more nodes than any real
//! file has (the "billion laughs"), or that nests deeper than any real file does, is refused
//! before it is built. The parser itself streams; only the built tree could grow without bound.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;
use yaml_rust2::{Yaml, YamlLoader};

/// The most nodes a document may expand to, aliases counted as what they stand for: a large
/// real workflow has a few thousand.
pub const MAX_NODES: u64 = 200_000;

/// The deepest nesting allowed: real files stay under twenty.
pub const MAX_DEPTH: usize = 256;

/// The documents of `text`, or why they are not read (not YAML, or past the bounds).
pub fn load(text: &str) -> Result<Vec<Yaml>, String> {
    let mut bounds = Bounds::default();
    Parser::new_from_str(text)
        .load(&mut bounds, true)
        .map_err(|e| e.to_string())?;
    if let Some(why) = bounds.refused {
        return Err(why);
    }
    YamlLoader::load_from_str(text).map_err(|e| e.to_string())
}

/// Counts the nodes the document would build, and its depth.
#[derive(Default)]
struct Bounds {
    /// Nodes so far, aliases expanded.
    nodes: u64,
    /// Each open collection: its anchor and the node count when it opened.
    open: Vec<(usize, u64)>,
    /// The expanded size of each anchor.
    anchors: std::collections::HashMap<usize, u64>,
    refused: Option<String>,
}

impl Bounds {
    fn add(&mut self, n: u64) {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES && self.refused.is_none() {
            self.refused = Some(format!(
                "it expands to more than {MAX_NODES} nodes (aliases counted as what they repeat): refused, as a YAML bomb"
            ));
        }
    }
}

impl MarkedEventReceiver for Bounds {
    fn on_event(&mut self, event: Event, _mark: Marker) {
        if self.refused.is_some() {
            return;
        }
        match event {
            Event::Scalar(_, _, anchor, _) => {
                self.add(1);
                if anchor > 0 {
                    self.anchors.insert(anchor, 1);
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.add(1);
                self.open.push((anchor, self.nodes));
                if self.open.len() > MAX_DEPTH {
                    self.refused =
                        Some(format!("it nests deeper than {MAX_DEPTH} levels: refused"));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, start)) = self.open.pop()
                    && anchor > 0
                {
                    self.anchors
                        .insert(anchor, self.nodes.saturating_sub(start).saturating_add(1));
                }
            }
            Event::Alias(anchor) => {
                let size = self.anchors.get(&anchor).copied().unwrap_or(1);
                self.add(size);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_billion_laughs_is_refused_before_it_is_built() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut previous = 'a';
        for name in "bcdefghi".chars() {
            text.push_str(&format!(
                "{name}: &{name} [*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous}]\n"
            ));
            previous = name;
        }
        let err = load(&text).unwrap_err();
        assert!(err.contains("YAML bomb"), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_and_real_files_load() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        // Refused, by the bound or by the parser's own limit: never built, never a stack overflow.
        assert!(load(&deep).is_err());
        let nested = format!("{}{}", "[".repeat(300), "]".repeat(300));
        assert!(load(&nested).is_err());
        let docs = load("on: push\njobs:\n  a: &x {runs-on: ubuntu}\n  b: *x\n").unwrap();
        assert_eq!(docs[0]["jobs"]["b"]["runs-on"].as_str(), Some("ubuntu"));
        assert!(load("a: [").is_err());
    }
}
