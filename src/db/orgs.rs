//! Organisations.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::schema::organisations;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organisations)]
pub struct OrgRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

pub fn insert(conn: &mut PgConnection, id: Uuid, name: &str) -> QueryResult<OrgRow> {
    diesel::insert_into(organisations::table)
        .values((organisations::id.eq(id), organisations::name.eq(name)))
        .returning(OrgRow::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<OrgRow>> {
    organisations::table
        .find(id)
        .select(OrgRow::as_select())
        .first(conn)
        .optional()
}
