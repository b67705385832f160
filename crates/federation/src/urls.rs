//! The URL of everything Stoa shows. Each is both the page a browser opens and the ActivityPub
//! id a server fetches.

use url::Url;

/// Builds absolute URLs from the instance's public base URL.
#[derive(Debug, Clone)]
pub struct Urls {
    base: Url,
}

impl Urls {
    pub fn new(base: Url) -> Self {
        Urls { base }
    }

    /// The host (and port, when not the default) that handles are made with: `name@host`.
    pub fn authority(&self) -> String {
        Self::authority_of(&self.base).unwrap_or_else(|| "localhost".into())
    }

    /// `host[:port]` of any URL, as an HTTP client sends it in `Host` (the port only when it is
    /// not the scheme's default).
    pub fn authority_of(url: &Url) -> Option<String> {
        let host = url.host_str()?;
        Some(match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        })
    }

    /// `https`, or `http` in development: how requests reach this server.
    pub fn scheme(&self) -> &str {
        self.base.scheme()
    }

    /// The host name alone (WebFinger's `acct:` handles may leave the port out).
    pub fn host(&self) -> &str {
        self.base.host_str().unwrap_or("localhost")
    }

    fn at(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url.set_query(None);
        url.set_fragment(None);
        url
    }

    pub fn user(&self, name: &str) -> Url {
        self.at(&format!("/u/{name}"))
    }

    /// The name of the member here whose actor URL this is, if it is one.
    pub fn user_name_of<'u>(&self, url: &'u Url) -> Option<&'u str> {
        if !self.is_local(url) {
            return None;
        }
        url.path()
            .strip_prefix("/u/")
            .filter(|name| !name.is_empty() && !name.contains('/'))
    }

    pub fn user_part(&self, name: &str, part: &str) -> Url {
        self.at(&format!("/u/{name}/{part}"))
    }

    pub fn forum(&self, slug: &str) -> Url {
        self.at(&format!("/f/{slug}"))
    }

    pub fn forum_part(&self, slug: &str, part: &str) -> Url {
        self.at(&format!("/f/{slug}/{part}"))
    }

    /// A forum group, published as a collection of its forums.
    pub fn forum_group(&self, group_id: i64) -> Url {
        self.at(&format!("/groups/{group_id}"))
    }

    pub fn instance_actor(&self) -> Url {
        self.at("/actor")
    }

    pub fn shared_inbox(&self) -> Url {
        self.at("/inbox")
    }

    pub fn root(&self) -> Url {
        self.at("/")
    }

    pub fn path(&self, path: &str) -> Url {
        self.at(path)
    }

    /// Whether a URL names something of this instance (same host and port).
    pub fn is_local(&self, url: &Url) -> bool {
        url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }

    /// Whether another server's URL may be fetched or posted to: not this server's, and https
    /// (http too in development). Address checks come after, when it is resolved.
    pub fn check_remote(&self, url: &Url, development: bool) -> Result<(), String> {
        if self.is_local(url) {
            return Err(format!("{url} is on this server"));
        }
        match url.scheme() {
            "https" => Ok(()),
            "http" if development => Ok(()),
            _ => Err(format!("{url} is not an https URL")),
        }
    }

    /// The key id of an actor: its id with `#main-key`.
    pub fn key_id(actor: &Url) -> String {
        format!("{actor}#main-key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        let urls = Urls::new(Url::parse("https://forum.example/").unwrap());
        assert_eq!(urls.user("ada").as_str(), "https://forum.example/u/ada");
        assert_eq!(
            urls.forum_part("books", "followers").as_str(),
            "https://forum.example/f/books/followers"
        );
        assert_eq!(urls.authority(), "forum.example");
        let local = Urls::new(Url::parse("http://stoa-a.test:8081").unwrap());
        assert_eq!(local.authority(), "stoa-a.test:8081");
        assert_eq!(local.host(), "stoa-a.test");
        assert_eq!(
            Urls::key_id(&local.user("x")),
            "http://stoa-a.test:8081/u/x#main-key"
        );
    }
}
