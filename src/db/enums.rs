//! Closed sets of names stored as `text` columns (each with a CHECK constraint in
//! the schema), read and written as their Rust enums: a phase, a status or a
//! method is never a `String` parsed back by the code that uses it.
//!
//! The domain and engine types stay free of diesel; each gets a column newtype
//! here, used by the row structs through `#[diesel(serialize_as = …)]` and
//! `#[diesel(deserialize_as = …)]`. A stored name that does not parse (possible
//! only if a CHECK constraint was dropped) is a deserialisation error.

use std::io::Write;

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::{
    parse_method, BallotReadback, Electorate, Moderation, Phase, ResultsVisibility,
    SuggestionStatus,
};
use crate::tally::Method;

macro_rules! text_column {
    ($(#[$doc:meta])* $column:ident($ty:ty), $name:expr, $parse:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
        #[diesel(sql_type = Text)]
        pub struct $column(pub $ty);

        impl From<$ty> for $column {
            fn from(value: $ty) -> Self {
                $column(value)
            }
        }

        impl From<$column> for $ty {
            fn from(column: $column) -> Self {
                column.0
            }
        }

        impl ToSql<Text, Pg> for $column {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                let name: &'static str = $name(self.0);
                out.write_all(name.as_bytes())?;
                Ok(IsNull::No)
            }
        }

        impl FromSql<Text, Pg> for $column {
            fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
                let text = std::str::from_utf8(value.as_bytes())?;
                let parsed: Result<$ty, String> = $parse(text);
                parsed.map($column).map_err(Into::into)
            }
        }
    };
}

text_column!(
    /// `contests.phase`.
    PhaseColumn(Phase), Phase::as_str, Phase::parse
);
text_column!(
    /// `contests.electorate`.
    ElectorateColumn(Electorate), Electorate::as_str, Electorate::parse
);
text_column!(
    /// `contests.moderation`.
    ModerationColumn(Moderation), Moderation::as_str, Moderation::parse
);
text_column!(
    /// `contests.results_visibility`.
    VisibilityColumn(ResultsVisibility),
    ResultsVisibility::as_str,
    ResultsVisibility::parse
);
text_column!(
    /// `contests.ballot_readback`.
    ReadbackColumn(BallotReadback),
    BallotReadback::as_str,
    BallotReadback::parse
);
text_column!(
    /// `suggestions.status`.
    StatusColumn(SuggestionStatus), SuggestionStatus::as_str, SuggestionStatus::parse
);
text_column!(
    /// `contests.method` and `results.method`: the engine's own [`Method`].
    MethodColumn(Method),
    Method::name,
    parse_method
);
