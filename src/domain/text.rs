//! Strings with rules: slugs, names, emails, time zones.

use chrono_tz::Tz;

use super::Invalid;

/// A URL-safe identifier: lower-case letters, digits and dashes, starting with a letter or digit.
pub fn slug(field: &str, value: &str) -> Result<String, Invalid> {
    let valid = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-');
    if valid {
        Ok(value.to_owned())
    } else {
        Err(Invalid::new(
            field,
            format!(
                "{field}: use 1 to 64 lower-case letters, digits and dashes, not starting with a dash"
            ),
        ))
    }
}

/// Trimmed free text of `1..=max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length == 0 {
        return Err(Invalid::new(field, format!("{field}: must not be empty")));
    }
    if length > max {
        return Err(Invalid::new(
            field,
            format!("{field}: must be at most {max} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            format!("{field}: must not contain control characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// An email address, trimmed and lower-cased. Checked for shape only: the storefront owns it.
pub fn email(field: &str, value: &str) -> Result<String, Invalid> {
    let email = value.trim().to_lowercase();
    let shaped = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if shaped {
        Ok(email)
    } else {
        Err(Invalid::new(
            field,
            format!("{field}: `{value}` is not an email address"),
        ))
    }
}

/// An IANA time zone name, such as `America/New_York`.
pub fn time_zone(field: &str, value: &str) -> Result<Tz, Invalid> {
    value.parse::<Tz>().map_err(|_| {
        Invalid::new(
            field,
            format!("{field}: `{value}` is not an IANA time zone such as `America/New_York`"),
        )
    })
}

/// Checks a storefront's id for a customer: visible ASCII that is safe in a URL path.
pub fn external_id(value: &str) -> Result<String, Invalid> {
    let valid = (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"/?#%\\".contains(&b));
    if valid {
        Ok(value.to_owned())
    } else {
        Err(Invalid::new(
            "external_id",
            "external_id: use 1 to 128 visible ASCII characters other than / ? # % \\",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_words_and_dashes() {
        assert!(slug("slug", "coffee-2").is_ok());
        assert!(slug("slug", "Coffee").is_err());
        assert!(slug("slug", "-x").is_err());
        assert!(slug("slug", "").is_err());
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            email("email", " Ana@Example.COM ").unwrap(),
            "ana@example.com"
        );
        assert!(email("email", "not-an-email").is_err());
        assert!(email("email", "a@b").is_err());
    }

    #[test]
    fn an_email_with_a_control_character_is_refused() {
        // PostgreSQL cannot store a NUL: it made enrolling such an email a 500.
        assert!(email("email", "a\0b@example.com").is_err());
        assert!(email("email", "a@exa\u{7}mple.com").is_err());
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert!(time_zone("time_zone", "America/Los_Angeles").is_ok());
        assert!(time_zone("time_zone", "Mars/Olympus").is_err());
    }
}
