//! A contest's settings, validated once for both doors that set them: a create is
//! a patch applied to the defaults, so both share every field rule, every
//! cross-field rule (seats need `stv`, schedule order) and every limit.

use chrono::{DateTime, Utc};

use super::{
    check_seats, parse_method, BallotReadback, Contest, ContestTitle, Description, Electorate,
    FieldError, Moderation, Phase, ResultsVisibility, Schedule, Slug, Validator,
    DEFAULT_LIVE_RESULTS_MIN_BATCH, MAX_LIVE_RESULTS_MIN_BATCH, MAX_OPEN_VOTER_LIMIT, MAX_RANKINGS,
    MAX_SEATS, MAX_SUGGESTIONS_PER_PARTICIPANT,
};
use crate::tally::Method;

/// Default of `max_suggestions_per_participant` when a create leaves it out.
pub const DEFAULT_MAX_SUGGESTIONS: i32 = 3;

/// What a create or patch request says, before validation: absent fields are
/// `None`; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub slug: Option<Option<String>>,
    pub method: Option<String>,
    pub seats: Option<i64>,
    pub electorate: Option<String>,
    pub moderation: Option<String>,
    pub results_visibility: Option<String>,
    pub max_suggestions_per_participant: Option<i64>,
    pub max_rankings: Option<Option<i64>>,
    pub live_results_min_batch: Option<i64>,
    pub ballot_readback: Option<String>,
    pub open_voter_limit: Option<Option<i64>>,
    pub schedule: Option<ScheduleInput>,
}

/// Schedule times a request sets (`Some(None)` clears one).
#[derive(Debug, Clone, Copy, Default)]
pub struct ScheduleInput {
    pub suggestions_open_at: Option<Option<DateTime<Utc>>>,
    pub voting_open_at: Option<Option<DateTime<Utc>>>,
    pub voting_close_at: Option<Option<DateTime<Utc>>>,
}

impl SettingsInput {
    /// The names of the fields this request sets, for the audit log.
    pub fn field_names(&self) -> Vec<&'static str> {
        [
            ("title", self.title.is_some()),
            ("description", self.description.is_some()),
            ("slug", self.slug.is_some()),
            ("method", self.method.is_some()),
            ("seats", self.seats.is_some()),
            ("electorate", self.electorate.is_some()),
            ("moderation", self.moderation.is_some()),
            ("results_visibility", self.results_visibility.is_some()),
            (
                "max_suggestions_per_participant",
                self.max_suggestions_per_participant.is_some(),
            ),
            ("max_rankings", self.max_rankings.is_some()),
            (
                "live_results_min_batch",
                self.live_results_min_batch.is_some(),
            ),
            ("ballot_readback", self.ballot_readback.is_some()),
            ("open_voter_limit", self.open_voter_limit.is_some()),
            ("schedule", self.schedule.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| name)
        .collect()
    }

    /// The fields this request sets that `phase` no longer lets change: once voting
    /// opened, everything that decides who votes and how ballots count, and the
    /// privacy voters were promised when they voted (`live_results_min_batch`,
    /// `ballot_readback`: docs/SECURITY.md S4, S3); once closed, the slug and
    /// the schedule too.
    pub fn locked_fields(&self, phase: Phase) -> Vec<&'static str> {
        let voting_opened = phase >= Phase::Voting;
        let closed = phase == Phase::Closed;
        [
            (voting_opened, "method", self.method.is_some()),
            (voting_opened, "seats", self.seats.is_some()),
            (voting_opened, "electorate", self.electorate.is_some()),
            (voting_opened, "moderation", self.moderation.is_some()),
            (voting_opened, "max_rankings", self.max_rankings.is_some()),
            (
                voting_opened,
                "live_results_min_batch",
                self.live_results_min_batch.is_some(),
            ),
            (
                voting_opened,
                "ballot_readback",
                self.ballot_readback.is_some(),
            ),
            (
                voting_opened,
                "max_suggestions_per_participant",
                self.max_suggestions_per_participant.is_some(),
            ),
            (closed, "slug", self.slug.is_some()),
            (closed, "open_voter_limit", self.open_voter_limit.is_some()),
            (closed, "schedule", self.schedule.is_some()),
        ]
        .into_iter()
        .filter(|(locked, _, present)| *locked && *present)
        .map(|(_, name, _)| name)
        .collect()
    }
}

/// Every setting of a contest, valid as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub title: String,
    pub description: String,
    pub slug: Option<String>,
    pub method: Method,
    pub seats: i32,
    pub electorate: Electorate,
    pub moderation: Moderation,
    pub results_visibility: ResultsVisibility,
    pub max_suggestions_per_participant: i32,
    pub max_rankings: Option<i32>,
    pub live_results_min_batch: i32,
    pub ballot_readback: BallotReadback,
    /// Open-electorate voter tokens per client address and window; `None`:
    /// the instance's default; 0: no limit.
    pub open_voter_limit: Option<i32>,
    pub schedule: Schedule,
}

impl Settings {
    /// The settings of a stored contest.
    pub fn of(c: &Contest) -> Settings {
        Settings {
            title: c.title.clone(),
            description: c.description.clone(),
            slug: c.slug.clone(),
            method: c.method,
            seats: c.seats,
            electorate: c.electorate,
            moderation: c.moderation,
            results_visibility: c.results_visibility,
            max_suggestions_per_participant: c.max_suggestions_per_participant,
            max_rankings: c.max_rankings,
            live_results_min_batch: c.live_results_min_batch,
            ballot_readback: c.ballot_readback,
            open_voter_limit: c.open_voter_limit,
            schedule: c.schedule,
        }
    }

    /// The defaults a create starts from (openapi.yaml documents them); `title`
    /// and `method` have none, so a create must set them.
    fn defaults() -> Settings {
        Settings {
            title: String::new(),
            description: String::new(),
            slug: None,
            method: Method::Irv,
            seats: 1,
            electorate: Electorate::Open,
            moderation: Moderation::Pre,
            results_visibility: ResultsVisibility::AfterClose,
            max_suggestions_per_participant: DEFAULT_MAX_SUGGESTIONS,
            max_rankings: None,
            live_results_min_batch: DEFAULT_LIVE_RESULTS_MIN_BATCH,
            ballot_readback: BallotReadback::Full,
            open_voter_limit: None,
            schedule: Schedule::default(),
        }
    }

    /// Validates a create: every field of `input` at once, then the cross-field
    /// rules, applied to the defaults.
    pub fn new_contest(input: SettingsInput) -> Result<Settings, Vec<FieldError>> {
        ContestPatch::settings(input, &Settings::defaults(), Phase::Draft)
    }
}

/// A validated patch: each field's own rules hold; cross-field rules are checked
/// when it is applied to a contest's settings in its current phase.
#[derive(Debug, Clone, Default)]
pub struct ContestPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub slug: Option<Option<String>>,
    pub method: Option<Method>,
    pub seats: Option<i32>,
    pub electorate: Option<Electorate>,
    pub moderation: Option<Moderation>,
    pub results_visibility: Option<ResultsVisibility>,
    pub max_suggestions_per_participant: Option<i32>,
    pub max_rankings: Option<Option<i32>>,
    pub live_results_min_batch: Option<i32>,
    pub ballot_readback: Option<BallotReadback>,
    pub open_voter_limit: Option<Option<i32>>,
    pub schedule: Option<ScheduleInput>,
}

fn int_in(v: &mut Validator, field: &str, value: i64, max: i32) -> Option<i32> {
    let r = if (1..=i64::from(max)).contains(&value) {
        Ok(value as i32)
    } else {
        Err(format!("must be between 1 and {max}"))
    };
    v.check(field, r)
}

impl ContestPatch {
    /// `base` with `input` applied in a contest now in `phase`: every field's
    /// own rules and the cross-field rules, every failure reported at once.
    pub fn settings(
        input: SettingsInput,
        base: &Settings,
        phase: Phase,
    ) -> Result<Settings, Vec<FieldError>> {
        let mut v = Validator::new();
        let patch = ContestPatch::parse(&mut v, input);
        let settings = patch.apply(&mut v, base, phase);
        v.finish().map(|()| settings)
    }

    /// Checks every field's own rules; a bad field is recorded in `v` and left
    /// out of the patch.
    fn parse(v: &mut Validator, input: SettingsInput) -> ContestPatch {
        ContestPatch {
            title: input
                .title
                .and_then(|t| v.check("title", ContestTitle::parse(&t).map(|t| t.into_inner()))),
            description: input.description.and_then(|d| {
                v.check(
                    "description",
                    Description::parse(&d).map(|d| d.into_inner()),
                )
            }),
            slug: input.slug.and_then(|s| match s {
                Some(s) => v
                    .check("slug", Slug::parse(&s))
                    .map(|s| Some(s.as_str().to_owned())),
                None => Some(None),
            }),
            method: input
                .method
                .and_then(|m| v.check("method", parse_method(&m))),
            seats: input.seats.and_then(|s| int_in(v, "seats", s, MAX_SEATS)),
            electorate: input
                .electorate
                .and_then(|e| v.check("electorate", Electorate::parse(&e))),
            moderation: input
                .moderation
                .and_then(|m| v.check("moderation", Moderation::parse(&m))),
            results_visibility: input
                .results_visibility
                .and_then(|r| v.check("results_visibility", ResultsVisibility::parse(&r))),
            max_suggestions_per_participant: input.max_suggestions_per_participant.and_then(|n| {
                int_in(
                    v,
                    "max_suggestions_per_participant",
                    n,
                    MAX_SUGGESTIONS_PER_PARTICIPANT,
                )
            }),
            max_rankings: input.max_rankings.and_then(|n| match n {
                Some(n) => int_in(v, "max_rankings", n, MAX_RANKINGS).map(Some),
                None => Some(None),
            }),
            live_results_min_batch: input
                .live_results_min_batch
                .and_then(|n| int_in(v, "live_results_min_batch", n, MAX_LIVE_RESULTS_MIN_BATCH)),
            ballot_readback: input
                .ballot_readback
                .and_then(|r| v.check("ballot_readback", BallotReadback::parse(&r))),
            open_voter_limit: input.open_voter_limit.and_then(|n| match n {
                Some(n) => {
                    let r = if (0..=i64::from(MAX_OPEN_VOTER_LIMIT)).contains(&n) {
                        Ok(Some(n as i32))
                    } else {
                        Err(format!(
                            "must be between 0 (no limit) and {MAX_OPEN_VOTER_LIMIT}, or null for the service's default"
                        ))
                    };
                    v.check("open_voter_limit", r)
                }
                None => Some(None),
            }),
            schedule: input.schedule,
        }
    }

    /// `base` with this patch applied, in a contest now in `phase`: checks that
    /// seats suit the method and that the schedule stays in order, and refuses a
    /// schedule time whose phase has already been reached.
    fn apply(&self, v: &mut Validator, base: &Settings, phase: Phase) -> Settings {
        let mut s = base.clone();
        if let Some(t) = &self.title {
            s.title.clone_from(t);
        }
        if let Some(d) = &self.description {
            s.description.clone_from(d);
        }
        if let Some(slug) = &self.slug {
            s.slug.clone_from(slug);
        }
        s.method = self.method.unwrap_or(s.method);
        s.seats = self.seats.unwrap_or(s.seats);
        let cross_check = !v.has("method") && !v.has("seats");
        if cross_check && (self.method.is_some() || self.seats.is_some()) {
            if let Err(message) = check_seats(s.method, s.seats) {
                v.push("seats", message);
            }
        }
        s.electorate = self.electorate.unwrap_or(s.electorate);
        s.moderation = self.moderation.unwrap_or(s.moderation);
        s.results_visibility = self.results_visibility.unwrap_or(s.results_visibility);
        s.max_suggestions_per_participant = self
            .max_suggestions_per_participant
            .unwrap_or(s.max_suggestions_per_participant);
        s.max_rankings = self.max_rankings.unwrap_or(s.max_rankings);
        s.live_results_min_batch = self
            .live_results_min_batch
            .unwrap_or(s.live_results_min_batch);
        s.ballot_readback = self.ballot_readback.unwrap_or(s.ballot_readback);
        s.open_voter_limit = self.open_voter_limit.unwrap_or(s.open_voter_limit);
        if let Some(edit) = self.schedule {
            s.schedule = merge_schedule(v, base.schedule, edit, phase);
        }
        s
    }
}

/// `current` with the times `edit` sets; a time whose phase `phase` has reached
/// cannot change, and the result must be in order.
fn merge_schedule(
    v: &mut Validator,
    current: Schedule,
    edit: ScheduleInput,
    phase: Phase,
) -> Schedule {
    let mut merged = current;
    let edits = [
        (
            Phase::Suggesting,
            "suggestions_open_at",
            edit.suggestions_open_at,
        ),
        (Phase::Voting, "voting_open_at", edit.voting_open_at),
        (Phase::Closed, "voting_close_at", edit.voting_close_at),
    ];
    for (opens, field, edit) in edits {
        let Some(new) = edit else { continue };
        if phase >= opens {
            v.push(
                &format!("schedule.{field}"),
                format!("the contest is already `{phase}`; the time that opened `{opens}` can no longer change"),
            );
            continue;
        }
        match opens {
            Phase::Suggesting => merged.suggestions_open_at = new,
            Phase::Voting => merged.voting_open_at = new,
            _ => merged.voting_close_at = new,
        }
    }
    if let Err((field, message)) = merged.check_order() {
        v.push(&format!("schedule.{field}"), message);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str, method: &str) -> SettingsInput {
        SettingsInput {
            title: Some(title.into()),
            method: Some(method.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_create_is_a_patch_applied_to_the_defaults() {
        let s = Settings::new_contest(input("Name the blog", "schulze")).unwrap();
        assert_eq!(s.method, Method::Schulze);
        assert_eq!(s.seats, 1);
        assert_eq!(s.max_suggestions_per_participant, DEFAULT_MAX_SUGGESTIONS);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut i = input("", "coin_toss");
        i.seats = Some(0);
        let errors = Settings::new_contest(i).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "method", "seats"]);
    }

    #[test]
    fn seats_above_one_need_stv_on_create_and_patch() {
        let mut i = input("x", "irv");
        i.seats = Some(3);
        assert_eq!(Settings::new_contest(i).unwrap_err()[0].field, "seats");
        let base = Settings::new_contest(input("x", "stv")).unwrap();
        let seats = SettingsInput {
            seats: Some(3),
            ..Default::default()
        };
        let patched = ContestPatch::settings(seats, &base, Phase::Draft).unwrap();
        assert_eq!(patched.seats, 3);
    }

    #[test]
    fn voting_locks_what_decides_the_count() {
        let input = SettingsInput {
            method: Some("borda".into()),
            title: Some("New".into()),
            ..Default::default()
        };
        assert!(input.locked_fields(Phase::Suggesting).is_empty());
        assert_eq!(input.locked_fields(Phase::Voting), ["method"]);
        let privacy = SettingsInput {
            live_results_min_batch: Some(1),
            ballot_readback: Some("full".into()),
            ..Default::default()
        };
        assert!(privacy.locked_fields(Phase::Suggesting).is_empty());
        assert_eq!(
            privacy.locked_fields(Phase::Voting),
            ["live_results_min_batch", "ballot_readback"]
        );
    }

    #[test]
    fn the_privacy_settings_have_defaults_and_bounds() {
        let s = Settings::new_contest(input("x", "irv")).unwrap();
        assert_eq!(s.live_results_min_batch, DEFAULT_LIVE_RESULTS_MIN_BATCH);
        assert_eq!(s.ballot_readback, BallotReadback::Full);
        let mut i = input("x", "irv");
        i.live_results_min_batch = Some(0);
        i.ballot_readback = Some("none".into());
        let fields: Vec<String> = Settings::new_contest(i)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["live_results_min_batch", "ballot_readback"]);
    }

    #[test]
    fn the_open_voter_limit_is_optional_bounded_and_changes_until_close() {
        let s = Settings::new_contest(input("x", "irv")).unwrap();
        assert_eq!(s.open_voter_limit, None);
        let set = |n: Option<i64>| SettingsInput {
            open_voter_limit: Some(n),
            ..Default::default()
        };
        let patched = ContestPatch::settings(set(Some(0)), &s, Phase::Voting).unwrap();
        assert_eq!(patched.open_voter_limit, Some(0));
        let cleared = ContestPatch::settings(set(None), &patched, Phase::Voting).unwrap();
        assert_eq!(cleared.open_voter_limit, None);
        let errors = ContestPatch::settings(set(Some(-1)), &s, Phase::Draft).unwrap_err();
        assert_eq!(errors[0].field, "open_voter_limit");
        assert!(set(Some(5)).locked_fields(Phase::Voting).is_empty());
        assert_eq!(
            set(Some(5)).locked_fields(Phase::Closed),
            ["open_voter_limit"]
        );
    }
}
