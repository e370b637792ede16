//! Suggestions and moderation: a participant suggests a name (or, for a name
//! already there, supports it), the public and admins list and search them, and
//! an admin approves, rejects or merges them while the contest is `suggesting`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::contests::{load_visible, lock_current};
use super::{Admin, App};
use crate::db::{self, suggestions::SuggestionRow, Conn};
use crate::domain::{
    Contest, ContestId, Moderation, Phase, SuggestionId, SuggestionName, SuggestionNote,
    SuggestionStatus, DEDUPE_KEY_VERSION,
};
use crate::error::{AppError, AppResult};

/// Where a page of suggestions starts: `(support_count, created_at, id)` of the
/// last suggestion of the page before.
pub type ListCursor = (i32, DateTime<Utc>, Uuid);

/// The lowest score `similar` and the admin list's `likely_duplicates` report.
pub const MIN_SIMILARITY: f64 = 0.4;

/// A suggestion as participants and admins see it.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub id: Uuid,
    /// The suggestion's small per-contest number (ballot exports use it).
    pub candidate_no: i32,
    pub name: String,
    pub note: Option<String>,
    pub status: SuggestionStatus,
    /// Participants who suggested this name (the first one included), merged
    /// suggestions' supporters included.
    pub support_count: i32,
    /// Names of the suggestions merged into this one.
    pub aliases: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// For a merged suggestion: the one it was merged into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<Uuid>,
    /// Admin list only: other open suggestions with similar names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub likely_duplicates: Option<Vec<LikelyDuplicate>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LikelyDuplicate {
    pub id: Uuid,
    pub name: String,
    pub score: f64,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl Suggestion {
    fn new(row: SuggestionRow, aliases: Vec<String>) -> Self {
        Suggestion {
            id: row.id,
            candidate_no: row.candidate_no,
            name: row.name,
            note: row.note,
            status: row.status,
            support_count: row.support_count,
            aliases,
            created_at: row.created_at,
            merged_into: row.merged_into,
            likely_duplicates: None,
        }
    }
}

/// `rows` with their aliases (one query).
fn with_aliases(conn: &mut Conn, rows: Vec<SuggestionRow>) -> AppResult<Vec<Suggestion>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut aliases: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    for (target, name) in db::suggestions::aliases(conn, &ids)? {
        aliases.entry(target).or_default().push(name);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let a = aliases.remove(&r.id).unwrap_or_default();
            Suggestion::new(r, a)
        })
        .collect())
}

fn one(conn: &mut Conn, row: SuggestionRow) -> AppResult<Suggestion> {
    with_aliases(conn, vec![row])?
        .pop()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("view of one row missing")))
}

/// A suggestion that must exist (it was just written or read in this
/// transaction).
fn reread(conn: &mut Conn, contest: ContestId, id: SuggestionId) -> AppResult<SuggestionRow> {
    db::suggestions::find(conn, contest, id)?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("suggestion vanished")))
}

/// What a suggestion request did.
pub enum Suggested {
    /// A new candidate name.
    New(Suggestion),
    /// The name (after normalisation) was there already: the participant now
    /// supports it, unless they did before. `existing` is `None` when that
    /// suggestion is not public (pending under pre-moderation, or rejected): a
    /// participant then learns only that the name is taken, not its id, status,
    /// note or support (docs/SECURITY.md).
    Duplicate {
        existing: Option<Suggestion>,
        support_recorded: bool,
    },
}

fn wrong_phase(phase: Phase, what: &str) -> AppError {
    AppError::conflict(
        "wrong_phase",
        format!("{what} only while the contest is `suggesting`; it is `{phase}`"),
    )
}

/// A participant (`voter_hash`, the keyed hash of their identity) suggests
/// `name` in a contest that is `suggesting`. A name whose dedupe key another
/// suggestion has is not a new candidate: it counts as support for that one.
/// Each participant may add at most `max_suggestions_per_participant` names.
pub async fn suggest(
    app: &App,
    contest_id: ContestId,
    voter_hash: [u8; 32],
    name: SuggestionName,
    note: Option<SuggestionNote>,
) -> AppResult<Suggested> {
    let now = Utc::now();
    app.db(move |conn| {
        db::transaction(conn, |conn| {
            let contest = db::suggestions::lock_contest(conn, contest_id)?
                .ok_or_else(|| AppError::not_found("contest"))?;
            let phase = contest.phase_at(now);
            if phase != Phase::Suggesting {
                return Err(wrong_phase(phase, "names can be suggested"));
            }
            if let Some(found) = db::suggestions::find_by_key(conn, contest_id, name.dedupe_key())?
            {
                return support_existing(conn, &contest, found, &voter_hash);
            }
            add_new(conn, &contest, &voter_hash, name, note).map(Suggested::New)
        })
    })
    .await
}

/// The participant's support for the suggestion `found` (or the one it was
/// merged into). A hidden one (pending or rejected) is not shown at all.
fn support_existing(
    conn: &mut Conn,
    contest: &Contest,
    found: SuggestionRow,
    voter_hash: &[u8; 32],
) -> AppResult<Suggested> {
    let contest_id = contest.id;
    let target = SuggestionId(found.merged_into.unwrap_or(found.id));
    let existing = reread(conn, contest_id, target)?;
    let recorded = db::suggestions::add_support(
        conn,
        contest_id,
        SuggestionId(existing.id),
        voter_hash,
        db::suggestions::SECONDED,
    )?;
    let existing = reread(conn, contest_id, SuggestionId(existing.id))?;
    let visible = db::suggestions::visible_statuses(contest.moderation).contains(&existing.status);
    let existing = if visible {
        Some(one(conn, existing)?)
    } else {
        None
    };
    Ok(Suggested::Duplicate {
        existing,
        support_recorded: recorded,
    })
}

/// A new suggestion, pending or (with `moderation: post`) approved at once,
/// with its submitter's support.
fn add_new(
    conn: &mut Conn,
    contest: &Contest,
    voter_hash: &[u8; 32],
    name: SuggestionName,
    note: Option<SuggestionNote>,
) -> AppResult<Suggestion> {
    let contest_id = contest.id;
    let made = db::voters::count_suggestion(conn, contest_id, voter_hash)?;
    if made > contest.max_suggestions_per_participant {
        return Err(AppError::conflict(
            "suggestion_limit_reached",
            format!(
                "each participant may suggest at most {} names in this contest; suggesting a name someone else already suggested still counts as support",
                contest.max_suggestions_per_participant
            ),
        ));
    }
    let status = match contest.moderation {
        Moderation::Pre => SuggestionStatus::Pending,
        Moderation::Post => SuggestionStatus::Approved,
    };
    let (display, key) = name.into_parts();
    let candidate_no = db::suggestions::next_candidate_no(conn, contest_id)?;
    let row = db::suggestions::insert(
        conn,
        db::suggestions::NewSuggestionRow {
            id: Uuid::new_v4(),
            contest_id: contest_id.0,
            candidate_no,
            name: display,
            dedupe_key: key,
            note: note.map(SuggestionNote::into_inner),
            status,
            key_version: DEDUPE_KEY_VERSION,
        },
    )?;
    let id = SuggestionId(row.id);
    db::suggestions::add_support(conn, contest_id, id, voter_hash, db::suggestions::SUBMITTED)?;
    let row = reread(conn, contest_id, id)?;
    super::webhooks::emit_suggestion_created(conn, contest.org_id, &row)?;
    one(conn, row)
}

/// A page of suggestions by support (most first) then time (oldest first).
pub struct SuggestionPage {
    pub items: Vec<Suggestion>,
    /// Where the next page starts, when there is one.
    pub next: Option<ListCursor>,
}

/// The suggestions `caller` may see (the public: the visible ones; an admin of
/// the organisation: all, each open one with its `likely_duplicates`), with
/// status `filter` if given, after `after`, at most `limit`.
pub async fn list(
    app: &App,
    caller: Option<Admin>,
    id: ContestId,
    filter: Option<SuggestionStatus>,
    after: Option<ListCursor>,
    limit: i64,
) -> AppResult<SuggestionPage> {
    let is_admin = caller.is_some();
    let contest = load_visible(app, caller, id).await?;
    let allowed: &[SuggestionStatus] = if is_admin {
        SuggestionStatus::ALL
    } else {
        db::suggestions::visible_statuses(contest.moderation)
    };
    let statuses: Vec<SuggestionStatus> = allowed
        .iter()
        .copied()
        .filter(|s| filter.is_none_or(|f| f == *s))
        .collect();
    app.db(move |conn| {
        let mut rows = db::suggestions::list(conn, id, &statuses, after, limit + 1)?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| (r.support_count, r.created_at, r.id))
        } else {
            None
        };
        let open: Vec<Uuid> = rows
            .iter()
            .filter(|r| {
                matches!(
                    r.status,
                    SuggestionStatus::Pending | SuggestionStatus::Approved
                )
            })
            .map(|r| r.id)
            .collect();
        let mut items = with_aliases(conn, rows)?;
        if is_admin {
            add_likely_duplicates(conn, id, &open, &mut items)?;
        }
        Ok(SuggestionPage { items, next })
    })
    .await
}

fn add_likely_duplicates(
    conn: &mut Conn,
    id: ContestId,
    open: &[Uuid],
    items: &mut [Suggestion],
) -> AppResult<()> {
    let mut dups: BTreeMap<Uuid, Vec<LikelyDuplicate>> = BTreeMap::new();
    for p in db::suggestions::likely_duplicates(conn, id, open, MIN_SIMILARITY)? {
        dups.entry(p.id).or_default().push(LikelyDuplicate {
            id: p.other_id,
            name: p.other_name,
            score: round3(p.score),
        });
    }
    for item in items {
        if open.contains(&item.id) {
            item.likely_duplicates = Some(dups.remove(&item.id).unwrap_or_default());
        }
    }
    Ok(())
}

/// The suggestions `caller` may see (the public: visible ones; an admin:
/// pending and approved) whose names are close to `name`, best first, with
/// their score (0–1, rounded to 3 places; 1 = the same dedupe key).
pub async fn similar(
    app: &App,
    caller: Option<Admin>,
    id: ContestId,
    name: SuggestionName,
    limit: i64,
) -> AppResult<Vec<(Suggestion, f64)>> {
    let is_admin = caller.is_some();
    let contest = load_visible(app, caller, id).await?;
    let statuses: &'static [SuggestionStatus] = if is_admin {
        &[SuggestionStatus::Pending, SuggestionStatus::Approved]
    } else {
        db::suggestions::visible_statuses(contest.moderation)
    };
    app.db(move |conn| {
        let rows = db::suggestions::similar(
            conn,
            id,
            name.as_str(),
            name.dedupe_key(),
            statuses,
            MIN_SIMILARITY,
            limit,
        )?;
        let scores: Vec<f64> = rows.iter().map(|r| round3(r.score)).collect();
        let items = with_aliases(conn, rows.into_iter().map(|r| r.suggestion).collect())?;
        Ok(items.into_iter().zip(scores).collect())
    })
    .await
}

/// What an admin does to a suggestion.
#[derive(Debug, Clone, Copy)]
pub enum Moderate {
    /// Approve or reject (not `pending` or `merged`).
    Status(SuggestionStatus),
    /// Merge into another suggestion of the contest.
    Merge(SuggestionId),
}

/// Approves, rejects or merges a suggestion (audited). Only while the contest is
/// `suggesting`: once voting opened the candidates are fixed, so no ballot
/// changes meaning. A merge is final. Returns the suggestion as it is now.
pub async fn moderate(
    app: &App,
    admin: Admin,
    contest_id: ContestId,
    sid: SuggestionId,
    action: Moderate,
) -> AppResult<Suggestion> {
    let now = Utc::now();
    app.db(move |conn| {
        db::transaction(conn, |conn| {
            let (_, phase) = lock_current(conn, admin.org_id, contest_id, now)?;
            let source = db::suggestions::find(conn, contest_id, sid)?
                .ok_or_else(|| AppError::not_found("suggestion"))?;
            if phase != Phase::Suggesting {
                return Err(AppError::conflict(
                    "locked_by_phase",
                    format!("suggestions can be moderated and merged only while the contest is `suggesting`; it is `{phase}`, so the candidates are fixed"),
                ));
            }
            if let Some(target) = source.merged_into {
                return Err(AppError::conflict(
                    "already_merged",
                    format!("this suggestion was merged into {target}; a merge is final"),
                ));
            }
            match action {
                Moderate::Status(status) => set_status(conn, admin, source, status),
                Moderate::Merge(target) => merge(conn, admin, source, target),
            }
        })
    })
    .await
}

fn set_status(
    conn: &mut Conn,
    admin: Admin,
    source: SuggestionRow,
    status: SuggestionStatus,
) -> AppResult<Suggestion> {
    if source.status == status {
        return one(conn, source);
    }
    let row = db::suggestions::set_status(conn, SuggestionId(source.id), status)?;
    db::audit::record(
        conn,
        admin.org(),
        Some(source.contest_id),
        &admin.actor(),
        "suggestion.moderate",
        json!({
            "suggestion_id": source.id,
            "name": row.name,
            "from": source.status,
            "to": status,
        }),
    )?;
    super::webhooks::emit_suggestion_moderated(conn, admin.org_id, &row)?;
    one(conn, row)
}

/// Why `source` cannot be merged into `target`, if it cannot.
fn merge_refusal(source: &SuggestionRow, target: &SuggestionRow) -> Option<AppError> {
    if let Some(next) = target.merged_into {
        return Some(if next == source.id {
            AppError::conflict(
                "merge_cycle",
                "the target was merged into this suggestion; merging back would make a cycle",
            )
        } else {
            AppError::conflict(
                "invalid_merge",
                format!("the target was itself merged into {next}; merge into that one"),
            )
        });
    }
    (target.status == SuggestionStatus::Rejected).then(|| {
        AppError::conflict(
            "invalid_merge",
            "the target is rejected; approve it first or merge into another suggestion",
        )
    })
}

fn merge(
    conn: &mut Conn,
    admin: Admin,
    source: SuggestionRow,
    target_id: SuggestionId,
) -> AppResult<Suggestion> {
    let contest_id = ContestId(source.contest_id);
    let sid = SuggestionId(source.id);
    if target_id == sid {
        return Err(AppError::conflict(
            "invalid_merge",
            "a suggestion cannot be merged into itself",
        ));
    }
    let target = db::suggestions::find(conn, contest_id, target_id)?.ok_or_else(|| {
        AppError::invalid("merged_into", "no suggestion with this id in this contest")
    })?;
    if let Some(refusal) = merge_refusal(&source, &target) {
        return Err(refusal);
    }
    let merged_target = db::suggestions::merge(conn, sid, target_id)?;
    db::audit::record(
        conn,
        admin.org(),
        Some(contest_id.0),
        &admin.actor(),
        "suggestion.merge",
        json!({
            "suggestion_id": sid,
            "name": source.name,
            "merged_into": target_id,
            "target_name": merged_target.name,
        }),
    )?;
    let row = reread(conn, contest_id, sid)?;
    super::webhooks::emit_suggestion_moderated(conn, admin.org_id, &row)?;
    one(conn, row)
}
