//! The internal assessment ISO 44001 asks of an organization before it selects a partner:
//! its drivers for partnering, vision and values, strengths and weaknesses, the people with
//! their skills and collaborative maturity, and the questions a partnership manager asks of
//! their own team. Its sections feed the first three gates of every partnership (the
//! awareness, knowledge and internal assessment gates), and each organization keeps its own
//! template of the evidence its new partnerships' gates start with.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::partnership::Stage;
use crate::ValidationErrors;

/// A section of the internal assessment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Why the organization wants to partner.
    Drivers,
    /// Where partnering should take it, and what it stands for.
    VisionValues,
    /// What it is good at.
    Strengths,
    /// Where it falls short.
    Weaknesses,
    /// Who would work on partnerships, their skills, and the team's collaborative maturity.
    People,
    /// How the team works: roles, ownership, mistakes, tools.
    Team,
}

impl Section {
    /// Every section, in the order the assessment asks them.
    pub const ALL: [Section; 6] = [
        Section::Drivers,
        Section::VisionValues,
        Section::Strengths,
        Section::Weaknesses,
        Section::People,
        Section::Team,
    ];

    /// The stable name used in the API, forms and anchors.
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Drivers => "drivers",
            Section::VisionValues => "vision_values",
            Section::Strengths => "strengths",
            Section::Weaknesses => "weaknesses",
            Section::People => "people",
            Section::Team => "team",
        }
    }

    /// Reads a stable name.
    pub fn parse(raw: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Section::Drivers => "Drivers for partnering",
            Section::VisionValues => "Vision and values",
            Section::Strengths => "Strengths",
            Section::Weaknesses => "Weaknesses",
            Section::People => "People, skills and collaborative maturity",
            Section::Team => "How your team works",
        }
    }

    /// What the section asks, in one sentence.
    pub fn intro(self) -> &'static str {
        match self {
            Section::Drivers => "Why your organization wants to partner: the business objectives partnering should serve.",
            Section::VisionValues => "Where partnering should take you, and what you stand for.",
            Section::Strengths => "What you are good at, and what it could bring to a partnership.",
            Section::Weaknesses => "Where you fall short, and what that risks in a partnership.",
            Section::People => "Who would work on partnerships, what they are good at, and how used your team is to collaborating.",
            Section::Team => "The questions a partnership manager asks of their own team.",
        }
    }
}

/// One answer to choose from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The stable name stored.
    pub value: &'static str,
    /// What people read.
    pub label: &'static str,
    /// Whether this answer points at something to work on before partnering.
    pub concern: bool,
}

/// One question of the assessment: free text, or one of its choices (with an optional note).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Question {
    /// The stable name used in the API and forms.
    pub key: &'static str,
    /// The section it belongs to.
    pub section: Section,
    /// The question as asked.
    pub prompt: &'static str,
    /// An example or a hint; may be empty.
    pub hint: &'static str,
    /// The answers to choose from; empty for a free-text question.
    pub choices: &'static [Choice],
}

impl Question {
    /// Whether the answer is one of the choices (rather than free text).
    pub fn is_choice(&self) -> bool {
        !self.choices.is_empty()
    }

    /// The choice stored as `value`.
    pub fn choice(&self, value: &str) -> Option<&'static Choice> {
        self.choices.iter().find(|c| c.value == value)
    }
}

const fn choice(value: &'static str, label: &'static str, concern: bool) -> Choice {
    Choice {
        value,
        label,
        concern,
    }
}

/// The levels of a team's collaborative maturity, lowest first (1 to 5).
pub const MATURITY_LEVELS: [Choice; 5] = [
    choice(
        "initial",
        "1 · Initial: partnering depends on a few people, case by case",
        true,
    ),
    choice(
        "developing",
        "2 · Developing: some habits repeat, but each partnership runs its own way",
        false,
    ),
    choice(
        "defined",
        "3 · Defined: a written way of partnering, with named roles and training",
        false,
    ),
    choice(
        "managed",
        "4 · Managed: partnerships are measured and reviewed together, as a portfolio",
        false,
    ),
    choice(
        "embedded",
        "5 · Embedded: collaborating is part of the culture and keeps improving",
        false,
    ),
];

/// Every question, in the order the assessment asks them.
pub const QUESTIONS: [Question; 11] = [
    Question {
        key: "drivers",
        section: Section::Drivers,
        prompt: "Why do you want to partner? Which business objectives should partnering serve?",
        hint: "For example: reach a new segment, fill a gap in the offering, share the cost of demand generation.",
        choices: &[],
    },
    Question {
        key: "vision",
        section: Section::VisionValues,
        prompt: "What is your vision for partnering: where should it take you in two or three years?",
        hint: "",
        choices: &[],
    },
    Question {
        key: "values",
        section: Section::VisionValues,
        prompt: "Which values do you hold, and expect a partner to share?",
        hint: "For example: customer first, open about numbers, no poaching of each other's accounts.",
        choices: &[],
    },
    Question {
        key: "strengths",
        section: Section::Strengths,
        prompt: "What are you good at, and what value could partnering create with it?",
        hint: "For example: a loyal mid-market audience, strong content, a sales team that closes.",
        choices: &[],
    },
    Question {
        key: "weaknesses",
        section: Section::Weaknesses,
        prompt: "Where do you fall short, and which risks does that bring to a partnership?",
        hint: "For example: no events team, slow legal reviews, few people who have worked with partners.",
        choices: &[],
    },
    Question {
        key: "collaborative_maturity",
        section: Section::People,
        prompt: "How mature is your team at collaborating with other organizations?",
        hint: "",
        choices: &MATURITY_LEVELS,
    },
    Question {
        key: "roles",
        section: Section::Team,
        prompt: "Are roles and responsibilities clearly defined, or do they overlap?",
        hint: "",
        choices: &[
            choice("clear", "Clearly defined", false),
            choice("overlapping", "Defined, but they overlap", true),
            choice("undefined", "Not defined", true),
        ],
    },
    Question {
        key: "who_does_what",
        section: Section::Team,
        prompt: "Does everyone know who does what?",
        hint: "",
        choices: &[
            choice("everyone", "Everyone knows", false),
            choice("some", "Some people know", true),
            choice("nobody", "Hardly anyone knows", true),
        ],
    },
    Question {
        key: "unowned_areas",
        section: Section::Team,
        prompt: "Which areas have no owner?",
        hint: "Write “none” when every area has one.",
        choices: &[],
    },
    Question {
        key: "mistakes",
        section: Section::Team,
        prompt: "How does your culture treat mistakes?",
        hint: "",
        choices: &[
            choice("learn", "They are talked about openly and learned from", false),
            choice("hidden", "They are fixed quietly and seldom discussed", true),
            choice("blamed", "Someone gets the blame", true),
        ],
    },
    Question {
        key: "tools",
        section: Section::Team,
        prompt: "Do your tools help or get in the way?",
        hint: "",
        choices: &[
            choice("help", "They help", false),
            choice("mixed", "Some help, some get in the way", true),
            choice("hinder", "They get in the way", true),
        ],
    },
];

/// The longest free-text answer, in characters.
pub const MAX_ANSWER: usize = 4000;
/// The longest note on a choice, in characters.
pub const MAX_NOTE: usize = 1000;
/// The most people an assessment lists.
pub const MAX_PEOPLE: usize = 50;

/// The question named `key`.
pub fn question(key: &str) -> Option<&'static Question> {
    QUESTIONS.iter().find(|q| q.key == key)
}

/// The questions of one section, in order.
pub fn questions_of(section: Section) -> impl Iterator<Item = &'static Question> {
    QUESTIONS.iter().filter(move |q| q.section == section)
}

/// A person who would work on partnerships.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Person {
    /// Their name.
    pub name: String,
    /// Their role or job title.
    pub role: String,
    /// What they are good at, for partnering.
    pub skills: String,
}

/// One version of the assessment's answers (or, before [`Answers::parse`], what was sent).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Answers {
    /// Question key to the answer: free text, or the stable name of a choice.
    pub answers: BTreeMap<String, String>,
    /// Question key to a note on a choice ("what makes you say so").
    pub notes: BTreeMap<String, String>,
    /// The people who would work on partnerships.
    pub people: Vec<Person>,
}

/// Trims `raw`; over `max` characters records `message` under `field`.
fn bounded(errors: &mut ValidationErrors, field: String, raw: &str, max: usize) -> String {
    let text = raw.trim();
    if text.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
    }
    text.to_owned()
}

impl Answers {
    /// Checks what was sent: known questions only, choices among their choices, notes only on
    /// questions with choices, sensible lengths, a name for every person listed. Blank answers,
    /// notes and people rows are dropped. Something must be answered.
    pub fn parse(raw: Answers) -> Result<Answers, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut out = Answers::default();
        for (key, value) in &raw.answers {
            let field = format!("answers.{key}");
            let Some(q) = question(key) else {
                errors.add(field, "is not a question of the internal assessment");
                continue;
            };
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if q.is_choice() {
                if q.choice(value).is_none() {
                    let names: Vec<&str> = q.choices.iter().map(|c| c.value).collect();
                    errors.add(field, format!("must be one of {}", names.join(", ")));
                    continue;
                }
                out.answers.insert(key.clone(), value.to_owned());
            } else {
                let text = bounded(&mut errors, field, value, MAX_ANSWER);
                out.answers.insert(key.clone(), text);
            }
        }
        for (key, note) in &raw.notes {
            let field = format!("notes.{key}");
            match question(key) {
                None => errors.add(field, "is not a question of the internal assessment"),
                Some(q) if !q.is_choice() => {
                    if !note.trim().is_empty() {
                        errors.add(field, "notes go with questions that have choices");
                    }
                }
                Some(_) => {
                    let note = bounded(&mut errors, field, note, MAX_NOTE);
                    if !note.is_empty() {
                        out.notes.insert(key.clone(), note);
                    }
                }
            }
        }
        for (at, person) in raw.people.iter().enumerate() {
            let name = bounded(&mut errors, format!("people.{at}.name"), &person.name, 120);
            let role = bounded(&mut errors, format!("people.{at}.role"), &person.role, 120);
            let skills = bounded(
                &mut errors,
                format!("people.{at}.skills"),
                &person.skills,
                MAX_NOTE,
            );
            if name.is_empty() && role.is_empty() && skills.is_empty() {
                continue;
            }
            if name.is_empty() {
                errors.add(format!("people.{at}.name"), "name the person");
            }
            out.people.push(Person { name, role, skills });
        }
        if out.people.len() > MAX_PEOPLE {
            errors.add("people", format!("list at most {MAX_PEOPLE} people"));
        }
        if errors.0.is_empty() && out.is_empty() {
            errors.add("answers", "answer at least one question");
        }
        errors.into_result()?;
        Ok(out)
    }

    /// Whether nothing is answered.
    pub fn is_empty(&self) -> bool {
        self.answers.values().all(|a| a.trim().is_empty()) && self.people.is_empty()
    }

    /// The answer to `key`, when there is one.
    pub fn answer(&self, key: &str) -> Option<&str> {
        self.answers
            .get(key)
            .map(|a| a.trim())
            .filter(|a| !a.is_empty())
    }

    /// The note on the choice made for `key`, when there is one.
    pub fn note(&self, key: &str) -> Option<&str> {
        self.notes
            .get(key)
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
    }

    /// What is still missing in `section`, in words (the questions' prompts, and the people).
    pub fn missing(&self, section: Section) -> Vec<&'static str> {
        let mut missing: Vec<&'static str> = questions_of(section)
            .filter(|q| self.answer(q.key).is_none())
            .map(|q| q.prompt)
            .collect();
        if section == Section::People && !self.people.iter().any(|p| !p.name.trim().is_empty()) {
            missing.insert(0, "Who would work on partnerships, with their skills?");
        }
        missing
    }

    /// Whether every question of `section` is answered (and, for people, someone is listed).
    pub fn section_complete(&self, section: Section) -> bool {
        self.missing(section).is_empty()
    }

    /// Whether every section is complete.
    pub fn complete(&self) -> bool {
        Section::ALL.into_iter().all(|s| self.section_complete(s))
    }

    /// How many sections are complete, of how many.
    pub fn progress(&self) -> (usize, usize) {
        let done = Section::ALL
            .into_iter()
            .filter(|s| self.section_complete(*s))
            .count();
        (done, Section::ALL.len())
    }

    /// Whether the answers provide the evidence `feed` stands for.
    pub fn satisfies(&self, feed: Feed) -> bool {
        match feed.section() {
            Some(section) => self.section_complete(section),
            None => self.complete(),
        }
    }

    /// Every feed these answers satisfy.
    pub fn satisfied(&self) -> Vec<Feed> {
        Feed::ALL
            .into_iter()
            .filter(|f| self.satisfies(*f))
            .collect()
    }

    /// The team's collaborative maturity, 1 to 5, with its label.
    pub fn maturity(&self) -> Option<(usize, &'static str)> {
        let chosen = self.answer("collaborative_maturity")?;
        MATURITY_LEVELS
            .iter()
            .position(|c| c.value == chosen)
            .map(|at| (at + 1, MATURITY_LEVELS[at].label))
    }

    /// The answers that point at something to work on before partnering: (question, choice).
    pub fn concerns(&self) -> Vec<(&'static Question, &'static Choice)> {
        QUESTIONS
            .iter()
            .filter_map(|q| {
                let chosen = q.choice(self.answer(q.key)?)?;
                chosen.concern.then_some((q, chosen))
            })
            .collect()
    }
}

/// What meets a gate item automatically: one section of the internal assessment, or the
/// whole of it, once answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feed {
    /// The drivers for partnering are answered.
    Drivers,
    /// The vision and values are answered.
    VisionValues,
    /// The strengths are answered.
    Strengths,
    /// The weaknesses are answered.
    Weaknesses,
    /// The people, their skills and the team's maturity are answered.
    People,
    /// The questions about the team are answered.
    Team,
    /// Every section is answered.
    Complete,
}

impl Feed {
    /// Every feed, in the assessment's order.
    pub const ALL: [Feed; 7] = [
        Feed::Drivers,
        Feed::VisionValues,
        Feed::Strengths,
        Feed::Weaknesses,
        Feed::People,
        Feed::Team,
        Feed::Complete,
    ];

    /// The stable name stored and used in the API and forms.
    pub fn as_str(self) -> &'static str {
        match self.section() {
            Some(section) => section.as_str(),
            None => "complete",
        }
    }

    /// Reads a stable name.
    pub fn parse(raw: &str) -> Option<Feed> {
        Feed::ALL.into_iter().find(|f| f.as_str() == raw.trim())
    }

    /// The section whose answers meet it; none for the whole assessment.
    pub fn section(self) -> Option<Section> {
        match self {
            Feed::Drivers => Some(Section::Drivers),
            Feed::VisionValues => Some(Section::VisionValues),
            Feed::Strengths => Some(Section::Strengths),
            Feed::Weaknesses => Some(Section::Weaknesses),
            Feed::People => Some(Section::People),
            Feed::Team => Some(Section::Team),
            Feed::Complete => None,
        }
    }

    /// What people call it: the section's name, or "The whole assessment".
    pub fn label(self) -> &'static str {
        match self.section() {
            Some(section) => section.label(),
            None => "The whole assessment, complete",
        }
    }

    /// The anchor of its part of the assessment's page (`section-drivers`, `progress`).
    pub fn anchor(self) -> String {
        match self.section() {
            Some(section) => format!("section-{}", section.as_str()),
            None => "progress".to_owned(),
        }
    }
}

/// Whether the internal assessment may feed the gate of `stage`: the groundwork an
/// organization does before it selects a partner (awareness, knowledge, internal assessment).
pub fn feeds_gate(stage: Stage) -> bool {
    stage <= Stage::InternalAssessment
}

/// A piece of evidence a gate starts with, in an organization's template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateItem {
    /// What must be true.
    pub text: String,
    /// The part of the internal assessment that meets it, if any.
    #[serde(default)]
    pub fed_by: Option<Feed>,
}

/// The longest piece of evidence, in characters.
pub const MAX_EVIDENCE: usize = 300;
/// The most pieces of evidence one gate's template lists.
pub const MAX_TEMPLATE_ITEMS: usize = 20;

/// Whether an organization may edit the template of `stage`'s gate: every stage has one
/// but exit, the last, which no partnership leaves.
pub fn template_editable(stage: Stage) -> bool {
    stage.next().is_some()
}

/// Reads a stage's template as sent: (text, feed name) per row. Blank rows are dropped; the
/// rest need a text of at most 300 characters, no two alike, a known feed, and feeds only
/// at the first three gates. A template lists at least one piece of evidence (to ask for
/// none, a partnership's members remove it there; to go back, reset the stage).
pub fn parse_template(
    stage: Stage,
    rows: &[(String, Option<String>)],
) -> Result<Vec<TemplateItem>, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    if !template_editable(stage) {
        errors.add("stage", "exit is the last stage; it has no gate to edit");
        return Err(errors);
    }
    let mut items = Vec::new();
    let mut seen = BTreeSet::new();
    for (at, (text, feed)) in rows.iter().enumerate() {
        let text = text.trim();
        let feed = feed.as_deref().map(str::trim).filter(|f| !f.is_empty());
        if text.is_empty() {
            if feed.is_some() {
                errors.add(format!("items.{at}.text"), "write what must be true");
            }
            continue;
        }
        if text.chars().count() > MAX_EVIDENCE {
            errors.add(
                format!("items.{at}.text"),
                format!("must be at most {MAX_EVIDENCE} characters"),
            );
        } else if !seen.insert(text.to_lowercase()) {
            errors.add(format!("items.{at}.text"), "is listed twice");
        }
        let fed_by = match feed {
            None => None,
            Some(raw) => match Feed::parse(raw) {
                None => {
                    errors.add(
                        format!("items.{at}.fed_by"),
                        "is not a part of the internal assessment",
                    );
                    None
                }
                Some(_) if !feeds_gate(stage) => {
                    errors.add(
                        format!("items.{at}.fed_by"),
                        "only the awareness, knowledge and internal assessment gates are fed by the internal assessment",
                    );
                    None
                }
                Some(feed) => Some(feed),
            },
        };
        items.push(TemplateItem {
            text: text.to_owned(),
            fed_by,
        });
    }
    if items.len() > MAX_TEMPLATE_ITEMS {
        errors.add(
            "items",
            format!("list at most {MAX_TEMPLATE_ITEMS} pieces of evidence"),
        );
    }
    if items.is_empty() && errors.0.is_empty() {
        errors.add(
            "items",
            "list at least one piece of evidence, or reset the stage to the defaults",
        );
    }
    errors.into_result()?;
    Ok(items)
}

/// Which items of a new partnership's gates start met: those fed by a part of `answers`
/// that is answered, at the first three gates.
pub fn met_at_start(stage: Stage, item: &TemplateItem, answers: Option<&Answers>) -> bool {
    match (item.fed_by, answers) {
        (Some(feed), Some(answers)) => feeds_gate(stage) && answers.satisfies(feed),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(keys: &[(&str, &str)]) -> Answers {
        Answers {
            answers: keys
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Answers::default()
        }
    }

    fn complete() -> Answers {
        let mut answers = answered(&[
            ("drivers", "Reach mid-market retailers"),
            ("vision", "Three strong alliances"),
            ("values", "Customer first"),
            ("strengths", "Content"),
            ("weaknesses", "No events team"),
            ("collaborative_maturity", "developing"),
            ("roles", "overlapping"),
            ("who_does_what", "everyone"),
            ("unowned_areas", "Partner enablement"),
            ("mistakes", "learn"),
            ("tools", "mixed"),
        ]);
        answers.people.push(Person {
            name: "Ann".into(),
            role: "Partner manager".into(),
            skills: "Negotiation".into(),
        });
        answers
    }

    #[test]
    fn every_section_asks_something_and_names_round_trip() {
        for section in Section::ALL {
            assert!(questions_of(section).count() > 0, "{section:?}");
            assert_eq!(Section::parse(section.as_str()), Some(section));
        }
        for feed in Feed::ALL {
            assert_eq!(Feed::parse(feed.as_str()), Some(feed));
        }
        let keys: BTreeSet<&str> = QUESTIONS.iter().map(|q| q.key).collect();
        assert_eq!(keys.len(), QUESTIONS.len(), "question keys are unique");
        assert_eq!(Feed::parse("vibes"), None);
        assert_eq!(Section::parse("vibes"), None);
    }

    #[test]
    fn the_partnership_managers_questions_are_all_asked_of_the_team() {
        let team: Vec<&str> = questions_of(Section::Team).map(|q| q.key).collect();
        assert_eq!(
            team,
            [
                "roles",
                "who_does_what",
                "unowned_areas",
                "mistakes",
                "tools"
            ]
        );
        assert_eq!(MATURITY_LEVELS.len(), 5, "a level from 1 to 5");
    }

    #[test]
    fn parsing_trims_drops_blanks_and_keeps_the_rest() {
        let mut raw = answered(&[("drivers", "  Reach retailers "), ("vision", "   ")]);
        raw.notes.insert("roles".into(), " ".into());
        raw.people.push(Person::default());
        raw.people.push(Person {
            name: " Ann ".into(),
            role: "".into(),
            skills: "Events".into(),
        });
        let parsed = Answers::parse(raw).expect("valid");
        assert_eq!(parsed.answer("drivers"), Some("Reach retailers"));
        assert_eq!(parsed.answer("vision"), None);
        assert!(parsed.notes.is_empty());
        assert_eq!(parsed.people.len(), 1);
        assert_eq!(parsed.people[0].name, "Ann");
    }

    #[test]
    fn parsing_names_every_wrong_field() {
        let mut raw = answered(&[
            ("vibes", "good"),
            ("roles", "sometimes"),
            ("drivers", &"x".repeat(MAX_ANSWER + 1)),
        ]);
        raw.notes
            .insert("drivers".into(), "a note on free text".into());
        raw.notes.insert("tools".into(), "y".repeat(MAX_NOTE + 1));
        raw.people.push(Person {
            name: "".into(),
            role: "CMO".into(),
            skills: "".into(),
        });
        let errors = Answers::parse(raw).expect_err("invalid");
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        for expected in [
            "answers.vibes",
            "answers.roles",
            "answers.drivers",
            "notes.drivers",
            "notes.tools",
            "people.0.name",
        ] {
            assert!(fields.contains(&expected), "{expected} in {fields:?}");
        }
        let roles = errors.0.iter().find(|e| e.field == "answers.roles");
        assert_eq!(
            roles.map(|e| e.message.as_str()),
            Some("must be one of clear, overlapping, undefined")
        );
    }

    #[test]
    fn nothing_answered_is_refused() {
        let errors = Answers::parse(Answers::default()).expect_err("empty");
        assert_eq!(errors.0[0].field, "answers");
        assert!(Answers::default().is_empty());
    }

    #[test]
    fn a_section_is_complete_when_all_its_questions_are_answered() {
        let some = answered(&[("drivers", "Growth"), ("vision", "Alliances")]);
        assert!(some.section_complete(Section::Drivers));
        assert!(
            !some.section_complete(Section::VisionValues),
            "values missing"
        );
        assert_eq!(
            some.missing(Section::VisionValues),
            ["Which values do you hold, and expect a partner to share?"]
        );
        assert_eq!(some.progress(), (1, 6));
        assert!(!some.complete());

        let mut no_people = complete();
        no_people.people.clear();
        assert!(
            !no_people.section_complete(Section::People),
            "people are needed"
        );
        assert!(!no_people.complete());

        let all = complete();
        assert!(all.complete());
        assert_eq!(all.progress(), (6, 6));
        assert_eq!(all.maturity().map(|(n, _)| n), Some(2));
    }

    #[test]
    fn feeds_follow_their_sections_and_complete_needs_everything() {
        let some = answered(&[("drivers", "Growth"), ("strengths", "Content")]);
        assert_eq!(some.satisfied(), [Feed::Drivers, Feed::Strengths]);
        assert!(!some.satisfies(Feed::Complete));
        assert!(complete().satisfies(Feed::Complete));
        assert_eq!(complete().satisfied().len(), Feed::ALL.len());
    }

    #[test]
    fn answers_that_need_work_are_pointed_out() {
        let concerns: Vec<&str> = complete().concerns().iter().map(|(q, _)| q.key).collect();
        assert_eq!(concerns, ["roles", "tools"]);
    }

    #[test]
    fn a_template_is_checked_row_by_row() {
        let rows = vec![
            (
                "Objectives are written down".to_owned(),
                Some("drivers".to_owned()),
            ),
            ("  ".to_owned(), None),
            ("A sponsor is named".to_owned(), Some("".to_owned())),
        ];
        let items = parse_template(Stage::Awareness, &rows).expect("valid");
        assert_eq!(
            items,
            [
                TemplateItem {
                    text: "Objectives are written down".into(),
                    fed_by: Some(Feed::Drivers)
                },
                TemplateItem {
                    text: "A sponsor is named".into(),
                    fed_by: None
                },
            ]
        );

        let bad = vec![
            ("Twice".to_owned(), None),
            ("twice".to_owned(), None),
            ("".to_owned(), Some("drivers".to_owned())),
            ("Fed by nonsense".to_owned(), Some("vibes".to_owned())),
            ("x".repeat(MAX_EVIDENCE + 1), None),
        ];
        let errors = parse_template(Stage::Knowledge, &bad).expect_err("invalid");
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "items.1.text",
                "items.2.text",
                "items.3.fed_by",
                "items.4.text"
            ]
        );
    }

    #[test]
    fn only_the_first_three_gates_are_fed_and_exit_has_no_template() {
        let fed = vec![("Fit reviewed".to_owned(), Some("complete".to_owned()))];
        let errors = parse_template(Stage::PartnerSelection, &fed).expect_err("too late");
        assert_eq!(errors.0[0].field, "items.0.fed_by");
        assert!(parse_template(Stage::InternalAssessment, &fed).is_ok());
        let exit = parse_template(Stage::Exit, &[("Anything".to_owned(), None)]);
        assert_eq!(exit.expect_err("exit").0[0].field, "stage");
        let empty = parse_template(Stage::Awareness, &[("".to_owned(), None)]);
        assert_eq!(empty.expect_err("empty").0[0].field, "items");
    }

    #[test]
    fn a_new_partnership_starts_with_the_answered_feeds_met() {
        let item = TemplateItem {
            text: "Objectives".into(),
            fed_by: Some(Feed::Drivers),
        };
        let plain = TemplateItem {
            text: "Sponsor".into(),
            fed_by: None,
        };
        let drivers = answered(&[("drivers", "Growth")]);
        assert!(met_at_start(Stage::Awareness, &item, Some(&drivers)));
        assert!(!met_at_start(Stage::Awareness, &plain, Some(&drivers)));
        assert!(!met_at_start(Stage::Awareness, &item, None));
        assert!(!met_at_start(
            Stage::Awareness,
            &item,
            Some(&Answers::default())
        ));
        assert!(!met_at_start(
            Stage::PartnerSelection,
            &item,
            Some(&drivers)
        ));
    }
}
