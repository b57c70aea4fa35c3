//! Likely credentials in text: provider API keys and tokens, private-key blocks, passwords in URLs, and
//! `password=` / `token:` style assignments with a real-looking value.
//!
//! Memory findings use [`find`] to warn that a credential was saved to memory; transcript snippets replace
//! what it locates with `[REDACTED <kind>]` before the model sees them. Detection is pattern-based and leans towards precision
//! on assignments (a placeholder like `<your-token>`, an environment-variable reference or a plain word
//! is not a secret) while provider formats with a fixed prefix are always reported.
//!
//! All patterns are tried in one pass with a [`RegexSet`]; only the patterns that matched are run again to
//! locate their matches, so text without credentials (nearly all of it) costs one scan.

use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// What kind of credential a match looks like. Its [`SecretKind::as_str`] name appears in redactions.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// A `-----BEGIN ... PRIVATE KEY-----` block (to its END line, or to the end of the text).
    PrivateKey,
    /// An Anthropic API key, `sk-ant-...`.
    AnthropicApiKey,
    /// An OpenAI API key, `sk-...`, `sk-proj-...`.
    OpenaiApiKey,
    /// A GitHub token: `ghp_`, `gho_`, `ghs_`, `ghu_`, `ghr_` or `github_pat_`.
    GithubToken,
    /// An AWS access key id, `AKIA...` or `ASIA...`.
    AwsAccessKeyId,
    /// The value of an `aws_secret_access_key` assignment.
    AwsSecretAccessKey,
    /// A Slack token (`xoxb-`, `xoxp-`, ...) or incoming-webhook URL.
    SlackToken,
    /// A Stripe secret or restricted key, `sk_live_...`, `rk_test_...`.
    StripeKey,
    /// A Google API key, `AIza...`.
    GoogleApiKey,
    /// A JSON Web Token, `eyJ....eyJ....sig`.
    Jwt,
    /// The password part of `scheme://user:password@host`.
    UrlPassword,
    /// The value of a `password=` / `passwd:` / `passphrase:` assignment.
    Password,
    /// The value of a `secret=` / `client_secret:` assignment.
    Secret,
    /// The value of a `token=` / `access_token:` assignment.
    Token,
    /// The value of an `api_key=` / `apikey:` / `access_key:` assignment.
    ApiKey,
}

impl SecretKind {
    /// The kind's name in snake case, as used in `[REDACTED <kind>]` and in findings.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::PrivateKey => "private_key",
            SecretKind::AnthropicApiKey => "anthropic_api_key",
            SecretKind::OpenaiApiKey => "openai_api_key",
            SecretKind::GithubToken => "github_token",
            SecretKind::AwsAccessKeyId => "aws_access_key_id",
            SecretKind::AwsSecretAccessKey => "aws_secret_access_key",
            SecretKind::SlackToken => "slack_token",
            SecretKind::StripeKey => "stripe_key",
            SecretKind::GoogleApiKey => "google_api_key",
            SecretKind::Jwt => "jwt",
            SecretKind::UrlPassword => "url_password",
            SecretKind::Password => "password",
            SecretKind::Secret => "secret",
            SecretKind::Token => "token",
            SecretKind::ApiKey => "api_key",
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One likely credential: where it is and what it looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMatch {
    /// Byte range of the secret itself in the searched text (for an assignment, only the value).
    pub range: Range<usize>,
    /// What it looks like.
    pub kind: SecretKind,
}

/// How a pattern's match becomes a [`SecretMatch`].
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// The whole match (or its `s` group) is a secret of this kind.
    Fixed(SecretKind),
    /// Like `Fixed`, but only when the `s` group passes [`plausible_value`].
    Checked(SecretKind),
    /// A `key = value` assignment: the kind comes from the key (group `k`), the value (group `s`) must
    /// pass [`plausible_value`].
    Assignment,
}

/// The patterns, most specific first: on two matches at the same place the earlier pattern wins.
/// `(?-u:\b)` is an ASCII word boundary, which keeps the scan on the fast engines for any input.
const PATTERNS: &[(Rule, &str)] = &[
    (
        Rule::Fixed(SecretKind::PrivateKey),
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|\z)",
    ),
    (
        Rule::Fixed(SecretKind::AnthropicApiKey),
        r"(?-u:\b)sk-ant-[A-Za-z0-9_-]{20,}",
    ),
    (
        Rule::Checked(SecretKind::OpenaiApiKey),
        r"(?-u:\b)(?P<s>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,})",
    ),
    (
        Rule::Fixed(SecretKind::GithubToken),
        r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
    ),
    (
        Rule::Fixed(SecretKind::AwsAccessKeyId),
        r"(?-u:\b)(?:AKIA|ASIA)[A-Z0-9]{16}(?-u:\b)",
    ),
    (
        Rule::Fixed(SecretKind::AwsSecretAccessKey),
        r#"(?i:aws_?secret_?access_?key|aws_?secret_?key)["']?\s*(?::=|[:=])\s*["']?(?P<s>[A-Za-z0-9/+=]{40})(?:[^A-Za-z0-9/+=]|\z)"#,
    ),
    (
        Rule::Fixed(SecretKind::SlackToken),
        r"(?-u:\b)(?:xox[abprs]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/]{20,})",
    ),
    (
        Rule::Fixed(SecretKind::StripeKey),
        r"(?-u:\b)[sr]k_(?:live|test)_[A-Za-z0-9]{16,}",
    ),
    (
        Rule::Fixed(SecretKind::GoogleApiKey),
        r"(?-u:\b)AIza[0-9A-Za-z_-]{35}",
    ),
    (
        Rule::Fixed(SecretKind::Jwt),
        r"(?-u:\b)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ),
    (
        Rule::Checked(SecretKind::UrlPassword),
        r"(?-u:\b)[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]+:(?P<s>[^\s/@]+)@",
    ),
    (
        Rule::Assignment,
        r#"(?i)(?P<k>(?-u:\b)(?:[a-z0-9]+[_.-])*(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key))["']?\**\s*(?::=|[:=])\**\s*["']?(?P<s>[^\s"'`<>(){}\[\],;&|]+)"#,
    ),
];

/// The compiled patterns.
struct Detector {
    set: RegexSet,
    each: Vec<(Rule, Regex)>,
}

impl Detector {
    fn new() -> Result<Detector, regex::Error> {
        Ok(Detector {
            set: RegexSet::new(PATTERNS.iter().map(|(_, p)| p))?,
            each: PATTERNS
                .iter()
                .map(|&(rule, p)| Regex::new(p).map(|re| (rule, re)))
                .collect::<Result<_, _>>()?,
        })
    }
}

static DETECTOR: LazyLock<Result<Detector, regex::Error>> = LazyLock::new(|| {
    let detector = Detector::new();
    if let Err(e) = &detector {
        tracing::error!("secret patterns failed to compile; no secrets will be found: {e}");
    }
    detector
});

/// Finds likely credentials in `text`, in order, without overlaps.
pub fn find(text: &str) -> Vec<SecretMatch> {
    let Ok(detector) = &*DETECTOR else {
        return Vec::new();
    };
    // (pattern priority, match): on equal starts the more specific pattern wins.
    let mut found: Vec<(usize, SecretMatch)> = Vec::new();
    for i in detector.set.matches(text).iter() {
        let (rule, re) = &detector.each[i];
        for caps in re.captures_iter(text) {
            let secret = caps.name("s").or_else(|| caps.get(0));
            let Some(secret) = secret else { continue };
            let kind = match *rule {
                Rule::Fixed(kind) => kind,
                Rule::Checked(kind) if plausible_value(secret.as_str()) => kind,
                Rule::Checked(_) => continue,
                Rule::Assignment => {
                    let key = caps.name("k").map_or("", |k| k.as_str());
                    if !plausible_value(secret.as_str()) {
                        continue;
                    }
                    assignment_kind(key)
                }
            };
            found.push((
                i,
                SecretMatch {
                    range: secret.range(),
                    kind,
                },
            ));
        }
    }
    found.sort_by_key(|(priority, m)| (m.range.start, *priority, usize::MAX - m.range.end));
    let mut out: Vec<SecretMatch> = Vec::with_capacity(found.len());
    for (_, m) in found {
        if out
            .last()
            .is_none_or(|last| m.range.start >= last.range.end)
        {
            out.push(m);
        }
    }
    out
}

/// The kind of an assignment, from its key (`DB_PASSWORD`, `client_secret`, `x-api-key`, ...).
fn assignment_kind(key: &str) -> SecretKind {
    let key = key.to_ascii_lowercase();
    if key.contains("pass") {
        SecretKind::Password
    } else if key.contains("secret") {
        SecretKind::Secret
    } else if key.contains("token") {
        SecretKind::Token
    } else {
        SecretKind::ApiKey
    }
}

/// Words that mark a value as a placeholder or an example rather than a credential.
const PLACEHOLDER_WORDS: [&str; 12] = [
    "your",
    "xxxx",
    "****",
    "...",
    "example",
    "placeholder",
    "changeme",
    "redacted",
    "dummy",
    "replace",
    "<",
    "todo",
];

/// Whether an assignment value (or a key-like token) looks like a real credential.
///
/// Refused: shorter than 6 characters; references (`$VAR`, `${...}`, `%VAR%`, `process.env.X`,
/// `os.environ[...]`, an `UPPER_SNAKE` variable name); paths (`/`, `~/`, `./`); placeholders (see
/// [`PLACEHOLDER_WORDS`]); one repeated character; and plain identifiers, which need a digit or one of
/// `!@#$%^*+/=~?` to count, or else at least 20 characters mixing upper and lower case.
fn plausible_value(v: &str) -> bool {
    if v.chars().count() < 6 {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    let reference = v.starts_with(['$', '%', '/', '.'])
        || v.starts_with("~/")
        || lower.starts_with("process.env")
        || lower.starts_with("os.environ")
        || lower.starts_with("env.")
        || lower.starts_with("secrets.")
        || v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if reference || PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w)) {
        return false;
    }
    let first = v.chars().next();
    if v.chars().all(|c| Some(c) == first) {
        return false;
    }
    let has_digit = v.bytes().any(|b| b.is_ascii_digit());
    let has_symbol = v.bytes().any(|b| b"!@#$%^*+/=~?".contains(&b));
    let mixed_case =
        v.bytes().any(|b| b.is_ascii_uppercase()) && v.bytes().any(|b| b.is_ascii_lowercase());
    has_digit || has_symbol || (mixed_case && v.len() >= 20)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    /// Replaces (as the transcript snippets do) every likely credential in `text` with `[REDACTED <kind>]`; borrows when there is none.
    fn redact(text: &str) -> Cow<'_, str> {
        let matches = find(text);
        if matches.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for m in matches {
            out.push_str(&text[at..m.range.start]);
            out.push_str("[REDACTED ");
            out.push_str(m.kind.as_str());
            out.push(']');
            at = m.range.end;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }

    fn kinds(text: &str) -> Vec<(&str, SecretKind)> {
        find(text)
            .into_iter()
            .map(|m| (&text[m.range], m.kind))
            .collect()
    }

    #[test]
    fn every_pattern_compiles() {
        assert!(DETECTOR.is_ok(), "{:?}", DETECTOR.as_ref().err());
    }

    #[test]
    fn finds_provider_keys_by_prefix() {
        let ant = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGh";
        let oai = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234";
        let oai_legacy = "sk-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIj";
        let ghp = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
        let ghs = "ghs_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
        let pat = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz";
        let akia = "AKIAIOSFODNN7EXAMPLE";
        let asia = "ASIAY34FZKBOKMUTVV7A";
        let slack = "xoxb-1234567890-0987654321-AbCdEfGhIjKl";
        let stripe = "sk_live_AbCdEfGhIjKlMnOp1234";
        let google = "AIzaSyA1bCdEfGhIjKlMnOpQrStUvWxYz012345";
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        let text = format!(
            "anthropic {ant}\nopenai {oai} and {oai_legacy}\ngithub {ghp}, {ghs}, {pat}\n\
             aws {akia} {asia}\nslack {slack}\nstripe {stripe}\ngoogle {google}\njwt {jwt}\n"
        );
        assert_eq!(
            kinds(&text),
            [
                (ant, SecretKind::AnthropicApiKey),
                (oai, SecretKind::OpenaiApiKey),
                (oai_legacy, SecretKind::OpenaiApiKey),
                (ghp, SecretKind::GithubToken),
                (ghs, SecretKind::GithubToken),
                (pat, SecretKind::GithubToken),
                (akia, SecretKind::AwsAccessKeyId),
                (asia, SecretKind::AwsAccessKeyId),
                (slack, SecretKind::SlackToken),
                (stripe, SecretKind::StripeKey),
                (google, SecretKind::GoogleApiKey),
                (jwt, SecretKind::Jwt),
            ]
        );
    }

    #[test]
    fn finds_a_private_key_block_whole_and_an_unterminated_one_to_the_end() {
        let block = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
        let text = format!("deploy key:\n{block}\nafter\n");
        assert_eq!(kinds(&text), [(block, SecretKind::PrivateKey)]);
        let cut = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA";
        assert_eq!(kinds(&format!("x {cut}")), [(cut, SecretKind::PrivateKey)]);
        assert!(
            find("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----").is_empty()
        );
    }

    #[test]
    fn finds_only_the_value_of_secret_assignments() {
        let text = "DB_PASSWORD=hunter2!\n\
                    \"api_key\": \"a8f5f167f44f4964e6c998dee827110c\"\n\
                    client_secret: Zm9vYmFyYmF6cXV4\n\
                    GITHUB_TOKEN=\"tok_8f2a9c41e7\"\n\
                    aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
                    postgres://app:s3cr3t-pw@db.internal:5432/app\n";
        assert_eq!(
            kinds(text),
            [
                ("hunter2!", SecretKind::Password),
                ("a8f5f167f44f4964e6c998dee827110c", SecretKind::ApiKey),
                ("Zm9vYmFyYmF6cXV4", SecretKind::Secret),
                ("tok_8f2a9c41e7", SecretKind::Token),
                (
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                    SecretKind::AwsSecretAccessKey
                ),
                ("s3cr3t-pw", SecretKind::UrlPassword),
            ]
        );
    }

    #[test]
    fn a_provider_key_in_an_assignment_is_reported_once_by_its_provider() {
        let key = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
        assert_eq!(
            kinds(&format!("GITHUB_TOKEN={key}")),
            [(key, SecretKind::GithubToken)]
        );
    }

    #[test]
    fn near_misses_are_not_secrets() {
        for text in [
            "token=",
            "token= ",
            "token=<your-token>",
            "api_key: \"<YOUR_API_KEY>\"",
            "password: ********",
            "password=changeme",
            "export OPENAI_API_KEY=$OPENAI_API_KEY",
            "token: ${{ secrets.GITHUB_TOKEN }}",
            "apiKey: process.env.STRIPE_KEY",
            "api_key = os.environ[\"KEY\"]",
            "token: GITHUB_TOKEN",
            "secret_file: ~/.config/app/secret.json",
            "token_type: bearer",
            "max_tokens: 4096",
            "password: required",
            "token: authorization_code",
            "Never paste the password into the chat; rotate the token monthly.",
            "The password is in 1Password under \"staging db\".",
            "the secret: it is cached",
            "task-runner-for-the-monorepo-build-system",
            "sk-learn-style-classification-pipeline-model",
            "git@github.com:acme/api.git and https://github.com/acme/api/blob/main/src/app.ts",
            "postgres://user:password@localhost/db",
            "AKIA is the prefix of AWS access key ids",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        ] {
            assert_eq!(kinds(text), [], "{text:?}");
        }
    }

    #[test]
    fn redacts_each_secret_with_its_kind_and_borrows_clean_text() {
        let text =
            "login: admin / password=hunter2! and key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx0123";
        assert_eq!(
            redact(text),
            "login: admin / password=[REDACTED password] and key [REDACTED anthropic_api_key]"
        );
        let clean = "nothing to see: token=<your-token>";
        assert!(matches!(redact(clean), Cow::Borrowed(s) if s == clean));
    }

    #[test]
    fn byte_ranges_are_right_after_multibyte_text() {
        let text = "café → token=Xy9$abc123 ✓";
        let m = find(text);
        assert_eq!(m.len(), 1);
        assert_eq!(&text[m[0].range.clone()], "Xy9$abc123");
        assert_eq!(redact(text), "café → token=[REDACTED token] ✓");
    }
}
