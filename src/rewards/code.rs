//! Voucher codes: 12 characters from an alphabet without look-alikes, in three groups
//! (`K7XQ-M2PD-9TBF`): 31^12, about 2^59, so a code cannot be guessed.

use rand::Rng;

const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

pub fn generate() -> String {
    let mut rng = rand::rng();
    let mut code = String::with_capacity(14);
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    code
}

/// A code as a person may type it: any case, with or without dashes or spaces.
pub fn normalise(typed: &str) -> String {
    let plain: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    plain
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_three_groups_and_normalise_back() {
        let code = generate();
        assert_eq!(code.len(), 14);
        assert_eq!(normalise(&code.to_lowercase().replace('-', " ")), code);
        assert_ne!(generate(), code);
    }
}
