//! Every diagnostic code the stock tasks of this build can report, gathered from the codes
//! each crate declares: what the list in docs/json-report.md is generated from.

use windlass_core::code::Declared;

/// The declarations of every crate built in, core first.
pub fn declared() -> Vec<Declared> {
    vec![
        windlass_core::codes::DECLARED,
        windlass_checks::codes::DECLARED,
        windlass_hooks::codes::DECLARED,
        windlass_secrets::codes::DECLARED,
        windlass_workflows::codes::DECLARED,
        #[cfg(feature = "audit")]
        windlass_audit::codes::DECLARED,
        #[cfg(feature = "deploy")]
        windlass_deploy::codes::DECLARED,
        #[cfg(feature = "docker")]
        windlass_docker::codes::DECLARED,
        #[cfg(feature = "release")]
        windlass_release::codes::DECLARED,
        #[cfg(feature = "adopt")]
        windlass_adopt::codes::DECLARED,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/json-report.md");
    const BEGIN: &str = "<!-- codes:begin";
    const END: &str = "<!-- codes:end -->";

    #[test]
    fn codes_are_unique_across_crates() {
        assert_eq!(
            windlass_core::code::duplicates(&declared()),
            Vec::<String>::new()
        );
    }

    /// The docs list what the declarations say; `WINDLASS_BLESS=1` rewrites the list. A
    /// build without every feature declares fewer.
    #[test]
    #[cfg_attr(
        not(all(
            feature = "audit",
            feature = "deploy",
            feature = "docker",
            feature = "release",
            feature = "adopt"
        )),
        ignore = "the docs list the codes of a build with every feature"
    )]
    fn the_docs_list_every_declared_code() {
        let doc = std::fs::read_to_string(DOC).unwrap();
        let begin = doc
            .find(BEGIN)
            .expect("docs/json-report.md has the codes markers");
        let after_begin = begin + doc[begin..].find('\n').unwrap() + 1;
        let end = doc.find(END).unwrap();
        let table = windlass_core::code::table(&declared());
        if std::env::var_os("WINDLASS_BLESS").is_some() {
            let updated = format!("{}{table}{}", &doc[..after_begin], &doc[end..]);
            std::fs::write(DOC, updated).unwrap();
            return;
        }
        assert_eq!(
            &doc[after_begin..end],
            table,
            "docs/json-report.md lists other codes than are declared: run WINDLASS_BLESS=1 cargo test -p windlass codes"
        );
    }
}
