//! The participation pages, `/c/{contest_id}`: one server-rendered page per
//! contest that shows what the phase allows — suggest (and support), rank
//! and cast a ballot (replace, withdraw), or the results — in English,
//! French, Spanish or German (`?lang=`, else `Accept-Language`).
//!
//! Every form works without JavaScript: a POST, then a 303 back to the page
//! (post/redirect/get) with a `role="status"` notice; a refused form is the
//! page again with a `role="alert"` message and a 4xx status, never a 500.
//! `page.js` only enhances (ranking buttons, drag and drop, "Did you mean",
//! local times, the frame height). Handlers parse, call the same use cases as
//! the JSON API (`app::suggestions`, `app::ballots`, `app::voters`,
//! `app::voter`) and render (`view`, maud templates).
//!
//! Security: cookies, CSRF and framing are in [`session`]; the CSP allows
//! no inline code (`script-src 'self'`, `style-src 'self'`), and
//! `frame-ancestors` names the organisation's allowed origins, as the embed
//! page does.
//!
//! In a frame, `page.js` posts `{type: "christen:participate", contest,
//! height}` to the parent whenever the page's height changes (the same shape
//! as the embed page's `christen:embed` message), for `widget.js` to size the
//! `<iframe>` of `<div data-christen-participate="{id}">`. Mount it with
//! `/c/{id}?framed=1` (and `&lang=`), so the cookies are set for a frame.

pub mod assets;
pub mod session;
pub mod view;

use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::embed::url_encode;
use super::extract::parse_id;
use super::http::base_url;
use super::voters::client_bucket;
use super::AppState;
use crate::api::i18n::{Lang, Strings};
use crate::app::ballots;
use crate::app::contests::load_visible;
use crate::app::embed::frame_ancestors;
use crate::app::suggestions::{self, Suggested};
use crate::app::voter::{authenticate, voter_context, Voter};
use crate::app::voters;
use crate::domain::{ContestId, Electorate, Phase, ResultsVisibility, SuggestionName};
use crate::error::{AppError, AppResult};
use session::{browser_id, check_form, cookie, set_cookie, Refusal, BROWSER_COOKIE, VOTER_COOKIE};
use view::{page_url, Body, Entry, Frame, View};

/// The pages' routes (HTML, so not in `openapi.yaml`'s route table).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/assets/{file}").route(web::get().to(assets::get)))
        .service(web::resource("/c/{contest_id}").route(web::get().to(page)))
        .service(web::resource("/c/{contest_id}/suggest").route(web::post().to(suggest)))
        .service(web::resource("/c/{contest_id}/enter").route(web::post().to(enter)))
        .service(web::resource("/c/{contest_id}/ballot").route(web::post().to(ballot)))
        .service(web::resource("/c/{contest_id}/withdraw").route(web::post().to(withdraw)));
}

/// How long the browser cookie lives (a year).
const BROWSER_COOKIE_SECS: i64 = 365 * 24 * 3600;
/// The most suggestions a page lists.
const LISTED: i64 = 200;

/// `?lang=&framed=1&token=&m=&n=` of every page URL.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub framed: Option<String>,
    /// A `jwt` contest's voter JWT, from the organisation's link.
    #[serde(default)]
    pub token: Option<String>,
    /// The notice after a 303 (`added`, `pending`, `dup`, `cast`, …).
    #[serde(default)]
    pub m: Option<String>,
    /// The name a notice is about.
    #[serde(default)]
    pub n: Option<String>,
}

/// A request's contest, language and frame.
struct Ctx {
    id: ContestId,
    lang: Lang,
    framed: bool,
    base: String,
    secure: bool,
    /// When the handler started (for `Server-Timing`).
    started: std::time::Instant,
}

impl Ctx {
    fn new(req: &HttpRequest, raw_id: &str, q: &PageQuery) -> AppResult<Ctx> {
        let lang = q
            .lang
            .as_deref()
            .and_then(Lang::parse)
            .or_else(|| {
                req.headers()
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept)
            })
            .unwrap_or(Lang::En);
        let base = base_url(req);
        Ok(Ctx {
            id: parse_id(raw_id, "contest")?,
            lang,
            framed: q.framed.as_deref() == Some("1"),
            secure: base.starts_with("https://"),
            base,
            started: std::time::Instant::now(),
        })
    }

    fn s(&self) -> &'static Strings {
        self.lang.strings()
    }

    fn url(&self, action: &str) -> String {
        page_url(self.id.0, action, self.lang, self.framed)
    }

    fn cookie(&self, name: &str, value: &str, max_age: Option<i64>) -> String {
        set_cookie(name, value, self.id, self.secure, self.framed, max_age)
    }
}

/// What a form POST ends in.
enum Done {
    /// 303 to the page with this notice (`m`) and name (`n`).
    Redirect(&'static str, Option<String>),
    /// The page again, with an alert.
    Show {
        status: u16,
        alert: String,
        refill: Refill,
    },
}

/// What a refused form had, shown again.
#[derive(Default)]
enum Refill {
    #[default]
    Nothing,
    Name(String),
    Ranks(HashMap<Uuid, usize>),
}

/// A voter token just issued, for the voter cookie.
struct NewToken {
    token: String,
    max_age: i64,
}

impl NewToken {
    fn of(issued: crate::app::voter::IssuedToken) -> NewToken {
        NewToken {
            max_age: (issued.expires_at - Utc::now()).num_seconds().max(0),
            token: issued.token,
        }
    }
}

fn show(status: u16, alert: impl Into<String>) -> Done {
    Done::Show {
        status,
        alert: alert.into(),
        refill: Refill::Nothing,
    }
}

/// The page's answer to an error of a use case: its words for the kinds it
/// knows, the service's own detail otherwise; a 5xx stays an error.
fn refused(s: &Strings, e: AppError) -> AppResult<Done> {
    let status = e.status();
    if status >= 500 {
        return Err(e);
    }
    let alert = match &e {
        AppError::Conflict { code, .. } if *code == "wrong_phase" => s.wrong_phase.to_owned(),
        AppError::TooManyRequests {
            retry_after_secs, ..
        } => {
            let minutes = retry_after_secs.unwrap_or(600).div_ceil(60).max(1);
            s.open_limit.replace("{minutes}", &minutes.to_string())
        }
        other => s.refused.replace("{detail}", &other.to_string()),
    };
    Ok(show(status, alert))
}

/// The response headers every page has.
async fn page_response(
    state: &AppState,
    c: &Ctx,
    status: u16,
    cookies: &[String],
    body: String,
) -> AppResult<HttpResponse> {
    let mut ancestors = String::from("'self'");
    for o in frame_ancestors(state, c.id).await.unwrap_or_default() {
        ancestors.push(' ');
        ancestors.push_str(&o);
    }
    let csp = format!(
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    );
    let mut res =
        HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST));
    res.content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Cookie, Accept-Language"))
        // Not `no-referrer`: with it, browsers send `Origin: null` on the
        // page's own form POSTs, which the CSRF check refuses.
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            "Server-Timing",
            format!("page;dur={:.3}", c.started.elapsed().as_secs_f64() * 1000.0),
        ));
    for c in cookies {
        res.append_header((header::SET_COOKIE, c.as_str()));
    }
    Ok(res.body(body))
}

/// A request that has no page to show (unknown id, a draft): a small page
/// with the error as an alert, and the error's status.
fn error_response(lang: Lang, e: &AppError) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::NOT_FOUND))
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'",
        ))
        .body(view::error_page(
            lang,
            &match e {
                AppError::NotFound(_) => lang.strings().not_found.to_owned(),
                other => other.to_string(),
            },
        ))
}

/// The voter of the request's voter cookie, if it still proves one.
async fn cookie_voter(state: &AppState, c: &Ctx, req: &HttpRequest) -> Option<Voter> {
    let token = cookie(req, VOTER_COOKIE)?;
    authenticate(state, c.id, &token).await.ok()
}

/// What the page shows, loaded for the current phase.
struct Loaded {
    contest: crate::domain::Contest,
    phase: Phase,
    body: Body,
}

async fn load(
    state: &AppState,
    c: &Ctx,
    browser: &str,
    voter: Option<&Voter>,
    refill: Refill,
) -> AppResult<Loaded> {
    // The contest read now (a phase move shows at once); the candidates from
    // the voter snapshot (fixed once voting opened).
    let contest = load_visible(state, None, c.id).await?;
    let phase = contest.phase_at(Utc::now());
    let body = match phase {
        Phase::Draft | Phase::Suggesting => {
            let page = suggestions::list(state, None, c.id, None, None, LISTED).await?;
            Body::Suggesting {
                suggestions: page.items,
                name: match refill {
                    Refill::Name(n) => n,
                    _ => String::new(),
                },
            }
        }
        Phase::Voting => {
            let ctx = match voter_context(state, c.id, false).await? {
                ctx if ctx.candidates.is_some() => ctx,
                _ => voter_context(state, c.id, true).await?,
            };
            let mut candidates: Vec<_> = ctx.candidates.as_deref().cloned().unwrap_or_default();
            // Shuffled stably per voter: by the voter's hash where voters
            // exist before they see the ballot (codes, jwt: one order on
            // every device), by the browser where the first cast makes the
            // voter (open: the order must not change with it).
            let seed = match voter {
                Some(v) if contest.electorate != Electorate::Open => hex::encode(v.voter_hash.0),
                _ => browser.to_owned(),
            };
            candidates.sort_by_cached_key(|k| session::shuffle_key(&seed, &k.id));
            let ballot = match voter {
                Some(v) => ballots::read(state, v).await.ok(),
                None => None,
            };
            let ranks = match refill {
                Refill::Ranks(r) => r,
                _ => ballot
                    .as_ref()
                    .and_then(|b| b.ranking.as_ref())
                    .map(|r| r.iter().enumerate().map(|(i, id)| (*id, i + 1)).collect())
                    .unwrap_or_default(),
            };
            let max_rank = contest.max_rankings.map_or(candidates.len(), |m| {
                (m.max(0) as usize).min(candidates.len())
            });
            // Live results, where the contest shows them, under the ballot.
            let live = if contest.results_visibility == ResultsVisibility::Live {
                Some(super::embed::load(state, c.id, c.lang).await?.page)
                    .filter(|p| matches!(p.body, view::ResultsBody::Results(_)))
            } else {
                None
            };
            Body::Voting {
                candidates,
                ranks,
                ballot,
                max_rank,
                live,
            }
        }
        Phase::Closed => Body::Results(super::embed::load(state, c.id, c.lang).await?.page),
    };
    Ok(Loaded {
        contest,
        phase,
        body,
    })
}

/// Renders the page for `browser`, with what happened.
#[allow(clippy::too_many_arguments)]
async fn render_page(
    state: &AppState,
    c: &Ctx,
    browser: &str,
    voter: Option<&Voter>,
    status: u16,
    notice: (Option<String>, Option<String>),
    alert: Option<String>,
    refill: Refill,
    cookies: &[String],
) -> AppResult<HttpResponse> {
    let loaded = load(state, c, browser, voter, refill).await?;
    let entry = match (voter.is_some(), loaded.contest.electorate) {
        (true, _) | (false, Electorate::Open) => Entry::Ready,
        (false, Electorate::Codes) => Entry::Code,
        (false, Electorate::Jwt) => Entry::Jwt,
    };
    let csrf = session::csrf_token(&state.secret, c.id, browser);
    let html = view::render(&View {
        frame: Frame {
            contest: &loaded.contest,
            phase: loaded.phase,
            lang: c.lang,
            framed: c.framed,
            base: &c.base,
            csrf: &csrf,
        },
        entry,
        notice: notice.0,
        receipt: notice.1,
        alert,
        body: loaded.body,
    });
    page_response(state, c, status, cookies, html).await
}

/// The notice a 303 asked for (`?m=`), with the receipt after a cast.
async fn notice_of(
    state: &AppState,
    s: &Strings,
    q: &PageQuery,
    voter: Option<&Voter>,
) -> (Option<String>, Option<String>) {
    let name = q.n.as_deref().unwrap_or("");
    let text = match q.m.as_deref() {
        Some("added") => s.suggested_new.to_owned(),
        Some("pending") => s.suggested_pending.to_owned(),
        Some("dup") => s.duplicate_supported.replace("{name}", name),
        Some("dup_hidden") => s.duplicate_hidden.to_owned(),
        Some("already") => s.already_supported.replace("{name}", name),
        Some("supported") => s.support_added.replace("{name}", name),
        Some("withdrawn") => s.withdrawn.to_owned(),
        Some("cast") => {
            let receipt = match voter {
                Some(v) => ballots::read(state, v).await.ok().map(|b| b.receipt),
                None => None,
            };
            return (Some(s.ballot_received.to_owned()), receipt);
        }
        _ => return (None, None),
    };
    (Some(text), None)
}

/// `GET /c/{contest_id}?lang=&framed=&token=`: the page. A `jwt` contest's
/// link carries the organisation's JWT as `?token=`: checked, kept in the
/// voter cookie, and answered with a 303 to the same page without it.
pub async fn page(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let lang = Ctx::new(&req, "00000000-0000-0000-0000-000000000000", &q)?.lang;
    match show_page(&state, &path, &q, &req).await {
        Ok(res) => Ok(res),
        Err(e) if e.status() < 500 => Ok(error_response(lang, &e)),
        Err(e) => Err(e),
    }
}

async fn show_page(
    state: &AppState,
    raw_id: &str,
    q: &PageQuery,
    req: &HttpRequest,
) -> AppResult<HttpResponse> {
    let c = Ctx::new(req, raw_id, q)?;
    let (browser, fresh) = browser_id(req);
    let mut cookies = Vec::new();
    if fresh {
        cookies.push(c.cookie(BROWSER_COOKIE, &browser, Some(BROWSER_COOKIE_SECS)));
    }
    let mut alert = None;
    let mut status = 200;
    if let Some(token) = q.token.as_deref() {
        match authenticate(state, c.id, token).await {
            Ok(_) => {
                cookies.push(c.cookie(VOTER_COOKIE, token, None));
                return Ok(see_other(&c.url(""), &cookies));
            }
            Err(AppError::Unauthorized(_)) => {
                alert = Some(c.s().jwt_refused.to_owned());
                status = 401;
            }
            Err(e) => return Err(e),
        }
    }
    let voter = cookie_voter(state, &c, req).await;
    let notice = notice_of(state, c.s(), q, voter.as_ref()).await;
    render_page(
        state,
        &c,
        &browser,
        voter.as_ref(),
        status,
        notice,
        alert,
        Refill::Nothing,
        &cookies,
    )
    .await
}

fn see_other(location: &str, cookies: &[String]) -> HttpResponse {
    let mut res = HttpResponse::SeeOther();
    res.insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    for c in cookies {
        res.append_header((header::SET_COOKIE, c.as_str()));
    }
    res.finish()
}

/// Ranks by suggestion id, as a ballot form sent them.
type Ranks = HashMap<Uuid, usize>;

/// A form's fields, as sent.
type Fields = Vec<(String, String)>;

fn field<'a>(form: &'a Fields, name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Runs a form POST: the checks of [`session::check_form`], then `act`, then
/// a 303 or the page with an alert.
async fn post_form<F, Fut>(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
    req: HttpRequest,
    form: Fields,
    act: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(web::Data<AppState>, Ctx, HttpRequest, Fields) -> Fut,
    Fut: std::future::Future<Output = AppResult<(Done, Option<NewToken>)>>,
{
    let c = match Ctx::new(&req, &path, &q) {
        Ok(c) => c,
        Err(e) => return Ok(error_response(Lang::En, &e)),
    };
    let browser = match check_form(&req, &state.secret, c.id, &c.base, field(&form, "csrf")) {
        Ok(b) => b,
        Err(refusal) => {
            let (browser, _) = browser_id(&req);
            let alert = match refusal {
                Refusal::Csrf => c.s().csrf_refused,
                Refusal::NoCookie => c.s().no_cookie,
            };
            let voter = cookie_voter(&state, &c, &req).await;
            return guard(
                render_page(
                    &state,
                    &c,
                    &browser,
                    voter.as_ref(),
                    403,
                    (None, None),
                    Some(alert.to_owned()),
                    Refill::Nothing,
                    &[],
                )
                .await,
                c.lang,
            );
        }
    };
    let (done, token) = act(state.clone(), c_clone(&c), req.clone(), form).await?;
    let mut cookies = Vec::new();
    if let Some(t) = &token {
        cookies.push(c.cookie(VOTER_COOKIE, &t.token, Some(t.max_age)));
    }
    match done {
        Done::Redirect(m, n) => {
            let mut to = c.url("");
            to.push_str("&m=");
            to.push_str(m);
            if let Some(n) = n {
                to.push_str("&n=");
                to.push_str(&url_encode(&n));
            }
            Ok(see_other(&to, &cookies))
        }
        Done::Show {
            status,
            alert,
            refill,
        } => {
            let voter = match &token {
                Some(t) => authenticate(&state, c.id, &t.token).await.ok(),
                None => cookie_voter(&state, &c, &req).await,
            };
            guard(
                render_page(
                    &state,
                    &c,
                    &browser,
                    voter.as_ref(),
                    status,
                    (None, None),
                    Some(alert),
                    refill,
                    &cookies,
                )
                .await,
                c.lang,
            )
        }
    }
}

fn c_clone(c: &Ctx) -> Ctx {
    Ctx {
        id: c.id,
        lang: c.lang,
        framed: c.framed,
        base: c.base.clone(),
        secure: c.secure,
        started: c.started,
    }
}

/// A page that cannot be drawn (the contest is gone, a draft) is the small
/// error page; a 5xx stays an error.
fn guard(res: AppResult<HttpResponse>, lang: Lang) -> AppResult<HttpResponse> {
    match res {
        Err(e) if e.status() < 500 => Ok(error_response(lang, &e)),
        other => other,
    }
}

/// The voter who acts: the voter cookie's, or for the `open` electorate a new
/// voter (a token issued now, counted by the per-address limit), with the
/// new token for the cookie.
async fn acting_voter(
    state: &AppState,
    c: &Ctx,
    req: &HttpRequest,
) -> AppResult<Result<(Voter, Option<NewToken>), Done>> {
    if let Some(v) = cookie_voter(state, c, req).await {
        return Ok(Ok((v, None)));
    }
    let contest = voter_context(state, c.id, false).await?.contest.clone();
    match contest.electorate {
        Electorate::Jwt => return Ok(Err(show(401, c.s().jwt_needed))),
        Electorate::Codes => return Ok(Err(show(401, c.s().code_help))),
        Electorate::Open => {}
    }
    let client = client_bucket(req, state.open_voter_limit.trust_forwarded_for);
    let issued = match voters::issue(state, c.id, None, client).await {
        Ok(t) => t,
        Err(e) => return refused(c.s(), e).map(Err),
    };
    let voter = authenticate(state, c.id, &issued.token).await?;
    Ok(Ok((voter, Some(NewToken::of(issued)))))
}

/// `POST /c/{contest_id}/suggest` (`name`, and `support=1` from a support
/// button): suggests a name, or supports the one it equals.
pub async fn suggest(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
    req: HttpRequest,
    form: web::Form<Fields>,
) -> AppResult<HttpResponse> {
    post_form(
        state,
        path,
        q,
        req,
        form.into_inner(),
        |state, c, req, form| async move {
            let s = c.s();
            let raw = field(&form, "name").unwrap_or("").to_owned();
            let support = field(&form, "support") == Some("1");
            let name = match SuggestionName::parse(&raw) {
                Ok(n) => n,
                Err(msg) => {
                    return Ok((
                        Done::Show {
                            status: 422,
                            alert: format!("{} {msg}", s.name_refused),
                            refill: Refill::Name(raw),
                        },
                        None,
                    ))
                }
            };
            let (voter, token) = match acting_voter(&state, &c, &req).await? {
                Ok(v) => v,
                Err(done) => return Ok((done, None)),
            };
            let limit = voter.contest.max_suggestions_per_participant;
            let done =
                match suggestions::suggest(&state, c.id, voter.voter_hash.0, name, None).await {
                    Ok(Suggested::New(sug))
                        if sug.status == crate::domain::SuggestionStatus::Pending =>
                    {
                        Done::Redirect("pending", None)
                    }
                    Ok(Suggested::New(_)) => Done::Redirect("added", None),
                    Ok(Suggested::Duplicate {
                        existing: Some(e),
                        support_recorded,
                    }) => match (support_recorded, support) {
                        (true, true) => Done::Redirect("supported", Some(e.name)),
                        (true, false) => Done::Redirect("dup", Some(e.name)),
                        (false, _) => Done::Redirect("already", Some(e.name)),
                    },
                    Ok(Suggested::Duplicate { existing: None, .. }) => {
                        Done::Redirect("dup_hidden", None)
                    }
                    Err(AppError::Conflict {
                        code: "suggestion_limit_reached",
                        ..
                    }) => Done::Show {
                        status: 409,
                        alert: s.suggestion_limit.replace("{n}", &limit.to_string()),
                        refill: Refill::Name(raw),
                    },
                    Err(e) => match refused(s, e)? {
                        Done::Show { status, alert, .. } => Done::Show {
                            status,
                            alert,
                            refill: Refill::Name(raw),
                        },
                        other => other,
                    },
                };
            Ok((done, token))
        },
    )
    .await
}

/// `POST /c/{contest_id}/enter` (`code`): a `codes` contest's voting code,
/// exchanged for the voter cookie.
pub async fn enter(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
    req: HttpRequest,
    form: web::Form<Fields>,
) -> AppResult<HttpResponse> {
    post_form(
        state,
        path,
        q,
        req,
        form.into_inner(),
        |state, c, req, form| async move {
            let code = field(&form, "code").unwrap_or("").to_owned();
            let client = client_bucket(&req, state.open_voter_limit.trust_forwarded_for);
            match voters::issue(&state, c.id, Some(code), client).await {
                Ok(issued) => Ok((Done::Redirect("entered", None), Some(NewToken::of(issued)))),
                Err(e @ (AppError::Unauthorized(_) | AppError::Validation { .. })) => {
                    Ok((show(e.status(), c.s().code_unknown), None))
                }
                Err(e) => Ok((refused(c.s(), e)?, None)),
            }
        },
    )
    .await
}

/// The ranking a ballot form sends: `r.{suggestion id}` = a rank (blank: not
/// ranked). Ranks must be 1, 2, 3… without a repeat or a gap.
fn parse_ranks(s: &Strings, form: &Fields) -> Result<(Vec<Uuid>, Ranks), (u16, String)> {
    let mut ranks: HashMap<Uuid, usize> = HashMap::new();
    for (k, v) in form {
        let Some(id) = k.strip_prefix("r.") else {
            continue;
        };
        let bad = || {
            (
                400,
                s.refused
                    .replace("{detail}", "the form is not one this page sent"),
            )
        };
        let id: Uuid = id.parse().map_err(|_| bad())?;
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let rank: usize = v.parse().ok().filter(|r| *r >= 1).ok_or_else(bad)?;
        ranks.insert(id, rank);
    }
    let mut by_rank: Vec<(usize, Uuid)> = ranks.iter().map(|(id, r)| (*r, *id)).collect();
    by_rank.sort();
    if by_rank.is_empty() {
        return Err((422, s.empty_ranking.to_owned()));
    }
    if let Some(w) = by_rank.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err((422, s.duplicate_rank.replace("{rank}", &w[0].0.to_string())));
    }
    if let Some((i, _)) = by_rank.iter().enumerate().find(|(i, (r, _))| *r != i + 1) {
        return Err((422, s.missing_rank.replace("{rank}", &(i + 1).to_string())));
    }
    Ok((by_rank.into_iter().map(|(_, id)| id).collect(), ranks))
}

/// `POST /c/{contest_id}/ballot` (`r.{id}` = rank): casts or replaces the
/// ballot.
pub async fn ballot(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
    req: HttpRequest,
    form: web::Form<Fields>,
) -> AppResult<HttpResponse> {
    post_form(
        state,
        path,
        q,
        req,
        form.into_inner(),
        |state, c, req, form| async move {
            let s = c.s();
            let (ids, ranks) = match parse_ranks(s, &form) {
                Ok(r) => r,
                Err((status, alert)) => {
                    let sent = form
                        .iter()
                        .filter_map(|(k, v)| {
                            Some((k.strip_prefix("r.")?.parse().ok()?, v.parse().ok()?))
                        })
                        .collect();
                    return Ok((
                        Done::Show {
                            status,
                            alert,
                            refill: Refill::Ranks(sent),
                        },
                        None,
                    ));
                }
            };
            let (voter, token) = match acting_voter(&state, &c, &req).await? {
                Ok(v) => v,
                Err(done) => return Ok((done, None)),
            };
            let done = match ballots::cast(&state, &voter, ids).await {
                Ok(_) => Done::Redirect("cast", None),
                Err(e) => match refused(s, e)? {
                    Done::Show { status, alert, .. } => Done::Show {
                        status,
                        alert,
                        refill: Refill::Ranks(ranks),
                    },
                    other => other,
                },
            };
            Ok((done, token))
        },
    )
    .await
}

/// `POST /c/{contest_id}/withdraw`: withdraws the voter's ballot.
pub async fn withdraw(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
    req: HttpRequest,
    form: web::Form<Fields>,
) -> AppResult<HttpResponse> {
    post_form(
        state,
        path,
        q,
        req,
        form.into_inner(),
        |state, c, req, _form| async move {
            let Some(voter) = cookie_voter(&state, &c, &req).await else {
                return Ok((show(401, c.s().no_cookie), None));
            };
            match ballots::withdraw(&state, &voter).await {
                Ok(()) => Ok((Done::Redirect("withdrawn", None), None)),
                Err(e) => Ok((refused(c.s(), e)?, None)),
            }
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&Uuid, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(id, r)| (format!("r.{id}"), (*r).to_owned()))
            .collect()
    }

    #[test]
    fn ranks_must_run_from_one_without_repeats_or_gaps() {
        let s = Lang::En.strings();
        let [a, b, c] = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()];
        let (order, _) = parse_ranks(s, &form(&[(&a, "2"), (&b, ""), (&c, "1")])).unwrap();
        assert_eq!(order, [c, a]);
        let gap = parse_ranks(s, &form(&[(&a, "1"), (&b, "3")])).unwrap_err();
        assert_eq!(gap.0, 422);
        assert!(gap.1.contains("rank 2 is missing"), "{}", gap.1);
        let repeat = parse_ranks(s, &form(&[(&a, "1"), (&b, "1")])).unwrap_err();
        assert!(repeat.1.contains("Rank 1 is given to more than one name"));
        let none = parse_ranks(s, &form(&[(&a, ""), (&b, " ")])).unwrap_err();
        assert!(none.1.contains("at least one"));
        let junk: Fields = vec![("r.not-a-uuid".into(), "1".into())];
        assert_eq!(parse_ranks(s, &junk).unwrap_err().0, 400);
        assert_eq!(parse_ranks(s, &form(&[(&a, "0")])).unwrap_err().0, 400);
    }
}
