//! The tables, as diesel sees them; the same on both backends (see `migrations/`).
//! `tests/api/schema.rs` checks every column here against both migrated databases.

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    admins (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        role -> Text,
    }
}

diesel::table! {
    admin_programs (admin_id, program_id) {
        admin_id -> BigInt,
        program_id -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        program_id -> Nullable<BigInt>,
        actor -> Text,
        actor_label -> Text,
        action -> Text,
        subject -> Text,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
        request_id -> Text,
    }
}

diesel::table! {
    programs (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        time_zone -> Text,
        currency -> Text,
        point_name -> Text,
        point_value -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        auto_enrol -> Bool,
        config_version -> BigInt,
        tier_policy -> Nullable<Text>,
        expiry_policy -> Nullable<Text>,
        birthday_policy -> Nullable<Text>,
        analytics_settings -> Nullable<Text>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        program_id -> BigInt,
        name -> Text,
        prefix -> Text,
        secret_digest -> Text,
        scopes -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        rate_limit -> Nullable<Integer>,
    }
}

diesel::table! {
    members (id) {
        id -> BigInt,
        program_id -> BigInt,
        external_id -> Text,
        email -> Nullable<Text>,
        name -> Nullable<Text>,
        birthday -> Nullable<Date>,
        referral_code -> Text,
        referred_by -> Nullable<BigInt>,
        status -> Text,
        points_available -> BigInt,
        points_pending -> BigInt,
        points_debt -> BigInt,
        lifetime_earned -> BigInt,
        lifetime_redeemed -> BigInt,
        enrolled_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        tier -> Nullable<Text>,
        tier_since -> Nullable<Timestamp>,
        tier_held_until -> Nullable<Timestamp>,
        tier_qualified_at -> Nullable<Timestamp>,
        last_activity_at -> Nullable<Timestamp>,
        birthday_md -> Nullable<Integer>,
        last_event_at -> Nullable<Timestamp>,
        engagement -> Text,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> BigInt,
        program_id -> BigInt,
        member_id -> BigInt,
        kind -> Text,
        points -> BigInt,
        balance_after -> BigInt,
        reason -> Nullable<Text>,
        order_id -> Nullable<Text>,
        reverses_entry_id -> Nullable<BigInt>,
        api_key_id -> Nullable<BigInt>,
        admin_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        event_id -> Nullable<BigInt>,
        rule_id -> Nullable<BigInt>,
        rule_version -> Nullable<Integer>,
        redemption_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    lots (id) {
        id -> BigInt,
        member_id -> BigInt,
        entry_id -> BigInt,
        points -> BigInt,
        remaining -> BigInt,
        available_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        pending -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    lot_links (id) {
        id -> BigInt,
        entry_id -> BigInt,
        lot_id -> BigInt,
        points -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    debts (entry_id) {
        entry_id -> BigInt,
        member_id -> BigInt,
        points -> BigInt,
        remaining -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> BigInt,
        program_id -> BigInt,
        idempotency_key -> Text,
        operation -> Text,
        request_digest -> Text,
        status_code -> Integer,
        response_body -> Text,
        entry_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        owner -> Text,
    }
}

diesel::table! {
    rules (id) {
        id -> BigInt,
        program_id -> BigInt,
        slug -> Text,
        version -> Integer,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    rule_versions (id) {
        id -> BigInt,
        rule_id -> BigInt,
        version -> Integer,
        definition -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        program_id -> BigInt,
        external_id -> Text,
        member_id -> BigInt,
        #[sql_name = "type"]
        kind -> Text,
        occurred_at -> Timestamp,
        received_at -> Timestamp,
        request_digest -> Text,
        payload -> Text,
        outcome -> Text,
        order_id -> Nullable<Text>,
        amount_minor -> Nullable<BigInt>,
        points_earned -> BigInt,
        refunded_minor -> BigInt,
        points_reversed -> BigInt,
        api_key_id -> Nullable<BigInt>,
        qualifying_minor -> Nullable<BigInt>,
    }
}

diesel::table! {
    rule_usage (member_id, rule_id, period_key) {
        member_id -> BigInt,
        rule_id -> BigInt,
        period_key -> Text,
        uses -> BigInt,
        points -> BigInt,
    }
}

diesel::table! {
    member_event_counts (member_id, event_type) {
        member_id -> BigInt,
        event_type -> Text,
        events -> BigInt,
        amount_minor -> BigInt,
    }
}

diesel::table! {
    qualifying_activity (id) {
        id -> BigInt,
        member_id -> BigInt,
        occurred_at -> Timestamp,
        amount -> BigInt,
        event_id -> Nullable<BigInt>,
        month -> Timestamp,
    }
}

diesel::table! {
    qualifying_months (member_id, month) {
        member_id -> BigInt,
        month -> Timestamp,
        amount -> BigInt,
    }
}

diesel::table! {
    tier_changes (id) {
        id -> BigInt,
        member_id -> BigInt,
        from_tier -> Nullable<Text>,
        to_tier -> Text,
        change -> Text,
        reason -> Text,
        held_until -> Nullable<Timestamp>,
        event_id -> Nullable<BigInt>,
        admin_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    birthday_grants (id) {
        id -> BigInt,
        member_id -> BigInt,
        year -> Integer,
        reward -> Text,
        valid_until -> Timestamp,
        created_at -> Timestamp,
        redemption_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    rewards (id) {
        id -> BigInt,
        program_id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        cost -> BigInt,
        kind -> Text,
        amount_minor -> Nullable<BigInt>,
        percent -> Nullable<Integer>,
        min_tier -> Nullable<Text>,
        stock -> Nullable<BigInt>,
        per_member_limit -> Nullable<Integer>,
        limit_period -> Nullable<Text>,
        active_from -> Nullable<Timestamp>,
        active_until -> Nullable<Timestamp>,
        voucher_days -> Nullable<Integer>,
        refund_on_expiry -> Bool,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    redemptions (id) {
        id -> BigInt,
        public_id -> Text,
        code -> Text,
        program_id -> BigInt,
        member_id -> BigInt,
        reward_id -> BigInt,
        points_spent -> BigInt,
        entry_id -> Nullable<BigInt>,
        reverse_entry_id -> Nullable<BigInt>,
        status -> Text,
        source -> Text,
        order_id -> Nullable<Text>,
        api_key_id -> Nullable<BigInt>,
        issued_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        settled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    stats_hourly (program_id, hour, shard) {
        program_id -> BigInt,
        hour -> Timestamp,
        shard -> Integer,
        enrolments -> BigInt,
        purchases -> BigInt,
        purchase_minor -> BigInt,
        refunds -> BigInt,
        refund_minor -> BigInt,
        reviews -> BigInt,
        referrals_paid -> BigInt,
        points_issued -> BigInt,
        points_redeemed -> BigInt,
        points_expired -> BigInt,
        points_reversed -> BigInt,
        vouchers_issued -> BigInt,
        vouchers_used -> BigInt,
        tier_upgrades -> BigInt,
        tier_downgrades -> BigInt,
    }
}

diesel::table! {
    member_months (member_id, month) {
        member_id -> BigInt,
        month -> Text,
    }
}

diesel::table! {
    cohort_activity (program_id, cohort, month, shard) {
        program_id -> BigInt,
        cohort -> Text,
        month -> Text,
        shard -> Integer,
        active -> BigInt,
        retained -> BigInt,
    }
}

diesel::table! {
    game_elements (id) {
        id -> BigInt,
        program_id -> BigInt,
        kind -> Text,
        slug -> Text,
        status -> Text,
        definition -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    member_badges (id) {
        id -> BigInt,
        member_id -> BigInt,
        badge_id -> BigInt,
        level -> Integer,
        points -> BigInt,
        source -> Text,
        event_id -> Nullable<BigInt>,
        earned_at -> Timestamp,
    }
}

diesel::table! {
    badge_progress (member_id, badge_id) {
        member_id -> BigInt,
        badge_id -> BigInt,
        progress -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    challenge_progress (member_id, challenge_id, window_key) {
        member_id -> BigInt,
        challenge_id -> BigInt,
        window_key -> Text,
        progress -> BigInt,
        joined_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
        completed_event_id -> Nullable<BigInt>,
        reward_points -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    member_streaks (member_id, streak_id) {
        member_id -> BigInt,
        streak_id -> BigInt,
        current_length -> Integer,
        longest_length -> Integer,
        last_period -> Date,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    leaderboard_scores (leaderboard_id, period_key, member_id) {
        leaderboard_id -> BigInt,
        period_key -> Text,
        member_id -> BigInt,
        score -> BigInt,
        reached_seq -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    leaderboard_score_counts (leaderboard_id, period_key, grain, score_from, shard) {
        leaderboard_id -> BigInt,
        period_key -> Text,
        grain -> Integer,
        score_from -> BigInt,
        shard -> Integer,
        members -> BigInt,
    }
}

diesel::table! {
    open_points (program_id, expires_at, shard) {
        program_id -> BigInt,
        expires_at -> Timestamp,
        shard -> Integer,
        points -> BigInt,
    }
}

diesel::table! {
    engagement_counts (program_id, engagement, shard) {
        program_id -> BigInt,
        engagement -> Text,
        shard -> Integer,
        members -> BigInt,
    }
}

diesel::joinable!(admin_programs -> admins (admin_id));
diesel::joinable!(admin_programs -> programs (program_id));
diesel::joinable!(audit_log -> programs (program_id));
diesel::joinable!(api_keys -> programs (program_id));
diesel::joinable!(ledger_entries -> events (event_id));
diesel::joinable!(ledger_entries -> rules (rule_id));
diesel::joinable!(rule_versions -> rules (rule_id));
diesel::joinable!(redemptions -> rewards (reward_id));
diesel::joinable!(members -> programs (program_id));
diesel::joinable!(ledger_entries -> members (member_id));
diesel::joinable!(lots -> members (member_id));
diesel::joinable!(lot_links -> lots (lot_id));
diesel::joinable!(member_badges -> members (member_id));
diesel::joinable!(leaderboard_scores -> members (member_id));
diesel::joinable!(member_badges -> game_elements (badge_id));

diesel::allow_tables_to_appear_in_same_query!(
    settings,
    admins,
    admin_programs,
    audit_log,
    programs,
    api_keys,
    members,
    ledger_entries,
    lots,
    lot_links,
    debts,
    idempotency_keys,
    rules,
    rule_versions,
    events,
    rule_usage,
    member_event_counts,
    qualifying_activity,
    qualifying_months,
    tier_changes,
    birthday_grants,
    rewards,
    redemptions,
    stats_hourly,
    member_months,
    cohort_activity,
    game_elements,
    member_badges,
    badge_progress,
    challenge_progress,
    member_streaks,
    leaderboard_scores,
    leaderboard_score_counts,
    open_points,
    engagement_counts,
);
