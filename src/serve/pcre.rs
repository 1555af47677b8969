//! nginx's regexes (PCRE) as the runtime runs them: the `regex` crate (linear time) for what
//! it can express, `fancy-regex` for the look-around and backreferences PCRE has and
//! configurations use (h5bp's `location ~* /\.(?!well-known\/)` is in countless servers).

/// A compiled nginx regex.
#[derive(Debug, Clone)]
pub enum Pcre {
    Fast(regex::Regex),
    /// Backtracking: a match that runs out of its step budget counts as no match.
    Full(Box<fancy_regex::Regex>),
}

impl Pcre {
    /// Compiles `pattern` (`caseless`: `~*`); the error is the one a user can act on.
    pub fn new(pattern: &str, caseless: bool) -> Result<Pcre, String> {
        let fast = regex::RegexBuilder::new(pattern)
            .case_insensitive(caseless)
            .build();
        match fast {
            Ok(re) => Ok(Pcre::Fast(re)),
            Err(_) => {
                let full = if caseless {
                    format!("(?i){pattern}")
                } else {
                    pattern.to_string()
                };
                fancy_regex::Regex::new(&full)
                    .map(|re| Pcre::Full(Box::new(re)))
                    .map_err(|e| e.to_string())
            }
        }
    }

    pub fn is_match(&self, text: &str) -> bool {
        match self {
            Pcre::Fast(re) => re.is_match(text),
            Pcre::Full(re) => re.is_match(text).unwrap_or(false),
        }
    }

    /// Groups, `$0` included.
    pub fn captures_len(&self) -> usize {
        match self {
            Pcre::Fast(re) => re.captures_len(),
            Pcre::Full(re) => re.captures_len(),
        }
    }

    /// The name of each group, by index (`None`: unnamed).
    pub fn capture_names(&self) -> Vec<Option<String>> {
        match self {
            Pcre::Fast(re) => re.capture_names().map(|n| n.map(str::to_string)).collect(),
            Pcre::Full(re) => re.capture_names().map(|n| n.map(str::to_string)).collect(),
        }
    }

    /// A match's groups, `$0` first (an unmatched group is empty, as in nginx); `None`
    /// without a match.
    pub fn captures(&self, text: &str) -> Option<Vec<String>> {
        let group = |m: Option<&str>| m.map_or_else(String::new, str::to_string);
        match self {
            Pcre::Fast(re) => {
                let c = re.captures(text)?;
                Some(c.iter().map(|m| group(m.map(|m| m.as_str()))).collect())
            }
            Pcre::Full(re) => {
                let c = re.captures(text).ok()??;
                Some(c.iter().map(|m| group(m.map(|m| m.as_str()))).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_around_and_backreferences_fall_back_to_backtracking() {
        let re = Pcre::new(r"/\.(?!well-known\/)", true).unwrap();
        assert!(matches!(re, Pcre::Full(_)));
        assert!(re.is_match("/.git/config"));
        assert!(re.is_match("/.HTACCESS"));
        assert!(!re.is_match("/.well-known/acme-challenge/x"));
        let re = Pcre::new(r"^/(\w+)/\1$", false).unwrap();
        assert_eq!(
            re.captures("/ab/ab"),
            Some(vec!["/ab/ab".into(), "ab".into()])
        );
        assert_eq!(re.captures("/ab/cd"), None);
        // The linear-time engine where it can.
        let re = Pcre::new(r"^/(?<id>\d+)(/x)?$", true).unwrap();
        assert!(matches!(re, Pcre::Fast(_)));
        assert_eq!(
            re.captures("/42"),
            Some(vec!["/42".into(), "42".into(), String::new()])
        );
        assert_eq!(re.capture_names(), vec![None, Some("id".into()), None]);
        assert!(Pcre::new(r"(unclosed", false).is_err());
    }
}
