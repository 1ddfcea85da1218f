//! `fidelio admin`: admin accounts.

use anyhow::Context;
use clap::Subcommand;

use crate::admins;
use crate::db::Db;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an owner (every program; creates the other admins through the API) who can sign
    /// in with POST /v1/auth/login.
    Create {
        /// The admin's email, used to sign in.
        #[arg(long)]
        email: String,
        /// The password (at least 8 characters). Prompted for when not given.
        #[arg(long, env = "FIDELIO_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

impl AdminCommand {
    pub fn run(self, db: &Db) -> anyhow::Result<()> {
        match self {
            AdminCommand::Create { email, password } => {
                let password = match password {
                    Some(password) => password,
                    None => prompt_password()?,
                };
                let admin = admins::create(&mut *db.get()?, &email, &password)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("created owner {} (id {})", admin.email, admin.id);
                Ok(())
            }
        }
    }
}

fn prompt_password() -> anyhow::Result<String> {
    let password = rpassword::prompt_password("Password: ").context("cannot read the password")?;
    let again =
        rpassword::prompt_password("Password again: ").context("cannot read the password")?;
    anyhow::ensure!(password == again, "the passwords differ");
    Ok(password)
}
