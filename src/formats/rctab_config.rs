//! RCTab contest configuration files (`*_config.json`) and the RCTab-style
//! `ballots.json` of the conformance data.
//!
//! RCTab writes most settings as strings (`"maxSkippedRanksAllowed" : "4"`), some as
//! booleans; both forms are accepted. Only what a count needs is read: candidates
//! (with `excluded`), CVR sources, the output labels and the `rules` block.

use serde_json::{Map, Value};

use super::cvr::{self, ElectionBuilder, EXPLICIT_OVERVOTE, MAX_RANK, UNDECLARED_WRITE_INS};
use super::read_error::{json_syntax, Location, ReadError};
use crate::tally::rcv::{
    DuplicateRule, OvervoteRule, RcvRules, ThresholdRule, TieBreakMode, WinnerMode, MAX_DECIMALS,
};
use crate::tally::{CandidateIdx, Election};

const CONFIG: &str = "RCTab contest config";
const BALLOTS: &str = "RCTab ballots.json";

/// RCTab's `rules` block, typed. Names follow RCTab's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RctabRules {
    /// `tiebreakMode`: `random`, `useCandidateOrder`, `previousRoundCountsThenRandom`,
    /// `generatePermutation`, ...
    pub tiebreak_mode: String,
    /// `overvoteRule`: `exhaustImmediately`, `alwaysSkipToNextRank`,
    /// `exhaustIfMultipleContinuing`.
    pub overvote_rule: String,
    /// `winnerElectionMode`: `singleWinnerMajority`,
    /// `multiWinnerAllowMultipleWinnersPerRound`, ...
    pub winner_election_mode: String,
    pub random_seed: Option<i64>,
    pub number_of_winners: u32,
    pub decimal_places_for_vote_arithmetic: u32,
    pub minimum_vote_threshold: u64,
    /// `None`: unlimited.
    pub max_skipped_ranks_allowed: Option<u32>,
    /// `None`: `"max"`, as many as there are candidates.
    pub max_rankings_allowed: Option<u32>,
    pub non_integer_winning_threshold: bool,
    pub does_first_round_determine_threshold: bool,
    pub hare_quota: bool,
    pub batch_elimination: bool,
    pub continue_until_two_candidates_remain: bool,
    pub exhaust_on_duplicate_candidate: bool,
    pub stop_tabulation_early_after_round: Option<u32>,
    /// `multiSeatBottomsUpPercentageThreshold`: a whole percentage, 1 to 100
    /// (RCTab's `ContestConfig.validateRules`), for
    /// `bottomsUpUsingPercentageThreshold`.
    pub multi_seat_bottoms_up_percentage_threshold: Option<u32>,
}

/// One entry of `cvrFileSources`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RctabCvrSource {
    pub file_path: String,
    /// `cdf`, `genericCsv`, `clearBallot`, `ess`, `dominion`, ...
    pub provider: String,
    pub contest_id: Option<String>,
    /// 1-based, as RCTab writes it.
    pub first_vote_column: Option<usize>,
    pub first_vote_row: Option<usize>,
    pub undeclared_write_in_label: Option<String>,
    pub overvote_label: Option<String>,
    pub undervote_label: Option<String>,
    pub skipped_rank_label: Option<String>,
    pub overvote_delimiter: Option<String>,
    pub id_column: Option<usize>,
    pub precinct_column: Option<usize>,
    pub treat_blank_as_undeclared_write_in: bool,
}

/// A contest configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RctabConfig {
    pub contest_name: String,
    pub contest_date: String,
    pub jurisdiction: String,
    pub office: String,
    /// Declared candidates in configuration order (the order `useCandidateOrder`
    /// tie-breaks follow), excluded ones included.
    pub candidates: Vec<String>,
    pub excluded: Vec<String>,
    /// `(alias, name)`: a CVR naming `alias` means the candidate `name` (each
    /// candidate's `aliases`, and its `code` where RCTab 1.x configs give one).
    pub aliases: Vec<(String, String)>,
    pub sources: Vec<RctabCvrSource>,
    pub rules: RctabRules,
}

fn err(format: &'static str, path: &str, message: impl Into<String>) -> ReadError {
    ReadError::new(format, Location::JsonPath(path.to_owned()), message)
}

/// A setting that may be a JSON string, number or missing; blank strings are missing.
fn text(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number<T: std::str::FromStr>(
    format: &'static str,
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<T>, ReadError> {
    match text(obj, key) {
        None => Ok(None),
        Some(s) => s.parse::<T>().map(Some).map_err(|_| {
            err(
                format,
                &format!("{path}.{key}"),
                format!("expected a whole number, found \"{s}\""),
            )
        }),
    }
}

fn flag(
    format: &'static str,
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<bool, ReadError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s == "true" => Ok(true),
        Some(Value::String(s)) if s == "false" || s.is_empty() => Ok(false),
        Some(other) => Err(err(
            format,
            &format!("{path}.{key}"),
            format!("expected true or false, found {other}"),
        )),
    }
}

/// Parses an RCTab `rules` object.
pub fn parse_rctab_rules(
    format: &'static str,
    rules: &Value,
    path: &str,
) -> Result<RctabRules, ReadError> {
    let obj = rules
        .as_object()
        .ok_or_else(|| err(format, path, "expected a rules object"))?;
    let max_skipped = match text(obj, "maxSkippedRanksAllowed").as_deref() {
        None | Some("unlimited") => None,
        Some(_) => number::<u32>(format, obj, "maxSkippedRanksAllowed", path)?,
    };
    let max_rankings = match text(obj, "maxRankingsAllowed").as_deref() {
        None | Some("max") => None,
        Some(_) => number::<u32>(format, obj, "maxRankingsAllowed", path)?,
    };
    let percentage = number::<u32>(format, obj, "multiSeatBottomsUpPercentageThreshold", path)?;
    if percentage.is_some_and(|p| !(1..=100).contains(&p)) {
        return Err(err(
            format,
            &format!("{path}.multiSeatBottomsUpPercentageThreshold"),
            "expected a whole number from 1 to 100",
        ));
    }
    if max_rankings == Some(0) {
        return Err(err(
            format,
            &format!("{path}.maxRankingsAllowed"),
            "expected 1 or more",
        ));
    }
    Ok(RctabRules {
        tiebreak_mode: text(obj, "tiebreakMode").unwrap_or_else(|| "random".to_owned()),
        overvote_rule: text(obj, "overvoteRule").unwrap_or_else(|| "exhaustImmediately".to_owned()),
        winner_election_mode: text(obj, "winnerElectionMode")
            .unwrap_or_else(|| "singleWinnerMajority".to_owned()),
        random_seed: number::<i64>(format, obj, "randomSeed", path)?,
        number_of_winners: number::<u32>(format, obj, "numberOfWinners", path)?.unwrap_or(1),
        decimal_places_for_vote_arithmetic: number::<u32>(
            format,
            obj,
            "decimalPlacesForVoteArithmetic",
            path,
        )?
        .unwrap_or(4),
        minimum_vote_threshold: number::<u64>(format, obj, "minimumVoteThreshold", path)?
            .unwrap_or(0),
        max_skipped_ranks_allowed: max_skipped,
        max_rankings_allowed: max_rankings,
        non_integer_winning_threshold: flag(format, obj, "nonIntegerWinningThreshold", path)?,
        does_first_round_determine_threshold: flag(
            format,
            obj,
            "doesFirstRoundDetermineThreshold",
            path,
        )?,
        hare_quota: flag(format, obj, "hareQuota", path)?,
        batch_elimination: flag(format, obj, "batchElimination", path)?,
        continue_until_two_candidates_remain: flag(
            format,
            obj,
            "continueUntilTwoCandidatesRemain",
            path,
        )?,
        exhaust_on_duplicate_candidate: flag(format, obj, "exhaustOnDuplicateCandidate", path)?,
        stop_tabulation_early_after_round: number::<u32>(
            format,
            obj,
            "stopTabulationEarlyAfterRound",
            path,
        )?,
        multi_seat_bottoms_up_percentage_threshold: percentage,
    }
    .migrated())
}

impl RctabRules {
    /// Older RCTab configurations' names for winner election and tie-break modes,
    /// renamed as RCTab's `ContestConfigMigration.migrateConfigVersion` renames
    /// them on loading (RCTab 1.x configs, such as its own regression cases,
    /// still use them).
    fn migrated(mut self) -> Self {
        let several = self.number_of_winners > 1;
        let mode = match self.winner_election_mode.as_str() {
            "standard" if several => "multiWinnerAllowMultipleWinnersPerRound",
            "standard" => "singleWinnerMajority",
            "singleSeatContinueUntilTwoCandidatesRemain" => {
                self.continue_until_two_candidates_remain = true;
                "singleWinnerMajority"
            }
            "multiSeatAllowOnlyOneWinnerPerRound" => "multiWinnerAllowOnlyOneWinnerPerRound",
            "multiSeatBottomsUp"
                if self.number_of_winners == 0
                    || self.multi_seat_bottoms_up_percentage_threshold.is_some() =>
            {
                "bottomsUpUsingPercentageThreshold"
            }
            "multiSeatBottomsUp" => "bottomsUp",
            "multiSeatSequentialWinnerTakesAll" => "multiPassIrv",
            _ => return self.migrated_tiebreak(),
        };
        self.winner_election_mode = mode.to_owned();
        self.migrated_tiebreak()
    }

    fn migrated_tiebreak(mut self) -> Self {
        let mode = match self.tiebreak_mode.as_str() {
            "interactive" => "stopCountingAndAsk",
            "previousRoundCountsThenInteractive" => "previousRoundCountsThenAsk",
            "usePermutationInConfig" => "useCandidateOrder",
            _ => return self,
        };
        self.tiebreak_mode = mode.to_owned();
        self
    }
}

/// Reads an RCTab contest configuration.
pub fn read_rctab_config(input: &str) -> Result<RctabConfig, ReadError> {
    let doc: Value = serde_json::from_str(input).map_err(|e| json_syntax(CONFIG, &e))?;
    let root = doc
        .as_object()
        .ok_or_else(|| err(CONFIG, "$", "expected a configuration object"))?;
    check_fields(root)?;
    let output = root.get("outputSettings").and_then(Value::as_object);
    let out = |key: &str| output.and_then(|o| text(o, key)).unwrap_or_default();

    let mut candidates = Vec::new();
    let mut excluded = Vec::new();
    let mut aliases = Vec::new();
    let list = root
        .get("candidates")
        .and_then(Value::as_array)
        .ok_or_else(|| err(CONFIG, "$", "expected a \"candidates\" array"))?;
    for (i, cand) in list.iter().enumerate() {
        let path = format!("$.candidates[{i}]");
        let obj = cand
            .as_object()
            .ok_or_else(|| err(CONFIG, &path, "expected a candidate object"))?;
        // RCTab 1.x called it "code"/"name"; 2.x "name".
        let name = text(obj, "name").ok_or_else(|| err(CONFIG, &path, "expected a \"name\""))?;
        if candidates.contains(&name) {
            return Err(err(
                CONFIG,
                &path,
                format!("candidate \"{name}\" is listed twice"),
            ));
        }
        if flag(CONFIG, obj, "excluded", &path)? {
            excluded.push(name.clone());
        }
        for alias in candidate_aliases(obj, &path)? {
            if alias != name {
                aliases.push((alias, name.clone()));
            }
        }
        candidates.push(name);
    }

    let mut sources = Vec::new();
    if let Some(list) = root.get("cvrFileSources").and_then(Value::as_array) {
        for (i, src) in list.iter().enumerate() {
            let path = format!("$.cvrFileSources[{i}]");
            let obj = src
                .as_object()
                .ok_or_else(|| err(CONFIG, &path, "expected a CVR source object"))?;
            sources.push(RctabCvrSource {
                file_path: text(obj, "filePath")
                    .ok_or_else(|| err(CONFIG, &path, "expected a \"filePath\""))?,
                provider: text(obj, "provider").unwrap_or_default(),
                contest_id: text(obj, "contestId"),
                first_vote_column: number::<usize>(CONFIG, obj, "firstVoteColumnIndex", &path)?,
                first_vote_row: number::<usize>(CONFIG, obj, "firstVoteRowIndex", &path)?,
                undeclared_write_in_label: text(obj, "undeclaredWriteInLabel"),
                overvote_label: text(obj, "overvoteLabel"),
                undervote_label: text(obj, "undervoteLabel"),
                skipped_rank_label: text(obj, "skippedRankLabel"),
                overvote_delimiter: text(obj, "overvoteDelimiter"),
                id_column: number::<usize>(CONFIG, obj, "idColumnIndex", &path)?,
                precinct_column: number::<usize>(CONFIG, obj, "precinctColumnIndex", &path)?,
                treat_blank_as_undeclared_write_in: flag(
                    CONFIG,
                    obj,
                    "treatBlankAsUndeclaredWriteIn",
                    &path,
                )?,
            });
        }
    }
    let rules = root
        .get("rules")
        .ok_or_else(|| err(CONFIG, "$", "expected a \"rules\" object"))?;
    if let Some(legacy) = rules.as_object() {
        // RCTab 1.x configs give the labels once, in `rules`.
        for source in &mut sources {
            source.overvote_label = source
                .overvote_label
                .take()
                .or(text(legacy, "overvoteLabel"));
            source.undervote_label = source
                .undervote_label
                .take()
                .or(text(legacy, "undervoteLabel"));
            source.undeclared_write_in_label = source
                .undeclared_write_in_label
                .take()
                .or(text(legacy, "undeclaredWriteInLabel"));
            source.treat_blank_as_undeclared_write_in |=
                flag(CONFIG, legacy, "treatBlankAsUndeclaredWriteIn", "$.rules")?;
        }
    }
    Ok(RctabConfig {
        contest_name: out("contestName"),
        contest_date: out("contestDate"),
        jurisdiction: out("contestJurisdiction"),
        office: out("contestOffice"),
        candidates,
        excluded,
        aliases,
        sources,
        rules: parse_rctab_rules(CONFIG, rules, "$.rules")?,
    })
}

/// The fields of an RCTab contest configuration (`RawContestConfig.java`, RCTab
/// 1.3 and 2.0) that Christen reads, by object. Any other field is refused by
/// name rather than silently ignored; so is a field below whose value asks for
/// something Christen does not do (rules in `RctabRules::to_rcv_rules`, per-source fields in `rctab_sources`).
const ROOT_FIELDS: &[&str] = &[
    "tabulatorVersion",
    "outputSettings",
    "cvrFileSources",
    "candidates",
    "rules",
];
const OUTPUT_FIELDS: &[&str] = &[
    "contestName",
    "outputDirectory",
    "contestDate",
    "contestJurisdiction",
    "contestOffice",
    "tabulateByPrecinct",
    "tabulateByBatch",
    "generateCdfJson",
];
const SOURCE_FIELDS: &[&str] = &[
    "filePath",
    "contestId",
    "firstVoteColumnIndex",
    "firstVoteRowIndex",
    "idColumnIndex",
    "precinctColumnIndex",
    "batchColumnIndex",
    "overvoteDelimiter",
    "provider",
    "overvoteLabel",
    "undervoteLabel",
    "skippedRankLabel",
    "undeclaredWriteInLabel",
    "treatBlankAsUndeclaredWriteIn",
];
const CANDIDATE_FIELDS: &[&str] = &["name", "code", "aliases", "excluded"];
const RULES_FIELDS: &[&str] = &[
    "tiebreakMode",
    "overvoteRule",
    "winnerElectionMode",
    "randomSeed",
    "numberOfWinners",
    "multiSeatBottomsUpPercentageThreshold",
    "decimalPlacesForVoteArithmetic",
    "minimumVoteThreshold",
    "maxSkippedRanksAllowed",
    "maxRankingsAllowed",
    "nonIntegerWinningThreshold",
    "doesFirstRoundDetermineThreshold",
    "hareQuota",
    "batchElimination",
    "continueUntilTwoCandidatesRemain",
    "exhaustOnDuplicateCandidate",
    "stopTabulationEarlyAfterRound",
    "rulesDescription",
    // RCTab 1.x kept these in `rules`; 1.3 moved them to each CVR source.
    "treatBlankAsUndeclaredWriteIn",
    "overvoteLabel",
    "undervoteLabel",
    "undeclaredWriteInLabel",
];

/// Refuses fields RCTab does not define.
fn check_fields(root: &Map<String, Value>) -> Result<(), ReadError> {
    known(root, ROOT_FIELDS, "$")?;
    if let Some(Value::Object(output)) = root.get("outputSettings") {
        known(output, OUTPUT_FIELDS, "$.outputSettings")?;
        // The other output settings (outputDirectory, tabulateByPrecinct,
        // tabulateByBatch, generateCdfJson) name files RCTab writes beside the
        // results; they do not change the count, and Christen writes only what
        // its own flags ask for (--urcvt).
        for key in ["tabulateByPrecinct", "tabulateByBatch", "generateCdfJson"] {
            flag(CONFIG, output, key, "$.outputSettings")?;
        }
    }
    let lists = [
        ("cvrFileSources", SOURCE_FIELDS),
        ("candidates", CANDIDATE_FIELDS),
    ];
    for (list, fields) in lists {
        if let Some(Value::Array(items)) = root.get(list) {
            for (i, item) in items.iter().enumerate() {
                if let Value::Object(obj) = item {
                    known(obj, fields, &format!("$.{list}[{i}]"))?;
                }
            }
        }
    }
    if let Some(Value::Object(rules)) = root.get("rules") {
        known(rules, RULES_FIELDS, "$.rules")?;
    }
    Ok(())
}

fn known(obj: &Map<String, Value>, fields: &[&str], path: &str) -> Result<(), ReadError> {
    match obj.keys().find(|k| !fields.contains(&k.as_str())) {
        Some(key) => Err(err(
            CONFIG,
            &format!("{path}.{key}"),
            format!(
                "\"{key}\" is not an RCTab configuration field Christen knows; expected one of {}",
                fields.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// A candidate's other names: its `aliases` (RCTab 1.3 and later) and `code`
/// (RCTab 1.x, the name its CVRs used).
fn candidate_aliases(obj: &Map<String, Value>, path: &str) -> Result<Vec<String>, ReadError> {
    let mut out: Vec<String> = text(obj, "code").into_iter().collect();
    match obj.get("aliases") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (k, alias) in list.iter().enumerate() {
                match alias {
                    Value::String(a) if !a.trim().is_empty() => out.push(a.trim().to_owned()),
                    Value::String(_) => {}
                    _ => {
                        return Err(err(
                            CONFIG,
                            &format!("{path}.aliases[{k}]"),
                            "expected a candidate name",
                        ))
                    }
                }
            }
        }
        Some(_) => {
            return Err(err(
                CONFIG,
                &format!("{path}.aliases"),
                "expected a list of names",
            ))
        }
    }
    Ok(out)
}

impl RctabConfig {
    /// `election` (as a CVR reader gave it) made ready to count under this
    /// configuration, with the rules and seats: aliases renamed to their
    /// candidate; the declared candidates (and undeclared write-ins, when a
    /// source names a label) in configuration order; excluded candidates
    /// withdrawn, so every ballot passes over them as RCTab's
    /// `Tabulator.isCandidateContinuing` does for `CandidateStatus.EXCLUDED`.
    /// A ballot ranking someone beyond `maxRankingsAllowed` is an error, as
    /// RCTab refuses such a CVR ("Rank exceeds max rankings allowed in config",
    /// `ClearBallotCvrReader`).
    pub fn prepare(&self, election: Election) -> Result<(Election, RcvRules, u32), String> {
        let renamed = cvr::rename_candidates(election, |name| {
            self.aliases
                .iter()
                .find(|(alias, _)| alias == name)
                .map(|(_, real)| real.clone())
        });
        let mut declared = self.candidates.clone();
        if self
            .sources
            .iter()
            .any(|s| s.undeclared_write_in_label.is_some())
            || renamed.candidates.iter().any(|c| c == UNDECLARED_WRITE_INS)
        {
            declared.push(UNDECLARED_WRITE_INS.to_owned());
        }
        if self.sources.iter().any(|s| s.overvote_label.is_some()) {
            // RCTab's ContestConfig.validateCvrFileSources.
            if self.rules.overvote_rule == "exhaustIfMultipleContinuing" {
                return Err(
                    "when overvoteLabel is supplied, overvoteRule must be either \
                     \"alwaysSkipToNextRank\" or \"exhaustImmediately\""
                        .to_owned(),
                );
            }
            declared.push(EXPLICIT_OVERVOTE.to_owned());
        }
        check_recognized(&renamed, &declared)?;
        let mut election =
            cvr::reorder_candidates(cvr::with_declared_candidates(renamed, &declared), &declared);
        if !self.candidates.is_empty() {
            // A candidate the CVRs list but the configuration does not declare, and
            // no ballot marks (check_recognized refused any other), is not in the
            // contest: RCTab looks up only the candidates ballots mark, so it never
            // counts one (RCTab test `nist_xml_cdf_2`, whose CDF spells a candidate
            // with two spaces). Kept, it would be a zero-vote candidate changing
            // eliminations and random draws.
            let n = election
                .candidates
                .iter()
                .take_while(|c| declared.contains(c))
                .count();
            cvr::keep_first_candidates(&mut election, n);
        }
        for name in &self.excluded {
            if let Some(i) = election.candidates.iter().position(|c| c == name) {
                let i = i as CandidateIdx;
                if !election.withdrawn.contains(&i) {
                    election.withdrawn.push(i);
                }
            }
        }
        election.withdrawn.sort_unstable();
        self.check_max_rankings(&election)?;
        let (rules, seats) = self.rules.to_rcv_rules(&election)?;
        Ok((election, rules, seats))
    }

    /// `maxRankingsAllowed` ("max": the number of declared candidates) against
    /// every ballot's last marked rank. Dominion exports are not checked:
    /// RCTab's `DominionCvrReader` has no such check, and RCTab 2.0 counts its
    /// `2024_alaska_dominion` case, whose ballots rank 5 of the export's 5
    /// ranks with 4 declared candidates and "max".
    fn check_max_rankings(&self, election: &Election) -> Result<(), String> {
        if !self.sources.is_empty() && self.sources.iter().all(|s| s.provider == "dominion") {
            return Ok(());
        }
        let max = match self.rules.max_rankings_allowed {
            Some(m) => m as usize,
            None => self.candidates.len(),
        };
        for ballot in &election.ballots {
            if let Some(last) = ballot.ranks.iter().rposition(|slot| !slot.is_empty()) {
                if last + 1 > max {
                    let names: Vec<&str> = ballot.ranks[last]
                        .iter()
                        .map(|&c| election.candidates[c as usize].as_str())
                        .collect();
                    return Err(format!(
                        "a ballot ranks {} at rank {}, beyond maxRankingsAllowed {max}; \
                         RCTab refuses such a CVR",
                        names.join(" and "),
                        last + 1
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Refuses ballots marking candidates the configuration does not declare, as
/// RCTab does ("unrecognized candidates", `TabulatorSession`), naming them with
/// how many ballots mark each.
fn check_recognized(election: &Election, declared: &[String]) -> Result<(), String> {
    let mut marked = vec![0u64; election.candidates.len()];
    for ballot in &election.ballots {
        for slot in &ballot.ranks {
            for &c in slot {
                marked[c as usize] += ballot.count;
            }
        }
    }
    let unknown: Vec<String> = election
        .candidates
        .iter()
        .zip(&marked)
        .filter(|(name, &n)| n > 0 && !declared.contains(name))
        .map(|(name, n)| format!("\"{name}\" ({n} marks)"))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the CVRs mark candidates the configuration does not declare: {}; add them \
             (or their aliases) to candidates",
            unknown.join(", ")
        ))
    }
}

/// The RCTab-style `ballots.json` of the conformance data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RctabBallots {
    pub election: Election,
    /// The rules the ballots were cast under, if the file carries them.
    pub rules: Option<RctabRules>,
    /// The number of rank slots on the paper ballot (`maxRank`), if given.
    pub max_rank: Option<u32>,
}

/// Reads `{"candidates": [...], "rules": {...}, "maxRank": N, "ballots": [[[names]...]...]}`:
/// each ballot a list of rank slots, each slot `[]` (skipped), `[name]` or
/// `[name, name, ...]` (overvote). A ballot may also be an object
/// `{"ranks": [...], "count": n}`. A name not among `candidates` is an error, except
/// [`UNDECLARED_WRITE_INS`], which is added as a candidate when used.
pub fn read_rctab_ballots_json(input: &str) -> Result<RctabBallots, ReadError> {
    let mut stream = BallotStream::default();
    let mut de = serde_json::Deserializer::from_str(input);
    let read =
        serde::de::DeserializeSeed::deserialize(&mut stream, &mut de).and_then(|()| de.end());
    if let Some(e) = stream.failed.take() {
        return Err(e);
    }
    read.map_err(|e| json_syntax(BALLOTS, &e))?;
    let root = &stream.root;
    let mut builder = match stream.builder.take() {
        Some(builder) => builder,
        None => declared_candidates(root)?,
    };
    let rules = match root.get("rules") {
        None | Some(Value::Null) => None,
        Some(rules) => Some(parse_rctab_rules(BALLOTS, rules, "$.rules")?),
    };
    let max_rank = read_max_rank(root.get("maxRank"))?;
    if !stream.streamed {
        // `ballots` came before `candidates` (or not at all): read it now.
        let ballots = root
            .get("ballots")
            .and_then(Value::as_array)
            .ok_or_else(|| err(BALLOTS, "$", "expected a \"ballots\" array"))?;
        for (b, ballot) in ballots.iter().enumerate() {
            add_ballot(ballot, b, &mut builder)?;
        }
    }
    Ok(RctabBallots {
        election: builder.finish(),
        rules,
        max_rank,
    })
}

/// Reads one ballot (number `b`) into its group.
fn add_ballot(ballot: &Value, b: usize, builder: &mut ElectionBuilder) -> Result<(), ReadError> {
    // JSON paths are written only for an error: a million ballots read
    // without formatting any.
    let bpath = || format!("$.ballots[{b}]");
    let (slots, count, in_ranks) = ballot_slots(ballot, &bpath)?;
    let spath = || {
        if in_ranks {
            format!("{}.ranks", bpath())
        } else {
            bpath()
        }
    };
    let mut ranks = Vec::with_capacity(slots.len());
    for (r, slot) in slots.iter().enumerate() {
        ranks.push(read_slot(slot, &|| format!("{}[{r}]", spath()), builder)?);
    }
    builder.add_slots(ranks, count);
    Ok(())
}

/// The top level of a `ballots.json` read as a stream: every member but
/// `ballots` kept as a value; `ballots`, once `candidates` is known, read one
/// ballot at a time into the groups, so the million ballots of a large contest
/// are never held as JSON values at once.
#[derive(Default)]
struct BallotStream {
    root: Map<String, Value>,
    builder: Option<ElectionBuilder>,
    /// Whether `ballots` was read into `builder` as it streamed by.
    streamed: bool,
    /// The error that stopped the stream, when it is not a JSON syntax error.
    failed: Option<ReadError>,
}

impl BallotStream {
    fn fail<E: serde::de::Error>(&mut self, e: ReadError) -> E {
        let message = e.to_string();
        self.failed = Some(e);
        E::custom(message)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for &mut BallotStream {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for &mut BallotStream {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object with \"candidates\" and \"ballots\"")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "ballots" && self.builder.is_some() && !self.streamed {
                self.streamed = true;
                map.next_value_seed(Ballots(&mut *self))?;
                continue;
            }
            let value: Value = map.next_value()?;
            let is_candidates = key == "candidates";
            self.root.insert(key, value);
            if is_candidates && !self.streamed {
                match declared_candidates(&self.root) {
                    Ok(builder) => self.builder = Some(builder),
                    Err(e) => return Err(self.fail(e)),
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Err(self.fail(not_an_object()))
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        Err(self.fail(not_an_object()))
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.fail(not_an_object()))
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.fail(not_an_object()))
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.fail(not_an_object()))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.fail(not_an_object()))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Err(self.fail(not_an_object()))
    }
}

fn not_an_object() -> ReadError {
    err(
        BALLOTS,
        "$",
        "expected an object with \"candidates\" and \"ballots\"",
    )
}

/// The `ballots` array, read one ballot at a time.
struct Ballots<'s>(&'s mut BallotStream);

impl<'de> serde::de::DeserializeSeed<'de> for Ballots<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Ballots<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a \"ballots\" array")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let stream = self.0;
        let mut b = 0;
        while let Some(builder) = stream.builder.as_mut() {
            match seq.next_element_seed(StreamedBallot { builder, b })? {
                None => break,
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(stream.fail(e)),
            }
            b += 1;
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Err(self
            .0
            .fail(err(BALLOTS, "$", "expected a \"ballots\" array")))
    }
}

/// One ballot of the `ballots` array (number `b`), read straight into its
/// group: the usual list of rank slots without building JSON values (a
/// million ballots, no allocation each), a `{"ranks", "count"}` object as a
/// value through [`add_ballot`]. Errors are those of [`add_ballot`], found in
/// the same order: the whole ballot is parsed before its first problem is
/// returned (a syntax error later in it wins), and too many slots before a
/// bad slot.
struct StreamedBallot<'s> {
    builder: &'s mut ElectionBuilder,
    b: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for StreamedBallot<'_> {
    type Value = Result<(), ReadError>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl StreamedBallot<'_> {
    fn not_slots(&self) -> Result<(), ReadError> {
        Err(err(
            BALLOTS,
            &format!("$.ballots[{}]", self.b),
            "expected a list of rank slots",
        ))
    }
}

impl<'de> serde::de::Visitor<'de> for StreamedBallot<'_> {
    type Value = Result<(), ReadError>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a ballot")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let b = self.b;
        self.builder.begin();
        let mut first_error = None;
        let mut r = 0;
        while let Some(slot) = seq.next_element_seed(StreamedSlot {
            builder: &mut *self.builder,
            b,
            r,
            failed: first_error.is_some(),
        })? {
            if first_error.is_none() {
                first_error = slot.err();
            }
            r += 1;
        }
        if r > MAX_RANK as usize {
            return Ok(Err(err(
                BALLOTS,
                &format!("$.ballots[{b}]"),
                format!("expected at most {MAX_RANK} rank slots"),
            )));
        }
        if let Some(e) = first_error {
            return Ok(Err(e));
        }
        self.builder.end_ballot(1);
        Ok(Ok(()))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut obj = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value: Value = map.next_value()?;
            obj.insert(key, value);
        }
        Ok(add_ballot(&Value::Object(obj), self.b, self.builder))
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(self.not_slots())
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(self.not_slots())
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(self.not_slots())
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(self.not_slots())
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(self.not_slots())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.not_slots())
    }
}

/// Rank slot `r` of streamed ballot `b`, as [`read_slot`] reads it, its
/// candidates pushed into the builder's current ballot. `failed`: an earlier
/// slot already failed, so this one is only parsed.
struct StreamedSlot<'s> {
    builder: &'s mut ElectionBuilder,
    b: usize,
    r: usize,
    failed: bool,
}

impl StreamedSlot<'_> {
    fn path(&self) -> String {
        format!("$.ballots[{}][{}]", self.b, self.r)
    }

    fn not_a_list(&self) -> Result<(), ReadError> {
        Err(err(
            BALLOTS,
            &self.path(),
            "expected a list of candidate names ([] for a skipped rank)",
        ))
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for StreamedSlot<'_> {
    type Value = Result<(), ReadError>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StreamedSlot<'_> {
    type Value = Result<(), ReadError>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a rank slot")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut result = Ok(());
        let mut k = 0;
        while let Some(name) = seq.next_element_seed(NameSeed)? {
            if self.failed || result.is_err() {
                k += 1;
                continue;
            }
            let at = || format!("{}[{k}]", self.path());
            let Some(name) = name else {
                result = Err(err(BALLOTS, &at(), "expected a candidate name"));
                k += 1;
                continue;
            };
            match self.builder.known(&name) {
                Some(idx) => self.builder.push(idx),
                None if name == UNDECLARED_WRITE_INS => {
                    let idx = self.builder.candidate(&name);
                    self.builder.push(idx);
                }
                None => {
                    result = Err(err(
                        BALLOTS,
                        &at(),
                        format!("expected one of the candidates, found \"{name}\""),
                    ))
                }
            }
            k += 1;
        }
        if result.is_ok() {
            self.builder.end_rank();
        }
        Ok(result)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(self.not_a_list())
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(self.not_a_list())
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(self.not_a_list())
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(self.not_a_list())
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(self.not_a_list())
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(self.not_a_list())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.not_a_list())
    }
}

/// A candidate name in a slot, borrowed from the text when it has no escape;
/// `None` for any other JSON value (parsed and dropped).
struct NameSeed;

impl<'de> serde::de::DeserializeSeed<'de> for NameSeed {
    type Value = Option<std::borrow::Cow<'de, str>>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for NameSeed {
    type Value = Option<std::borrow::Cow<'de, str>>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a candidate name")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(std::borrow::Cow::Borrowed(v)))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(std::borrow::Cow::Owned(v.to_owned())))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(None)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A builder holding the `candidates` names, in order.
fn declared_candidates(root: &Map<String, Value>) -> Result<ElectionBuilder, ReadError> {
    let names = root
        .get("candidates")
        .and_then(Value::as_array)
        .ok_or_else(|| err(BALLOTS, "$", "expected a \"candidates\" array of names"))?;
    let mut declared = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let name = name.as_str().ok_or_else(|| {
            err(
                BALLOTS,
                &format!("$.candidates[{i}]"),
                "expected a candidate name",
            )
        })?;
        declared.push(name);
    }
    ElectionBuilder::with_candidates(&declared).map_err(|m| err(BALLOTS, "$.candidates", m))
}

/// `maxRank`, if given: a whole number up to [`MAX_RANK`].
fn read_max_rank(value: Option<&Value>) -> Result<Option<u32>, ReadError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => Ok(Some(
            v.as_u64()
                .filter(|&n| n <= u64::from(MAX_RANK))
                .ok_or_else(|| {
                    err(
                        BALLOTS,
                        "$.maxRank",
                        format!("expected a whole number up to {MAX_RANK}"),
                    )
                })? as u32,
        )),
    }
}

/// A ballot's rank slots, count and whether the slots are its `ranks` (else
/// the ballot itself): a list of slots (count 1) or `{"ranks": [...], "count":
/// n}`; at most [`MAX_RANK`] slots. `bpath` writes the ballot's JSON path.
fn ballot_slots<'a>(
    ballot: &'a Value,
    bpath: &dyn Fn() -> String,
) -> Result<(&'a Vec<Value>, u64, bool), ReadError> {
    let (slots, count, in_ranks) = match ballot {
        Value::Array(slots) => (slots, 1, false),
        Value::Object(obj) => {
            let slots = obj
                .get("ranks")
                .and_then(Value::as_array)
                .ok_or_else(|| err(BALLOTS, &bpath(), "expected a \"ranks\" array"))?;
            let count = match obj.get("count") {
                None => 1,
                Some(c) => c.as_u64().ok_or_else(|| {
                    err(
                        BALLOTS,
                        &format!("{}.count", bpath()),
                        "expected a whole number of ballots",
                    )
                })?,
            };
            (slots, count, true)
        }
        _ => return Err(err(BALLOTS, &bpath(), "expected a list of rank slots")),
    };
    if slots.len() > MAX_RANK as usize {
        let spath = if in_ranks {
            format!("{}.ranks", bpath())
        } else {
            bpath()
        };
        return Err(err(
            BALLOTS,
            &spath,
            format!("expected at most {MAX_RANK} rank slots"),
        ));
    }
    Ok((slots, count, in_ranks))
}

/// One rank slot: a list of candidate names ([] when skipped); an undeclared
/// write-in becomes a candidate the first time it is used.
fn read_slot(
    slot: &Value,
    rpath: &dyn Fn() -> String,
    builder: &mut ElectionBuilder,
) -> Result<Vec<CandidateIdx>, ReadError> {
    let slot = slot.as_array().ok_or_else(|| {
        err(
            BALLOTS,
            &rpath(),
            "expected a list of candidate names ([] for a skipped rank)",
        )
    })?;
    let mut cands = Vec::with_capacity(slot.len());
    for (k, name) in slot.iter().enumerate() {
        let name = name.as_str().ok_or_else(|| {
            err(
                BALLOTS,
                &format!("{}[{k}]", rpath()),
                "expected a candidate name",
            )
        })?;
        let idx = match builder.known(name) {
            Some(idx) => idx,
            None if name == UNDECLARED_WRITE_INS => builder.candidate(name),
            None => {
                return Err(err(
                    BALLOTS,
                    &format!("{}[{k}]", rpath()),
                    format!("expected one of the candidates, found \"{name}\""),
                ))
            }
        };
        cands.push(idx);
    }
    Ok(cands)
}

impl RctabRules {
    /// The engine's rule options with the same meaning, and the number of seats, for
    /// counting `election` (whose candidate order must be the configuration's, for
    /// `useCandidateOrder`). Settings Christen does not implement are an error
    /// naming the setting, never silently ignored.
    pub fn to_rcv_rules(&self, election: &Election) -> Result<(RcvRules, u32), String> {
        let overvote = match self.overvote_rule.as_str() {
            "exhaustImmediately" => OvervoteRule::ExhaustImmediately,
            "alwaysSkipToNextRank" => OvervoteRule::AlwaysSkipToNextRank,
            "exhaustIfMultipleContinuing" => OvervoteRule::ExhaustIfMultipleContinuing,
            other => return Err(format!("overvoteRule \"{other}\" is not supported")),
        };
        let seed = self.random_seed.unwrap_or(0);
        let tie_break = match self.tiebreak_mode.as_str() {
            "random" => TieBreakMode::Random { seed },
            "useCandidateOrder" => TieBreakMode::CandidateOrder,
            "previousRoundCountsThenRandom" => TieBreakMode::PreviousRoundsThenRandom { seed },
            // Counted; only a tie that needs breaking stops the count.
            "generatePermutation" => TieBreakMode::Permutation { seed },
            "stopCountingAndAsk" => TieBreakMode::Ask,
            "previousRoundCountsThenAsk" => TieBreakMode::PreviousRoundsThenAsk,
            other => return Err(format!("tiebreakMode \"{other}\" is not supported")),
        };
        // RCTab's winner election modes (`ContestConfig.WinnerElectionMode`).
        let winner_mode = match self.winner_election_mode.as_str() {
            "singleWinnerMajority" if self.number_of_winners == 1 => WinnerMode::default(),
            "multiWinnerAllowMultipleWinnersPerRound" => WinnerMode::MultipleWinnersPerRound,
            "multiWinnerAllowOnlyOneWinnerPerRound" => WinnerMode::OneWinnerPerRound,
            "bottomsUp" => WinnerMode::BottomsUp,
            "bottomsUpUsingPercentageThreshold" => self.percentage_mode()?,
            "multiPassIrv" if self.number_of_winners > 1 => WinnerMode::MultiPass,
            other => {
                return Err(format!(
                    "winnerElectionMode \"{other}\" with {} winners is not supported",
                    self.number_of_winners
                ))
            }
        };
        self.threshold_fits_mode()?;
        if self.number_of_winners == 0
            && !matches!(winner_mode, WinnerMode::BottomsUpPercentage { .. })
        {
            return Err("numberOfWinners 0 needs winnerElectionMode \
                 \"bottomsUpUsingPercentageThreshold\""
                .to_owned());
        }
        // Both true was refused by `threshold_fits_mode`.
        let threshold = match (self.hare_quota, self.non_integer_winning_threshold) {
            (true, _) => ThresholdRule::HareWhole,
            (false, true) => ThresholdRule::DroopFractional,
            (false, false) => ThresholdRule::DroopWhole,
        };
        if self.decimal_places_for_vote_arithmetic > MAX_DECIMALS {
            return Err(format!(
                "decimalPlacesForVoteArithmetic {} is more than {MAX_DECIMALS}",
                self.decimal_places_for_vote_arithmetic
            ));
        }
        let rules = RcvRules {
            overvote,
            max_skipped_ranks: self.max_skipped_ranks_allowed,
            max_rankings: self.max_rankings_allowed,
            duplicates: if self.exhaust_on_duplicate_candidate {
                DuplicateRule::Exhaust
            } else {
                DuplicateRule::Skip
            },
            batch_elimination: self.batch_elimination,
            continue_until_two: self.continue_until_two_candidates_remain,
            threshold,
            decimals: self.decimal_places_for_vote_arithmetic,
            tie_break,
            undeclared_write_in: election
                .candidates
                .iter()
                .position(|c| c == UNDECLARED_WRITE_INS)
                .map(|i| i as CandidateIdx),
            explicit_overvote: election
                .candidates
                .iter()
                .position(|c| c == EXPLICIT_OVERVOTE)
                .map(|i| i as CandidateIdx),
            winner_mode,
            minimum_votes: self.minimum_vote_threshold,
            first_round_threshold: self.does_first_round_determine_threshold,
            stop_after_round: self.stop_tabulation_early_after_round,
            ..RcvRules::default()
        };
        Ok((rules, self.number_of_winners.max(1)))
    }

    /// `bottomsUpUsingPercentageThreshold`, validated as RCTab's
    /// `ContestConfig.validateRules` does: numberOfWinners 0, the percentage
    /// given, no batch elimination (nor, as for every mode but two, a
    /// fractional or Hare threshold: [`Self::threshold_fits_mode`]). With
    /// `continueUntilTwoCandidatesRemain` (which RCTab does not refuse, but
    /// whose winners would be elected again round after round) it is refused.
    fn percentage_mode(&self) -> Result<WinnerMode, String> {
        const MODE: &str = "bottomsUpUsingPercentageThreshold";
        let percent = self
            .multi_seat_bottoms_up_percentage_threshold
            .ok_or(format!(
                "winnerElectionMode \"{MODE}\" needs multiSeatBottomsUpPercentageThreshold"
            ))?;
        if self.number_of_winners != 0 {
            return Err(format!(
                "numberOfWinners must be 0 when winnerElectionMode is \"{MODE}\", not {}",
                self.number_of_winners
            ));
        }
        if self.batch_elimination {
            return Err(format!(
                "batchElimination can't be true when winnerElectionMode is \"{MODE}\""
            ));
        }
        if self.continue_until_two_candidates_remain {
            return Err(format!(
                "continueUntilTwoCandidatesRemain with winnerElectionMode \"{MODE}\" \
                 is not supported"
            ));
        }
        Ok(WinnerMode::BottomsUpPercentage { percent })
    }

    /// RCTab's `ContestConfig.validateRules` allows nonIntegerWinningThreshold
    /// and hareQuota only with the two modes that elect by a quota
    /// (`multiWinnerAllowMultipleWinnersPerRound`,
    /// `multiWinnerAllowOnlyOneWinnerPerRound`), and never both at once; it
    /// refuses such a configuration before counting, and so does Christen,
    /// in RCTab's words.
    fn threshold_fits_mode(&self) -> Result<(), String> {
        let mode = self.winner_election_mode.as_str();
        if matches!(
            mode,
            "multiWinnerAllowMultipleWinnersPerRound" | "multiWinnerAllowOnlyOneWinnerPerRound"
        ) {
            if self.non_integer_winning_threshold && self.hare_quota {
                return Err(
                    "nonIntegerWinningThreshold and hareQuota can't both be true \
                     at the same time"
                        .to_owned(),
                );
            }
            return Ok(());
        }
        for (on, field) in [
            (
                self.non_integer_winning_threshold,
                "nonIntegerWinningThreshold",
            ),
            (self.hare_quota, "hareQuota"),
        ] {
            if on {
                return Err(format!(
                    "{field} can't be true when winnerElectionMode is \"{mode}\""
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ballots_json_reads_alike_in_any_member_order() {
        let streamed = r#"{"candidates": ["A", "B"], "ballots": [[["A"], ["B"]], {"ranks": [["B"]], "count": 2}, [["A"], ["B"]]], "maxRank": 2}"#;
        let buffered = r#"{"maxRank": 2, "ballots": [[["A"], ["B"]], {"ranks": [["B"]], "count": 2}, [["A"], ["B"]]], "candidates": ["A", "B"]}"#;
        let a = read_rctab_ballots_json(streamed).unwrap();
        let b = read_rctab_ballots_json(buffered).unwrap();
        assert_eq!(a.election, b.election);
        assert_eq!(a.election.ballots.len(), 2);
        assert_eq!(a.election.ballots[0].count, 2);
        assert_eq!(a.max_rank, Some(2));
        let bad = streamed.replace(r#"[["B"]], "count""#, r#"[["Z"]], "count""#);
        let e = read_rctab_ballots_json(&bad).unwrap_err();
        assert!(
            matches!(&e.location, Location::JsonPath(p) if p == "$.ballots[1].ranks[0][0]"),
            "{e}"
        );
        for text in [
            "[1]",
            "3",
            r#"{"candidates": ["A"], "ballots": {}}"#,
            r#"{"candidates": ["A"], "ballots": [[["A"]]"#,
        ] {
            assert!(read_rctab_ballots_json(text).is_err(), "{text}");
        }
    }

    #[test]
    fn streamed_ballots_fail_as_buffered_ones_do() {
        // Candidates first: ballots streamed one by one without JSON values;
        // ballots first: read as values. Same error, same place, every time.
        let too_many = format!("[{}]", vec!["[]"; MAX_RANK as usize + 1].join(","));
        let too_many_bad = too_many.replacen("[]", "3", 1);
        for ballot in [
            r#"[["A"], ["Z"]]"#,
            r#"[["A"], "B"]"#,
            r#"[["A", 3]]"#,
            r#"[["A", {"x": 1}], ["Z"]]"#,
            r#"[null]"#,
            r#""A""#,
            "7",
            r#"{"ranks": [["A"]], "count": -1}"#,
            r#"{"count": 2}"#,
            // A syntax error later in the ballot is reported, not the name before it.
            r#"[["A"], ["Z"], ["B"}]"#,
            &too_many,
            &too_many_bad,
        ] {
            let ballots = format!(r#"[[["B"]], {ballot}, [["A"]]]"#);
            let streamed = format!(r#"{{"candidates": ["A", "B"], "ballots": {ballots}}}"#);
            // Blanks where the other has candidates: a syntax error's column is alike.
            let pad = " ".repeat(r#""candidates": ["A", "B"], "#.len());
            let buffered = format!(r#"{{{pad}"ballots": {ballots}, "candidates": ["A", "B"]}}"#);
            let a = read_rctab_ballots_json(&streamed).unwrap_err();
            let b = read_rctab_ballots_json(&buffered).unwrap_err();
            assert_eq!(a.to_string(), b.to_string(), "{ballot}");
        }
        let ok = r#"[["B", "B", "A"], [], ["Undeclared Write-ins"], [], []], {"ranks": [["A"]], "count": 0}, [["B","A"],[],["Undeclared Write-ins"]]"#;
        let streamed = format!(r#"{{"candidates": ["A", "B"], "ballots": [{ok}]}}"#);
        let buffered = format!(r#"{{"ballots": [{ok}], "candidates": ["A", "B"]}}"#);
        let a = read_rctab_ballots_json(&streamed).unwrap();
        assert_eq!(a, read_rctab_ballots_json(&buffered).unwrap());
        assert_eq!(a.election.ballots.len(), 1);
        assert_eq!(a.election.ballots[0].count, 2);
        assert_eq!(
            a.election.ballots[0].ranks,
            vec![vec![1, 0], vec![], vec![2]]
        );
    }

    #[test]
    fn ballots_json_keeps_skips_overvotes_and_duplicates() {
        let text = r#"{"candidates": ["A", "B"], "maxRank": 3,
            "rules": {"overvoteRule": "alwaysSkipToNextRank", "maxSkippedRanksAllowed": "unlimited", "maxRankingsAllowed": "max"},
            "ballots": [[["A", "B"], [], ["A"]], [["Undeclared Write-ins"]], [["A", "B"], [], ["A"]]]}"#;
        let b = read_rctab_ballots_json(text).unwrap();
        assert_eq!(b.election.candidates, ["A", "B", UNDECLARED_WRITE_INS]);
        assert_eq!(
            b.election.ballots[0].ranks,
            vec![vec![0, 1], vec![], vec![0]]
        );
        assert_eq!(b.election.ballots[0].count, 2);
        let rules = b.rules.unwrap();
        assert_eq!(rules.max_skipped_ranks_allowed, None);
        assert_eq!(rules.max_rankings_allowed, None);
        let (rcv, seats) = rules.to_rcv_rules(&b.election).unwrap();
        assert_eq!(seats, 1);
        assert_eq!(rcv.overvote, OvervoteRule::AlwaysSkipToNextRank);
        assert_eq!(rcv.undeclared_write_in, Some(2));
    }

    #[test]
    fn older_mode_names_are_migrated_as_rctab_does() {
        let rules = |json: &str| {
            let text = format!(r#"{{"candidates": ["A", "B"], "rules": {json}, "ballots": []}}"#);
            read_rctab_ballots_json(&text).unwrap().rules.unwrap()
        };
        let r = rules(
            r#"{"winnerElectionMode": "singleSeatContinueUntilTwoCandidatesRemain", "tiebreakMode": "usePermutationInConfig"}"#,
        );
        assert_eq!(r.winner_election_mode, "singleWinnerMajority");
        assert!(r.continue_until_two_candidates_remain);
        assert_eq!(r.tiebreak_mode, "useCandidateOrder");
        for (old, winners, new) in [
            ("standard", 1, "singleWinnerMajority"),
            ("standard", 3, "multiWinnerAllowMultipleWinnersPerRound"),
            (
                "multiSeatAllowOnlyOneWinnerPerRound",
                2,
                "multiWinnerAllowOnlyOneWinnerPerRound",
            ),
            ("multiSeatBottomsUp", 2, "bottomsUp"),
            ("multiSeatBottomsUp", 0, "bottomsUpUsingPercentageThreshold"),
            ("multiSeatSequentialWinnerTakesAll", 2, "multiPassIrv"),
        ] {
            let r = rules(&format!(
                r#"{{"winnerElectionMode": "{old}", "numberOfWinners": "{winners}", "tiebreakMode": "interactive"}}"#
            ));
            assert_eq!(r.winner_election_mode, new, "{old} {winners}");
            assert_eq!(r.tiebreak_mode, "stopCountingAndAsk");
        }
    }

    #[test]
    fn unknown_names_and_unsupported_rules_are_errors() {
        let err =
            read_rctab_ballots_json(r#"{"candidates": ["A"], "ballots": [[["Z"]]]}"#).unwrap_err();
        assert_eq!(
            err.location,
            Location::JsonPath("$.ballots[0][0][0]".to_owned())
        );
        let b = read_rctab_ballots_json(
            r#"{"candidates": ["A"], "rules": {"winnerElectionMode": "multiPassIrv"}, "ballots": []}"#,
        )
        .unwrap();
        let err = b.rules.unwrap().to_rcv_rules(&b.election).unwrap_err();
        assert!(err.contains("multiPassIrv"), "{err}");
    }
}
