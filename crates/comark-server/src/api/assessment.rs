//! Gate templates and the internal assessment.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use comark_app::assessment::{self, Overview, TemplateRow};
use comark_domain::assessment::{
    feeds_gate, questions_of, Answers, Feed, Person, Section, TemplateItem,
};
use comark_domain::partnership::Stage;
use comark_store::assessment::{InternalAssessment, StageTemplate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::ApiJson;
use crate::auth::ApiOrg;
use crate::error::{ApiError, Problem};
use crate::AppState;

type ApiResult<T> = Result<T, ApiError>;

/// A piece of evidence of a template.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateItemOut {
    /// What must be true.
    pub text: String,
    /// The part of the internal assessment that meets it: drivers, vision_values, strengths,
    /// weaknesses, people, team or complete; null when members meet it by hand.
    #[serde(default)]
    pub fed_by: Option<String>,
}

impl From<TemplateItem> for TemplateItemOut {
    fn from(item: TemplateItem) -> Self {
        TemplateItemOut {
            text: item.text,
            fed_by: item.fed_by.map(|f| f.as_str().to_owned()),
        }
    }
}

/// One stage's template.
#[derive(Serialize, ToSchema)]
pub struct StageTemplateOut {
    /// The stage: awareness, knowledge, internal_assessment, partner_selection,
    /// working_together, value_creation or staying_together.
    pub stage: String,
    /// Its name.
    pub label: String,
    /// Whether the organization saved its own evidence (false: comark's defaults apply).
    pub customized: bool,
    /// Who saved it, when customized.
    pub saved_by: Option<String>,
    /// When, when customized.
    pub saved_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether the internal assessment may feed this gate (the first three).
    pub fed_by_assessment: bool,
    /// The evidence new partnerships start with, in order.
    pub items: Vec<TemplateItemOut>,
}

impl From<StageTemplate> for StageTemplateOut {
    fn from(t: StageTemplate) -> Self {
        let (saved_by, saved_at) = t.saved.unzip();
        StageTemplateOut {
            stage: t.stage.as_str().to_owned(),
            label: t.stage.label().to_owned(),
            customized: saved_by.is_some(),
            saved_by,
            saved_at,
            fed_by_assessment: feeds_gate(t.stage),
            items: t.items.into_iter().map(Into::into).collect(),
        }
    }
}

/// A part of the internal assessment that can meet a gate item.
#[derive(Serialize, ToSchema)]
pub struct FeedOut {
    /// Its stable name.
    pub feed: String,
    /// Its name.
    pub label: String,
}

fn feeds() -> Vec<FeedOut> {
    Feed::ALL
        .into_iter()
        .map(|f| FeedOut {
            feed: f.as_str().to_owned(),
            label: f.label().to_owned(),
        })
        .collect()
}

/// The evidence each stage's gate starts with in the organization's new partnerships.
#[derive(Serialize, ToSchema)]
pub struct GateTemplatesOut {
    /// Every stage with a gate (all but exit), in lifecycle order.
    pub stages: Vec<StageTemplateOut>,
    /// The parts of the internal assessment an item may be fed by.
    pub feeds: Vec<FeedOut>,
}

fn templates_out(stages: Vec<StageTemplate>) -> GateTemplatesOut {
    GateTemplatesOut {
        stages: stages.into_iter().map(Into::into).collect(),
        feeds: feeds(),
    }
}

/// The gate templates: the evidence new partnerships start with, stage by stage.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/gate-templates", tag = "assessment", params(("org" = String, Path)),
    responses((status = 200, body = GateTemplatesOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_gate_templates(
    State(state): State<AppState>,
    org: ApiOrg,
) -> ApiResult<Json<GateTemplatesOut>> {
    let stages = assessment::templates(&state.app, &org.scope).await?;
    Ok(Json(templates_out(stages)))
}

/// Changes to gate templates.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GateTemplatesBody {
    /// Stage to its new evidence, in order; null resets the stage to comark's defaults.
    /// Stages not named keep theirs.
    #[schema(value_type = BTreeMap<String, Option<Vec<TemplateItemOut>>>)]
    pub stages: BTreeMap<String, Option<Vec<TemplateItemOut>>>,
}

/// Saves or resets stages' templates (owners, admins, partner managers). New partnerships
/// start with them; existing ones keep their gates. Errors name
/// `stages.<stage>.items.<n>.text` or `.fed_by`.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/gate-templates", tag = "assessment", params(("org" = String, Path)),
    request_body = GateTemplatesBody,
    responses((status = 200, body = GateTemplatesOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_gate_templates(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiJson(body): ApiJson<GateTemplatesBody>,
) -> ApiResult<Json<GateTemplatesOut>> {
    let changes = body
        .stages
        .into_iter()
        .map(|(stage, items)| {
            let rows = items.map(|items| {
                items
                    .into_iter()
                    .map(|i| TemplateRow {
                        text: i.text,
                        fed_by: i.fed_by,
                    })
                    .collect()
            });
            (stage, rows)
        })
        .collect();
    let stages =
        assessment::change_templates(&state.app, &org.scope, changes, &org.actor()).await?;
    Ok(Json(templates_out(stages)))
}

/// A choice of a question.
#[derive(Serialize, ToSchema)]
pub struct ChoiceOut {
    /// Its stable name.
    pub value: String,
    /// What people read.
    pub label: String,
    /// Whether it points at something to work on before partnering.
    pub concern: bool,
}

/// A question of the assessment.
#[derive(Serialize, ToSchema)]
pub struct QuestionOut {
    /// Its stable name, the key of its answer.
    pub key: String,
    /// The question.
    pub prompt: String,
    /// An example or hint (may be empty).
    pub hint: String,
    /// The answers to choose from (empty: free text). A choice may carry a note.
    pub choices: Vec<ChoiceOut>,
}

/// A section of the assessment.
#[derive(Serialize, ToSchema)]
pub struct SectionOut {
    /// drivers, vision_values, strengths, weaknesses, people or team.
    pub section: String,
    /// Its name.
    pub label: String,
    /// What it asks.
    pub intro: String,
    /// Its questions (the people section also lists people).
    pub questions: Vec<QuestionOut>,
}

fn sections() -> Vec<SectionOut> {
    Section::ALL
        .into_iter()
        .map(|s| SectionOut {
            section: s.as_str().to_owned(),
            label: s.label().to_owned(),
            intro: s.intro().to_owned(),
            questions: questions_of(s)
                .map(|q| QuestionOut {
                    key: q.key.to_owned(),
                    prompt: q.prompt.to_owned(),
                    hint: q.hint.to_owned(),
                    choices: q
                        .choices
                        .iter()
                        .map(|c| ChoiceOut {
                            value: c.value.to_owned(),
                            label: c.label.to_owned(),
                            concern: c.concern,
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

/// A person who would work on partnerships.
#[derive(Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PersonOut {
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: String,
    /// What they are good at, for partnering.
    pub skills: String,
}

/// One saved version of the internal assessment.
#[derive(Clone, Serialize, ToSchema)]
pub struct VersionOut {
    /// Its id.
    pub id: uuid::Uuid,
    /// Its number, from 1.
    pub version: i64,
    /// Question key to answer (free text, or a choice's stable name).
    pub answers: BTreeMap<String, String>,
    /// Question key to a note on the choice.
    pub notes: BTreeMap<String, String>,
    /// The people who would work on partnerships.
    pub people: Vec<PersonOut>,
    /// Whether every section is answered.
    pub complete: bool,
    /// The sections answered in full.
    pub sections_complete: Vec<String>,
    /// Section to what is still missing in it, in words.
    pub missing: BTreeMap<String, Vec<String>>,
    /// The team's collaborative maturity, 1 to 5, when answered.
    pub collaborative_maturity: Option<usize>,
    /// Question keys whose answer points at something to work on.
    pub concerns: Vec<String>,
    /// Who saved it.
    pub saved_by: String,
    /// When.
    pub saved_at: chrono::DateTime<chrono::Utc>,
}

impl From<InternalAssessment> for VersionOut {
    fn from(a: InternalAssessment) -> Self {
        let answers = &a.answers;
        VersionOut {
            id: a.id,
            version: a.version,
            complete: answers.complete(),
            sections_complete: Section::ALL
                .into_iter()
                .filter(|s| answers.section_complete(*s))
                .map(|s| s.as_str().to_owned())
                .collect(),
            missing: Section::ALL
                .into_iter()
                .filter(|s| !answers.section_complete(*s))
                .map(|s| {
                    let missing = answers.missing(s).into_iter().map(str::to_owned).collect();
                    (s.as_str().to_owned(), missing)
                })
                .collect(),
            collaborative_maturity: answers.maturity().map(|(n, _)| n),
            concerns: answers
                .concerns()
                .into_iter()
                .map(|(q, _)| q.key.to_owned())
                .collect(),
            answers: a.answers.answers,
            notes: a.answers.notes,
            people: a
                .answers
                .people
                .into_iter()
                .map(|p| PersonOut {
                    name: p.name,
                    role: p.role,
                    skills: p.skills,
                })
                .collect(),
            saved_by: a.saved_by,
            saved_at: a.saved_at,
        }
    }
}

/// A gate item the internal assessment feeds.
#[derive(Serialize, ToSchema)]
pub struct FedGateOut {
    /// The partnership's id.
    pub partnership: uuid::Uuid,
    /// Its name.
    pub partnership_name: String,
    /// The gate's stage.
    pub stage: String,
    /// The evidence.
    pub text: String,
    /// The part of the assessment that feeds it.
    pub fed_by: String,
    /// Who met it; null while open.
    pub met_by: Option<String>,
}

/// The internal assessment: its questions, every version saved and the gates it feeds.
#[derive(Serialize, ToSchema)]
pub struct InternalAssessmentOut {
    /// The sections and their questions, in order.
    pub sections: Vec<SectionOut>,
    /// The latest version; null before the first save.
    pub latest: Option<VersionOut>,
    /// Every version, newest first (the latest included).
    pub history: Vec<VersionOut>,
    /// The gate items it feeds in partnerships still in their first three stages.
    pub feeds: Vec<FedGateOut>,
}

fn stage_name(stage: Stage) -> String {
    stage.as_str().to_owned()
}

impl From<Overview> for InternalAssessmentOut {
    fn from(o: Overview) -> Self {
        let history: Vec<VersionOut> = o.history.into_iter().map(Into::into).collect();
        InternalAssessmentOut {
            sections: sections(),
            latest: history.first().cloned(),
            feeds: o
                .feeds
                .into_iter()
                .map(|f| FedGateOut {
                    partnership: f.partnership.0,
                    partnership_name: f.partnership_name,
                    stage: stage_name(f.stage),
                    text: f.text,
                    fed_by: f.fed_by.as_str().to_owned(),
                    met_by: f.met_by,
                })
                .collect(),
            history,
        }
    }
}

/// The internal assessment's questions, its latest version and history, and the gates it feeds.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/internal-assessment", tag = "assessment", params(("org" = String, Path)),
    responses((status = 200, body = InternalAssessmentOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_internal_assessment(
    State(state): State<AppState>,
    org: ApiOrg,
) -> ApiResult<Json<InternalAssessmentOut>> {
    let overview = assessment::overview(&state.app, &org.scope).await?;
    Ok(Json(overview.into()))
}

/// A new version of the internal assessment: it replaces the answers as a whole (send the
/// latest ones along to keep them). Partial answers are fine.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct InternalAssessmentBody {
    /// Question key to answer: free text, or the stable name of one of its choices.
    pub answers: BTreeMap<String, String>,
    /// Question key (of a question with choices) to a note.
    pub notes: BTreeMap<String, String>,
    /// The people who would work on partnerships.
    pub people: Vec<PersonOut>,
}

/// A gate item the save met.
#[derive(Serialize, ToSchema)]
pub struct MetOut {
    /// The partnership's id.
    pub partnership: uuid::Uuid,
    /// Its name.
    pub partnership_name: String,
    /// The gate's stage.
    pub stage: String,
    /// The evidence.
    pub text: String,
    /// The part of the assessment that met it.
    pub fed_by: String,
}

/// The version saved and the gate items it met.
#[derive(Serialize, ToSchema)]
pub struct SavedOut {
    /// The version saved.
    pub assessment: VersionOut,
    /// The gate items it met in your partnerships.
    pub evidence_met: Vec<MetOut>,
}

/// Saves a new version of the internal assessment (owners, admins, partner managers). The
/// sections it answers meet the gate items they feed in your partnerships still in their
/// first three stages. Errors name `answers.<key>`, `notes.<key>` or `people.<n>.name`.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/internal-assessment", tag = "assessment", params(("org" = String, Path)),
    request_body = InternalAssessmentBody,
    responses((status = 201, body = SavedOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn save_internal_assessment(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiJson(body): ApiJson<InternalAssessmentBody>,
) -> ApiResult<Response> {
    let raw = Answers {
        answers: body.answers,
        notes: body.notes,
        people: body
            .people
            .into_iter()
            .map(|p| Person {
                name: p.name,
                role: p.role,
                skills: p.skills,
            })
            .collect(),
    };
    let saved = assessment::answer(&state.app, &org.scope, raw, &org.actor()).await?;
    let out = SavedOut {
        assessment: saved.assessment.into(),
        evidence_met: saved
            .met
            .into_iter()
            .map(|m| MetOut {
                partnership: m.partnership.0,
                partnership_name: m.partnership_name,
                stage: stage_name(m.stage),
                text: m.text,
                fed_by: m.fed_by.as_str().to_owned(),
            })
            .collect(),
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}
