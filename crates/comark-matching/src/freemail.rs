//! Free webmail providers: an e-mail address at one of them says nothing about the company.

/// Registrable domains of the large free webmail providers, sorted.
const FREE_MAIL: &[&str] = &[
    "126.com",
    "163.com",
    "aliyun.com",
    "aol.com",
    "att.net",
    "bluewin.ch",
    "bol.com.br",
    "btinternet.com",
    "comcast.net",
    "cox.net",
    "daum.net",
    "email.com",
    "fastmail.com",
    "free.fr",
    "freenet.de",
    "gmail.com",
    "gmx.at",
    "gmx.ch",
    "gmx.com",
    "gmx.de",
    "gmx.fr",
    "gmx.net",
    "googlemail.com",
    "hanmail.net",
    "hey.com",
    "hotmail.co.uk",
    "hotmail.com",
    "hotmail.de",
    "hotmail.es",
    "hotmail.fr",
    "hotmail.it",
    "icloud.com",
    "inbox.com",
    "interia.pl",
    "laposte.net",
    "libero.it",
    "live.co.uk",
    "live.com",
    "live.de",
    "live.fr",
    "mac.com",
    "mail.com",
    "mail.de",
    "mail.ru",
    "me.com",
    "msn.com",
    "naver.com",
    "o2.pl",
    "onet.pl",
    "orange.fr",
    "outlook.com",
    "outlook.de",
    "outlook.fr",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "rambler.ru",
    "rediffmail.com",
    "sbcglobal.net",
    "seznam.cz",
    "sfr.fr",
    "sina.com",
    "t-online.de",
    "terra.com.br",
    "tutanota.com",
    "uol.com.br",
    "virgilio.it",
    "wanadoo.fr",
    "web.de",
    "wp.pl",
    "yahoo.co.jp",
    "yahoo.co.uk",
    "yahoo.com",
    "yahoo.com.br",
    "yahoo.de",
    "yahoo.es",
    "yahoo.fr",
    "yahoo.it",
    "yandex.com",
    "yandex.ru",
    "ymail.com",
    "zoho.com",
];

/// Whether `domain` (a registrable domain, as [`registrable_domain`](crate::registrable_domain)
/// gives it) belongs to a free webmail provider.
pub fn is_free_mail(domain: &str) -> bool {
    FREE_MAIL.binary_search(&domain).is_ok()
}

/// The registrable domain of an e-mail address's company: `None` for a free webmail
/// provider or an address without a registrable domain.
///
/// ```
/// use comark_matching::company_domain_of_email;
/// assert_eq!(company_domain_of_email("Ann <ann@eu.Acme.com>").as_deref(), Some("acme.com"));
/// assert_eq!(company_domain_of_email("ann.acme@gmail.com"), None);
/// ```
pub fn company_domain_of_email(address: &str) -> Option<String> {
    let address = address.trim().trim_end_matches('>');
    let (_, domain) = address.rsplit_once('@')?;
    let domain = crate::registrable_domain(domain)?;
    (!is_free_mail(&domain)).then_some(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_and_registrable() {
        assert!(
            FREE_MAIL.windows(2).all(|w| w[0] < w[1]),
            "sorted, no repeats"
        );
        for domain in FREE_MAIL {
            assert_eq!(crate::registrable_domain(domain).as_deref(), Some(*domain));
        }
    }

    #[test]
    fn free_mail_says_nothing_about_the_company() {
        assert!(is_free_mail("gmail.com"));
        assert!(!is_free_mail("acme.com"));
        assert_eq!(company_domain_of_email("x@mail.yahoo.co.uk"), None);
        assert_eq!(company_domain_of_email("not an address"), None);
        assert_eq!(
            company_domain_of_email("sales@initrode.de").as_deref(),
            Some("initrode.de")
        );
    }
}
