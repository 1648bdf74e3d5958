//! The demo ecosystem: four organizations with people in every role, some connected.
//! Loading it twice changes nothing.

use comark_domain::{ConnectionTransition, Role};
use comark_store::{Actor, Organization};

use crate::secrets::hash_password;
use crate::{App, AppError, Result};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "comark-demo-password";

/// The demo organizations: handle, name, and the e-mail domain of their people.
pub const DEMO_ORGS: [(&str, &str, &str); 4] = [
    ("northwind", "Northwind Software", "northwind.example"),
    ("brightlane", "Brightlane Agency", "brightlane.example"),
    ("bazaar", "Bazaar Cloud Marketplace", "bazaar.example"),
    ("meridian", "Meridian Consulting", "meridian.example"),
];

const PEOPLE: [(&str, &str, Role); 6] = [
    ("owner", "Olivia Owner", Role::Owner),
    ("admin", "Adam Admin", Role::Admin),
    ("partners", "Priya Partner-Manager", Role::PartnerManager),
    ("marketing", "Marco Marketer", Role::Marketer),
    ("sales", "Sofia Sales", Role::Sales),
    ("exec", "Evan Executive", Role::Executive),
];

/// One demo sign-in, for the printout.
#[derive(Debug)]
pub struct DemoLogin {
    /// The organization's handle.
    pub org: String,
    /// The account's e-mail.
    pub email: String,
    /// Its role.
    pub role: Role,
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// Loads the demo ecosystem (idempotently) and returns its sign-ins.
pub async fn load(app: &App) -> Result<Vec<DemoLogin>> {
    let store = &app.store;
    let hash = hash_password(DEMO_PASSWORD.to_owned()).await?;
    let actor = Actor {
        user_id: None,
        label: "demo loader".into(),
        ip: None,
    };
    let mut logins = Vec::new();
    let mut orgs: Vec<Organization> = Vec::new();
    for (handle, name, domain) in DEMO_ORGS {
        let mut people = Vec::new();
        for (local, person, role) in PEOPLE {
            let email = format!("{local}@{domain}");
            let user = match store.user_by_email(&email).await? {
                Some(user) => user,
                None => store.create_user(&email, person, &hash).await?,
            };
            people.push((user, role));
            logins.push(DemoLogin {
                org: handle.to_owned(),
                email,
                role,
            });
        }
        let org = match store.org_by_handle(handle).await? {
            Some(org) => org,
            None => {
                store
                    .create_organization(name, handle, people[0].0.id, &actor)
                    .await?
            }
        };
        let scope = store
            .admin_scope(handle)
            .await?
            .ok_or_else(|| internal("demo organization vanished"))?;
        let members = store.org(&scope).members().await?;
        for (user, role) in &people {
            if members.iter().any(|m| m.user_id == user.id) {
                continue;
            }
            // Members join the way real ones do: through an invitation.
            let token = crate::secrets::new_token("");
            store
                .org(&scope)
                .create_invitation(
                    Some(&user.email),
                    *role,
                    &crate::secrets::hash_token(&token),
                    comark_store::now() + chrono::Duration::days(1),
                    &actor,
                    None,
                )
                .await?;
            store
                .accept_invitation(&crate::secrets::hash_token(&token), user, &actor)
                .await?;
        }
        orgs.push(org);
    }
    for (org, input) in orgs.iter().zip(demo_profiles()) {
        let scope = store
            .admin_scope(&org.handle)
            .await?
            .ok_or_else(|| internal("demo organization vanished"))?;
        if store.org(&scope).profile().await?.is_none() {
            let profile = input.parse().map_err(|e| internal(e.to_string()))?;
            store
                .org(&scope)
                .save_profile(&profile, input.listed, &actor)
                .await?;
        }
    }
    // Northwind works with Brightlane and Bazaar; Meridian has asked Northwind to connect.
    for (from, to, accept) in [(0usize, 1usize, true), (0, 2, true), (3, 0, false)] {
        let scope = store
            .admin_scope(&orgs[from].handle)
            .await?
            .ok_or_else(|| internal("demo organization vanished"))?;
        let open = store
            .org(&scope)
            .connections()
            .await?
            .into_iter()
            .any(|c| c.partner_id == orgs[to].id && c.status.is_open());
        if open {
            continue;
        }
        let connection = store
            .org(&scope)
            .request_connection(&orgs[to], Some("Let's market together."), &actor)
            .await?;
        if accept {
            let their_scope = store
                .admin_scope(&orgs[to].handle)
                .await?
                .ok_or_else(|| internal("demo organization vanished"))?;
            store
                .org(&their_scope)
                .transition_connection(connection.id, ConnectionTransition::Accept, &actor)
                .await?;
        }
    }
    load_accounts(app, &actor).await?;
    load_partnerships(app, &actor).await?;
    load_requests(app, &actor).await?;
    Ok(logins)
}

/// Northwind's open request form with three requests waiting: from Brightlane and Meridian
/// (sent signed in, so their fit shows) and from an events company not on the instance.
/// Only on the first load.
async fn load_requests(app: &App, actor: &Actor) -> Result<()> {
    use comark_domain::intake::RequestForm;
    let northwind = app
        .store
        .admin_scope("northwind")
        .await?
        .ok_or_else(|| internal("demo organization vanished"))?;
    if !crate::intake::list(app, &northwind, None).await?.is_empty() {
        return Ok(());
    }
    let checklist: Vec<String> = comark_domain::intake::DEFAULT_CHECKLIST
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    crate::intake::save_settings(
        app,
        &northwind,
        true,
        "Northwind partners with agencies, marketplaces and consultancies that serve revenue teams. Tell us what you have in mind.",
        &checklist,
        actor,
    )
    .await?;
    let requests = [
        (Some("brightlane"), "Bea Brightlane", "partners@brightlane.example", "Brightlane Agency", "co_branding",
         "A co-branded \"State of RevOps\" report, written together and launched at both our events."),
        (Some("meridian"), "Mo Meridian", "partners@meridian.example", "Meridian Consulting", "co_selling",
         "Joint account plans for ten healthcare accounts where we both have sponsors."),
        (None, "Lena Lumen", "lena@lumen-events.example", "Lumen Events", "event",
         "A RevOps breakfast roundtable in Berlin in the spring, co-hosted with two partners."),
    ];
    for (handle, name, email, company, kind, message) in requests {
        let proposal = RequestForm {
            name: name.into(),
            email: email.into(),
            company: company.into(),
            kind: kind.into(),
            audience: "Revenue and marketing operations leaders".into(),
            message: message.into(),
            ..Default::default()
        }
        .parse()?;
        let requester = match handle {
            Some(handle) => app.store.org_by_handle(handle).await?.map(|o| o.id),
            None => None,
        };
        app.store
            .submit_request(
                comark_store::intake::NewRequest {
                    id: comark_domain::RequestId::new(),
                    org: northwind.org_id(),
                    proposal: &proposal,
                    requester,
                    spam_reason: None,
                    actor: name,
                },
                &[],
            )
            .await?;
    }
    Ok(())
}

/// Two demo partnerships of Northwind's: with Brightlane, working together after both
/// approved partner selection; with Bazaar, still at the knowledge stage. Only on the first load.
async fn load_partnerships(app: &App, actor: &Actor) -> Result<()> {
    use crate::partnerships::{self, NewPartnership};
    let scope_of = |handle: &'static str| async move {
        app.store
            .admin_scope(handle)
            .await?
            .ok_or_else(|| internal("demo organization vanished"))
    };
    let northwind = scope_of("northwind").await?;
    if !partnerships::list(app, &northwind).await?.is_empty() {
        return Ok(());
    }
    let plans = [
        (
            "brightlane",
            "Co-hosted webinar series",
            "Four joint webinars a year for revenue leaders in SaaS and healthcare.",
            comark_domain::partnership::Stage::WorkingTogether,
        ),
        (
            "bazaar",
            "Marketplace launch",
            "List Northwind on the Bazaar marketplace with a co-branded launch campaign.",
            comark_domain::partnership::Stage::Knowledge,
        ),
    ];
    for (partner, name, purpose, target) in plans {
        let input = NewPartnership {
            name: name.into(),
            purpose: purpose.into(),
            partners: vec![partner.into()],
        };
        let created = partnerships::create(app, &northwind, input, actor).await?;
        let id = created.partnership.id;
        let partner_scope = scope_of(partner).await?;
        loop {
            let detail = partnerships::get(app, &northwind, id).await?;
            let stage = detail.partnership.stage;
            if stage >= target {
                break;
            }
            for item in detail
                .gates
                .iter()
                .filter(|g| g.stage == stage && g.met.is_none())
            {
                partnerships::set_evidence(app, &northwind, id, item.id, true, actor).await?;
            }
            partnerships::advance(app, &northwind, id, "demo", actor).await?;
            if stage.joint() {
                partnerships::advance(app, &partner_scope, id, "demo", actor).await?;
            }
        }
    }
    Ok(())
}

const PREFIXES: [&str; 20] = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Vandelay",
    "Pied Piper",
    "Massive",
    "Aperture",
    "Oscorp",
    "Gringotts",
    "Monarch",
    "Virtucon",
    "Nakatomi",
];
const SUFFIXES: [&str; 10] = [
    "Labs",
    "Systems",
    "Foods",
    "Logistics",
    "Health",
    "Retail",
    "Energy",
    "Media",
    "Finance",
    "Robotics",
];

/// A CRM export for one demo organization: a Salesforce report for Northwind, HubSpot
/// exports for the others, drawn from one pool of 200 companies so they overlap.
fn demo_crm_export(org: usize) -> String {
    let (header, step, offset, count) = match org {
        0 => (
            "Account ID,Account Name,Website,Type,Account Owner,Industry\n",
            1,
            0,
            120,
        ),
        1 => (
            "Record ID,Company name,Company Domain Name,Lifecycle Stage,Company owner,Industry\n",
            3,
            7,
            60,
        ),
        _ => (
            "Record ID,Company name,Company Domain Name,Lifecycle Stage,Company owner,Industry\n",
            2,
            11,
            70,
        ),
    };
    let populations: [[&str; 3]; 3] = [
        ["Customer - Direct", "Prospect", "Opportunity"],
        ["customer", "opportunity", "salesqualifiedlead"],
        ["customer", "lead", "opportunity"],
    ];
    let owners = ["Ann", "Bob", "Chen", "Dara", "Eli"];
    let mut csv = header.to_owned();
    for n in 0..count {
        let company = (offset + n * step) % 200;
        let name = format!("{} {}", PREFIXES[company % 20], SUFFIXES[company / 20]);
        let domain = format!("{}.com", name.to_lowercase().replace(' ', ""));
        // Each CRM writes websites its own way; matching has to see through it.
        let website = match (org, n % 3) {
            (0, 0) => format!("https://www.{domain}/"),
            (0, _) => domain.clone(),
            (_, 1) => domain.to_uppercase(),
            _ => domain.clone(),
        };
        csv.push_str(&format!(
            "{}-{company},{name},{website},{},{},{}\n",
            ["N", "B", "Z"][org.min(2)],
            populations[org.min(2)][(company * 7 + org) % 3],
            owners[(company + org) % 5],
            SUFFIXES[company / 20]
        ));
    }
    csv
}

/// One population shared at one level, with its fields.
type DemoShare = (&'static str, &'static str, &'static [&'static str]);

/// Imports demo accounts for Northwind, Brightlane and Bazaar, shares some of them, and
/// computes the mappings; only on the first load.
async fn load_accounts(app: &App, actor: &Actor) -> Result<()> {
    use crate::accounts;
    let store = &app.store;
    for (at, (handle, _, _)) in DEMO_ORGS.iter().enumerate().take(3) {
        let scope = store
            .admin_scope(handle)
            .await?
            .ok_or_else(|| internal("demo organization vanished"))?;
        if store.org(&scope).account_book().await?.accounts > 0 {
            continue;
        }
        let csv = demo_crm_export(at).into_bytes();
        let record = accounts::begin_upload(app, &scope, "demo-crm.csv", None, actor).await?;
        accounts::confirm(app, &scope, record.id, Default::default(), &csv).await?;
        let size = csv.len() as u64;
        accounts::import_from(
            app,
            &scope,
            record.id,
            std::io::Cursor::new(csv),
            size,
            actor,
            |_| {},
        )
        .await?
        .map_err(|e| internal(format!("{e:?}")))?;
        let (partners, shares): (&[&str], &[DemoShare]) = match at {
            0 => (
                &["brightlane", "bazaar"],
                &[
                    ("customer", "overlaps", &[]),
                    ("opportunity", "counts", &[]),
                    ("prospect", "counts", &[]),
                ],
            ),
            _ => (
                &["northwind"],
                &[
                    ("customer", "overlaps_with_fields", &["owner", "industry"]),
                    ("opportunity", "overlaps", &[]),
                    ("prospect", "counts", &[]),
                ],
            ),
        };
        for partner in partners {
            for (population, level, fields) in shares {
                let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
                accounts::set_sharing(app, &scope, partner, population, level, &fields, actor)
                    .await?;
            }
        }
    }
    // Compute the mappings now, so the demo shows them even before a worker runs.
    let scope = store
        .admin_scope("northwind")
        .await?
        .ok_or_else(|| internal("demo organization vanished"))?;
    for connection in store.org(&scope).connections().await? {
        if connection.status == comark_domain::ConnectionStatus::Accepted {
            accounts::recompute(app, connection.id).await?;
        }
    }
    Ok(())
}

fn words(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

/// Profiles for the demo organizations, in [`DEMO_ORGS`] order, all listed in the directory.
fn demo_profiles() -> Vec<crate::profiles::ProfileInput> {
    use crate::profiles::ProfileInput;
    let profile = |kind: &str,
                   offerings: &[&str],
                   industries: &[&str],
                   values: &[&str],
                   offers: &[&str],
                   looking_for: &[&str],
                   seeks: &[&str]| ProfileInput {
        kind: Some(kind.to_owned()),
        offerings: words(offerings),
        industries: words(industries),
        company_sizes: words(&["51-500", "501-5000"]),
        regions: words(&["emea", "north america"]),
        roles: words(&["cmo", "head of revenue operations"]),
        values: words(values),
        avoids: words(&["gambling"]),
        practices: Vec::new(),
        offers: words(offers),
        looking_for: words(looking_for),
        seeks_kinds: words(seeks),
        newsletter_subscribers: Some(12_000 * (offers.len() as u64 + 1)),
        social_followers: Some(5_000 * (offerings.len() as u64 + 2)),
        events_per_year: Some(4 * offers.len() as u64),
        listed: true,
    };
    vec![
        profile(
            "technology",
            &["revenue analytics software"],
            &["saas", "fintech", "healthcare"],
            &["privacy", "openness"],
            &["webinars", "integration", "co_selling"],
            &["content", "events"],
            &["agency", "services", "channel"],
        ),
        profile(
            "agency",
            &["content marketing", "event production"],
            &["saas", "healthcare"],
            &["craft", "privacy"],
            &["content", "events", "social"],
            &["webinars", "co_selling"],
            &["technology"],
        ),
        profile(
            "channel",
            &["software marketplace"],
            &["saas", "fintech", "retail"],
            &["openness", "speed"],
            &["newsletter", "paid_media"],
            &["integration", "content"],
            &["technology"],
        ),
        profile(
            "services",
            &["revenue operations consulting"],
            &["fintech", "healthcare"],
            &["privacy", "rigour"],
            &["co_selling", "content"],
            &["integration"],
            &["technology"],
        ),
    ]
}
