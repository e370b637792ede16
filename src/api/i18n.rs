//! Every user-visible string of the participation pages (`/c/{id}`), the embed
//! page, the SVG chart and the widget: one table per language, a `Strings`
//! constant each, so a string missing in one language is a compile error.
//! `{…}` placeholders are filled by the renderers. Numbers and dates are
//! written per language too ([`Strings::number`], [`Strings::date`]).
//!
//! To add a language: add a variant to [`Lang`], its code to [`Lang::parse`] and a
//! `Strings` constant below.

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::domain::Phase;

/// A language of the pages and embedded views (`?lang=`, `Accept-Language`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
    Es,
    De,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Fr, Lang::Es, Lang::De];

    /// `en`, `fr`, `es` or `de`; a region (`fr-CA`) or case does not matter.
    pub fn parse(raw: &str) -> Option<Lang> {
        let primary = raw.split(['-', '_']).next().unwrap_or("");
        match primary.to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            "es" => Some(Lang::Es),
            "de" => Some(Lang::De),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::De => "de",
        }
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
            Lang::Es => &ES,
            Lang::De => &DE,
        }
    }

    /// The first language of an `Accept-Language` value that we have.
    pub fn from_accept(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|t| Lang::parse(t.split(';').next().unwrap_or("").trim()))
            .next()
    }
}

pub struct Strings {
    // --- numbers and dates
    /// The decimal separator.
    pub decimal: &'static str,
    /// The thousands separator.
    pub thousands: &'static str,
    pub months: [&'static str; 12],
    /// `{day}`, `{month}`, `{year}`, `{time}` (24-hour `HH:MM`).
    pub date: &'static str,
    // --- results (embed page, SVG, participation page)
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
    /// The embed page's link to reload it (without JavaScript).
    pub refresh: &'static str,
    // --- participation pages: entering
    pub code_heading: &'static str,
    pub code_help: &'static str,
    pub voting_code: &'static str,
    pub continue_: &'static str,
    pub code_unknown: &'static str,
    pub jwt_needed: &'static str,
    pub jwt_refused: &'static str,
    /// `{minutes}`.
    pub open_limit: &'static str,
    pub csrf_refused: &'static str,
    pub no_cookie: &'static str,
    pub open_in_tab: &'static str,
    pub framed_note: &'static str,
    /// `{detail}`: the service's own words (English).
    pub refused: &'static str,
    pub wrong_phase: &'static str,
    // --- suggesting
    pub suggest_heading: &'static str,
    pub your_suggestion: &'static str,
    pub suggest: &'static str,
    pub did_you_mean: &'static str,
    pub suggestions_heading: &'static str,
    pub no_suggestions: &'static str,
    /// `{n}`.
    pub supporters: &'static str,
    pub one_supporter: &'static str,
    pub support: &'static str,
    /// `{name}`: the support button's accessible name.
    pub support_name: &'static str,
    pub suggested_new: &'static str,
    pub suggested_pending: &'static str,
    /// `{name}`.
    pub duplicate_supported: &'static str,
    pub duplicate_hidden: &'static str,
    /// `{name}`.
    pub already_supported: &'static str,
    /// `{name}`.
    pub support_added: &'static str,
    /// `{n}`.
    pub suggestion_limit: &'static str,
    pub name_refused: &'static str,
    /// `{time}`.
    pub voting_opens_at: &'static str,
    // --- voting
    pub ballot_heading: &'static str,
    pub ballot_help: &'static str,
    /// `{name}`.
    pub rank_for: &'static str,
    pub not_ranked: &'static str,
    pub cast: &'static str,
    pub update: &'static str,
    /// `{name}`.
    pub rank_name: &'static str,
    /// `{name}`.
    pub move_up: &'static str,
    /// `{name}`.
    pub move_down: &'static str,
    /// `{name}`.
    pub remove: &'static str,
    pub your_ranking: &'static str,
    pub unranked: &'static str,
    pub ranking_empty: &'static str,
    pub ballot_received: &'static str,
    pub receipt: &'static str,
    pub receipt_help: &'static str,
    pub has_ballot: &'static str,
    pub withdraw: &'static str,
    pub withdrawn: &'static str,
    /// `{rank}`.
    pub duplicate_rank: &'static str,
    /// `{rank}`.
    pub missing_rank: &'static str,
    pub empty_ranking: &'static str,
    /// `{time}`.
    pub voting_closes_at: &'static str,
    // --- closed
    pub export: &'static str,
    pub recount: &'static str,
    /// The language menu's name.
    pub language: &'static str,
    /// A page for a contest that does not exist or is still a draft.
    pub not_found: &'static str,
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
            self.ballots_counted.replace("{n}", &self.number(n as f64))
        }
    }

    /// `{n} supporters`, with the singular for exactly one.
    pub fn supporters(&self, n: i64) -> String {
        if n == 1 {
            self.one_supporter.to_owned()
        } else {
            self.supporters.replace("{n}", &self.number(n as f64))
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

    /// A number as this language writes it: thousands grouped, whole numbers
    /// without decimals, fractions (STV transfers) with at most two.
    pub fn number(&self, x: f64) -> String {
        let rounded = (x * 100.0).round() / 100.0;
        let negative = rounded < 0.0;
        let abs = rounded.abs();
        let whole = abs.trunc() as u64;
        let cents = ((abs - abs.trunc()) * 100.0).round() as u64;
        let digits = whole.to_string();
        let mut out = String::with_capacity(digits.len() + 8);
        if negative {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push_str(self.thousands);
            }
            out.push(c);
        }
        if cents > 0 {
            out.push_str(self.decimal);
            let frac = format!("{cents:02}");
            out.push_str(frac.trim_end_matches('0'));
        }
        out
    }

    /// A time as this language writes a date, in UTC and saying so (pages
    /// rewrite it in the reader's time zone with JavaScript).
    pub fn date(&self, t: DateTime<Utc>) -> String {
        self.date
            .replace("{day}", &t.day().to_string())
            .replace("{month}", self.months[t.month0() as usize])
            .replace("{year}", &t.year().to_string())
            .replace("{time}", &format!("{:02}:{:02} UTC", t.hour(), t.minute()))
    }
}

pub static EN: Strings = Strings {
    decimal: ".",
    thousands: ",",
    months: [
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ],
    date: "{day} {month} {year}, {time}",
    results: "Results",
    phase: "Phase",
    phases: ["Draft", "Taking suggestions", "Voting open", "Voting closed"],
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
    refresh: "Refresh the results",
    code_heading: "Enter your voting code",
    code_help: "The organisers gave you a code to take part in this contest.",
    voting_code: "Voting code",
    continue_: "Continue",
    code_unknown: "This voting code is not valid for this contest. Check it and try again, or ask the organisers for a new one.",
    jwt_needed: "To take part, open this page from the link on the organisation’s web site, where you are signed in.",
    jwt_refused: "The sign-in link is not valid or has expired. Go back to the organisation’s web site and open the link again.",
    open_limit: "Many people on your network joined this contest in the last few minutes, and it takes no more for now. Try again in {minutes} minutes, or ask the organisers for voting codes.",
    csrf_refused: "This form could not be sent safely: it came from another site, or it is too old. Reload the page and try again.",
    no_cookie: "Your browser did not keep this page’s cookie, which is needed to take part. Open the page in a new tab and try again.",
    open_in_tab: "Open in a new tab",
    framed_note: "If your choices are not kept here, open this page in a new tab.",
    refused: "This was not accepted: {detail}",
    wrong_phase: "This is not possible at this stage of the contest. Reload the page to see what it allows now.",
    suggest_heading: "Suggest a name",
    your_suggestion: "Your suggestion",
    suggest: "Suggest",
    did_you_mean: "Did you mean",
    suggestions_heading: "Names suggested so far",
    no_suggestions: "No names yet: be the first.",
    supporters: "{n} supporters",
    one_supporter: "1 supporter",
    support: "Support",
    support_name: "Support {name}",
    suggested_new: "Thank you: your suggestion was added.",
    suggested_pending: "Thank you: your suggestion will appear once the organisers have reviewed it.",
    duplicate_supported: "“{name}” was already suggested — your support was added.",
    duplicate_hidden: "This name was already suggested — your support was added.",
    already_supported: "You already support “{name}”.",
    support_added: "Your support for “{name}” was added.",
    suggestion_limit: "You have suggested as many names as this contest allows ({n}). You can still support names already suggested.",
    name_refused: "This name cannot be suggested:",
    voting_opens_at: "Voting opens on {time}.",
    ballot_heading: "Your ballot",
    ballot_help: "Rank the names you like: 1 for your favourite, 2 for the next, and so on. You need not rank them all.",
    rank_for: "Rank for {name}",
    not_ranked: "Not ranked",
    cast: "Cast ballot",
    update: "Update ballot",
    rank_name: "Rank {name}",
    move_up: "Move {name} up",
    move_down: "Move {name} down",
    remove: "Remove {name} from ranking",
    your_ranking: "Your ranking",
    unranked: "Names not ranked yet",
    ranking_empty: "You have not ranked any name yet.",
    ballot_received: "Ballot received",
    receipt: "Receipt",
    receipt_help: "Keep it: with it you can find your ballot in the published ballots.",
    has_ballot: "You have cast a ballot. You can change it or withdraw it until voting closes.",
    withdraw: "Withdraw ballot",
    withdrawn: "Your ballot was withdrawn: it will not be counted.",
    duplicate_rank: "Rank {rank} is given to more than one name: give each rank to one name only.",
    missing_rank: "Ranks must follow each other from 1 without a gap: rank {rank} is missing.",
    empty_ranking: "Rank at least one name before casting your ballot.",
    voting_closes_at: "Voting closes on {time}.",
    export: "Download the ballots (CSV)",
    recount: "Anyone can count them again with Christen:",
    language: "Language",
    not_found: "This contest does not exist, or it is not open to the public yet.",
};

pub static FR: Strings = Strings {
    decimal: ",",
    thousands: "\u{202F}",
    months: [
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
        "septembre", "octobre", "novembre", "décembre",
    ],
    date: "{day} {month} {year} à {time}",
    results: "Résultats",
    phase: "Étape",
    phases: ["Brouillon", "Propositions ouvertes", "Vote ouvert", "Vote clos"],
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
    refresh: "Actualiser les résultats",
    code_heading: "Saisissez votre code de vote",
    code_help: "Les organisateurs vous ont remis un code pour participer à ce concours.",
    voting_code: "Code de vote",
    continue_: "Continuer",
    code_unknown: "Ce code de vote n’est pas valable pour ce concours. Vérifiez-le et réessayez, ou demandez-en un nouveau aux organisateurs.",
    jwt_needed: "Pour participer, ouvrez cette page depuis le lien du site de l’organisation, où vous êtes connecté.",
    jwt_refused: "Le lien de connexion n’est pas valable ou a expiré. Retournez sur le site de l’organisation et rouvrez le lien.",
    open_limit: "Beaucoup de personnes de votre réseau ont rejoint ce concours ces dernières minutes, et il n’en accepte pas plus pour l’instant. Réessayez dans {minutes} minutes, ou demandez des codes de vote aux organisateurs.",
    csrf_refused: "Ce formulaire n’a pas pu être envoyé en sécurité : il vient d’un autre site ou il est trop ancien. Rechargez la page et réessayez.",
    no_cookie: "Votre navigateur n’a pas gardé le cookie de cette page, nécessaire pour participer. Ouvrez la page dans un nouvel onglet et réessayez.",
    open_in_tab: "Ouvrir dans un nouvel onglet",
    framed_note: "Si vos choix ne sont pas gardés ici, ouvrez cette page dans un nouvel onglet.",
    refused: "Refusé : {detail}",
    wrong_phase: "Ce n’est pas possible à cette étape du concours. Rechargez la page pour voir ce qu’elle permet maintenant.",
    suggest_heading: "Proposer un nom",
    your_suggestion: "Votre proposition",
    suggest: "Proposer",
    did_you_mean: "Vouliez-vous dire",
    suggestions_heading: "Noms proposés jusqu’ici",
    no_suggestions: "Aucun nom pour l’instant : soyez le premier.",
    supporters: "{n} soutiens",
    one_supporter: "1 soutien",
    support: "Soutenir",
    support_name: "Soutenir {name}",
    suggested_new: "Merci : votre proposition a été ajoutée.",
    suggested_pending: "Merci : votre proposition apparaîtra quand les organisateurs l’auront examinée.",
    duplicate_supported: "« {name} » était déjà proposé — votre soutien a été ajouté.",
    duplicate_hidden: "Ce nom était déjà proposé — votre soutien a été ajouté.",
    already_supported: "Vous soutenez déjà « {name} ».",
    support_added: "Votre soutien à « {name} » a été ajouté.",
    suggestion_limit: "Vous avez proposé autant de noms que ce concours le permet ({n}). Vous pouvez encore soutenir des noms déjà proposés.",
    name_refused: "Ce nom ne peut pas être proposé :",
    voting_opens_at: "Le vote ouvre le {time}.",
    ballot_heading: "Votre bulletin",
    ballot_help: "Classez les noms qui vous plaisent : 1 pour votre préféré, 2 pour le suivant, et ainsi de suite. Inutile de tous les classer.",
    rank_for: "Rang de {name}",
    not_ranked: "Non classé",
    cast: "Voter",
    update: "Modifier mon bulletin",
    rank_name: "Classer {name}",
    move_up: "Monter {name}",
    move_down: "Descendre {name}",
    remove: "Retirer {name} du classement",
    your_ranking: "Votre classement",
    unranked: "Noms pas encore classés",
    ranking_empty: "Vous n’avez encore classé aucun nom.",
    ballot_received: "Bulletin reçu",
    receipt: "Reçu",
    receipt_help: "Gardez-le : il permet de retrouver votre bulletin parmi les bulletins publiés.",
    has_ballot: "Vous avez voté. Vous pouvez modifier ou retirer votre bulletin jusqu’à la clôture du vote.",
    withdraw: "Retirer mon bulletin",
    withdrawn: "Votre bulletin a été retiré : il ne sera pas compté.",
    duplicate_rank: "Le rang {rank} est donné à plusieurs noms : donnez chaque rang à un seul nom.",
    missing_rank: "Les rangs doivent se suivre à partir de 1 sans trou : le rang {rank} manque.",
    empty_ranking: "Classez au moins un nom avant de voter.",
    voting_closes_at: "Le vote se termine le {time}.",
    export: "Télécharger les bulletins (CSV)",
    recount: "Chacun peut les recompter avec Christen :",
    language: "Langue",
    not_found: "Ce concours n’existe pas, ou il n’est pas encore ouvert au public.",
};

pub static ES: Strings = Strings {
    decimal: ",",
    thousands: ".",
    months: [
        "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
        "septiembre", "octubre", "noviembre", "diciembre",
    ],
    date: "{day} de {month} de {year}, {time}",
    results: "Resultados",
    phase: "Fase",
    phases: ["Borrador", "Recogiendo propuestas", "Votación abierta", "Votación cerrada"],
    winner: "Nombre ganador",
    winners: "Nombres ganadores",
    no_winner: "Aún no hay ganador: no se ha contado ninguna papeleta.",
    final_result: "Resultado definitivo",
    live_result: "Resultado en directo: cambia a medida que llegan papeletas",
    chart_final_round: "Votos en la última ronda (ronda {round} de {rounds})",
    chart_pairwise: "Duelos ganados contra los otros {opponents} nombres, en la clasificación final",
    chart_scores: "Puntuaciones en la clasificación final",
    chart_ranking: "Clasificación final",
    votes: "{n} votos",
    one_vote: "1 voto",
    points: "{n} puntos",
    wins: "{wins} de {opponents} duelos ganados",
    ballots_counted: "{n} papeletas contadas",
    one_ballot_counted: "1 papeleta contada",
    counted_at: "Contado el {time}",
    not_public_hidden: "Los organizadores mantienen privados los resultados de este concurso.",
    not_public_until_close_at: "Los resultados se publicarán al cerrar la votación, el {time}.",
    not_public_until_close: "Los resultados se publicarán cuando los organizadores cierren la votación.",
    full_results: "Resultados completos (JSON)",
    chart_of: "Gráfico de resultados",
    elected: "elegido",
    refresh: "Actualizar los resultados",
    code_heading: "Introduzca su código de votación",
    code_help: "Los organizadores le dieron un código para participar en este concurso.",
    voting_code: "Código de votación",
    continue_: "Continuar",
    code_unknown: "Este código de votación no es válido para este concurso. Compruébelo y vuelva a intentarlo, o pida uno nuevo a los organizadores.",
    jwt_needed: "Para participar, abra esta página desde el enlace del sitio web de la organización, donde ha iniciado sesión.",
    jwt_refused: "El enlace de acceso no es válido o ha caducado. Vuelva al sitio web de la organización y abra el enlace de nuevo.",
    open_limit: "Muchas personas de su red se han unido a este concurso en los últimos minutos y por ahora no admite más. Vuelva a intentarlo dentro de {minutes} minutos, o pida códigos de votación a los organizadores.",
    csrf_refused: "Este formulario no se pudo enviar de forma segura: viene de otro sitio o es demasiado antiguo. Recargue la página y vuelva a intentarlo.",
    no_cookie: "Su navegador no guardó la cookie de esta página, necesaria para participar. Abra la página en una pestaña nueva y vuelva a intentarlo.",
    open_in_tab: "Abrir en una pestaña nueva",
    framed_note: "Si sus elecciones no se guardan aquí, abra esta página en una pestaña nueva.",
    refused: "No se aceptó: {detail}",
    wrong_phase: "No es posible en esta fase del concurso. Recargue la página para ver lo que permite ahora.",
    suggest_heading: "Proponer un nombre",
    your_suggestion: "Su propuesta",
    suggest: "Proponer",
    did_you_mean: "Quizás quiso decir",
    suggestions_heading: "Nombres propuestos hasta ahora",
    no_suggestions: "Aún no hay nombres: sea el primero.",
    supporters: "{n} apoyos",
    one_supporter: "1 apoyo",
    support: "Apoyar",
    support_name: "Apoyar {name}",
    suggested_new: "Gracias: su propuesta se ha añadido.",
    suggested_pending: "Gracias: su propuesta aparecerá cuando los organizadores la hayan revisado.",
    duplicate_supported: "«{name}» ya estaba propuesto: se ha añadido su apoyo.",
    duplicate_hidden: "Este nombre ya estaba propuesto: se ha añadido su apoyo.",
    already_supported: "Ya apoya «{name}».",
    support_added: "Se ha añadido su apoyo a «{name}».",
    suggestion_limit: "Ha propuesto tantos nombres como permite este concurso ({n}). Aún puede apoyar nombres ya propuestos.",
    name_refused: "Este nombre no se puede proponer:",
    voting_opens_at: "La votación se abre el {time}.",
    ballot_heading: "Su papeleta",
    ballot_help: "Ordene los nombres que le gusten: 1 para su favorito, 2 para el siguiente, y así sucesivamente. No hace falta ordenarlos todos.",
    rank_for: "Posición de {name}",
    not_ranked: "Sin posición",
    cast: "Votar",
    update: "Actualizar mi papeleta",
    rank_name: "Ordenar {name}",
    move_up: "Subir {name}",
    move_down: "Bajar {name}",
    remove: "Quitar {name} de la clasificación",
    your_ranking: "Su clasificación",
    unranked: "Nombres aún sin posición",
    ranking_empty: "Aún no ha ordenado ningún nombre.",
    ballot_received: "Papeleta recibida",
    receipt: "Recibo",
    receipt_help: "Guárdelo: con él puede encontrar su papeleta entre las papeletas publicadas.",
    has_ballot: "Ya ha votado. Puede cambiar o retirar su papeleta hasta que cierre la votación.",
    withdraw: "Retirar mi papeleta",
    withdrawn: "Su papeleta se ha retirado: no se contará.",
    duplicate_rank: "La posición {rank} está dada a más de un nombre: dé cada posición a un solo nombre.",
    missing_rank: "Las posiciones deben seguirse desde 1 sin huecos: falta la posición {rank}.",
    empty_ranking: "Ordene al menos un nombre antes de votar.",
    voting_closes_at: "La votación se cierra el {time}.",
    export: "Descargar las papeletas (CSV)",
    recount: "Cualquiera puede volver a contarlas con Christen:",
    language: "Idioma",
    not_found: "Este concurso no existe o aún no está abierto al público.",
};

pub static DE: Strings = Strings {
    decimal: ",",
    thousands: ".",
    months: [
        "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
        "September", "Oktober", "November", "Dezember",
    ],
    date: "{day}. {month} {year}, {time}",
    results: "Ergebnisse",
    phase: "Phase",
    phases: ["Entwurf", "Vorschläge offen", "Abstimmung offen", "Abstimmung beendet"],
    winner: "Gewinnername",
    winners: "Gewinnernamen",
    no_winner: "Noch kein Gewinner: Es wurde noch kein Stimmzettel gezählt.",
    final_result: "Endergebnis",
    live_result: "Live-Ergebnis: Es ändert sich mit jedem Stimmzettel",
    chart_final_round: "Stimmen in der letzten Runde (Runde {round} von {rounds})",
    chart_pairwise: "Gewonnene Direktvergleiche gegen die {opponents} anderen Namen, in der Endrangfolge",
    chart_scores: "Punkte in der Endrangfolge",
    chart_ranking: "Endrangfolge",
    votes: "{n} Stimmen",
    one_vote: "1 Stimme",
    points: "{n} Punkte",
    wins: "{wins} von {opponents} Direktvergleichen gewonnen",
    ballots_counted: "{n} Stimmzettel gezählt",
    one_ballot_counted: "1 Stimmzettel gezählt",
    counted_at: "Gezählt am {time}",
    not_public_hidden: "Die Veranstalter halten die Ergebnisse dieses Wettbewerbs privat.",
    not_public_until_close_at: "Die Ergebnisse werden veröffentlicht, wenn die Abstimmung endet, am {time}.",
    not_public_until_close: "Die Ergebnisse werden veröffentlicht, wenn die Veranstalter die Abstimmung beenden.",
    full_results: "Vollständige Ergebnisse (JSON)",
    chart_of: "Ergebnisdiagramm",
    elected: "gewählt",
    refresh: "Ergebnisse aktualisieren",
    code_heading: "Geben Sie Ihren Abstimmungscode ein",
    code_help: "Die Veranstalter haben Ihnen einen Code für diesen Wettbewerb gegeben.",
    voting_code: "Abstimmungscode",
    continue_: "Weiter",
    code_unknown: "Dieser Abstimmungscode gilt nicht für diesen Wettbewerb. Prüfen Sie ihn und versuchen Sie es erneut, oder bitten Sie die Veranstalter um einen neuen.",
    jwt_needed: "Um teilzunehmen, öffnen Sie diese Seite über den Link auf der Website der Organisation, auf der Sie angemeldet sind.",
    jwt_refused: "Der Anmeldelink ist ungültig oder abgelaufen. Kehren Sie zur Website der Organisation zurück und öffnen Sie den Link erneut.",
    open_limit: "Viele Personen aus Ihrem Netzwerk sind diesem Wettbewerb in den letzten Minuten beigetreten, und er nimmt vorerst keine weiteren auf. Versuchen Sie es in {minutes} Minuten erneut, oder bitten Sie die Veranstalter um Abstimmungscodes.",
    csrf_refused: "Dieses Formular konnte nicht sicher gesendet werden: Es stammt von einer anderen Website oder ist zu alt. Laden Sie die Seite neu und versuchen Sie es erneut.",
    no_cookie: "Ihr Browser hat das Cookie dieser Seite nicht behalten, das für die Teilnahme nötig ist. Öffnen Sie die Seite in einem neuen Tab und versuchen Sie es erneut.",
    open_in_tab: "In neuem Tab öffnen",
    framed_note: "Wenn Ihre Auswahl hier nicht erhalten bleibt, öffnen Sie diese Seite in einem neuen Tab.",
    refused: "Nicht angenommen: {detail}",
    wrong_phase: "Das ist in dieser Phase des Wettbewerbs nicht möglich. Laden Sie die Seite neu, um zu sehen, was jetzt möglich ist.",
    suggest_heading: "Einen Namen vorschlagen",
    your_suggestion: "Ihr Vorschlag",
    suggest: "Vorschlagen",
    did_you_mean: "Meinten Sie",
    suggestions_heading: "Bisher vorgeschlagene Namen",
    no_suggestions: "Noch keine Namen: Seien Sie die erste Person.",
    supporters: "{n} Unterstützungen",
    one_supporter: "1 Unterstützung",
    support: "Unterstützen",
    support_name: "{name} unterstützen",
    suggested_new: "Danke: Ihr Vorschlag wurde hinzugefügt.",
    suggested_pending: "Danke: Ihr Vorschlag erscheint, sobald die Veranstalter ihn geprüft haben.",
    duplicate_supported: "„{name}“ wurde bereits vorgeschlagen – Ihre Unterstützung wurde hinzugefügt.",
    duplicate_hidden: "Dieser Name wurde bereits vorgeschlagen – Ihre Unterstützung wurde hinzugefügt.",
    already_supported: "Sie unterstützen „{name}“ bereits.",
    support_added: "Ihre Unterstützung für „{name}“ wurde hinzugefügt.",
    suggestion_limit: "Sie haben so viele Namen vorgeschlagen, wie dieser Wettbewerb erlaubt ({n}). Sie können weiterhin bereits vorgeschlagene Namen unterstützen.",
    name_refused: "Dieser Name kann nicht vorgeschlagen werden:",
    voting_opens_at: "Die Abstimmung beginnt am {time}.",
    ballot_heading: "Ihr Stimmzettel",
    ballot_help: "Ordnen Sie die Namen, die Ihnen gefallen: 1 für Ihren Favoriten, 2 für den nächsten und so weiter. Sie müssen nicht alle ordnen.",
    rank_for: "Rang für {name}",
    not_ranked: "Kein Rang",
    cast: "Stimme abgeben",
    update: "Stimmzettel ändern",
    rank_name: "{name} einordnen",
    move_up: "{name} nach oben",
    move_down: "{name} nach unten",
    remove: "{name} aus der Rangfolge entfernen",
    your_ranking: "Ihre Rangfolge",
    unranked: "Noch nicht eingeordnete Namen",
    ranking_empty: "Sie haben noch keinen Namen eingeordnet.",
    ballot_received: "Stimmzettel erhalten",
    receipt: "Beleg",
    receipt_help: "Bewahren Sie ihn auf: Damit finden Sie Ihren Stimmzettel unter den veröffentlichten Stimmzetteln.",
    has_ballot: "Sie haben abgestimmt. Sie können Ihren Stimmzettel bis zum Ende der Abstimmung ändern oder zurückziehen.",
    withdraw: "Stimmzettel zurückziehen",
    withdrawn: "Ihr Stimmzettel wurde zurückgezogen: Er wird nicht gezählt.",
    duplicate_rank: "Rang {rank} ist mehr als einem Namen gegeben: Geben Sie jeden Rang nur einem Namen.",
    missing_rank: "Die Ränge müssen lückenlos bei 1 beginnen: Rang {rank} fehlt.",
    empty_ranking: "Ordnen Sie mindestens einen Namen ein, bevor Sie abstimmen.",
    voting_closes_at: "Die Abstimmung endet am {time}.",
    export: "Stimmzettel herunterladen (CSV)",
    recount: "Jede Person kann sie mit Christen nachzählen:",
    language: "Sprache",
    not_found: "Diesen Wettbewerb gibt es nicht, oder er ist noch nicht öffentlich.",
};

/// A time in a neutral form, `2026-11-27 18:00 UTC` (the SVG chart).
pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn numbers_and_dates_follow_the_language() {
        assert_eq!(EN.number(1234567.0), "1,234,567");
        assert_eq!(DE.number(1234.5), "1.234,5");
        assert_eq!(FR.number(12.25), "12,25");
        assert_eq!(EN.number(3.0), "3");
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 18, 5, 0).unwrap();
        assert_eq!(EN.date(t), "1 December 2026, 18:05 UTC");
        assert_eq!(FR.date(t), "1 décembre 2026 à 18:05 UTC");
        assert_eq!(ES.date(t), "1 de diciembre de 2026, 18:05 UTC");
        assert_eq!(DE.date(t), "1. Dezember 2026, 18:05 UTC");
    }

    #[test]
    fn languages_parse_with_regions_and_from_accept_language() {
        assert_eq!(Lang::parse("de-AT"), Some(Lang::De));
        assert_eq!(
            Lang::from_accept("it, es-MX;q=0.8, en;q=0.5"),
            Some(Lang::Es)
        );
        assert_eq!(Lang::from_accept("it"), None);
    }
}
