//! A voter's ranking: a strict order of distinct current candidates.

use std::collections::HashMap;

use uuid::Uuid;

use super::FieldError;

/// A candidate on the ballot: the suggestion's id, its per-contest number (what a
/// stored ballot holds) and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotCandidate {
    pub id: Uuid,
    pub number: i32,
    pub name: String,
}

/// A strict ranking of distinct candidates of one contest, first preference
/// first, at least one and at most the contest's limit long. Holds candidate
/// numbers, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranking(Vec<i32>);

/// Why an entry of a ranking is not a current candidate, when the caller knows
/// more than "not a candidate" (the suggestion exists but was rejected, merged or
/// is still pending).
pub type ExplainEntry<'a> = &'a dyn Fn(Uuid) -> Option<String>;

impl Ranking {
    /// Parses the suggestion ids a voter sent against the contest's current
    /// `candidates`. Every problem is reported, each under the offending entry's
    /// field (`ranking[2]`), or under `ranking` for the length.
    pub fn parse(
        ids: &[Uuid],
        candidates: &[BallotCandidate],
        max_rankings: Option<i32>,
        explain: ExplainEntry<'_>,
    ) -> Result<Ranking, Vec<FieldError>> {
        let mut errors = Vec::new();
        if ids.is_empty() {
            errors.push(FieldError::new(
                "ranking",
                "rank at least one candidate (send a non-empty list of suggestion ids)",
            ));
        }
        let limit = max_rankings
            .and_then(|m| usize::try_from(m).ok())
            .unwrap_or(usize::MAX)
            .min(candidates.len().max(1));
        if ids.len() > limit {
            errors.push(FieldError::new(
                "ranking",
                format!(
                    "rank at most {limit} candidates (got {}); this contest allows {limit}",
                    ids.len()
                ),
            ));
        }
        let by_id: HashMap<Uuid, i32> = candidates.iter().map(|c| (c.id, c.number)).collect();
        let mut first_seen: HashMap<Uuid, usize> = HashMap::new();
        let mut numbers = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let field = format!("ranking[{i}]");
            if let Some(j) = first_seen.get(id) {
                errors.push(FieldError::new(
                    field,
                    format!("{id} is already ranked at ranking[{j}]; rank each candidate once"),
                ));
                continue;
            }
            first_seen.insert(*id, i);
            match by_id.get(id) {
                Some(&n) => numbers.push(n),
                None => errors.push(FieldError::new(
                    field,
                    explain(*id)
                        .unwrap_or_else(|| format!("{id} is not a candidate of this contest")),
                )),
            }
        }
        if errors.is_empty() {
            Ok(Ranking(numbers))
        } else {
            Err(errors)
        }
    }

    /// A ranking read back from storage (the schema's CHECK guarantees it is
    /// strict and non-empty).
    pub fn from_stored(numbers: Vec<i32>) -> Ranking {
        Ranking(numbers)
    }

    /// Candidate numbers, first preference first.
    pub fn numbers(&self) -> &[i32] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(n: i32) -> Vec<BallotCandidate> {
        (1..=n)
            .map(|i| BallotCandidate {
                id: Uuid::from_u128(i as u128),
                number: i * 10,
                name: format!("c{i}"),
            })
            .collect()
    }

    fn ids(v: &[u128]) -> Vec<Uuid> {
        v.iter().map(|&i| Uuid::from_u128(i)).collect()
    }

    const NONE: ExplainEntry<'static> = &|_| None;

    #[test]
    fn a_strict_ranking_maps_to_candidate_numbers() {
        let r = Ranking::parse(&ids(&[3, 1]), &candidates(3), None, NONE).unwrap();
        assert_eq!(r.numbers(), &[30, 10]);
    }

    #[test]
    fn every_bad_entry_is_named() {
        let errors = Ranking::parse(&ids(&[1, 9, 1, 2]), &candidates(4), None, NONE).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["ranking[1]", "ranking[2]"]);
        assert!(errors[1].message.contains("ranking[0]"));
    }

    #[test]
    fn explanations_replace_the_generic_message() {
        let explain: ExplainEntry<'_> = &|_| Some("was rejected".into());
        let errors = Ranking::parse(&ids(&[9]), &candidates(3), None, explain).unwrap_err();
        assert_eq!(errors[0].message, "was rejected");
    }

    #[test]
    fn length_is_bounded_by_the_limit_and_the_candidates() {
        assert_eq!(
            Ranking::parse(&[], &candidates(3), None, NONE).unwrap_err()[0].field,
            "ranking"
        );
        let e = Ranking::parse(&ids(&[1, 2, 3]), &candidates(3), Some(2), NONE).unwrap_err();
        assert_eq!(e[0].field, "ranking");
        assert!(Ranking::parse(&ids(&[1, 2]), &candidates(3), Some(2), NONE).is_ok());
    }
}
