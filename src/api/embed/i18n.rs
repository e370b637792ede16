//! Every user-visible string of the embed page, the SVG chart and the widget, in
//! one place. `{…}` placeholders are filled by the renderers.
//!
//! To add a language: add a variant to [`Lang`], its code to [`Lang::parse`] and a
//! `Strings` constant below.

use crate::domain::Phase;

/// A language of the embedded views (`?lang=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    /// `en` or `fr`; a region (`fr-CA`) or case does not matter.
    pub fn parse(raw: &str) -> Option<Lang> {
        let primary = raw.split(['-', '_']).next().unwrap_or("");
        match primary.to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        }
    }
}

pub struct Strings {
    pub results: &'static str,
    pub phase: &'static str,
    pub phases: [&'static str; 4],
    pub winner: &'static str,
    pub winners: &'static str,
    pub no_winner: &'static str,
    pub final_result: &'static str,
    pub live_result: &'static str,
    /// `{round}` and `{rounds}`.
    pub chart_final_round: &'static str,
    /// `{opponents}`.
    pub chart_pairwise: &'static str,
    pub chart_scores: &'static str,
    pub chart_ranking: &'static str,
    /// `{n}`.
    pub votes: &'static str,
    pub one_vote: &'static str,
    /// `{n}`.
    pub points: &'static str,
    /// `{wins}` and `{opponents}`.
    pub wins: &'static str,
    /// `{n}`.
    pub ballots_counted: &'static str,
    pub one_ballot_counted: &'static str,
    /// `{time}`.
    pub counted_at: &'static str,
    pub not_public_hidden: &'static str,
    /// `{time}`.
    pub not_public_until_close_at: &'static str,
    pub not_public_until_close: &'static str,
    pub full_results: &'static str,
    pub chart_of: &'static str,
    pub elected: &'static str,
}

impl Strings {
    /// `{n} votes`, with the singular for exactly one.
    pub fn votes(&self, n: &str) -> String {
        if n == "1" {
            self.one_vote.to_owned()
        } else {
            self.votes.replace("{n}", n)
        }
    }

    /// `{n} ballots counted`, with the singular for exactly one.
    pub fn ballots_counted(&self, n: u64) -> String {
        if n == 1 {
            self.one_ballot_counted.to_owned()
        } else {
            self.ballots_counted.replace("{n}", &n.to_string())
        }
    }

    pub fn phase_name(&self, phase: Phase) -> &'static str {
        match phase {
            Phase::Draft => self.phases[0],
            Phase::Suggesting => self.phases[1],
            Phase::Voting => self.phases[2],
            Phase::Closed => self.phases[3],
        }
    }
}

pub static EN: Strings = Strings {
    results: "Results",
    phase: "Phase",
    phases: [
        "Draft",
        "Taking suggestions",
        "Voting open",
        "Voting closed",
    ],
    winner: "Winner",
    winners: "Winners",
    no_winner: "No winner yet: no ballot has been counted.",
    final_result: "Final result",
    live_result: "Live result: it changes as ballots arrive",
    chart_final_round: "Votes in the final round (round {round} of {rounds})",
    chart_pairwise: "Head-to-head wins against the {opponents} other names, in the final ranking",
    chart_scores: "Scores in the final ranking",
    chart_ranking: "Final ranking",
    votes: "{n} votes",
    one_vote: "1 vote",
    points: "{n} points",
    wins: "{wins} of {opponents} head-to-head wins",
    ballots_counted: "{n} ballots counted",
    one_ballot_counted: "1 ballot counted",
    counted_at: "Counted {time}",
    not_public_hidden: "The organisers keep the results of this contest private.",
    not_public_until_close_at: "Results will be published when voting closes, on {time}.",
    not_public_until_close: "Results will be published when the organisers close voting.",
    full_results: "Full results (JSON)",
    chart_of: "Results chart",
    elected: "elected",
};

pub static FR: Strings = Strings {
    results: "Résultats",
    phase: "Étape",
    phases: [
        "Brouillon",
        "Propositions ouvertes",
        "Vote ouvert",
        "Vote clos",
    ],
    winner: "Nom gagnant",
    winners: "Noms gagnants",
    no_winner: "Pas encore de gagnant : aucun bulletin n’a été compté.",
    final_result: "Résultat définitif",
    live_result: "Résultat en direct : il évolue avec les bulletins",
    chart_final_round: "Voix au dernier tour (tour {round} sur {rounds})",
    chart_pairwise: "Duels gagnés contre les {opponents} autres noms, dans le classement final",
    chart_scores: "Scores dans le classement final",
    chart_ranking: "Classement final",
    votes: "{n} voix",
    one_vote: "1 voix",
    points: "{n} points",
    wins: "{wins} duels gagnés sur {opponents}",
    ballots_counted: "{n} bulletins comptés",
    one_ballot_counted: "1 bulletin compté",
    counted_at: "Compté le {time}",
    not_public_hidden: "Les organisateurs gardent les résultats de ce concours privés.",
    not_public_until_close_at: "Les résultats seront publiés à la clôture du vote, le {time}.",
    not_public_until_close: "Les résultats seront publiés quand les organisateurs cloront le vote.",
    full_results: "Résultats complets (JSON)",
    chart_of: "Graphique des résultats",
    elected: "élu",
};

/// A time as both languages show it: `2026-11-27 18:00 UTC`.
pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}
