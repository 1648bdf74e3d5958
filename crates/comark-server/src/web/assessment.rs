//! The internal assessment (a form section by section, its progress, the gate items it
//! feeds and every version saved) and the gate templates (the evidence each gate of the
//! organization's new partnerships starts with).

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use comark_app::assessment::{self, Overview, TemplateRow};
use comark_app::AppError;
use comark_domain::assessment::{
    feeds_gate, questions_of, Answers, Feed, Person, Question, Section, MAX_ANSWER, MAX_EVIDENCE,
    MAX_NOTE,
};
use comark_domain::partnership::Stage;
use comark_domain::Action;
use comark_store::assessment::{InternalAssessment, StageTemplate};
use maud::{html, Markup};

use super::form::{day, forbidden, pairs, text_of, when};
use super::layout::{csrf_field, error_page, not_found_page, page};
use super::org::{base, plural, secure, shell};
use super::session::{alert, error_for, form_response, general_error};
use super::{redirect_with_flash, Csrf, Flash, WebRoutes};
use crate::auth::WebOrg;
use crate::AppState;

pub(super) fn routes(routes: WebRoutes) -> WebRoutes {
    routes
        .get("/o/{org}/internal-assessment", assessment_page)
        .post("/o/{org}/internal-assessment", save_assessment)
        .get("/o/{org}/gate-templates", templates_page)
        .post("/o/{org}/gate-templates", save_template)
        .post("/o/{org}/gate-templates/reset", reset_template)
}

/// The assessment page's title and main heading.
const TITLE: &str = "Internal assessment";
/// The templates page's title and main heading.
const TEMPLATES: &str = "Gate templates";
/// Blank rows offered below the people listed, and below a template's evidence.
const SPARE_ROWS: usize = 2;
/// The most rows a form may send (more are ignored).
const MAX_ROWS: usize = 200;

// ---------------------------------------------------------------------------------------
// The internal assessment.

async fn assessment_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
) -> Response {
    render_assessment(&state, &org, &csrf, flash.as_deref(), None, None).await
}

/// Reads the form: `answer.<key>`, `note.<key>` and `person.<n>.<name|role|skills>`; other
/// fields (the CSRF field) are not part of the answers.
fn read_answers(body: &Bytes) -> Answers {
    let mut answers = Answers::default();
    let mut people: Vec<Person> = Vec::new();
    for (key, value) in pairs(body) {
        if let Some(question) = key.strip_prefix("answer.") {
            answers.answers.insert(question.to_owned(), value);
        } else if let Some(question) = key.strip_prefix("note.") {
            answers.notes.insert(question.to_owned(), value);
        } else if let Some(rest) = key.strip_prefix("person.") {
            let Some((at, field)) = rest.split_once('.') else {
                continue;
            };
            let Ok(at) = at.parse::<usize>() else {
                continue;
            };
            if at >= MAX_ROWS {
                continue;
            }
            if people.len() <= at {
                people.resize_with(at + 1, Person::default);
            }
            match field {
                "name" => people[at].name = value,
                "role" => people[at].role = value,
                "skills" => people[at].skills = value,
                _ => {}
            }
        }
    }
    answers.people = people;
    answers
}

async fn save_assessment(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    body: Bytes,
) -> Response {
    if !org.scope.can(Action::ManagePartnerships) {
        return forbidden();
    }
    let draft = read_answers(&body);
    match assessment::answer(&state.app, &org.scope, draft.clone(), &org.actor()).await {
        Ok(saved) => {
            let (done, of) = saved.assessment.answers.progress();
            let met = saved.met.len();
            let mut message = format!(
                "Version {} saved: {done} of {of} sections complete.",
                saved.assessment.version
            );
            if met > 0 {
                message.push_str(&format!(
                    " It met {met} gate {} in your partnerships.",
                    plural(met, "item", "items")
                ));
            }
            redirect_with_flash(
                &format!("{}/internal-assessment", base(&org)),
                &message,
                secure(&state),
            )
        }
        Err(AppError::Forbidden) => forbidden(),
        Err(AppError::NotFound) => not_found_page(),
        Err(error) => render_assessment(&state, &org, &csrf, None, Some(&draft), Some(error)).await,
    }
}

/// The page; `draft` is what was sent with `error`, shown as it was sent.
async fn render_assessment(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    draft: Option<&Answers>,
    error: Option<AppError>,
) -> Response {
    let overview = match assessment::overview(&state.app, &org.scope).await {
        Ok(overview) => overview,
        Err(error) => return error_page(error),
    };
    let manage = org.scope.can(Action::ManagePartnerships);
    let latest = overview.history.first();
    let error = &error;
    let markup = page(
        shell(org, TITLE, "", csrf, flash),
        html! {
            h1 { (TITLE) }
            p {
                "Before choosing a partner, ISO 44001 asks you to look at your own organization: why you want to partner, "
                "what you bring and where you fall short, and whether your people are ready to collaborate. "
                "Answer it with your team, a section at a time if you like: every save is kept as a version."
            }
            p.muted {
                "Its answers meet evidence at the awareness, knowledge and internal assessment gates of your partnerships. "
                a href={ (base(org)) "/gate-templates" } { "Choose which evidence it feeds" } "."
            }
            (alert(general_error(error)))
            (error_summary(error))
            (progress(latest))
            (fed_gates(org, &overview))
            @if manage {
                (assessment_form(org, csrf, latest, draft, error))
            } @else {
                @if let Some(latest) = latest { (answers_view(&latest.answers)) }
                p.notice { "Owners, admins and partner managers answer the internal assessment." }
            }
            (history(&overview.history))
        },
    );
    form_response(error, markup)
}

/// Where the field named `field` (as the use case names it) is on the page.
fn anchor_of(field: &str) -> Option<(String, String)> {
    let (kind, rest) = field.split_once('.')?;
    match kind {
        "answers" | "notes" => {
            let q = comark_domain::assessment::question(rest)?;
            Some((
                format!("section-{}", q.section.as_str()),
                q.prompt.to_owned(),
            ))
        }
        "people" => {
            let at: usize = rest.split('.').next()?.parse().ok()?;
            Some(("section-people".to_owned(), format!("Person {}", at + 1)))
        }
        _ => None,
    }
}

/// A list of what needs attention, each item linking to its section.
fn error_summary(error: &Option<AppError>) -> Markup {
    let Some(AppError::Invalid(errors)) = error else {
        return html! {};
    };
    html! {
        div.alert role="alert" {
            p { "The assessment was not saved. Some answers need attention:" }
            ul {
                @for e in &errors.0 {
                    li {
                        @if let Some((anchor, what)) = anchor_of(&e.field) {
                            a href={ "#" (anchor) } { (what) } ": " (e.message)
                        } @else {
                            (sentence(&e.message)) "."
                        }
                    }
                }
            }
        }
    }
}

/// `text` with a capital first letter.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// The latest version's progress: sections complete, what is missing, what needs work.
fn progress(latest: Option<&InternalAssessment>) -> Markup {
    html! {
        section #progress aria-labelledby="progress-heading" {
            h2 #progress-heading { "Progress" }
            @if let Some(latest) = latest {
                @let answers = &latest.answers;
                @let (done, of) = answers.progress();
                p.progress {
                    strong { (done) " of " (of) " sections complete" }
                    @if answers.complete() { " — the assessment is complete." }
                    span.muted { " · version " (latest.version) ", saved " (when(latest.saved_at)) " by " (latest.saved_by) }
                }
                ul.sections {
                    @for section in Section::ALL {
                        @let missing = answers.missing(section);
                        li class=(if missing.is_empty() { "met" } else { "open" }) {
                            a href={ "#section-" (section.as_str()) } { (section.label()) }
                            @if missing.is_empty() {
                                " — " span.done { "complete" }
                            } @else {
                                " — missing: " (missing.join(" · "))
                            }
                        }
                    }
                }
                @let concerns = answers.concerns();
                @if !concerns.is_empty() {
                    h3 { "Worth working on before partnering" }
                    ul.concerns {
                        @for (q, c) in &concerns {
                            li { (q.prompt) " " strong { (c.label) } }
                        }
                    }
                }
            } @else {
                p.empty { "Not answered yet." }
            }
        }
    }
}

/// The gate items the assessment feeds in partnerships still at their groundwork.
fn fed_gates(org: &WebOrg, overview: &Overview) -> Markup {
    html! {
        section #feeds aria-labelledby="feeds-heading" {
            h2 #feeds-heading { "Gates it feeds" }
            @if overview.feeds.is_empty() {
                p.muted { "None of your partnerships is at its awareness, knowledge or internal assessment stage with evidence the assessment feeds." }
            } @else {
                div.table-scroll {
                    table.feeds {
                        caption.sr-only { "Gate evidence the internal assessment meets, per partnership" }
                        thead { tr { th scope="col" { "Partnership" } th scope="col" { "Gate" } th scope="col" { "Evidence" } th scope="col" { "Fed by" } th scope="col" { "State" } } }
                        tbody {
                            @for f in &overview.feeds {
                                tr {
                                    td { a href={ (base(org)) "/partnerships/" (f.partnership) } { (f.partnership_name) } }
                                    td { (f.stage.label()) }
                                    td { (f.text) }
                                    td { a href={ "#" (f.fed_by.anchor()) } { (f.fed_by.label()) } }
                                    td {
                                        @if let Some(by) = &f.met_by { "met by " (by) } @else { "open" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The field name of an answer, and of a note, in errors (as the use case names them).
fn answer_field(q: &Question) -> String {
    format!("answers.{}", q.key)
}

fn note_field(q: &Question) -> String {
    format!("notes.{}", q.key)
}

/// The assessment as a form, a fieldset per section, prefilled with `draft` (after an error)
/// or the latest version.
fn assessment_form(
    org: &WebOrg,
    csrf: &str,
    latest: Option<&InternalAssessment>,
    draft: Option<&Answers>,
    error: &Option<AppError>,
) -> Markup {
    let empty = Answers::default();
    let shown = draft.or(latest.map(|l| &l.answers)).unwrap_or(&empty);
    let people_rows = shown.people.len() + SPARE_ROWS;
    html! {
        section aria-labelledby="answer" {
            h2 #answer { @if latest.is_some() { "Update the answers" } @else { "Answer the assessment" } }
            form.stack.maturity.assessment method="post" action={ (base(org)) "/internal-assessment" } novalidate {
                (csrf_field(csrf))
                @for section in Section::ALL {
                    fieldset.dimension id={ "section-" (section.as_str()) } {
                        legend { (section.label()) }
                        p.hint.muted { (section.intro()) }
                        @if section == Section::People {
                            @for at in 0..people_rows {
                                @let person = shown.people.get(at).cloned().unwrap_or_default();
                                (person_row(at, &person, error))
                            }
                            @if let Some(message) = error_for(error, "people") { p.error { (message) } }
                        }
                        @for q in questions_of(section) {
                            (question_field(q, shown, error))
                        }
                    }
                }
                button type="submit" { "Save the assessment" }
            }
        }
    }
}

/// One person's row: name, role and skills.
fn person_row(at: usize, person: &Person, error: &Option<AppError>) -> Markup {
    let n = at + 1;
    let name_error = error_for(error, &format!("people.{at}.name"));
    let role_error = error_for(error, &format!("people.{at}.role"));
    let skills_error = error_for(error, &format!("people.{at}.skills"));
    html! {
        div.pair.person {
            div.field {
                label for={ "person-" (at) "-name" } { "Person " (n) ": name" }
                input id={ "person-" (at) "-name" } type="text" name={ "person." (at) ".name" } value=(person.name)
                    maxlength="120" autocomplete="off" aria-invalid=[name_error.map(|_| "true")];
                @if let Some(message) = name_error { p.error { (message) } }
            }
            div.field {
                label for={ "person-" (at) "-role" } { "Person " (n) ": role" }
                input id={ "person-" (at) "-role" } type="text" name={ "person." (at) ".role" } value=(person.role)
                    maxlength="120" autocomplete="off" aria-invalid=[role_error.map(|_| "true")];
                @if let Some(message) = role_error { p.error { (message) } }
            }
            div.field.skills {
                label for={ "person-" (at) "-skills" } { "Person " (n) ": skills for partnering" }
                input id={ "person-" (at) "-skills" } type="text" name={ "person." (at) ".skills" } value=(person.skills)
                    maxlength=(MAX_NOTE) autocomplete="off" aria-invalid=[skills_error.map(|_| "true")];
                @if let Some(message) = skills_error { p.error { (message) } }
            }
        }
    }
}

/// One question: a text area, or a radio button per choice with an optional note.
fn question_field(q: &Question, shown: &Answers, error: &Option<AppError>) -> Markup {
    let answer_error = error_for(error, &answer_field(q));
    let note_error = error_for(error, &note_field(q));
    let value = shown.answers.get(q.key).map(String::as_str).unwrap_or("");
    let id = format!("q-{}", q.key);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = [
        (!q.hint.is_empty()).then_some(hint_id.as_str()),
        answer_error.map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let described = (!described.is_empty()).then_some(described);
    html! {
        @if q.is_choice() {
            fieldset.question id=(id) aria-describedby=[described.as_deref()] {
                legend { (q.prompt) }
                @if !q.hint.is_empty() { p.hint.muted id=(hint_id) { (q.hint) } }
                @if let Some(message) = answer_error { p.error id=(error_id) { (message) } }
                @for c in q.choices {
                    @let choice_id = format!("{id}-{}", c.value);
                    label.level for=(choice_id) {
                        input id=(choice_id) type="radio" name={ "answer." (q.key) } value=(c.value)
                            checked[value == c.value] aria-invalid=[answer_error.map(|_| "true")];
                        span { (c.label) }
                    }
                }
                div.field {
                    label for={ (id) "-note" } { "What makes you say so? (optional)" }
                    textarea id={ (id) "-note" } name={ "note." (q.key) } rows="2" maxlength=(MAX_NOTE)
                        aria-invalid=[note_error.map(|_| "true")] { (shown.notes.get(q.key).map(String::as_str).unwrap_or("")) }
                    @if let Some(message) = note_error { p.error { (message) } }
                }
            }
        } @else {
            div.field {
                label for=(id) { (q.prompt) }
                @if !q.hint.is_empty() { p.hint.muted id=(hint_id) { (q.hint) } }
                textarea id=(id) name={ "answer." (q.key) } rows="3" maxlength=(MAX_ANSWER)
                    aria-invalid=[answer_error.map(|_| "true")] aria-describedby=[described.as_deref()] { (value) }
                @if let Some(message) = answer_error { p.error id=(error_id) { (message) } }
            }
        }
    }
}

/// The answers of one version, read-only, section by section.
fn answers_view(answers: &Answers) -> Markup {
    html! {
        div.answers {
            @for section in Section::ALL {
                h3 id={ "section-" (section.as_str()) } { (section.label()) }
                dl {
                    @if section == Section::People {
                        dt { "People" }
                        dd {
                            @if answers.people.is_empty() { span.muted { "not answered" } }
                            @else {
                                ul.people {
                                    @for p in &answers.people {
                                        li {
                                            strong { (p.name) }
                                            @if !p.role.is_empty() { ", " (p.role) }
                                            @if !p.skills.is_empty() { " — " (p.skills) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @for q in questions_of(section) {
                        dt { (q.prompt) }
                        dd {
                            @match answers.answer(q.key) {
                                None => span.muted { "not answered" },
                                Some(answer) => {
                                    @if let Some(c) = q.choice(answer) { (c.label) } @else { (answer) }
                                    @if let Some(note) = answers.note(q.key) { br; span.muted { (note) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Every version, newest first: number, when, who, sections complete, and its answers.
fn history(history: &[InternalAssessment]) -> Markup {
    html! {
        section #history aria-labelledby="history-heading" {
            h2 #history-heading { "History" }
            @if history.is_empty() {
                p.empty { "No version saved yet." }
            } @else {
                div.table-scroll {
                    table.versions {
                        caption.sr-only { "Versions of the internal assessment, newest first" }
                        thead { tr { th scope="col" { "Version" } th scope="col" { "Saved (UTC)" } th scope="col" { "By" } th scope="col" { "Sections complete" } } }
                        tbody {
                            @for version in history {
                                @let (done, of) = version.answers.progress();
                                tr {
                                    td.number { (version.version) }
                                    td { time datetime=(version.saved_at.to_rfc3339()) { (when(version.saved_at)) } }
                                    td { (version.saved_by) }
                                    td { (done) " of " (of) }
                                }
                            }
                        }
                    }
                }
                @for version in history.iter().skip(1) {
                    details.passed.version {
                        summary { "The answers of version " (version.version) " (" (day(version.saved_at)) ")" }
                        (answers_view_plain(&version.answers))
                    }
                }
            }
        }
    }
}

/// The answers of an earlier version, without the section anchors the latest one owns.
fn answers_view_plain(answers: &Answers) -> Markup {
    html! {
        dl {
            @if !answers.people.is_empty() {
                dt { "People" }
                dd { (answers.people.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")) }
            }
            @for q in comark_domain::assessment::QUESTIONS.iter() {
                @if let Some(answer) = answers.answer(q.key) {
                    dt { (q.prompt) }
                    dd { @if let Some(c) = q.choice(answer) { (c.label) } @else { (answer) } }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Gate templates.

/// A stage's form that was refused: the stage and the rows as sent.
struct Draft {
    stage: Stage,
    rows: Vec<(String, Option<String>)>,
}

async fn templates_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
) -> Response {
    render_templates(&state, &org, &csrf, flash.as_deref(), None, None).await
}

/// Reads a stage's form: `stage`, and `text.<n>`/`fed_by.<n>` per row, in row order.
fn read_rows(pairs: &[(String, String)]) -> Vec<(String, Option<String>)> {
    let mut rows: Vec<(String, Option<String>)> = Vec::new();
    for (key, value) in pairs {
        let (kind, at) = match key.split_once('.') {
            Some((kind @ ("text" | "fed_by"), at)) => (kind, at),
            _ => continue,
        };
        let Ok(at) = at.parse::<usize>() else {
            continue;
        };
        if at >= MAX_ROWS {
            continue;
        }
        if rows.len() <= at {
            rows.resize_with(at + 1, Default::default);
        }
        if kind == "text" {
            rows[at].0 = value.clone();
        } else {
            rows[at].1 = Some(value.clone());
        }
    }
    rows
}

async fn save_template(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    body: Bytes,
) -> Response {
    if !org.scope.can(Action::ManagePartnerships) {
        return forbidden();
    }
    let pairs = pairs(&body);
    let stage_name = text_of(&pairs, "stage");
    let rows = read_rows(&pairs);
    let sent: Vec<TemplateRow> = rows
        .iter()
        .map(|(text, fed_by)| TemplateRow {
            text: text.clone(),
            fed_by: fed_by.clone(),
        })
        .collect();
    match assessment::save_template(&state.app, &org.scope, &stage_name, sent, &org.actor()).await {
        Ok(_) => {
            let label = Stage::parse(&stage_name).map_or("The", Stage::label);
            redirect_with_flash(
                &format!("{}/gate-templates#stage-{stage_name}", base(&org)),
                &format!("{label} gate saved. New partnerships start with it."),
                secure(&state),
            )
        }
        Err(AppError::Forbidden) => forbidden(),
        Err(AppError::NotFound) => not_found_page(),
        Err(error) => {
            let draft = Stage::parse(&stage_name).map(|stage| Draft { stage, rows });
            render_templates(&state, &org, &csrf, None, draft, Some(error)).await
        }
    }
}

async fn reset_template(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    body: Bytes,
) -> Response {
    if !org.scope.can(Action::ManagePartnerships) {
        return forbidden();
    }
    let stage_name = text_of(&pairs(&body), "stage");
    match assessment::reset_template(&state.app, &org.scope, &stage_name, &org.actor()).await {
        Ok(_) => {
            let label = Stage::parse(&stage_name).map_or("The", Stage::label);
            redirect_with_flash(
                &format!("{}/gate-templates#stage-{stage_name}", base(&org)),
                &format!("{label} gate reset to comark's defaults."),
                secure(&state),
            )
        }
        Err(AppError::Forbidden) => forbidden(),
        Err(AppError::NotFound) => not_found_page(),
        Err(error) => render_templates(&state, &org, &csrf, None, None, Some(error)).await,
    }
}

async fn render_templates(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    draft: Option<Draft>,
    error: Option<AppError>,
) -> Response {
    let stages = match assessment::templates(&state.app, &org.scope).await {
        Ok(stages) => stages,
        Err(error) => return error_page(error),
    };
    let manage = org.scope.can(Action::ManagePartnerships);
    let error = &error;
    // An error that belongs to no stage's form (say, an unknown stage) shows at the top.
    let stray = match (error, &draft) {
        (Some(AppError::Invalid(errors)), None) => Some(
            errors
                .0
                .iter()
                .map(|e| sentence(&e.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => general_error(error),
    };
    let markup = page(
        shell(org, TEMPLATES, "partnerships", csrf, flash),
        html! {
            p.muted { a href={ (base(org)) "/partnerships" } { "All partnerships" } }
            h1 { (TEMPLATES) }
            p {
                "The evidence each gate of your new partnerships starts with. Until you save a stage, comark's defaults apply. "
                "Partnerships already started keep their gates; their members add and remove evidence there."
            }
            p.muted {
                "Evidence fed by the "
                a href={ (base(org)) "/internal-assessment" } { "internal assessment" }
                " is met as soon as the part it names is answered, at the awareness, knowledge and internal assessment gates."
            }
            (alert(stray))
            @if let (Some(AppError::Invalid(_)), Some(draft)) = (error, &draft) {
                div.alert role="alert" {
                    "The " (draft.stage.label()) " gate was not saved. "
                    a href={ "#stage-" (draft.stage.as_str()) } { "See what to correct" } "."
                }
            }
            @for template in &stages {
                (stage_template(org, csrf, template, manage, draft.as_ref().filter(|d| d.stage == template.stage), error))
            }
        },
    );
    form_response(error, markup)
}

/// One stage's template: a form for those who edit it, a list for the others.
fn stage_template(
    org: &WebOrg,
    csrf: &str,
    template: &StageTemplate,
    manage: bool,
    draft: Option<&Draft>,
    error: &Option<AppError>,
) -> Markup {
    let stage = template.stage;
    let name = stage.as_str();
    let fed = feeds_gate(stage);
    let rows: Vec<(String, Option<String>)> = match draft {
        Some(draft) => draft.rows.clone(),
        None => template
            .items
            .iter()
            .map(|i| (i.text.clone(), i.fed_by.map(|f| f.as_str().to_owned())))
            .collect(),
    };
    let rows_shown = rows.len().max(template.items.len()) + SPARE_ROWS;
    let error = if draft.is_some() { error } else { &None };
    html! {
        section.stage-template id={ "stage-" (name) } aria-labelledby={ "stage-" (name) "-heading" } {
            h2 id={ "stage-" (name) "-heading" } {
                (stage.label()) " "
                @if let Some((by, at)) = &template.saved {
                    span.badge { "your own" } " " span.muted.who { "saved by " (by) " on " (day(*at)) }
                } @else {
                    span.badge.stale { "comark's defaults" }
                }
            }
            @if manage {
                form.stack.wide method="post" action={ (base(org)) "/gate-templates" } novalidate {
                    (csrf_field(csrf))
                    input type="hidden" name="stage" value=(name);
                    @if let Some(message) = error_for(error, "items") { p.error { (message) } }
                    @if let Some(message) = error_for(error, "stage") { p.error { (message) } }
                    @for at in 0..rows_shown {
                        @let (text, fed_by) = rows.get(at).cloned().unwrap_or_default();
                        @let text_error = error_for(error, &format!("items.{at}.text"));
                        @let fed_error = error_for(error, &format!("items.{at}.fed_by"));
                        div class=(if fed { "pair evidence" } else { "evidence" }) {
                            div.field {
                                label for={ (name) "-text-" (at) } { (stage.label()) " evidence " (at + 1) }
                                input id={ (name) "-text-" (at) } type="text" name={ "text." (at) } value=(text)
                                    maxlength=(MAX_EVIDENCE) autocomplete="off" aria-invalid=[text_error.map(|_| "true")];
                                @if let Some(message) = text_error { p.error { (message) } }
                            }
                            @if fed {
                                div.field {
                                    label for={ (name) "-fed-" (at) } { "Fed by the internal assessment (" (stage.label()) " evidence " (at + 1) ")" }
                                    select id={ (name) "-fed-" (at) } name={ "fed_by." (at) } aria-invalid=[fed_error.map(|_| "true")] {
                                        option value="" selected[fed_by.as_deref().unwrap_or("").is_empty()] { "No: members meet it" }
                                        @for feed in Feed::ALL {
                                            option value=(feed.as_str()) selected[fed_by.as_deref() == Some(feed.as_str())] { (feed.label()) }
                                        }
                                    }
                                    @if let Some(message) = fed_error { p.error { (message) } }
                                }
                            }
                        }
                    }
                    div { button type="submit" { "Save the " (stage.label()) " gate" } }
                }
                @if template.saved.is_some() {
                    form.inline method="post" action={ (base(org)) "/gate-templates/reset" } {
                        (csrf_field(csrf))
                        input type="hidden" name="stage" value=(name);
                        button.secondary type="submit" { "Reset the " (stage.label()) " gate to the defaults" }
                    }
                }
            } @else {
                ul.gate {
                    @for item in &template.items {
                        li {
                            span.tick { (item.text) }
                            @if let Some(feed) = item.fed_by {
                                span.muted.who { "fed by the internal assessment: " (feed.label()) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_assessment_form_maps_answers_notes_and_people() {
        let body = Bytes::from_static(
            b"_csrf=x&answer.drivers=Growth&note.roles=We+overlap&person.1.name=Bo&person.0.name=Ann&person.0.skills=Events&person.9999.name=Z&other=1",
        );
        let answers = read_answers(&body);
        assert_eq!(
            answers.answers.get("drivers").map(String::as_str),
            Some("Growth")
        );
        assert_eq!(
            answers.notes.get("roles").map(String::as_str),
            Some("We overlap")
        );
        let names: Vec<&str> = answers.people.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["Ann", "Bo"],
            "rows in order, the absurd one ignored"
        );
        assert_eq!(answers.people[0].skills, "Events");
    }

    #[test]
    fn a_template_form_keeps_rows_in_order() {
        let pairs = vec![
            ("stage".to_owned(), "awareness".to_owned()),
            ("text.1".to_owned(), "Second".to_owned()),
            ("text.0".to_owned(), "First".to_owned()),
            ("fed_by.0".to_owned(), "drivers".to_owned()),
            ("text.x".to_owned(), "ignored".to_owned()),
        ];
        assert_eq!(
            read_rows(&pairs),
            [
                ("First".to_owned(), Some("drivers".to_owned())),
                ("Second".to_owned(), None)
            ]
        );
    }

    #[test]
    fn errors_link_to_their_section() {
        assert_eq!(
            anchor_of("answers.roles").map(|(a, _)| a),
            Some("section-team".to_owned())
        );
        assert_eq!(
            anchor_of("people.2.name"),
            Some(("section-people".to_owned(), "Person 3".to_owned()))
        );
        assert_eq!(anchor_of("answers"), None);
    }
}
