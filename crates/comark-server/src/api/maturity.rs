//! The ecosystem co-marketing maturity assessment.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use comark_app::maturity::{self, AssessmentForm};
use comark_domain::maturity::{average, Dimension, Level};
use comark_store::maturity::Assessment;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::ApiJson;
use crate::auth::ApiOrg;
use crate::error::{ApiError, Problem};
use crate::AppState;

/// One cell of the matrix.
#[derive(Serialize, ToSchema)]
pub struct CellOut {
    /// one_off, coordinated or ecosystem.
    pub level: String,
    /// The level's name.
    pub label: String,
    /// What an organization at this level observes.
    pub criteria: String,
}

/// One dimension of the matrix.
#[derive(Serialize, ToSchema)]
pub struct DimensionOut {
    /// strategy_icp, value_proposition, programs_plays, journeys_handoffs, data_measurement or governance_rhythm.
    pub dimension: String,
    /// Its name.
    pub label: String,
    /// Its three levels, lowest first.
    pub levels: Vec<CellOut>,
}

/// An answered assessment with its next steps.
#[derive(Serialize, ToSchema)]
pub struct AssessmentOut {
    /// Its id.
    pub id: uuid::Uuid,
    /// Dimension to level.
    pub levels: BTreeMap<String, String>,
    /// Dimension to note.
    pub notes: BTreeMap<String, String>,
    /// The average level, 1 to 3.
    pub average: f64,
    /// Dimension to the next step from its level (absent at the top level).
    pub next_steps: BTreeMap<String, String>,
    /// Who answered.
    pub taken_by: String,
    /// When.
    pub taken_at: chrono::DateTime<chrono::Utc>,
}

impl From<Assessment> for AssessmentOut {
    fn from(a: Assessment) -> Self {
        AssessmentOut {
            id: a.id,
            average: average(&a.levels).unwrap_or(0.0),
            next_steps: a
                .levels
                .iter()
                .filter_map(|(d, l)| {
                    d.next_step(*l)
                        .map(|s| (d.as_str().to_owned(), s.to_owned()))
                })
                .collect(),
            levels: a
                .levels
                .iter()
                .map(|(d, l)| (d.as_str().to_owned(), l.as_str().to_owned()))
                .collect(),
            notes: a
                .notes
                .iter()
                .map(|(d, n)| (d.as_str().to_owned(), n.clone()))
                .collect(),
            taken_by: a.taken_by,
            taken_at: a.taken_at,
        }
    }
}

/// A level suggested from what comark holds.
#[derive(Serialize, ToSchema)]
pub struct SuggestionOut {
    /// The dimension.
    pub dimension: String,
    /// The level the evidence supports.
    pub level: String,
    /// Why.
    pub reason: String,
}

/// The matrix, your assessments and what comark's evidence suggests.
#[derive(Serialize, ToSchema)]
pub struct MaturityOut {
    /// The six dimensions with the criteria of each level.
    pub matrix: Vec<DimensionOut>,
    /// Your assessments, newest first.
    pub history: Vec<AssessmentOut>,
    /// Levels comark can vouch for, with the reason.
    pub suggestions: Vec<SuggestionOut>,
}

fn matrix() -> Vec<DimensionOut> {
    Dimension::ALL
        .iter()
        .map(|d| DimensionOut {
            dimension: d.as_str().to_owned(),
            label: d.label().to_owned(),
            levels: Level::ALL
                .iter()
                .map(|l| CellOut {
                    level: l.as_str().to_owned(),
                    label: l.label().to_owned(),
                    criteria: d.criteria(*l).to_owned(),
                })
                .collect(),
        })
        .collect()
}

/// The co-marketing maturity matrix, your assessments over time and comark's suggestions.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/maturity", tag = "maturity", params(("org" = String, Path)),
    responses((status = 200, body = MaturityOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_maturity(
    State(state): State<AppState>,
    org: ApiOrg,
) -> Result<Json<MaturityOut>, ApiError> {
    let overview = maturity::overview(&state.app, &org.scope).await?;
    Ok(Json(MaturityOut {
        matrix: matrix(),
        history: overview.history.into_iter().map(Into::into).collect(),
        suggestions: overview
            .suggestions
            .into_iter()
            .map(|s| SuggestionOut {
                dimension: s.dimension.as_str().to_owned(),
                level: s.level.as_str().to_owned(),
                reason: s.reason,
            })
            .collect(),
    }))
}

/// An assessment: a level for every dimension, notes optional.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentBody {
    /// Dimension to level (one_off, coordinated, ecosystem), for all six dimensions.
    pub levels: BTreeMap<String, String>,
    /// Dimension to a note.
    #[serde(default)]
    pub notes: BTreeMap<String, String>,
}

/// Answers the assessment (owners, admins, partner managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/maturity", tag = "maturity", params(("org" = String, Path)),
    request_body = AssessmentBody,
    responses((status = 201, body = AssessmentOut), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn assess(
    State(state): State<AppState>,
    org: ApiOrg,
    ApiJson(body): ApiJson<AssessmentBody>,
) -> Result<Response, ApiError> {
    let form = AssessmentForm {
        levels: body.levels,
        notes: body.notes,
    };
    let assessment = maturity::assess(&state.app, &org.scope, form, &org.actor()).await?;
    Ok((StatusCode::CREATED, Json(AssessmentOut::from(assessment))).into_response())
}
