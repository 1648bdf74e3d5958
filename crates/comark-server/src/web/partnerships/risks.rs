//! A partnership's risk register: the risks, worst first and closed ones last, the common
//! co-marketing risks not yet in it, and the forms to add and close risks.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use comark_app::partnerships::{self, RiskForm};
use comark_domain::partnership::{RiskLevel, Stage};
use comark_domain::{Action, PartnershipId, RiskId};
use comark_store::partnerships::Risk;
use maud::{html, Markup};

use super::{
    day, detail_url, forbidden, input, managed, pairs, refused_in, sentence, text_area, text_of,
    Sections, Sent,
};
use crate::auth::WebOrg;
use crate::web::layout::{csrf_field, error_page, not_found_page};
use crate::web::org::secure;
use crate::web::{redirect_with_flash, Csrf};
use crate::AppState;

fn level_select(id: &str, label: &str, name: &str, chosen: &str, error: Option<&str>) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(name) aria-invalid=[error.map(|_| "true")] {
                @for level in RiskLevel::ALL {
                    option value=(level.as_str()) selected[level.as_str() == chosen] { (sentence(level.as_str())) }
                }
            }
            @if let Some(message) = error { p.error { (message) } }
        }
    }
}

/// One row of the register.
fn row(s: &Sections<'_>, risk: &Risk) -> Markup {
    let closed = risk.closed_at.is_some();
    let due = !closed && risk.review_on.is_some_and(|on| on <= s.today);
    html! {
        tr class=[closed.then_some("closed")] {
            td { (risk.title) }
            td { (sentence(risk.likelihood.as_str())) }
            td { (sentence(risk.impact.as_str())) }
            td.number { span.score title="Likelihood × impact, 1 to 9" { (risk.score) } }
            td {
                (s.member(risk.owner_org))
                @if !risk.owner.is_empty() { br; span.muted { (risk.owner) } }
            }
            td.mitigation { (risk.mitigation) }
            td {
                @if let Some(on) = risk.review_on {
                    span class=[due.then_some("due")] { (on) @if due { " (due)" } }
                } @else {
                    span.muted { "—" }
                }
            }
            td {
                @if let Some(at) = risk.closed_at {
                    "Closed on " (day(at))
                } @else if s.manage {
                    form.inline method="post" action={ (s.url) "/risks/" (risk.id) "/close" } {
                        (csrf_field(s.csrf))
                        button.small.secondary type="submit" aria-label={ "Close “" (risk.title) "”" } { "Close" }
                    }
                } @else {
                    "Open"
                }
            }
        }
    }
}

/// The register, the suggested risks and the form to add one.
pub(super) fn register(s: &Sections<'_>) -> Markup {
    let forms = s.forms;
    let sent = Sent::Risk;
    let risks = &s.detail.risks;
    let suggested = partnerships::suggested_risks(s.detail);
    html! {
        section.risks aria-labelledby="risks" {
            h2 #risks { "Risks" }
            @if risks.is_empty() {
                p.empty { "The risk register is empty." }
            } @else {
                div.table-scroll {
                    table.risks {
                        caption { "The risk register: open risks worst first, closed ones last" }
                        thead { tr {
                            th scope="col" { "Risk" } th scope="col" { "Likelihood" } th scope="col" { "Impact" }
                            th.number scope="col" { "Score" } th scope="col" { "Owner" } th scope="col" { "Mitigation" }
                            th scope="col" { "Review on" } th scope="col" { span.sr-only { "State" } }
                        } }
                        tbody {
                            @for risk in risks { (row(s, risk)) }
                        }
                    }
                }
            }
            @if s.manage {
                @if !suggested.is_empty() {
                    h3 #suggested-risks { "Common risks not in the register yet" }
                    ul.suggested aria-labelledby="suggested-risks" {
                        @for (title, mitigation) in &suggested {
                            li {
                                div {
                                    strong { (title) }
                                    p.muted { (mitigation) }
                                }
                                form.inline method="post" action={ (s.url) "/risks" } {
                                    (csrf_field(s.csrf))
                                    input type="hidden" name="title" value=(title);
                                    input type="hidden" name="likelihood" value="medium";
                                    input type="hidden" name="impact" value="medium";
                                    input type="hidden" name="mitigation" value=(mitigation);
                                    button.small.secondary type="submit" aria-label={ "Add “" (title) "”" } { "Add" }
                                }
                            }
                        }
                    }
                }
                details.form #add-risk open[forms.sent(sent)] {
                    summary { "Add a risk" }
                    form.stack method="post" action={ (s.url) "/risks" } novalidate {
                        (csrf_field(s.csrf))
                        (input("risk-title", "What could go wrong", "title", "text", &forms.typed(sent, "title", ""), forms.error_in(sent, "title")))
                        div.pair {
                            (level_select("risk-likelihood", "Likelihood", "likelihood", &forms.typed(sent, "likelihood", "medium"), forms.error_in(sent, "likelihood")))
                            (level_select("risk-impact", "Impact", "impact", &forms.typed(sent, "impact", "medium"), forms.error_in(sent, "impact")))
                        }
                        (s.members_select("risk-owner-org", "Watched by", &forms.typed(sent, "owner_org", s.our_handle()), forms.error_in(sent, "owner_org")))
                        (input("risk-owner", "Owner (a person, optional)", "owner", "text", &forms.typed(sent, "owner", ""), forms.error_in(sent, "owner")))
                        (text_area("risk-mitigation", "Mitigation (optional)", "mitigation", &forms.typed(sent, "mitigation", ""), forms.error_in(sent, "mitigation")))
                        (input("risk-review", "Review on (optional)", "review_on", "date", &forms.typed(sent, "review_on", ""), forms.error_in(sent, "review_on")))
                        div { button type="submit" { "Add risk" } }
                    }
                }
            }
        }
    }
}

pub(super) async fn add(
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
    let form = RiskForm {
        title: text_of(&pairs, "title"),
        likelihood: text_of(&pairs, "likelihood"),
        impact: text_of(&pairs, "impact"),
        owner_org: Some(text_of(&pairs, "owner_org")),
        owner: text_of(&pairs, "owner"),
        mitigation: text_of(&pairs, "mitigation"),
        review_on: Some(text_of(&pairs, "review_on")),
        closed: false,
    };
    match partnerships::save_risk(&state.app, &org.scope, id, None, form, &org.actor()).await {
        Ok(_) => redirect_with_flash(&detail_url(&org, id), "Risk added.", secure(&state)),
        Err(error) => refused_in(&state, &org, &csrf, id, error, Sent::Risk, pairs).await,
    }
}

/// Closes an open risk, keeping what it says; a closed one stays as it is.
pub(super) async fn close(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id, risk)): Path<(String, String, String)>,
) -> Response {
    let (Ok(id), Ok(risk_id)) = (id.parse::<PartnershipId>(), risk.parse::<RiskId>()) else {
        return not_found_page();
    };
    if !org.scope.can(Action::ManagePartnerships) {
        return forbidden();
    }
    let detail = match partnerships::get(&state.app, &org.scope, id).await {
        Ok(detail) => detail,
        Err(error) => return error_page(error),
    };
    let Some(risk) = detail.risks.iter().find(|r| r.id == risk_id) else {
        return not_found_page();
    };
    // Closing a closed risk changes nothing; once the partnership exited, the use case
    // refuses every change, this one too.
    if risk.closed_at.is_some() && detail.partnership.stage != Stage::Exit {
        return redirect_with_flash(
            &detail_url(&org, id),
            "That risk was already closed.",
            secure(&state),
        );
    }
    let form = RiskForm {
        title: risk.title.clone(),
        likelihood: risk.likelihood.as_str().to_owned(),
        impact: risk.impact.as_str().to_owned(),
        owner_org: detail
            .partnership
            .members
            .iter()
            .find(|m| m.id == risk.owner_org)
            .map(|m| m.handle.clone()),
        owner: risk.owner.clone(),
        mitigation: risk.mitigation.clone(),
        review_on: risk.review_on.map(|on| on.to_string()),
        closed: true,
    };
    match partnerships::save_risk(
        &state.app,
        &org.scope,
        id,
        Some(risk_id),
        form,
        &org.actor(),
    )
    .await
    {
        Ok(_) => redirect_with_flash(&detail_url(&org, id), "Risk closed.", secure(&state)),
        Err(error) => refused_in(&state, &org, &csrf, id, error, Sent::CloseRisk, Vec::new()).await,
    }
}
