//! A partnership's health, its shared goals with their readings, and what each member
//! commits and delivers.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use comark_app::exit::ExitView;
use comark_app::partnerships::{self, GoalForm};
use comark_domain::goals::ContributionKind;
use comark_domain::{Action, GoalId, PartnershipId};
use comark_store::goals::{Goal, Performance, Side};
use maud::{html, Markup};

use super::{
    amount, day, detail_url, forbidden, input, managed, number, pairs, refused_in, sentence,
    text_area, text_of, Sections, Sent,
};
use crate::auth::WebOrg;
use crate::web::layout::{csrf_field, not_found_page};
use crate::web::org::secure;
use crate::web::{redirect_with_flash, Csrf};
use crate::AppState;

/// A health reason as a sentence.
fn reason(text: &str) -> String {
    match text {
        "last activity 0 days ago" => "Last activity today".to_owned(),
        "last activity 1 days ago" => "Last activity yesterday".to_owned(),
        other => sentence(other),
    }
}

/// A fired trigger's reason as a sentence: capitalized unless it starts with a member's
/// name, which is written as its organization writes it.
fn fired_reason(text: &str) -> String {
    if text.starts_with("the ") || text.starts_with("a ") {
        sentence(text)
    } else {
        text.to_owned()
    }
}

/// The health score with its reasons, and the exit triggers that fired.
pub(super) fn health(performance: &Performance, exit: &ExitView) -> Markup {
    let health = &performance.health;
    let word = match health.score {
        70.. => "healthy",
        40..=69 => "needs attention",
        _ => "in trouble",
    };
    let exited = exit.closing_review.is_some();
    html! {
        section.health aria-labelledby="health" {
            h2 #health { "Health" }
            div.health-score {
                p.big { span.number { (health.score) } span.of { " / 100" } }
                meter min="0" max="100" low="40" high="70" optimum="100" value=(health.score)
                    aria-label="Health score" { (health.score) " of 100" }
                p.health-word { (sentence(word)) }
            }
            ul.reasons {
                @for text in &health.reasons { li { (reason(text)) } }
            }
            @if !exit.alerts.is_empty() && !exited {
                div.warning #fired-triggers {
                    p {
                        strong {
                            @if exit.alerts.len() == 1 { "An exit trigger fired" } @else { (exit.alerts.len()) " exit triggers fired" }
                        }
                        ": the partners agreed to reconsider the partnership when this happens."
                    }
                    ul {
                        @for alert in &exit.alerts {
                            li { (fired_reason(&alert.reason)) span.muted { " · since " (day(alert.fired_at)) } }
                        }
                    }
                    p { a href="#exit" { "Review the exit strategy" } }
                }
            }
        }
    }
}

/// A goal's status with its class, for colour.
fn status(goal: &Goal) -> Markup {
    html! {
        span class={ "status " (goal.status.as_str().replace('_', "-")) } { (goal.status.label()) }
    }
}

/// A figure with its unit: "30 leads".
fn with_unit(value: f64, unit: &str) -> String {
    if unit.is_empty() {
        amount(value)
    } else {
        format!("{} {unit}", amount(value))
    }
}

/// The shared goals, their readings, and the forms to record a reading and add a goal.
pub(super) fn goals(s: &Sections<'_>, performance: &Performance) -> Markup {
    let forms = s.forms;
    let today = s.today.to_string();
    let quarter = (s.today + chrono::Days::new(90)).to_string();
    let sent = Sent::Goal;
    html! {
        section.goals aria-labelledby="goals" {
            h2 #goals { "Goals" }
            @if performance.goals.is_empty() {
                p.empty { "No shared goals yet. A goal says what the partners measure, the target and by when." }
            } @else {
                div.table-scroll {
                    table.goals {
                        caption { "Shared goals, judged against the time gone by" }
                        thead { tr {
                            th scope="col" { "Goal" } th.number scope="col" { "Target" } th scope="col" { "Period" }
                            th scope="col" { "Owner" } th.number scope="col" { "Current" } th scope="col" { "Status" }
                        } }
                        tbody {
                            @for goal in &performance.goals {
                                tr {
                                    td { (goal.metric) }
                                    td.number { (with_unit(goal.target, &goal.unit)) }
                                    td.period { (goal.starts_on) " – " (goal.ends_on) }
                                    td { (s.member(goal.owner_org)) }
                                    td.number {
                                        @if let Some(current) = goal.current {
                                            (with_unit(current, &goal.unit))
                                        } @else {
                                            span.muted { "no reading yet" }
                                        }
                                    }
                                    td { (status(goal)) }
                                }
                            }
                        }
                    }
                }
                @for goal in &performance.goals {
                    @let sent = Sent::Reading(goal.id);
                    @let prefix = format!("g-{}", goal.id);
                    details.form id=(sent.anchor()) open[forms.sent(sent)] {
                        summary {
                            "Readings of “" (goal.metric) "” "
                            span.muted { "(" (goal.readings.len()) ")" }
                        }
                        @if goal.readings.is_empty() {
                            p.muted { "No readings yet." }
                        } @else {
                            ul.readings {
                                @for r in goal.readings.iter().rev() {
                                    li {
                                        strong { (with_unit(r.value, &goal.unit)) } " by " (r.on)
                                        @if !r.note.is_empty() { " — " (r.note) }
                                        span.muted { " · " (r.by) }
                                    }
                                }
                            }
                        }
                        @if s.manage {
                            form.stack method="post" action={ (s.url) "/goals/" (goal.id) "/readings" } novalidate {
                                (csrf_field(s.csrf))
                                (input(&format!("{prefix}-value"), &format!("Value reached{}", if goal.unit.is_empty() { String::new() } else { format!(" ({})", goal.unit) }), "value", "number",
                                    &forms.typed(sent, "value", ""), forms.error_in(sent, "value")))
                                (input(&format!("{prefix}-on"), "Reading date", "recorded_on", "date",
                                    &forms.typed(sent, "recorded_on", today.clone()), forms.error_in(sent, "recorded_on")))
                                (input(&format!("{prefix}-note"), "Reading note (optional)", "note", "text",
                                    &forms.typed(sent, "note", ""), forms.error_in(sent, "note")))
                                div { button.secondary type="submit" { "Record reading" } }
                            }
                        }
                    }
                }
            }
            @if s.manage {
                details.form #add-goal open[forms.sent(sent)] {
                    summary { "Add a goal" }
                    form.stack method="post" action={ (s.url) "/goals" } novalidate {
                        (csrf_field(s.csrf))
                        (input("goal-metric", "What is measured", "metric", "text", &forms.typed(sent, "metric", ""), forms.error_in(sent, "metric")))
                        div.pair {
                            (input("goal-target", "Target", "target", "number", &forms.typed(sent, "target", ""), forms.error_in(sent, "target")))
                            (input("goal-unit", "Unit (optional)", "unit", "text", &forms.typed(sent, "unit", ""), forms.error_in(sent, "unit")))
                        }
                        div.pair {
                            (input("goal-starts", "Starts on", "starts_on", "date", &forms.typed(sent, "starts_on", today.clone()), forms.error_in(sent, "starts_on")))
                            (input("goal-ends", "Ends on", "ends_on", "date", &forms.typed(sent, "ends_on", quarter), forms.error_in(sent, "ends_on")))
                        }
                        (s.members_select("goal-owner", "Owned by", &forms.typed(sent, "owner_org", s.our_handle()), forms.error_in(sent, "owner_org")))
                        div { button type="submit" { "Add goal" } }
                    }
                }
            }
        }
    }
}

/// One member's commitments and deliveries.
fn side_table(side: &Side, us: bool) -> Markup {
    html! {
        h3 {
            (side.name) @if us { " (you)" }
            span.muted.share {
                @if let Some(share) = side.delivered_share {
                    " · delivered " (format!("{:.0}%", share * 100.0)) " of its commitments"
                } @else {
                    " · no commitments yet"
                }
            }
        }
        @if side.kinds.is_empty() {
            p.muted { "Nothing committed or delivered yet." }
        } @else {
            div.table-scroll {
                table.contributions {
                    thead { tr {
                        th scope="col" { "Kind" } th.number scope="col" { "Committed" }
                        th.number scope="col" { "Delivered" } th.number scope="col" { "Share delivered" }
                    } }
                    tbody {
                        @for (kind, committed, delivered) in &side.kinds {
                            tr {
                                td { (kind.label()) }
                                td.number { (amount(*committed)) }
                                td.number { (amount(*delivered)) }
                                td.number {
                                    @if *committed > 0.0 {
                                        (format!("{:.0}%", delivered / committed * 100.0))
                                    } @else {
                                        span.muted { "not committed" }
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

fn kind_select(id: &str, label: &str, chosen: &str, error: Option<&str>) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name="kind" aria-invalid=[error.map(|_| "true")] {
                @for kind in ContributionKind::ALL {
                    option value=(kind.as_str()) selected[kind.as_str() == chosen] { (kind.label()) }
                }
            }
            @if let Some(message) = error { p.error { (message) } }
        }
    }
}

/// What each member commits and delivered, and the forms for ours.
pub(super) fn contributions(s: &Sections<'_>, performance: &Performance) -> Markup {
    let forms = s.forms;
    let today = s.today.to_string();
    let (commit, deliver) = (Sent::Commitment, Sent::Contribution);
    html! {
        section.contributions aria-labelledby="contributions" {
            h2 #contributions { "Contributions" }
            p.muted { "What each member committed to the partnership and what it delivered. The health score follows the member that delivered least." }
            @for side in &performance.sides {
                (side_table(side, side.org == s.me))
            }
            @if s.manage {
                div.forms-pair {
                    details.form #set-commitment open[forms.sent(commit)] {
                        summary { "Set our commitment" }
                        form.stack method="post" action={ (s.url) "/commitments" } novalidate {
                            (csrf_field(s.csrf))
                            (kind_select("commit-kind", "What we commit", &forms.typed(commit, "kind", ""), forms.error_in(commit, "kind")))
                            (input("commit-amount", "Amount committed", "amount", "number", &forms.typed(commit, "amount", ""), forms.error_in(commit, "amount")))
                            p.muted.hint { "Replaces what we committed of that kind before; 0 withdraws it." }
                            div { button.secondary type="submit" { "Save commitment" } }
                        }
                    }
                    details.form #record-delivery open[forms.sent(deliver)] {
                        summary { "Record a delivery" }
                        form.stack method="post" action={ (s.url) "/contributions" } novalidate {
                            (csrf_field(s.csrf))
                            (kind_select("deliver-kind", "What we delivered", &forms.typed(deliver, "kind", ""), forms.error_in(deliver, "kind")))
                            (input("deliver-amount", "Amount delivered", "amount", "number", &forms.typed(deliver, "amount", ""), forms.error_in(deliver, "amount")))
                            (input("deliver-on", "Delivered on", "delivered_on", "date", &forms.typed(deliver, "delivered_on", today), forms.error_in(deliver, "delivered_on")))
                            (text_area("deliver-note", "Delivery note (optional)", "note", &forms.typed(deliver, "note", ""), forms.error_in(deliver, "note")))
                            div { button.secondary type="submit" { "Record delivery" } }
                        }
                    }
                }
            }
        }
    }
}

fn partnership_of(id: &str) -> Option<PartnershipId> {
    id.parse().ok()
}

pub(super) async fn add_goal(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let id = match managed(&org, &id) {
        Ok(id) => id,
        Err(refusal) => return refusal,
    };
    let pairs = pairs(&body);
    let form = GoalForm {
        metric: text_of(&pairs, "metric"),
        target: number(&text_of(&pairs, "target")),
        unit: text_of(&pairs, "unit"),
        starts_on: text_of(&pairs, "starts_on"),
        ends_on: text_of(&pairs, "ends_on"),
        owner_org: Some(text_of(&pairs, "owner_org")),
    };
    match partnerships::add_goal(&state.app, &org.scope, id, form, &org.actor()).await {
        Ok(_) => redirect_with_flash(&detail_url(&org, id), "Goal added.", secure(&state)),
        Err(error) => refused_in(&state, &org, &csrf, id, error, Sent::Goal, pairs).await,
    }
}

pub(super) async fn record_reading(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id, goal)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let (Some(id), Ok(goal)) = (partnership_of(&id), goal.parse::<GoalId>()) else {
        return not_found_page();
    };
    if !org.scope.can(Action::ManagePartnerships) {
        return forbidden();
    }
    let pairs = pairs(&body);
    let value = number(&text_of(&pairs, "value"));
    let on = text_of(&pairs, "recorded_on");
    let note = text_of(&pairs, "note");
    match partnerships::record_progress(
        &state.app,
        &org.scope,
        id,
        goal,
        value,
        Some(&on),
        &note,
        &org.actor(),
    )
    .await
    {
        Ok(_) => redirect_with_flash(&detail_url(&org, id), "Reading recorded.", secure(&state)),
        Err(error) => refused_in(&state, &org, &csrf, id, error, Sent::Reading(goal), pairs).await,
    }
}

pub(super) async fn set_commitment(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let id = match managed(&org, &id) {
        Ok(id) => id,
        Err(refusal) => return refusal,
    };
    let pairs = pairs(&body);
    let kind = text_of(&pairs, "kind");
    let value = number(&text_of(&pairs, "amount"));
    match partnerships::set_commitment(&state.app, &org.scope, id, &kind, value, &org.actor()).await
    {
        Ok(_) => redirect_with_flash(&detail_url(&org, id), "Commitment saved.", secure(&state)),
        Err(error) => refused_in(&state, &org, &csrf, id, error, Sent::Commitment, pairs).await,
    }
}

pub(super) async fn record_delivery(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let id = match managed(&org, &id) {
        Ok(id) => id,
        Err(refusal) => return refusal,
    };
    let pairs = pairs(&body);
    let kind = text_of(&pairs, "kind");
    let value = number(&text_of(&pairs, "amount"));
    let on = text_of(&pairs, "delivered_on");
    let note = text_of(&pairs, "note");
    match partnerships::record_contribution(
        &state.app,
        &org.scope,
        id,
        &kind,
        value,
        Some(&on),
        &note,
        &org.actor(),
    )
    .await
    {
        Ok(_) => redirect_with_flash(&detail_url(&org, id), "Delivery recorded.", secure(&state)),
        Err(error) => refused_in(&state, &org, &csrf, id, error, Sent::Contribution, pairs).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_reasons_read_as_sentences() {
        assert_eq!(reason("last activity 0 days ago"), "Last activity today");
        assert_eq!(
            reason("last activity 1 days ago"),
            "Last activity yesterday"
        );
        assert_eq!(
            reason("delivered against commitments: Acme 100%"),
            "Delivered against commitments: Acme 100%"
        );
    }

    #[test]
    fn fired_reasons_keep_names_as_written() {
        assert_eq!(
            fired_reason("globex delivered 20% of its commitment (the trigger is 50%)"),
            "globex delivered 20% of its commitment (the trigger is 50%)"
        );
        assert_eq!(
            fired_reason("the health score is 30 (the trigger is 40)"),
            "The health score is 30 (the trigger is 40)"
        );
    }

    #[test]
    fn figures_carry_their_unit() {
        assert_eq!(with_unit(30.0, "leads"), "30 leads");
        assert_eq!(with_unit(2.5, ""), "2.5");
    }
}
