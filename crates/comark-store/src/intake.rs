//! Inbound partnership requests: an organization's public form settings and vetting
//! checklist, the requests in its queue, their checks and history.
//!
//! A request reaches an organization from outside (anyone may use an open form), so
//! [`Store::submit_request`] is the one unscoped write; everything else goes through
//! [`OrgStore`] and sees only the organization's own queue.

use chrono::{DateTime, Utc};
use comark_domain::intake::{Proposal, ProposalKind, RequestStatus, Verdict, DEFAULT_CHECKLIST};
use comark_domain::{AuditAction, OrgId, PartnershipId, RequestId, UserId};
use serde::Serialize;
use serde_json::json;
use sqlx::types::Json;
use uuid::Uuid;

use crate::audit::insert_audit;
use crate::jobs::insert_job;
use crate::{
    now, on_pool, write_tx, Actor, NewJob, OrgStore, Organization, Result, Store, StoreError,
};

/// How an organization takes requests.
#[derive(Clone, Debug, Serialize)]
pub struct IntakeSettings {
    /// Whether the public form takes requests.
    pub open: bool,
    /// What the form says above its fields.
    pub intro: String,
    /// The vetting checklist every request is judged on.
    pub checklist: Vec<String>,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        IntakeSettings {
            open: false,
            intro: String::new(),
            checklist: DEFAULT_CHECKLIST.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

/// An organization on this instance, as a request names it.
#[derive(Clone, Debug, Serialize)]
pub struct OrgRef {
    /// Its id.
    pub id: OrgId,
    /// Its handle.
    pub handle: String,
    /// Its name.
    pub name: String,
}

/// A request in the queue.
#[derive(Clone, Debug, Serialize)]
pub struct PartnershipRequest {
    /// Its id.
    pub id: RequestId,
    /// Where it stands.
    pub status: RequestStatus,
    /// The person asking.
    pub name: String,
    /// Their e-mail address.
    pub email: String,
    /// Their company.
    pub company: String,
    /// The company's website.
    pub website: String,
    /// The requester's organization on this instance, when a member of it sent the request.
    pub requester: Option<OrgRef>,
    /// What they propose.
    pub kind: ProposalKind,
    /// The audience they bring.
    pub audience: String,
    /// What they would contribute.
    pub contribution: String,
    /// Anything else.
    pub message: String,
    /// Why comark filed it as spam, if it did.
    pub spam_reason: Option<String>,
    /// Who vets it.
    pub assignee: Option<(UserId, String)>,
    /// The partnership it became.
    pub partnership: Option<PartnershipId>,
    /// The note sent with the decision.
    pub decision_note: String,
    /// When it arrived.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A request this organization sent, as the requester may see it: where it stands, never
/// the receiver's vetting.
#[derive(Clone, Debug, Serialize)]
pub struct SentRequest {
    /// Its id.
    pub id: RequestId,
    /// The organization asked.
    pub to: OrgRef,
    /// What was proposed.
    pub kind: ProposalKind,
    /// Where it stands; spam shows as declined, so nobody learns how the filter judged.
    pub status: RequestStatus,
    /// The note sent with an acceptance or a refusal.
    pub answer: String,
    /// Who sent it.
    pub sent_by: String,
    /// When.
    pub sent_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

type SentRow = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
);

/// One vetting check's answer.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// The checklist item.
    pub item: String,
    /// The answer.
    pub verdict: Verdict,
    /// Why.
    pub note: String,
    /// Who answered.
    pub checked_by: String,
    /// When.
    pub checked_at: DateTime<Utc>,
}

/// One entry of a request's history.
#[derive(Clone, Debug, Serialize)]
pub struct RequestEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// What happened (received, assigned, checked, accepted...).
    pub kind: String,
    /// The details.
    pub detail: String,
}

/// A request with its checks and history.
#[derive(Clone, Debug, Serialize)]
pub struct RequestDetail {
    /// The request.
    #[serde(flatten)]
    pub request: PartnershipRequest,
    /// The answered checks.
    pub checks: Vec<Check>,
    /// What happened to it, oldest first.
    pub history: Vec<RequestEvent>,
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: Uuid,
    status: String,
    name: String,
    email: String,
    company: String,
    website: String,
    requester_id: Option<Uuid>,
    requester_handle: Option<String>,
    requester_name: Option<String>,
    kind: String,
    audience: String,
    contribution: String,
    message: String,
    spam_reason: Option<String>,
    assignee_id: Option<Uuid>,
    assignee_name: Option<String>,
    partnership_id: Option<Uuid>,
    decision_note: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const REQUEST_COLUMNS: &str = "r.id, r.status, r.name, r.email, r.company, r.website,
    ro.id AS requester_id, ro.handle AS requester_handle, ro.name AS requester_name,
    r.kind, r.audience, r.contribution, r.message, r.spam_reason,
    u.id AS assignee_id, u.name AS assignee_name, r.partnership_id, r.decision_note,
    r.created_at, r.updated_at
    FROM partnership_requests r
    LEFT JOIN organizations ro ON ro.id = r.requester_org_id
    LEFT JOIN users u ON u.id = r.assignee_id";

impl TryFrom<RequestRow> for PartnershipRequest {
    type Error = StoreError;

    fn try_from(row: RequestRow) -> Result<Self> {
        let corrupt = |column, detail: &str| StoreError::Corrupt {
            column,
            detail: detail.to_owned(),
        };
        Ok(PartnershipRequest {
            id: RequestId(row.id),
            status: RequestStatus::parse(&row.status)
                .ok_or_else(|| corrupt("partnership_requests.status", &row.status))?,
            name: row.name,
            email: row.email,
            company: row.company,
            website: row.website,
            requester: match (row.requester_id, row.requester_handle, row.requester_name) {
                (Some(id), Some(handle), Some(name)) => Some(OrgRef {
                    id: OrgId(id),
                    handle,
                    name,
                }),
                _ => None,
            },
            kind: ProposalKind::parse(&row.kind)
                .ok_or_else(|| corrupt("partnership_requests.kind", &row.kind))?,
            audience: row.audience,
            contribution: row.contribution,
            message: row.message,
            spam_reason: row.spam_reason,
            assignee: row
                .assignee_id
                .map(|id| (UserId(id), row.assignee_name.unwrap_or_default())),
            partnership: row.partnership_id.map(PartnershipId),
            decision_note: row.decision_note,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// Writes a history entry of a request (inside the caller's transaction).
macro_rules! request_event {
    ($conn:expr, $org:expr, $request:expr, $actor:expr, $kind:expr, $detail:expr) => {
        sqlx::query(
            "INSERT INTO request_events (org_id, request_id, id, occurred_at, actor, kind, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($org)
        .bind($request)
        .bind(Uuid::now_v7())
        .bind(now())
        .bind($actor)
        .bind($kind)
        .bind($detail)
        .execute($conn)
        .await?
    };
}
pub(crate) use request_event;

/// A request to file in an organization's queue.
#[derive(Clone, Copy, Debug)]
pub struct NewRequest<'a> {
    /// Its id, chosen by the caller so its e-mails can link to it.
    pub id: RequestId,
    /// The organization asked.
    pub org: OrgId,
    /// What was asked, as the form parsed it.
    pub proposal: &'a Proposal,
    /// The asking organization, when a signed-in member sent it.
    pub requester: Option<OrgId>,
    /// Why comark files it as spam, if it does.
    pub spam_reason: Option<&'a str>,
    /// Who sent it, for the history.
    pub actor: &'a str,
}

type SettingsRow = (bool, String, Json<Vec<String>>);

impl Store {
    /// The organization with `handle` and its intake settings, if its form is open.
    pub async fn open_intake(
        &self,
        handle: &str,
    ) -> Result<Option<(Organization, IntakeSettings)>> {
        let Some(org) = self.org_by_handle(handle).await? else {
            return Ok(None);
        };
        let row: Option<SettingsRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT open, intro, checklist FROM intake_settings WHERE org_id = $1")
                .bind(org.id.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(row
            .filter(|(open, _, _)| *open)
            .map(|(open, intro, checklist)| {
                (
                    org,
                    IntakeSettings {
                        open,
                        intro,
                        checklist: checklist.0,
                    },
                )
            }))
    }

    /// Files a request in `org`'s queue (as spam, with the reason, when comark judged it so),
    /// with the jobs that e-mail its vetters, in one transaction.
    pub async fn submit_request(&self, request: NewRequest<'_>, mail: &[NewJob]) -> Result<()> {
        let NewRequest {
            id,
            org,
            proposal,
            requester,
            spam_reason,
            actor,
        } = request;
        let at = now();
        let status = if spam_reason.is_some() {
            RequestStatus::Spam
        } else {
            RequestStatus::New
        };
        write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO partnership_requests (org_id, id, status, name, email, company, website,
                    requester_org_id, kind, audience, contribution, message, spam_reason, decision_note,
                    created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '', $14, $14)",
            )
            .bind(org.0)
            .bind(id.0)
            .bind(status.as_str())
            .bind(proposal.name.as_str())
            .bind(proposal.email.as_str())
            .bind(proposal.company.as_str())
            .bind(proposal.website.as_str())
            .bind(requester.map(|r| r.0))
            .bind(proposal.kind.as_str())
            .bind(proposal.audience.as_str())
            .bind(proposal.contribution.as_str())
            .bind(proposal.message.as_str())
            .bind(spam_reason)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let detail = match spam_reason {
                Some(reason) => format!("filed as spam: {reason}"),
                None => format!("{} from {}", proposal.kind.label(), proposal.company),
            };
            request_event!(&mut *tx, org.0, id.0, actor, "received", detail);
            // The vetters' e-mails land with the request or not at all (the outbox).
            for job in mail {
                insert_job!(&mut *tx, job, at);
            }
        });
        Ok(())
    }

    /// The addresses of those who vet `org`'s requests (owners, admins, partner managers).
    pub async fn request_vetters(&self, org: OrgId) -> Result<Vec<String>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.org_id = $1 AND m.role IN ('owner','admin','partner_manager') ORDER BY u.email",
            )
            .bind(org.0)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The instance's secret called `name`, made on first use and the same for every instance
    /// on this database.
    pub async fn instance_secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>> {
        // Read first: every public form asks, and only the first may need to write.
        let known: Option<Vec<u8>> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT secret FROM instance_secrets WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
        });
        if let Some(secret) = known {
            return Ok(secret);
        }
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO instance_secrets (name, secret, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(fresh)
            .bind(now())
            .execute(pool)
            .await?;
            Ok(sqlx::query_scalar("SELECT secret FROM instance_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await?)
        })
    }
}

impl OrgStore<'_> {
    /// How this organization takes requests (the defaults until it saves its own).
    pub async fn intake_settings(&self) -> Result<IntakeSettings> {
        let row: Option<SettingsRow> = on_pool!(self.store, pool => {
            sqlx::query_as("SELECT open, intro, checklist FROM intake_settings WHERE org_id = $1")
                .bind(self.org_uuid())
                .fetch_optional(pool)
                .await?
        });
        Ok(row
            .map(|(open, intro, checklist)| IntakeSettings {
                open,
                intro,
                checklist: checklist.0,
            })
            .unwrap_or_default())
    }

    /// Saves how this organization takes requests.
    pub async fn save_intake_settings(
        &self,
        settings: &IntakeSettings,
        actor: &Actor,
    ) -> Result<()> {
        let org = self.org_uuid();
        write_tx!(self.store, tx => {
            sqlx::query(
                "INSERT INTO intake_settings (org_id, open, intro, checklist, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (org_id) DO UPDATE SET open = excluded.open, intro = excluded.intro,
                    checklist = excluded.checklist, updated_at = excluded.updated_at",
            )
            .bind(org)
            .bind(settings.open)
            .bind(settings.intro.as_str())
            .bind(Json(&settings.checklist))
            .bind(now())
            .execute(&mut *tx)
            .await?;
            insert_audit!(&mut *tx, org, actor, AuditAction::IntakeUpdated, "intake",
                json!({ "open": settings.open, "checklist": settings.checklist }));
        });
        Ok(())
    }

    /// The queue, newest first; only `status` when given.
    pub async fn requests(&self, status: Option<RequestStatus>) -> Result<Vec<PartnershipRequest>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} WHERE r.org_id = $1 AND ($2 = '' OR r.status = $2)
             ORDER BY r.created_at DESC, r.id DESC LIMIT 1000"
        );
        let rows: Vec<RequestRow> = on_pool!(self.store, pool => {
            sqlx::query_as(&sql)
                .bind(self.org_uuid())
                .bind(status.map_or("", RequestStatus::as_str))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(PartnershipRequest::try_from).collect()
    }

    /// The requests this organization sent as itself, newest first.
    pub async fn sent_requests(&self) -> Result<Vec<SentRequest>> {
        let rows: Vec<SentRow> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT r.id, o.id, o.handle, o.name, r.kind, r.status, r.decision_note, r.name,
                        r.created_at, r.updated_at
                 FROM partnership_requests r JOIN organizations o ON o.id = r.org_id
                 WHERE r.requester_org_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT 1000",
            )
            .bind(self.org_uuid())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(
                |(id, org, handle, name, kind, status, note, sent_by, sent_at, updated_at)| {
                    let status =
                        RequestStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
                            column: "partnership_requests.status",
                            detail: status.clone(),
                        })?;
                    let (status, answer) = match status {
                        RequestStatus::Spam => (RequestStatus::Declined, String::new()),
                        RequestStatus::Accepted | RequestStatus::Declined => (status, note),
                        other => (other, String::new()),
                    };
                    Ok(SentRequest {
                        id: RequestId(id),
                        to: OrgRef {
                            id: OrgId(org),
                            handle,
                            name,
                        },
                        kind: ProposalKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
                            column: "partnership_requests.kind",
                            detail: kind.clone(),
                        })?,
                        status,
                        answer,
                        sent_by,
                        sent_at,
                        updated_at,
                    })
                },
            )
            .collect()
    }

    /// Every answered check of the queue, as (request, item, verdict).
    pub async fn check_verdicts(&self) -> Result<Vec<(RequestId, String, Verdict)>> {
        let rows: Vec<(Uuid, String, String)> = on_pool!(self.store, pool => {
            sqlx::query_as("SELECT request_id, item, verdict FROM request_checks WHERE org_id = $1")
                .bind(self.org_uuid())
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(id, item, verdict)| {
                let verdict = Verdict::parse(&verdict).ok_or_else(|| StoreError::Corrupt {
                    column: "request_checks.verdict",
                    detail: verdict.clone(),
                })?;
                Ok((RequestId(id), item, verdict))
            })
            .collect()
    }

    /// One request with its checks and history.
    pub async fn request(&self, id: RequestId) -> Result<RequestDetail> {
        let org = self.org_uuid();
        let sql = format!("SELECT {REQUEST_COLUMNS} WHERE r.org_id = $1 AND r.id = $2");
        let row: Option<RequestRow> = on_pool!(self.store, pool => {
            sqlx::query_as(&sql).bind(org).bind(id.0).fetch_optional(pool).await?
        });
        let request = PartnershipRequest::try_from(row.ok_or(StoreError::NotFound)?)?;
        let checks: Vec<(String, String, String, String, DateTime<Utc>)> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT item, verdict, note, checked_by, checked_at FROM request_checks
                 WHERE org_id = $1 AND request_id = $2 ORDER BY item",
            )
            .bind(org)
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        let history: Vec<(DateTime<Utc>, String, String, String)> = on_pool!(self.store, pool => {
            sqlx::query_as(
                "SELECT occurred_at, actor, kind, detail FROM request_events
                 WHERE org_id = $1 AND request_id = $2 ORDER BY occurred_at, id",
            )
            .bind(org)
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        Ok(RequestDetail {
            request,
            checks: checks
                .into_iter()
                .map(|(item, verdict, note, checked_by, checked_at)| {
                    Ok(Check {
                        verdict: Verdict::parse(&verdict).ok_or_else(|| StoreError::Corrupt {
                            column: "request_checks.verdict",
                            detail: verdict.clone(),
                        })?,
                        item,
                        note,
                        checked_by,
                        checked_at,
                    })
                })
                .collect::<Result<_>>()?,
            history: history
                .into_iter()
                .map(|(at, actor, kind, detail)| RequestEvent {
                    at,
                    actor,
                    kind,
                    detail,
                })
                .collect(),
        })
    }

    /// Hands a request to a member of this organization (or to nobody); a new request moves
    /// into vetting. With `notify`, the job it makes of the assignee's address is queued in
    /// the same transaction.
    pub async fn assign_request(
        &self,
        id: RequestId,
        assignee: Option<UserId>,
        notify: Option<&(dyn Fn(&str) -> NewJob + Sync)>,
        actor: &Actor,
    ) -> Result<()> {
        let org = self.org_uuid();
        let person: Option<(String, String)> = match assignee {
            None => None,
            Some(user) => Some(on_pool!(self.store, pool => {
                sqlx::query_as(
                    "SELECT u.name, u.email FROM memberships m JOIN users u ON u.id = m.user_id
                     WHERE m.org_id = $1 AND m.user_id = $2",
                )
                .bind(org)
                .bind(user.0)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::Conflict("assignee"))?
            })),
        };
        let detail = person.as_ref().map_or_else(
            || "unassigned".to_owned(),
            |(name, _)| format!("assigned to {name}"),
        );
        write_tx!(self.store, tx => {
            let done = sqlx::query(
                "UPDATE partnership_requests SET assignee_id = $3, updated_at = $4,
                    status = CASE WHEN status = 'new' AND $3 IS NOT NULL THEN 'vetting' ELSE status END
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(id.0)
            .bind(assignee.map(|u| u.0))
            .bind(now())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            request_event!(&mut *tx, org, id.0, actor.label.as_str(), "assigned", detail.as_str());
            // The assignee's e-mail lands with the assignment (the outbox).
            if let (Some(notify), Some((_, email))) = (notify, &person) {
                insert_job!(&mut *tx, &notify(email), now());
            }
        });
        Ok(())
    }

    /// Records the answer to one vetting check; a new request moves into vetting.
    pub async fn check_request(
        &self,
        id: RequestId,
        item: &str,
        verdict: Verdict,
        note: &str,
        actor: &Actor,
    ) -> Result<()> {
        let org = self.org_uuid();
        let at = now();
        write_tx!(self.store, tx => {
            let done = sqlx::query(
                "UPDATE partnership_requests SET updated_at = $3,
                    status = CASE WHEN status = 'new' THEN 'vetting' ELSE status END
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(id.0)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO request_checks (org_id, request_id, item, verdict, note, checked_by, checked_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (org_id, request_id, item) DO UPDATE SET verdict = excluded.verdict,
                    note = excluded.note, checked_by = excluded.checked_by, checked_at = excluded.checked_at",
            )
            .bind(org)
            .bind(id.0)
            .bind(item)
            .bind(verdict.as_str())
            .bind(note)
            .bind(actor.label.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let detail = if note.is_empty() {
                format!("{item}: {}", verdict.as_str())
            } else {
                format!("{item}: {} ({note})", verdict.as_str())
            };
            request_event!(&mut *tx, org, id.0, actor.label.as_str(), "checked", detail);
        });
        Ok(())
    }

    /// Moves a request from `from` to `to` with the note, queuing `mail` in the same
    /// transaction; false (and nothing queued) when someone else moved it first.
    pub async fn decide_request(
        &self,
        id: RequestId,
        from: RequestStatus,
        to: RequestStatus,
        note: &str,
        mail: &[NewJob],
        actor: &Actor,
    ) -> Result<bool> {
        let org = self.org_uuid();
        write_tx!(self.store, tx => {
            let done = sqlx::query(
                "UPDATE partnership_requests SET status = $4, decision_note = $5, updated_at = $6
                 WHERE org_id = $1 AND id = $2 AND status = $3",
            )
            .bind(org)
            .bind(id.0)
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(note)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            let kind = if to == RequestStatus::Vetting { "reopened" } else { to.as_str() };
            request_event!(&mut *tx, org, id.0, actor.label.as_str(), kind, note);
            for job in mail {
                insert_job!(&mut *tx, job, now());
            }
        });
        Ok(true)
    }
}
