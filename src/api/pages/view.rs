//! The participation page's markup (maud's `html!`: every value is escaped).
//! One page per contest; what it shows follows the phase.

use std::collections::HashMap;

use maud::{html, Markup, DOCTYPE};
use uuid::Uuid;

use super::assets;
pub use crate::api::embed::model::{Page as ResultsPage, PageBody as ResultsBody};
use crate::api::embed::results_markup;
use crate::api::i18n::{Lang, Strings};
use crate::app::ballots::ReadBack;
use crate::app::suggestions::Suggestion;
use crate::domain::{BallotCandidate, Contest, Phase, SuggestionStatus};

/// Where the page is and how it was asked for.
pub struct Frame<'a> {
    pub contest: &'a Contest,
    pub phase: Phase,
    pub lang: Lang,
    pub framed: bool,
    /// This service's public base URL (absolute links in the re-count line).
    pub base: &'a str,
    /// The form token of this browser.
    pub csrf: &'a str,
}

impl Frame<'_> {
    fn s(&self) -> &'static Strings {
        self.lang.strings()
    }

    /// A path of the contest's pages with the language (and frame) kept.
    pub fn url(&self, action: &str) -> String {
        page_url(self.contest.id.0, action, self.lang, self.framed)
    }
}

/// `/c/{id}{action}?lang=..[&framed=1]`.
pub fn page_url(id: Uuid, action: &str, lang: Lang, framed: bool) -> String {
    let framed = if framed { "&framed=1" } else { "" };
    format!("/c/{id}{action}?lang={}{framed}", lang.code())
}

/// What the visitor may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Take part (open electorate, or a voter cookie is there).
    Ready,
    /// Codes electorate, no voter yet: the code form.
    Code,
    /// JWT electorate, no voter yet: come through the organisation's link.
    Jwt,
}

/// The phase's part of the page.
pub enum Body {
    Suggesting {
        suggestions: Vec<Suggestion>,
        /// What the visitor typed, shown again after a refusal.
        name: String,
    },
    Voting {
        /// In this browser's order.
        candidates: Vec<BallotCandidate>,
        /// Ranks to preselect: the ballot cast, or the form sent back.
        ranks: HashMap<Uuid, usize>,
        ballot: Option<ReadBack>,
        max_rank: usize,
        /// The live results, when the contest shows them while voting.
        live: Option<ResultsPage>,
    },
    Results(ResultsPage),
}

/// Everything one page shows.
pub struct View<'a> {
    pub frame: Frame<'a>,
    pub entry: Entry,
    /// A `role="status"` message (after a 303).
    pub notice: Option<String>,
    /// The receipt shown with "Ballot received".
    pub receipt: Option<String>,
    /// A `role="alert"` message (a refused form).
    pub alert: Option<String>,
    pub body: Body,
}

/// A sentence with a `{time}`: the time as `<time datetime>` (rewritten in
/// the reader's zone by the script; without it, the UTC time said as such).
fn sentence_with_time(s: &Strings, template: &str, at: chrono::DateTime<chrono::Utc>) -> Markup {
    let (before, after) = template.split_once("{time}").unwrap_or((template, ""));
    html! {
        (before)
        time datetime=(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) { (s.date(at)) }
        (after)
    }
}

/// The whole document.
pub fn render(v: &View<'_>) -> String {
    let f = &v.frame;
    let s = f.s();
    let c = f.contest;
    html! {
        (DOCTYPE)
        html lang=(f.lang.code()) data-contest=(c.id.0) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (c.title) }
                link rel="stylesheet" href=(assets::css_path());
                script src=(assets::js_path()) defer {}
            }
            body {
                main {
                    (header(v))
                    div.alert role="alert" { @if let Some(a) = &v.alert { (a) } }
                    div.status role="status" {
                        @if let Some(n) = &v.notice {
                            p { strong { (n) } }
                            @if let Some(r) = &v.receipt {
                                p { (s.receipt) ": " span.receipt { (r) } }
                                p.help { (s.receipt_help) }
                            }
                        }
                    }
                    @match &v.body {
                        Body::Suggesting { suggestions, name } => (suggesting(v, suggestions, name)),
                        Body::Voting { candidates, ranks, ballot, max_rank, live } => {
                            (voting(v, candidates, ranks, ballot.as_ref(), *max_rank))
                            @if let Some(page) = live { (results(f, page)) }
                        }
                        Body::Results(page) => (results(f, page)),
                    }
                    (footer(f))
                }
            }
        }
    }
    .into_string()
}

fn header(v: &View<'_>) -> Markup {
    let f = &v.frame;
    let s = f.s();
    let c = f.contest;
    let schedule = match f.phase {
        Phase::Suggesting => c.schedule.voting_open_at.map(|t| (s.voting_opens_at, t)),
        Phase::Voting => c.schedule.voting_close_at.map(|t| (s.voting_closes_at, t)),
        _ => None,
    };
    html! {
        header {
            h1 { (c.title) }
            p.meta { (s.phase) ": " (s.phase_name(f.phase)) }
            @if !c.description.is_empty() { p.desc { (c.description) } }
            @if let Some((template, at)) = schedule { p { (sentence_with_time(s, template, at)) } }
            @if f.framed {
                p.help { (s.framed_note) " " a href=(page_url(c.id.0, "", f.lang, false)) target="_blank" rel="noopener" { (s.open_in_tab) } }
            }
        }
    }
}

fn footer(f: &Frame<'_>) -> Markup {
    html! {
        footer {
            nav aria-label=(f.s().language) {
                ul.langs {
                    @for l in Lang::ALL {
                        li {
                            a href=(page_url(f.contest.id.0, "", l, f.framed)) hreflang=(l.code()) lang=(l.code())
                                aria-current=[(l == f.lang).then_some("page")] { (autonym(l)) }
                        }
                    }
                }
            }
        }
    }
}

fn autonym(l: Lang) -> &'static str {
    match l {
        Lang::En => "English",
        Lang::Fr => "Français",
        Lang::Es => "Español",
        Lang::De => "Deutsch",
    }
}

fn csrf(f: &Frame<'_>) -> Markup {
    html! { input type="hidden" name="csrf" value=(f.csrf); }
}

/// The entry form when the visitor must say who they are first.
fn entry(v: &View<'_>) -> Markup {
    let f = &v.frame;
    let s = f.s();
    html! {
        @match v.entry {
            Entry::Ready => {},
            Entry::Code => section aria-labelledby="h-code" {
                h2 #h-code { (s.code_heading) }
                p.help { (s.code_help) }
                form method="post" action=(f.url("/enter")) {
                    (csrf(f))
                    label for="code" { (s.voting_code) }
                    input #code type="text" name="code" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" required;
                    div.actions { button type="submit" { (s.continue_) } }
                }
            },
            Entry::Jwt => p.help { (s.jwt_needed) },
        }
    }
}

fn suggesting(v: &View<'_>, suggestions: &[Suggestion], name: &str) -> Markup {
    let f = &v.frame;
    let s = f.s();
    html! {
        @if v.entry == Entry::Ready {
            section aria-labelledby="h-suggest" {
                h2 #h-suggest { (s.suggest_heading) }
                form method="post" action=(f.url("/suggest")) {
                    (csrf(f))
                    label for="suggestion" { (s.your_suggestion) }
                    input #suggestion type="text" name="name" value=(name) maxlength="200" autocomplete="off" required aria-describedby="similar";
                    div #similar aria-live="polite" data-label=(s.did_you_mean)
                        data-url={ "/v1/contests/" (f.contest.id.0) "/suggestions/similar" } {}
                    div.actions { button type="submit" { (s.suggest) } }
                }
            }
        } @else {
            (entry(v))
        }
        section aria-labelledby="h-suggestions" {
            h2 #h-suggestions { (s.suggestions_heading) }
            @if suggestions.is_empty() {
                p { (s.no_suggestions) }
            } @else {
                ul.list {
                    @for sug in suggestions {
                        li {
                            span.name { (sug.name) }
                            span.count { (s.supporters(i64::from(sug.support_count))) }
                            @if v.entry == Entry::Ready && sug.status != SuggestionStatus::Merged {
                                form method="post" action=(f.url("/suggest")) {
                                    (csrf(f))
                                    input type="hidden" name="name" value=(sug.name);
                                    input type="hidden" name="support" value="1";
                                    button.secondary type="submit" aria-label=(s.support_name.replace("{name}", &sug.name)) { (s.support) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn voting(
    v: &View<'_>,
    candidates: &[BallotCandidate],
    ranks: &HashMap<Uuid, usize>,
    ballot: Option<&ReadBack>,
    max_rank: usize,
) -> Markup {
    let f = &v.frame;
    let s = f.s();
    if v.entry != Entry::Ready {
        return entry(v);
    }
    let submit = if ballot.is_some() { s.update } else { s.cast };
    html! {
        section aria-labelledby="h-ballot" {
            h2 #h-ballot { (s.ballot_heading) }
            @if ballot.is_some() { p { (s.has_ballot) } }
            p.help #ballot-help { (s.ballot_help) }
            form #ballot method="post" action=(f.url("/ballot")) aria-describedby="ballot-help"
                data-l-rank=(s.rank_name) data-l-up=(s.move_up) data-l-down=(s.move_down)
                data-l-remove=(s.remove) data-l-ranking=(s.your_ranking) data-l-unranked=(s.unranked)
                data-l-empty=(s.ranking_empty) {
                (csrf(f))
                div.rank-ui hidden {}
                p.vh #rank-live aria-live="polite" {}
                div.selects {
                    ul.list.cands {
                        @for c in candidates {
                            @let field = format!("r.{}", c.id);
                            @let chosen = ranks.get(&c.id).copied();
                            li data-id=(c.id) data-name=(c.name) {
                                label for=(field) { (s.rank_for.replace("{name}", &c.name)) }
                                select id=(field) name=(field) {
                                    option value="" selected[chosen.is_none()] { (s.not_ranked) }
                                    @for k in 1..=max_rank {
                                        option value=(k) selected[chosen == Some(k)] { (k) }
                                    }
                                }
                            }
                        }
                    }
                }
                div.actions { button type="submit" { (submit) } }
            }
            @if ballot.is_some() {
                form method="post" action=(f.url("/withdraw")) {
                    (csrf(f))
                    div.actions { button.secondary type="submit" { (s.withdraw) } }
                }
            }
        }
    }
}

fn results(f: &Frame<'_>, page: &ResultsPage) -> Markup {
    let s = f.s();
    let c = f.contest;
    match &page.body {
        ResultsBody::NotYet(n) => html! { p role="status" { (n.message(s)) } },
        ResultsBody::Results(r) => {
            let export = format!("{}/v1/contests/{}/ballots?format=csv", f.base, c.id.0);
            let seats = if c.seats > 1 {
                format!(" --seats {}", c.seats)
            } else {
                String::new()
            };
            let recount = format!(
                "curl -s '{export}' | christen tally --format csv --method {} --seed {}{seats} -",
                c.method.name(),
                crate::app::results::seed_of(c.id)
            );
            html! {
                section aria-labelledby="h-results" {
                    h2 #h-results { (s.results) }
                    p.meta { @if r.final_ { (s.final_result) } @else { (s.live_result) } }
                    (results_markup(r, s, c.id.0, f.base))
                    @if f.phase == Phase::Closed {
                        p { a href=(export) { (s.export) } }
                        p { (s.recount) }
                        pre { code { (recount) } }
                    }
                }
            }
        }
    }
}

/// A page for a request that found no contest page to show (a draft, an
/// unknown id): the message as an alert.
pub fn error_page(lang: Lang, message: &str) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (message) }
                link rel="stylesheet" href=(assets::css_path());
            }
            body { main { h1 { "Christen" } div.alert role="alert" { (message) } } }
        }
    }
    .into_string()
}
