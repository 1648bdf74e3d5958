//! The authorization matrix: every API and web route, tried as every role, as anonymous,
//! as a member of a connected partner and as a member of an unrelated organization, against
//! one table of expected outcomes. A route missing from the table fails the test, and every
//! 404 must carry exactly the body of "does not exist".

use std::collections::BTreeMap;

use super::*;
use comark_testkit::{Browser, Reply};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Who {
    Owner,
    Admin,
    PartnerManager,
    Marketer,
    Sales,
    Executive,
    Partner,
    Stranger,
    Anonymous,
}

pub(super) const EVERYONE: [Who; 9] = [
    Who::Owner,
    Who::Admin,
    Who::PartnerManager,
    Who::Marketer,
    Who::Sales,
    Who::Executive,
    Who::Partner,
    Who::Stranger,
    Who::Anonymous,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Expect {
    /// 2xx (or a redirect onward for the web).
    Allowed,
    /// 403: a member whose role does not allow it.
    Forbidden,
    /// 404 with the not-found body: not a member, or not theirs.
    Hidden,
    /// 401 (API) or a redirect to the sign-in page (web).
    SignIn,
    /// 409: allowed to try, but the state forbids it (for example, a used reset link).
    Conflict,
    /// 422: allowed, but this input is refused (wrong password, wrong code).
    Refused,
}

use Expect::*;

fn is_member(who: Who) -> bool {
    matches!(
        who,
        Who::Owner | Who::Admin | Who::PartnerManager | Who::Marketer | Who::Sales | Who::Executive
    )
}

/// Inside the organization: members by role, everyone else hidden or sent to sign in.
fn org_route(who: Who, allowed: &[Who]) -> Expect {
    match who {
        Who::Anonymous => SignIn,
        _ if allowed.contains(&who) => Allowed,
        _ if is_member(who) => Forbidden,
        _ => Hidden,
    }
}

const MEMBERS: &[Who] = &[
    Who::Owner,
    Who::Admin,
    Who::PartnerManager,
    Who::Marketer,
    Who::Sales,
    Who::Executive,
];
const MANAGERS: &[Who] = &[Who::Owner, Who::Admin];
const CONNECTORS: &[Who] = &[Who::Owner, Who::Admin, Who::PartnerManager];
const EDITORS: &[Who] = &[Who::Owner, Who::Admin, Who::PartnerManager, Who::Marketer];

/// The API table. Every operation in the OpenAPI document must be here.
pub(super) fn api_expectation(method: &str, path: &str, who: Who) -> Option<Expect> {
    let signed_in = |outcome: Expect| {
        if who == Who::Anonymous {
            SignIn
        } else {
            outcome
        }
    };
    Some(match (method, path) {
        // Public: anyone, signed in or not.
        ("post", "/api/v1/auth/sign-up") => Allowed,
        ("post", "/api/v1/auth/sign-in") => Allowed,
        ("post", "/api/v1/auth/password-reset") => Allowed,
        // This instance sends no e-mail, so there is no unlock link to have.
        ("post", "/api/v1/auth/unlock") => Conflict,
        ("post", "/api/v1/auth/password-reset/confirm") => Conflict,
        ("post", "/api/v1/auth/sign-up/confirm") => Conflict,
        // One's own account.
        ("post", "/api/v1/auth/second-factor") => signed_in(Forbidden),
        ("post", "/api/v1/auth/sign-out") => signed_in(Allowed),
        ("get", "/api/v1/me") => signed_in(Allowed),
        ("put", "/api/v1/me/password") => signed_in(Refused),
        ("post", "/api/v1/me/totp") => signed_in(Allowed),
        ("post", "/api/v1/me/totp/confirm") => signed_in(Refused),
        ("post", "/api/v1/me/totp/disable") => signed_in(Refused),
        ("get", "/api/v1/me/tokens") => signed_in(Allowed),
        ("post", "/api/v1/me/tokens") => signed_in(Allowed),
        ("delete", "/api/v1/me/tokens/{token_id}") => {
            signed_in(if who == Who::Owner { Allowed } else { Hidden })
        }
        ("get", "/api/v1/orgs") => signed_in(Allowed),
        ("post", "/api/v1/orgs") => signed_in(Allowed),
        ("post", "/api/v1/invitations/{token}/accept") => signed_in(Allowed),
        // Inside the organization.
        ("get", "/api/v1/orgs/{org}") => org_route(who, MEMBERS),
        ("patch", "/api/v1/orgs/{org}") => org_route(who, MANAGERS),
        ("get", "/api/v1/orgs/{org}/members") => org_route(who, MEMBERS),
        ("patch", "/api/v1/orgs/{org}/members/{user_id}") => org_route(who, MANAGERS),
        ("delete", "/api/v1/orgs/{org}/members/{user_id}") => org_route(who, MANAGERS),
        ("get", "/api/v1/orgs/{org}/invitations") => org_route(who, MANAGERS),
        ("post", "/api/v1/orgs/{org}/invitations") => org_route(who, MANAGERS),
        ("delete", "/api/v1/orgs/{org}/invitations/{invitation_id}") => org_route(who, MANAGERS),
        ("get", "/api/v1/orgs/{org}/connections") => org_route(who, MEMBERS),
        ("post", "/api/v1/orgs/{org}/connections") => org_route(who, CONNECTORS),
        ("get", "/api/v1/orgs/{org}/connections/{connection_id}") => org_route(who, MEMBERS),
        ("post", "/api/v1/orgs/{org}/connections/{connection_id}/accept") => {
            org_route(who, CONNECTORS)
        }
        ("post", "/api/v1/orgs/{org}/connections/{connection_id}/decline") => {
            org_route(who, CONNECTORS)
        }
        ("post", "/api/v1/orgs/{org}/connections/{connection_id}/end") => {
            org_route(who, CONNECTORS)
        }
        ("get" | "post", "/api/v1/orgs/{org}/connection-links") => org_route(who, CONNECTORS),
        ("delete", "/api/v1/orgs/{org}/connection-links/{link_id}") => org_route(who, CONNECTORS),
        ("post", "/api/v1/orgs/{org}/connections/via-link") => org_route(who, CONNECTORS),
        ("get", "/api/v1/orgs/{org}/audit-events") => org_route(who, MANAGERS),
        ("get", "/api/v1/orgs/{org}/profile") => org_route(who, MEMBERS),
        ("put", "/api/v1/orgs/{org}/profile") => org_route(who, EDITORS),
        ("get", "/api/v1/orgs/{org}/directory") => org_route(who, MEMBERS),
        ("get", "/api/v1/orgs/{org}/directory/{handle}") => org_route(who, MEMBERS),
        ("get", "/api/v1/orgs/{org}/audit-events.csv") => org_route(who, MANAGERS),
        ("get", "/api/v1/orgs/{org}/imports" | "/api/v1/orgs/{org}/imports/{id}") => {
            org_route(who, MEMBERS)
        }
        ("post", "/api/v1/orgs/{org}/imports" | "/api/v1/orgs/{org}/imports/{id}/start") => {
            org_route(who, CONNECTORS)
        }
        ("get", "/api/v1/orgs/{org}/imports/{id}/preview") => org_route(who, CONNECTORS),
        (
            "get",
            "/api/v1/orgs/{org}/accounts"
            | "/api/v1/orgs/{org}/populations"
            | "/api/v1/orgs/{org}/column-mappings"
            | "/api/v1/orgs/{org}/mappings/{partner}"
            | "/api/v1/orgs/{org}/mappings/{partner}/export",
        ) => org_route(who, MEMBERS),
        ("put" | "delete", "/api/v1/orgs/{org}/populations/{slug}") => org_route(who, CONNECTORS),
        ("delete", "/api/v1/orgs/{org}/column-mappings/{name}") => org_route(who, CONNECTORS),
        ("put", "/api/v1/orgs/{org}/mappings/{partner}/sharing/{population}") => {
            org_route(who, CONNECTORS)
        }
        ("post", "/api/v1/orgs/{org}/mappings/{partner}/corrections") => org_route(who, CONNECTORS),
        ("delete", "/api/v1/orgs/{org}/mappings/{partner}/corrections/{id}") => {
            org_route(who, CONNECTORS)
        }
        ("get", "/api/v1/orgs/{org}/partnerships" | "/api/v1/orgs/{org}/partnerships/{id}") => {
            org_route(who, MEMBERS)
        }
        (
            "post",
            "/api/v1/orgs/{org}/partnerships" | "/api/v1/orgs/{org}/partnerships/{id}/evidence",
        ) => org_route(who, CONNECTORS),
        ("put" | "delete", "/api/v1/orgs/{org}/partnerships/{id}/evidence/{item_id}") => {
            org_route(who, CONNECTORS)
        }
        ("post", "/api/v1/orgs/{org}/partnerships/{id}/risks") => org_route(who, CONNECTORS),
        ("get", "/api/v1/orgs/{org}/partnerships/{id}/performance") => org_route(who, MEMBERS),
        ("get", "/api/v1/orgs/{org}/partnerships/{id}/exit") => org_route(who, MEMBERS),
        ("get", "/api/v1/orgs/{org}/partnerships/{id}/engagement") => org_route(who, MEMBERS),
        (
            "put",
            "/api/v1/orgs/{org}/partnerships/{id}/roles/{role}"
            | "/api/v1/orgs/{org}/partnerships/{id}/raci"
            | "/api/v1/orgs/{org}/partnerships/{id}/rules",
        ) => org_route(who, CONNECTORS),
        // A fresh partnership has no rules yet: allowed to try, refused by the state.
        ("post", "/api/v1/orgs/{org}/partnerships/{id}/rules/approve") => {
            match org_route(who, CONNECTORS) {
                Allowed => Conflict,
                other => other,
            }
        }
        (
            "post",
            "/api/v1/orgs/{org}/partnerships/{id}/exit"
            | "/api/v1/orgs/{org}/partnerships/{id}/breaches",
        ) => org_route(who, CONNECTORS),
        ("put", "/api/v1/orgs/{org}/partnerships/{id}/exit-strategy") => org_route(who, CONNECTORS),
        // A fresh partnership has no notice running: allowed to try, refused by the state.
        ("delete", "/api/v1/orgs/{org}/partnerships/{id}/exit") => match org_route(who, CONNECTORS)
        {
            Allowed => Conflict,
            other => other,
        },
        (
            "post",
            "/api/v1/orgs/{org}/partnerships/{id}/goals"
            | "/api/v1/orgs/{org}/partnerships/{id}/goals/{goal_id}/readings"
            | "/api/v1/orgs/{org}/partnerships/{id}/contributions",
        ) => org_route(who, CONNECTORS),
        ("put", "/api/v1/orgs/{org}/partnerships/{id}/commitments/{kind}") => {
            org_route(who, CONNECTORS)
        }
        // Anyone may read an open form; a bad request is refused before it counts.
        ("get", "/api/v1/intake/{handle}") => Allowed,
        ("post", "/api/v1/intake/{handle}") => Refused,
        (
            "get",
            "/api/v1/orgs/{org}/intake"
            | "/api/v1/orgs/{org}/requests"
            | "/api/v1/orgs/{org}/requests/{id}"
            | "/api/v1/orgs/{org}/sent-requests",
        ) => org_route(who, MEMBERS),
        ("put", "/api/v1/orgs/{org}/intake" | "/api/v1/orgs/{org}/requests/{id}/assignee") => {
            org_route(who, CONNECTORS)
        }
        (
            "post",
            "/api/v1/orgs/{org}/sent-requests"
            | "/api/v1/orgs/{org}/requests/{id}/checks"
            | "/api/v1/orgs/{org}/requests/{id}/decision",
        ) => org_route(who, CONNECTORS),
        // A fresh request is not accepted yet: allowed to try, refused by the state.
        ("post", "/api/v1/orgs/{org}/requests/{id}/partnership") => {
            match org_route(who, CONNECTORS) {
                Allowed => Conflict,
                other => other,
            }
        }
        ("get", "/api/v1/orgs/{org}/maturity") => org_route(who, MEMBERS),
        ("post", "/api/v1/orgs/{org}/maturity") => org_route(who, CONNECTORS),
        ("get", "/api/v1/orgs/{org}/gate-templates" | "/api/v1/orgs/{org}/internal-assessment") => {
            org_route(who, MEMBERS)
        }
        ("put", "/api/v1/orgs/{org}/gate-templates") => org_route(who, CONNECTORS),
        ("post", "/api/v1/orgs/{org}/internal-assessment") => org_route(who, CONNECTORS),
        ("put", "/api/v1/orgs/{org}/partnerships/{id}/risks/{risk_id}") => {
            org_route(who, CONNECTORS)
        }
        // A fresh partnership's first gate is open: allowed to ask, refused by the gate.
        ("post", "/api/v1/orgs/{org}/partnerships/{id}/advance") => {
            match org_route(who, CONNECTORS) {
                Allowed => Conflict,
                other => other,
            }
        }
        _ => return None,
    })
}

/// The web table. Every route in `comark_server::web::route_table()` must be here.
pub(super) fn web_expectation(method: &str, path: &str, who: Who) -> Option<Expect> {
    let signed_in = |outcome: Expect| {
        if who == Who::Anonymous {
            SignIn
        } else {
            outcome
        }
    };
    Some(match (method, path) {
        (
            "GET",
            "/" | "/assets/app.css" | "/assets/app.js" | "/assets/htmx.min.js" | "/docs/api",
        ) => Allowed,
        (
            "GET",
            "/sign-up"
            | "/sign-in"
            | "/forgot-password"
            | "/reset-password/{token}"
            | "/sign-in/unlock/{token}",
        ) => Allowed,
        ("POST", "/sign-up") => Allowed,
        ("POST", "/sign-in") => Allowed,
        // Both answer everyone by sending them to the sign-in page with a message.
        ("POST", "/forgot-password" | "/sign-in/unlock" | "/sign-out") => SignIn,
        ("POST", "/reset-password/{token}") => Conflict,
        ("GET", "/sign-up/confirm/{token}") => Allowed,
        ("POST", "/sign-up/confirm/{token}") => Conflict,
        // Without a pending second factor there is nothing to do: signed in goes home.
        ("GET" | "POST", "/sign-in/second-factor") => signed_in(Allowed),
        ("GET", "/invitations/{token}") => Allowed,
        ("POST", "/invitations/{token}/accept") => signed_in(Allowed),
        ("GET", "/account") => signed_in(Allowed),
        ("POST", "/account/password" | "/account/totp/confirm" | "/account/totp/disable") => {
            signed_in(Refused)
        }
        ("POST", "/account/totp/start" | "/account/tokens") => signed_in(Allowed),
        ("POST", "/account/tokens/{token_id}/revoke") => {
            signed_in(if who == Who::Owner { Allowed } else { Hidden })
        }
        ("GET" | "POST", "/orgs/new") => signed_in(Allowed),
        ("GET", "/connect/{token}") => signed_in(Allowed),
        // Connecting through a link names the organization in the form: only its connectors may.
        ("POST", "/connect/{token}") => org_route(who, CONNECTORS),
        ("GET", "/o/{org}" | "/o/{org}/members" | "/o/{org}/partners") => org_route(who, MEMBERS),
        (
            "GET",
            "/o/{org}/accounts"
            | "/o/{org}/partnerships"
            | "/o/{org}/plans"
            | "/o/{org}/leads"
            | "/o/{org}/insights",
        ) => org_route(who, MEMBERS),
        ("POST", "/o/{org}/members/{user_id}/role" | "/o/{org}/members/{user_id}/remove") => {
            org_route(who, MANAGERS)
        }
        ("POST", "/o/{org}/invitations" | "/o/{org}/invitations/{invitation_id}/revoke") => {
            org_route(who, MANAGERS)
        }
        ("GET" | "POST", "/o/{org}/settings") => org_route(who, MANAGERS),
        ("GET", "/o/{org}/audit" | "/o/{org}/audit.csv") => org_route(who, MANAGERS),
        ("GET", "/o/{org}/profile" | "/o/{org}/directory" | "/o/{org}/directory/{handle}") => {
            org_route(who, MEMBERS)
        }
        ("POST", "/o/{org}/profile") => org_route(who, EDITORS),
        (
            "POST",
            "/o/{org}/partners"
            | "/o/{org}/partners/link"
            | "/o/{org}/connection-links/{link_id}/revoke",
        ) => org_route(who, CONNECTORS),
        (
            "POST",
            "/o/{org}/partners/{connection_id}/accept"
            | "/o/{org}/partners/{connection_id}/decline"
            | "/o/{org}/partners/{connection_id}/end",
        ) => org_route(who, CONNECTORS),
        (
            "GET",
            "/o/{org}/accounts/imports/{import_id}"
            | "/o/{org}/accounts/imports/{import_id}/progress"
            | "/o/{org}/accounts/populations"
            | "/o/{org}/partners/{partner}/mapping"
            | "/o/{org}/partners/{partner}/mapping.csv"
            | "/o/{org}/partners/{partner}/mapping.xlsx",
        ) => org_route(who, MEMBERS),
        (
            "POST",
            "/o/{org}/accounts/imports/{import_id}/start"
            | "/o/{org}/accounts/populations"
            | "/o/{org}/accounts/populations/{slug}/delete",
        ) => org_route(who, CONNECTORS),
        ("GET", "/o/{org}/maturity") => org_route(who, MEMBERS),
        ("GET", "/o/{org}/internal-assessment" | "/o/{org}/gate-templates") => {
            org_route(who, MEMBERS)
        }
        // Empty forms are refused after the role check.
        (
            "POST",
            "/o/{org}/internal-assessment"
            | "/o/{org}/gate-templates"
            | "/o/{org}/gate-templates/reset",
        ) => match org_route(who, CONNECTORS) {
            Allowed => Refused,
            other => other,
        },
        ("GET", "/o/{org}/partnerships/{partnership_id}") => org_route(who, MEMBERS),
        ("GET", "/o/{org}/partnerships/{partnership_id}/engagement") => org_route(who, MEMBERS),
        // An empty role is refused after the role check; an empty RACI or rules form changes
        // nothing; a fresh partnership has no rules to approve.
        ("POST", "/o/{org}/partnerships/{partnership_id}/engagement/roles") => {
            match org_route(who, CONNECTORS) {
                Allowed => Refused,
                other => other,
            }
        }
        (
            "POST",
            "/o/{org}/partnerships/{partnership_id}/engagement/raci"
            | "/o/{org}/partnerships/{partnership_id}/engagement/rules",
        ) => org_route(who, CONNECTORS),
        ("POST", "/o/{org}/partnerships/{partnership_id}/engagement/rules/approve") => {
            match org_route(who, CONNECTORS) {
                Allowed => Conflict,
                other => other,
            }
        }
        // Empty forms are refused after the role check; a fresh partnership's gate is open.
        (
            "POST",
            "/o/{org}/partnerships"
            | "/o/{org}/partnerships/{partnership_id}/evidence"
            | "/o/{org}/partnerships/{partnership_id}/evidence/{item_id}",
        ) => match org_route(who, CONNECTORS) {
            Allowed => Refused,
            other => other,
        },
        ("POST", "/o/{org}/partnerships/{partnership_id}/advance") => {
            match org_route(who, CONNECTORS) {
                Allowed => Conflict,
                other => other,
            }
        }
        ("POST", "/o/{org}/partnerships/{partnership_id}/evidence/{item_id}/remove") => {
            org_route(who, CONNECTORS)
        }
        (
            "POST",
            "/o/{org}/partnerships/{partnership_id}/goals"
            | "/o/{org}/partnerships/{partnership_id}/goals/{goal_id}/readings"
            | "/o/{org}/partnerships/{partnership_id}/commitments"
            | "/o/{org}/partnerships/{partnership_id}/contributions"
            | "/o/{org}/partnerships/{partnership_id}/risks"
            | "/o/{org}/partnerships/{partnership_id}/exit-strategy"
            | "/o/{org}/partnerships/{partnership_id}/breaches"
            | "/o/{org}/partnerships/{partnership_id}/exit",
        ) => match org_route(who, CONNECTORS) {
            Allowed => Refused,
            other => other,
        },
        ("POST", "/o/{org}/partnerships/{partnership_id}/risks/{risk_id}/close") => {
            org_route(who, CONNECTORS)
        }
        // A fresh partnership has no notice of exit to withdraw.
        ("POST", "/o/{org}/partnerships/{partnership_id}/exit/withdraw") => {
            match org_route(who, CONNECTORS) {
                Allowed => Conflict,
                other => other,
            }
        }
        // Anyone may open an open request form; an empty one is refused before it counts.
        ("GET", "/r/{handle}") => Allowed,
        ("POST", "/r/{handle}") => Refused,
        ("GET", "/o/{org}/intake" | "/o/{org}/requests" | "/o/{org}/requests/{id}") => {
            org_route(who, MEMBERS)
        }
        // An empty assignment unassigns; empty settings, checks and decisions are refused
        // after the role check; a fresh request is not accepted yet.
        ("POST", "/o/{org}/requests/{id}/assign") => org_route(who, CONNECTORS),
        (
            "POST",
            "/o/{org}/intake" | "/o/{org}/requests/{id}/checks" | "/o/{org}/requests/{id}/decision",
        ) => match org_route(who, CONNECTORS) {
            Allowed => Refused,
            other => other,
        },
        ("POST", "/o/{org}/requests/{id}/partnership") => match org_route(who, CONNECTORS) {
            Allowed => Conflict,
            other => other,
        },
        // An empty assessment is refused, after the role check.
        ("POST", "/o/{org}/maturity") => match org_route(who, CONNECTORS) {
            Allowed => Refused,
            other => other,
        },
        // A form without a file is refused, after the role check.
        ("POST", "/o/{org}/accounts/imports") => match org_route(who, CONNECTORS) {
            Allowed => Refused,
            other => other,
        },
        (
            "POST",
            "/o/{org}/partners/{partner}/corrections"
            | "/o/{org}/partners/{partner}/corrections/{correction_id}/withdraw"
            | "/o/{org}/partners/{partner}/sharing",
        ) => org_route(who, CONNECTORS),
        _ => return None,
    })
}

/// The organization under test, its partner, a stranger, and a token per person.
pub(super) struct Fixture {
    pub(super) tokens: BTreeMap<Who, String>,
    pub(super) emails: BTreeMap<Who, String>,
    counter: std::sync::atomic::AtomicUsize,
}

impl Fixture {
    pub(super) async fn build(app: &TestApp) -> Fixture {
        let owner = app.owner_of("acme").await;
        let partner = app.owner_of("globex").await;
        let stranger = app.owner_of("initech").await;
        app.connect(&owner, "acme", &partner, "globex").await;
        // The partner's profile is visible to acme through the connection, not the directory.
        let profile = app
            .api_as(&partner)
            .put(
                "/api/v1/orgs/globex/profile",
                json!({ "offerings": ["analytics"], "listed": false }),
            )
            .await;
        assert_eq!(profile.status, 200, "{}", profile.text);
        // Both take partnership requests through their public forms.
        for (token, handle) in [(&owner, "acme"), (&partner, "globex")] {
            let intake = app
                .api_as(token)
                .put(
                    &format!("/api/v1/orgs/{handle}/intake"),
                    json!({ "open": true, "checklist": ["Shared values", "Audience fit"] }),
                )
                .await;
            assert_eq!(intake.status, 200, "{}", intake.text);
        }
        let mut tokens = BTreeMap::new();
        tokens.insert(Who::Owner, owner.clone());
        for (who, role) in [
            (Who::Admin, "admin"),
            (Who::PartnerManager, "partner_manager"),
            (Who::Marketer, "marketer"),
            (Who::Sales, "sales"),
            (Who::Executive, "executive"),
        ] {
            tokens.insert(who, app.member_of(&owner, "acme", role).await);
        }
        tokens.insert(Who::Partner, partner);
        tokens.insert(Who::Stranger, stranger);
        let mut emails = BTreeMap::new();
        for (who, token) in &tokens {
            let me = app.api_as(token).get("/api/v1/me").await;
            emails.insert(
                *who,
                me.json["user"]["email"].as_str().expect("email").to_owned(),
            );
        }
        Fixture {
            tokens,
            emails,
            counter: Default::default(),
        }
    }

    pub(super) fn next(&self) -> usize {
        self.counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    fn token(&self, who: Who) -> Option<&str> {
        self.tokens.get(&who).map(String::as_str)
    }
}

/// A fresh member of acme to change or remove.
async fn fresh_member(app: &TestApp, fx: &Fixture) -> String {
    let token = app
        .member_of(&fx.tokens[&Who::Owner], "acme", "marketer")
        .await;
    let me = app.api_as(&token).get("/api/v1/me").await;
    me.json["user"]["id"].as_str().expect("id").to_owned()
}

/// A fresh open invitation of acme.
async fn fresh_invitation(app: &TestApp, fx: &Fixture) -> String {
    let reply = app
        .api_as(&fx.tokens[&Who::Owner])
        .post("/api/v1/orgs/acme/invitations", json!({ "role": "sales" }))
        .await;
    reply.json["invitation"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// A fresh organization with its owner's token.
async fn fresh_org(app: &TestApp, fx: &Fixture) -> (String, String) {
    let handle = format!("other-{}", fx.next());
    let token = app.owner_of(&handle).await;
    (handle, token)
}

/// A fresh connection of acme: pending from another organization, or accepted.
async fn fresh_connection(app: &TestApp, fx: &Fixture, accepted: bool) -> String {
    let (handle, token) = fresh_org(app, fx).await;
    if accepted {
        return app
            .connect(&token, &handle, &fx.tokens[&Who::Owner], "acme")
            .await;
    }
    let reply = app
        .api_as(&token)
        .post(
            &format!("/api/v1/orgs/{handle}/connections"),
            json!({ "handle": "acme" }),
        )
        .await;
    reply.json["id"].as_str().expect("id").to_owned()
}

/// A fresh connection link of another organization: its secret token.
async fn fresh_link(app: &TestApp, fx: &Fixture) -> String {
    let (handle, token) = fresh_org(app, fx).await;
    let reply = app
        .api_as(&token)
        .post(
            &format!("/api/v1/orgs/{handle}/connection-links"),
            json!({}),
        )
        .await;
    reply.json["link"]
        .as_str()
        .expect("link")
        .rsplit('/')
        .next()
        .expect("token")
        .to_owned()
}

/// A fresh connection link of acme's: its id.
async fn fresh_own_link(app: &TestApp, fx: &Fixture) -> String {
    let reply = app
        .api_as(&fx.tokens[&Who::Owner])
        .post("/api/v1/orgs/acme/connection-links", json!({}))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json["id"].as_str().expect("id").to_owned()
}

/// A fresh upload of acme's, optionally imported with its mapping saved under `save_as`.
async fn fresh_import(app: &TestApp, fx: &Fixture, save_as: Option<&str>) -> String {
    let api = app.api_as(&fx.tokens[&Who::Owner]);
    let reply = api
        .upload(
            "/api/v1/orgs/acme/imports",
            b"Company name,Website\nInitrode,initrode.de\n".to_vec(),
            &[],
        )
        .await;
    let id = reply.json["import"]["id"].as_str().expect("id").to_owned();
    if let Some(name) = save_as {
        let started = api
            .post(
                &format!("/api/v1/orgs/acme/imports/{id}/start"),
                json!({ "save_mapping_as": name }),
            )
            .await;
        assert_eq!(started.status, 202, "{}", started.text);
    }
    id
}

/// A fresh partnership of acme with globex, and one of its awareness evidence items.
async fn fresh_partnership(app: &TestApp, fx: &Fixture) -> (String, String) {
    let reply = app
        .api_as(&fx.tokens[&Who::Owner])
        .post(
            "/api/v1/orgs/acme/partnerships",
            json!({ "name": format!("Fresh {}", fx.next()), "partners": ["globex"] }),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let id = reply.json["partnership"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let item = reply.json["gates"][0]["id"]
        .as_str()
        .expect("item")
        .to_owned();
    (id, item)
}

/// A fresh request in acme's queue, filed straight into the store (the public form's rate
/// limit would stop the hundreds the table needs).
async fn fresh_request(app: &TestApp, fx: &Fixture) -> String {
    let acme = app
        .store
        .org_by_handle("acme")
        .await
        .expect("lookup")
        .expect("acme");
    let form = comark_domain::intake::RequestForm {
        name: "Rita Requester".into(),
        email: format!("rita{}@example.com", fx.next()),
        company: "Requesters Ltd".into(),
        kind: "co_promotion".into(),
        message: "Let's promote each other.".into(),
        ..Default::default()
    };
    let proposal = form.parse().expect("valid request");
    let id = comark_domain::RequestId::new();
    app.store
        .submit_request(
            comark_store::intake::NewRequest {
                id,
                org: acme.id,
                proposal: &proposal,
                requester: None,
                spam_reason: None,
                actor: "Rita Requester",
            },
            &[],
        )
        .await
        .expect("filed");
    id.to_string()
}

/// A fresh correction by acme of its mapping with globex.
async fn fresh_correction(app: &TestApp, fx: &Fixture) -> String {
    let reply = app
        .api_as(&fx.tokens[&Who::Owner])
        .post(
            "/api/v1/orgs/acme/mappings/globex/corrections",
            json!({ "kind": "wrong", "key": format!("fresh-{}.example", fx.next()) }),
        )
        .await;
    reply.json["id"].as_str().expect("id").to_owned()
}

/// A fresh custom population of acme.
async fn fresh_population(app: &TestApp, fx: &Fixture) -> String {
    let slug = format!("segment-{}", fx.next());
    let reply = app
        .api_as(&fx.tokens[&Who::Owner])
        .put(
            &format!("/api/v1/orgs/acme/populations/{slug}"),
            json!({ "label": "Segment", "rule": { "base": "customer", "all": [] } }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    slug
}

/// A fresh token of the owner.
async fn fresh_owner_token(app: &TestApp, fx: &Fixture) -> String {
    let created = app
        .api_as(&fx.tokens[&Who::Owner])
        .post(
            "/api/v1/me/tokens",
            json!({ "name": "victim", "scope": "read" }),
        )
        .await;
    created.json["id"].as_str().expect("id").to_owned()
}

/// Fills in a path for one attempt, making a fresh target where the attempt may consume it.
pub(super) async fn concrete(
    app: &TestApp,
    fx: &Fixture,
    method: &str,
    pattern: &str,
) -> (String, serde_json::Value) {
    let n = fx.next();
    let mut body = json!({});
    let mut path = pattern.replace("{org}", "acme");
    if path.contains("{user_id}") {
        path = path.replace("{user_id}", &fresh_member(app, fx).await);
        body = json!({ "role": "sales" });
    }
    if path.contains("{invitation_id}") {
        path = path.replace("{invitation_id}", &fresh_invitation(app, fx).await);
    }
    if path.contains("/invitations/{token}") {
        // Accepting joins the inviting organization, so the invitations come from elsewhere:
        // acme's members must stay exactly who the table thinks they are.
        let (handle, token) = fresh_org(app, fx).await;
        let reply = app
            .api_as(&token)
            .post(
                &format!("/api/v1/orgs/{handle}/invitations"),
                json!({ "role": "sales" }),
            )
            .await;
        let secret = reply.json["link"]
            .as_str()
            .expect("link")
            .rsplit('/')
            .next()
            .expect("token")
            .to_owned();
        path = path.replace("{token}", &secret);
    }
    if path.contains("{connection_id}") {
        let accepted = path.ends_with("/end") || method.eq_ignore_ascii_case("get");
        path = path.replace(
            "{connection_id}",
            &fresh_connection(app, fx, accepted).await,
        );
    }
    if path.contains("{link_id}") {
        path = path.replace("{link_id}", &fresh_own_link(app, fx).await);
    }
    if path.contains("{token_id}") {
        path = path.replace("{token_id}", &fresh_owner_token(app, fx).await);
    }
    if path.contains("/connect/{token}") {
        path = path.replace("{token}", &fresh_link(app, fx).await);
    }
    if path.contains("{token}") {
        path = path.replace("{token}", "not-a-real-token");
    }
    path = path
        .replace("{handle}", "globex")
        .replace("{partner}", "globex");
    if path.contains("{partnership_id}") {
        let (partnership, item) = fresh_partnership(app, fx).await;
        let owner = app.api_as(&fx.tokens[&Who::Owner]);
        if path.contains("{goal_id}") {
            let added = owner
                .post(
                    &format!("/api/v1/orgs/acme/partnerships/{partnership}/goals"),
                    json!({ "metric": "Leads", "target": 10, "starts_on": "2026-01-01", "ends_on": "2026-12-31" }),
                )
                .await;
            let goal = added.json["id"].as_str().expect("goal").to_owned();
            path = path.replace("{goal_id}", &goal);
        }
        if path.contains("{risk_id}") {
            let added = owner
                .post(
                    &format!("/api/v1/orgs/acme/partnerships/{partnership}/risks"),
                    json!({ "title": "Key person leaving", "likelihood": "low", "impact": "high" }),
                )
                .await;
            let risk = added.json["id"].as_str().expect("risk").to_owned();
            path = path.replace("{risk_id}", &risk);
        }
        path = path
            .replace("{partnership_id}", &partnership)
            .replace("{item_id}", &item);
    }
    if path.contains("/partnerships/{id}") {
        let (partnership, item) = fresh_partnership(app, fx).await;
        if path.contains("{goal_id}") {
            let added = app
                .api_as(&fx.tokens[&Who::Owner])
                .post(
                    &format!("/api/v1/orgs/acme/partnerships/{partnership}/goals"),
                    json!({ "metric": "Leads", "target": 10, "starts_on": "2026-01-01", "ends_on": "2026-12-31" }),
                )
                .await;
            let goal = added.json["id"].as_str().expect("goal").to_owned();
            path = path.replace("{goal_id}", &goal);
        }
        path = path
            .replace("{kind}", "events")
            .replace("{role}", "executive_sponsor");
        if path.contains("{risk_id}") {
            let added = app
                .api_as(&fx.tokens[&Who::Owner])
                .post(
                    &format!("/api/v1/orgs/acme/partnerships/{partnership}/risks"),
                    json!({ "title": "Key person leaving", "likelihood": "low", "impact": "high" }),
                )
                .await;
            let risk = added.json["id"].as_str().expect("risk").to_owned();
            path = path.replace("{risk_id}", &risk);
        }
        path = path
            .replace("{id}", &partnership)
            .replace("{item_id}", &item);
    }
    if path.contains("/requests/{id}") {
        path = path.replace("{id}", &fresh_request(app, fx).await);
    }
    if path.contains("/imports/{id}") {
        path = path.replace("{id}", &fresh_import(app, fx, None).await);
    }
    if path.contains("/corrections/{id}") {
        path = path.replace("{id}", &fresh_correction(app, fx).await);
    }
    if path.contains("{correction_id}") {
        path = path.replace("{correction_id}", &fresh_correction(app, fx).await);
    }
    if path.contains("{import_id}") {
        path = path.replace("{import_id}", &fresh_import(app, fx, None).await);
    }
    if path.contains("{slug}") {
        path = path.replace("{slug}", &fresh_population(app, fx).await);
    }
    if path.contains("{name}") {
        let name = format!("saved-{n}");
        fresh_import(app, fx, Some(&name)).await;
        path = path.replace("{name}", &name);
    }
    path = path.replace("{population}", "customer");
    let body = match pattern {
        "/api/v1/auth/sign-up" => {
            json!({ "name": "New Person", "email": format!("new{n}@example.com"), "password": PASSWORD })
        }
        "/api/v1/auth/sign-in" => json!({ "email": "owner@acme.example", "password": PASSWORD }),
        "/api/v1/auth/password-reset" | "/api/v1/auth/unlock" => {
            json!({ "email": "owner@acme.example" })
        }
        "/api/v1/auth/password-reset/confirm" => {
            json!({ "token": "unknown", "password": PASSWORD })
        }
        "/api/v1/auth/sign-up/confirm" => json!({ "token": "unknown" }),
        "/api/v1/auth/second-factor" | "/api/v1/me/totp/confirm" => json!({ "code": "000000" }),
        "/api/v1/me/password" => {
            json!({ "current_password": "not my password", "new_password": PASSWORD })
        }
        "/api/v1/me/totp/disable" => json!({ "password": "not my password" }),
        "/api/v1/me/tokens" => json!({ "name": format!("t{n}"), "scope": "read" }),
        "/api/v1/orgs" => json!({ "name": format!("Org {n}"), "handle": format!("org-{n}") }),
        "/api/v1/orgs/{org}" => json!({ "name": "Acme Renamed" }),
        "/api/v1/orgs/{org}/profile" => json!({ "offerings": ["crm"], "listed": true }),
        "/api/v1/orgs/{org}/invitations" => json!({ "role": "sales" }),
        "/api/v1/orgs/{org}/connections" => {
            let (handle, _) = fresh_org(app, fx).await;
            json!({ "handle": handle })
        }
        "/api/v1/orgs/{org}/connections/via-link" => json!({ "token": fresh_link(app, fx).await }),
        "/api/v1/orgs/{org}/populations/{slug}" => {
            json!({ "label": "Big customers", "rule": { "base": "customer", "all": [] } })
        }
        "/api/v1/orgs/{org}/mappings/{partner}/sharing/{population}" => {
            json!({ "level": "counts" })
        }
        "/api/v1/orgs/{org}/partnerships" => {
            json!({ "name": format!("P{n}"), "partners": ["globex"] })
        }
        "/api/v1/orgs/{org}/partnerships/{id}/evidence" => {
            json!({ "stage": "knowledge", "text": "More evidence" })
        }
        "/api/v1/orgs/{org}/partnerships/{id}/evidence/{item_id}" => json!({ "met": true }),
        "/api/v1/orgs/{org}/partnerships/{id}/goals" => json!({
            "metric": "Sourced pipeline", "target": 100000, "unit": "EUR",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31" }),
        "/api/v1/orgs/{org}/partnerships/{id}/goals/{goal_id}/readings" => json!({ "value": 3 }),
        "/api/v1/orgs/{org}/partnerships/{id}/commitments/{kind}" => json!({ "amount": 2 }),
        "/api/v1/orgs/{org}/partnerships/{id}/exit" => json!({ "review": "It ran its course." }),
        "/api/v1/orgs/{org}/partnerships/{id}/roles/{role}" => json!({ "person": "Ann Sponsor" }),
        "/api/v1/orgs/{org}/partnerships/{id}/raci" => {
            json!({ "area": "Reporting", "letters": "RA" })
        }
        "/api/v1/orgs/{org}/partnerships/{id}/rules" => {
            json!({ "rules": { "channels": "A shared Slack channel" }, "time_zone": "Europe/Berlin" })
        }
        "/api/v1/orgs/{org}/partnerships/{id}/rules/approve" => json!({ "version": 1 }),
        "/api/v1/orgs/{org}/partnerships/{id}/breaches" => {
            json!({ "description": "A cold email blast" })
        }
        "/api/v1/orgs/{org}/partnerships/{id}/exit-strategy" => {
            json!({ "notice_days": 30, "triggers": [{ "kind": "goal_off_track" }] })
        }
        "/api/v1/orgs/{org}/partnerships/{id}/contributions" => {
            json!({ "kind": "events", "amount": 1 })
        }
        // The defaults again, and one answer: later fresh partnerships keep an open gate.
        "/api/v1/orgs/{org}/gate-templates" => json!({ "stages": { "awareness": [
            { "text": "Business objectives for partnering are written down", "fed_by": "drivers" },
            { "text": "An executive sponsor is named" } ] } }),
        "/api/v1/orgs/{org}/internal-assessment" => {
            json!({ "answers": { "drivers": "Reach new markets together" } })
        }
        "/api/v1/orgs/{org}/maturity" => json!({ "levels": {
            "strategy_icp": "coordinated", "value_proposition": "one_off", "programs_plays": "one_off",
            "journeys_handoffs": "one_off", "data_measurement": "coordinated", "governance_rhythm": "one_off" } }),
        "/api/v1/orgs/{org}/partnerships/{id}/risks"
        | "/api/v1/orgs/{org}/partnerships/{id}/risks/{risk_id}" => {
            json!({ "title": "Brand misalignment", "likelihood": "medium", "impact": "high" })
        }
        "/api/v1/orgs/{org}/mappings/{partner}/corrections" => {
            json!({ "kind": "wrong", "key": format!("wrong-{n}.example") })
        }
        "/api/v1/intake/{handle}" => json!({ "name": "Rita", "email": "not an address",
            "company": "Requesters Ltd", "kind": "event", "message": "Hello" }),
        "/api/v1/orgs/{org}/sent-requests" => json!({ "to": "globex", "request": {
            "name": "Ann Acme", "email": "ann@acme.example", "company": "Acme",
            "kind": "co_creation", "message": format!("A joint report, take {n}") } }),
        "/api/v1/orgs/{org}/intake" => {
            json!({ "open": true, "checklist": ["Shared values", "Audience fit"] })
        }
        "/api/v1/orgs/{org}/requests/{id}/assignee" => json!({ "assignee": null }),
        "/api/v1/orgs/{org}/requests/{id}/checks" => {
            json!({ "item": "Shared values", "verdict": "pass" })
        }
        "/api/v1/orgs/{org}/requests/{id}/decision" => json!({ "decision": "spam" }),
        "/api/v1/orgs/{org}/requests/{id}/partnership" => json!({}),
        _ => body,
    };
    (path, body)
}

fn outcome_of(reply: &Reply, web: bool) -> Option<Expect> {
    Some(match reply.status {
        200..=299 => Allowed,
        303 if web && reply.location().is_some_and(|l| l.starts_with("/sign-in")) => SignIn,
        303 if web => Allowed,
        401 => SignIn,
        403 => Forbidden,
        404 => Hidden,
        409 => Conflict,
        422 => Refused,
        _ => return None,
    })
}

/// The statuses an operation of the OpenAPI document lists.
fn documented_statuses(operation: &serde_json::Value) -> Vec<String> {
    operation["responses"]
        .as_object()
        .map(|responses| responses.keys().cloned().collect())
        .unwrap_or_default()
}

/// The status class each expected outcome is answered with.
fn documents(outcome: Expect, statuses: &[String]) -> bool {
    match outcome {
        Allowed => statuses.iter().any(|s| s.starts_with('2')),
        Forbidden => statuses.iter().any(|s| s == "403"),
        Hidden => statuses.iter().any(|s| s == "404"),
        SignIn => statuses.iter().any(|s| s == "401"),
        Conflict => statuses.iter().any(|s| s == "409"),
        Refused => statuses.iter().any(|s| s == "422"),
    }
}

both_backends! {
    async fn the_document_states_who_may_call_each_operation_and_what_it_answers(app) {
        let document = app.api().get("/api/v1/openapi.json").await.json;
        let problems: Vec<String> = comark_server::error::PROBLEM_TYPES.iter().map(|(_, status, _)| status.as_u16().to_string()).collect();
        let mut failures = Vec::new();
        let mut n_operations = 0;
        for (pattern, operations) in document["paths"].as_object().expect("paths") {
            for (method, operation) in operations.as_object().expect("operations") {
                let Some(anonymous) = api_expectation(method, pattern, Who::Anonymous) else {
                    failures.push(format!("{method} {pattern} is not in the authorization table"));
                    continue;
                };
                n_operations += 1;
                let statuses = documented_statuses(operation);
                let security = &operation["security"];
                if anonymous == SignIn {
                    if *security != json!([{ "bearer": [] }]) {
                        failures.push(format!("{method} {pattern} needs a token but states security {security}"));
                    }
                } else if *security != json!([{}]) {
                    failures.push(format!("{method} {pattern} is public but states security {security}"));
                }
                // Every outcome the table expects for anyone is a status the document lists.
                for who in EVERYONE {
                    let expected = api_expectation(method, pattern, who).expect("checked above");
                    if !documents(expected, &statuses) {
                        failures.push(format!("{method} {pattern}: {who:?} gets {expected:?}, which is not documented ({statuses:?})"));
                    }
                }
                // And every status the document lists is one comark answers with: a success,
                // or a problem type of its own, as a problem document.
                for status in &statuses {
                    if status.starts_with('2') {
                        continue;
                    }
                    if !problems.contains(status) {
                        failures.push(format!("{method} {pattern} lists {status}, which no problem type has"));
                    }
                    let content = &operation["responses"][status]["content"]["application/problem+json"]["schema"]["$ref"];
                    if content != "#/components/schemas/Problem" {
                        failures.push(format!("{method} {pattern}: {status} is not documented as a problem document"));
                    }
                    if operation["responses"][status]["description"].as_str().unwrap_or("").is_empty() {
                        failures.push(format!("{method} {pattern}: {status} has no description"));
                    }
                }
                // A JSON body can be malformed, too large, of another type, or wrong by field.
                if operation["requestBody"]["content"]["application/json"].is_object() {
                    for status in ["400", "413", "415", "422"] {
                        if !statuses.iter().any(|s| s == status) {
                            failures.push(format!("{method} {pattern} takes a JSON body but does not list {status}"));
                        }
                    }
                }
            }
        }
        assert!(n_operations > 90, "only {n_operations} operations");
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    }

    async fn every_api_route_answers_each_person_as_the_table_says(app) {
        let fx = Fixture::build(&app).await;
        let not_found = app.api_as(&fx.tokens[&Who::Owner]).get("/api/v1/orgs/no-such-org").await;
        assert_eq!(not_found.status, 404);
        let document = app.api().get("/api/v1/openapi.json").await.json;
        let mut failures = Vec::new();
        let mut n_checks = 0;
        for (pattern, operations) in document["paths"].as_object().expect("paths") {
            for method in operations.as_object().expect("operations").keys() {
                if api_expectation(method, pattern, Who::Owner).is_none() {
                    failures.push(format!("{method} {pattern} is not in the authorization table"));
                    continue;
                }
                for who in EVERYONE {
                    let expected = api_expectation(method, pattern, who).expect("checked above");
                    let (path, body) = concrete(&app, &fx, method, pattern).await;
                    // Signing out ends the session: use a fresh one so later checks keep theirs.
                    let token = if pattern == "/api/v1/auth/sign-out" && who != Who::Anonymous {
                        let reply = app.api().post("/api/v1/auth/sign-in", json!({ "email": fx.emails[&who], "password": PASSWORD })).await;
                        Some(reply.json["token"].as_str().expect("token").to_owned())
                    } else {
                        fx.token(who).filter(|_| who != Who::Anonymous).map(str::to_owned)
                    };
                    let api = match &token { Some(token) => app.api_as(token), None => app.api() };
                    let method_upper = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                    let send_body = if method == "get" || method == "delete" { None } else { Some(body) };
                    let reply = api.send(method_upper, &path, send_body).await;
                    n_checks += 1;
                    if !documented_statuses(&operations[method]).contains(&reply.status.to_string()) {
                        failures.push(format!("{method} {pattern} answered {} to {who:?}, which its document does not list", reply.status));
                    }
                    let actual = outcome_of(&reply, false);
                    if actual != Some(expected) {
                        failures.push(format!("{method} {path} as {who:?}: expected {expected:?}, got {} {}", reply.status, reply.text));
                    }
                    if reply.status == 404 && reply.text != not_found.text {
                        failures.push(format!("{method} {path} as {who:?}: 404 body differs from not-found: {}", reply.text));
                    }
                }
            }
        }
        assert!(n_checks > 250, "only {n_checks} checks ran");
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    }

    async fn every_web_route_answers_each_person_as_the_table_says(app) {
        let fx = Fixture::build(&app).await;
        let mut browsers: BTreeMap<Who, Browser> = BTreeMap::new();
        for who in EVERYONE {
            let browser = app.browser();
            if who != Who::Anonymous {
                browser.sign_in(&fx.emails[&who], PASSWORD).await;
            }
            browsers.insert(who, browser);
        }
        let not_found = browsers[&Who::Owner].get("/o/no-such-org").await;
        assert_eq!(not_found.status, 404);
        let mut failures = Vec::new();
        for (method, pattern) in comark_server::web::route_table() {
            let method = method.as_str().to_owned();
            if web_expectation(&method, pattern, Who::Owner).is_none() {
                failures.push(format!("{method} {pattern} is not in the authorization table"));
                continue;
            }
            for who in EVERYONE {
                let expected = web_expectation(&method, pattern, who).expect("checked above");
                let (path, _) = concrete(&app, &fx, &method, pattern).await;
                let session_route = ["/sign-up", "/sign-in", "/sign-in/second-factor", "/sign-out", "/forgot-password", "/reset-password/{token}"];
                let browser = if session_route.contains(&pattern) {
                    // Signing up, in or out replaces the session: use a fresh browser.
                    let fresh = app.browser();
                    if who != Who::Anonymous { fresh.sign_in(&fx.emails[&who], PASSWORD).await; }
                    fresh
                } else {
                    browsers[&who].clone()
                };
                let fields: Vec<(&str, String)> = match pattern {
                    "/sign-up" => vec![("name", "New".into()), ("email", format!("web{}@example.com", fx.next())), ("password", PASSWORD.into())],
                    "/sign-in" => vec![("email", fx.emails[&Who::Owner].clone()), ("password", PASSWORD.into())],
                    "/forgot-password" | "/sign-in/unlock" => vec![("email", "someone@example.com".into())],
                    "/reset-password/{token}" => vec![("password", PASSWORD.into())],
                    "/sign-in/second-factor" | "/account/totp/confirm" => vec![("code", "000000".into())],
                    "/account/password" => vec![("current_password", "wrong".into()), ("new_password", PASSWORD.into())],
                    "/account/totp/disable" => vec![("password", "wrong".into())],
                    "/account/tokens" => vec![("name", "web".into()), ("scope", "read".into())],
                    "/orgs/new" => vec![("name", format!("Web Org {}", fx.next()))],
                    "/o/{org}/members/{user_id}/role" => vec![("role", "sales".into())],
                    "/o/{org}/invitations" => vec![("role", "sales".into())],
                    "/o/{org}/settings" => vec![("name", "Acme Web".into())],
                    "/o/{org}/profile" => vec![("offerings", "crm".into()), ("offers", "content".into())],
                    "/o/{org}/partners" => vec![("handle", fresh_org(&app, &fx).await.0)],
                    "/connect/{token}" => vec![("org", "acme".into())],
                    "/o/{org}/accounts/imports/{import_id}/start" => vec![("col_name", "Company name".into())],
                    "/o/{org}/accounts/populations" => vec![("slug", format!("web-{}", fx.next())), ("label", "Web".into()), ("base", "customer".into())],
                    "/o/{org}/partners/{partner}/corrections" => vec![("kind", "wrong".into()), ("key", format!("web-{}.example", fx.next()))],
                    _ => vec![],
                };
                let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let reply = if method == "GET" { browser.get(&path).await } else { browser.submit(&path, &fields).await };
                let actual = outcome_of(&reply, true);
                if actual != Some(expected) {
                    failures.push(format!("{method} {path} as {who:?}: expected {expected:?}, got {} {:?}", reply.status, reply.location()));
                }
                if reply.status == 404 && reply.text != not_found.text {
                    failures.push(format!("{method} {path} as {who:?}: 404 page differs from the not-found page"));
                }
            }
        }
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    }

    async fn state_changing_web_requests_without_the_csrf_token_are_refused(app) {
        let owner = app.owner_of("acme").await;
        drop(owner);
        let browser = app.browser();
        browser.sign_in("owner@acme.example", PASSWORD).await;
        for (method, pattern) in comark_server::web::route_table() {
            if method != reqwest::Method::POST {
                continue;
            }
            let path = pattern.replace("{org}", "acme");
            let reply = browser.submit_raw(&path, &[("name", "x")]).await;
            assert_eq!(reply.status, 403, "POST {path} without a CSRF token was not refused");
            let forged = browser.submit_raw(&path, &[("_csrf", "forged-token-forged-token-forged-token")]).await;
            assert_eq!(forged.status, 403, "POST {path} with a forged CSRF token was not refused");
        }
    }
}
