//! The ecosystem co-marketing maturity assessment: the matrix as a form, where the latest
//! answer stands against the one before, the next step per dimension, and every answer so far.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use comark_app::maturity::{self, AssessmentForm, Overview};
use comark_app::AppError;
use comark_domain::maturity::{average, Dimension, Level, Levels, Suggestion};
use comark_domain::Action;
use comark_store::maturity::Assessment;
use maud::{html, Markup};

use super::layout::{csrf_field, error_page, not_found_page, page};
use super::org::{base, secure, shell};
use super::session::{alert, error_for, form_response, general_error};
use super::{redirect_with_flash, Csrf, Flash, WebRoutes};
use crate::auth::WebOrg;
use crate::AppState;

pub(super) fn routes(routes: WebRoutes) -> WebRoutes {
    routes
        .get("/o/{org}/maturity", maturity_page)
        .post("/o/{org}/maturity", assess)
}

/// The page's title and main heading.
const TITLE: &str = "Co-marketing maturity";

async fn maturity_page(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Flash(flash): Flash,
) -> Response {
    render(&state, &org, &csrf, flash.as_deref(), None, None).await
}

/// Reads the form: `level.<dimension>` and `note.<dimension>` fields; anything else (the
/// CSRF field) is not part of the answer.
fn read_form(body: &Bytes) -> AssessmentForm {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut form = AssessmentForm::default();
    for (key, value) in pairs {
        if let Some(dimension) = key.strip_prefix("level.") {
            form.levels.insert(dimension.to_owned(), value);
        } else if let Some(dimension) = key.strip_prefix("note.") {
            form.notes.insert(dimension.to_owned(), value);
        }
    }
    form
}

async fn assess(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    body: Bytes,
) -> Response {
    let form = read_form(&body);
    match maturity::assess(&state.app, &org.scope, form.clone(), &org.actor()).await {
        Ok(_) => redirect_with_flash(
            &format!("{}/maturity", base(&org)),
            "Assessment saved.",
            secure(&state),
        ),
        Err(AppError::Forbidden) => error_page(AppError::Forbidden),
        Err(AppError::NotFound) => not_found_page(),
        Err(error) => render(&state, &org, &csrf, None, Some(&form), Some(error)).await,
    }
}

/// The page; `draft` is an answer sent back with `error`, shown as it was sent.
async fn render(
    state: &AppState,
    org: &WebOrg,
    csrf: &str,
    flash: Option<&str>,
    draft: Option<&AssessmentForm>,
    error: Option<AppError>,
) -> Response {
    let overview = match maturity::overview(&state.app, &org.scope).await {
        Ok(overview) => overview,
        Err(error) => return error_page(error),
    };
    let manage = org.scope.can(Action::ManagePartnerships);
    let latest = overview.history.first();
    let previous = overview.history.get(1);
    let error = &error;
    let markup = page(
        shell(org, TITLE, "", csrf, flash),
        html! {
            h1 { (TITLE) }
            p {
                "Where your organization stands in co-marketing with partners, dimension by dimension: from "
                strong { (Level::OneOff.label()) } ", through " strong { (Level::Coordinated.label()) }
                ", to " strong { (Level::Ecosystem.label()) } ". Answer it with your team, and again every quarter to see how you move."
            }
            (alert(general_error(error)))
            (error_summary(error))
            @if let Some(latest) = latest {
                (result(latest, previous))
            }
            @if manage {
                (assessment_form(org, csrf, &overview, draft, error))
            } @else {
                (matrix_table(latest))
                p.notice { "Owners, admins and partner managers answer the assessment." }
            }
            (history(&overview.history))
        },
    );
    form_response(error, markup)
}

/// The field name of a dimension's level in errors (as the use case names it).
fn level_field(dimension: Dimension) -> String {
    format!("levels.{}", dimension.as_str())
}

fn note_field(dimension: Dimension) -> String {
    format!("notes.{}", dimension.as_str())
}

/// A list of what needs attention, each item linking to its fieldset.
fn error_summary(error: &Option<AppError>) -> Markup {
    let Some(AppError::Invalid(errors)) = error else {
        return html! {};
    };
    html! {
        div.alert role="alert" {
            p { "Some answers need attention:" }
            ul {
                @for e in &errors.0 {
                    @let known = Dimension::ALL.into_iter().find(|d| e.field == level_field(*d) || e.field == note_field(*d));
                    li {
                        @if let Some(dimension) = known {
                            a href={ "#dim-" (dimension.as_str()) } { (dimension.label()) } ": " (e.message)
                        } @else {
                            (e.field.strip_prefix("levels.").unwrap_or(&e.field)) ": " (e.message)
                        }
                    }
                }
            }
        }
    }
}

/// The level after `level`, if any.
fn next_level(level: Level) -> Option<Level> {
    Level::ALL
        .into_iter()
        .find(|l| l.number() == level.number() + 1)
}

fn short_date(assessment: &Assessment) -> String {
    assessment.taken_at.format("%Y-%m-%d").to_string()
}

/// When `assessment` was taken, to tell it from `other`: the date, and the time (UTC) too
/// when both fall on the same day.
fn date_against(assessment: &Assessment, other: &Assessment) -> String {
    if short_date(assessment) == short_date(other) {
        assessment.taken_at.format("%Y-%m-%d %H:%M UTC").to_string()
    } else {
        short_date(assessment)
    }
}

fn average_text(levels: &Levels) -> String {
    average(levels)
        .map(|a| format!("{a:.1}"))
        .unwrap_or_else(|| "—".into())
}

/// Where the latest assessment stands (against the one before), and the next steps.
fn result(latest: &Assessment, previous: Option<&Assessment>) -> Markup {
    let steps: Vec<_> = Dimension::ALL
        .into_iter()
        .filter_map(|d| {
            let level = *latest.levels.get(&d)?;
            Some((d, level, next_level(level)?, d.next_step(level)?))
        })
        .collect();
    html! {
        section.maturity-result aria-labelledby="where-you-stand" {
            h2 #where-you-stand { "Where you stand" }
            p.average {
                "Average level " strong { (average_text(&latest.levels)) } " of 3"
                @if let Some(previous) = previous { " (before: " (average_text(&previous.levels)) " on " (date_against(previous, latest)) ")" }
                span.muted { " · assessed on " (short_date(latest)) " by " (latest.taken_by) }
            }
            (chart(latest, previous))
            @if !latest.notes.is_empty() {
                h3 { "Notes" }
                dl.notes {
                    @for (dimension, note) in &latest.notes {
                        dt { (dimension.label()) }
                        dd { (note) }
                    }
                }
            }
            h2 { "Next steps" }
            @if steps.is_empty() {
                p { "Every dimension is at " (Level::Ecosystem.label()) ". Keep the rhythm, and assess again next quarter." }
            } @else {
                ul.cards.next-steps {
                    @for (dimension, level, next, step) in &steps {
                        li {
                            strong { (dimension.label()) }
                            " " span.muted { "from " (level.label()) " to " (next.label()) }
                            p { (step) }
                        }
                    }
                }
            }
        }
    }
}

/// Layout of the chart, in SVG user units.
const LABEL_WIDTH: u32 = 170;
const UNIT: u32 = 140;
const ROW: u32 = 34;
const TOP: u32 = 26;
const BAR: u32 = 16;
const BEFORE_BAR: u32 = 6;

/// A horizontal bar chart: one row per dimension, the bar as long as its level (1 to 3), the
/// assessment before as a thin, light bar under it; with a table of the same numbers for
/// screen readers.
fn chart(latest: &Assessment, previous: Option<&Assessment>) -> Markup {
    let width = LABEL_WIDTH + 3 * UNIT + 120;
    let height = TOP + ROW * Dimension::ALL.len() as u32 + 8;
    let number = |a: Option<&Assessment>, d: Dimension| {
        a.and_then(|a| a.levels.get(&d))
            .map(|l| u32::from(l.number()))
    };
    let label = match previous {
        Some(previous) => format!(
            "Maturity level per dimension, 1 to 3: the assessment of {} as thick bars, the one of {} as thin bars.",
            date_against(latest, previous),
            date_against(previous, latest)
        ),
        None => format!(
            "Maturity level per dimension, 1 to 3, as assessed on {}.",
            short_date(latest)
        ),
    };
    html! {
        figure.maturity-chart {
            svg role="img" aria-label=(label) viewBox={ "0 0 " (width) " " (height) } preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" {
                title { (label) }
                @for level in Level::ALL {
                    @let x = LABEL_WIDTH + u32::from(level.number()) * UNIT;
                    line.grid x1=(x) x2=(x) y1=(TOP - 6) y2=(height - 4) {}
                    text.axis x=(x) y=(TOP - 10) text-anchor="end" { (level.number()) " · " (level.label().split(' ').next().unwrap_or_default()) }
                }
                line.axis-line x1=(LABEL_WIDTH) x2=(LABEL_WIDTH) y1=(TOP - 6) y2=(height - 4) {}
                @for (i, dimension) in Dimension::ALL.into_iter().enumerate() {
                    @let y = TOP + i as u32 * ROW;
                    text.dimension x=(LABEL_WIDTH - 8) y=(y + BAR - 3) text-anchor="end" { (dimension.label()) }
                    @if let Some(n) = number(Some(latest), dimension) {
                        rect.now x=(LABEL_WIDTH) y=(y) width=(n * UNIT) height=(BAR) rx="2" {}
                        text.value x=(LABEL_WIDTH + n * UNIT + 6) y=(y + BAR - 3) {
                            (n)
                            @if let Some(p) = number(previous, dimension) {
                                @if p < n { " ▲ from " (p) } @else if p > n { " ▼ from " (p) }
                            }
                        }
                    }
                    @if let Some(p) = number(previous, dimension) {
                        rect.before x=(LABEL_WIDTH) y=(y + BAR + 2) width=(p * UNIT) height=(BEFORE_BAR) rx="1" {}
                    }
                }
            }
            @if let Some(previous) = previous {
                figcaption.legend aria-hidden="true" {
                    span.key.now {} " " (date_against(latest, previous)) " "
                    span.key.before {} " " (date_against(previous, latest))
                }
            }
            table.sr-only {
                caption { "Maturity level per dimension (1 to 3)" }
                thead {
                    tr {
                        th scope="col" { "Dimension" }
                        th scope="col" { "Level on " (previous.map_or_else(|| short_date(latest), |p| date_against(latest, p))) }
                        @if let Some(previous) = previous { th scope="col" { "Level on " (date_against(previous, latest)) } }
                    }
                }
                tbody {
                    @for dimension in Dimension::ALL {
                        tr {
                            th scope="row" { (dimension.label()) }
                            td { (level_cell(latest.levels.get(&dimension))) }
                            @if let Some(previous) = previous { td { (level_cell(previous.levels.get(&dimension))) } }
                        }
                    }
                    tr {
                        th scope="row" { "Average" }
                        td { (average_text(&latest.levels)) }
                        @if let Some(previous) = previous { td { (average_text(&previous.levels)) } }
                    }
                }
            }
        }
    }
}

fn level_cell(level: Option<&Level>) -> String {
    level
        .map(|l| format!("{} ({})", l.number(), l.label()))
        .unwrap_or_else(|| "—".into())
}

/// The matrix as a form: a fieldset per dimension, a radio button per level labelled with
/// what an organization at that level observes, and a note.
fn assessment_form(
    org: &WebOrg,
    csrf: &str,
    overview: &Overview,
    draft: Option<&AssessmentForm>,
    error: &Option<AppError>,
) -> Markup {
    let latest = overview.history.first();
    let chosen = |d: Dimension| -> Option<Level> {
        match draft {
            Some(draft) => draft
                .levels
                .get(d.as_str())
                .and_then(|raw| Level::parse(raw)),
            None => latest.and_then(|a| a.levels.get(&d).copied()),
        }
    };
    let note = |d: Dimension| -> String {
        match draft {
            Some(draft) => draft.notes.get(d.as_str()).cloned().unwrap_or_default(),
            None => latest
                .and_then(|a| a.notes.get(&d).cloned())
                .unwrap_or_default(),
        }
    };
    let suggestion = |d: Dimension| -> Option<&Suggestion> {
        overview.suggestions.iter().find(|s| s.dimension == d)
    };
    html! {
        section aria-labelledby="assess" {
            h2 #assess { @if latest.is_some() { "Assess again" } @else { "Answer the assessment" } }
            p { "For each dimension, choose the description that fits your organization today." }
            form.stack.maturity method="post" action={ (base(org)) "/maturity" } novalidate {
                (csrf_field(csrf))
                @for dimension in Dimension::ALL {
                    @let name = dimension.as_str();
                    @let level_error = error_for(error, &level_field(dimension));
                    @let note_error = error_for(error, &note_field(dimension));
                    @let error_id = format!("dim-{name}-error");
                    @let hint_id = format!("dim-{name}-suggested");
                    @let hint = suggestion(dimension);
                    @let described = [hint.map(|_| hint_id.as_str()), level_error.map(|_| error_id.as_str())].into_iter().flatten().collect::<Vec<_>>().join(" ");
                    fieldset.dimension id={ "dim-" (name) } aria-describedby=[(!described.is_empty()).then_some(described.as_str())] {
                        legend { (dimension.label()) }
                        @if let Some(message) = level_error { p.error id=(error_id) { (message) } }
                        @for level in Level::ALL {
                            @let id = format!("level-{name}-{}", level.as_str());
                            label.level for=(id) {
                                input id=(id) type="radio" name={ "level." (name) } value=(level.as_str())
                                    checked[chosen(dimension) == Some(level)] aria-invalid=[level_error.map(|_| "true")];
                                span {
                                    strong { (level.label()) }
                                    " " span.criteria { (dimension.criteria(level)) }
                                }
                            }
                        }
                        @if let Some(s) = hint {
                            p.suggestion id=(hint_id) { "Suggested: " (s.level.label()) " — " (s.reason) }
                        }
                        div.field {
                            label for={ "note-" (name) } { "Note on " (dimension.label()) " (optional)" }
                            textarea id={ "note-" (name) } name={ "note." (name) } rows="2" maxlength="1000"
                                aria-invalid=[note_error.map(|_| "true")] { (note(dimension)) }
                            @if let Some(message) = note_error { p.error { (message) } }
                        }
                    }
                }
                button type="submit" { "Save assessment" }
            }
        }
    }
}

/// The matrix for those who do not answer it: what each level means, the current one marked.
fn matrix_table(latest: Option<&Assessment>) -> Markup {
    html! {
        h2 { "The matrix" }
        div.table-scroll {
            table.maturity-matrix {
                thead {
                    tr {
                        th scope="col" { "Dimension" }
                        @for level in Level::ALL { th scope="col" { (level.number()) ". " (level.label()) } }
                    }
                }
                tbody {
                    @for dimension in Dimension::ALL {
                        @let current = latest.and_then(|a| a.levels.get(&dimension).copied());
                        tr {
                            th scope="row" { (dimension.label()) }
                            @for level in Level::ALL {
                                td class=[(current == Some(level)).then_some("current")] {
                                    (dimension.criteria(level))
                                    @if current == Some(level) { " " strong { "(where you stand)" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Every assessment, newest first: date, who, average and the level per dimension.
fn history(history: &[Assessment]) -> Markup {
    html! {
        h2 { "History" }
        @if history.is_empty() {
            p.empty { "No assessment yet." }
        } @else {
            div.table-scroll {
                table.assessments {
                    caption.sr-only { "Past assessments, newest first, with the level per dimension from 1 to 3" }
                    thead {
                        tr {
                            th scope="col" { "When (UTC)" }
                            th scope="col" { "By" }
                            th scope="col" { "Average" }
                            @for dimension in Dimension::ALL { th scope="col" { (dimension.label()) } }
                        }
                    }
                    tbody {
                        @for assessment in history {
                            tr {
                                td { (assessment.taken_at.format("%Y-%m-%d")) br; span.muted { (assessment.taken_at.format("%H:%M")) } }
                                td.by {
                                    @if let Some((name, domain)) = assessment.taken_by.split_once('@') { (name) wbr; "@" (domain) } @else { (assessment.taken_by) }
                                }
                                td.number { (average_text(&assessment.levels)) }
                                @for dimension in Dimension::ALL {
                                    td.number {
                                        @if let Some(level) = assessment.levels.get(&dimension) { (level.number()) } @else { "—" }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn the_form_maps_level_and_note_fields_by_dimension() {
        let body = Bytes::from_static(
            b"_csrf=x&level.strategy_icp=one_off&note.strategy_icp=a+b&level.data_measurement=ecosystem&other=1",
        );
        let form = read_form(&body);
        assert_eq!(
            form.levels,
            BTreeMap::from([
                ("strategy_icp".to_owned(), "one_off".to_owned()),
                ("data_measurement".to_owned(), "ecosystem".to_owned()),
            ])
        );
        assert_eq!(
            form.notes,
            BTreeMap::from([("strategy_icp".to_owned(), "a b".to_owned())])
        );
    }

    #[test]
    fn the_next_level_is_one_up_and_none_at_the_top() {
        assert_eq!(next_level(Level::OneOff), Some(Level::Coordinated));
        assert_eq!(next_level(Level::Coordinated), Some(Level::Ecosystem));
        assert_eq!(next_level(Level::Ecosystem), None);
    }
}
