//! Gate templates and the internal assessment: the evidence an organization's new
//! partnerships start with at each gate, and the ISO 44001 internal assessment it answers
//! over time, which meets the evidence it feeds at the first three gates.

use comark_domain::assessment::{
    feeds_gate, parse_template, template_editable, Answers, Feed, TemplateItem,
};
use comark_domain::partnership::Stage;
use comark_domain::{Action, PartnershipId, ValidationErrors};
use comark_store::assessment::{FedEvidence, InternalAssessment, StageTemplate};
use comark_store::{Actor, OrgScope};
use serde::{Deserialize, Serialize};

use crate::orgs::require;
use crate::{App, Result};

/// The template of every stage with a gate to edit (all but exit), saved or default.
pub async fn templates(app: &App, scope: &OrgScope) -> Result<Vec<StageTemplate>> {
    require(scope, Action::View)?;
    Ok(app.store.org(scope).gate_templates().await?)
}

/// One piece of evidence of a template as a form, an API body or the CLI gives it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TemplateRow {
    /// What must be true.
    pub text: String,
    /// The part of the internal assessment that meets it (drivers, vision_values,
    /// strengths, weaknesses, people, team or complete), if any.
    pub fed_by: Option<String>,
}

/// Reads the changes, each error under `prefix` plus the stage's name (when `prefix` is
/// given) so one body can change several stages.
fn parse_changes(
    changes: Vec<(String, Option<Vec<TemplateRow>>)>,
    prefix: Option<&str>,
) -> Result<Vec<(Stage, Option<Vec<TemplateItem>>)>> {
    let mut errors = ValidationErrors::default();
    let mut parsed = Vec::new();
    for (name, rows) in changes {
        let field = |inner: &str| match prefix {
            Some(prefix) => format!("{prefix}.{name}.{inner}"),
            None => inner.to_owned(),
        };
        let stage = Stage::parse(&name).filter(|s| template_editable(*s));
        let Some(stage) = stage else {
            let at = match prefix {
                Some(prefix) => format!("{prefix}.{name}"),
                None => "stage".to_owned(),
            };
            errors.add(at, "is not a stage with a gate to edit");
            continue;
        };
        match rows {
            None => parsed.push((stage, None)),
            Some(rows) => {
                let rows: Vec<(String, Option<String>)> =
                    rows.into_iter().map(|r| (r.text, r.fed_by)).collect();
                match parse_template(stage, &rows) {
                    Ok(items) => parsed.push((stage, Some(items))),
                    Err(refused) => {
                        for e in refused.0 {
                            errors.add(field(&e.field), e.message);
                        }
                    }
                }
            }
        }
    }
    if parsed.is_empty() && errors.0.is_empty() {
        errors.add(prefix.unwrap_or("stage"), "name at least one stage");
    }
    errors.into_result()?;
    Ok(parsed)
}

/// Changes several stages' templates at once: `Some(rows)` saves a stage's evidence,
/// `None` resets it to the defaults. Errors name `stages.<stage>.items.<n>.text`.
pub async fn change_templates(
    app: &App,
    scope: &OrgScope,
    changes: Vec<(String, Option<Vec<TemplateRow>>)>,
    actor: &Actor,
) -> Result<Vec<StageTemplate>> {
    require(scope, Action::ManagePartnerships)?;
    let parsed = parse_changes(changes, Some("stages"))?;
    let store = app.store.org(scope);
    store.change_gate_templates(&parsed, actor).await?;
    Ok(store.gate_templates().await?)
}

/// Saves one stage's template. Errors name `stage` and `items.<n>.text`/`items.<n>.fed_by`.
pub async fn save_template(
    app: &App,
    scope: &OrgScope,
    stage: &str,
    rows: Vec<TemplateRow>,
    actor: &Actor,
) -> Result<Vec<StageTemplate>> {
    require(scope, Action::ManagePartnerships)?;
    let parsed = parse_changes(vec![(stage.to_owned(), Some(rows))], None)?;
    let store = app.store.org(scope);
    store.change_gate_templates(&parsed, actor).await?;
    Ok(store.gate_templates().await?)
}

/// Resets one stage's template to comark's defaults.
pub async fn reset_template(
    app: &App,
    scope: &OrgScope,
    stage: &str,
    actor: &Actor,
) -> Result<Vec<StageTemplate>> {
    require(scope, Action::ManagePartnerships)?;
    let parsed = parse_changes(vec![(stage.to_owned(), None)], None)?;
    let store = app.store.org(scope);
    store.change_gate_templates(&parsed, actor).await?;
    Ok(store.gate_templates().await?)
}

/// A gate item the internal assessment feeds, in a partnership still at its groundwork.
#[derive(Clone, Debug, Serialize)]
pub struct FedGate {
    /// The partnership.
    pub partnership: PartnershipId,
    /// Its name.
    pub partnership_name: String,
    /// The gate's stage.
    pub stage: Stage,
    /// The evidence.
    pub text: String,
    /// The part of the assessment that feeds it.
    pub fed_by: Feed,
    /// Who met it, if it is met.
    pub met_by: Option<String>,
}

/// What the internal assessment's page and endpoint show.
#[derive(Clone, Debug, Serialize)]
pub struct Overview {
    /// Every version saved, newest first (the first is the current one).
    pub history: Vec<InternalAssessment>,
    /// The gate items the assessment feeds in the organization's partnerships still in
    /// their first three stages, at their current gate or one ahead.
    pub feeds: Vec<FedGate>,
}

/// The versions of the internal assessment and the gate items it feeds.
pub async fn overview(app: &App, scope: &OrgScope) -> Result<Overview> {
    require(scope, Action::View)?;
    let store = app.store.org(scope);
    let history = store.internal_assessments(100).await?;
    let mut feeds = Vec::new();
    for partnership in store.partnerships().await? {
        if !feeds_gate(partnership.stage) {
            continue;
        }
        let detail = store.partnership(partnership.id).await?;
        for gate in detail.gates {
            let Some(feed) = gate.fed_by else { continue };
            if gate.stage < partnership.stage || !feeds_gate(gate.stage) {
                continue;
            }
            feeds.push(FedGate {
                partnership: partnership.id,
                partnership_name: partnership.name.clone(),
                stage: gate.stage,
                text: gate.text,
                fed_by: feed,
                met_by: gate.met.map(|(by, _)| by),
            });
        }
    }
    Ok(Overview { history, feeds })
}

/// A saved version and the gate items it met.
#[derive(Clone, Debug, Serialize)]
pub struct Saved {
    /// The version saved.
    pub assessment: InternalAssessment,
    /// The gate items it met, in the organization's partnerships.
    pub met: Vec<FedEvidence>,
}

/// Saves a new version of the internal assessment (owners, admins, partner managers). It may
/// be partial; each section answered meets the gate items it feeds.
pub async fn answer(app: &App, scope: &OrgScope, raw: Answers, actor: &Actor) -> Result<Saved> {
    require(scope, Action::ManagePartnerships)?;
    let answers = Answers::parse(raw)?;
    let (assessment, met) = app
        .store
        .org(scope)
        .save_internal_assessment(&answers, actor)
        .await?;
    Ok(Saved { assessment, met })
}
