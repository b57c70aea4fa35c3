//! Findings as an answer to the model carries them: every word of an answer is paid for, so the advice a
//! kind's findings share is said once, evidence the message already states is left out, and each kind is
//! capped with its full count kept.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Evidence, Finding};

/// A capped, de-duplicated selection of findings for one answer.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Brief {
    /// How many findings of each kind there are in all.
    pub findings_by_kind: BTreeMap<String, usize>,
    /// What to do, per kind, when every listed finding of that kind gives the same advice (those findings
    /// then carry no `suggestion` of their own).
    pub advice: BTreeMap<String, String>,
    /// The first findings of each kind, in the order given (errors first).
    pub findings: Vec<Finding>,
    /// How many findings were left out of `findings`.
    pub findings_omitted: usize,
}

/// The first `per_kind` findings of each kind of `all`, briefly (see the module).
pub fn brief(all: &[Finding], per_kind: usize) -> Brief {
    let mut out = Brief::default();
    for f in all {
        let seen = out
            .findings_by_kind
            .entry(f.kind.as_str().to_string())
            .or_insert(0);
        *seen += 1;
        if *seen <= per_kind {
            out.findings.push(without_restated_evidence(f.clone()));
        }
    }
    out.findings_omitted = all.len() - out.findings.len();
    let kinds: BTreeSet<&'static str> = out.findings.iter().map(|f| f.kind.as_str()).collect();
    for kind in kinds {
        let mut said = out
            .findings
            .iter()
            .filter(|f| f.kind.as_str() == kind)
            .map(|f| f.suggestion.as_ref());
        if let Some(Some(first)) = said.next()
            && said.all(|s| s == Some(first))
        {
            out.advice.insert(kind.to_string(), first.clone());
        }
    }
    for f in &mut out.findings {
        if out.advice.contains_key(f.kind.as_str()) {
            f.suggestion = None;
        }
    }
    out
}

/// `f` without evidence its message states (a relative date's anchor and resolution, the index's cut,
/// the count and first numbers of the index lines involved).
fn without_restated_evidence(mut f: Finding) -> Finding {
    if matches!(
        f.evidence.as_deref(),
        Some(Evidence::RelativeDate(_) | Evidence::Cut(_) | Evidence::Lines(_))
    ) {
        f.evidence = None;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Kind, Severity};

    fn finding(kind: Kind, line: usize, suggestion: &str) -> Finding {
        Finding {
            kind,
            severity: Severity::Warning,
            file: "a.md".into(),
            line,
            message: format!("problem on line {line}"),
            suggestion: Some(suggestion.into()),
            evidence: None,
        }
    }

    #[test]
    fn shared_advice_is_said_once_and_each_kind_is_capped_with_its_count() {
        let all = vec![
            finding(Kind::Duplicate, 1, "merge them"),
            finding(Kind::Duplicate, 2, "merge them"),
            finding(Kind::Duplicate, 3, "merge them"),
            finding(Kind::RelativeDate, 4, "write 2026-01-01"),
            finding(Kind::RelativeDate, 5, "write 2026-01-02"),
        ];
        let b = brief(&all, 2);
        assert_eq!(b.findings_by_kind["duplicate"], 3);
        assert_eq!(b.findings_by_kind["relative_date"], 2);
        assert_eq!(b.findings.len(), 4);
        assert_eq!(b.findings_omitted, 1);
        assert_eq!(
            b.advice.get("duplicate").map(String::as_str),
            Some("merge them")
        );
        assert!(!b.advice.contains_key("relative_date"), "{:?}", b.advice);
        for f in &b.findings {
            match f.kind {
                Kind::Duplicate => assert_eq!(f.suggestion, None),
                _ => assert!(
                    f.suggestion
                        .as_deref()
                        .is_some_and(|s| s.starts_with("write"))
                ),
            }
        }
    }
}
