// The diesel schema of `migrations/`, as `diesel print-schema` writes it.

diesel::table! {
    organisations (id) {
        id -> Uuid,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        org_id -> Uuid,
        name -> Text,
        key_hash -> Bytea,
        key_prefix -> Text,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    contests (id) {
        id -> Uuid,
        org_id -> Uuid,
        slug -> Nullable<Text>,
        title -> Text,
        description -> Text,
        method -> Text,
        seats -> Int4,
        electorate -> Text,
        moderation -> Text,
        results_visibility -> Text,
        max_suggestions_per_participant -> Int4,
        max_rankings -> Nullable<Int4>,
        phase -> Text,
        suggestions_open_at -> Nullable<Timestamptz>,
        voting_open_at -> Nullable<Timestamptz>,
        voting_close_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        live_results_min_batch -> Int4,
        ballot_readback -> Text,
        open_voter_limit -> Nullable<Int4>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        org_id -> Uuid,
        contest_id -> Nullable<Uuid>,
        actor -> Text,
        action -> Text,
        details -> Jsonb,
        at -> Timestamptz,
    }
}

diesel::joinable!(api_keys -> organisations (org_id));
diesel::joinable!(contests -> organisations (org_id));
diesel::joinable!(audit_log -> organisations (org_id));
diesel::joinable!(audit_log -> contests (contest_id));

diesel::allow_tables_to_appear_in_same_query!(organisations, api_keys, contests, audit_log);

diesel::table! {
    allowed_origins (org_id, origin) {
        org_id -> Uuid,
        origin -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(allowed_origins -> organisations (org_id));
diesel::allow_tables_to_appear_in_same_query!(allowed_origins, contests);

// Participation (migration 2026-11-27-000002_participation).

diesel::table! {
    voters (contest_id, voter_hash) {
        contest_id -> Uuid,
        voter_hash -> Bytea,
        suggestions_made -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    voter_codes (contest_id, code_hash) {
        contest_id -> Uuid,
        code_hash -> Bytea,
        voter_id -> Uuid,
        created_at -> Timestamptz,
        redeemed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    voter_jwt_keys (org_id) {
        org_id -> Uuid,
        alg -> Text,
        secret -> Nullable<Bytea>,
        public_key_pem -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    voter_rate_limits (contest_id, bucket_key, window_start) {
        contest_id -> Uuid,
        bucket_key -> Text,
        window_start -> Timestamptz,
        count -> Int4,
    }
}

diesel::table! {
    suggestions (id) {
        id -> Uuid,
        contest_id -> Uuid,
        candidate_no -> Int4,
        name -> Text,
        dedupe_key -> Text,
        note -> Nullable<Text>,
        status -> Text,
        merged_into -> Nullable<Uuid>,
        support_count -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        key_version -> Int2,
    }
}

diesel::table! {
    suggestion_supports (suggestion_id, voter_hash) {
        contest_id -> Uuid,
        suggestion_id -> Uuid,
        voter_hash -> Bytea,
        kind -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(voters -> contests (contest_id));
diesel::joinable!(voter_codes -> contests (contest_id));
diesel::joinable!(voter_rate_limits -> contests (contest_id));
diesel::joinable!(suggestions -> contests (contest_id));
diesel::joinable!(suggestion_supports -> suggestions (suggestion_id));

diesel::allow_tables_to_appear_in_same_query!(
    contests,
    voters,
    voter_codes,
    voter_jwt_keys,
    voter_rate_limits,
    suggestions,
    suggestion_supports,
);

// Ballots and the result cache (migration 2026-11-27-000003_ballots).

diesel::table! {
    ballots (contest_id, voter_hash) {
        contest_id -> Uuid,
        voter_hash -> Bytea,
        ranking -> Nullable<Array<Int4>>,
        receipt -> Nullable<Text>,
        revision -> Int4,
        version -> Int8,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    result_cache (contest_id, method) {
        contest_id -> Uuid,
        method -> Text,
        version -> Int8,
        #[sql_name = "final"]
        final_ -> Bool,
        body -> Text,
        etag -> Text,
        computed_at -> Timestamptz,
        seq -> Int8,
    }
}

// Published live states (migration 2026-12-01-000006_live_batches_and_readback).

diesel::table! {
    live_results (contest_id) {
        contest_id -> Uuid,
        seq -> Int8,
        version -> Int8,
        phase -> Text,
        published_at -> Timestamptz,
    }
}

diesel::joinable!(live_results -> contests (contest_id));

diesel::joinable!(ballots -> contests (contest_id));
diesel::joinable!(result_cache -> contests (contest_id));

diesel::table! {
    webhook_endpoints (id) {
        id -> Uuid,
        org_id -> Uuid,
        url -> Text,
        events -> Array<Text>,
        description -> Text,
        secret_salt -> Bytea,
        enabled -> Bool,
        failing_since -> Nullable<Timestamptz>,
        disabled_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Uuid,
        org_id -> Uuid,
        contest_id -> Nullable<Uuid>,
        #[sql_name = "type"]
        type_ -> Text,
        body -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        seq -> Int8,
        event_id -> Uuid,
        endpoint_id -> Uuid,
        org_id -> Uuid,
        contest_id -> Nullable<Uuid>,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_attempt_at -> Nullable<Timestamptz>,
        last_status_code -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        last_response -> Nullable<Text>,
        delivered_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_result_marks (contest_id) {
        contest_id -> Uuid,
        org_id -> Uuid,
        version -> Int8,
        notified_at -> Timestamptz,
    }
}

diesel::joinable!(webhook_endpoints -> organisations (org_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));
diesel::allow_tables_to_appear_in_same_query!(
    webhook_endpoints,
    webhook_events,
    webhook_deliveries
);
