//! Compiled rule sets, kept per program until its configuration changes. Every instance
//! checks the program's `config_version` (read with the program on each event), so a change
//! made through any instance is used by all of them from the next event on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::db::DbConnection;
use crate::engine::RuleSet;
use crate::error::AppResult;
use crate::programs::Program;

#[derive(Default)]
pub struct RuleCache {
    sets: Mutex<HashMap<i64, (i64, Arc<RuleSet>)>>,
}

impl RuleCache {
    /// The program's compiled rules at its current configuration version.
    pub fn get(&self, conn: &mut DbConnection, program: &Program) -> AppResult<Arc<RuleSet>> {
        if let Some((version, set)) = self
            .sets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&program.id)
            && *version == program.config_version
        {
            return Ok(set.clone());
        }
        let set = Arc::new(super::load_set(conn, program)?);
        self.sets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(program.id, (program.config_version, set.clone()));
        Ok(set)
    }
}
