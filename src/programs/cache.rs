//! Programs as this process last read them, so that a member's own read needs no statement
//! for its program: the read fetches the program's configuration version with the member, and
//! a program changed since (through any instance) is read again before the answer.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::Program;
use crate::db::DbConnection;
use crate::error::AppResult;

#[derive(Default)]
pub struct ProgramCache {
    programs: RwLock<HashMap<i64, Arc<Program>>>,
}

impl ProgramCache {
    /// The program as last read, if it was.
    pub fn get(&self, id: i64) -> Option<Arc<Program>> {
        let programs = self.programs.read().unwrap_or_else(|p| p.into_inner());
        programs.get(&id).cloned()
    }

    /// Reads the program as it is now and remembers it.
    pub fn load(&self, conn: &mut DbConnection, id: i64) -> AppResult<Arc<Program>> {
        let program = Arc::new(super::by_id(conn, id)?);
        let mut programs = self.programs.write().unwrap_or_else(|p| p.into_inner());
        programs.insert(id, program.clone());
        Ok(program)
    }
}
