//! What an admin may do, checked first in every admin handler. An owner may do everything. A
//! manager configures and adjusts its programs; an analyst reads them. A program an admin
//! does not work in answers 404 as if it did not exist (its slug is not confirmed to anyone
//! who cannot see it); a change the role does not allow answers 403.

use crate::api::extract::AdminUser;
use crate::domain::AdminRole;
use crate::error::AppError;

impl AdminUser {
    /// Refuses with 403 unless the admin is an owner.
    pub fn require_owner(&self) -> Result<(), AppError> {
        if self.role == AdminRole::Owner {
            Ok(())
        } else {
            Err(AppError::Forbidden("only an owner may do this".into()))
        }
    }

    /// Refuses with 404 unless the admin may see the program `slug`.
    pub fn require_read(&self, slug: &str) -> Result<(), AppError> {
        if self.role == AdminRole::Owner || self.programs.iter().any(|(_, s)| s == slug) {
            Ok(())
        } else {
            Err(AppError::not_found(format!(
                "no program with slug `{slug}`"
            )))
        }
    }

    /// Refuses unless the admin may configure the program `slug` and adjust its members and
    /// points: 404 for a program it cannot see, 403 for an analyst.
    pub fn require_change(&self, slug: &str) -> Result<(), AppError> {
        self.require_read(slug)?;
        if self.role == AdminRole::Analyst {
            return Err(AppError::Forbidden(
                "an analyst reads this program and changes nothing".into(),
            ));
        }
        Ok(())
    }

    /// The ids of the programs the admin may see, or `None` for all of them.
    pub fn visible_programs(&self) -> Option<Vec<i64>> {
        (self.role != AdminRole::Owner).then(|| self.programs.iter().map(|(id, _)| *id).collect())
    }
}
