//! Colour: whether to use it, and the few styles we use.

use anstyle::{AnsiColor, Style};

/// The user's colour choice (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour when writing to a terminal, unless the environment says otherwise.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Whether to colour, following `NO_COLOR`, `CLICOLOR_FORCE`, `CLICOLOR` and `TERM=dumb` in
/// auto mode (the conventions of no-color.org and bixense.com/clicolors).
pub fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            // cargo's own setting first: a CI that sets CARGO_TERM_COLOR=always gets colour
            // from windlass and from the cargo it runs.
            match var("CARGO_TERM_COLOR").as_deref() {
                Some("always") => return true,
                Some("never") => return false,
                _ => {}
            }
            if var("NO_COLOR").is_some() {
                false
            } else if var("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else if var("CLICOLOR").is_some_and(|v| v == "0")
                || var("TERM").is_some_and(|t| t == "dumb")
            {
                false
            } else {
                is_tty
            }
        }
    }
}

/// Headings and step names.
pub const BOLD: Style = Style::new().bold();
/// Commands echoed and other quiet detail.
pub const DIM: Style = Style::new().dimmed();
/// Passed.
pub const GOOD: Style = AnsiColor::Green.on_default().bold();
/// Failed, errors.
pub const BAD: Style = AnsiColor::Red.on_default().bold();
/// Warnings, skipped.
pub const WARN: Style = AnsiColor::Yellow.on_default().bold();
/// Notes and hints.
pub const NOTE: Style = AnsiColor::Cyan.on_default().bold();

/// `text` in `style` when `color`, else plain.
pub fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}
