//! The true companies both CRMs hold rows of: names, countries, legal forms and domains.

use std::collections::HashSet;

use super::rng::Rng;
use super::text::{capitalized, strip_diacritics, transliterate};
use super::Noise;

/// A legal form: its spellings, the usual one first. A spelling that starts with `,` is
/// written right after the name (`Acme, Inc.`), any other after a space.
pub(super) type LegalForm = &'static [&'static str];

/// A country as CRMs see it.
#[derive(Debug)]
pub(super) struct Country {
    /// ISO 3166 code.
    pub(super) code: &'static str,
    /// How people fill in a country field, the English name first.
    pub(super) names: &'static [&'static str],
    /// The country's top-level domain first, then what companies there also use.
    pub(super) tlds: &'static [&'static str],
    /// Legal forms with their weights.
    pub(super) forms: &'static [(LegalForm, u32)],
    /// Common family names, as the country spells them.
    pub(super) surnames: &'static [&'static str],
    /// Words companies there put after their name (`Logistik`, `Conseil`).
    pub(super) words: &'static [&'static str],
    /// The word a subsidiary there adds to its parent's name (`Deutschland`).
    pub(super) subsidiary_word: &'static str,
    /// Country calling code, for phone numbers.
    pub(super) calling_code: &'static str,
    /// How often the country's companies turn up in a CRM, relative to the others.
    pub(super) weight: u32,
}

const ENGLISH_WORDS: &[&str] = &[
    "Systems",
    "Solutions",
    "Analytics",
    "Logistics",
    "Software",
    "Technologies",
    "Consulting",
    "Partners",
    "Group",
    "Holdings",
    "Labs",
    "Media",
    "Energy",
    "Foods",
    "Health",
    "Robotics",
    "Capital",
    "Engineering",
    "Industries",
    "Networks",
    "Digital",
    "Security",
    "Cloud",
    "Data",
    "Manufacturing",
    "Insurance",
    "Financial",
    "Properties",
    "Construction",
    "Pharmaceuticals",
    "Marketing",
    "Design",
    "Motors",
    "Aerospace",
    "Biosciences",
    "Telecom",
    "Retail",
    "Brands",
    "Ventures",
    "Advisors",
];

const INC: LegalForm = &["Inc.", "Inc", ", Inc.", "Incorporated", ", Inc"];
const LLC: LegalForm = &["LLC", "L.L.C.", ", LLC", "Llc"];
const CORP: LegalForm = &["Corp.", "Corporation", "Corp", ", Corp."];
const LTD: LegalForm = &["Ltd", "Ltd.", "Limited", "LTD"];
const PLC: LegalForm = &["PLC", "plc", "Public Limited Company"];
const GMBH: LegalForm = &["GmbH", "Gmbh", "G.m.b.H.", "GMBH"];
const GMBH_CO_KG: LegalForm = &["GmbH & Co. KG", "GmbH & Co KG", "GmbH u. Co. KG"];
const AG: LegalForm = &["AG", "A.G."];
const SA: LegalForm = &["S.A.", "SA", "S.A", "Société Anonyme"];
const SAS: LegalForm = &["S.A.S.", "SAS", "S.A.S", "Sas"];
const SARL: LegalForm = &["SARL", "S.A.R.L.", "Sarl"];
const SL: LegalForm = &["S.L.", "SL", "S.L"];
const SPA: LegalForm = &["S.p.A.", "SpA", "S.P.A.", "Spa"];
const SRL: LegalForm = &["S.r.l.", "Srl", "S.R.L.", "SRL"];
const BV: LegalForm = &["B.V.", "BV", "B.V", "Bv"];
const NV: LegalForm = &["N.V.", "NV"];
const AB: LegalForm = &["AB", "Aktiebolag", "(publ)"];
const OY: LegalForm = &["Oy", "OY", "Oyj", "Osakeyhtiö"];
const AS_DK: LegalForm = &["A/S", "AS", "A.S."];
const APS: LegalForm = &["ApS", "APS", "Aps"];
const AS_NO: LegalForm = &["AS", "A/S", "ASA"];
const SP_ZOO: LegalForm = &["Sp. z o.o.", "sp. z o.o.", "Sp. z.o.o.", "Spółka z o.o."];
const KK: LegalForm = &["K.K.", "KK", "Kabushiki Kaisha", "Co., Ltd."];
const CO_LTD: LegalForm = &["Co., Ltd.", "Co. Ltd.", "Co., Ltd", "Company Limited"];
const PTY_LTD: LegalForm = &["Pty Ltd", "Pty. Ltd.", "Pty Limited", "PTY LTD"];
const LTDA: LegalForm = &["Ltda.", "Ltda", "LTDA"];
const LTEE: LegalForm = &["Ltée", "Ltee", "Ltd."];
const DAC: LegalForm = &["DAC", "Designated Activity Company"];

/// The countries the generated companies come from.
pub(super) const COUNTRIES: &[Country] = &[
    Country {
        code: "US",
        names: &[
            "United States",
            "USA",
            "US",
            "United States of America",
            "U.S.",
        ],
        tlds: &["com", "io", "co", "ai", "net"],
        forms: &[(INC, 50), (LLC, 30), (CORP, 20)],
        surnames: &[
            "Smith", "Johnson", "Williams", "Brown", "Miller", "Davis", "Garcia", "Wilson",
            "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Harris", "Clark",
            "Lewis", "Walker", "Young", "Allen", "Wright", "King", "Scott", "Baker", "Nelson",
            "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans",
            "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers",
        ],
        words: ENGLISH_WORDS,
        subsidiary_word: "USA",
        calling_code: "1",
        weight: 34,
    },
    Country {
        code: "GB",
        names: &["United Kingdom", "UK", "GB", "Great Britain", "England"],
        tlds: &["co.uk", "com", "uk", "io"],
        forms: &[(LTD, 85), (PLC, 15)],
        surnames: &[
            "Smith",
            "Jones",
            "Taylor",
            "Brown",
            "Williams",
            "Wilson",
            "Evans",
            "Thomas",
            "Roberts",
            "Walker",
            "Wright",
            "Robinson",
            "Thompson",
            "Hughes",
            "Edwards",
            "Green",
            "Hall",
            "Wood",
            "Harris",
            "Lewis",
            "Clarke",
            "Clayton",
            "Ashworth",
            "Pemberton",
            "Whitfield",
            "Fairbanks",
            "Hargreaves",
            "Bellingham",
        ],
        words: ENGLISH_WORDS,
        subsidiary_word: "UK",
        calling_code: "44",
        weight: 10,
    },
    Country {
        code: "DE",
        names: &["Germany", "DE", "Deutschland", "germany"],
        tlds: &["de", "com", "eu"],
        forms: &[(GMBH, 65), (GMBH_CO_KG, 15), (AG, 20)],
        surnames: &[
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schulz",
            "Hoffmann",
            "Schäfer",
            "Koch",
            "Bauer",
            "Richter",
            "Klein",
            "Wolf",
            "Schröder",
            "Neumann",
            "Schwarz",
            "Zimmermann",
            "Braun",
            "Krüger",
            "Hartmann",
            "Lange",
            "Werner",
            "Krause",
            "Lehmann",
            "Köhler",
            "Weiß",
            "Jäger",
            "Große",
            "Böhm",
            "Förster",
        ],
        words: &[
            "Logistik",
            "Maschinenbau",
            "Technik",
            "Software",
            "Versicherungen",
            "Beratung",
            "Elektronik",
            "Bau",
            "Immobilien",
            "Energie",
            "Medien",
            "Handel",
            "Werkzeugbau",
            "Automatisierung",
            "Systemhaus",
            "Druckerei",
            "Lebensmittel",
            "Möbel",
            "Präzisionstechnik",
            "Stahlbau",
            "Gerätebau",
            "Kältetechnik",
        ],
        subsidiary_word: "Deutschland",
        calling_code: "49",
        weight: 9,
    },
    Country {
        code: "FR",
        names: &["France", "FR", "france"],
        tlds: &["fr", "com", "eu"],
        forms: &[(SAS, 45), (SA, 30), (SARL, 25)],
        surnames: &[
            "Martin",
            "Bernard",
            "Dubois",
            "Thomas",
            "Robert",
            "Richard",
            "Petit",
            "Durand",
            "Leroy",
            "Moreau",
            "Simon",
            "Laurent",
            "Lefèvre",
            "Michel",
            "Garçon",
            "Bénard",
            "Gérard",
            "Rousseau",
            "Fournier",
            "Mercier",
            "Lemaître",
            "Chevalier",
            "Faure",
            "Gauthier",
            "Crépin",
            "Déprez",
            "Benoît",
        ],
        words: &[
            "Conseil",
            "Logistique",
            "Énergie",
            "Télécom",
            "Informatique",
            "Ingénierie",
            "Distribution",
            "Industrie",
            "Services",
            "Systèmes",
            "Immobilier",
            "Médias",
            "Équipements",
            "Électronique",
            "Transports",
            "Développement",
            "Création",
        ],
        subsidiary_word: "France",
        calling_code: "33",
        weight: 6,
    },
    Country {
        code: "NL",
        names: &[
            "Netherlands",
            "NL",
            "The Netherlands",
            "Holland",
            "Nederland",
        ],
        tlds: &["nl", "com", "eu"],
        forms: &[(BV, 85), (NV, 15)],
        surnames: &[
            "de Vries",
            "Jansen",
            "van den Berg",
            "Bakker",
            "Visser",
            "Smit",
            "Meijer",
            "de Boer",
            "Mulder",
            "de Groot",
            "Bos",
            "Vos",
            "Peters",
            "Hendriks",
            "van Leeuwen",
            "Dekker",
            "Brouwer",
            "de Wit",
            "Dijkstra",
            "van Dijk",
        ],
        words: &[
            "Techniek",
            "Bouw",
            "Logistiek",
            "Installatietechniek",
            "Adviesgroep",
            "Software",
            "Transport",
            "Vastgoed",
            "Groep",
            "Diensten",
        ],
        subsidiary_word: "Nederland",
        calling_code: "31",
        weight: 4,
    },
    Country {
        code: "ES",
        names: &["Spain", "ES", "España", "Espana"],
        tlds: &["es", "com"],
        forms: &[(SL, 70), (SA, 30)],
        surnames: &[
            "García",
            "Fernández",
            "González",
            "Rodríguez",
            "López",
            "Martínez",
            "Sánchez",
            "Pérez",
            "Gómez",
            "Martín",
            "Jiménez",
            "Ruiz",
            "Hernández",
            "Díaz",
            "Moreno",
            "Muñoz",
            "Álvarez",
            "Romero",
            "Peña",
            "Núñez",
        ],
        words: &[
            "Consultores",
            "Logística",
            "Ingeniería",
            "Tecnología",
            "Servicios",
            "Construcciones",
            "Energía",
            "Distribución",
            "Inmobiliaria",
            "Telecomunicaciones",
            "Soluciones",
            "Sistemas",
        ],
        subsidiary_word: "Iberia",
        calling_code: "34",
        weight: 3,
    },
    Country {
        code: "IT",
        names: &["Italy", "IT", "Italia"],
        tlds: &["it", "com", "eu"],
        forms: &[(SRL, 65), (SPA, 35)],
        surnames: &[
            "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
            "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
            "Giordano", "Rizzo", "Lombardi", "Moretti", "Niccolò",
        ],
        words: &[
            "Industrie",
            "Servizi",
            "Tecnologie",
            "Costruzioni",
            "Ingegneria",
            "Logistica",
            "Sistemi",
            "Impianti",
            "Meccanica",
            "Elettronica",
            "Energia",
            "Consulenze",
        ],
        subsidiary_word: "Italia",
        calling_code: "39",
        weight: 3,
    },
    Country {
        code: "SE",
        names: &["Sweden", "SE", "Sverige"],
        tlds: &["se", "com"],
        forms: &[(AB, 100)],
        surnames: &[
            "Andersson",
            "Johansson",
            "Karlsson",
            "Nilsson",
            "Eriksson",
            "Larsson",
            "Olsson",
            "Persson",
            "Svensson",
            "Gustafsson",
            "Åkesson",
            "Öberg",
            "Ström",
            "Lindqvist",
            "Söderberg",
            "Sjöberg",
            "Björk",
            "Lundström",
            "Håkansson",
            "Engström",
        ],
        words: &[
            "Teknik",
            "Bygg",
            "Logistik",
            "Konsult",
            "Data",
            "Energi",
            "Maskin",
            "Fastigheter",
            "Elektronik",
            "Trä",
        ],
        subsidiary_word: "Sverige",
        calling_code: "46",
        weight: 3,
    },
    Country {
        code: "FI",
        names: &["Finland", "FI", "Suomi"],
        tlds: &["fi", "com"],
        forms: &[(OY, 100)],
        surnames: &[
            "Korhonen",
            "Virtanen",
            "Mäkinen",
            "Nieminen",
            "Mäkelä",
            "Hämäläinen",
            "Laine",
            "Heikkinen",
            "Koskinen",
            "Järvinen",
            "Lehtonen",
            "Lehtinen",
            "Saarinen",
            "Salminen",
            "Heinonen",
            "Niemi",
            "Kinnunen",
            "Salonen",
            "Turunen",
            "Väisänen",
        ],
        words: &[
            "Tekniikka",
            "Rakennus",
            "Logistiikka",
            "Konsultointi",
            "Energia",
            "Palvelut",
            "Järjestelmät",
            "Sähkö",
        ],
        subsidiary_word: "Finland",
        calling_code: "358",
        weight: 2,
    },
    Country {
        code: "DK",
        names: &["Denmark", "DK", "Danmark"],
        tlds: &["dk", "com"],
        forms: &[(AS_DK, 60), (APS, 40)],
        surnames: &[
            "Jensen",
            "Nielsen",
            "Hansen",
            "Pedersen",
            "Andersen",
            "Christensen",
            "Larsen",
            "Sørensen",
            "Rasmussen",
            "Jørgensen",
            "Petersen",
            "Madsen",
            "Kristensen",
            "Olsen",
            "Thomsen",
            "Østergaard",
            "Møller",
            "Bjørn",
            "Dahl",
        ],
        words: &[
            "Teknik",
            "Byg",
            "Logistik",
            "Rådgivning",
            "Energi",
            "Maskiner",
            "Data",
            "Ejendomme",
            "Elektronik",
            "Service",
        ],
        subsidiary_word: "Danmark",
        calling_code: "45",
        weight: 2,
    },
    Country {
        code: "NO",
        names: &["Norway", "NO", "Norge"],
        tlds: &["no", "com"],
        forms: &[(AS_NO, 100)],
        surnames: &[
            "Hansen",
            "Johansen",
            "Olsen",
            "Larsen",
            "Andersen",
            "Pedersen",
            "Nilsen",
            "Kristiansen",
            "Karlsen",
            "Bjørnstad",
            "Sæther",
            "Haugen",
            "Løvås",
            "Dæhlie",
            "Solberg",
            "Strøm",
            "Berg",
            "Bakke",
            "Fjeld",
        ],
        words: &[
            "Teknikk",
            "Bygg",
            "Logistikk",
            "Rådgivning",
            "Energi",
            "Maskin",
            "Data",
            "Eiendom",
            "Elektronikk",
            "Service",
        ],
        subsidiary_word: "Norge",
        calling_code: "47",
        weight: 2,
    },
    Country {
        code: "PL",
        names: &["Poland", "PL", "Polska"],
        tlds: &["pl", "com", "eu"],
        forms: &[(SP_ZOO, 100)],
        surnames: &[
            "Nowak",
            "Kowalski",
            "Wiśniewski",
            "Wójcik",
            "Kowalczyk",
            "Kamiński",
            "Lewandowski",
            "Zieliński",
            "Szymański",
            "Woźniak",
            "Dąbrowski",
            "Kozłowski",
            "Jankowski",
            "Mazur",
            "Kwiatkowski",
            "Krawczyk",
            "Piotrowski",
            "Grabowski",
            "Pawłowski",
        ],
        words: &[
            "Budownictwo",
            "Logistyka",
            "Technologie",
            "Systemy",
            "Usługi",
            "Energetyka",
            "Inżynieria",
            "Doradztwo",
        ],
        subsidiary_word: "Polska",
        calling_code: "48",
        weight: 3,
    },
    Country {
        code: "JP",
        names: &["Japan", "JP", "japan"],
        tlds: &["co.jp", "jp", "com"],
        forms: &[(KK, 55), (CO_LTD, 45)],
        surnames: &[
            "Tanaka",
            "Suzuki",
            "Takahashi",
            "Watanabe",
            "Yamamoto",
            "Nakamura",
            "Kobayashi",
            "Katō",
            "Yoshida",
            "Yamada",
            "Sasaki",
            "Yamaguchi",
            "Matsumoto",
            "Inoue",
            "Kimura",
            "Hayashi",
            "Shimizu",
            "Saitō",
            "Ōta",
            "Itō",
        ],
        words: &[
            "Shoji",
            "Kogyo",
            "Seisakusho",
            "Denki",
            "Sangyo",
            "Kensetsu",
            "Tsushin",
            "Unyu",
            "Seiki",
            "Kagaku",
            "Electric",
            "Systems",
            "Trading",
            "Industries",
        ],
        subsidiary_word: "Japan",
        calling_code: "81",
        weight: 4,
    },
    Country {
        code: "AU",
        names: &["Australia", "AU", "australia"],
        tlds: &["com.au", "com", "net.au"],
        forms: &[(PTY_LTD, 100)],
        surnames: &[
            "Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Johnson",
            "Martin", "White", "Anderson", "Walker", "Thompson", "Lee", "Ryan", "Kelly", "King",
            "Harris", "Murphy",
        ],
        words: ENGLISH_WORDS,
        subsidiary_word: "Australia",
        calling_code: "61",
        weight: 4,
    },
    Country {
        code: "CA",
        names: &["Canada", "CA", "canada"],
        tlds: &["ca", "com"],
        forms: &[(INC, 60), (LTD, 25), (LTEE, 15)],
        surnames: &[
            "Tremblay",
            "Gagnon",
            "Roy",
            "Côté",
            "Bouchard",
            "Gauthier",
            "Morin",
            "Lavoie",
            "Fortin",
            "Gagné",
            "Ouellet",
            "Pelletier",
            "Bélanger",
            "Lévesque",
            "Bergeron",
            "Leblanc",
            "Girard",
            "Simard",
            "MacDonald",
            "Campbell",
        ],
        words: ENGLISH_WORDS,
        subsidiary_word: "Canada",
        calling_code: "1",
        weight: 4,
    },
    Country {
        code: "BR",
        names: &["Brazil", "BR", "Brasil"],
        tlds: &["com.br", "com"],
        forms: &[(LTDA, 70), (SA, 30)],
        surnames: &[
            "Silva",
            "Santos",
            "Oliveira",
            "Souza",
            "Rodrigues",
            "Ferreira",
            "Alves",
            "Pereira",
            "Lima",
            "Gomes",
            "Ribeiro",
            "Carvalho",
            "Almeida",
            "Lopes",
            "Soares",
            "Araújo",
            "Gonçalves",
            "Conceição",
            "Magalhães",
            "Simões",
        ],
        words: &[
            "Tecnologia",
            "Logística",
            "Engenharia",
            "Construções",
            "Serviços",
            "Consultoria",
            "Soluções",
            "Energia",
            "Distribuidora",
            "Comércio",
            "Indústria",
        ],
        subsidiary_word: "Brasil",
        calling_code: "55",
        weight: 3,
    },
    Country {
        code: "CH",
        names: &["Switzerland", "CH", "Schweiz", "Suisse"],
        tlds: &["ch", "com"],
        forms: &[(AG, 55), (GMBH, 35), (SA, 10)],
        surnames: &[
            "Müller",
            "Meier",
            "Schmid",
            "Keller",
            "Weber",
            "Huber",
            "Schneider",
            "Steiner",
            "Fischer",
            "Gerber",
            "Brunner",
            "Baumann",
            "Frei",
            "Moser",
            "Widmer",
            "Wyss",
            "Graf",
            "Zürcher",
        ],
        words: &[
            "Technik",
            "Informatik",
            "Treuhand",
            "Immobilien",
            "Maschinen",
            "Präzision",
            "Logistik",
            "Beratung",
        ],
        subsidiary_word: "Schweiz",
        calling_code: "41",
        weight: 2,
    },
    Country {
        code: "AT",
        names: &["Austria", "AT", "Österreich", "Osterreich"],
        tlds: &["at", "com"],
        forms: &[(GMBH, 80), (AG, 20)],
        surnames: &[
            "Gruber", "Huber", "Bauer", "Wagner", "Müller", "Pichler", "Steiner", "Moser", "Mayer",
            "Hofer", "Leitner", "Berger", "Fuchs", "Eder", "Winkler", "Maier",
        ],
        words: &[
            "Technik", "Bau", "Logistik", "Elektro", "Holzbau", "Handel", "Beratung", "Energie",
        ],
        subsidiary_word: "Österreich",
        calling_code: "43",
        weight: 1,
    },
    Country {
        code: "IE",
        names: &["Ireland", "IE", "Éire", "Republic of Ireland"],
        tlds: &["ie", "com"],
        forms: &[(LTD, 80), (DAC, 20)],
        surnames: &[
            "Murphy",
            "Kelly",
            "O'Sullivan",
            "Walsh",
            "O'Brien",
            "Byrne",
            "Ryan",
            "O'Connor",
            "O'Neill",
            "O'Reilly",
            "Doyle",
            "McCarthy",
            "Gallagher",
            "Doherty",
            "Kennedy",
            "Lynch",
            "Murray",
            "Quinn",
        ],
        words: ENGLISH_WORDS,
        subsidiary_word: "Ireland",
        calling_code: "353",
        weight: 1,
    },
];

/// Words companies everywhere are named after.
const COMMON_WORDS: &[&str] = &[
    "Apex",
    "Summit",
    "Pinnacle",
    "Horizon",
    "Vertex",
    "Nova",
    "Atlas",
    "Orion",
    "Zenith",
    "Meridian",
    "Evergreen",
    "Bluewater",
    "Ironwood",
    "Silverline",
    "Northstar",
    "Redwood",
    "Crescent",
    "Keystone",
    "Lighthouse",
    "Cobalt",
    "Granite",
    "Harbor",
    "Sterling",
    "Beacon",
    "Falcon",
    "Phoenix",
    "Titan",
    "Vanguard",
    "Frontier",
    "Liberty",
    "Pioneer",
    "Catalyst",
    "Quantum",
    "Fusion",
    "Nexus",
    "Spectrum",
    "Momentum",
    "Clearwater",
    "Blue Ridge",
    "Red Rock",
];

const CONSONANTS: &[u8] = b"bdfgklmnprstvz";
const VOWELS: &[u8] = b"aeiou";
const ENDINGS: &[&str] = &["", "n", "r", "x", "s", "l"];

/// What a true company is besides itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kin {
    /// A company of its own.
    Independent,
    /// Shares its name with an unrelated company (another domain), by chance.
    Namesake,
    /// A subsidiary: its parent's name, its own country, legal form and domain.
    Subsidiary,
}

/// One true company.
#[derive(Clone, Debug)]
pub(super) struct Company {
    /// The name without a legal form, as the company writes it (`Müller Logistik`).
    pub(super) name: String,
    /// Where it is registered.
    pub(super) country: &'static Country,
    /// Its legal form, if it writes one.
    pub(super) form: Option<LegalForm>,
    /// Its registrable domain.
    pub(super) domain: String,
    /// Another registrable domain some of its rows use.
    pub(super) second_domain: Option<String>,
    /// Namesake, subsidiary or neither.
    pub(super) kin: Kin,
}

/// Makes `count` true companies: unique names except for the namesakes and subsidiaries the
/// noise asks for, and unique domains.
pub(super) fn companies(count: usize, noise: &Noise, rng: &mut Rng) -> Vec<Company> {
    let mut names = HashSet::with_capacity(count);
    let mut domains = HashSet::with_capacity(count + count / 8);
    let weights: Vec<(&'static Country, u32)> = COUNTRIES.iter().map(|c| (c, c.weight)).collect();
    let mut companies: Vec<Company> = Vec::with_capacity(count);
    while companies.len() < count {
        let country = *rng.weighted(&weights);
        let relative = if companies.is_empty() {
            None
        } else if rng.chance(noise.namesakes) {
            Some(Kin::Namesake)
        } else if rng.chance(noise.subsidiaries) {
            Some(Kin::Subsidiary)
        } else {
            None
        };
        let company = match relative {
            Some(kin) => {
                let original = &companies[rng.below(companies.len())];
                match kin {
                    Kin::Subsidiary => subsidiary(original, country, &mut names, &mut domains, rng),
                    _ => namesake(original, country, &mut domains, rng),
                }
            }
            None => {
                let name = unique_name(country, &mut names, rng);
                let domain = unique_domain(&name, country, &mut domains, rng);
                Company {
                    name,
                    country,
                    form: legal_form(country, rng),
                    domain,
                    second_domain: None,
                    kin: Kin::Independent,
                }
            }
        };
        companies.push(company);
    }
    for company in &mut companies {
        if rng.chance(noise.second_domains) {
            company.second_domain = Some(second_domain(company, &mut domains, rng));
        }
    }
    companies
}

/// A subsidiary of `original` abroad: its name (some add the country), a local legal form
/// and a local domain.
fn subsidiary(
    original: &Company,
    country: &'static Country,
    names: &mut HashSet<String>,
    domains: &mut HashSet<String>,
    rng: &mut Rng,
) -> Company {
    let country = if country.code == original.country.code {
        rng.pick(COUNTRIES)
    } else {
        country
    };
    let name = if rng.chance(0.4) && country.code != original.country.code {
        format!("{} {}", original.name, country.subsidiary_word)
    } else {
        original.name.clone()
    };
    names.insert(name_key(&name));
    let label = original.domain.split('.').next().unwrap_or("company");
    let mut domain = format!("{label}.{}", country.tlds[0]);
    if !domains.insert(domain.clone()) {
        domain = unique_domain(&name, country, domains, rng);
    }
    Company {
        name,
        country,
        form: legal_form(country, rng),
        domain,
        second_domain: None,
        kin: Kin::Subsidiary,
    }
}

/// An unrelated company with `original`'s name and a domain of its own; half the namesakes
/// are in the same country, as identical names often are.
fn namesake(
    original: &Company,
    country: &'static Country,
    domains: &mut HashSet<String>,
    rng: &mut Rng,
) -> Company {
    let country = if rng.chance(0.5) {
        original.country
    } else {
        country
    };
    let domain = unique_domain(&original.name, country, domains, rng);
    Company {
        name: original.name.clone(),
        country,
        form: legal_form(country, rng),
        domain,
        second_domain: None,
        kin: Kin::Namesake,
    }
}

/// A legal form typical of `country`; a few companies write none.
fn legal_form(country: &'static Country, rng: &mut Rng) -> Option<LegalForm> {
    if rng.chance(0.05) {
        return None;
    }
    Some(*rng.weighted(country.forms))
}

/// What tells two names apart for uniqueness: letters and digits, lower case, no marks.
fn name_key(name: &str) -> String {
    strip_diacritics(name)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A made-up brand of `syllables` consonant-vowel syllables and an optional final consonant,
/// which no two different draws can spell alike.
fn brand(syllables: usize, rng: &mut Rng) -> String {
    let mut word = String::with_capacity(syllables * 2 + 1);
    for _ in 0..syllables {
        word.push(*rng.pick(CONSONANTS) as char);
        word.push(*rng.pick(VOWELS) as char);
    }
    word.push_str(rng.word(ENDINGS));
    capitalized(&word)
}

/// A name no company has yet, in the style of `country`.
fn unique_name(country: &'static Country, names: &mut HashSet<String>, rng: &mut Rng) -> String {
    for _ in 0..4 {
        let name = styled_name(country, rng);
        if names.insert(name_key(&name)) {
            return name;
        }
    }
    // Brands of four syllables are plenty (70^4 × 6) when the styles are used up.
    loop {
        let name = brand(4, rng);
        if names.insert(name_key(&name)) {
            return name;
        }
    }
}

/// A company name as companies in `country` are named.
fn styled_name(country: &'static Country, rng: &mut Rng) -> String {
    let word = |rng: &mut Rng| *rng.pick(country.words);
    let english = std::ptr::eq(country.words, ENGLISH_WORDS);
    match rng.below(100) {
        0..=34 => {
            let syllables = if rng.chance(0.3) { 2 } else { 3 };
            format!("{} {}", brand(syllables, rng), word(rng))
        }
        35..=54 => format!("{} {}", rng.pick(country.surnames), word(rng)),
        55..=62 => {
            let first = rng.pick(country.surnames);
            let mut second = rng.pick(country.surnames);
            while second == first {
                second = rng.pick(country.surnames);
            }
            if english && rng.chance(0.3) {
                format!("{first} and {second}")
            } else {
                format!("{first} & {second}")
            }
        }
        63..=77 => brand(if rng.chance(0.5) { 2 } else { 3 }, rng),
        78..=91 => format!("{} {}", rng.pick(COMMON_WORDS), word(rng)),
        92..=95 if english => {
            let tail = *rng.pick(&["Group", "Company", "Partnership", "Agency"]);
            format!("The {} {tail}", rng.pick(COMMON_WORDS))
        }
        _ => {
            let letters: String = (0..2 + rng.below(2))
                .map(|_| (b'A' + rng.below(26) as u8) as char)
                .collect();
            format!("{letters} {}", word(rng))
        }
    }
}

/// A domain no company has yet, made from `name` as companies make theirs.
fn unique_domain(
    name: &str,
    country: &'static Country,
    domains: &mut HashSet<String>,
    rng: &mut Rng,
) -> String {
    let words: Vec<String> = name
        .split([' ', '&', '\''])
        .filter(|w| !w.is_empty() && !w.eq_ignore_ascii_case("the") && *w != "and")
        .map(|w| {
            // Germans and Scandinavians write ü as ue in domains; most others drop the marks;
            // a few companies register the name with its diacritics (an IDN).
            let w = w.to_lowercase();
            if rng.chance(0.02) {
                w
            } else if rng.chance(0.6) {
                transliterate(&w)
            } else {
                strip_diacritics(&w)
            }
        })
        .collect();
    let tld = if rng.chance(0.7) {
        country.tlds[0]
    } else {
        rng.pick(country.tlds)
    };
    let first = words
        .first()
        .cloned()
        .unwrap_or_else(|| "company".to_owned());
    let candidates = [
        words.concat(),
        words.join("-"),
        first.clone(),
        format!("{}{}", first, country.code.to_lowercase()),
        format!("get{}", words.concat()),
        format!("{}hq", words.concat()),
        format!("{}-{}", words.join("-"), country.code.to_lowercase()),
    ];
    // The short forms are what the first company of a name gets; later ones take the rest.
    let start = if words.len() > 1 && rng.chance(0.4) {
        1
    } else {
        0
    };
    for label in candidates.iter().skip(start) {
        let domain = format!("{label}.{tld}");
        if domains.insert(domain.clone()) {
            return domain;
        }
    }
    loop {
        let domain = format!("{}{}.{tld}", words.concat(), 2 + rng.below(998));
        if domains.insert(domain.clone()) {
            return domain;
        }
    }
}

/// Another registrable domain of `company`: the same label elsewhere, or a new label.
fn second_domain(company: &Company, domains: &mut HashSet<String>, rng: &mut Rng) -> String {
    let label = company.domain.split('.').next().unwrap_or("company");
    let tld = *rng.pick(&["com", "net", "eu", "io", company.country.tlds[0]]);
    let domain = format!("{label}.{tld}");
    if domains.insert(domain.clone()) {
        return domain;
    }
    unique_domain(&company.name, company.country, domains, rng)
}
