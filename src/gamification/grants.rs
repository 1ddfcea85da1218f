//! Writing what members earn from the game layer: badge levels and bonus points, in the
//! caller's transaction, on a member it has locked.

use chrono::NaiveDateTime;
use diesel::RunQueryDsl;

use super::BadgeEarned;
use crate::db::DbConnection;
use crate::db::models::badges::{self as rows, NewMemberBadge};
use crate::db::models::members::MemberRow;
use crate::domain::Points;
use crate::engine::game::{GameConfig, Grant};
use crate::error::AppResult;
use crate::ledger::EntryKind;
use crate::ledger::posting::{self, Cause, Credit};
use crate::programs::Program;

/// Why badges are granted, and the terms of the bonus points that come with them.
pub struct Granting<'a> {
    pub program: &'a Program,
    pub config: &'a GameConfig,
    /// `event`, `retroactive` or `tier_change`.
    pub source: &'static str,
    /// The event that earned them, if one did.
    pub event_id: Option<i64>,
    /// Bonus points become available then (with the event's own points: pending while they
    /// are) ...
    pub available_at: NaiveDateTime,
    /// ... and their lot expires as the program's policy says for points earned then.
    pub earned_at: NaiveDateTime,
    pub now: NaiveDateTime,
}

impl Granting<'_> {
    /// Credits bonus points to the locked member as an `earn` entry and lot.
    pub fn credit(
        &self,
        tx: &mut DbConnection,
        member: MemberRow,
        points: i64,
        reason: String,
    ) -> AppResult<MemberRow> {
        if points <= 0 {
            return Ok(member);
        }
        let program = self.program;
        let credit = Credit {
            kind: EntryKind::Earn,
            points: Points(points),
            available_at: self.available_at.max(self.now),
            expires_at: program.expiry.lot_expiry(program.time_zone, self.earned_at),
            cause: Cause {
                reason: Some(reason),
                event_id: self.event_id,
                ..Cause::default()
            },
        };
        Ok(posting::credit(tx, &member, &credit, self.now)?.member)
    }

    /// Records the badge levels and pays their bonuses; returns the member after and what it
    /// earned. `for_other` names the member when it is not the event's (a referrer).
    pub fn badges(
        &self,
        tx: &mut DbConnection,
        member: MemberRow,
        grants: &[Grant],
        for_other: bool,
    ) -> AppResult<(MemberRow, Vec<BadgeEarned>)> {
        let mut member = member;
        let mut earned = Vec::with_capacity(grants.len());
        for grant in grants {
            let Some(badge) = self.config.badge(grant.badge_id) else {
                continue;
            };
            rows::insert(&NewMemberBadge {
                member_id: member.id,
                badge_id: grant.badge_id,
                level: grant.level,
                points: grant.points,
                source: self.source,
                event_id: self.event_id,
                earned_at: self.now,
            })
            .execute(tx)?;
            let reason = badge.bonus_reason(grant.level);
            member = self.credit(tx, member, grant.points, reason)?;
            earned.push(BadgeEarned {
                slug: badge.slug.clone(),
                name: badge.name.clone(),
                level: grant.level,
                level_name: badge.level_name(grant.level),
                points: grant.points,
                member: for_other.then(|| member.external_id.clone()),
            });
        }
        Ok((member, earned))
    }
}

/// The bonus points of what was earned.
pub fn points_of(earned: &[BadgeEarned]) -> i64 {
    earned.iter().map(|e| e.points).sum()
}
