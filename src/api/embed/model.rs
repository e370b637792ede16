//! What the embedded views show, read from a results document (the JSON body of
//! `GET /v1/contests/{id}/results`), so the page, the SVG and the widget show
//! exactly what the results endpoint serves.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::api::i18n::Strings;
use crate::domain::{Phase, ResultsVisibility};

/// Which chart a method gets.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartKind {
    /// IRV/STV: the votes of the final round.
    FinalRound { round: u64, rounds: u64 },
    /// Condorcet methods: the ranking with head-to-head wins.
    Pairwise { opponents: u64 },
    /// Plurality (votes) and Borda (points): the score of each name.
    Scores { points: bool },
    /// Only an order is known.
    Ranking,
}

/// One bar: a name, its value and the value's words (`12 votes`).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub name: String,
    pub value: f64,
    pub label: String,
    pub winner: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub kind: ChartKind,
    pub caption: String,
    pub bars: Vec<Bar>,
}

impl Chart {
    /// The largest value, at least 1 (bar widths are fractions of it).
    pub fn max(&self) -> f64 {
        self.bars.iter().map(|b| b.value).fold(1.0, f64::max)
    }

    /// Width of a bar as a fraction 0–1.
    pub fn fraction(&self, bar: &Bar) -> f64 {
        (bar.value / self.max()).clamp(0.0, 1.0)
    }
}

/// A contest's visible results, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultsView {
    pub winners: Vec<String>,
    pub ballots_counted: u64,
    pub computed_at: Option<DateTime<Utc>>,
    pub final_: bool,
    pub chart: Chart,
}

/// What the page shows about a contest, results or not.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub title: String,
    pub phase: Phase,
    pub body: PageBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PageBody {
    Results(ResultsView),
    /// The results endpoint refuses the public: say when that changes.
    NotYet(NotYet),
}

/// Why results are not public yet, and when they will be.
#[derive(Debug, Clone, PartialEq)]
pub enum NotYet {
    Hidden,
    UntilClose(Option<DateTime<Utc>>),
}

impl NotYet {
    pub fn new(visibility: ResultsVisibility, voting_close_at: Option<DateTime<Utc>>) -> Self {
        match visibility {
            ResultsVisibility::Hidden => NotYet::Hidden,
            _ => NotYet::UntilClose(voting_close_at),
        }
    }

    pub fn message(&self, s: &Strings) -> String {
        match self {
            NotYet::Hidden => s.not_public_hidden.to_owned(),
            NotYet::UntilClose(Some(at)) => {
                s.not_public_until_close_at.replace("{time}", &s.date(*at))
            }
            NotYet::UntilClose(None) => s.not_public_until_close.to_owned(),
        }
    }
}

fn num(v: &Value) -> f64 {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0.0)
}

/// A vote count as words show it: whole numbers without decimals, fractions
/// (STV transfers) with at most two.
pub fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn id_of(c: &Value) -> String {
    match &c["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn name_of(c: &Value) -> String {
    c["name"].as_str().unwrap_or("").to_owned()
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// The names of the ranking, best first (groups flattened).
fn ranking_order(report: &Value) -> Vec<&Value> {
    list(&report["ranking"])
        .iter()
        .flat_map(|g| match g {
            Value::Array(members) => members.iter().collect::<Vec<_>>(),
            single => vec![single],
        })
        .collect()
}

impl ResultsView {
    /// Reads a results document. Missing parts give an empty chart, never a panic.
    pub fn from_report(report: &Value, s: &Strings) -> ResultsView {
        let winners: Vec<String> = list(&report["winners"]).iter().map(name_of).collect();
        let winner_ids: Vec<String> = list(&report["winners"]).iter().map(id_of).collect();
        ResultsView {
            winners,
            ballots_counted: report["ballots_counted"].as_u64().unwrap_or(0),
            computed_at: report["computed_at"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc)),
            final_: report["final"].as_bool().unwrap_or(false),
            chart: Chart::of_report(report, &winner_ids, s),
        }
    }
}

/// A head-to-head matrix: `pairwise[i][j]` voters prefer `i` over `j`.
type Pairwise = Vec<Vec<f64>>;

impl Chart {
    /// The chart the report's method gets: the final round (IRV/STV), wins
    /// head to head (Condorcet methods), scores (plurality, Borda), else the
    /// ranking alone.
    fn of_report(report: &Value, winner_ids: &[String], s: &Strings) -> Chart {
        let is_winner = |c: &Value| winner_ids.contains(&id_of(c));
        let method = report["method"].as_str().unwrap_or("");
        let rounds = list(&report["rounds"]);
        let candidates = list(&report["candidates"]);
        let pairwise: Pairwise = list(&report["pairwise"])
            .iter()
            .map(|row| list(row).iter().map(num).collect())
            .collect();
        let scores = list(&report["scores"]);
        if matches!(method, "irv" | "stv") && !rounds.is_empty() {
            Chart::final_round(rounds, &is_winner, s)
        } else if !pairwise.is_empty()
            && pairwise.len() == candidates.len()
            && matches!(method, "schulze" | "ranked_pairs" | "copeland")
        {
            Chart::pairwise(report, candidates, &pairwise, &is_winner, s)
        } else if !scores.is_empty() {
            Chart::scores(method, scores, &is_winner, s)
        } else {
            Chart::ranking(report, &is_winner, s)
        }
    }

    /// IRV/STV: the votes of the final round, most first.
    fn final_round(rounds: &[Value], is_winner: &dyn Fn(&Value) -> bool, s: &Strings) -> Chart {
        let last = &rounds[rounds.len() - 1];
        let mut bars: Vec<Bar> = list(&last["counts"])
            .iter()
            .map(|c| {
                let votes = num(&c["votes"]);
                Bar {
                    name: name_of(c),
                    value: votes,
                    label: s.votes(&s.number(votes)),
                    winner: is_winner(c),
                }
            })
            .collect();
        bars.sort_by(|a, b| b.value.total_cmp(&a.value));
        let round = last["round"].as_u64().unwrap_or(rounds.len() as u64);
        Chart {
            kind: ChartKind::FinalRound {
                round,
                rounds: rounds.len() as u64,
            },
            caption: s
                .chart_final_round
                .replace("{round}", &round.to_string())
                .replace("{rounds}", &rounds.len().to_string()),
            bars,
        }
    }

    /// Condorcet methods: the ranking, each with its head-to-head wins.
    fn pairwise(
        report: &Value,
        candidates: &[Value],
        pairwise: &Pairwise,
        is_winner: &dyn Fn(&Value) -> bool,
        s: &Strings,
    ) -> Chart {
        let n = candidates.len();
        let wins = |i: usize| -> u64 {
            (0..n)
                .filter(|&j| {
                    j != i
                        && pairwise[i].get(j).copied().unwrap_or(0.0)
                            > pairwise
                                .get(j)
                                .and_then(|r| r.get(i))
                                .copied()
                                .unwrap_or(0.0)
                })
                .count() as u64
        };
        let opponents = n.saturating_sub(1) as u64;
        let bars = ranking_order(report)
            .into_iter()
            .map(|c| {
                let id = id_of(c);
                let w = candidates
                    .iter()
                    .position(|k| id_of(k) == id)
                    .map(wins)
                    .unwrap_or(0);
                Bar {
                    name: name_of(c),
                    value: w as f64,
                    label: s
                        .wins
                        .replace("{wins}", &w.to_string())
                        .replace("{opponents}", &opponents.to_string()),
                    winner: is_winner(c),
                }
            })
            .collect();
        Chart {
            kind: ChartKind::Pairwise { opponents },
            caption: s
                .chart_pairwise
                .replace("{opponents}", &opponents.to_string()),
            bars,
        }
    }

    /// Plurality (votes) and Borda or Copeland (points): each name's score,
    /// highest first.
    fn scores(
        method: &str,
        scores: &[Value],
        is_winner: &dyn Fn(&Value) -> bool,
        s: &Strings,
    ) -> Chart {
        let points = method == "borda" || method == "copeland";
        let mut bars: Vec<Bar> = scores
            .iter()
            .map(|c| {
                let score = num(&c["score"]);
                Bar {
                    name: name_of(c),
                    value: score,
                    label: if points {
                        s.points.replace("{n}", &s.number(score))
                    } else {
                        s.votes(&s.number(score))
                    },
                    winner: is_winner(c),
                }
            })
            .collect();
        bars.sort_by(|a, b| b.value.total_cmp(&a.value));
        Chart {
            kind: ChartKind::Scores { points },
            caption: s.chart_scores.to_owned(),
            bars,
        }
    }

    /// Only an order is known: bars shrink down the ranking.
    fn ranking(report: &Value, is_winner: &dyn Fn(&Value) -> bool, s: &Strings) -> Chart {
        let order = ranking_order(report);
        let n = order.len();
        let bars = order
            .into_iter()
            .enumerate()
            .map(|(i, c)| Bar {
                name: name_of(c),
                value: (n - i) as f64,
                label: format!("#{}", i + 1),
                winner: is_winner(c),
            })
            .collect();
        Chart {
            kind: ChartKind::Ranking,
            caption: s.chart_ranking.to_owned(),
            bars,
        }
    }
}
