//! The audit log as admins read it: what happened to a contest, or to anything
//! of the organisation, oldest first, a page at a time.

use super::{Admin, App};
use crate::db::{self, audit::AuditRow};
use crate::domain::ContestId;
use crate::error::{AppError, AppResult};

/// One page: entries after the entry id `after`, at most `limit`, and whether
/// more follow (the next cursor is then the last entry's id).
pub struct AuditPage {
    pub items: Vec<AuditRow>,
    pub next_cursor: Option<i64>,
}

fn page(mut rows: Vec<AuditRow>, limit: i64) -> AuditPage {
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    AuditPage {
        items: rows,
        next_cursor,
    }
}

/// The entries of one of the organisation's contests (another's is a 404).
pub async fn for_contest(
    app: &App,
    admin: Admin,
    id: ContestId,
    after: i64,
    limit: i64,
) -> AppResult<AuditPage> {
    let rows = app
        .db(move |conn| {
            let contest = db::contests::find(conn, id)?;
            if contest.is_none_or(|c| c.org_id != admin.org_id) {
                return Err(AppError::not_found("contest"));
            }
            Ok(db::audit::list_for_contest(conn, id.0, after, limit + 1)?)
        })
        .await?;
    Ok(page(rows, limit))
}

/// Every entry of the organisation, those about no contest included.
pub async fn for_org(app: &App, admin: Admin, after: i64, limit: i64) -> AppResult<AuditPage> {
    let rows = app
        .db(move |conn| {
            Ok(db::audit::list_for_org(
                conn,
                admin.org(),
                after,
                limit + 1,
            )?)
        })
        .await?;
    Ok(page(rows, limit))
}
