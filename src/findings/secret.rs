//! `secret`: a likely credential stored in memory. Claude Code loads memory into every session and
//! shares `team/` with teammates, so a key there leaks further than the session that saved it.

use super::text::Doc;
use super::{Evidence, Finding, Kind, SecretEvidence, Severity};
use crate::secrets;

/// The likely credentials in `doc` (frontmatter and code blocks included: a key is a key anywhere) as
/// errors, and personal data (e-mail addresses, phone numbers) as warnings.
pub(crate) fn check(doc: &Doc) -> Vec<Finding> {
    let credentials = secrets::find(doc.text);
    let personal = secrets::find_personal(doc.text);
    if credentials.is_empty() && personal.is_empty() {
        return Vec::new();
    }
    // Each match's line from one table of line starts: a file can hold thousands of matches.
    let lines = doc.line_starts();
    let mut out: Vec<Finding> = credentials
        .into_iter()
        .map(|m| Finding {
            kind: Kind::Secret,
            severity: Severity::Error,
            file: doc.file.to_string(),
            line: lines.line_at(m.range.start),
            message: format!(
                "what looks like a credential ({}) is stored in memory, which every session loads",
                m.kind
            ),
            suggestion: Some(
                "remove it (and rotate it if it is real); keep only where it lives, e.g. \"in 1Password under ...\""
                    .to_string(),
            ),
            evidence: Some(Box::new(Evidence::Secret(SecretEvidence {
                secret_kind: m.kind,
            }))),
        })
        .collect();
    out.extend(personal.into_iter().map(|m| Finding {
        kind: Kind::Secret,
        severity: Severity::Warning,
        file: doc.file.to_string(),
        line: lines.line_at(m.range.start),
        message: format!(
            "personal data ({}) is stored in memory, which every session loads and `team/` shares",
            m.kind
        ),
        suggestion: Some(
            "if it is someone else's, remove it or keep only who they are (\"the release manager\"); your own is fine"
                .to_string(),
        ),
        evidence: Some(Box::new(Evidence::Secret(SecretEvidence {
            secret_kind: m.kind,
        }))),
    }));
    out.sort_by_key(|f| f.line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_line_and_kind_but_never_the_value() {
        let text = "- staging: postgres://app:Tr4ck-st4ging-92@db.internal/app\n- token=<your-token>\n\
                    - key ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\n";
        let doc = Doc::new("notes.md", text, None, false);
        let found = check(&doc);
        let lines: Vec<(usize, String)> = found
            .iter()
            .map(|f| match f.evidence.as_deref() {
                Some(Evidence::Secret(e)) => (f.line, e.secret_kind.to_string()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            lines,
            [
                (1, "url_password".to_string()),
                (3, "github_token".to_string())
            ]
        );
        let json = serde_json::to_string(&found).unwrap_or_default();
        assert!(!json.contains("Tr4ck") && !json.contains("ghp_"), "{json}");
        assert!(found.iter().all(|f| f.severity == Severity::Error));
    }

    #[test]
    fn personal_data_is_a_warning_and_never_shows_the_value() {
        let text = "- release contact: jane.doe@acme-corp.io\n- 비밀번호는 qwer1234!\n";
        let found = check(&Doc::new("people.md", text, None, false));
        let got: Vec<(usize, Severity, String)> = found
            .iter()
            .map(|f| match f.evidence.as_deref() {
                Some(Evidence::Secret(e)) => (f.line, f.severity, e.secret_kind.to_string()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            got,
            [
                (1, Severity::Warning, "email_address".to_string()),
                (2, Severity::Error, "stated_password".to_string())
            ]
        );
        let json = serde_json::to_string(&found).unwrap_or_default();
        assert!(
            !json.contains("jane.doe") && !json.contains("qwer1234"),
            "{json}"
        );
    }
}
