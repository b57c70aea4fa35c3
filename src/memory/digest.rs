//! SHA-256 of file contents, the token for optimistic concurrency (`expected_sha256`).

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `bytes`, as returned by every tool and accepted as `expected_sha256`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Digest256::of(bytes).to_string()
}

/// A SHA-256 digest held as its 32 bytes (a snapshot keeps one per file; the hex form is twice the size
/// and one more allocation), shown as lower-case hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Digest256([u8; 32]);

impl Digest256 {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest256 {
        Digest256(Sha256::digest(bytes).into())
    }
}

impl std::fmt::Display for Digest256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_has_the_well_known_digest() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
