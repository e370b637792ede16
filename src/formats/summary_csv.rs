//! RCTab's round-by-round summary spreadsheet (`*_summary.csv`, named
//! `*_expected_detailed_report.csv` in its regression data), written as RCTab
//! 2.0's `ResultsWriter.generateSummarySpreadsheet` writes it:
//!
//! - "Contest Information" (type of election, contest, winners in order of
//!   election, final threshold), "Contest Summary" (seats, candidates, ballots,
//!   undervotes), then one block of three columns per round: votes, "% of vote"
//!   and "transfer" (the change to the next round; 0 in the last);
//! - "Eliminated" and "Elected" rows naming each round's candidates (`; `
//!   between several), one row per candidate of round 1 (most votes first,
//!   equal votes in configuration order), active ballots, the round's
//!   threshold, the inactive ballots by reason and in total, and for several
//!   seats the residual surplus and the final round's surplus;
//! - numbers as Java's `BigDecimal.toString` prints them: whole until a value
//!   holds a ballot revalued by a surplus, then with every decimal place
//!   (`3.0000`); percentages truncated to two places from a seven-digit
//!   quotient (`MathContext.DECIMAL32`), printed as Java prints a `double`
//!   (`25.0%`, `24.13%`), of the round's active votes (one seat) or round 1's
//!   (several);
//! - fields quoted as Apache Commons CSV's default format quotes them; lines
//!   end with `\n`.

use super::cvr::{candidate_count, UNDECLARED_WRITE_INS};
use crate::tally::rcv::{java_hash_map_order, InactiveReason, RcvCount};
use crate::tally::{CandidateIdx, Election, Round};

/// The contest details at the top of the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryMeta {
    pub contest: String,
    pub jurisdiction: String,
    pub office: String,
    pub date: String,
    pub generated_by: String,
    /// RCTab's "Number to be Elected": its configuration's `numberOfWinners` as
    /// it stood during the count (0 under `bottomsUpUsingPercentageThreshold`,
    /// 1 in each `multiPassIrv` pass). `None`: the count's seats.
    pub number_to_elect: Option<u32>,
    /// Whether RCTab's `isSingleWinnerEnabled()` holds (winner election mode
    /// `singleWinnerMajority`): "Single-Winner", and each round's "% of vote" of
    /// that round's active ballots rather than round 1's. `None`: one seat.
    pub single_winner: Option<bool>,
}

impl SummaryMeta {
    fn is_single_winner(&self, seats: u32) -> bool {
        self.single_winner.unwrap_or(seats == 1)
    }
}

/// A vote amount with whether RCTab would print its decimal places.
#[derive(Clone, Copy)]
struct Amount {
    units: i128,
    scaled: bool,
}

impl Amount {
    fn add(self, other: Amount) -> Amount {
        Amount {
            units: self.units + other.units,
            scaled: self.scaled || other.scaled,
        }
    }

    fn minus(self, other: Amount) -> Amount {
        Amount {
            units: self.units - other.units,
            scaled: self.scaled || other.scaled,
        }
    }
}

struct Writer<'a> {
    count: &'a RcvCount,
    election: &'a Election,
    decimals: usize,
    /// "% of vote" of each round's active ballots (else round 1's).
    single_winner: bool,
    out: String,
}

/// The summary spreadsheet of `count` (of `election`, candidates as named there).
pub fn write_summary_csv(count: &RcvCount, election: &Election, meta: &SummaryMeta) -> String {
    let mut w = Writer {
        count,
        election,
        decimals: count.scale.to_string().len() - 1,
        single_winner: meta.is_single_winner(count.seats),
        out: String::new(),
    };
    w.header(meta);
    w.round_header();
    w.actions();
    w.candidates();
    w.totals();
    w.out
}

impl Writer<'_> {
    fn name(&self, c: CandidateIdx) -> &str {
        &self.election.candidates[c as usize]
    }

    fn record<S: AsRef<str>>(&mut self, fields: &[S]) {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(&quote(f.as_ref(), i == 0));
        }
        self.out.push('\n');
    }

    fn number(&self, a: Amount) -> String {
        let one = self.count.scale as i128;
        let sign = if a.units < 0 { "-" } else { "" };
        let abs = a.units.unsigned_abs();
        let (whole, frac) = (abs / one as u128, abs % one as u128);
        if a.scaled || frac != 0 {
            let width = self.decimals;
            if width == 0 {
                format!("{sign}{whole}")
            } else {
                format!("{sign}{whole}.{frac:0width$}")
            }
        } else {
            format!("{sign}{whole}")
        }
    }

    fn header(&mut self, meta: &SummaryMeta) {
        let c = self.count;
        let winners: Vec<&str> = c.winners.iter().map(|&w| self.name(w)).collect();
        let last = c.rounds.last();
        let threshold = last.map_or(String::new(), |r| self.number(self.threshold(r)));
        let ballots: u64 = self.election.ballots.iter().map(|b| b.count).sum();
        let undervotes = c.undervotes / c.scale;
        let kind = if meta.is_single_winner(c.seats) {
            "Single-Winner"
        } else {
            "Multi-Winner"
        };
        let rows: Vec<Vec<String>> = vec![
            vec!["Contest Information".into()],
            vec!["Generated By".into(), meta.generated_by.clone()],
            vec!["CSV Format Version".into(), "1".into()],
            vec!["Type of Election".into(), kind.into()],
            vec!["Contest".into(), meta.contest.clone()],
            vec!["Jurisdiction".into(), meta.jurisdiction.clone()],
            vec!["Office".into(), meta.office.clone()],
            vec!["Date".into(), meta.date.clone()],
            vec!["Winner(s)".into(), winners.join(", ")],
            vec!["Final Threshold".into(), threshold],
        ];
        for row in rows {
            self.record(&row);
        }
        self.out.push('\n');
        let rows: Vec<Vec<String>> = vec![
            vec!["Contest Summary".into()],
            vec![
                "Number to be Elected".into(),
                meta.number_to_elect.unwrap_or(c.seats).to_string(),
            ],
            vec![
                "Number of Candidates".into(),
                candidate_count(self.election).to_string(),
            ],
            vec!["Total Number of Ballots".into(), ballots.to_string()],
            vec![
                "Number of Undervotes (No Rankings)".into(),
                undervotes.to_string(),
            ],
        ];
        for row in rows {
            self.record(&row);
        }
        self.out.push('\n');
    }

    fn round_header(&mut self) {
        let mut row = vec!["Rounds".to_owned()];
        for r in &self.count.rounds {
            row.push(format!("Round {} Votes", r.round));
            row.push("% of vote".to_owned());
            row.push("transfer".to_owned());
        }
        self.record(&row);
    }

    fn actions(&mut self) {
        for (label, elected) in [("Eliminated", false), ("Elected", true)] {
            let mut row = vec![label.to_owned()];
            for r in &self.count.rounds {
                let who = if elected { &r.elected } else { &r.eliminated };
                let names: Vec<&str> = who.iter().map(|&c| self.name(c)).collect();
                row.push(names.join("; "));
                row.push(String::new());
                row.push(String::new());
            }
            self.record(&row);
        }
    }

    fn votes(&self, r: &Round<CandidateIdx, u128>, c: CandidateIdx) -> Amount {
        let units = r.votes_of(&c).unwrap_or(0);
        Amount {
            units: units as i128,
            scaled: r.scaled.contains(&c),
        }
    }

    /// The round's votes, with the final round's surplus (RCTab's
    /// `activeAndLockedInBallotSum`).
    fn active(&self, r: &Round<CandidateIdx, u128>) -> Amount {
        let surplus = self.inactive(r, InactiveReason::FinalRoundSurplus);
        r.counts
            .iter()
            .map(|t| self.votes(r, t.candidate))
            .fold(surplus, Amount::add)
    }

    fn threshold(&self, r: &Round<CandidateIdx, u128>) -> Amount {
        Amount {
            units: r.threshold as i128,
            scaled: r.threshold % self.count.scale != 0,
        }
    }

    fn candidates(&mut self) {
        let Some(first) = self.count.rounds.first() else {
            return;
        };
        // RCTab sorts the round's tally map (a `java.util.HashMap`) by votes,
        // most first, keeping the map's order among equals; undeclared
        // write-ins come last.
        let uwi = self
            .election
            .candidates
            .iter()
            .position(|c| c == UNDECLARED_WRITE_INS)
            .map(|i| i as CandidateIdx);
        let listed: Vec<CandidateIdx> = first
            .counts
            .iter()
            .map(|t| t.candidate)
            .filter(|&c| Some(c) != uwi)
            .collect();
        let mut order: Vec<(u128, CandidateIdx)> =
            java_hash_map_order(&listed, &self.election.candidates)
                .into_iter()
                .map(|c| (self.votes(first, c).units as u128, c))
                .collect();
        order.sort_by_key(|&(votes, _)| std::cmp::Reverse(votes));
        if let Some(u) = uwi.filter(|u| first.votes_of(u).is_some()) {
            order.push((0, u));
        }
        let several = !self.single_winner;
        let first_active = self.active(first);
        for (_, c) in order {
            let mut row = vec![self.name(c).to_owned()];
            let rounds = &self.count.rounds;
            for (i, r) in rounds.iter().enumerate() {
                let v = self.votes(r, c);
                let of = if several {
                    first_active
                } else {
                    self.active(r)
                };
                row.push(self.number(v));
                row.push(percent(v.units, of.units));
                row.push(match rounds.get(i + 1) {
                    Some(next) => self.number(self.votes(next, c).minus(v)),
                    None => "0".to_owned(),
                });
            }
            self.record(&row);
        }
    }

    fn inactive(&self, r: &Round<CandidateIdx, u128>, reason: InactiveReason) -> Amount {
        let i = &r.inactive;
        let units = match reason {
            InactiveReason::Overvotes => i.overvotes,
            InactiveReason::SkippedRankings => i.skipped_rankings,
            InactiveReason::RepeatedRankings => i.repeated_rankings,
            InactiveReason::ExhaustedChoices => i.exhausted_choices,
            InactiveReason::FinalRoundSurplus => i.final_round_surplus,
            InactiveReason::Undervote => self.count.undervotes,
        };
        Amount {
            units: units as i128,
            scaled: r.scaled_inactive & (1 << reason as u8) != 0,
        }
    }

    /// A row of a value per round, the transfer column giving the change to
    /// the next round (`with_transfer`) or left blank.
    fn per_round(
        &mut self,
        label: &str,
        with_transfer: bool,
        value: impl Fn(&Self, &Round<CandidateIdx, u128>) -> Option<Amount>,
    ) {
        let rounds = &self.count.rounds;
        let mut row = vec![label.to_owned()];
        for (i, r) in rounds.iter().enumerate() {
            let v = value(self, r);
            row.push(v.map_or(String::new(), |v| self.number(v)));
            row.push(String::new());
            row.push(match (with_transfer, v, rounds.get(i + 1)) {
                (false, _, _) | (_, None, _) => String::new(),
                (true, Some(_), None) => "0".to_owned(),
                (true, Some(v), Some(next)) => {
                    value(self, next).map_or(String::new(), |n| self.number(n.minus(v)))
                }
            });
        }
        self.record(&row);
    }

    fn totals(&mut self) {
        self.per_round("Active Ballots", false, |w, r| Some(w.active(r)));
        self.per_round("Current Round Threshold", false, |w, r| {
            Some(w.threshold(r))
        });
        let reasons = [
            ("Overvotes", InactiveReason::Overvotes),
            ("Skipped Rankings", InactiveReason::SkippedRankings),
            ("Exhausted Choices", InactiveReason::ExhaustedChoices),
            ("Repeated Rankings", InactiveReason::RepeatedRankings),
        ];
        for (label, reason) in reasons {
            self.per_round(
                &format!("Inactive Ballots by {label}"),
                true,
                move |w, r| Some(w.inactive(r, reason)),
            );
        }
        self.per_round("Inactive Ballots Total", true, move |w, r| {
            Some(
                reasons
                    .iter()
                    .map(|&(_, reason)| w.inactive(r, reason))
                    .fold(
                        Amount {
                            units: 0,
                            scaled: false,
                        },
                        Amount::add,
                    ),
            )
        });
        if self.count.seats > 1 {
            self.per_round("Residual surplus", false, |_, r| {
                Some(Amount {
                    units: r.lost_to_rounding as i128,
                    scaled: r.lost_to_rounding > 0,
                })
            });
            self.per_round("Final Round Surplus", false, |w, r| {
                let v = w.inactive(r, InactiveReason::FinalRoundSurplus);
                (v.units != 0).then_some(v)
            });
        }
    }
}

/// `votes / of` as RCTab prints it: the quotient to seven significant digits
/// (half even), times 10⁴ truncated, over 100 as a Java `double`, then `%`.
fn percent(votes: i128, of: i128) -> String {
    if of <= 0 || votes <= 0 {
        return "0.0%".to_owned();
    }
    let (v, d) = (votes as u128, of as u128);
    // The smallest e ≥ 6 with v·10^e / d ≥ 10^6: the quotient to seven
    // significant digits is round(v·10^e / d) / 10^e (a share above 1000%
    // keeps e = 6).
    let mut e: u32 = 6;
    while v * 10u128.pow(e) < d * 1_000_000 && e < 24 {
        e += 1;
    }
    let q7 = round_half_even(v * 10u128.pow(e), d);
    // percent × 100 = q · 10^4, truncated.
    let hundredths = q7 / 10u128.pow(e - 4);
    let whole = hundredths / 100;
    let frac = hundredths % 100;
    if frac == 0 {
        format!("{whole}.0%")
    } else if frac % 10 == 0 {
        format!("{whole}.{}%", frac / 10)
    } else {
        format!("{whole}.{frac:02}%")
    }
}

fn round_half_even(n: u128, d: u128) -> u128 {
    let (q, r) = (n / d, n % d);
    match (2 * r).cmp(&d) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q % 2),
    }
}

/// A field as Apache Commons CSV's default (minimal) quoting writes it.
fn quote(field: &str, first: bool) -> String {
    let needs = match field.chars().next() {
        None => first,
        Some(c) => {
            (first && !c.is_ascii_alphanumeric())
                || c <= '#'
                || field.contains([',', '"', '\n', '\r'])
                || field.ends_with(|c: char| c <= ' ')
        }
    };
    if needs {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_print_as_rctab_prints_them() {
        assert_eq!(percent(7, 29), "24.13%");
        assert_eq!(percent(10, 40), "25.0%");
        assert_eq!(percent(72_501, 290_000), "25.0%");
        assert_eq!(percent(100_937, 290_000), "34.8%");
        assert_eq!(percent(5, 15), "33.33%");
        assert_eq!(percent(0, 15), "0.0%");
        assert_eq!(percent(15, 15), "100.0%");
    }

    #[test]
    fn fields_are_quoted_as_apache_commons_csv_does() {
        assert_eq!(
            quote("Vail, Christopher L.", false),
            "\"Vail, Christopher L.\""
        );
        assert_eq!(quote("-0.7499", false), "-0.7499");
        assert_eq!(quote("", false), "");
        assert_eq!(quote("Amy Klobuchar", true), "Amy Klobuchar");
    }
}
