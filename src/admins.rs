//! Admin accounts: signed in with a password, each with a role. The first owner is created from
//! the command line; owners create and change the others through the API.

use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::audit::{Audit, Audited};
use crate::auth::password;
use crate::db::models::admins::{self as rows, Admin, NewAdmin};
use crate::db::models::programs as program_rows;
use crate::db::{DbConn, DbConnection, is_unique_violation, now_utc, write_tx};
use crate::domain::{self, AdminRole};
use crate::error::{AppError, AppResult, ErrorCode};

/// An admin as the service sees it: never its password hash.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub role: AdminRole,
    /// The programs (id, slug) a manager or analyst works in; none for an owner.
    pub programs: Vec<(i64, String)>,
    pub created_at: NaiveDateTime,
}

/// A new admin, as an owner asks for it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAdmin {
    pub email: String,
    /// At least 8 characters.
    pub password: String,
    /// `owner`, `manager` or `analyst`.
    pub role: String,
    /// Program slugs: one or more for a manager or analyst, none for an owner.
    #[serde(default)]
    pub programs: Option<Vec<String>>,
}

/// A change of an admin's role or programs; what is left out stays.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeAdmin {
    /// `owner`, `manager` or `analyst`.
    pub role: Option<String>,
    /// Program slugs, replacing the admin's programs.
    pub programs: Option<Vec<String>>,
}

/// Creates an owner (the command line's `fidelio admin create`). Hashing costs tens of
/// milliseconds: call this off the async threads.
pub fn create(conn: &mut DbConn, email: &str, password: &str) -> AppResult<Admin> {
    let (email, hash) = credentials(email, password)?;
    write_tx(conn, |conn| insert(conn, &email, &hash, AdminRole::Owner))
}

/// Creates the admin an owner asked for. Call it off the async threads (hashing).
pub fn add(conn: &mut DbConn, request: &CreateAdmin, audit: &Audit) -> AppResult<Account> {
    let role = parse_role(&request.role)?;
    let (email, hash) = credentials(&request.email, &request.password)?;
    let slugs = request.programs.as_deref().unwrap_or_default();
    write_tx(conn, |conn| {
        let programs = programs_for(conn, role, slugs)?;
        let admin = insert(conn, &email, &hash, role)?;
        let ids: Vec<i64> = programs.iter().map(|(id, _)| *id).collect();
        rows::replace_programs(conn, admin.id, &ids)?;
        let added = account(admin, programs)?;
        audit.changed(conn, None, "admin.create", None, Some(&added))?;
        Ok(added)
    })
}

/// Changes an admin's role or programs. The last owner stays an owner.
pub fn change(
    conn: &mut DbConn,
    id: i64,
    request: &ChangeAdmin,
    audit: &Audit,
) -> AppResult<Account> {
    let asked_role = request.role.as_deref().map(parse_role).transpose()?;
    write_tx(conn, |conn| {
        let current = find(conn, id)?.ok_or_else(|| not_found(id))?;
        let role = asked_role.unwrap_or(current.role);
        let programs = match (&request.programs, role) {
            (Some(slugs), _) => programs_for(conn, role, slugs)?,
            (None, AdminRole::Owner) => Vec::new(),
            (None, _) => programs_for(conn, role, &slugs_of(&current.programs))?,
        };
        if current.role == AdminRole::Owner && role != AdminRole::Owner {
            let owners = rows::lock_owners(conn)?;
            if owners.iter().all(|&owner| owner == id) {
                return Err(AppError::conflict(
                    ErrorCode::LastOwner,
                    "the last owner cannot be demoted: make another admin an owner first",
                ));
            }
        }
        rows::set_role(conn, id, role.as_str())?;
        let ids: Vec<i64> = programs.iter().map(|(id, _)| *id).collect();
        rows::replace_programs(conn, id, &ids)?;
        let changed = find(conn, id)?.ok_or_else(|| not_found(id))?;
        audit.changed(conn, None, "admin.update", Some(&current), Some(&changed))?;
        Ok(changed)
    })
}

/// An admin as the audit log keeps it: its role and programs, never its email or password.
impl Audited for Account {
    fn subject(&self) -> String {
        format!("admin:{}", self.id)
    }

    fn state(&self) -> AppResult<Value> {
        Ok(json!({
            "role": self.role.as_str(),
            "programs": slugs_of(&self.programs),
        }))
    }
}

/// The admin with this id, with its programs, or `None`.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<Account>> {
    let Some(admin) = rows::find(conn, id)? else {
        return Ok(None);
    };
    let programs = rows::programs_of(conn, &[id])?
        .into_iter()
        .map(|(_, program_id, slug)| (program_id, slug))
        .collect();
    account(admin, programs).map(Some)
}

/// A page of admins with their programs, oldest first.
pub fn list(conn: &mut DbConnection, after: Option<i64>, limit: i64) -> AppResult<Vec<Account>> {
    let admins = rows::list(conn, after, limit)?;
    let ids: Vec<i64> = admins.iter().map(|a| a.id).collect();
    let links = rows::programs_of(conn, &ids)?;
    admins
        .into_iter()
        .map(|admin| {
            let programs = links
                .iter()
                .filter(|(admin_id, _, _)| *admin_id == admin.id)
                .map(|(_, program_id, slug)| (*program_id, slug.clone()))
                .collect();
            account(admin, programs)
        })
        .collect()
}

/// The admin whose email and password these are, or `None`. Takes the same time whether or
/// not the email exists. Call it off the async threads.
pub fn authenticate(conn: &mut DbConn, email: &str, password: &str) -> AppResult<Option<Admin>> {
    // No admin's email has a NUL, and PostgreSQL refuses one in a query: no look-up.
    let found = match email.contains('\0') {
        true => None,
        false => rows::find_by_email(conn, email.trim())?,
    };
    match found {
        Some(admin) if password::verify(password, &admin.password_hash) => Ok(Some(admin)),
        Some(_) => Ok(None),
        None => {
            password::verify_against_dummy(password);
            Ok(None)
        }
    }
}

fn credentials(email: &str, password: &str) -> AppResult<(String, String)> {
    let email = domain::email("email", email)?;
    password::check_strength(password)
        .map_err(|e| AppError::invalid("password", format!("password: {e}")))?;
    Ok((email, password::hash(password)?))
}

fn insert(conn: &mut DbConnection, email: &str, hash: &str, role: AdminRole) -> AppResult<Admin> {
    let new = NewAdmin {
        email,
        password_hash: hash,
        role: role.as_str(),
        created_at: now_utc(),
    };
    match rows::insert(conn, &new) {
        Err(e) if is_unique_violation(&e) => Err(AppError::conflict(
            ErrorCode::AdminExists,
            format!("an admin with email `{email}` exists"),
        )),
        other => Ok(other?),
    }
}

fn parse_role(role: &str) -> AppResult<AdminRole> {
    AdminRole::try_from(role.to_owned()).map_err(|_| {
        AppError::invalid(
            "role",
            format!("role: `{role}` is not one of owner, manager, analyst"),
        )
    })
}

/// The programs named by `slugs`, as the role allows: none for an owner, at least one for
/// the others, and every one existing.
fn programs_for(
    conn: &mut DbConnection,
    role: AdminRole,
    slugs: &[String],
) -> AppResult<Vec<(i64, String)>> {
    if role == AdminRole::Owner {
        if !slugs.is_empty() {
            return Err(AppError::invalid(
                "programs",
                "programs: an owner has every program; name none",
            ));
        }
        return Ok(Vec::new());
    }
    if slugs.is_empty() {
        return Err(AppError::invalid(
            "programs",
            format!("programs: a {} needs at least one program", role.as_str()),
        ));
    }
    let found = program_rows::ids_by_slug(conn, slugs)?;
    if let Some(missing) = slugs.iter().find(|s| !found.iter().any(|(_, f)| f == *s)) {
        return Err(AppError::invalid(
            "programs",
            format!("programs: no program with slug `{missing}`"),
        ));
    }
    Ok(found)
}

fn slugs_of(programs: &[(i64, String)]) -> Vec<String> {
    programs.iter().map(|(_, slug)| slug.clone()).collect()
}

fn account(admin: Admin, programs: Vec<(i64, String)>) -> AppResult<Account> {
    Ok(Account {
        id: admin.id,
        email: admin.email,
        role: AdminRole::try_from(admin.role)
            .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
        programs,
        created_at: admin.created_at,
    })
}

fn not_found(id: i64) -> AppError {
    AppError::not_found(format!("no admin with id {id}"))
}
