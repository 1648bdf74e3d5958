//! A partnership's exit: the strategy agreed up front with its disengagement triggers,
//! breach reports, running the exit, and the closing review once it ran.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use comark_app::exit::{self, ExitForm, ExitView};
use comark_domain::exit::{DataHandling, Trigger};
use maud::{html, Markup};

use super::{
    day, detail_url, managed, pairs, refused_in, sentence, text_area, text_of, time, values_of,
    Sections, Sent,
};
use crate::auth::WebOrg;
use crate::web::layout::csrf_field;
use crate::web::org::secure;
use crate::web::{redirect_with_flash, Csrf};
use crate::AppState;

/// The contribution trigger's percentage and the health trigger's score when none is agreed.
const DEFAULT_PERCENT: u8 = 50;
const DEFAULT_SCORE: u8 = 40;
const DEFAULT_NOTICE_DAYS: i64 = 30;

/// What happens to shared account data, in words.
fn handling_words(handling: DataHandling) -> &'static str {
    match handling {
        DataHandling::StopSharing => {
            "Every member stops sharing accounts with the others as soon as the partnership exits."
        }
        DataHandling::KeepSharing => {
            "Account sharing stays as it is (the members still work together elsewhere)."
        }
    }
}

/// What running the exit will do to sharing, per the strategy (none: sharing stops).
fn sharing_consequence(strategy: Option<DataHandling>) -> &'static str {
    match strategy {
        Some(DataHandling::StopSharing) => {
            "As the exit strategy says, account sharing between the members stops at once."
        }
        Some(DataHandling::KeepSharing) => {
            "As the exit strategy says, account sharing between the members stays as it is."
        }
        None => "No exit strategy is agreed, so account sharing between the members stops at once.",
    }
}

/// The closing review, prominent at the top of an exited partnership's page; while a notice
/// of exit runs, the notice.
pub(super) fn closing(view: &ExitView) -> Markup {
    html! {
        @if let Some(notice) = &view.notice {
            section.notice aria-labelledby="exit-notice-heading" {
                h2 #exit-notice-heading { "Notice of exit: the exit takes effect on " (time(notice.effective_at, day(notice.effective_at))) }
                p {
                    (notice.by) " gave notice on " (time(notice.given_at, day(notice.given_at)))
                    ", as the exit strategy agreed. Until then the partnership goes on; any member may withdraw the notice."
                }
                h3 { "Closing review" }
                blockquote.review { (notice.review) }
            }
        }
        @if let Some((review, at)) = &view.closing_review {
            section.exited aria-labelledby="exited" {
                h2 #exited { "Exited on " (time(*at, day(*at))) }
                p { "This partnership is kept as a read-only record." }
                h3 { "Closing review" }
                blockquote.review { (review) }
            }
        }
    }
}

/// The trigger kinds of the form, with whether `triggers` holds one and its number.
fn trigger_choices(triggers: &[Trigger]) -> (bool, Option<u8>, Option<u8>, bool) {
    let mut goal = false;
    let mut percent = None;
    let mut score = None;
    let mut breach = false;
    for trigger in triggers {
        match trigger {
            Trigger::GoalOffTrack => goal = true,
            Trigger::ContributionBelow { percent: p } => percent = Some(*p),
            Trigger::HealthBelow { score: s } => score = Some(*s),
            Trigger::Breach => breach = true,
        }
    }
    (goal, percent, score, breach)
}

/// The triggers a form's fields describe; an unreadable number becomes 0, which the use case
/// refuses.
fn triggers_of(pairs: &[(String, String)]) -> Vec<Trigger> {
    let figure = |name: &str| text_of(pairs, name).trim().parse::<u8>().unwrap_or(0);
    values_of(pairs, "triggers")
        .iter()
        .filter_map(|kind| Trigger::of_kind(kind, figure))
        .collect()
}

/// The exit strategy, and the forms to agree it, report a breach and run the exit.
pub(super) fn section(s: &Sections<'_>, view: &ExitView) -> Markup {
    let forms = s.forms;
    let strategy = view.strategy.as_ref();
    let (goal, percent, score, breach) =
        trigger_choices(strategy.map_or(&[][..], |s| s.triggers.as_slice()));
    let ticked_default: Vec<String> = [
        (goal, "goal_off_track"),
        (percent.is_some(), "contribution_below"),
        (score.is_some(), "health_below"),
        (breach, "breach"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| name.to_owned())
    .collect();
    let sent = Sent::Strategy;
    let ticked = forms.ticked(sent, "triggers", ticked_default);
    let is_ticked = |name: &str| ticked.iter().any(|t| t == name);
    let handling = forms.typed(
        sent,
        "data_handling",
        strategy
            .map_or(DataHandling::StopSharing, |s| s.data_handling)
            .as_str(),
    );
    let notice = forms.typed(
        sent,
        "notice_days",
        strategy
            .map_or(DEFAULT_NOTICE_DAYS, |s| s.notice_days)
            .to_string(),
    );
    let percent = forms.typed(
        sent,
        "percent",
        percent.unwrap_or(DEFAULT_PERCENT).to_string(),
    );
    let score = forms.typed(sent, "score", score.unwrap_or(DEFAULT_SCORE).to_string());
    let exited = view.closing_review.is_some();
    let notice_days = strategy.map_or(0, |s| s.notice_days);
    html! {
        section.exit aria-labelledby="exit" {
            h2 #exit { "Exit" }
            @if let Some(strategy) = strategy {
                dl.strategy {
                    dt { "Notice" }
                    dd { (strategy.notice_days) " " (super::plural(strategy.notice_days, "day", "days")) }
                    dt { "Shared account data" }
                    dd { (handling_words(strategy.data_handling)) }
                    dt { "Co-created assets" }
                    dd { @if strategy.assets.is_empty() { span.muted { "Not said" } } @else { (strategy.assets) } }
                    dt { "Shared leads" }
                    dd { @if strategy.leads.is_empty() { span.muted { "Not said" } } @else { (strategy.leads) } }
                    dt { "Disengagement triggers" }
                    dd {
                        @if strategy.triggers.is_empty() {
                            span.muted { "None" }
                        } @else {
                            ul.triggers { @for trigger in &strategy.triggers { li { (sentence(&trigger.describe())) } } }
                        }
                    }
                }
                p.muted { "Agreed by " (strategy.agreed_by) " on " (time(strategy.updated_at, day(strategy.updated_at))) "." }
            } @else {
                p.empty { "No exit strategy agreed yet." }
            }
            @if exited {
                p { a href="#exited" { "Read the closing review" } }
            }
            @if s.manage {
                details.form #agree-exit open[forms.sent(sent)] {
                    summary { @if strategy.is_some() { "Change the exit strategy" } @else { "Agree an exit strategy" } }
                    form.stack.wide method="post" action={ (s.url) "/exit-strategy" } novalidate {
                        (csrf_field(s.csrf))
                        div.field {
                            label for="exit-notice" { "Notice (days)" }
                            input #exit-notice type="number" name="notice_days" value=(notice) min="0" max="365" step="1"
                                aria-invalid=[forms.error_in(sent, "notice_days").map(|_| "true")];
                            @if let Some(message) = forms.error_in(sent, "notice_days") { p.error { (message) } }
                        }
                        fieldset {
                            legend { "Shared account data when it ends" }
                            label.check for="exit-stop" {
                                input #exit-stop type="radio" name="data_handling" value="stop_sharing" checked[handling == "stop_sharing"];
                                " Stop sharing accounts at once"
                            }
                            label.check for="exit-keep" {
                                input #exit-keep type="radio" name="data_handling" value="keep_sharing" checked[handling == "keep_sharing"];
                                " Keep sharing as it is"
                            }
                            @if let Some(message) = forms.error_in(sent, "data_handling") { p.error { (message) } }
                        }
                        (text_area("exit-assets", "Co-created assets (optional)", "assets", &forms.typed(sent, "assets", strategy.map_or("", |s| s.assets.as_str())), forms.error_in(sent, "assets")))
                        (text_area("exit-leads", "Shared leads (optional)", "leads", &forms.typed(sent, "leads", strategy.map_or("", |s| s.leads.as_str())), forms.error_in(sent, "leads")))
                        fieldset.triggers aria-describedby=[forms.error_in(sent, "triggers").map(|_| "exit-triggers-error")] {
                            legend { "Disengagement triggers: reconsider the partnership when" }
                            div.trigger {
                                label.check for="exit-goal" {
                                    input #exit-goal type="checkbox" name="triggers" value="goal_off_track" checked[is_ticked("goal_off_track")];
                                    " A shared goal is off track"
                                }
                            }
                            div.trigger {
                                label.check for="exit-contribution" {
                                    input #exit-contribution type="checkbox" name="triggers" value="contribution_below" checked[is_ticked("contribution_below")];
                                    " A member delivers less than"
                                }
                                input #exit-percent.figure type="number" name="percent" value=(percent) min="1" max="100" step="1"
                                    aria-label="Percent of its commitment";
                                " % of its commitment"
                            }
                            div.trigger {
                                label.check for="exit-health" {
                                    input #exit-health type="checkbox" name="triggers" value="health_below" checked[is_ticked("health_below")];
                                    " The health score falls below"
                                }
                                input #exit-score.figure type="number" name="score" value=(score) min="1" max="100" step="1"
                                    aria-label="Health score";
                            }
                            div.trigger {
                                label.check for="exit-breach" {
                                    input #exit-breach type="checkbox" name="triggers" value="breach" checked[is_ticked("breach")];
                                    " A breach of the rules of engagement is reported"
                                }
                            }
                            @if let Some(message) = forms.error_in(sent, "triggers") { p.error #exit-triggers-error { "Triggers: " (message) } }
                        }
                        div { button type="submit" { @if strategy.is_some() { "Change exit strategy" } @else { "Agree exit strategy" } } }
                    }
                }
                details.form #report-breach open[forms.sent(Sent::Breach)] {
                    summary { "Report a breach" }
                    form.stack method="post" action={ (s.url) "/breaches" } novalidate {
                        (csrf_field(s.csrf))
                        p.muted { "A breach of the rules of engagement is kept in the history"
                            @if breach { " and fires the agreed breach trigger" } "." }
                        (text_area("breach-description", "What happened", "description", &forms.typed(Sent::Breach, "description", ""), forms.error_in(Sent::Breach, "description")))
                        div { button.secondary type="submit" { "Report breach" } }
                    }
                }
                @if view.notice.is_some() {
                    form.stack method="post" action={ (s.url) "/exit/withdraw" } {
                        (csrf_field(s.csrf))
                        p { "The notice of exit runs. Withdraw it if the members decide to go on together." }
                        div { button.secondary type="submit" { "Withdraw the notice" } }
                    }
                } @else {
                details.form.danger #run-exit open[forms.sent(Sent::Exit)] {
                    summary { (exit_words(notice_days)) }
                    form.stack method="post" action={ (s.url) "/exit" } {
                        (csrf_field(s.csrf))
                        p {
                            @if notice_days > 0 {
                                "As the exit strategy agreed, the exit takes effect after " (notice_days) " "
                                (super::plural(notice_days, "day", "days")) " of notice; until then the partnership goes on and the notice can be withdrawn. Then "
                            } @else {
                                "At once, "
                            }
                            "the partnership moves to the Exit stage and is kept as a read-only record; every member is told. "
                            (sharing_consequence(strategy.map(|s| s.data_handling)))
                        }
                        div.field {
                            label for="exit-review" { "Closing review" }
                            textarea #exit-review name="review" rows="4" required
                                aria-invalid=[forms.error_in(Sent::Exit, "review").map(|_| "true")]
                                aria-describedby=[forms.error_in(Sent::Exit, "review").map(|_| "exit-review-error")] {
                                (forms.typed(Sent::Exit, "review", ""))
                            }
                            @if let Some(message) = forms.error_in(Sent::Exit, "review") { p.error #exit-review-error { (message) } }
                        }
                        div { button.danger type="submit" { (exit_words(notice_days)) } }
                    }
                }
                }
            }
        }
    }
}

pub(super) async fn agree(
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
    let form = ExitForm {
        // Not a whole number: out of range, which the use case refuses.
        notice_days: text_of(&pairs, "notice_days").trim().parse().unwrap_or(-1),
        data_handling: text_of(&pairs, "data_handling"),
        assets: text_of(&pairs, "assets"),
        leads: text_of(&pairs, "leads"),
        triggers: triggers_of(&pairs),
    };
    match exit::agree(&state.app, &org.scope, id, form, &org.actor()).await {
        Ok(_) => redirect_with_flash(
            &detail_url(&org, id),
            "Exit strategy agreed.",
            secure(&state),
        ),
        Err(error) => refused_in(&state, &org, &csrf, id, error, Sent::Strategy, pairs).await,
    }
}

pub(super) async fn report_breach(
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
    let description = text_of(&pairs, "description");
    match exit::report_breach(&state.app, &org.scope, id, &description, &org.actor()).await {
        Ok(_) => redirect_with_flash(&detail_url(&org, id), "Breach reported.", secure(&state)),
        Err(error) => refused_in(&state, &org, &csrf, id, error, Sent::Breach, pairs).await,
    }
}

pub(super) async fn run(
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
    let review = text_of(&pairs, "review");
    match exit::exit(&state.app, &org.scope, id, &review, &org.actor()).await {
        Ok(view) => {
            let said = match &view.notice {
                Some(notice) => format!(
                    "Notice of exit given; the exit takes effect on {}.",
                    notice.effective_at.format("%Y-%m-%d")
                ),
                None => "The partnership has exited.".to_owned(),
            };
            redirect_with_flash(&detail_url(&org, id), &said, secure(&state))
        }
        Err(error) => refused_in(&state, &org, &csrf, id, error, Sent::Exit, pairs).await,
    }
}

/// What the exit form's button does: give notice, or exit at once.
fn exit_words(notice_days: i64) -> &'static str {
    if notice_days > 0 {
        "Give notice of exit"
    } else {
        "Run the exit"
    }
}

pub(super) async fn withdraw(
    State(state): State<AppState>,
    org: WebOrg,
    Csrf(csrf): Csrf,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let id = match managed(&org, &id) {
        Ok(id) => id,
        Err(refusal) => return refusal,
    };
    match exit::withdraw_notice(&state.app, &org.scope, id, &org.actor()).await {
        Ok(_) => redirect_with_flash(
            &detail_url(&org, id),
            "Notice of exit withdrawn; the partnership goes on.",
            secure(&state),
        ),
        Err(error) => refused_in(&state, &org, &csrf, id, error, Sent::Exit, Vec::new()).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_ticked_triggers_carry_their_figures() {
        let pairs = form(&[
            ("triggers", "contribution_below"),
            ("triggers", "breach"),
            ("percent", "35"),
            ("score", "40"),
        ]);
        assert_eq!(
            triggers_of(&pairs),
            vec![Trigger::ContributionBelow { percent: 35 }, Trigger::Breach]
        );
        let unreadable = form(&[("triggers", "health_below"), ("score", "lots")]);
        assert_eq!(
            triggers_of(&unreadable),
            vec![Trigger::HealthBelow { score: 0 }]
        );
        assert!(!Trigger::HealthBelow { score: 0 }.is_valid());
    }

    #[test]
    fn an_agreed_strategy_ticks_its_triggers() {
        let triggers = [Trigger::GoalOffTrack, Trigger::HealthBelow { score: 30 }];
        assert_eq!(trigger_choices(&triggers), (true, None, Some(30), false));
    }
}
