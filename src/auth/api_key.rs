//! Storefront API keys: `fid_<prefix>_<secret>`. Only the prefix (to find the key) and the
//! SHA-256 digest of the whole key are stored, so checking a key is one indexed lookup and one
//! hash: microseconds, unlike a password.

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const MARK: &str = "fid_";
const PREFIX_LEN: usize = 12;
const SECRET_LEN: usize = 40;

/// A freshly generated key: shown to the admin once, then only its prefix and digest remain.
pub struct NewKey {
    pub key: String,
    pub prefix: String,
    pub digest: String,
}

/// Generates a key with a 238-bit random secret.
pub fn generate() -> NewKey {
    let mut rng = rand::rng();
    let mut random = |len: usize| -> String {
        (&mut rng)
            .sample_iter(Alphanumeric)
            .take(len)
            .map(char::from)
            .collect()
    };
    let prefix = format!("{MARK}{}", random(PREFIX_LEN).to_ascii_lowercase());
    let key = format!("{prefix}_{}", random(SECRET_LEN));
    let digest = digest(&key);
    NewKey {
        key,
        prefix,
        digest,
    }
}

/// The stored prefix of a presented key, or `None` if it cannot be one of ours.
pub fn prefix_of(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(MARK)?;
    let (prefix, secret) = rest.split_once('_')?;
    let well_formed = prefix.len() == PREFIX_LEN
        && secret.len() == SECRET_LEN
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    well_formed.then(|| &key[..MARK.len() + PREFIX_LEN])
}

/// Hex SHA-256 of a whole key.
pub fn digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Whether `key` hashes to `stored_digest`, compared in constant time.
pub fn matches(key: &str, stored_digest: &str) -> bool {
    digest(key)
        .as_bytes()
        .ct_eq(stored_digest.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_found_by_its_prefix_and_matches_its_digest() {
        let new = generate();
        assert_eq!(prefix_of(&new.key), Some(new.prefix.as_str()));
        assert!(matches(&new.key, &new.digest));
        assert!(!matches(&format!("{}x", new.key), &new.digest));
        assert!(!new.digest.contains(&new.key));
    }

    #[test]
    fn malformed_keys_have_no_prefix() {
        assert_eq!(prefix_of("nonsense"), None);
        assert_eq!(prefix_of("fid_short_secret"), None);
        assert_eq!(
            prefix_of("fid_abcdefghijkl_'; DROP TABLE api_keys; --xxxxxxxxxxxxx"),
            None
        );
    }
}
