//! The exit strategy agreed up front, the disengagement triggers comark watches (warning
//! every member when one fires), breach reports, and running the exit.

use comark_domain::exit::{fired, DataHandling, Situation, Trigger};
use comark_domain::partnership::Stage;
use comark_domain::{Action, PartnershipId, ValidationErrors};
use comark_store::exit::{Alert, ExitNotice, ExitStrategy};
use comark_store::{Actor, OrgScope};
use serde::{Deserialize, Serialize};

use crate::orgs::require;
use crate::partnerships::notify_members;
use crate::{App, AppError, Result};

/// An exit strategy as a form or an API body gives it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExitForm {
    /// Days of notice.
    pub notice_days: i64,
    /// stop_sharing or keep_sharing.
    pub data_handling: String,
    /// What happens to co-created assets.
    pub assets: String,
    /// What happens to shared leads.
    pub leads: String,
    /// The disengagement triggers.
    pub triggers: Vec<Trigger>,
}

/// Everything about a partnership's exit: the strategy, the triggers holding now, the
/// closing review once it exited.
#[derive(Clone, Debug, Serialize)]
pub struct ExitView {
    /// The strategy, once agreed.
    pub strategy: Option<ExitStrategy>,
    /// Triggers that fired and still hold.
    pub alerts: Vec<Alert>,
    /// The closing review and when the partnership exited.
    pub closing_review: Option<(String, chrono::DateTime<chrono::Utc>)>,
    /// The notice of exit, while it runs.
    pub notice: Option<ExitNotice>,
}

/// The partnership's exit strategy, alerts and closing review.
pub async fn view(app: &App, scope: &OrgScope, id: PartnershipId) -> Result<ExitView> {
    require(scope, Action::View)?;
    let store = app.store.org(scope);
    Ok(ExitView {
        strategy: store.exit_strategy(id).await?,
        alerts: store.alerts(id).await?,
        closing_review: store.closing_review(id).await?,
        notice: store.exit_notice(id).await?,
    })
}

/// Refuses changes to a partnership that exited.
pub(crate) async fn ensure_active(app: &App, scope: &OrgScope, id: PartnershipId) -> Result<()> {
    if app
        .store
        .org(scope)
        .partnership(id)
        .await?
        .partnership
        .stage
        == Stage::Exit
    {
        return Err(AppError::Rule(
            "the partnership has exited; it is kept as a record".into(),
        ));
    }
    Ok(())
}

/// Agrees (or changes) the exit strategy, then checks its triggers.
pub async fn agree(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    form: ExitForm,
    actor: &Actor,
) -> Result<ExitView> {
    require(scope, Action::ManagePartnerships)?;
    ensure_active(app, scope, id).await?;
    let mut errors = ValidationErrors::default();
    if !(0..=365).contains(&form.notice_days) {
        errors.add("notice_days", "must be between 0 and 365");
    }
    let data = DataHandling::parse(&form.data_handling);
    if data.is_none() {
        errors.add("data_handling", "must be stop_sharing or keep_sharing");
    }
    for (field, text) in [("assets", &form.assets), ("leads", &form.leads)] {
        if text.trim().chars().count() > 2000 {
            errors.add(field, "must be at most 2000 characters");
        }
    }
    if form.triggers.len() > 20 || form.triggers.iter().any(|t| !t.is_valid()) {
        errors.add(
            "triggers",
            "at most 20, with percentages and scores from 1 to 100",
        );
    }
    errors.into_result()?;
    let data = data.ok_or_else(|| AppError::Internal("checked above".into()))?;
    let mut triggers = form.triggers.clone();
    triggers.dedup();
    app.store
        .org(scope)
        .save_exit_strategy(
            id,
            form.notice_days,
            data,
            form.assets.trim(),
            form.leads.trim(),
            &triggers,
            actor,
        )
        .await?;
    check_triggers(app, scope, id, actor).await?;
    view(app, scope, id).await
}

/// Reports a breach of the rules of engagement; a `breach` trigger fires on it.
pub async fn report_breach(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    description: &str,
    actor: &Actor,
) -> Result<ExitView> {
    require(scope, Action::ManagePartnerships)?;
    ensure_active(app, scope, id).await?;
    let description = description.trim();
    if description.is_empty() || description.chars().count() > 1000 {
        return Err(ValidationErrors::single(
            "description",
            "must be between 1 and 1000 characters",
        )
        .into());
    }
    app.store
        .org(scope)
        .report_breach(id, description, actor)
        .await?;
    check_triggers(app, scope, id, actor).await?;
    view(app, scope, id).await
}

/// Checks the agreed triggers against the partnership's situation now; each trigger that
/// newly fires is recorded and every member's managers are warned by e-mail. Returns the
/// reasons of those that newly fired.
pub async fn check_triggers(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    actor: &Actor,
) -> Result<Vec<String>> {
    let store = app.store.org(scope);
    let Some(strategy) = store.exit_strategy(id).await? else {
        return Ok(Vec::new());
    };
    let performance = store.performance(id).await?;
    let situation = Situation {
        goals: performance
            .goals
            .iter()
            .map(|g| (g.metric.clone(), g.status))
            .collect(),
        delivered: performance
            .sides
            .iter()
            .filter_map(|s| s.delivered_share.map(|share| (s.name.clone(), share)))
            .collect(),
        health: (!performance.health.reasons.is_empty()).then_some(performance.health.score),
        breaches: store.breaches(id).await?,
    };
    let holding: Vec<(String, String)> = fired(&strategy.triggers, &situation)
        .into_iter()
        .map(|(trigger, reason)| (trigger.key(), reason))
        .collect();
    let fresh = store.sync_alerts(id, &holding, actor).await?;
    let name = store.partnership(id).await?.partnership.name;
    for (_, reason) in &fresh {
        notify_members(app, scope, id, true, |_| {
            (
                format!("Exit trigger fired: \"{name}\""),
                format!(
                    "A disengagement trigger agreed for the partnership \"{name}\" fired: {reason}.\n\n\
                     Review it with your partner; the agreed exit strategy says what happens next."
                ),
            )
        })
        .await?;
    }
    Ok(fresh.into_iter().map(|(_, reason)| reason).collect())
}

/// Runs the exit with the closing review. With a notice period agreed, this gives notice:
/// every member is told, and the exit takes effect when the notice has run (comark's watcher
/// completes it). Without one, the exit takes effect now.
pub async fn exit(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    review: &str,
    actor: &Actor,
) -> Result<ExitView> {
    require(scope, Action::ManagePartnerships)?;
    let review = review.trim();
    if review.is_empty() || review.chars().count() > 5000 {
        return Err(ValidationErrors::single(
            "review",
            "write a closing review of 1 to 5000 characters",
        )
        .into());
    }
    let store = app.store.org(scope);
    let notice_days = store.exit_strategy(id).await?.map_or(0, |s| s.notice_days);
    if notice_days <= 0 {
        return complete_exit(app, scope, id, review, actor).await;
    }
    let effective_at = comark_store::now() + chrono::Duration::days(notice_days);
    store
        .give_exit_notice(id, review, effective_at, actor)
        .await?;
    let name = store.partnership(id).await?.partnership.name;
    let us = scope.org().name.clone();
    let on = effective_at.format("%Y-%m-%d");
    notify_members(app, scope, id, false, |_| {
        (
            format!("Notice of exit: \"{name}\""),
            format!(
                "{} ({us}) gave notice of exit from the partnership \"{name}\". As agreed in the exit \
                 strategy, the exit takes effect after {notice_days} days, on {on}; until then the \
                 partnership goes on.\n\nClosing review: {review}",
                actor.label
            ),
        )
    })
    .await?;
    view(app, scope, id).await
}

/// Withdraws a running notice of exit.
pub async fn withdraw_notice(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    actor: &Actor,
) -> Result<ExitView> {
    require(scope, Action::ManagePartnerships)?;
    let store = app.store.org(scope);
    store.withdraw_exit_notice(id, actor).await?;
    let name = store.partnership(id).await?.partnership.name;
    let us = scope.org().name.clone();
    notify_members(app, scope, id, false, |_| {
        (
            format!("Notice of exit withdrawn: \"{name}\""),
            format!(
                "{} ({us}) withdrew the notice of exit from the partnership \"{name}\"; it goes on.",
                actor.label
            ),
        )
    })
    .await?;
    view(app, scope, id).await
}

/// The exit taking effect: the partnership moves to the exit stage with the closing review,
/// shared data is handled as the strategy says (no strategy: sharing stops), and every
/// member is told.
async fn complete_exit(
    app: &App,
    scope: &OrgScope,
    id: PartnershipId,
    review: &str,
    actor: &Actor,
) -> Result<ExitView> {
    let store = app.store.org(scope);
    let stop_sharing = store
        .exit_strategy(id)
        .await?
        .is_none_or(|s| s.data_handling == DataHandling::StopSharing);
    store
        .exit_partnership(id, review, stop_sharing, actor)
        .await?;
    let name = store.partnership(id).await?.partnership.name;
    let us = scope.org().name.clone();
    notify_members(app, scope, id, false, |_| {
        (
            format!("\"{name}\" has exited"),
            format!(
                "The exit of the partnership \"{name}\" took effect ({} for {us}).{}\n\nClosing review: {review}",
                actor.label,
                if stop_sharing {
                    " Account sharing between the members has stopped, as agreed."
                } else {
                    ""
                }
            ),
        )
    })
    .await?;
    view(app, scope, id).await
}

/// The job kind of comark's watcher over partnerships.
pub const WATCH_JOB: &str = "partnerships.watch";
/// How often the watcher looks again.
pub const WATCH_INTERVAL: chrono::Duration = chrono::Duration::hours(1);

/// What one round of the watcher did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Watched {
    /// Exits that took effect because their notice ran out.
    pub exits: usize,
    /// Triggers that newly fired.
    pub fired: usize,
}

/// One round of the watcher at `at`: completes the exits whose notice ran out, and checks
/// every agreed exit strategy's triggers, since goals fall behind as time passes even when
/// no figure changes.
pub async fn watch(app: &App, at: chrono::DateTime<chrono::Utc>) -> Result<Watched> {
    let mut watched = Watched::default();
    let system = Actor::system();
    for (id, giver) in app.store.due_exits(at).await? {
        let Some(scope) = app.store.job_scope(giver).await? else {
            continue;
        };
        let review = app
            .store
            .org(&scope)
            .exit_notice(id)
            .await?
            .map(|n| n.review)
            .unwrap_or_default();
        complete_exit(app, &scope, id, &review, &system).await?;
        watched.exits += 1;
    }
    for (id, starter) in app.store.watched_partnerships().await? {
        let Some(scope) = app.store.job_scope(starter).await? else {
            continue;
        };
        watched.fired += check_triggers(app, &scope, id, &system).await?.len();
    }
    Ok(watched)
}

/// Queues the watcher's round at `at` unless more than `running` rounds are queued already
/// (a round being run still counts as queued until it is done).
pub async fn schedule_watch(
    app: &App,
    at: chrono::DateTime<chrono::Utc>,
    running: usize,
) -> Result<()> {
    if app.store.pending_jobs(WATCH_JOB).await?.len() <= running {
        app.store
            .enqueue_at(
                comark_store::NewJob {
                    kind: WATCH_JOB,
                    org_id: None,
                    payload: serde_json::json!({}),
                    max_attempts: 3,
                },
                at,
            )
            .await?;
    }
    Ok(())
}
